import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SQL } from "bun";
import type { Database } from "bun:sqlite";
import { SessError } from "../src/errors.ts";
import { readJournal } from "./journal.ts";
import type { Dialect, MigrationFolder } from "./migrations.ts";

/** A parameter of a migrator query. */
export type SqlParam = string | number;

/** One database connection, as the migrator needs it. */
export interface SqlConnection {
	/** Runs one statement with positional parameters (`$1` on PostgreSQL, `?` elsewhere) and returns its rows. */
	query(sql: string, params?: readonly SqlParam[]): Promise<Array<Record<string, unknown>>>;
	/** Runs one chunk of a migration file as written, without parameters. */
	exec(sql: string): Promise<void>;
}

/** A database the migrator can bring up to date; `transaction` runs `fn` on one connection and commits or rolls back. */
export interface MigrationTarget extends SqlConnection {
	readonly dialect: Dialect;
	transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T>;
}

/**
 * Where migrations are recorded; drizzle-orm's `migrate()` accepts the same two settings. Give sess its own
 * table when the app's drizzle migrations share the database: a migration counts as pending only while its
 * `when` exceeds the newest `created_at` in the table, whichever folder that row came from.
 */
export interface MigrateOptions {
	/** Defaults to `__drizzle_migrations`, as drizzle-orm's. */
	migrationsTable?: string;
	/** PostgreSQL only; defaults to `drizzle`, as drizzle-orm's. */
	migrationsSchema?: string;
}

/**
 * sess records its migrations in a table of its own: drizzle's migrator treats a migration as applied
 * when any newer one is recorded, so sharing the app's `__drizzle_migrations` would silently skip ours.
 */
export const SESS_MIGRATIONS: MigrateOptions = { migrationsTable: "__sess_migrations" };

interface Pending {
	tag: string;
	when: number;
	hash: string;
	statements: string[];
}

/**
 * Applies the folder's pending migrations in one transaction, recording them exactly as
 * drizzle-orm's migrators do, so either can take over from the other.
 */
