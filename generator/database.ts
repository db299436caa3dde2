import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { join } from "node:path";
import { applyMigrations, bunSQLTarget, readMigrationFolder, SESS_MIGRATIONS, sqliteTarget } from "./migrate.ts";
import type { Dialect } from "./migrations.ts";
import { sqlitePath } from "../src/stores/location.ts";
import { explainDatabaseError } from "./database-failure.ts";
import { dialectOf } from "./database-scheme.ts";

export { sqlitePath };
export { dialectOf, KNOWN_SCHEMES, unknownScheme } from "./database-scheme.ts";

export { SESS_MIGRATIONS };

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
