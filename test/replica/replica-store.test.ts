// PostgresReplicaStore against a real streaming replica of the local PostgreSQL, made for this file
// (test/replica/replica-server.ts): the Store conformance suite, then two "processes" (two managers,
// each with its own store and clients) sharing the primary and a replica that replays 1 s late.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { SQL } from "bun";
import { ConfigError, StoreUnavailableError } from "../../src/errors.ts";
import { openStore } from "../../src/stores/open.ts";
import { PostgresStore } from "../../src/stores/postgres.ts";
import { PostgresReplicaStore } from "../../src/stores/postgres-replica.ts";
import { ReplicaLagError } from "../../src/stores/postgres-replay.ts";
import { CookieJar, fakeClock, makeSessions, newKey, visit, type Harness } from "../helpers/harness.ts";
import { createScratchDatabase, type ScratchDatabase } from "../helpers/scratch-database.ts";
import { requireUrl, serverUrl, skipWithout, throwawayTable, type ThrowawayTable } from "../helpers/sql-servers.ts";
import { makeRow, storeId, testStore } from "../stores/conformance.ts";
import { startReplica, type Replica } from "./replica-server.ts";

const admin = await serverUrl("postgres");

describe.skipIf(skipWithout(admin))("PostgresReplicaStore on a streaming replica", () => {
	let scratch: ScratchDatabase | undefined;
	let replica: Replica | undefined;
	let primarySql: SQL;
	let replicaSql: SQL;
	let main: ThrowawayTable;
	const opened: PostgresReplicaStore[] = [];

	const ctx = (): { replica: Replica; scratch: ScratchDatabase } => {
		if (replica === undefined || scratch === undefined) throw new Error("the replica was not set up");
		return { replica, scratch };
	};
	/** A store as one app process has it: its own clients to both servers. */
	const processStore = (options: { maxLagMs?: number } = {}): PostgresReplicaStore => {
		const store = new PostgresReplicaStore(ctx().scratch.url, ctx().replica.url(ctx().scratch.name), { table: main.table, ...options });
		opened.push(store);
		return store;
	};

	beforeAll(async () => {
		const url = requireUrl("postgres", admin);
		scratch = await createScratchDatabase("postgres", url, "replica");
		replica = await startReplica(url, 0);
		primarySql = new Bun.SQL(scratch.url, { max: 4 });
		main = await throwawayTable(primarySql, "postgres");
		await replica.catchUp();
		replicaSql = new Bun.SQL(replica.url(scratch.name), { max: 4 });
	}, 60_000);

	afterAll(async () => {
		await Promise.all(opened.map((s) => s.close()));
		await replicaSql?.close();
		await primarySql?.close();
		await replica?.stop();
		await scratch?.drop();
	}, 60_000);

	describe("conformance (replica replaying as fast as it can)", () => {
		// One pair of clients for every test's store: a store per test must not open connections per test.
		testStore("PostgresReplicaStore", async () => ({
			store: new PostgresReplicaStore(primarySql, replicaSql, { table: main.table }),
			cleanup: async () => {
				await main.clear();
				await ctx().replica.catchUp();
			},
		}));
	});

	describe("two processes, the replica replaying 1 s late", () => {
		let a: Harness<PostgresReplicaStore>;
		let b: Harness<PostgresReplicaStore>;

		beforeAll(async () => {
			await main.clear();
			await ctx().replica.setApplyDelay(1000);
			const keys = [newKey()];
			const clock = fakeClock(Date.now());
			// Process A and process B: same keys and clock, separate stores and connections.
			a = makeSessions({ store: processStore(), keys, clock, rotation: { every: "5m", grace: "1m" } });
			b = makeSessions({ store: processStore(), keys, clock, rotation: { every: "5m", grace: "1m" } });
		}, 30_000);

		afterAll(async () => {
			await ctx().replica.setApplyDelay(0);
		}, 30_000);

		test("a login on A is found by B's next request, with its data", async () => {
			const jar = new CookieJar();
			await visit(a, jar, (s) => {
				s.userId = "u-create";
				s.cart = [1];
			});
			const seen = await visit(b, jar);
			expect(seen.session.isNew).toBe(false);
			expect(seen.session.userId).toBe("u-create");
			expect(seen.session.cart).toEqual([1]);
			expect(b.eventsOf("unknown_id")).toEqual([]);
		}, 30_000);

		test("a write on A is seen by B's next request (read-your-writes across processes)", async () => {
			const jar = new CookieJar();
			await visit(a, jar, (s) => {
				s.userId = "u-write";
			});
			for (let i = 1; i <= 3; i++) {
				const writer = i % 2 === 1 ? a : b;
				const reader = i % 2 === 1 ? b : a;
				await visit(writer, jar, (s) => {
					s.cart = [...s.cart, i];
				});
				expect((await visit(reader, jar)).session.cart).toEqual(Array.from({ length: i }, (_, k) => k + 1));
			}
		}, 30_000);

		test("a logout on A: B's very next request, with the cookie the logout was sent with, is logged out", async () => {
			const jar = new CookieJar();
			await visit(a, jar, (s) => {
				s.userId = "u-logout";
			});
			const stale = jar.clone();
			await visit(a, jar, (s) => s.destroy());
			const after = await visit(b, stale);
			expect(after.session.isNew).toBe(true);
			expect(after.session.userId).toBeUndefined();
			expect(b.eventsOf("unknown_id").length).toBeGreaterThan(0);
		}, 30_000);

		test("a revoke on A logs out every device of the user on B's next request", async () => {
			const phone = new CookieJar();
			const laptop = new CookieJar();
			for (const jar of [phone, laptop]) {
				await visit(a, jar, (s) => {
					s.userId = "u-revoke";
				});
			}
			expect(await a.sessions.revoke("userId", "u-revoke")).toBe(2);
			expect((await visit(b, phone.clone())).session.userId).toBeUndefined();
			expect((await visit(b, laptop.clone())).session.userId).toBeUndefined();
		}, 30_000);

		test("a rotation on A: B serves the new cookie and, inside the grace, the old one, both the same session", async () => {
			const jar = new CookieJar();
			await visit(a, jar, (s) => {
				s.userId = "u-rotate";
				s.cart = [7];
			});
			const old = jar.clone();
			a.clock.advance(6 * 60 * 1000); // past `every`, so A's next request rotates
			const rotated = await visit(a, jar);
			expect(rotated.setCookies.length).toBe(1);
			expect(jar.get()).not.toBe(old.get());
			const viaNew = await visit(b, jar);
			expect(viaNew.session.userId).toBe("u-rotate");
			expect(viaNew.setCookies).toEqual([]);
			// A write through the old cookie lands on the successor (not on a stale copy of the old row): the new cookie sees it.
			const viaOld = await visit(b, old, (s) => {
				s.cart = [...s.cart, 8];
			});
			expect(viaOld.session.userId).toBe("u-rotate");
			expect((await visit(a, jar)).session.cart).toEqual([7, 8]);
		}, 30_000);

		test("a login that regenerates the ID on A: B no longer serves the pre-login cookie", async () => {
			const jar = new CookieJar();
			await visit(a, jar, (s) => {
				s.cart = [1];
			});
			const anonymous = jar.clone();
			await visit(a, jar, (s) => {
				s.userId = "u-regenerate";
			});
			expect((await visit(b, anonymous)).session.userId).toBeUndefined();
			expect((await visit(b, jar)).session.userId).toBe("u-regenerate");
		}, 30_000);

		test("reads are served by the replica, and the counts say so", async () => {
			const before = b.store.stats();
			const jar = new CookieJar();
			await visit(a, jar, (s) => {
				s.userId = "u-stats";
			});
			for (let i = 0; i < 5; i++) expect((await visit(b, jar)).session.userId).toBe("u-stats");
			const after = b.store.stats();
			expect(after.replicaReads - before.replicaReads).toBe(5);
			// Reads alone never wait: only A's login did.
			expect(after.waits - before.waits).toBe(0);
		}, 30_000);

		test("the re-read after a lost compare-and-set waits for the winning write, so both concurrent writes land", async () => {
			const jar = new CookieJar();
			await visit(a, jar, (s) => {
				s.userId = "u-race";
				s.cart = [];
			});
			// Both load before either writes: the second writer's compare-and-set fails and it merges.
			const [sa, sb] = await Promise.all([a.sessions.load(jar.request()), b.sessions.load(jar.request())]);
			sa.update("cart", (cart) => [...cart, 1]);
			sb.update("cart", (cart) => [...cart, 2]);
			await Promise.all([a.sessions.commit(sa, new Response("ok")), b.sessions.commit(sb, new Response("ok"))]);
			expect([...a.eventsOf("concurrent_write"), ...b.eventsOf("concurrent_write")].length).toBe(1);
			const cart = (await visit(b, jar)).session.cart;
			expect([...cart].sort()).toEqual([1, 2]);
		}, 30_000);
	});

	describe("a replica that does not replay", () => {
		test("a write fails with ReplicaLagError, one line, and the stale replica is never trusted", async () => {
			const url = ctx().replica.url(ctx().scratch.name);
			const store = processStore({ maxLagMs: 300 });
			await store.create(makeRow("paused"));
			await replicaSql.unsafe("SELECT pg_wal_replay_pause()");
			try {
				const error = await store.destroy(storeId("paused")).then(() => null, (e: unknown) => e);
				expect(error).toBeInstanceOf(ReplicaLagError);
				expect(error).toBeInstanceOf(StoreUnavailableError);
				expect((error as ReplicaLagError).code).toBe("store_unavailable");
				expect((error as Error).message).not.toContain("\n");
				expect((error as Error).message).toMatch(/did not replay it within 300 ms/);
				// The replica still has the row: the failed (unacknowledged) logout is why no one was told it succeeded.
				expect(await new PostgresStore(replicaSql, { table: main.table }).get(storeId("paused"))).not.toBeNull();
				expect(url).toContain(String(ctx().replica.port));
			} finally {
				await replicaSql.unsafe("SELECT pg_wal_replay_resume()");
			}
			await ctx().replica.catchUp();
			expect(await store.get(storeId("paused"))).toBeNull();
		}, 30_000);
	});

	describe("set-up mistakes are refused with one line", () => {
		test("a read URL that is the primary itself", async () => {
			const store = new PostgresReplicaStore(ctx().scratch.url, ctx().scratch.url, { table: main.table });
			try {
				const error = await store.ready().then(() => null, (e: unknown) => e);
				expect(error).toBeInstanceOf(ConfigError);
				expect((error as Error).message).toMatch(/not a standby/);
				expect((error as Error).message).not.toContain("\n");
			} finally {
				await store.close();
			}
		});

		test("a primary role with synchronous_commit = off", async () => {
			// The setting comes with the connection: a URL option, as a role or database setting would give it.
			const url = new URL(ctx().scratch.url);
			url.searchParams.set("options", "-c synchronous_commit=off");
			const store = new PostgresReplicaStore(url.toString(), ctx().replica.url(ctx().scratch.name), { table: main.table });
			try {
				const error = await store.ready().then(() => null, (e: unknown) => e);
				expect(error).toBeInstanceOf(ConfigError);
				expect((error as Error).message).toMatch(/synchronous_commit = off/);
			} finally {
				await store.close();
			}
		});

		test("a read replica with a non-PostgreSQL SESS_DB, or a read URL that is not postgres://", async () => {
			await expect(openStore("mysql://root@127.0.0.1:3306/x", main.table, { read: "postgres://127.0.0.1/x" })).rejects.toThrow(ConfigError);
			await expect(openStore("postgres://127.0.0.1/x", main.table, { read: "mysql://127.0.0.1/x" })).rejects.toThrow(/works only with PostgreSQL/);
			expect(() => new PostgresReplicaStore("postgres://127.0.0.1/x", "redis://127.0.0.1", { table: main.table })).toThrow(/needs a postgres:\/\/ URL/);
		});
	});
});