export async function applyMigrations(
	db: MigrationTarget,
	files: MigrationFolder,
	options: MigrateOptions = {},
): Promise<{ applied: string[] }> {
	const migrations = readMigrations(db.dialect, files);
	const table = migrationsTable(db.dialect, options);
	const placeholder = (n: number): string => (db.dialect === "postgres" ? `$${n}` : "?");
	const insert = `INSERT INTO ${table} (${quote(db.dialect, "hash")}, ${quote(db.dialect, "created_at")}) VALUES (${placeholder(1)}, ${placeholder(2)})`;
	const lockName = `sess:${options.migrationsTable ?? "__drizzle_migrations"}`;
	let current: string | undefined;
	// Statements that ran before a failure: MySQL keeps those (DDL commits), so the user must look.
	let ran = 0;
	try {
		return await db.transaction(async (tx) => {
			// Serialise concurrent migrators (several app instances starting at once) before anything else,
			// as even CREATE ... IF NOT EXISTS fails when two run at the same time. SQLite's target begins
			// IMMEDIATE; MySQL commits after every DDL statement, so only a session-level lock holds throughout.
			if (db.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [lockName]);
			if (db.dialect === "mysql") {
				const [lock] = await tx.query("SELECT GET_LOCK(?, 60) AS got", [lockName]);
				if (Number(lock?.["got"]) !== 1) throw new Error(`another migrator held lock "${lockName}" for 60 s`);
			}
			try {
				if (db.dialect === "postgres") {
					await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${quote(db.dialect, options.migrationsSchema ?? "drizzle")}`);
				}
				await tx.exec(createTable(db.dialect, table));
				const rows = await tx.query(`SELECT hash, created_at FROM ${table}`);
				const lastWhen = rows.length === 0 ? undefined : Math.max(...rows.map((r) => Number(r["created_at"])));
				// A migration whose file is already recorded (one recorded per row: two files may hold the same
				// SQL) was applied under another stamp, e.g. before journals held real timestamps; re-stamp it so
				// drizzle's migrators, which compare stamps only, see the folder as applied too.
				const recorded = new Map<string, number>();
				for (const r of rows) recorded.set(String(r["hash"]), (recorded.get(String(r["hash"])) ?? 0) + 1);
				const applied: string[] = [];
				for (const m of migrations) {
					const copies = recorded.get(m.hash) ?? 0;
					if (copies > 0) {
						recorded.set(m.hash, copies - 1);
						if (lastWhen !== undefined && lastWhen < m.when) {
							await tx.query(`UPDATE ${table} SET ${quote(db.dialect, "created_at")} = ${placeholder(1)} WHERE ${quote(db.dialect, "hash")} = ${placeholder(2)}`, [m.when, m.hash]);
						}
						continue;
					}
					if (lastWhen !== undefined && !(lastWhen < m.when)) continue;
					current = m.tag;
					for (const statement of m.statements) {
						await tx.exec(statement);
						ran++;
					}
					await tx.query(insert, [m.hash, m.when]);
					applied.push(m.tag);
				}
				return { applied };
			} finally {
				// A failed release must not hide the real error; the lock dies with the connection anyway.
				if (db.dialect === "mysql") await tx.query("SELECT RELEASE_LOCK(?)", [lockName]).catch(() => undefined);
			}
		});
	} catch (cause) {
		if (cause instanceof SessError) throw cause;
		const where = current === undefined ? "" : ` in ${current}.sql`;
		const partial = db.dialect === "mysql" && ran > 0 ? ` MySQL cannot roll back DDL, and ${ran} statement(s) had already run: check the table before retrying.` : "";
		throw new SessError(
			"migration_failed",
			`Applying ${db.dialect} migrations failed${where}: ${(cause instanceof Error ? cause.message : String(cause)).split("\n")[0]?.replace(/\.$/, "")}.${partial} Fix the database or the migration, then run the migrator again.`,
			{ cause },
		);
	}
}

function readMigrations(dialect: Dialect, folder: MigrationFolder): Pending[] {
	const journal = readJournal(folder, dialect);
	if (journal === undefined) {
		throw new SessError(
			"migration_failed",
			"The migrations folder has no meta/_journal.json; generate migrations first, and check the folder path.",
		);
	}
	return journal.entries.map((entry) => {
		const text = folder.files.get(`${entry.tag}.sql`);
		if (text === undefined) {
			throw new SessError("migration_failed", `The journal lists ${entry.tag}.sql but the file is missing; restore it.`);
		}
		return {
			tag: entry.tag,
			when: entry.when,
			// drizzle-orm hashes the whole file, so the recorded hashes match either migrator's.
			hash: createHash("sha256").update(text).digest("hex"),
			statements: text.split("--> statement-breakpoint").filter((s) => s.trim() !== ""),
		};
	});
}

function migrationsTable(dialect: Dialect, options: MigrateOptions): string {
	const table = quote(dialect, options.migrationsTable ?? "__drizzle_migrations");
	return dialect === "postgres" ? `${quote(dialect, options.migrationsSchema ?? "drizzle")}.${table}` : table;
}

// The same DDL as drizzle-orm's dialects, so a table either one creates suits the other.
function createTable(dialect: Dialect, table: string): string {
	switch (dialect) {
		case "sqlite":
			return `CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`;
		case "postgres":
			return `CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`;
		case "mysql":
			return `create table if not exists ${table} (id serial primary key, hash text not null, created_at bigint)`;
	}
}

function quote(dialect: Dialect, name: string): string {
	return dialect === "mysql" ? `\`${name.replaceAll("`", "``")}\`` : `"${name.replaceAll('"', '""')}"`;
}

/** A migration target over a bun:sqlite database. */
export function sqliteTarget(db: Database): MigrationTarget {
	const connection: SqlConnection = {
		query: async (sql, params = []) => {
			const statement = db.prepare(sql);
			try {
				return statement.all(...params) as Array<Record<string, unknown>>;
			} finally {
				statement.finalize();
			}
		},
		exec: async (sql) => {
			db.run(sql);
		},
	};
	return {
		dialect: "sqlite",
		...connection,
		transaction: async (fn) => {
			// IMMEDIATE takes the write lock before the last migration is read, so two migrators cannot both apply it.
			db.run("BEGIN IMMEDIATE");
			try {
				const result = await fn(connection);
				db.run("COMMIT");
				return result;
			} catch (error) {
				if (db.inTransaction) db.run("ROLLBACK");
				throw error;
			}
		},
	};
}

/** A migration target over a Bun.SQL client for PostgreSQL or MySQL/MariaDB. */
export function bunSQLTarget(sql: SQL, dialect: "postgres" | "mysql"): MigrationTarget {
	const connection = (client: SQL): SqlConnection => ({
		query: async (text, params = []) => Array.from(await client.unsafe(text, [...params])),
		exec: async (text) => {
			await client.unsafe(text);
		},
	});
	return {
		dialect,
		...connection(sql),
		transaction: async (fn) => (await sql.begin((tx) => fn(connection(tx)))) as Awaited<ReturnType<typeof fn>>,
	};
}

/** Reads a dialect's migrations folder (`*.sql` and `meta/*.json`); a missing folder reads as empty. */
export async function readMigrationFolder(dir: string): Promise<MigrationFolder> {
	const files = new Map<string, string>();
	for (const [sub, extension] of [["", ".sql"], ["meta", ".json"]] as const) {
		let names: string[];
		try {
			names = await readdir(join(dir, sub));
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
			throw error;
		}
		for (const name of names.filter((n) => n.endsWith(extension)).sort()) {
			const path = sub === "" ? name : `${sub}/${name}`;
			files.set(path, await readFile(join(dir, path), "utf8"));
		}
	}
	return { files };
}
