import { afterAll, describe, expect, test } from "bun:test";
import type { RedisClient } from "bun";
import { model } from "../../examples/demo/src/generated/session.ts";
import type { TableModel } from "../../schema/model.ts";
import { RedisStore } from "../../src/stores/redis.ts";
import { CookieJar, MINUTE, makeSessions, visit } from "../helpers/harness.ts";
import { REDIS_URL, redisReachable } from "../helpers/servers.ts";
import { makeRow, storeId, testStore } from "./conformance.ts";

const T0 = makeRow(0).createdAt;
const reachable = await redisReachable();

let adminClient: RedisClient | undefined;
/** One client for the whole file, opened on first use; few retries, so a run in CI without Redis fails fast. */
function admin(): RedisClient {
	return (adminClient ??= new Bun.RedisClient(REDIS_URL, { maxRetries: 3, connectionTimeout: 2000 }));
}
afterAll(() => adminClient?.close());

/** Every key under `prefix` (test prefixes hold no glob characters), sorted. */
async function keysUnder(prefix: string): Promise<string[]> {
	const out: string[] = [];
	let cursor = "0";
	do {
		const [next, keys] = await admin().scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
		out.push(...keys);
		cursor = next;
	} while (cursor !== "0");
	return out.sort();
}

/** Deletes every key under `prefix`. */
async function wipe(prefix: string): Promise<void> {
	const keys = await keysUnder(prefix);
	if (keys.length > 0) await admin().del(...keys);
}

interface Opened {
	store: RedisStore;
	prefix: string;
	cleanup(): Promise<void>;
}

/** A store under a fresh `sess:test:<random>:` prefix on the shared client. */
async function open(table: TableModel = model.table): Promise<Opened> {
	const prefix = `sess:test:${crypto.randomUUID().replaceAll("-", "")}:`;
	return { store: new RedisStore(admin(), { table, prefix }), prefix, cleanup: () => wipe(prefix) };
}

/** Runs `fn` on a fresh store and wipes its keys afterwards. */
async function withStore(fn: (o: Opened) => Promise<void>, table?: TableModel): Promise<void> {
	const o = await open(table);
	try {
		await fn(o);
	} finally {
		await o.cleanup();
	}
}

