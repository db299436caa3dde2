import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { join } from "node:path";
import { applyMigrations, bunSQLTarget, readMigrationFolder, sqliteTarget, type MigrateOptions } from "./migrate.ts";
import type { Dialect } from "./migrations.ts";

/** Which dialect a `--db` / `SESS_DB` value names: a `postgres://` or `mysql://` URL, else a SQLite file path. */
export function dialectOf(db: string): Dialect {
	if (/^postgres(ql)?:\/\//i.test(db)) return "postgres";
	if (/^(mysql|mariadb):\/\//i.test(db)) return "mysql";
	return "sqlite";
}

/** SQLite path of a `--db` value (`sqlite://file.db`, `file:file.db` or a bare path). */
export function sqlitePath(db: string): string {
	return db.replace(/^sqlite:\/\//i, "").replace(/^file:/i, "");
}

/**
 * sess records its migrations in a table of its own: drizzle's migrator treats a migration as applied
 * when any newer one is recorded, so sharing the app's `__drizzle_migrations` would silently skip ours.
 */
export const SESS_MIGRATIONS: MigrateOptions = { migrationsTable: "__sess_migrations" };

/** Applies pending migrations from `<migrationsRoot>/<dialect>` to the database; the same code `sess migrate` runs. */
export async function migrateDatabase(db: string, migrationsRoot: string): Promise<{ dialect: Dialect; applied: string[] }> {
	const dialect = dialectOf(db);
	const folder = await readMigrationFolder(join(migrationsRoot, dialect));
	if (dialect === "sqlite") {
		const database = new Database(sqlitePath(db), { create: true });
		try {
			database.run("PRAGMA journal_mode = WAL");
			return { dialect, ...(await applyMigrations(sqliteTarget(database), folder, SESS_MIGRATIONS)) };
		} finally {
			database.close();
		}
	}
	const sql = new SQL(db.replace(/^mariadb:/i, "mysql:"));
	try {
		return { dialect, ...(await applyMigrations(bunSQLTarget(sql, dialect), folder, SESS_MIGRATIONS)) };
	} finally {
		await sql.close();
	}
}
