import { migrateDatabase } from "sess/migrate";
import { engineOf } from "sess/stores/location";
import { openStore, type OpenedStore } from "sess/stores/open";
import { RedisStore } from "sess/stores/redis";
import { model } from "./src/generated/session.ts";

/**
 * Opens the store `SESS_DB` names (a SQLite path, `postgres://…`, `mysql://…` or `redis://…`).
 * SQL tables come from the generated migrations, applied here by the same code as `sess migrate`.
 * `redisPrefix` (SESS_REDIS_PREFIX) keeps the demo's Redis keys apart from other apps on the same server.
 */
export async function openDemoStore(db: string, migrationsRoot: string, redisPrefix?: string): Promise<OpenedStore & { applied: string[] }> {
	if (engineOf(db) === "redis") {
		if (redisPrefix === undefined) return { ...openStore(db, model.table), applied: [] };
		const store = new RedisStore(db, { table: model.table, prefix: redisPrefix });
		return { store, engine: "redis", close: () => store.close(), applied: [] };
	}
	// Migrate first: the store prepares its statements against the table when it opens.
	const { applied } = await migrateDatabase(db, migrationsRoot);
	return { ...openStore(db, model.table), applied };
}
