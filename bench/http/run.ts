// End-to-end HTTP on loopback: each (round, contender) starts a fresh server, drives GET /inc with wrk
// (-t1 -c16) on ONE shared session (with --pin: server on core 0, wrk on core 1), then reads GET /count to compare
// the final counter with the requests served. Servers are stopped by PID.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, pin, runToEnd, startServer, type Running } from "../lib/proc.ts";
import { FOREIGN_COOKIES, cookiePair, lastPerName, newKey } from "../lib/schema.ts";

const HERE = import.meta.dir;
export const CONNECTIONS = 16;

export interface HttpSpec {
	id: string;
	label: string;
	runtime: string;
	/** Cookie name of the session, to pick it out of Set-Cookie. */
	cookie: string;
	/** Stateless: the cookie is the state, so the client must follow Set-Cookie (wrk Lua `response()`). */
	follow?: boolean;
	/** No session at all (the ceiling): no counter to check. */
	noCounter?: boolean;
	floor?: boolean;
	notes: string;
	start(cpu: number | null): Promise<Running & { cleanup?: () => void }>;
}

function bunServer(kind: string): (cpu: number | null) => Promise<Running> {
	return (cpu) => startServer(pin(cpu, [process.execPath, join(HERE, "server.ts"), kind]), {});
}

export const HTTP_SPECS: HttpSpec[] = [
	{ id: "bare", label: "CEILING bare Bun.serve, fixed Set-Cookie", runtime: "bun", cookie: "fixed", noCounter: true, floor: true, notes: "no session: routes answer a constant with a constant Set-Cookie", start: bunServer("bare") },
	{ id: "floor", label: "FLOOR Bun.serve + hand-made Map + HMAC session", runtime: "bun", cookie: "__Host-f", floor: true, notes: "Map<sid, { json, expires }>, node:crypto HMAC-signed id cookie, JSON counter", start: bunServer("floor") },
	{ id: "sess-sqlite", label: "sess SQLiteStore on Bun.serve", runtime: "bun", cookie: "__Host-sid", notes: "sessionRoutes() adapter (origin check, load, commit, Cache-Control/Vary); bun:sqlite temp file, WAL", start: bunServer("sess-sqlite") },
	{ id: "sess-memory", label: "sess MemoryStore on Bun.serve", runtime: "bun", cookie: "__Host-sid", notes: "sessionRoutes() adapter; MemoryStore", start: bunServer("sess-memory") },
	{ id: "sess-sealed", label: "sess sealed on Bun.serve (client follows Set-Cookie)", runtime: "bun", cookie: "__Host-sid", follow: true, notes: "sessionRoutes() adapter; mode \"sealed\", MemoryStore revocations; wrk's Lua response() follows each new cookie (costs the client some CPU)", start: bunServer("sess-sealed") },
	{
		id: "express-bun", label: "Express 5 + express-session MemoryStore", runtime: "bun", cookie: "connect.sid", notes: "resave: false, saveUninitialized: false",
		start: (cpu) => startServer(pin(cpu, [process.execPath, join(HERE, "express-server.mjs")]), { env: { BENCH_SECRET: newKey() } }),
	},
	{
		id: "express-node", label: "Express 5 + express-session MemoryStore", runtime: "node", cookie: "connect.sid", notes: "same file on Node",
		start: (cpu) => startServer(pin(cpu, ["node", join(HERE, "express-server.mjs")]), { env: { BENCH_SECRET: newKey() } }),
	},
	{ id: "hono", label: "Hono + hono-sessions MemoryStore on Bun.serve", runtime: "bun", cookie: "hs", notes: "session-id cookie iron-sealed (encryptionKey set, as recommended)", start: bunServer("hono") },
	{
		id: "flask", label: "Flask + Flask-Session (filesystem) under gunicorn", runtime: "python3", cookie: "session", notes: "gunicorn gthread, 2 workers × 4 threads; Flask-Session filesystem store, signed id",
		async start(cpu) {
			const port = freePort();
			const dir = mkdtempSync(join(tmpdir(), "sess-bench-flask-"));
			const r = await startServer(pin(cpu, ["/usr/bin/gunicorn", "-b", `127.0.0.1:${port}`, "-k", "gthread", "-w", "2", "--threads", "4", "--log-level", "warning", "flask_app:app"]), {
				cwd: HERE, port, env: { SESSION_DIR: dir, BENCH_SECRET: newKey() },
			});
			return { ...r, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
		},
	},
];

export interface WrkResult {
	requests: number;
	non2xx: number;
	socketErrors: number;
	rps: number;
	p50us: number;
	p99us: number;
	lastCookie: string | null;
}

function micros(value: string, unit: string): number {
	const n = Number(value);
	return unit === "us" ? n : unit === "ms" ? n * 1000 : unit === "s" ? n * 1e6 : unit === "m" ? n * 6e7 : Number.NaN;
}

export function parseWrk(out: string): WrkResult {
	const reqs = /(\d+) requests in ([\d.]+)(\w+)/.exec(out);
	const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
	if (reqs === null || rps === null) throw new Error(`cannot read wrk output: ${out.slice(0, 400)}`);
	const pct = (p: string) => {
		const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out);
		return m === null ? Number.NaN : micros(m[1] as string, m[2] as string);
	};
	const non = /Non-2xx or 3xx responses: (\d+)/.exec(out);
	const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
	const last = /LASTCOOKIE (\S+)/.exec(out);
	return {
		requests: Number(reqs[1]),
		non2xx: non === null ? 0 : Number(non[1]),
		socketErrors: sock === null ? 0 : [1, 2, 3, 4].reduce((t, i) => t + Number(sock[i]), 0),
		rps: Number(rps[1]),
		p50us: pct("50"),
		p99us: pct("99"),
		lastCookie: last === null ? null : (last[1] as string),
	};
}