// Outside CI a missing Redis skips; in CI it must run.
describe.skipIf(!reachable && process.env["CI"] !== "true")("RedisStore", () => {
	test(`Redis answers at ${REDIS_URL}`, () => {
		expect(reachable).toBe(true);
	});

	testStore("RedisStore", open);

	test("a committed session is one hash named by the hex SHA-256 id; the token appears in no key or value", () =>
		withStore(async ({ store, prefix }) => {
			const h = makeSessions({ store });
			const jar = new CookieJar();
			await visit(h, jar, (s) => {
				s.userId = "u1";
				s.cart = [1, 2];
			});
			const token = jar.token() ?? "";
			const id = jar.rowId() ?? "";
			expect(id).toMatch(/^[0-9a-f]{64}$/);
			expect(await keysUnder(prefix)).toEqual([`${prefix}d`, `${prefix}i:user_id:s:u1`, `${prefix}s:${id}`].sort());
			expect(await admin().send("TYPE", [`${prefix}s:${id}`])).toBe("hash");
			let dump = "";
			for (const key of await keysUnder(prefix)) {
				const type = (await admin().send("TYPE", [key])) as string;
				const value: unknown = type === "hash" ? await admin().hgetall(key) : type === "set" ? await admin().smembers(key) : await admin().send("ZRANGE", [key, "0", "-1"]);
				dump += `${key} ${JSON.stringify(value)}\n`;
			}
			expect(dump).not.toContain(token);
			expect((await visit(h, jar)).session.cart).toEqual([1, 2]);
		}));

	test("a row expires at its idle deadline (the absolute one when nearer), an alias at its grace deadline; every key has a TTL", () =>
		withStore(async ({ store, prefix }) => {
			const a = makeRow("a");
			await store.create(a);
			expect(await admin().pexpiretime(`${prefix}s:${a.id}`)).toBe(a.idleExpiresAt);
			const late = makeRow("late", { idleExpiresAt: T0 + 90_000, absoluteExpiresAt: T0 + 60_000 });
			await store.create(late);
			expect(await admin().pexpiretime(`${prefix}s:${late.id}`)).toBe(T0 + 60_000);
			expect(await store.rotate(a.id, 1, makeRow("b", { version: 2 }), T0 + 30_000)).toBe(true);
			expect(await admin().pexpiretime(`${prefix}s:${a.id}`)).toBe(T0 + 30_000);
			expect(await admin().pexpiretime(`${prefix}s:${storeId("b")}`)).toBe(a.idleExpiresAt);
			// Every key has a TTL, so volatile-* eviction policies can reach all of them.
			for (const key of await keysUnder(prefix)) expect(await admin().pttl(key)).toBeGreaterThan(0);
			expect(await keysUnder(prefix)).toHaveLength(6);
		}));

	test("touch() moves the TTL of the row and keeps its index alive at least as long", () =>
		withStore(async ({ store, prefix }) => {
			await store.create(makeRow(1));
			const later = T0 + 3 * 60 * 60_000;
			await store.touch(storeId(1), T0 + 60_000, later);
			expect(await admin().pexpiretime(`${prefix}s:${storeId(1)}`)).toBe(later);
			expect(await admin().pexpiretime(`${prefix}i:user_id:s:u1`)).toBeGreaterThanOrEqual(later);
		}));

	test("the index set holds the id, and loses it when the session is destroyed, revoked or rotated away", () =>
		withStore(async ({ store, prefix }) => {
			const index = `${prefix}i:user_id:s:u1`;
			for (const n of [1, 2, 3]) await store.create(makeRow(n));
			expect((await admin().smembers(index)).sort()).toEqual([storeId(1), storeId(2), storeId(3)].sort());
			await store.destroy(storeId(1));
			expect(await admin().smembers(index)).not.toContain(storeId(1));
			expect(await store.rotate(storeId(2), 1, makeRow(4, { version: 2 }), T0 + 30_000)).toBe(true);
			expect((await admin().smembers(index)).sort()).toEqual([storeId(3), storeId(4)].sort());
			expect(await admin().smembers(`${prefix}a:${storeId(4)}`)).toEqual([storeId(2)]);
			expect(await store.revoke("user_id", "u1")).toBe(2);
			expect(await keysUnder(prefix)).toEqual([]);
		}));

	test("an index member whose row Redis expired is dropped by list() and by revoke()", () =>
		withStore(async ({ store, prefix }) => {
			const index = `${prefix}i:user_id:s:u1`;
			for (const n of [1, 2, 3]) await store.create(makeRow(n));
			await admin().pexpire(`${prefix}s:${storeId(1)}`, 1);
			await admin().pexpire(`${prefix}s:${storeId(2)}`, 1);
			await Bun.sleep(20);
			expect((await store.list("user_id", "u1")).map((r) => r.id)).toEqual([storeId(3)]);
			expect(await admin().smembers(index)).toEqual([storeId(3)]);
			await admin().pexpire(`${prefix}s:${storeId(3)}`, 1);
			await Bun.sleep(20);
			expect(await store.revoke("user_id", "u1")).toBe(0);
			expect(await admin().exists(index)).toBe(false);
		}));

	test("prune() drops deadline entries of rows Redis already expired without counting them", () =>
		withStore(async ({ store, prefix }) => {
			for (const n of [1, 2]) await store.create(makeRow(n));
			await admin().pexpire(`${prefix}s:${storeId(1)}`, 1);
			await Bun.sleep(20);
			expect(await store.prune(T0 + 60 * MINUTE)).toBe(1);
			expect(await admin().send("ZCARD", [`${prefix}d`])).toBe(0);
		}));

	test("20 concurrent rotate() calls on one row with different next rows: exactly one wins, one new key", () =>
		withStore(async ({ store, prefix }) => {
			await store.create(makeRow("a"));
			const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.rotate(storeId("a"), 1, makeRow(`next-${i}`, { version: 2 }), T0 + 30_000)));
			expect(results.filter((r) => r)).toHaveLength(1);
			const rows = (await keysUnder(`${prefix}s:`)).filter((k) => k !== `${prefix}s:${storeId("a")}`);
			expect(rows).toHaveLength(1);
			expect(rows[0]).toBe(`${prefix}s:${storeId(`next-${results.indexOf(true)}`)}`);
		}));

	test("20 concurrent compare-and-set updates at the same version: exactly one succeeds", () =>
		withStore(async ({ store }) => {
			await store.create(makeRow(1));
			const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.update(makeRow(1, { version: 2, data: new Uint8Array([i]) }), 1)));
			expect(results.filter((r) => r)).toHaveLength(1);
			const got = await store.get(storeId(1));
			expect(got?.version).toBe(2);
			expect(Array.from(got?.data ?? [])).toEqual([results.indexOf(true)]);
		}));

	test("create() refuses an id that already exists, and rotate() a next id that does", () =>
		withStore(async ({ store }) => {
			await store.create(makeRow("a"));
			await store.create(makeRow("b"));
			await expect(store.create(makeRow("a", { version: 5 }))).rejects.toThrow("session id collision");
			await expect(store.rotate(storeId("a"), 1, makeRow("b", { version: 2 }), null)).rejects.toThrow("session id collision");
			expect((await store.get(storeId("a")))?.version).toBe(1);
		}));

	test("data with all 256 byte values round-trips exactly", () =>
		withStore(async ({ store }) => {
			const data = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);
			await store.create(makeRow(1, { data }));
			const got = await store.get(storeId(1));
			expect(got?.data).toBeInstanceOf(Uint8Array);
			expect(Array.from(got?.data ?? [])).toEqual(Array.from(data));
		}));

	test("column values keep their type: the string \"5\", the number 5 and true are different index keys", () =>
		withStore(
			async ({ store, prefix }) => {
				await store.create(makeRow("s", { columns: { tag: "5", admin: true } }));
				await store.create(makeRow("n", { columns: { tag: 5, admin: false } }));
				expect((await store.list("tag", "5")).map((r) => r.id)).toEqual([storeId("s")]);
				expect((await store.list("tag", 5)).map((r) => r.columns)).toEqual([{ tag: 5, admin: false }]);
				expect((await store.list("admin", true)).map((r) => r.id)).toEqual([storeId("s")]);
				expect(await admin().exists(`${prefix}i:tag:n:5`)).toBe(true);
				expect(await admin().exists(`${prefix}i:admin:b:true`)).toBe(true);
				expect(() => store.list("nope", 1)).toThrow(TypeError);
			},
			{ name: "typed", columns: [{ name: "tag", field: "tag", type: "text" }, { name: "admin", field: "admin", type: "boolean" }] },
		));

	test("50 parallel requests through the manager when rotation is due issue one new ID", () =>
		withStore(async ({ store, prefix }) => {
			const h = makeSessions({ store });
			const jar = new CookieJar();
			await visit(h, jar, (s) => (s.cart = [1, 2, 3]));
			h.clock.advance(15 * MINUTE);
			const results = await Promise.all(Array.from({ length: 50 }, () => visit(h, jar.clone())));
			expect(results.flatMap((r) => r.setCookies)).toHaveLength(1);
			expect(results.every((r) => !r.session.isNew && r.session.cart.length === 3)).toBe(true);
			expect(await keysUnder(`${prefix}s:`)).toHaveLength(2);
		}));

	test("after the server drops the store's connection, the next call reconnects", () =>
		withStore(async ({ prefix }) => {
			for (const options of [{}, { autoReconnect: false }]) {
				const client = new Bun.RedisClient(REDIS_URL, options);
				const store = new RedisStore(client, { table: model.table, prefix });
				try {
					await store.create(makeRow(1));
					const id = (await client.send("CLIENT", ["ID"])) as number;
					expect(await admin().send("CLIENT", ["KILL", "ID", String(id)])).toBe(1);
					expect((await store.get(storeId(1)))?.version).toBe(1);
					await store.destroy(storeId(1));
				} finally {
					client.close();
				}
			}
		}));

	test("a store opened from a URL closes its client; one given a client leaves it open", async () => {
		const prefix = `sess:test:${crypto.randomUUID().replaceAll("-", "")}:`;
		const owned = new RedisStore(REDIS_URL, { table: model.table, prefix });
		try {
			await owned.create(makeRow(1));
			expect(owned.client.connected).toBe(true);
			await owned.close();
			expect(owned.client.connected).toBe(false);
			await expect(owned.get(storeId(1))).rejects.toThrow("closed");
			const shared = new RedisStore(admin(), { table: model.table, prefix });
			await shared.close();
			expect(await admin().send("PING", [])).toBe("PONG");
		} finally {
			await wipe(prefix);
		}
	});
});
