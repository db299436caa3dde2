import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { join } from "node:path";
import { applyMigrations, bunSQLTarget, readMigrationFolder, sqliteTarget, type MigrateOptions } from "./migrate.ts";
import type { Dialect } from "./migrations.ts";
import { ConfigError } from "../src/errors.ts";
import { engineOf, sqlitePath } from "../src/stores/location.ts";

export { sqlitePath };

/** Which SQL dialect a `--db` / `SESS_DB` value names (Redis has no migrations). */
export function dialectOf(db: string): Dialect {
	const engine = engineOf(db);
	if (engine === "redis") throw new ConfigError("invalid_config", "Redis needs no migrations; `sess migrate` applies to SQLite, PostgreSQL and MySQL.");
	return engine;
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
