import { existsSync } from "node:fs";
import type { TableModel } from "../../schema/model.ts";
import type { Store } from "../../src/store.ts";
import type { SQL } from "bun";
import { explainDatabaseError, notMigrated } from "../database-failure.ts";
import { engineOf, sqlitePath } from "../../src/stores/location.ts";
import { sqlitePruneSelect } from "../../src/stores/sqlite.ts";
import { readDatabaseFlag } from "./database-flag.ts";
import { fail, loadConfig, loadModel, out, str, usage, type Flags } from "./io.ts";

/** Rows SQLiteStore deletes per statement, so no statement holds the write lock long. */
const SQLITE_PRUNE_BATCH = 500;

/** `sess prune --db …`: batches, with progress on a terminal. */
export async function runPrune(flags: Flags): Promise<void> {
	const db = readDatabaseFlag(flags, "prune", "sqlite path | postgres://… | mysql://… | redis://…");
	const limitFlag = str(flags, "limit");
	const limit = limitFlag === undefined ? Infinity : Number(limitFlag);
	if (!(limit > 0)) usage(`--limit must be a positive number, not "${limitFlag}". Pass a count such as --limit 10000, or leave it out to prune everything expired.`);
	const { root, config } = await loadConfig(flags);
	const model = await loadModel(root, config);
	// Opening a SQLite path that does not exist would create an empty file; there is nothing to prune there.
	if (engineOf(db) === "sqlite" && !existsSync(sqlitePath(db))) {
		fail(`${sqlitePath(db)} does not exist. Run \`sess migrate --db ${db}\` to create it, or check the path.`, "not_migrated");
	}
	const { store, close } = await openForPrune(db, model.table).catch((error: unknown) => {
		throw explainDatabaseError(db, error);
	});
	const tty = process.stdout.isTTY === true;
	let total = 0;
	try {
		// Chunks of 5,000 (each itself deleted in batches) so a terminal sees progress on big tables.
		for (;;) {
			const chunk = Math.min(5000, limit - total);
			const deleted = await store.prune(Date.now(), chunk);
			total += deleted;
			if (tty) process.stdout.write(`\rsess: pruned ${total} expired session(s)…`);
			if (deleted < chunk || total >= limit) break;
		}
	} catch (error) {
		throw explainDatabaseError(db, error);
	} finally {
		await close().catch(() => undefined);
	}
	if (tty) process.stdout.write("\n");
	out(`sess: pruned ${total} expired session(s).`);
}

/**
 * The store to prune. Redis gets a client that fails at once: a one-shot command should say the server
 * is down, not retry for the half-minute an app's client keeps reconnecting.
 */
async function openForPrune(db: string, table: TableModel): Promise<{ store: Pick<Store, "prune">; close(): Promise<void> }> {
	if (typeof Bun === "undefined") return openForPruneOnNode(db, table);
	if (engineOf(db) === "redis") {
		const { RedisStore } = await import("../../src/stores/redis.ts");
		const client = new Bun.RedisClient(db, { autoReconnect: false, maxRetries: 0, connectionTimeout: 5000 });
		return { store: new RedisStore(client, { table }), close: async () => client.close() };
	}
	const { openStore } = await import("../../src/stores/open.ts");
	return openStore(db, table);
}

/**
 * Under Node: the app's driver (generator/cli/node-database.ts). PostgreSQL and MySQL run the stores' own
 * check and prune over it; SQLite deletes in the same batches as SQLiteStore. Redis keys expire by
 * themselves, and Bun's Redis client is the only one sess speaks: that one is handed to Bun.
 */
async function openForPruneOnNode(db: string, table: TableModel): Promise<{ store: Pick<Store, "prune">; close(): Promise<void> }> {
	const engine = engineOf(db);
	const { DriverMissingError, openNodeDatabase } = await import("./node-database.ts");
	if (engine === "redis") {
		throw new DriverMissingError("prune on Redis needs Bun (sess speaks to Redis through Bun's client only); Redis deletes expired sessions by itself, and prune only tidies the per-user indexes. Run `bunx sess prune …` with Bun, or skip it.");
	}
	const database = await openNodeDatabase(db, engine, "prune", false);
	try {
		if (engine === "sqlite") {
			const found = await database.query(`SELECT "name" FROM pragma_table_info(?)`, [table.name]);
			if (found.length === 0) throw notMigrated(db);
			const select = sqlitePruneSelect(table.name);
			const name = `"${table.name.replaceAll('"', '""')}"`;
			return {
				store: {
					prune: async (now, limit = Infinity) => {
						let total = 0;
						while (total < limit) {
							const want = Math.min(SQLITE_PRUNE_BATCH, limit - total);
							const changes = (await database.query(`DELETE FROM ${name} WHERE "id" IN (${select})`, [now, now, want])).affectedRows;
							total += changes;
							if (changes < want) break;
						}
						return total;
					},
				},
				close: () => database.close(),
			};
		}
		// The stores take a Bun.SQL client; they call only `unsafe(text, params)` for check and prune.
		const client = { unsafe: (text: string, params: unknown[] = []) => database.query(text, params) } as unknown as SQL;
		const { PostgresStore } = await import("../../src/stores/postgres.ts");
		const { MySQLStore } = await import("../../src/stores/mysql.ts");
		const store = engine === "postgres" ? new PostgresStore(client, { table }) : new MySQLStore(client, { table });
		await store.check();
		return { store, close: () => database.close() };
	} catch (error) {
		await database.close().catch(() => undefined);
		throw error;
	}
}
