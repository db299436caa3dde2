// Storage that cleans itself: the prune query served by the deadline indexes (plans shown on SQLite,
// PostgreSQL, MySQL), startPruning in batches, and one pruner at a time across connections.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSessions, model } from "../../examples/demo/src/generated/session.ts";
import { migrateDatabase } from "../../generator/database.ts";
import type { SessionEvent } from "../../src/events.ts";
import type { Store, StoredSession } from "../../src/store.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { MySQLStore } from "../../src/stores/mysql.ts";
import { PostgresStore } from "../../src/stores/postgres.ts";
import { RedisStore } from "../../src/stores/redis.ts";
import { buildStatements } from "../../src/stores/sql-dialect.ts";
import { SQLiteStore, sqlitePruneSelect } from "../../src/stores/sqlite.ts";
import { hashSessionToken } from "../../src/token.ts";
import { newKey } from "../helpers/harness.ts";
import { createScratchDatabase, scratchPrefix } from "../helpers/scratch-database.ts";
import { REDIS_URL, redisReachable } from "../helpers/servers.ts";
import { requireUrl, serverUrl, skipWithout } from "../helpers/sql-servers.ts";

const MIGRATIONS = "examples/demo/migrations";
const pg = await serverUrl("postgres");
const my = await serverUrl("mysql");
const T0 = Date.UTC(2030, 0, 1);
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function row(n: number, expired: boolean): StoredSession {
	return {
		id: hashSessionToken(`prune-${n}`), successorId: null, version: 1, data: new Uint8Array([1]), createdAt: T0, rotatedAt: T0, lastSeenAt: T0,
		idleExpiresAt: expired ? T0 + 1 : T0 + 3_600_000, absoluteExpiresAt: T0 + 7_200_000, columns: { user_id: null },
	};
}

async function migratedSQLite(): Promise<string> {
	const dir = mkdtempSync(join(tmpdir(), "sess-prune-"));
	dirs.push(dir);
	const file = join(dir, "sessions.db");
	await migrateDatabase(file, MIGRATIONS);
	return file;
}

/** Holds `a`'s prune lock while asking `b` for it: b must be refused at once, then get it once a let go. */
async function expectOnePrunerAtATime(a: Store, b: Store): Promise<void> {
	let release!: () => void;
	const held = new Promise<void>((r) => (release = r));
	let entered!: () => void;
	const inside = new Promise<void>((r) => (entered = r));
	const first = a.withPruneLock?.(async () => {
		entered();
		await held;
		return "a";
	});
	await inside;
	expect(await b.withPruneLock?.(async () => "b")).toBeNull();
	release();
	expect(await first).toBe("a");
	expect(await b.withPruneLock?.(async () => "b")).toBe("b");
}

describe("the prune query uses the deadline indexes", () => {
	test("SQLite: EXPLAIN QUERY PLAN searches both indexes, never scans the table", async () => {
		const db = new Database(await migratedSQLite());
		try {
			const plan = (db.query(`EXPLAIN QUERY PLAN ${sqlitePruneSelect(model.table.name)}`).all(T0, T0, 500) as { detail: string }[]).map((r) => r.detail);
			expect(plan.join("\n")).toContain("MULTI-INDEX OR");
			expect(plan.some((d) => d.includes("USING INDEX sessions_idle_expires_at_idx"))).toBe(true);
			expect(plan.some((d) => d.includes("USING INDEX sessions_absolute_expires_at_idx"))).toBe(true);
			expect(plan.some((d) => /^SCAN sessions\b/.test(d))).toBe(false);
		} finally {
			db.close();
		}
	});

	test.skipIf(skipWithout(pg))("PostgreSQL: EXPLAIN with enable_seqscan=off plans index scans of both deadlines, no sequential scan", async () => {
		const scratch = await createScratchDatabase("postgres", requireUrl("postgres", pg), "prune_plan");
		try {
			await migrateDatabase(scratch.url, MIGRATIONS);
			const sql = new Bun.SQL(scratch.url, { max: 1 });
			try {
				const plan = await sql.begin(async (tx) => {
					await tx.unsafe("SET LOCAL enable_seqscan = off");
					const text = buildStatements(model.table, "postgres").pruneSelect.replace("$1", String(T0)).replace("$2", String(T0)).replace("$3", "500");
					return ((await tx.unsafe(`EXPLAIN ${text}`)) as { "QUERY PLAN": string }[]).map((r) => r["QUERY PLAN"]).join("\n");
				});
				expect(plan).not.toContain("Seq Scan");
				expect(plan).toContain("sessions_idle_expires_at_idx");
				expect(plan).toContain("sessions_absolute_expires_at_idx");
			} finally {
				await sql.close();
			}
		} finally {
			await scratch.drop();
		}
	}, 30_000);

	test.skipIf(skipWithout(my))("MySQL: EXPLAIN reads the sessions table only through the two deadline indexes", async () => {
		const scratch = await createScratchDatabase("mysql", requireUrl("mysql", my), "prune_plan");
		try {
			await migrateDatabase(scratch.url, MIGRATIONS);
			const sql = new Bun.SQL(scratch.url, { max: 1 });
			try {
				const rows = (await sql.unsafe(`EXPLAIN ${buildStatements(model.table, "mysql").pruneSelect}`, [T0, T0, 500])) as { table: string | null; key: string | null; type: string | null }[];
				const reads = rows.filter((r) => r.table === "sessions");
				expect(reads.map((r) => r.key).sort()).toEqual(["sessions_absolute_expires_at_idx", "sessions_idle_expires_at_idx"]);
				expect(reads.every((r) => r.type !== "ALL")).toBe(true);
			} finally {
				await sql.close();
			}
		} finally {
			await scratch.drop();
		}
	}, 30_000);
});