export async function wrk(port: number, seconds: number, spec: HttpSpec, pair: string, cpu: number | null): Promise<WrkResult> {
	const url = `http://127.0.0.1:${port}/inc`;
	const base = ["wrk", "-t1", `-c${CONNECTIONS}`, `-d${Math.max(1, Math.round(seconds))}s`, "--latency", "--timeout", "5s"];
	const cmd = spec.follow === true ? [...base, "-s", join(HERE, "follow.lua"), url] : [...base, "-H", `Cookie: ${FOREIGN_COOKIES}; ${pair}`, url];
	const env = { BENCH_COOKIE: pair, BENCH_COOKIE_NAME: spec.cookie, BENCH_FOREIGN: FOREIGN_COOKIES };
	return parseWrk(await runToEnd(pin(cpu, cmd), { timeoutMs: seconds * 1000 + 30_000, env }));
}

export interface HttpSample {
	id: string;
	rps: number;
	p50us: number;
	p99us: number;
	/** Successful /inc responses: the two setup requests, warm-up and timed run. */
	served: number;
	non2xx: number;
	socketErrors: number;
	/** The stored counter at the end (null: no session). */
	counter: number | null;
	cookieBytes: number;
	pid: number;
}

export async function get(port: number, path: string, cookie: string | null): Promise<{ status: number; body: string; setCookies: string[] }> {
	const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: cookie === null ? {} : { cookie: `${FOREIGN_COOKIES}; ${cookie}` } });
	return { status: res.status, body: await res.text(), setCookies: res.headers.getSetCookie() };
}

/** One contender, one round: start, check the session works, warm up, measure, read the counter, stop. */
export async function measureHttp(spec: HttpSpec, seconds: number, warmup: number, pinned = false): Promise<HttpSample> {
	const server = await spec.start(pinned ? 0 : null);
	try {
		const first = await get(server.port, "/inc", null);
		const set = lastPerName(first.setCookies).find((c) => c.startsWith(`${spec.cookie}=`));
		if (first.status !== 200 || set === undefined) throw new Error(`${spec.id}: first request gave ${first.status} without a ${spec.cookie} cookie`);
		let pair = cookiePair(set);
		const second = await get(server.port, "/inc", pair);
		if (!spec.noCounter && second.body.trim() !== "2") throw new Error(`${spec.id}: the second request saw ${second.body.trim()}, not 2`);
		if (spec.follow === true) {
			const next = lastPerName(second.setCookies).find((c) => c.startsWith(`${spec.cookie}=`));
			if (next !== undefined) pair = cookiePair(next);
		}
		const warm = await wrk(server.port, warmup, spec, pair, pinned ? 1 : null);
		if (spec.follow === true && warm.lastCookie !== null) pair = warm.lastCookie;
		const run = await wrk(server.port, seconds, spec, pair, pinned ? 1 : null);
		if (spec.follow === true && run.lastCookie !== null) pair = run.lastCookie;
		const count = await get(server.port, "/count", pair);
		const served = 2 + warm.requests - warm.non2xx + run.requests - run.non2xx;
		return {
			id: spec.id, rps: run.rps, p50us: run.p50us, p99us: run.p99us, served, non2xx: warm.non2xx + run.non2xx,
			socketErrors: warm.socketErrors + run.socketErrors, counter: spec.noCounter === true ? null : Number(count.body.trim()),
			cookieBytes: Buffer.byteLength(pair), pid: server.pid,
		};
	} finally {
		await server.stop();
		server.cleanup?.();
	}
}

export interface HttpOptions {
	rounds: number;
	seconds: number;
	warmup: number;
	pin: boolean;
	log: (line: string) => void;
}

export async function runHttp(specs: readonly HttpSpec[], opts: HttpOptions): Promise<{ rounds: Map<string, HttpSample>[]; errors: string[] }> {
	const rounds: Map<string, HttpSample>[] = [];
	const errors: string[] = [];
	for (let round = 0; round < opts.rounds; round++) {
		const results = new Map<string, HttpSample>();
		for (let k = 0; k < specs.length; k++) {
			const spec = specs[(k + round) % specs.length] as HttpSpec;
			try {
				results.set(spec.id, await measureHttp(spec, opts.seconds, opts.warmup, opts.pin));
			} catch (e) {
				errors.push(`${spec.id} round ${round + 1}: ${e instanceof Error ? e.message : String(e)}`);
			}
		}
		rounds.push(results);
		opts.log(`http: round ${round + 1}/${opts.rounds} done`);
	}
	return { rounds, errors };
}
