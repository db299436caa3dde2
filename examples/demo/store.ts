import { Database } from "bun:sqlite";
import type { Store } from "sess";
import { dialectOf, migrateDatabase, sqlitePath } from "sess/migrate";
import { MySQLStore } from "sess/stores/mysql";
import { PostgresStore } from "sess/stores/postgres";
import { RedisStore } from "sess/stores/redis";
import { SQLiteStore } from "sess/stores/sqlite";
import { model } from "./src/generated/session.ts";

/** An open store and how to release it. */
export interface DemoStore {
	store: Store;
	/** Migrations applied at start (SQL engines only). */
	applied: string[];
	close(): Promise<void>;
}

/**
 * Opens the store `SESS_DB` names: a SQLite path, `postgres://…`, `mysql://…` or `redis://…`.
 * SQL tables come from the generated migrations, applied here by the same code as `sess migrate`.
 */
export async function openDemoStore(db: string, migrationsRoot: string): Promise<DemoStore> {
	if (/^rediss?:\/\//i.test(db)) {
		const store = new RedisStore(db, { table: model.table });
		return { store, applied: [], close: () => store.close() };
	}
	const { applied } = await migrateDatabase(db, migrationsRoot);
	const dialect = dialectOf(db);
	if (dialect === "postgres") {
		const store = new PostgresStore(db, { table: model.table });
		return { store, applied, close: () => store.close() };
	}
	if (dialect === "mysql") {
		const store = new MySQLStore(db, { table: model.table });
		return { store, applied, close: () => store.close() };
	}
	const database = new Database(sqlitePath(db));
	const store = new SQLiteStore(database, { table: model.table });
	return {
		store,
		applied,
		close: async () => {
			store.close();
			database.close();
		},
	};
}
