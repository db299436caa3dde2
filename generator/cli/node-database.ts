// `sess migrate` and `sess prune` under Node, which has none of Bun's database clients: SQLite through
// node:sqlite (Node ≥ 22.13) or the app's better-sqlite3, PostgreSQL through the app's `pg`, MySQL and
// MariaDB through the app's `mysql2`. The drivers are the app's own (resolved from the folder the command
// runs in), so a server that never runs these commands never installs them. One connection per command.
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SessError } from "../../src/errors.ts";
import { sqlitePath } from "../../src/stores/location.ts";
import { explainDatabaseError } from "../database-failure.ts";
import type { MigrationTarget, SqlConnection, SqlParam } from "../migrate.ts";
import type { Dialect } from "../migrations.ts";

/** Rows of a statement, with how many rows it changed (0 for a query). */
export type NodeRows = Array<Record<string, unknown>> & { affectedRows: number };

/** One open database connection under Node. */
export interface NodeDatabase {
	readonly dialect: Dialect;
	/** Runs one statement (placeholders `$1` on PostgreSQL, `?` elsewhere). */
	query(sql: string, params?: readonly unknown[]): Promise<NodeRows>;
	/** Runs a chunk of a migration file as written. */
	exec(sql: string): Promise<void>;
	close(): Promise<void>;
}

/** The driver a command needs under Node is not there: `sess` hands the command to Bun if it can, else prints this. */
export class DriverMissingError extends Error {
	override name = "DriverMissingError";
	readonly code = "needs_driver";
}

/** Opens `db` (a SQLite path, `postgres://…`, `mysql://…`/`mariadb://…`) with a Node driver; `create` lets SQLite make the file. */
export async function openNodeDatabase(db: string, dialect: Dialect, command: string, create: boolean): Promise<NodeDatabase> {
	if (dialect === "sqlite") return openSQLite(sqlitePath(db), command, create);
	if (dialect === "postgres") return openPostgres(db, command);
	return openMySQL(db, command);
}

/** A migration target over one Node connection: a transaction is BEGIN … COMMIT on that connection. */
export function nodeMigrationTarget(database: NodeDatabase): MigrationTarget {
	const connection: SqlConnection = {
		query: (sql, params: readonly SqlParam[] = []) => database.query(sql, params),
		exec: (sql) => database.exec(sql),
	};
	return {
		dialect: database.dialect,
		...connection,
		transaction: async (fn) => {
			// IMMEDIATE takes SQLite's write lock before the last migration is read, so two migrators cannot both apply it.
			await database.exec(database.dialect === "sqlite" ? "BEGIN IMMEDIATE" : "BEGIN");
			try {
				const result = await fn(connection);
				await database.exec("COMMIT");
				return result;
			} catch (error) {
				await database.exec("ROLLBACK").catch(() => undefined);
				throw error;
			}
		},
	};
}

/** `import()` of a package installed in the app (the folder the command runs in), or undefined when it is not. */
async function fromApp(name: string): Promise<Record<string, unknown> | undefined> {
	let path: string;
	try {
		path = createRequire(join(process.cwd(), "package.json")).resolve(name);
	} catch {
		return undefined;
	}
	const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
	return (module["default"] as Record<string, unknown> | undefined) ?? module;
}

function rows(list: Array<Record<string, unknown>>, affected: number): NodeRows {
	return Object.assign(list, { affectedRows: affected });
}

function missing(command: string, engine: string, driver: string): DriverMissingError {
	return new DriverMissingError(
		`${command} on Node reaches ${engine} through the ${driver} package, which is not installed in this folder. Run \`npm install ${driver}\` here (or run \`bunx sess ${command} …\` with Bun).`,
	);
}

