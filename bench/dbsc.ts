// DBSC refresh cost: requests per second the refresh endpoint sustains on SQLite and Redis, in process
// (handler calls on Web Requests, no sockets), with an ordinary session request in the same round as
// the yardstick. A browser's refresh is one or two POSTs: the 403 that hands out a challenge (when its
// cached one is stale) and the signed proof that earns a new bound cookie. Proofs are signed before
// each timed window (the browser's work, not the server's), one per request: challenges are single use.
//
// Run: bun bench/dbsc.ts [--rounds 3] [--ops 2000] [--concurrency 1,16] [--engines sqlite,redis]
// Redis: SESS_BENCH_REDIS (default redis://127.0.0.1:6379); keys live under a unique prefix, removed at the end.
import { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { withSession } from "../src/adapters/fetch.ts";
import { migrateDatabase } from "../generator/database.ts";
import { RedisStore } from "../src/stores/redis.ts";
import { SQLiteStore } from "../src/stores/sqlite.ts";
import type { Store } from "../src/store.ts";
import { createSessions, model, type Sessions } from "../examples/demo/src/generated/session.ts";
import { deleteRedisPrefix } from "../test/helpers/scratch-database.ts";

const MIGRATIONS = join(import.meta.dir, "..", "examples", "demo", "migrations");
const REDIS_URL = process.env["SESS_BENCH_REDIS"] ?? "redis://127.0.0.1:6379";
const ORIGIN = "https://bench.test";
const SESSIONS = 16;
const utf8 = new TextEncoder();

type Engine = "sqlite" | "redis";
interface Options {
	rounds: number;
	ops: number;
	concurrency: number[];
	engines: Engine[];
}

function parseOptions(argv: string[]): Options {
	const opts: Options = { rounds: 3, ops: 2000, concurrency: [1, 16], engines: ["sqlite", "redis"] };
	for (let i = 0; i < argv.length; i += 2) {
		const [flag, value] = [argv[i], argv[i + 1]];
		if (value === undefined) throw new Error(`${flag} needs a value`);
		if (flag === "--rounds") opts.rounds = Number(value);
		else if (flag === "--ops") opts.ops = Number(value);
		else if (flag === "--concurrency") opts.concurrency = value.split(",").map(Number);
		else if (flag === "--engines") opts.engines = value.split(",") as Engine[];
		else throw new Error(`unknown option ${flag}`);
	}
	return opts;
}

const b64json = (v: unknown): string => encodeBase64urlNoPadding(utf8.encode(JSON.stringify(v)));

async function sign(keys: CryptoKeyPair, header: object, payload: object): Promise<string> {
	const input = `${b64json(header)}.${b64json(payload)}`;
	const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, utf8.encode(input)));
	return `${input}.${encodeBase64urlNoPadding(sig)}`;
}

/** One bound browser: cookies, DBSC session id, key. */
interface Bound {
	cookie: string;
	id: string;
	keys: CryptoKeyPair;
}

function cookieHeader(response: Response, jar: Map<string, string>): string {
	for (const line of response.headers.getSetCookie()) {
		const [pair = ""] = line.split(";");
		const eq = pair.indexOf("=");
		if (/Max-Age=0(;|$)/.test(line)) jar.delete(pair.slice(0, eq));
		else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
	}
	return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}

function app(sessions: Sessions): (r: Request) => Promise<Response> {
	const dbsc = sessions.dbsc;
	if (dbsc === null) throw new Error("dbsc off");
	const handler = withSession(sessions, async (request, session) => {
		if (new URL(request.url).pathname === "/login") {
			session.userId = "bench";
			session.role = "user";
			return new Response("ok", { headers: { "secure-session-registration": dbsc.register(session) ?? "" } });
		}
		return Response.json({ userId: session.userId ?? null, cart: session.cart.length });
	});
	return (r) => dbsc.handle(r) ?? handler(r);
}

async function bind(handle: (r: Request) => Promise<Response>): Promise<Bound> {
	const jar = new Map<string, string>();
	const login = await handle(new Request(`${ORIGIN}/login`, { method: "POST", headers: { origin: ORIGIN } }));
	let cookie = cookieHeader(login, jar);
	const reg = login.headers.get("secure-session-registration") ?? "";
	const challenge = /challenge="([^"]+)"/.exec(reg)?.[1] ?? "";
	const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
	const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
	const proof = await sign(keys, { alg: "ES256", typ: "dbsc+jwt", jwk: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } }, { jti: challenge });
	const registered = await handle(new Request(`${ORIGIN}/.sess/dbsc`, { method: "POST", headers: { origin: ORIGIN, cookie, "secure-session-response": proof } }));
	if (registered.status !== 200) throw new Error(`registration failed: ${registered.status}`);
	cookie = cookieHeader(registered, jar);
	const { session_identifier } = (await registered.json()) as { session_identifier: string };
	return { cookie, id: session_identifier, keys };
}

