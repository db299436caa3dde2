// DBSC over the real stores it is measured on: SQLite (a temp file with the demo's migrations) and
// Redis (a key prefix of its own, deleted at the end). Single use rests on each store's
// insert-if-absent; a marker expires with its challenge: SQLite's prune() removes it, Redis expires it.
// Redis skips when absent, except in CI (CI=true).
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase } from "../../generator/database.ts";
import { createSessions, model } from "../../examples/demo/src/generated/session.ts";
import type { Store } from "../../src/store.ts";
import { RedisStore } from "../../src/stores/redis.ts";
import { SQLiteStore } from "../../src/stores/sqlite.ts";
import { MINUTE, fakeClock, newKey } from "../helpers/harness.ts";
import { REDIS_URL, redisReachable } from "../helpers/servers.ts";
import { dbscApp } from "./app.ts";
import { DbscClient, readChallenge } from "./client.ts";

const dir = mkdtempSync(join(tmpdir(), "sess-dbsc-stores-"));
const redisUp = await redisReachable();
const prefix = `sess:test:dbsc:${crypto.randomUUID().replaceAll("-", "")}:`;
let redis: InstanceType<typeof Bun.RedisClient> | undefined;

afterAll(async () => {
	rmSync(dir, { recursive: true, force: true });
	if (redis !== undefined) {
		let cursor = "0";
		do {
			const [next, keys] = (await redis.send("SCAN", [cursor, "MATCH", `${prefix}*`, "COUNT", "1000"])) as [string, string[]];
			cursor = next;
			if (keys.length > 0) await redis.send("UNLINK", keys);
		} while (cursor !== "0");
		redis.close();
	}
});

const engines: { name: string; skip: boolean; open(): Promise<Store> }[] = [
	{
		name: "SQLite",
		skip: false,
		async open() {
			const path = join(dir, `${crypto.randomUUID()}.db`);
			await migrateDatabase(path, join(import.meta.dir, "..", "..", "examples", "demo", "migrations"));
			return new SQLiteStore(new Database(path), { table: model.table });
		},
	},
	{
		name: "Redis",
		skip: !redisUp && process.env.CI !== "true",
		async open() {
			redis ??= new Bun.RedisClient(REDIS_URL, { maxRetries: 3, connectionTimeout: 2000 });
			return new RedisStore(redis, { table: model.table, prefix });
		},
	},
];

for (const engine of engines) {
	describe.skipIf(engine.skip)(`DBSC on ${engine.name}`, () => {
		test("registration and refresh; a replayed proof and 10 parallel copies of one proof are used once", async () => {
			const store = await engine.open();
			const clock = fakeClock(Date.now());
			const sessions = createSessions({ store, keys: [newKey()], now: clock.now, dbsc: {} });
			const client = new DbscClient(dbscApp(sessions));
			const login = await client.login("alice");
			expect((await client.register(login.headers.get("secure-session-registration"))).status).toBe(200);
			expect((await client.refresh()).status).toBe(200);
			const challenge = readChallenge((await client.refreshWith(null)).headers.get("secure-session-challenge")).challenge;
			const proof = await client.refreshProof(challenge);
			const answers = await Promise.all(Array.from({ length: 10 }, () => client.refreshWith(proof)));
			expect(answers.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(403)]);
			expect((await client.refreshWith(proof)).status).toBe(403);
			expect(await (await client.send("/whoami")).json()).toEqual({ userId: "alice", bound: true });
			if (engine.name === "SQLite") {
				// Registration's marker and two refreshes' markers, gone once their challenges expire.
				clock.advance(2 * MINUTE);
				expect(await sessions.prune()).toBe(3);
			}
		});
	});
}
