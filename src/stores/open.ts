import { Database } from "bun:sqlite";
import type { TableModel } from "../../schema/model.ts";
import { ConfigError, SessError } from "../errors.ts";
import type { Store } from "../store.ts";
import { engineOf, sqlitePath, unknownScheme, type Engine } from "./location.ts";
import { MySQLStore } from "./mysql.ts";
import { PostgresStore } from "./postgres.ts";
import { PostgresReplicaStore } from "./postgres-replica.ts";
import { RedisStore } from "./redis.ts";
import { SQLiteStore } from "./sqlite.ts";

/** A store opened from a location string, and how to release what was opened for it. */
export interface OpenedStore {
	store: Store;
	engine: Engine;
	close(): Promise<void>;
}

/** How to open a store beyond its location. */
export interface OpenOptions {
	/** A `postgres://` URL of a streaming replica of the `postgres://` location: reads go there, writes to the location. */
	read?: string | undefined;
}

/**
 * Opens the store a location names: `postgres://…`, `mysql://…` (or `mariadb://`), `redis://…`, or a
 * SQLite file path (`sqlite://` and `file:` prefixes allowed). Tables must already exist (`sess migrate`):
 * the table and its columns are checked here, so an unmigrated database fails at start with
 * `NotMigratedError` (code `not_migrated`), on every SQL engine, rather than at the first request.
 */
export async function openStore(location: string, table: TableModel, options: OpenOptions = {}): Promise<OpenedStore> {
	const scheme = unknownScheme(location);
	if (scheme !== undefined) {
		throw new ConfigError("invalid_config", `the store location uses the scheme "${scheme}", which sess does not know (it is never taken for a SQLite file). Use a SQLite file path or a postgres://, mysql://, mariadb://, redis:// or redis-cluster:// URL.`);
	}
	const engine = engineOf(location);
	if (options.read !== undefined && options.read !== "") {
		if (engine !== "postgres" || engineOf(options.read) !== "postgres") {
			throw new ConfigError("invalid_config", "A read replica (SESS_DB_READ) works only with PostgreSQL: set both it and SESS_DB to postgres:// URLs, or unset it.");
		}
		const store = new PostgresReplicaStore(location, options.read, { table });
		// Fail at start, not on the first request, when the read server is no replica of the location or lacks the table.
		await checked(store, () => store.ready());
		return { store, engine, close: () => store.close() };
	}
	if (engine === "redis") {
		const store = new RedisStore(location, { table });
		await checked(store, () => store.check());
		return { store, engine, close: () => store.close() };
	}
	if (engine !== "sqlite") {
		const store = engine === "postgres" ? new PostgresStore(location, { table }) : new MySQLStore(location, { table });
		await checked(store, () => store.check());
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

/** Runs a store's start-up check; on failure closes what the store opened and rethrows. */
async function checked(store: { close(): Promise<void> }, check: () => Promise<void>): Promise<void> {
	try {
		await check();
	} catch (error) {
		await store.close().catch(() => undefined);
		throw error;
	}
}