/** Runs `ops` calls with `concurrency` in flight; returns requests per second. */
async function rate(ops: number, concurrency: number, call: (i: number) => Promise<void>): Promise<number> {
	let next = 0;
	const start = performance.now();
	await Promise.all(Array.from({ length: concurrency }, async () => {
		while (next < ops) await call(next++);
	}));
	return ops / ((performance.now() - start) / 1000);
}

async function measure(engine: Engine, store: Store, opts: Options): Promise<string[]> {
	const sessions = createSessions({ store, keys: [encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)))], dbsc: { cookieLifetime: "10m" } });
	const handle = app(sessions);
	const bound: Bound[] = [];
	for (let i = 0; i < SESSIONS; i++) bound.push(await bind(handle));
	const refreshRequest = (b: Bound, proof: string | null): Request =>
		new Request(`${ORIGIN}/.sess/dbsc/refresh`, {
			method: "POST",
			headers: { origin: ORIGIN, cookie: b.cookie, "sec-secure-session-id": b.id, ...(proof === null ? {} : { "secure-session-response": proof }) },
		});
	const lines: string[] = [];
	for (const concurrency of opts.concurrency) {
		const rows: Record<string, number[]> = { challenge: [], proof: [], page: [] };
		for (let round = 0; round < opts.rounds; round++) {
			// The yardstick: an ordinary request of a bound session (gate, load, commit).
			rows.page?.push(await rate(opts.ops, concurrency, async (i) => {
				const b = bound[i % SESSIONS] as Bound;
				const r = await handle(new Request(`${ORIGIN}/page`, { headers: { cookie: b.cookie } }));
				if (r.status !== 200) throw new Error(`page ${r.status}`);
				await r.arrayBuffer();
			}));
			const challenges: string[] = new Array(opts.ops);
			rows.challenge?.push(await rate(opts.ops, concurrency, async (i) => {
				const r = await handle(refreshRequest(bound[i % SESSIONS] as Bound, null));
				if (r.status !== 403) throw new Error(`challenge ${r.status}`);
				challenges[i] = /^"([^"]+)"/.exec(r.headers.get("secure-session-challenge") ?? "")?.[1] ?? "";
			}));
			const proofs = await Promise.all(challenges.map((c, i) => sign((bound[i % SESSIONS] as Bound).keys, { alg: "ES256", typ: "dbsc+jwt" }, { jti: c })));
			rows.proof?.push(await rate(opts.ops, concurrency, async (i) => {
				const r = await handle(refreshRequest(bound[i % SESSIONS] as Bound, proofs[i] as string));
				if (r.status !== 200) throw new Error(`proof ${r.status}`);
				await r.arrayBuffer();
			}));
		}
		const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
		const page = median(rows.page ?? []);
		const challenge = median(rows.challenge ?? []);
		const proof = median(rows.proof ?? []);
		// A full refresh with a stale cached challenge is both requests.
		const full = 1 / (1 / challenge + 1 / proof);
		lines.push(
			`| ${engine} | ${concurrency} | ${Math.round(page)} | ${Math.round(challenge)} (${(challenge / page).toFixed(2)}×) | ${Math.round(proof)} (${(proof / page).toFixed(2)}×) | ${Math.round(full)} |`,
		);
		await sessions.prune();
	}
	return lines;
}

const opts = parseOptions(process.argv.slice(2));
const out = ["| store | in flight | ordinary request/s | 403 challenge/s (÷ ordinary) | signed proof → 200/s (÷ ordinary) | full refresh (403 + proof)/s |", "|---|---|---|---|---|---|"];
for (const engine of opts.engines) {
	if (engine === "sqlite") {
		const dir = mkdtempSync(join(tmpdir(), "sess-bench-dbsc-"));
		try {
			const path = join(dir, "sess.db");
			await migrateDatabase(path, MIGRATIONS);
			out.push(...(await measure(engine, new SQLiteStore(new Database(path), { table: model.table }), opts)));
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	} else {
		const prefix = `sess_bench_dbsc_${randomBytes(6).toString("hex")}:`;
		const store = new RedisStore(REDIS_URL, { table: model.table, prefix });
		try {
			out.push(...(await measure(engine, store, opts)));
		} finally {
			await deleteRedisPrefix(REDIS_URL, prefix);
			await store.close?.();
		}
	}
}
process.stdout.write(`${out.join("\n")}\n`);
