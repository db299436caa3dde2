// The stores a history run can use, each made for the run and removed after it (a scratch database,
// a temporary SQLite file, or a Redis key prefix of its own): nothing else on the servers is touched.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createScratchDatabase, deleteRedisPrefix, scratchPrefix } from "../helpers/scratch-database.ts";
import { REDIS_URL, redisReachable, serverReachable } from "../helpers/servers.ts";
import { requireUrl, serverUrl } from "../helpers/sql-servers.ts";
import { clusterToolsPresent, startLocalCluster } from "../cluster/local-cluster.ts";
import { startReplica } from "../replica/replica-server.ts";

/** A store a run made for itself: the demo's environment for it, and how to remove it. */
export interface RunStore {
	env: Record<string, string>;
	drop(): Promise<void>;
}

export interface Engine {
	name: string;
	/** Rotation period and grace for a run, when the engine's writes are too slow for the default ones. */
	timing?: { everyMs: number; graceMs: number };
	/** Whether the store takes routed tokens only (forged cookies must be routed to reach it). */
	routed?: boolean;
	reachable(): Promise<boolean>;
	create(): Promise<RunStore>;
}

function serverEngine(name: "postgres" | "mysql", port: number): Engine {
	return {
		name,
		reachable: () => serverReachable(port),
		async create() {
			const scratch = await createScratchDatabase(name, requireUrl(name, await serverUrl(name)), "history");
			return { env: { SESS_DB: scratch.url }, drop: () => scratch.drop() };
		},
	};
}

/** Deletes every key under `prefix` (SCAN, never FLUSHDB: the database is shared). */
function deleteUnder(prefix: string): Promise<void> {
	return deleteRedisPrefix(REDIS_URL, prefix);
}

const redis: Engine = {
	name: "redis",
	reachable: () => redisReachable(),
	async create() {
		const prefix = scratchPrefix("history");
		return { env: { SESS_DB: REDIS_URL, SESS_REDIS_PREFIX: prefix }, drop: () => deleteUnder(prefix) };
	},
};

/** A Redis Cluster of six local processes made for the run (test/cluster/local-cluster.ts), stopped after it. */
const redisCluster: Engine = {
	name: "redis-cluster",
	reachable: async () => clusterToolsPresent(),
	async create() {
		const cluster = await startLocalCluster();
		// The hash tag keeps the table in one slot, as the store's scripts need.
		return { env: { SESS_DB: cluster.url, SESS_REDIS_PREFIX: `{${scratchPrefix("history")}}:` }, drop: () => cluster.stop() };
	},
};

/** The same, with the table spread over every slot by user (RedisSpreadStore): a user's sessions on the user's primary. */
const redisClusterSpread: Engine = {
	name: "redis-cluster-spread",
	routed: true,
	reachable: async () => clusterToolsPresent(),
	async create() {
		const cluster = await startLocalCluster();
		return { env: { SESS_DB: cluster.url, SESS_REDIS_PREFIX: `{${scratchPrefix("history")}}:`, SESS_REDIS_SPREAD: "user_id" }, drop: () => cluster.stop() };
	},
};

const sqlite: Engine = {
	name: "sqlite",
	reachable: async () => true,
	async create() {
		const dir = mkdtempSync(join(tmpdir(), "sess-history-"));
		return { env: { SESS_DB: join(dir, "history.db") }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
	},
};

export const ENGINES: Engine[] = [sqlite, serverEngine("postgres", 5432), serverEngine("mysql", 3306), redis, redisCluster, redisClusterSpread];

/**
 * PostgreSQL with a streaming replica made for the run (test/replica/replica-server.ts) that replays
 * `applyDelayMs` late: the demo writes to a scratch database on the primary (SESS_DB) and reads it on
 * the replica (SESS_DB_READ). Each write waits for the replica, so rotation and grace are seconds here.
 */
export function postgresReplicaEngine(applyDelayMs: number): Engine {
	return {
		name: "postgres-replica",
		timing: { everyMs: 3 * applyDelayMs, graceMs: 2.5 * applyDelayMs },
		reachable: () => serverReachable(5432),
		async create() {
			const admin = requireUrl("postgres", await serverUrl("postgres"));
			const scratch = await createScratchDatabase("postgres", admin, "history");
			const replica = await startReplica(admin, applyDelayMs).catch(async (error: unknown) => {
				await scratch.drop();
				throw error;
			});
			return {
				env: { SESS_DB: scratch.url, SESS_DB_READ: replica.url(scratch.name) },
				async drop() {
					await replica.stop();
					await scratch.drop();
				},
			};
		},
	};
}
