import { afterAll, describe, expect, test } from "bun:test";
import type { RedisClient } from "bun";
import { model } from "../../examples/demo/src/generated/session.ts";
import type { TableModel } from "../../schema/model.ts";
import type { DeviceRecord } from "../../src/device.ts";
import { RedisStore } from "../../src/stores/redis.ts";
import { LIBRARY_NAME } from "../../src/stores/redis-scripts.ts";
import { ALIAS_SLACK_MS } from "../../src/stores/redis-lua.ts";
import { CookieJar, MINUTE, makeSessions, visit } from "../helpers/harness.ts";
import { rotateUnderLoad } from "./rotation-under-load.ts";
import { REDIS_URL, redisReachable } from "../helpers/servers.ts";
import { makeRow, storeId, testStore } from "./conformance.ts";

const T0 = makeRow(0).createdAt;
const IDLE = makeRow(0).idleExpiresAt - T0;
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

/**
 * The shared client as a server answers that refuses functions (`refuse` is its error for FCALL, and for
 * FUNCTION LOAD unless `load` gives another); `sent` records every command name.
 */
function refusingFunctions(refuse: string, load = refuse): { client: RedisClient; sent: string[] } {
	const sent: string[] = [];
	const serverError = (message: string): Error => Object.assign(new Error(message), { code: "ERR_REDIS_SERVER_ERROR" });
	const client = new Proxy(admin(), {
		get(target, prop) {
			if (prop === "send") {
				return async (command: string, args: string[]): Promise<unknown> => {
					sent.push(command);
					if (command === "FCALL" || command === "FCALL_RO") throw serverError(refuse);
					if (command === "FUNCTION") throw serverError(load);
					return target.send(command, args);
				};
			}
			const value: unknown = Reflect.get(target, prop, target);
			return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
	return { client, sent };
}

// Outside CI a missing Redis skips; in CI it must run.
describe.skipIf(!reachable && process.env["CI"] !== "true")("RedisStore", () => {
	test(`Redis answers at ${REDIS_URL}`, () => {
		expect(reachable).toBe(true);
	});

	testStore("RedisStore", open);

	// The same contract over the store's own connection, as a store opened from a URL has it.
	testStore("RedisStore opened from a URL (its own RESP connection)", async () => {
		const prefix = `sess:test:${crypto.randomUUID().replaceAll("-", "")}:`;
		const store = new RedisStore(REDIS_URL, { table: model.table, prefix });
		return {
			store,
			cleanup: async () => {
				await store.close();
				await wipe(prefix);
			},
		};
	});

	// The same contract where functions are missing (Redis 6): every script through EVALSHA.
	testStore("RedisStore without functions", async () => {
		const prefix = `sess:test:${crypto.randomUUID().replaceAll("-", "")}:`;
		const { client } = refusingFunctions("ERR unknown command 'FCALL', with args beginning with: ");
		return { store: new RedisStore(client, { table: model.table, prefix }), cleanup: () => wipe(prefix) };
	});

	test("update() that changes no promoted column writes version and data only: times, columns, TTL, index and deadline entry stay", () =>
		withStore(async ({ store, prefix }) => {
			const row = makeRow(1);
			await store.create(row);
			const key = `${prefix}s:${row.id}`;
			const before = await admin().hgetall(key);
			// The row carries other times and columns; the scope says they did not change, so the store leaves them.
			const next = makeRow(1, { version: 2, data: new Uint8Array([7, 0, 255]), lastSeenAt: T0 + 5, idleExpiresAt: T0 + 5 + IDLE, columns: { user_id: "u2" } });
			expect(await store.update(next, 1, { times: false, columns: false })).toBe(true);
			expect(await admin().hgetall(key)).toEqual({ ...before, v: "2", d: "BwD/" });
			expect(await admin().pexpiretime(key)).toBe(row.idleExpiresAt);
			expect(await admin().smembers(`${prefix}i:user_id:s:u1`)).toEqual([row.id]);
			expect(await admin().exists(`${prefix}i:user_id:s:u2`)).toBe(false);
			expect(await admin().send("ZSCORE", [`${prefix}d`, row.id])).toBe(row.idleExpiresAt);
			expect(await store.update({ ...next, version: 3 }, 1, { times: false, columns: false })).toBe(false);
			expect(await store.update(makeRow(2, { version: 2 }), 1, { times: false, columns: false })).toBe(false);
			expect(await admin().exists(`${prefix}s:${storeId(2)}`)).toBe(false);
		}));

	test("update() with times slides the idle deadline: TTL at the nearer deadline, deadline entry moved, shared keys kept alive as long", () =>
		withStore(async ({ store, prefix }) => {
			const row = makeRow(1, { absoluteExpiresAt: T0 + 2 * IDLE });
			await store.create(row);
			const key = `${prefix}s:${row.id}`;
			const index = `${prefix}i:user_id:s:u1`;
			const later = T0 + IDLE / 2;
			expect(await store.update(makeRow(1, { version: 2, lastSeenAt: later, idleExpiresAt: later + IDLE }), 1, { times: true, columns: false })).toBe(true);
			const got = await store.get(row.id);
			expect([got?.version, got?.lastSeenAt, got?.idleExpiresAt]).toEqual([2, later, later + IDLE]);
			expect(await admin().pexpiretime(key)).toBe(later + IDLE);
			expect(await admin().send("ZSCORE", [`${prefix}d`, row.id])).toBe(later + IDLE);
			expect(await admin().pexpiretime(index)).toBeGreaterThanOrEqual(later + IDLE);
			expect(await admin().pexpiretime(`${prefix}d`)).toBeGreaterThanOrEqual(later + IDLE);
			// The stored absolute deadline caps the TTL.
			const last = T0 + IDLE + 1;
			expect(await store.update(makeRow(1, { version: 3, lastSeenAt: last, idleExpiresAt: last + IDLE }), 2, { times: true, columns: false })).toBe(true);
			expect(await admin().pexpiretime(key)).toBe(T0 + 2 * IDLE);
			expect(await admin().send("ZSCORE", [`${prefix}d`, row.id])).toBe(T0 + 2 * IDLE);
			// An alias is never written.
			expect(await store.rotate(row.id, 3, makeRow("b", { version: 4 }), T0 + 30_000)).toBe(true);
			expect(await store.update(makeRow(1, { version: 4 }), 3, { times: true, columns: false })).toBe(false);
		}));

	test("update() with times and touch() re-file a row in an index set that was lost (evicted), with a TTL", () =>
		withStore(async ({ store, prefix }) => {
			const row = makeRow(1);
			await store.create(row);
			const index = `${prefix}i:user_id:s:u1`;
			await admin().del(index, `${prefix}d`);
			expect(await store.update(makeRow(1, { version: 2, idleExpiresAt: T0 + IDLE + 1 }), 1, { times: true, columns: false })).toBe(true);
			expect(await admin().smembers(index)).toEqual([row.id]);
			expect(await admin().pexpiretime(index)).toBe(T0 + IDLE + 1);
			expect(await admin().pexpiretime(`${prefix}d`)).toBe(T0 + IDLE + 1);
			await admin().del(index);
			await store.touch(row.id, T0 + 2, T0 + IDLE + 2);
			expect(await admin().smembers(index)).toEqual([row.id]);
			expect(await admin().pexpiretime(index)).toBe(T0 + IDLE + 2);
		}));

	test("a slide to a deadline already past deletes the row and leaves no index member or deadline entry", () =>
		withStore(async ({ store, prefix }) => {
			for (const n of [1, 2]) await store.create(makeRow(n));
			const past = Date.now() - 60_000;
			expect(await store.update(makeRow(1, { version: 2, lastSeenAt: past, idleExpiresAt: past }), 1, { times: true, columns: false })).toBe(true);
			await store.touch(storeId(2), past, past);
			expect(await store.get(storeId(1))).toBeNull();
			expect(await store.get(storeId(2))).toBeNull();
			expect(await keysUnder(prefix)).toEqual([]);
		}));

	test("update() of promoted columns moves the row between index sets; an unchanged value keeps it filed", () =>
		withStore(
			async ({ store, prefix }) => {
				await store.create(makeRow(1, { columns: { tag: "a", admin: true } }));
				expect(await store.update(makeRow(1, { version: 2, columns: { tag: "b", admin: true } }), 1, { times: false, columns: true })).toBe(true);
				expect(await admin().exists(`${prefix}i:tag:s:a`)).toBe(false);
				expect(await admin().smembers(`${prefix}i:tag:s:b`)).toEqual([storeId(1)]);
				expect(await admin().smembers(`${prefix}i:admin:b:true`)).toEqual([storeId(1)]);
				expect(await admin().pexpiretime(`${prefix}i:tag:s:b`)).toBe(T0 + IDLE);
				expect(await admin().hget(`${prefix}s:${storeId(1)}`, "k")).toBe(JSON.stringify({ tag: "b", admin: true }));
				expect((await store.list("tag", "b")).map((r) => r.version)).toEqual([2]);
			},
			{ name: "typed", columns: [{ name: "tag", field: "tag", type: "text" }, { name: "admin", field: "admin", type: "boolean" }] },
		));

	test("without functions the store runs scripts and stops asking; a library deleted from the server is loaded again", () =>
		withStore(async ({ prefix }) => {
			for (const [refuse, load] of [
				["ERR unknown command 'FCALL', with args beginning with: ", undefined],
				["NOPERM this user has no permissions to run the 'fcall' command", undefined],
				["ERR Function not found", "NOPERM this user has no permissions to run the 'function|load' command"],
			] as const) {
				const { client, sent } = refusingFunctions(refuse, load);
				const store = new RedisStore(client, { table: model.table, prefix });
				await store.create(makeRow(1));
				expect(await store.update(makeRow(1, { version: 2 }), 1, { times: false, columns: false })).toBe(true);
				await store.destroy(storeId(1));
				expect(sent.filter((c) => c === "FCALL" || c === "FUNCTION")).toEqual(load === undefined ? ["FCALL"] : ["FCALL", "FUNCTION"]);
				expect(sent.filter((c) => c.startsWith("EVAL"))).not.toHaveLength(0);
			}
			const store = new RedisStore(admin(), { table: model.table, prefix });
			await store.create(makeRow(1));
			// What FUNCTION FLUSH or a restart without persistence does; other users of the library load it again too.
			await admin().send("FUNCTION", ["DELETE", LIBRARY_NAME]);
			expect(await store.update(makeRow(1, { version: 2 }), 1, { times: false, columns: false })).toBe(true);
			expect((await store.get(storeId(1)))?.version).toBe(2);
			expect(await admin().send("FUNCTION", ["LIST", "LIBRARYNAME", LIBRARY_NAME])).toHaveLength(1);
		}));

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

	test("a row expires at its idle deadline (the absolute one when nearer), an alias a minute after its grace deadline; every key has a TTL", () =>
		withStore(async ({ store, prefix }) => {
			const a = makeRow("a");
			await store.create(a);
			expect(await admin().pexpiretime(`${prefix}s:${a.id}`)).toBe(a.idleExpiresAt);
			const late = makeRow("late", { idleExpiresAt: T0 + 90_000, absoluteExpiresAt: T0 + 60_000 });
			await store.create(late);
			expect(await admin().pexpiretime(`${prefix}s:${late.id}`)).toBe(T0 + 60_000);
			expect(await store.rotate(a.id, 1, makeRow("b", { version: 2 }), T0 + 30_000)).toBe(true);
			// The alias stays ALIAS_SLACK_MS past its grace, for a commit that loaded through it in time; loads refuse it after the grace.
			expect(await admin().pexpiretime(`${prefix}s:${a.id}`)).toBe(T0 + 30_000 + ALIAS_SLACK_MS);
			expect((await store.get(a.id))?.idleExpiresAt).toBe(T0 + 30_000);
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

	test("get() reads a row back whole when its column values hold newlines and the device record is set (the load function joins fields by newline)", () =>
		withStore(
			async ({ store }) => {
				const device: DeviceRecord = { handle: "h1", description: "Chrome 131\non macOS", label: "work\nlaptop", network: null };
				const row = makeRow("nl", { columns: { tag: "line 1\nline 2\n", admin: true }, device });
				await store.create(row);
				expect(await store.get(row.id)).toEqual(row);
				expect(await store.get(storeId("missing"))).toBeNull();
			},
			{ name: "typed", columns: [{ name: "tag", field: "tag", type: "text" }, { name: "admin", field: "admin", type: "boolean" }] },
		));

	test("50 parallel requests through the manager when rotation is due issue one new ID", () =>
		withStore(async ({ store, prefix }) => {
			await rotateUnderLoad(store);
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

	test("revoke-others spares the caller's session though another tab rotated it meanwhile (its live successor), in the same script", () =>
		withStore(async ({ store }) => {
			const mine = makeRow("mine");
			await store.create(mine);
			await store.create(makeRow("other"));
			// A second tab rotates the caller's session after the revoking request loaded it.
			const next = makeRow("mine2", { version: 2 });
			expect(await store.rotate(mine.id, 1, next, T0 + 60_000)).toBe(true);
			expect(await store.revoke("user_id", "u1", mine.id)).toBe(1);
			expect((await store.list("user_id", "u1")).map((r) => r.id)).toEqual([next.id]);
			expect((await store.get(mine.id))?.successorId).toBe(next.id);
			expect(await store.get(storeId("other"))).toBeNull();
		}));
});
