import { join, relative } from "node:path";
import { dialectOf } from "../database-scheme.ts";
import { readJournal } from "../journal.ts";
import { applyMigrations, readMigrationFolder, SESS_MIGRATIONS } from "../migrate.ts";
import type { Dialect } from "../migrations.ts";
import { readDatabaseFlag } from "./database-flag.ts";
import { fail, loadConfig, out, type Flags } from "./io.ts";

/** `sess migrate --db …`. */
export async function runMigrate(flags: Flags): Promise<void> {
	const db = readDatabaseFlag(flags, "migrate", "sqlite path | postgres://… | mysql://…");
	if (/^rediss?(-cluster)?:\/\//i.test(db)) {
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
	const { applied } = typeof Bun !== "undefined" ? await (await import("../database.ts")).migrateDatabase(db, join(root, config.migrations)) : await migrateOnNode(db, dialect, folder);
	out(applied.length === 0 ? `sess: ${dialect} database is up to date.` : `sess: applied ${applied.length} ${dialect} migration(s):\n${applied.map((t) => `  ${t}`).join("\n")}`);
}

/** The same migrator as under Bun, over the app's Node driver (generator/cli/node-database.ts). */
async function migrateOnNode(db: string, dialect: Dialect, folder: string): Promise<{ applied: string[] }> {
	const { nodeMigrationTarget, openNodeDatabase } = await import("./node-database.ts");
	const database = await openNodeDatabase(db, dialect, "migrate", true);
	try {
		if (dialect === "sqlite") await database.exec("PRAGMA journal_mode = WAL");
		return await applyMigrations(nodeMigrationTarget(database), await readMigrationFolder(folder), SESS_MIGRATIONS);
	} finally {
		await database.close().catch(() => undefined);
	}
}
