import { migrateDatabase } from "sess/migrate";
import { engineOf } from "sess/stores/location";
import { openStore, type OpenedStore } from "sess/stores/open";
import { RedisStore } from "sess/stores/redis";
import { RedisSpreadStore } from "sess/stores/redis-spread";
import { model } from "./src/generated/session.ts";

/**
 * Opens the store `SESS_DB` names (a SQLite path, `postgres://…`, `mysql://…`, `redis://…` or
 * `redis-cluster://host:port[,host:port…]`, seed nodes of a Redis Cluster).
 * SQL tables come from the generated migrations, applied here by the same code as `sess migrate`.
 * `redisPrefix` (SESS_REDIS_PREFIX) keeps the demo's Redis keys apart from other apps on the same server
 * (on a cluster it must hold a hash tag: `{myapp}:`). `SESS_REDIS_WAIT=1` holds each logout, revoke and
 * rotation until a replica has it (`waitForReplicas`). `SESS_REDIS_SPREAD=user_id` spreads the table over
 * every slot of a cluster by that column (RedisSpreadStore; the prefix's name, without braces, is the base).
 * `readDb` (SESS_DB_READ) names a streaming replica of a PostgreSQL `db` that serves the reads.
 */
export async function openDemoStore(db: string, migrationsRoot: string, redisPrefix?: string, readDb?: string): Promise<OpenedStore & { applied: string[] }> {
	if (engineOf(db) === "redis") {
		const wait = process.env["SESS_REDIS_WAIT"] ?? "";
		if (!/^\d*$/.test(wait)) throw new RangeError(`SESS_REDIS_WAIT must be a number of replicas, not "${wait}".`);
		const spread = process.env["SESS_REDIS_SPREAD"] ?? "";
		if (spread !== "") {
			const base = redisPrefix?.replace(/[{}]/g, "").replace(/:$/, "");
			const store = new RedisSpreadStore(db, { table: model.table, routeBy: spread, ...(base === undefined ? {} : { base }), waitForReplicas: Number(wait) });
			await checkedRedis(store);
			return { store, engine: "redis", close: () => store.close(), applied: [] };
		}
		if (redisPrefix === undefined && wait === "") return { ...(await openStore(db, model.table)), applied: [] };
		const store = new RedisStore(db, { table: model.table, ...(redisPrefix === undefined ? {} : { prefix: redisPrefix }), waitForReplicas: Number(wait) });
		await checkedRedis(store);
		return { store, engine: "redis", close: () => store.close(), applied: [] };
	}
	// Migrate first: the store prepares its statements against the table when it opens.
	const { applied } = await migrateDatabase(db, migrationsRoot);
	// openStore checks the table, and that SESS_DB_READ is a replica of SESS_DB, before it resolves: a bad setting fails at start.
	return { ...(await openStore(db, model.table, { read: readDb })), applied };
}

/** A Redis that does not answer stops the demo at start with one line, as openStore does for the default layout. */
async function checkedRedis(store: RedisStore | RedisSpreadStore): Promise<void> {
	try {
		await store.check();
	} catch (error) {
		await store.close();
		throw error;
	}
}
