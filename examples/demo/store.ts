import { migrateDatabase } from "sess/migrate";
import { engineOf } from "sess/stores/location";
import { openStore, type OpenedStore } from "sess/stores/open";
import { model } from "./src/generated/session.ts";

/**
 * Opens the store `SESS_DB` names (a SQLite path, `postgres://…`, `mysql://…` or `redis://…`).
 * SQL tables come from the generated migrations, applied here by the same code as `sess migrate`.
 */
export async function openDemoStore(db: string, migrationsRoot: string): Promise<OpenedStore & { applied: string[] }> {
	const applied = engineOf(db) === "redis" ? [] : (await migrateDatabase(db, migrationsRoot)).applied;
	return { ...openStore(db, model.table), applied };
}
