// The local PostgreSQL and MySQL servers the store tests run against, and throwaway session tables on them.
import type { SQL } from "bun";
import type { ColumnModel, TableModel } from "../../schema/model.ts";
import { applyMigrations, bunSQLTarget } from "../../generator/migrate.ts";
import { generateMigrations } from "../../generator/migrations.ts";
import type { ServerDialect } from "../../src/stores/sql-dialect.ts";
import { reachable } from "../generator/migration-fixtures.ts";

// Where the suites connect to create their own databases (never to hold test data): an env URL
// (the README's overrides) is tried before the local defaults, which name databases every server has.
const CANDIDATES: Record<ServerDialect, { env: string; urls: string[] }> = {
	postgres: { env: "SESS_TEST_POSTGRES_URL", urls: ["postgres://postgres@127.0.0.1:5432/postgres", "postgres://root@127.0.0.1:5432/postgres"] },
	mysql: { env: "SESS_TEST_MYSQL_URL", urls: ["mysql://root@127.0.0.1:3306/mysql"] },
};

/** The admin URL of a reachable server of `dialect` (for createScratchDatabase), or `undefined`. */
export async function serverUrl(dialect: ServerDialect): Promise<string | undefined> {
	const { env, urls } = CANDIDATES[dialect];
	const fromEnv = process.env[env];
	return reachable(fromEnv === undefined || fromEnv === "" ? urls : [fromEnv, ...urls]);
}

/** Skip a server's tests only off CI: in CI an unreachable server must fail them, not hide them. */
export function skipWithout(url: string | undefined): boolean {
	return url === undefined && process.env["CI"] !== "true";
}

/** The URL, or the error a CI run without the server fails with. */
export function requireUrl(dialect: ServerDialect, url: string | undefined): string {
	if (url === undefined) throw new Error(`${dialect} is unreachable, and in CI it must be up`);
	return url;
}

/** A random lowercase hex suffix, so parallel runs never share a table. */
export function randomSuffix(): string {
	return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A session table created by the generated migrations, as `sess migrate` would, and how to empty and drop it. */
export interface ThrowawayTable {
	table: TableModel;
	/** Deletes every row, between tests. */
	clear(): Promise<void>;
	/** Drops the table and what the migrator recorded. */
	drop(): Promise<void>;
}

/** The conformance suite's promoted column. */
export const USER_ID: ColumnModel = { name: "user_id", field: "userId", type: "text", maxLength: 64 };

/** Creates `sess_conf_<hex>` with `columns` through generateMigrations + applyMigrations, recording into its own journal. */
export async function throwawayTable(sql: SQL, dialect: ServerDialect, columns: ColumnModel[] = [USER_ID]): Promise<ThrowawayTable> {
	const suffix = randomSuffix();
	const table: TableModel = { name: `sess_conf_${suffix}`, columns };
	const options = { migrationsTable: `__sess_test_${suffix}`, migrationsSchema: `sess_test_${suffix}` };
	const files = await generateMigrations(table, dialect, { files: new Map() }, Date.now());
	await applyMigrations(bunSQLTarget(sql, dialect), { files: new Map(files.map((f) => [f.path, f.contents])) }, options);
	const q = (name: string): string => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
	return {
		table,
		clear: async () => {
			await sql.unsafe(dialect === "mysql" ? `DELETE FROM ${q(table.name)}` : `TRUNCATE ${q(table.name)}`);
		},
		drop: async () => {
			await sql.unsafe(`DROP TABLE IF EXISTS ${q(table.name)}`);
			if (dialect === "postgres") await sql.unsafe(`DROP SCHEMA IF EXISTS ${q(options.migrationsSchema)} CASCADE`);
			else await sql.unsafe(`DROP TABLE IF EXISTS ${q(options.migrationsTable)}`);
		},
	};
}
