import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { join } from "node:path";
import { applyMigrations, bunSQLTarget, readMigrationFolder, sqliteTarget, type MigrateOptions } from "./migrate.ts";
import type { Dialect } from "./migrations.ts";
import { ConfigError } from "../src/errors.ts";
import { engineOf, sqlitePath } from "../src/stores/location.ts";
import { explainDatabaseError } from "./database-failure.ts";

export { sqlitePath };

/** The URL schemes a `--db` / `SESS_DB` value may use; a bare path is a SQLite file. */
export const KNOWN_SCHEMES = ["postgres://", "postgresql://", "mysql://", "mariadb://", "redis://", "rediss://", "sqlite://", "file:"];

/** The scheme of a location that has one sess does not know (`mongodb:`), else undefined; never read as a file name. */
export function unknownScheme(db: string): string | undefined {
	const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(db)?.[1];
	return scheme !== undefined && !KNOWN_SCHEMES.some((k) => k.toLowerCase().startsWith(scheme.toLowerCase())) ? scheme : undefined;
}

/** Which SQL dialect a `--db` / `SESS_DB` value names (Redis has no migrations; an unknown scheme is refused). */
export function dialectOf(db: string): Dialect {
	const scheme = unknownScheme(db);
	if (scheme !== undefined) throw new ConfigError("invalid_config", `sess does not know the database scheme "${scheme}". Use a SQLite path (or sqlite://), postgres://, mysql:// (mariadb://) or redis://.`);
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
		// Connect before migrating, so an unreachable server is named as such (not as a failed migration).
		await sql`SELECT 1`.catch((error: unknown) => {
			throw explainDatabaseError(db, error);
		});
		return { dialect, ...(await applyMigrations(bunSQLTarget(sql, dialect), folder, SESS_MIGRATIONS)) };
	} finally {
		await sql.close();
	}
}
