// The demo app in-process on every engine (memory, SQLite, PostgreSQL, MySQL, Redis) and in both modes,
// for tests that speak to its routes the way a browser does. Each engine gets its own scratch database,
// file or key prefix, removed afterwards; a server that is down skips its engine, except in CI.
import type { RedisClient } from "bun";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDemoRoutes, notFound } from "../../examples/demo/app.ts";
import { createSessions, model, type Sessions } from "../../examples/demo/src/generated/session.ts";
import { migrateDatabase } from "../../generator/database.ts";
import type { SessionEvent } from "../../src/events.ts";
import type { Store } from "../../src/store.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { MySQLStore } from "../../src/stores/mysql.ts";
import { PostgresStore } from "../../src/stores/postgres.ts";
import { RedisStore } from "../../src/stores/redis.ts";
import { SQLiteStore } from "../../src/stores/sqlite.ts";
import { fakeClock, newKey, type FakeClock } from "../helpers/harness.ts";
import { createScratchDatabase, deleteRedisPrefix, scratchPrefix } from "../helpers/scratch-database.ts";
import { REDIS_URL, redisReachable } from "../helpers/servers.ts";
import { serverUrl } from "../helpers/sql-servers.ts";

export const ENGINES = ["memory", "sqlite", "postgres", "mysql", "redis"] as const;
export type Engine = (typeof ENGINES)[number];

const MIGRATIONS = join(import.meta.dir, "..", "..", "examples", "demo", "migrations");

/** A store of one engine holding the demo's table, and how to remove everything it made. */
export interface OpenedEngine {
	store: Store;
	close(): Promise<void>;
}

/** Whether `engine`'s server answers; off CI a missing server skips that engine's tests. */
export async function engineAvailable(engine: Engine): Promise<boolean> {
	if (engine === "postgres" || engine === "mysql") return (await serverUrl(engine)) !== undefined;
	if (engine === "redis") return redisReachable();
	return true;
}

/** Skip an engine only off CI: in CI an unreachable server fails its tests instead of hiding them. */
export async function skipEngine(engine: Engine): Promise<boolean> {
	return !(await engineAvailable(engine)) && process.env["CI"] !== "true";
}

/** Opens the demo's store on `engine`, its table made by the demo's committed migrations (as `sess migrate` does). */
export async function openEngine(engine: Engine): Promise<OpenedEngine> {
	switch (engine) {
		case "memory":
			return { store: new MemoryStore(), close: async () => undefined };
		case "sqlite": {
			const dir = mkdtempSync(join(tmpdir(), "sess-engine-"));
			const file = join(dir, "demo.db");
			await migrateDatabase(file, MIGRATIONS);
			const db = new Database(file);
			return {
				store: new SQLiteStore(db, { table: model.table }),
				close: async () => {
					db.close();
					rmSync(dir, { recursive: true, force: true });
				},
			};
		}
		case "postgres":
		case "mysql": {
			const admin = await serverUrl(engine);
			if (admin === undefined) throw new Error(`${engine} is unreachable, and in CI it must be up`);
			const scratch = await createScratchDatabase(engine, admin, "demo_engine");
			await migrateDatabase(scratch.url, MIGRATIONS);
			const store = engine === "postgres" ? new PostgresStore(scratch.url, { table: model.table }) : new MySQLStore(scratch.url, { table: model.table });
			return {
				store,
				close: async () => {
					await store.close();
					await scratch.drop();
				},
			};
		}
		case "redis": {
			const client: RedisClient = new Bun.RedisClient(REDIS_URL, { maxRetries: 3, connectionTimeout: 2000 });
			const prefix = scratchPrefix("engine");
			return {
				store: new RedisStore(client, { table: model.table, prefix }),
				close: async () => {
					await deleteRedisPrefix(REDIS_URL, prefix);
					client.close();
				},
			};
		}
	}
}

/** The demo's routes over one store, in one mode, with a fake clock and every event kept. */
export interface DemoApp {
	sessions: Sessions;
	clock: FakeClock;
	events: SessionEvent[];
	/** Routes a request as `Bun.serve({ routes: createDemoRoutes(sessions), fetch: notFound })` would. */
	handle(request: Request): Promise<Response>;
}

type RouteTable = Record<string, Record<string, (request: Request) => Promise<Response>>>;

/** The demo app in `mode` over `store`. */
export function demoApp(store: Store, mode: "store" | "sealed"): DemoApp {
	const clock = fakeClock();
	const events: SessionEvent[] = [];
	const common = { keys: [newKey()], now: clock.now, onEvent: (e: SessionEvent) => void events.push(e) };
	const sessions = mode === "sealed" ? createSessions({ ...common, mode: "sealed", revocations: store }) : createSessions({ ...common, store });
	// The demo's routes take no path parameters, so a plain Request stands in for Bun's BunRequest.
	const routes = createDemoRoutes(sessions) as unknown as RouteTable;
	return {
		sessions,
		clock,
		events,
		async handle(request) {
			const handler = routes[new URL(request.url).pathname]?.[request.method];
			return handler === undefined ? notFound() : handler(request);
		},
	};
}
