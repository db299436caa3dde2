import { join } from "node:path";
import { migrateDatabase } from "../database.ts";
import { fail, loadConfig, out, str, type Flags } from "./io.ts";

/** `sess migrate --db …`. */
export async function runMigrate(flags: Flags): Promise<void> {
	const db = str(flags, "db") ?? process.env.SESS_DB;
	if (db === undefined || db === "") fail("migrate needs --db <sqlite path | postgres://… | mysql://…> (or SESS_DB).", 2);
	const { root, config } = await loadConfig(flags);
	const { dialect, applied } = await migrateDatabase(db, join(root, config.migrations));
	out(applied.length === 0 ? `sess: ${dialect} database is up to date.` : `sess: applied ${applied.length} ${dialect} migration(s):\n${applied.map((t) => `  ${t}`).join("\n")}`);
}
