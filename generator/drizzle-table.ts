import type { MySqlColumnBuilderBase } from "drizzle-orm/mysql-core";
import type { PgColumnBuilderBase } from "drizzle-orm/pg-core";
import type { SQLiteColumnBuilderBase } from "drizzle-orm/sqlite-core";
import type { TableModel } from "../schema/model.ts";
import { SchemaError } from "../src/errors.ts";
import type { Dialect } from "./migrations.ts";

/** The storage kind of one session-table column; each dialect maps it to its own SQL type. */
export type ColumnKind = "id" | "int32" | "millis" | "blob" | "text" | "integer" | "boolean";

/** One column of the session table, dialect-neutral. */
export interface ColumnPlan {
	name: string;
	kind: ColumnKind;
	notNull: boolean;
	primaryKey: boolean;
	indexed: boolean;
	/** For promoted text columns: the VARCHAR length PostgreSQL and MySQL use. */
	maxLength?: number;
}

// PostgreSQL silently truncates longer identifiers, which would make every later diff see a rename.
const MAX_IDENTIFIER = 63;
// InnoDB index keys are at most 3072 bytes, and utf8mb4 reserves 4 bytes per character.
const MYSQL_MAX_INDEXED_VARCHAR = 768;

/** The columns of the session table: the fixed ones the stores rely on, then each promoted column. */
export function sessionColumns(table: TableModel, dialect: Dialect): ColumnPlan[] {
	const fixed = (name: string, kind: ColumnKind, extra: Partial<ColumnPlan> = {}): ColumnPlan => ({
		name,
		kind,
		notNull: true,
		primaryKey: false,
		indexed: false,
		...extra,
	});
	const columns: ColumnPlan[] = [
		fixed("id", "id", { primaryKey: true }),
		fixed("successor_id", "id", { notNull: false, indexed: true }),
		fixed("version", "int32"),
		fixed("data", "blob"),
		fixed("created_at", "millis"),
		fixed("rotated_at", "millis"),
		fixed("last_seen_at", "millis"),
		fixed("idle_expires_at", "millis", { indexed: true }),
		fixed("absolute_expires_at", "millis"),
	];
	const taken = new Set(columns.map((c) => c.name));
	for (const column of table.columns) {
		if (taken.has(column.name)) {
			throw new SchemaError(
				"unsupported_schema",
				`Column "${column.name}" (field "${column.field}") clashes with another column of table "${table.name}"; give the field a different column name.`,
			);
		}
		taken.add(column.name);
		const plan: ColumnPlan = { name: column.name, kind: column.type, notNull: false, primaryKey: false, indexed: true };
		if (column.type === "text" && column.maxLength !== undefined) plan.maxLength = column.maxLength;
		if (dialect === "mysql" && column.type === "text") checkMySQLVarchar(table.name, column.name, column.maxLength);
		columns.push(plan);
	}
	if (dialect !== "sqlite") {
		for (const name of [table.name, ...columns.filter((c) => c.indexed).map((c) => indexName(table.name, c.name))]) {
			if (name.length > MAX_IDENTIFIER) {
				throw new SchemaError(
					"unsupported_schema",
					`SQL name "${name}" is longer than ${MAX_IDENTIFIER} characters; choose a shorter table or column name.`,
				);
			}
		}
	}
	return columns;
}

/** The name of the index on one session-table column. */
export function indexName(table: string, column: string): string {
	return `${table}_${column}_idx`;
}

function checkMySQLVarchar(table: string, column: string, maxLength: number | undefined): void {
	if (maxLength === undefined || maxLength > MYSQL_MAX_INDEXED_VARCHAR) {
		throw new SchemaError(
			"unsupported_schema",
			`MySQL can only index column "${table}.${column}" as a VARCHAR of at most ${MYSQL_MAX_INDEXED_VARCHAR} characters; give its string field a .max(n) with n <= ${MYSQL_MAX_INDEXED_VARCHAR}.`,
		);
	}
}

