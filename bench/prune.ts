// Prune throughput (rows/s) and the longest batch (how long pruning can hold a request up) on SQLite,
// PostgreSQL and MySQL, through startPruning's run(): N expired rows among live ones, batches of 500.
// Run: bun bench/prune.ts [rows]   (default 20000; servers from SESS_TEST_POSTGRES_URL / SESS_TEST_MYSQL_URL or the local defaults)
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSessions, model } from "../examples/demo/src/generated/session.ts";
import { migrateDatabase } from "../generator/database.ts";
import type { Store, StoredSession } from "../src/store.ts";
import { MySQLStore } from "../src/stores/mysql.ts";
import { PostgresStore } from "../src/stores/postgres.ts";
import { SQLiteStore } from "../src/stores/sqlite.ts";
import { hashSessionToken } from "../src/token.ts";
import { createScratchDatabase } from "../test/helpers/scratch-database.ts";
import { serverUrl } from "../test/helpers/sql-servers.ts";

const ROWS = Number(process.argv[2] ?? 20_000);
const LIVE = 2_000;
const T0 = Date.UTC(2030, 0, 1);
const KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

function row(n: number, expired: boolean): StoredSession {
	return {
		id: hashSessionToken(`bench-${n}`), successorId: null, version: 1, data: new Uint8Array(80).fill(7), createdAt: T0, rotatedAt: T0, lastSeenAt: T0,
		// Half expire by the idle deadline, half by the absolute one, so both indexes are exercised.
		idleExpiresAt: expired && n % 2 === 0 ? T0 + 1 : T0 + 3_600_000, absoluteExpiresAt: expired && n % 2 === 1 ? T0 + 1 : T0 + 7_200_000,
		columns: { user_id: `u${n % 500}` },
	};
}

/** Fills the store through the store itself, so rows are exactly what sess writes. */
async function fill(store: Store): Promise<void> {
	for (let i = 0; i < ROWS + LIVE; i += 200) {
		await Promise.all(Array.from({ length: Math.min(200, ROWS + LIVE - i) }, (_, k) => store.create(row(i + k, i + k < ROWS))));
	}
}

async function measure(name: string, store: Store): Promise<string> {
	await fill(store);
	const sessions = createSessions({ store, keys: [KEY], now: () => T0 + 10, storeTimeout: "60s" });
	const pruner = sessions.startPruning({ every: "1h", batch: 500 });
	const started = performance.now();
	const run = await pruner.run();
	const seconds = (performance.now() - started) / 1000;
	await pruner.stop();
	if (run.deleted !== ROWS) throw new Error(`${name}: pruned ${run.deleted} of ${ROWS}`);
	return `| ${name} | ${ROWS} | ${run.batches} | ${Math.round(ROWS / seconds)} | ${run.longestBatchMs.toFixed(1)} |`;
}

const lines = ["| engine | expired rows | batches | rows/s | longest batch (ms) |", "|---|---|---|---|---|"];
const dir = mkdtempSync(join(tmpdir(), "sess-bench-prune-"));
try {
	const file = join(dir, "sessions.db");
	await migrateDatabase(file, "examples/demo/migrations");
	const db = new Database(file);
	lines.push(await measure("SQLite (WAL, file)", new SQLiteStore(db, { table: model.table })));
	db.close();
} finally {
	rmSync(dir, { recursive: true, force: true });
}
for (const dialect of ["postgres", "mysql"] as const) {
	const url = await serverUrl(dialect);
	if (url === undefined) {
		lines.push(`| ${dialect} | (server unreachable) | | | |`);
		continue;
	}
	const scratch = await createScratchDatabase(dialect, url, "bench_prune");
	try {
		await migrateDatabase(scratch.url, "examples/demo/migrations");
		const store = dialect === "postgres" ? new PostgresStore(scratch.url, { table: model.table }) : new MySQLStore(scratch.url, { table: model.table });
		try {
			lines.push(await measure(dialect === "postgres" ? "PostgreSQL" : "MySQL/MariaDB", store));
		} finally {
			await store.close();
		}
	} finally {
		await scratch.drop();
	}
}
console.log(lines.join("\n"));
