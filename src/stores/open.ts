import { Database } from "bun:sqlite";
import type { TableModel } from "../../schema/model.ts";
import { SessError } from "../errors.ts";
import type { Store } from "../store.ts";
import { engineOf, sqlitePath, type Engine } from "./location.ts";
import { MySQLStore } from "./mysql.ts";
import { PostgresStore } from "./postgres.ts";
import { RedisStore } from "./redis.ts";
import { SQLiteStore } from "./sqlite.ts";

/** A store opened from a location string, and how to release what was opened for it. */
export interface OpenedStore {
	store: Store;
	engine: Engine;
	close(): Promise<void>;
}

/**
 * Opens the store a location names: `postgres://…`, `mysql://…` (or `mariadb://`), `redis://…`, or a
 * SQLite file path (`sqlite://` and `file:` prefixes allowed). Tables must already exist (`sess migrate`).
 */
export function openStore(location: string, table: TableModel): OpenedStore {
	const engine = engineOf(location);
	if (engine !== "sqlite") {
		const store = engine === "redis" ? new RedisStore(location, { table }) : engine === "postgres" ? new PostgresStore(location, { table }) : new MySQLStore(location, { table });
		return { store, engine, close: () => store.close() };
	}
	const path = sqlitePath(location);
	let database: Database;
	try {
		// Never create the file: an app pointed at the wrong path should fail at start, not write an empty database.
		database = new Database(path, { readwrite: true, create: false });
	} catch (cause) {
		throw new SessError("not_migrated", `${path} does not exist. Run \`sess migrate --db ${path}\` to create it with the session table.`, { cause });
	}
	let store: SQLiteStore;
	try {
		store = new SQLiteStore(database, { table });
	} catch (error) {
		database.close();
		throw error;
	}
	return {
		store,
		engine: "sqlite",
		close: async () => {
			store.close();
			database.close();
		},
	};
}