async function openSQLite(path: string, command: string, create: boolean): Promise<NodeDatabase> {
	type Statement = { all(...p: unknown[]): unknown[]; run(...p: unknown[]): { changes: number | bigint } };
	type Handle = { prepare(sql: string): Statement; exec(sql: string): void; close(): void };
	let handle: Handle;
	const builtIn = await nodeSQLite();
	try {
		if (builtIn !== undefined) {
			// The caller has checked that a file it must not create exists.
			handle = new builtIn(path) as Handle;
		} else {
			const BetterSqlite3 = (await fromApp("better-sqlite3")) as unknown as (new (path: string, options: object) => Handle) | undefined;
			if (BetterSqlite3 === undefined) {
				throw new DriverMissingError(
					`${command} on Node ${process.versions.node} needs a SQLite driver: node:sqlite comes with Node 22.13 and later, and better-sqlite3 is not installed in this folder. Run \`npm install better-sqlite3${Number(process.versions.node.split(".")[0]) < 22 ? "@12" : ""}\` here (or upgrade Node, or run \`bunx sess ${command} …\` with Bun).`,
				);
			}
			handle = new BetterSqlite3(path, create ? {} : { fileMustExist: true });
		}
	} catch (error) {
		if (error instanceof DriverMissingError) throw error;
		throw new SessError("not_migrated", `cannot open the SQLite file ${path} (${firstLine(error)}). Check the path; \`sess migrate --db ${path}\` creates it.`, { cause: error });
	}
	const database = handle;
	return {
		dialect: "sqlite",
		query: async (sql, params = []) => {
			const statement = database.prepare(sql);
			// A statement that returns no rows is run for its changes; one that does is read.
			if (/^\s*(select|pragma|with)\b/i.test(sql) || /\breturning\b/i.test(sql)) return rows(statement.all(...params) as Array<Record<string, unknown>>, 0);
			return rows([], Number(statement.run(...params).changes));
		},
		exec: async (sql) => database.exec(sql),
		close: async () => database.close(),
	};
}

type DatabaseSyncClass = new (path: string, options?: object) => unknown;

/** node:sqlite's DatabaseSync when this Node has it without a flag (22.13+), else undefined. */
async function nodeSQLite(): Promise<DatabaseSyncClass | undefined> {
	// Node prints "SQLite is an experimental feature" on first use; the user asked for a migration, not that.
	const emit = process.emitWarning;
	process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
		if (String(warning).includes("SQLite")) return;
		return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
	}) as typeof process.emitWarning;
	try {
		const module = (await import("node:sqlite" as string)) as { DatabaseSync?: DatabaseSyncClass };
		return module.DatabaseSync;
	} catch {
		return undefined;
	} finally {
		setTimeout(() => (process.emitWarning = emit), 0);
	}
}

async function openPostgres(db: string, command: string): Promise<NodeDatabase> {
	const pg = await fromApp("pg");
	const Client = pg?.["Client"] as (new (options: object) => PgClient) | undefined;
	if (Client === undefined) throw missing(command, "PostgreSQL", "pg");
	type PgClient = { connect(): Promise<void>; query(text: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>; end(): Promise<void>; on(event: string, fn: () => void): void };
	const client = new Client({ connectionString: db, connectionTimeoutMillis: 10_000 });
	// A server that goes away later emits "error" on the client; the failing query reports it.
	client.on("error", () => undefined);
	try {
		await client.connect();
	} catch (error) {
		await client.end().catch(() => undefined);
		throw explainDatabaseError(db, error);
	}
	return {
		dialect: "postgres",
		query: async (sql, params = []) => {
			const result = await client.query(sql, [...params]);
			return rows(result.rows ?? [], result.rowCount ?? 0);
		},
		exec: async (sql) => {
			await client.query(sql);
		},
		close: () => client.end(),
	};
}

async function openMySQL(db: string, command: string): Promise<NodeDatabase> {
	const mysql = await fromApp("mysql2/promise");
	const createConnection = mysql?.["createConnection"] as ((options: object) => Promise<MySQLConnection>) | undefined;
	if (createConnection === undefined) throw missing(command, "MySQL", "mysql2");
	type MySQLConnection = { query(text: string, params?: unknown[]): Promise<[unknown, unknown]>; end(): Promise<void>; on(event: string, fn: () => void): void };
	let connection: MySQLConnection;
	try {
		connection = await createConnection({ uri: db.replace(/^mariadb:/i, "mysql:"), multipleStatements: true, connectTimeout: 10_000 });
	} catch (error) {
		throw explainDatabaseError(db, error);
	}
	connection.on("error", () => undefined);
	return {
		dialect: "mysql",
		query: async (sql, params = []) => {
			const [result] = await connection.query(sql, [...params]);
			if (Array.isArray(result)) return rows(result as Array<Record<string, unknown>>, 0);
			return rows([], Number((result as { affectedRows?: number }).affectedRows ?? 0));
		},
		exec: async (sql) => {
			await connection.query(sql);
		},
		close: () => connection.end(),
	};
}

function firstLine(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).split("\n")[0]?.replace(/\.$/, "") ?? "";
}
