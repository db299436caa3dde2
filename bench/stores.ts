// Store throughput: "load + modify + commit" of ONE existing session per operation, on SQLite, PostgreSQL,
// MySQL/MariaDB and Redis, for sess, for express-session's usual store on the same engine, and for a raw
// floor (the two bare round trips any store needs). Ratios come from the same round, because this VM's
// absolute speed drifts by 2× between minutes.
//
// Run: bun bench/stores.ts [--rounds 5] [--rounds16 3] [--seconds 1.2] [--engines sqlite,postgres,mysql,redis] [--concurrency 1,16] [--breakdown]
// --breakdown adds a fourth contender, sess's store alone (store.get + store.update, no cookie, crypto or codec),
// and a µs-per-op table that splits sess's cost into "statements + row mapping" and "manager".
// Servers: SESS_BENCH_PG, SESS_BENCH_MYSQL, SESS_BENCH_REDIS override the local defaults below.
// Everything is written to throwaway places (temp dir, sess_bench_<hex> databases, a unique Redis prefix)
// and removed at the end.
import { Database } from "bun:sqlite";
import { RedisClient, SQL } from "bun";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import type { Store } from "sess";
import { migrateDatabase } from "../generator/database.ts";
import { MySQLStore } from "../src/stores/mysql.ts";
import { PostgresStore } from "../src/stores/postgres.ts";
import { RedisStore } from "../src/stores/redis.ts";
import { SQLiteStore } from "../src/stores/sqlite.ts";
import { codec, model } from "../examples/demo/src/generated/session.ts";
import { withCapturedIntervals } from "./lib/peers.ts";
import { expressContender, expressSession, require, sessContender, SLOTS, TTL_MS, type Contender, type ExpressSessionModule, type ExpressStore } from "./lib/contenders.ts";
import { counterOf, timed, type Op } from "./lib/timed.ts";
import { deleteRedisPrefix } from "../test/helpers/scratch-database.ts";

const MIGRATIONS = join(import.meta.dir, "..", "examples", "demo", "migrations");
const PG_URL = process.env["SESS_BENCH_PG"] ?? "postgres://postgres@127.0.0.1:5432/test";
const MYSQL_URL = process.env["SESS_BENCH_MYSQL"] ?? "mysql://root@127.0.0.1:3306/test";
const REDIS_URL = process.env["SESS_BENCH_REDIS"] ?? "redis://127.0.0.1:6379";

// ---------------------------------------------------------------- options

interface Options {
	rounds: number;
	rounds16: number;
	seconds: number;
	engines: Engine[];
	concurrency: number[];
	breakdown: boolean;
}

type Engine = "sqlite" | "postgres" | "mysql" | "redis";
const ENGINES: Engine[] = ["sqlite", "postgres", "mysql", "redis"];

function parseOptions(argv: string[]): Options {
	const opts: Options = { rounds: 5, rounds16: 3, seconds: 1.2, engines: ENGINES, concurrency: [1, 16], breakdown: false };
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i];
		if (flag === "--breakdown") {
			opts.breakdown = true;
			continue;
		}
		const value = argv[i + 1];
		if (value === undefined) throw new Error(`${flag} needs a value`);
		i++;
		if (flag === "--rounds") opts.rounds = positive(value, flag);
		else if (flag === "--rounds16") opts.rounds16 = positive(value, flag);
		else if (flag === "--seconds") opts.seconds = positive(value, flag);
		else if (flag === "--engines") opts.engines = value.split(",").map((e) => {
			if (!ENGINES.includes(e as Engine)) throw new Error(`unknown engine ${e}`);
			return e as Engine;
		});
		else if (flag === "--concurrency") opts.concurrency = value.split(",").map((c) => {
			const n = positive(c, flag);
			if (n > SLOTS) throw new Error(`concurrency is at most ${SLOTS}`);
			return n;
		});
		else throw new Error(`unknown option ${flag}`);
	}
	return opts;
}

function positive(text: string, flag: string): number {
	const n = Number(text);
	if (!(n > 0)) throw new Error(`${flag} must be a positive number`);
	return n;
}

// ---------------------------------------------------------------- contenders