describe("startPruning", () => {
	test("run() deletes the expired sessions in batches, reports them, and leaves live ones", async () => {
		const store = new MemoryStore();
		for (let i = 0; i < 5; i++) store.create(row(i, true));
		for (let i = 5; i < 8; i++) store.create(row(i, false));
		const events: SessionEvent[] = [];
		const sessions = createSessions({ store, keys: [newKey()], now: () => T0 + 10, onEvent: (e) => events.push(e) });
		const pruner = sessions.startPruning({ every: "1h", batch: 2 });
		try {
			const run = await pruner.run();
			expect(run).toMatchObject({ ran: true, deleted: 5, batches: 3 });
			expect(store.size).toBe(3);
			expect(events.filter((e) => e.type === "pruned")).toHaveLength(1);
			expect((await pruner.run()).deleted).toBe(0);
		} finally {
			await pruner.stop();
		}
	});

	test("a pruner that finds the lock taken does nothing", async () => {
		const store = new MemoryStore();
		store.create(row(1, true));
		const sessions = createSessions({ store, keys: [newKey()], now: () => T0 + 10 });
		const pruner = sessions.startPruning({ every: "1h" });
		try {
			const result = await store.withPruneLock(() => pruner.run());
			expect(result).toEqual({ ran: false, deleted: 0, batches: 0, longestBatchMs: 0 });
			expect(store.size).toBe(1);
		} finally {
			await pruner.stop();
		}
	});
});

describe("one pruner at a time across connections", () => {
	test("SQLite: two connections to one file", async () => {
		const file = await migratedSQLite();
		const [d1, d2] = [new Database(file), new Database(file)];
		try {
			await expectOnePrunerAtATime(new SQLiteStore(d1, { table: model.table }), new SQLiteStore(d2, { table: model.table }));
			// The lease row is gone once released: nothing of it is left in the table.
			expect(d1.query(`SELECT count(*) AS n FROM sessions`).get()).toEqual({ n: 0 });
		} finally {
			d1.close();
			d2.close();
		}
	});

	for (const dialect of ["postgres", "mysql"] as const) {
		test(`${dialect}: two clients`, async () => {
			const url = await serverUrl(dialect);
			if (skipWithout(url)) return;
			const scratch = await createScratchDatabase(dialect, requireUrl(dialect, url), "prune_lock");
			try {
				await migrateDatabase(scratch.url, MIGRATIONS);
				const make = (): PostgresStore | MySQLStore => (dialect === "postgres" ? new PostgresStore(scratch.url, { table: model.table }) : new MySQLStore(scratch.url, { table: model.table }));
				const [a, b] = [make(), make()];
				try {
					await expectOnePrunerAtATime(a, b);
				} finally {
					await a.close();
					await b.close();
				}
			} finally {
				await scratch.drop();
			}
		}, 30_000);
	}

	test("Redis: two clients", async () => {
		if (!(await redisReachable()) && process.env["CI"] !== "true") return;
		const prefix = scratchPrefix("prune");
		const [a, b] = [new RedisStore(REDIS_URL, { table: model.table, prefix }), new RedisStore(REDIS_URL, { table: model.table, prefix })];
		try {
			await expectOnePrunerAtATime(a, b);
			expect(await a.client.send("EXISTS", [`${prefix}prune-lock`])).toBe(0);
		} finally {
			await a.close();
			await b.close();
		}
	});
});
