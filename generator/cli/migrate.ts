import { join, relative } from "node:path";
import { dialectOf, migrateDatabase } from "../database.ts";
import { readJournal } from "../journal.ts";
import { readMigrationFolder } from "../migrate.ts";
import { readDatabaseFlag } from "./database-flag.ts";
import { fail, loadConfig, out, type Flags } from "./io.ts";

/** `sess migrate --db …`. */
export async function runMigrate(flags: Flags): Promise<void> {
	const db = readDatabaseFlag(flags, "migrate", "sqlite path | postgres://… | mysql://…");
	if (/^rediss?:\/\//i.test(db)) {
		fail("Redis needs no migrations: sessions are keys that expire by themselves. Use `sess migrate` for SQLite, PostgreSQL or MySQL only.", "no_migrations_needed", 2);
	}
	const dialect = dialectOf(db);
	const { root, config } = await loadConfig(flags);
	const folder = join(root, config.migrations, dialect);
	if (readJournal(await readMigrationFolder(folder), dialect) === undefined) {
		const generated = config.dialects.length === 0 ? "" : ` (this project generates ${config.dialects.join(", ")})`;
		fail(
			`there are no ${dialect} migrations in ${relative(process.cwd(), folder) || "."}${generated}. Run \`sess generate --dialect ${dialect}\`, and add "${dialect}" to dialects in sess.config.ts to keep them current.`,
			"no_migrations",
		);
	}
	const { applied } = await migrateDatabase(db, join(root, config.migrations));
	out(applied.length === 0 ? `sess: ${dialect} database is up to date.` : `sess: applied ${applied.length} ${dialect} migration(s):\n${applied.map((t) => `  ${t}`).join("\n")}`);
}