interface EngineSetup {
	engine: Engine;
	server: string;
	sess: Contender;
	express: Contender;
	floor: Contender;
	store: Contender;
	cleanup(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

/** The data a floor writes: the demo codec's bytes for each cart the others write, so sizes match sess. */
const FLOOR_BYTES = Array.from({ length: 50 }, (_, n) => codec.encode({ userId: "user-0", role: "user", cart: [n] }));
const FLOOR_BASE64 = FLOOR_BYTES.map((b) => Buffer.from(b).toString("base64"));

/** Inserts SLOTS rows of the sess table shape for a floor; ids never collide with sess's hex SHA-256 ids. */
function floorRows(): { id: string; params: (string | number | Uint8Array | null)[] }[] {
	const now = Date.now();
	return Array.from({ length: SLOTS }, (_, slot) => {
		const id = `floor-${slot}-${randomBytes(8).toString("hex")}`;
		return { id, params: [id, null, 1, FLOOR_BYTES[0] as Uint8Array, now, now, now, now + 1_800_000, now + TTL_MS, `user-${slot}`] };
	});
}

function cartOf(bytes: Uint8Array | null | undefined): unknown {
	return bytes === null || bytes === undefined ? undefined : codec.decodeSession(bytes).data.cart;
}

/**
 * sess's store on its own: the get and compare-and-set update a sess op issues, with the row the manager
 * would build (version + 1, new data, new idle deadline) but none of its cookie, crypto or codec work.
 */
async function storeContender(store: Store, label: string): Promise<Contender> {
	const now = Date.now();
	const ids: string[] = [];
	for (let slot = 0; slot < SLOTS; slot++) {
		const id = randomBytes(32).toString("hex");
		await store.create({
			id, successorId: null, version: 1, data: FLOOR_BYTES[0] as Uint8Array, createdAt: now, rotatedAt: now, lastSeenAt: now,
			idleExpiresAt: now + model.expiry.idleMs, absoluteExpiresAt: now + TTL_MS, columns: { user_id: `user-${slot}` },
		});
		ids.push(id);
	}
	return {
		label,
		ops: ids.map((id) => async (i) => {
			const row = await store.get(id);
			if (row === null) throw new Error("store row missing");
			const t = Date.now();
			const next = { ...row, version: row.version + 1, data: FLOOR_BYTES[i % 50] as Uint8Array, lastSeenAt: t, idleExpiresAt: Math.min(t + model.expiry.idleMs, row.absoluteExpiresAt) };
			if (!(await store.update(next, row.version))) throw new Error("store update lost its compare-and-set");
		}),
		readCart: async () => cartOf((await store.get(ids[0] as string))?.data),
	};
}

// ---------------------------------------------------------------- engines

async function setupSQLite(): Promise<EngineSetup> {
	const dir = mkdtempSync(join(tmpdir(), "sess-bench-"));
	cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
	const sessPath = join(dir, "sess.db");
	await migrateDatabase(sessPath, MIGRATIONS);

	const sessDb = new Database(sessPath);
	const store = new SQLiteStore(sessDb, { table: model.table });
	const sess = await sessContender(store, "sess SQLiteStore");
	const storeOnly = await storeContender(store, "SQLiteStore get + update");

	// The floor shares sess's file and table (other rows), with the pragmas SQLiteStore sets.
	const floorDb = new Database(sessPath);
	floorDb.run("PRAGMA journal_mode = WAL");
	floorDb.run("PRAGMA synchronous = NORMAL");
	const insert = floorDb.prepare(`INSERT INTO sessions (id, successor_id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at, user_id) VALUES (?,?,?,?,?,?,?,?,?,?)`);
	const select = floorDb.prepare(`SELECT data, version FROM sessions WHERE id = ?`);
	const update = floorDb.prepare(`UPDATE sessions SET data = ?, version = ? WHERE id = ?`);
	const rows = floorRows();
	for (const r of rows) insert.run(...r.params);
	const floor: Contender = {
		label: "bun:sqlite prepared SELECT + UPDATE",
		ops: rows.map(({ id }) => async (i) => {
			const row = select.get(id) as { data: Uint8Array; version: number } | null;
			if (row === null) throw new Error("floor row missing");
			update.run(FLOOR_BYTES[i % 50] as Uint8Array, row.version + 1, id);
		}),
		readCart: async () => cartOf((select.get(rows[0]?.id ?? "") as { data: Uint8Array } | null)?.data),
	};

	// better-sqlite3-session-store on bun:sqlite: better-sqlite3's native addon does not load in Bun, and
	// bun:sqlite's strict mode binds the store's @named parameters the same way.
	const peerDb = new Database(join(dir, "peer.db"), { strict: true });
	peerDb.run("PRAGMA journal_mode = WAL");
	peerDb.run("PRAGMA synchronous = NORMAL");
	const makeStore = require("better-sqlite3-session-store") as (s: ExpressSessionModule) => new (o: object) => ExpressStore;
	const SqliteStore = makeStore(expressSession);
	// Its constructor starts a 15-minute cleanup interval it never clears; capture it so the process can exit.
	const peer = withCapturedIntervals(() => new SqliteStore({ client: peerDb }));
	const express = await expressContender(peer.value, "better-sqlite3-session-store 0.1.0 (on bun:sqlite)");

	return {
		engine: "sqlite",
		server: `SQLite ${(sessDb.query("SELECT sqlite_version() AS v").get() as { v: string }).v} (bun:sqlite, WAL, synchronous=NORMAL, temp file)`,
		sess, express, floor, store: storeOnly,
		cleanup: async () => {
			for (const t of peer.intervals) clearInterval(t);
			store.close();
			for (const s of [insert, select, update]) s.finalize();
			sessDb.close();
			floorDb.close();
			peerDb.close();
		},
	};
}

function withDatabase(url: string, database: string): string {
	const u = new URL(url);
	u.pathname = `/${database}`;
	return u.toString();
}

async function setupPostgres(): Promise<EngineSetup> {
	const name = `sess_bench_${randomBytes(6).toString("hex")}`;
	const admin = new SQL(PG_URL);
	let created = false;
	// Registered before CREATE, so a server that fails half-way still gets its admin connection closed.
	cleanups.push(async () => {
		try {
			if (created) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
		} finally {
			await admin.close();
		}
	});
	await admin.unsafe(`CREATE DATABASE ${name}`);
	created = true;
	const version = ((await admin.unsafe("SHOW server_version")) as { server_version: string }[])[0]?.server_version;
	const url = withDatabase(PG_URL, name);
	await migrateDatabase(url, MIGRATIONS);

	// Each contender gets its own client with the library's default pool settings.
	const store = new PostgresStore(url, { table: model.table });
	const sess = await sessContender(store, "sess PostgresStore");
	const storeOnly = await storeContender(store, "PostgresStore get + update");

	const sql = new SQL(url);
	const rows = floorRows();
	for (const r of rows) {
		await sql.unsafe(`INSERT INTO sessions (id, successor_id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at, user_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, r.params);
	}
	const floor: Contender = {
		label: "Bun.SQL prepared SELECT + UPDATE",
		ops: rows.map(({ id }) => async (i) => {
			const [row] = (await sql`SELECT data, version FROM sessions WHERE id = ${id}`) as { data: Uint8Array; version: number }[];
			if (row === undefined) throw new Error("floor row missing");
			await sql`UPDATE sessions SET data = ${FLOOR_BYTES[i % 50]}, version = ${row.version + 1} WHERE id = ${id}`;
		}),
		readCart: async () => cartOf(((await sql`SELECT data FROM sessions WHERE id = ${rows[0]?.id}`) as { data: Uint8Array }[])[0]?.data),
	};

	type Emitter = { on(event: string, fn: (arg: Emitter) => void): void };
	const { Pool } = require("pg") as { Pool: new (o: object) => Emitter & { end(): Promise<void> } };
	const pool = new Pool({ connectionString: url });
	// DROP DATABASE … WITH (FORCE) at the end may reach a connection pg is still closing; that error is expected, not a crash.
	const ignore = () => {};
	pool.on("error", ignore);
	pool.on("connect", (client) => client.on("error", ignore));
	const makeStore = require("connect-pg-simple") as (s: ExpressSessionModule) => new (o: object) => ExpressStore & { close(): Promise<void> };
	const PgStore = makeStore(expressSession);
	const peer = new PgStore({ pool, createTableIfMissing: true });
	const express = await expressContender(peer, "connect-pg-simple 10 + pg Pool");

	return {
		engine: "postgres",
		server: `PostgreSQL ${version} (throwaway database ${name})`,
		sess, express, floor, store: storeOnly,
		cleanup: async () => {
			await store.close();
			await sql.close();
			await peer.close();
			await pool.end();
		},
	};
}

async function setupMySQL(): Promise<EngineSetup> {
	const name = `sess_bench_${randomBytes(6).toString("hex")}`;
	const admin = new SQL(MYSQL_URL);
	let created = false;
	// Registered before CREATE, so a server that fails half-way still gets its admin connection closed.
	cleanups.push(async () => {
		try {
			if (created) await admin.unsafe(`DROP DATABASE IF EXISTS ${name}`);
		} finally {
			await admin.close();
		}
	});
	await admin.unsafe(`CREATE DATABASE ${name}`);
	created = true;
	const version = ((await admin.unsafe("SELECT VERSION() AS v")) as { v: string }[])[0]?.v;
	const url = withDatabase(MYSQL_URL, name);
	await migrateDatabase(url, MIGRATIONS);

	const store = new MySQLStore(url, { table: model.table });
	const sess = await sessContender(store, "sess MySQLStore");
	const storeOnly = await storeContender(store, "MySQLStore get + update");

	const sql = new SQL(url);
	const rows = floorRows();
	for (const r of rows) {
		await sql.unsafe(`INSERT INTO sessions (id, successor_id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at, user_id) VALUES (?,?,?,?,?,?,?,?,?,?)`, r.params);
	}
	const floor: Contender = {
		label: "Bun.SQL prepared SELECT + UPDATE",
		ops: rows.map(({ id }) => async (i) => {
			const [row] = (await sql`SELECT data, version FROM sessions WHERE id = ${id}`) as { data: Uint8Array; version: number }[];
			if (row === undefined) throw new Error("floor row missing");
			await sql`UPDATE sessions SET data = ${FLOOR_BYTES[i % 50]}, version = ${row.version + 1} WHERE id = ${id}`;
		}),
		readCart: async () => cartOf(((await sql`SELECT data FROM sessions WHERE id = ${rows[0]?.id}`) as { data: Uint8Array }[])[0]?.data),
	};

	const u = new URL(url);
	const makeStore = require("express-mysql-session") as (s: ExpressSessionModule) => new (o: object) => ExpressStore & { close(): Promise<void>; onReady(): Promise<void> };
	const MySQLSessionStore = makeStore(expressSession);
	// Its default table name is also "sessions"; a table of its own keeps the two shapes apart.
	const peer = new MySQLSessionStore({
		host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: name,
		schema: { tableName: "express_sessions" },
	});
	await peer.onReady();
	const express = await expressContender(peer, "express-mysql-session 3 + mysql2 pool");

	return {
		engine: "mysql",
		server: `${version} (throwaway database ${name})`,
		sess, express, floor, store: storeOnly,
		cleanup: async () => {
			await store.close();
			await sql.close();
			await peer.close();
		},
	};
}

async function setupRedis(): Promise<EngineSetup> {
	const prefix = `sess_bench_${randomBytes(6).toString("hex")}:`;
	const admin = new RedisClient(REDIS_URL);
	await admin.connect();
	cleanups.push(async () => {
		// Every key this run wrote starts with the run's prefix; nothing else matches it.
		await deleteRedisPrefix(REDIS_URL, prefix);
		admin.close();
	});
	const info = (await admin.send("INFO", ["server"])) as string;
	const version = /redis_version:(\S+)/.exec(info)?.[1];

	const store = new RedisStore(REDIS_URL, { table: model.table, prefix: `${prefix}sess:` });
	const sess = await sessContender(store, "sess RedisStore");
	const storeOnly = await storeContender(store, "RedisStore get + update");

	const client = new RedisClient(REDIS_URL);
	await client.connect();
	const ttl = String(Math.ceil(TTL_MS / 1000));
	const keys = Array.from({ length: SLOTS }, (_, slot) => `${prefix}floor:${slot}`);
	for (const key of keys) await client.send("SET", [key, FLOOR_BASE64[0] as string, "EX", ttl]);
	const floor: Contender = {
		label: "Bun RedisClient GET + SET EX",
		ops: keys.map((key) => async (i) => {
			if ((await client.get(key)) === null) throw new Error("floor key missing");
			await client.send("SET", [key, FLOOR_BASE64[i % 50] as string, "EX", ttl]);
		}),
		readCart: async () => {
			const v = await client.get(keys[0] as string);
			return v === null ? undefined : cartOf(Buffer.from(v, "base64"));
		},
	};

	const nodeRedis = createClient({ url: REDIS_URL });
	await nodeRedis.connect();
	const { RedisStore: ConnectRedis } = require("connect-redis") as { RedisStore: new (o: object) => ExpressStore };
	const peer = new ConnectRedis({ client: nodeRedis, prefix: `${prefix}cr:` });
	const express = await expressContender(peer, "connect-redis 10 + node-redis 6");

	return {
		engine: "redis",
		server: `Redis ${version} (key prefix ${prefix})`,
		sess, express, floor, store: storeOnly,
		cleanup: async () => {
			await store.close();
			client.close();
			nodeRedis.destroy();
		},
	};
}

const SETUP: Record<Engine, () => Promise<EngineSetup>> = { sqlite: setupSQLite, postgres: setupPostgres, mysql: setupMySQL, redis: setupRedis };

// ---------------------------------------------------------------- measuring

type Kind = "sess" | "express" | "floor" | "store";

type Sample = Record<Kind, number>;

function median(xs: number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function fmtOps(xs: number[]): string {
	const r = (n: number) => Math.round(n).toLocaleString("en-US");
	return `${r(median(xs))} [${r(Math.min(...xs))}–${r(Math.max(...xs))}]`;
}

function fmtRatio(xs: number[]): string {
	const r = (n: number) => (n >= 10 ? n.toFixed(1) : n.toFixed(2));
	return `${r(median(xs))} [${r(Math.min(...xs))}–${r(Math.max(...xs))}]`;
}

async function main(): Promise<void> {
	const opts = parseOptions(process.argv.slice(2));
	const command = ["bun", "bench/stores.ts", ...process.argv.slice(2)].join(" ");
	const ms = opts.seconds * 1000;
	const kinds: Kind[] = opts.breakdown ? ["sess", "express", "floor", "store"] : ["sess", "express", "floor"];
	// A hung server must not hang the run: far past the planned time, give up (cleanup is then best effort).
	const planned = opts.engines.length * kinds.length * ms * opts.concurrency.reduce((t, c) => t + (c === 1 ? opts.rounds : opts.rounds16), 0);
	const watchdog = setTimeout(() => {
		console.error(`bench/stores.ts: still running ${Math.round((planned * 3 + 120_000) / 1000)} s in; giving up.`);
		void runCleanups().finally(() => process.exit(2));
	}, planned * 3 + 120_000);

	const setups: EngineSetup[] = [];
	const skipped: string[] = [];
	try {
		for (const engine of opts.engines) {
			try {
				const s = await SETUP[engine]();
				cleanups.push(s.cleanup);
				setups.push(s);
				console.error(`ready: ${engine} — ${s.server}`);
			} catch (error) {
				skipped.push(`${engine}: ${error instanceof Error ? error.message : String(error)}`);
				console.error(`skipped ${engine}: ${String(error)}`);
			}
		}

		// Warm-up (JIT, prepared statements, pool connections) and a check that each contender's writes land.
		for (const s of setups) {
			for (const kind of kinds) {
				const c = s[kind];
				await timed(c.ops, SLOTS, 300);
				await timed(c.ops, 1, 100);
				const op = c.ops[0] as Op;
				const counter = counterOf(op);
				const expected = [counter.i % 50];
				await op(counter.i++);
				const cart = await c.readCart();
				if (JSON.stringify(cart) !== JSON.stringify(expected)) {
					throw new Error(`${s.engine} ${c.label}: wrote cart ${JSON.stringify(expected)}, read back ${JSON.stringify(cart)}`);
				}
			}
		}

		const results = new Map<string, Sample[]>();
		for (const concurrency of opts.concurrency) {
			const rounds = concurrency === 1 ? opts.rounds : opts.rounds16;
			for (let round = 0; round < rounds; round++) {
				for (const s of setups) {
					const sample: Partial<Sample> = {};
					// Rotating the order spreads slow minutes over all contenders instead of one.
					for (let k = 0; k < kinds.length; k++) {
						const kind = kinds[(k + round) % kinds.length] as Kind;
						Bun.gc(true);
						sample[kind] = (await timed(s[kind].ops, concurrency, ms)).ops;
					}
					const key = `${s.engine}@${concurrency}`;
					results.set(key, [...(results.get(key) ?? []), sample as Sample]);
				}
				console.error(`c=${concurrency} round ${round + 1}/${rounds} done`);
			}
		}

		const lines: string[] = [];
		lines.push(`### Stores: load + modify + commit of one existing session (ops/s, median [min–max] over rounds)`, "");
		for (const concurrency of opts.concurrency) {
			const rounds = concurrency === 1 ? opts.rounds : opts.rounds16;
			lines.push(`**Concurrency ${concurrency}** (${concurrency === 1 ? "one session, each op awaited before the next" : `${concurrency} sessions, one op in flight on each`}; ${rounds} rounds × ${opts.seconds} s per contender)`, "");
			lines.push("| engine | sess | express-session store | raw floor | sess/floor | sess/express |");
			lines.push("|---|---|---|---|---|---|");
			for (const s of setups) {
				const samples = results.get(`${s.engine}@${concurrency}`) ?? [];
				if (samples.length === 0) continue;
				const col = (k: Kind) => fmtOps(samples.map((x) => x[k]));
				lines.push(
					`| ${s.engine} | ${col("sess")} | ${col("express")} | ${col("floor")} | ${fmtRatio(samples.map((x) => x.sess / x.floor))} | ${fmtRatio(samples.map((x) => x.sess / x.express))} |`,
				);
			}
			// Both sides pay the same two round trips, so floor ÷ express-session bounds what sess/express can reach.
			const ceilings = setups
				.map((s) => [s.engine, results.get(`${s.engine}@${concurrency}`) ?? []] as const)
				.filter(([, samples]) => samples.length > 0)
				.map(([engine, samples]) => `${engine} ${fmtRatio(samples.map((x) => x.floor / x.express))}`);
			lines.push("", `Ceiling of sess/express (raw floor ÷ express-session store, same rounds): ${ceilings.join("; ")}.`, "");
		}
		if (opts.breakdown) {
			lines.push(`**Breakdown**: µs per op (1e6 ÷ ops/s, median over rounds). "store" = sess's store alone (its get + compare-and-set update, its row mapping); store − floor = what sess's statements and row shape cost over the bare two; sess − store = sess's manager (cookie parse, HMAC verify, SHA-256 of the token, decode, validation, encode, store-call timeout).`, "");
			lines.push("| engine | c | floor | store | sess | store − floor | sess − store | express-session |");
			lines.push("|---|---|---|---|---|---|---|---|");
			for (const concurrency of opts.concurrency) {
				for (const s of setups) {
					const samples = results.get(`${s.engine}@${concurrency}`) ?? [];
					if (samples.length === 0) continue;
					const us = (k: Kind) => median(samples.map((x) => 1e6 / x[k]));
					const f = (n: number) => n.toFixed(1);
					lines.push(`| ${s.engine} | ${concurrency} | ${f(us("floor"))} | ${f(us("store"))} | ${f(us("sess"))} | ${f(us("store") - us("floor"))} | ${f(us("sess") - us("store"))} | ${f(us("express"))} |`);
				}
			}
			lines.push("");
		}
		lines.push("Contenders:", "");
		for (const s of setups) {
			lines.push(`- **${s.engine}** — ${s.server}. sess: ${s.sess.label}; express-session: ${s.express.label}; floor: ${s.floor.label}.`);
		}
		for (const skip of skipped) lines.push(`- skipped ${skip}`);
		lines.push(
			"",
			"Each op — sess: `sessions.load(request)` (cookie parse, HMAC verify, SHA-256 of the token, store get, decode) → `session.cart = [i % 50]` → `sessions.commitCookie(session)` (encode, compare-and-set update). " +
				"express-session: cookie parse + `cookie-signature` unsign → `store.get` → `createSession` + sha1 hash → modify → `touch()` + re-hash → `store.set` → sign + serialize Set-Cookie. " +
				"Floor: only the two round trips, `SELECT data, version … WHERE id = ?` + `UPDATE … SET data = ?, version = ? WHERE id = ?` (Redis: `GET` + `SET … EX`), no cookie work. " +
				"Ratios are computed inside each round, then the median over rounds.",
			"",
			`Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}, bun ${Bun.version}, ${process.platform}; ${new Date().toISOString()}. Shared, noisy VM: compare ratios, not absolute ops/s.`,
			"",
			`Command: \`${command}\``,
		);
		process.stdout.write(`${lines.join("\n")}\n`);
	} finally {
		clearTimeout(watchdog);
		await runCleanups();
	}
}

async function runCleanups(): Promise<void> {
	// Clients close before their databases are dropped: cleanups run newest first.
	while (cleanups.length > 0) {
		const step = cleanups.pop() as () => Promise<void>;
		try {
			await step();
		} catch (error) {
			console.error(`cleanup failed: ${String(error)}`);
		}
	}
}

await main();
