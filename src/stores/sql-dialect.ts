import type { TableModel } from "../../schema/model.ts";
import { SchemaError } from "../errors.ts";
import { updatedColumns } from "../store.ts";

/** The SQL servers sess reaches through Bun.SQL. */
export type ServerDialect = "postgres" | "mysql";

// Every session table has these, in insert order; promoted columns follow.
export const FIXED_COLUMNS: readonly string[] = [
	"id", "successor_id", "version", "data", "created_at", "rotated_at", "last_seen_at", "idle_expires_at", "absolute_expires_at",
	"handle", "device", "device_label", "network",
];

/** Rows deleted per prune statement, so no single statement holds its locks for long. */
export const PRUNE_BATCH = 500;

/** The statements that end every session whose promoted column holds a value, run in one transaction in this order. */
export interface RevokeStatements {
	/** Locks the matching live rows first, so a concurrent rotation waits and then fails instead of escaping. */
	lock: string;
	killAliases: string;
	/** Its affected rows are the number of sessions revoked. */
	killRows: string;
}

/** The statements filtering on one promoted column; `except` variants take the kept id as their last parameter. */
export interface ColumnStatements {
	list: string;
	/** Live sessions at a time (value, now, now), least recently seen first, locked for the rest of an `admit`. */
	live: string;
	revoke: { all: RevokeStatements; except: RevokeStatements };
}

/**
 * Every statement a SQL-server store runs on one table, built once. Placeholders are numbered in
 * order and never reused, so both dialects take the same parameter arrays.
 */
export interface SessionStatements {
	get: string;
	insert: string;
	/** One UPDATE per scope, keyed `${times}:${columns}`. */
	update: ReadonlyMap<string, string>;
	/** Reads back a row the update matched, for MySQL, which counts only rows it changed. */
	matches: string;
	touch: string;
	alias: string;
	kill: string;
	killAliases: string;
	destroy: string;
	/** Takes the lock of one limited value (its parameter, from `limitLockKey`) for an `admit`: transaction-scoped on PostgreSQL, released by `unlockValue` on MySQL. */
	lockValue: string;
	unlockValue: string;
	/** The row `admit` replaces, locked. */
	lockRow: string;
	/** A try-lock held by one pruning process (`pg_try_advisory_lock` / `GET_LOCK(…, 0)`) and its release. */
	pruneLock: string;
	pruneUnlock: string;
	/** Expired ids, read without locks: MySQL would lock every row a scan passes, live ones included. */
	pruneSelect: string;
	/** Deletes up to `PRUNE_BATCH` ids (padded by repeating one), re-checking the deadline a touch may have moved. */
	pruneDelete: string;
	columns: ReadonlyMap<string, ColumnStatements>;
}

