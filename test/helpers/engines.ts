// Every store engine, opened on a place of its own (a temp SQLite file, a throwaway table, a random Redis
// prefix) and removed afterwards, so a manager-level attack can run once per engine. Server engines are
// skipped when their server is down, except with CI=true, where the run fails instead.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { model } from "../../examples/demo/src/generated/session.ts";
import { migrateDatabase } from "../../generator/database.ts";
import type { Store } from "../../src/store.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { MySQLStore } from "../../src/stores/mysql.ts";
import { PostgresStore } from "../../src/stores/postgres.ts";
import { RedisStore } from "../../src/stores/redis.ts";
import { SQLiteStore } from "../../src/stores/sqlite.ts";
import { REDIS_URL, redisReachable } from "./servers.ts";
import { requireUrl, serverUrl, skipWithout, throwawayTable } from "./sql-servers.ts";
import { deleteRedisPrefix, scratchPrefix } from "./scratch-database.ts";

/** A store on a place of its own, and how to remove that place. */
export interface OpenedStore {
	store: Store;
	/**
	 * A second store over the same place through its own client (its own connection or database handle),
	 * as a second process would open it; for memory, the same object (one process's memory is all it has).
	 */
	another(): Store;
	close(): Promise<void>;
}

export interface Engine {
	name: string;
	/** True when the server is down and this is not CI. */
	skip: boolean;
	/** A new, empty store for the demo schema's table. */
	open(): Promise<OpenedStore>;
}

const [postgresUrl, mysqlUrl, redisUp] = await Promise.all([serverUrl("postgres"), serverUrl("mysql"), redisReachable()]);

/** Memory, SQLite, PostgreSQL, MySQL and Redis. */
export const ENGINES: readonly Engine[] = [
	{
		name: "memory",
		skip: false,
		async open() {
			const store = new MemoryStore();
			return { store, another: () => store, close: async () => undefined };
		},
	},
	{
		name: "sqlite",
		skip: false,
		async open() {
			const dir = mkdtempSync(join(tmpdir(), "sess-engine-"));
			const file = join(dir, "sessions.db");
			await migrateDatabase(file, "examples/demo/migrations");
			const dbs = [new Database(file)];
			return {
				store: new SQLiteStore(dbs[0] as Database, { table: model.table }),
				another() {
					const db = new Database(file);
					dbs.push(db);
					return new SQLiteStore(db, { table: model.table });
				},
				close: async () => {
					for (const db of dbs) db.close();
					rmSync(dir, { recursive: true, force: true });
				},
			};
		},
	},
	...(["postgres", "mysql"] as const).map((dialect): Engine => {
		const url = dialect === "postgres" ? postgresUrl : mysqlUrl;
		return {
			name: dialect,
			skip: skipWithout(url),
			async open() {
				const reachable = requireUrl(dialect, url);
				const sql = new Bun.SQL(reachable, { max: 4 });
				const clients = [sql];
				const table = await throwawayTable(sql, dialect, model.table.columns);
				const named = { ...model.table, name: table.table.name };
				const over = (client: InstanceType<typeof Bun.SQL>): Store =>
					dialect === "postgres" ? new PostgresStore(client, { table: named }) : new MySQLStore(client, { table: named });
				return {
					store: over(sql),
					another() {
						const client = new Bun.SQL(reachable, { max: 2 });
						clients.push(client);
						return over(client);
					},
					close: async () => {
						await table.drop();
						for (const client of clients) await client.close();
					},
				};
			},
		};
	}),
	{
		name: "redis",
		skip: !redisUp && process.env["CI"] !== "true",
		async open() {
			const client = new Bun.RedisClient(REDIS_URL, { maxRetries: 3, connectionTimeout: 2000 });
			const clients = [client];
			const prefix = scratchPrefix("engine");
			return {
				store: new RedisStore(client, { table: model.table, prefix }),
				another() {
					const other = new Bun.RedisClient(REDIS_URL, { maxRetries: 3, connectionTimeout: 2000 });
					clients.push(other);
					return new RedisStore(other, { table: model.table, prefix });
				},
				close: async () => {
					await deleteRedisPrefix(REDIS_URL, prefix);
					for (const c of clients) c.close();
				},
			};
		},
	},
];
