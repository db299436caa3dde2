import type { SQL } from "bun";
import { SQLServerStore, type SQLServerStoreOptions } from "./sql-server.ts";

/** Options of the PostgreSQL store; the table itself comes from `sess migrate`, never from start-up code. */
export type PostgresStoreOptions = SQLServerStoreOptions;

/**
 * Sessions in PostgreSQL through Bun.SQL. Rotation and revocation run in a transaction; compare-and-set
 * is one `UPDATE … WHERE version = $n`, whose row lock makes concurrent writers wait and then fail the check.
 */
export class PostgresStore extends SQLServerStore {
	/**
	 * Uses a Bun.SQL client (which stays the caller's to close), or opens one from a `postgres://` URL,
	 * which `close()` then closes.
	 */
	constructor(sql: SQL | string, options: PostgresStoreOptions) {
		super("postgres", sql, options, /^postgres(ql)?:\/\//i);
	}
}