/** A drizzle table object for the session table, keeping only the columns `include` accepts. */
export async function buildDrizzleTable(
	table: TableModel,
	dialect: Dialect,
	include: (column: string) => boolean = () => true,
): Promise<unknown> {
	const columns = sessionColumns(table, dialect).filter((c) => include(c.name));
	switch (dialect) {
		case "sqlite":
			return sqliteTable(table.name, columns);
		case "postgres":
			return pgTable(table.name, columns);
		case "mysql":
			return mysqlTable(table.name, columns);
	}
}

async function sqliteTable(name: string, columns: ColumnPlan[]): Promise<unknown> {
	const s = await import("drizzle-orm/sqlite-core");
	const builders: Record<string, SQLiteColumnBuilderBase> = {};
	for (const c of columns) {
		const b =
			c.kind === "id" || c.kind === "text"
				? s.text(c.name)
				: c.kind === "blob"
					? s.blob(c.name, { mode: "buffer" })
					: c.kind === "boolean"
						? s.integer(c.name, { mode: "boolean" })
						: s.integer(c.name);
		builders[c.name] = c.primaryKey ? b.primaryKey() : c.notNull ? b.notNull() : b;
	}
	return s.sqliteTable(name, builders, (t) =>
		columns.filter((c) => c.indexed).map((c) => s.index(indexName(name, c.name)).on(column(t, c.name))),
	);
}

async function pgTable(name: string, columns: ColumnPlan[]): Promise<unknown> {
	const p = await import("drizzle-orm/pg-core");
	// drizzle-orm 0.45 has no bytea builder.
	const bytea = p.customType<{ data: Uint8Array }>({ dataType: () => "bytea" });
	const builders: Record<string, PgColumnBuilderBase> = {};
	for (const c of columns) {
		const b =
			c.kind === "id"
				? p.text(c.name)
				: c.kind === "text"
					? c.maxLength === undefined
						? p.text(c.name)
						: p.varchar(c.name, { length: c.maxLength })
					: c.kind === "blob"
						? bytea(c.name)
						: c.kind === "boolean"
							? p.boolean(c.name)
							: c.kind === "int32"
								? p.integer(c.name)
								: p.bigint(c.name, { mode: "number" });
		builders[c.name] = c.primaryKey ? b.primaryKey() : c.notNull ? b.notNull() : b;
	}
	return p.pgTable(name, builders, (t) =>
		columns.filter((c) => c.indexed).map((c) => p.index(indexName(name, c.name)).on(column(t, c.name))),
	);
}

async function mysqlTable(name: string, columns: ColumnPlan[]): Promise<unknown> {
	const m = await import("drizzle-orm/mysql-core");
	// drizzle-orm 0.45 has no BLOB builders; MEDIUMBLOB holds up to 16 MiB.
	const mediumblob = m.customType<{ data: Uint8Array }>({ dataType: () => "mediumblob" });
	const builders: Record<string, MySqlColumnBuilderBase> = {};
	for (const c of columns) {
		const b =
			c.kind === "id"
				? m.varchar(c.name, { length: 64 })
				: c.kind === "text"
					? // VARBINARY, not VARCHAR: MySQL's and MariaDB's text collations (utf8mb4_bin included) fold
						// case or accents or ignore trailing spaces, so `ann`, `ANN` and `ann ` would be one identity
						// to list() and revoke(). Bytes compare exactly; 4 bytes per utf8mb4 character.
						m.varbinary(c.name, { length: 4 * (c.maxLength ?? MYSQL_MAX_INDEXED_VARCHAR) })
					: c.kind === "blob"
						? mediumblob(c.name)
						: c.kind === "boolean"
							? m.boolean(c.name)
							: c.kind === "int32"
								? m.int(c.name)
								: m.bigint(c.name, { mode: "number" });
		builders[c.name] = c.primaryKey ? b.primaryKey() : c.notNull ? b.notNull() : b;
	}
	return m.mysqlTable(name, builders, (t) =>
		columns.filter((c) => c.indexed).map((c) => m.index(indexName(name, c.name)).on(column(t, c.name))),
	);
}

function column<T>(columns: Record<string, T>, name: string): T {
	const found = columns[name];
	if (found === undefined) throw new Error(`unreachable: column ${name} was not built`);
	return found;
}