// As schema/define.ts checks names; within both servers' limits and never needing escapes.
const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Builds the statements of `table` for `dialect`, refusing names `defineSession` would not produce. */
export function buildStatements(table: TableModel, dialect: ServerDialect): SessionStatements {
	const promoted = table.columns.map((c) => c.name);
	for (const name of [table.name, ...promoted]) {
		if (!SQL_NAME.test(name)) throw new SchemaError("unsupported_schema", `SQL name "${name}" must match ${SQL_NAME}.`);
	}
	for (const name of promoted) {
		if (FIXED_COLUMNS.includes(name)) throw new SchemaError("unsupported_schema", `Promoted column "${name}" clashes with a fixed column.`);
	}
	const q = (name: string): string => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
	const t = q(table.name);
	const all = [...FIXED_COLUMNS, ...promoted].map(q).join(", ");
	const live = `${q("successor_id")} IS NULL`;
	const emptyBytes = dialect === "mysql" ? "x''" : "''::bytea";
	const expired = `(${q("idle_expires_at")} <= ? OR ${q("absolute_expires_at")} <= ?)`;
	// Written with `?`, which no name or literal here contains; PostgreSQL gets them numbered.
	const statement = (text: string): string => {
		let n = 0;
		return dialect === "postgres" ? text.replaceAll("?", () => `$${++n}`) : text;
	};
	const columns = new Map<string, ColumnStatements>();
	for (const name of promoted) {
		const revoke = (except: boolean): RevokeStatements => {
			const where = (alias: string): string => {
				const c = (column: string): string => `${alias}${q(column)}`;
				return `${c(name)} = ? AND ${c("successor_id")} IS NULL${except ? ` AND ${c("id")} <> ?` : ""}`;
			};
			return {
				lock: statement(`SELECT ${q("id")} FROM ${t} WHERE ${where("")} FOR UPDATE`),
				killAliases: statement(
					// MySQL refuses a subquery on the table a DELETE writes; a self-join says the same.
					dialect === "mysql"
						? `DELETE a FROM ${t} AS a INNER JOIN ${t} AS s ON a.${q("successor_id")} = s.${q("id")} WHERE ${where("s.")}`
						: `DELETE FROM ${t} WHERE ${q("successor_id")} IN (SELECT ${q("id")} FROM ${t} WHERE ${where("")})`,
				),
				killRows: statement(`DELETE FROM ${t} WHERE ${where("")}`),
			};
		};
		columns.set(name, {
			list: statement(`SELECT ${all} FROM ${t} WHERE ${q(name)} = ? AND ${live}`),
			live: statement(
				`SELECT ${q("id")}, ${q("last_seen_at")}, ${q("created_at")} FROM ${t} WHERE ${q(name)} = ? AND ${live} ` +
					`AND ${q("idle_expires_at")} > ? AND ${q("absolute_expires_at")} > ? FOR UPDATE`,
			),
			revoke: { all: revoke(false), except: revoke(true) },
		});
	}
	return {
		get: statement(`SELECT ${all} FROM ${t} WHERE ${q("id")} = ?`),
		insert: statement(`INSERT INTO ${t} (${all}) VALUES (${[...FIXED_COLUMNS, ...promoted].map(() => "?").join(", ")})`),
		update: new Map(
			[true, false].flatMap((times) =>
				[true, false].map((cols) => [
					`${times}:${cols}`,
					statement(`UPDATE ${t} SET ${updatedColumns({ times, columns: cols }, promoted).map((c) => `${q(c)} = ?`).join(", ")} WHERE ${q("id")} = ? AND ${q("version")} = ? AND ${live}`),
				] as const),
			),
		),
		matches: statement(`SELECT 1 AS ${q("found")} FROM ${t} WHERE ${q("id")} = ? AND ${q("version")} = ? AND ${live}`),
		touch: statement(`UPDATE ${t} SET ${q("last_seen_at")} = ?, ${q("idle_expires_at")} = ? WHERE ${q("id")} = ? AND ${live}`),
		alias: statement(
			`UPDATE ${t} SET ${q("successor_id")} = ?, ${q("data")} = ${emptyBytes}, ${q("idle_expires_at")} = ? ` +
				`WHERE ${q("id")} = ? AND ${q("version")} = ? AND ${live}`,
		),
		kill: statement(`DELETE FROM ${t} WHERE ${q("id")} = ? AND ${q("version")} = ? AND ${live}`),
		killAliases: statement(`DELETE FROM ${t} WHERE ${q("successor_id")} = ?`),
		destroy: statement(`DELETE FROM ${t} WHERE ${q("id")} = ? OR ${q("successor_id")} = ?`),
		// Advisory locks: the row locks of the live sessions cannot stop a first login of a user who has none.
		lockValue: statement(dialect === "mysql" ? "SELECT GET_LOCK(?, 10) AS `got`" : `SELECT pg_advisory_xact_lock(?::bigint)`),
		unlockValue: statement(dialect === "mysql" ? "SELECT RELEASE_LOCK(?) AS `released`" : "SELECT 1"),
		pruneLock: statement(dialect === "mysql" ? "SELECT GET_LOCK(?, 0) AS `got`" : `SELECT pg_try_advisory_lock(?::bigint) AS "got"`),
		pruneUnlock: statement(dialect === "mysql" ? "SELECT RELEASE_LOCK(?) AS `released`" : `SELECT pg_advisory_unlock(?::bigint) AS "released"`),
		lockRow: statement(`SELECT ${q("version")}, ${q("successor_id")} FROM ${t} WHERE ${q("id")} = ? FOR UPDATE`),
		// Parameters (now, now, limit) on both. PostgreSQL ORs the two deadline indexes in one bitmap scan; MySQL's
		// optimizer may still scan the table for an OR, so each deadline gets a branch pinned to its index.
		pruneSelect: statement(
			dialect === "mysql"
				? `SELECT ${q("id")} FROM (` +
					`(SELECT ${q("id")} FROM ${t} FORCE INDEX (${q(`${table.name}_idle_expires_at_idx`)}) WHERE ${q("idle_expires_at")} <= ?) UNION ` +
					`(SELECT ${q("id")} FROM ${t} FORCE INDEX (${q(`${table.name}_absolute_expires_at_idx`)}) WHERE ${q("absolute_expires_at")} <= ?)) AS ${q("expired")} LIMIT ?`
				: `SELECT ${q("id")} FROM ${t} WHERE ${expired} LIMIT ?`,
		),
		pruneDelete: statement(
			`DELETE FROM ${t} WHERE ${q("id")} IN (${Array.from({ length: PRUNE_BATCH }, () => "?").join(", ")}) AND ${expired}`,
		),
		columns,
	};
}
