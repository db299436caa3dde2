import type { SQL } from "bun";
import { SQLServerStore, type SQLServerStoreOptions } from "./sql-server.ts";

/** Options of the MySQL/MariaDB store; the table itself comes from `sess migrate`, never from start-up code. */
export type MySQLStoreOptions = SQLServerStoreOptions;

/**
 * Sessions in MySQL or MariaDB (InnoDB) through Bun.SQL. Rotation and revocation run in a transaction;
 * compare-and-set is one `UPDATE … WHERE version = ?`. Works whether or not the client counts found rows.
 */
export class MySQLStore extends SQLServerStore {
	/**
	 * Uses a Bun.SQL client (which stays the caller's to close), or opens one from a `mysql://` or
	 * `mariadb://` URL, which `close()` then closes.
	 */
	constructor(sql: SQL | string, options: MySQLStoreOptions) {
		super("mysql", sql, options, /^(mysql|mariadb):\/\//i);
	}
}
