// One session table spread over every slot (RedisSpreadStore): routed tokens, the Store contract through
// routed IDs on one server and on a local cluster, users on different primaries, a slot moving under
// load, logins across tags through the manager, and cookies of the single-tag layout refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { codec, model as demoModel, Session, type Sessions } from "../../examples/demo/src/generated/session.ts";
import type { SessionModel } from "../../src/index.ts";
import type { SessionEvent } from "../../src/events.ts";
import { createSessionManager } from "../../src/manager.ts";
import { RedisCluster } from "../../src/stores/redis-cluster.ts";
import { slotOf } from "../../src/stores/redis-cluster-slot.ts";
import { RedisSpreadStore } from "../../src/stores/redis-spread.ts";
import { Keyring } from "../../src/keyring.ts";
import { Challenges } from "../../src/dbsc-challenge.ts";
import { createStoreCall } from "../../src/store-call.ts";
import { generateSessionToken, hashRoutedSessionToken, isRoutedSessionToken, isSessionToken, randomRouteTag, routeTagFor, routeTagOf, shortSessionId } from "../../src/token.ts";
import { fakeClock, newKey } from "../helpers/harness.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { REDIS_URL, redisReachable } from "../helpers/servers.ts";
import { makeRow, testStore } from "../stores/conformance.ts";
import { clusterToolsPresent, startLocalCluster, type LocalCluster } from "./local-cluster.ts";
import { routedView } from "./routed-view.ts";

const T0 = 1_900_000_000_000;
const table = demoModel.table;
const base = (): string => `sess-test-spread-${crypto.randomUUID().slice(0, 8)}`;

/** A routed row of `user` (null: anonymous, random tag), as the manager would mint it. */
function routedRow(user: string | null, n: string, overrides: Partial<ReturnType<typeof makeRow>> = {}): ReturnType<typeof makeRow> {
	const tag = user === null ? randomRouteTag() : routeTagFor("user_id", user);
	const id = hashRoutedSessionToken(tag + generateSessionToken());
	return makeRow(n, { id, columns: { user_id: user }, ...overrides });
}

describe("routed tokens", () => {
	test("a routed token is a 3-hex tag and a whole 43-character token; its ID is the tag, a dot and the hash of all of it", () => {
		const tag = routeTagFor("user_id", "ann");
		const token = tag + generateSessionToken();
		expect(isRoutedSessionToken(token)).toBe(true);
		expect(isSessionToken(token)).toBe(false);
		expect(isRoutedSessionToken(token.slice(3))).toBe(false);
		const id = hashRoutedSessionToken(token);
		expect(id).toMatch(/^[0-9a-f]{3}\.[0-9a-f]{64}$/);
		expect(routeTagOf(id)).toBe(tag);
		expect(routeTagOf(id.slice(4))).toBeNull();
		// The label in events and handles comes from the hash, not from the user's tag.
		expect(shortSessionId(id)).toBe(id.slice(4, 16));
	});

	test("a user's tag is a hash of the typed value: stable, different for '5' and 5, never the value", () => {
		expect(routeTagFor("user_id", "ann")).toBe(routeTagFor("user_id", "ann"));
		expect(routeTagFor("user_id", "5")).not.toBe(routeTagFor("user_id", 5));
		const tags = new Set(Array.from({ length: 2000 }, (_, i) => routeTagFor("user_id", `user-${i}`)));
		// 2000 users over 4096 tags: most get one of their own.
		expect(tags.size).toBeGreaterThan(1400);
		for (const t of tags) expect(t).toMatch(/^[0-9a-f]{3}$/);
		const random = new Set(Array.from({ length: 2000 }, () => randomRouteTag()));
		expect(random.size).toBeGreaterThan(1400);
	});
});

describe("the manager over a store that routes rows (routeBy)", () => {
	const { sealed: _sealed, ...rest } = demoModel;
	const model: SessionModel = { ...rest, sealed: false };
	const tokenOf = (key: string, setCookie: string | null): string => {
		const value = (setCookie as string).split(";")[0] as string;
		return Keyring.fromString(key).verify(decodeURIComponent(value.slice(value.indexOf("=") + 1)), demoModel.cookie.name as string)?.value as string;
	};

	test("tokens carry the tag: random for a guest, the user's at login, kept by a periodic rotation, random again after logout", async () => {
		const clock = fakeClock();
		const store = Object.assign(new MemoryStore(), { routeBy: "user_id" });
		const key = newKey();
		const sessions = createSessionManager({ model, codec, Session }, { store, keys: [key], now: clock.now, rotation: { every: "1m", grace: "10s" } }) as Sessions;
		const guest = await sessions.load(new Request("https://app.test/"));
		guest.theme = "dark";
		const first = tokenOf(key, await sessions.commitCookie(guest));
		expect(isRoutedSessionToken(first)).toBe(true);
		const cookie = (token: string): Record<string, string> => ({ cookie: `${demoModel.cookie.name}=${Keyring.fromString(key).sign(token, demoModel.cookie.name as string)}` });
		const s = await sessions.load(new Request("https://app.test/", { headers: cookie(first) }));
		s.userId = "dora";
		const login = tokenOf(key, await sessions.commitCookie(s));
		expect(login.slice(0, 3)).toBe(routeTagFor("user_id", "dora"));
		expect((await store.list("user_id", "dora")).map((r) => routeTagOf(r.id))).toEqual([routeTagFor("user_id", "dora")]);
		clock.advance(61_000);
		const later = await sessions.load(new Request("https://app.test/", { headers: cookie(login) }));
		const rotated = tokenOf(key, await sessions.commitCookie(later));
		expect(rotated).not.toBe(login);
		expect(rotated.slice(0, 3)).toBe(login.slice(0, 3));
		const back = await sessions.load(new Request("https://app.test/", { headers: cookie(rotated) }));
		expect(back.userId).toBe("dora");
		// Signing out (the identity cleared) is a new ID, placed as nobody's: a random tag, out of dora's index.
		back.userId = undefined;
		const out = tokenOf(key, await sessions.commitCookie(back));
		expect(isRoutedSessionToken(out)).toBe(true);
		expect(await store.list("user_id", "dora")).toEqual([]);
		expect((await sessions.load(new Request("https://app.test/", { headers: cookie(out) }))).userId).toBeUndefined();
	});

	test("a store placing rows by a column no promoted field fills is refused at start", () => {
		const store = Object.assign(new MemoryStore(), { routeBy: "team_id" });
		expect(() => createSessionManager({ model, codec, Session }, { store, keys: [newKey()] })).toThrow(/places rows by column "team_id"/);
	});
});

/** Deletes every key of a spread store under `base` on the nodes `clients` reach. */
async function deleteBase(clients: Bun.RedisClient[], b: string): Promise<void> {
	for (const c of clients) {
		let cursor = "0";
		do {
			const [next, keys] = (await c.send("SCAN", [cursor, "MATCH", `{${b}:*`, "COUNT", "1000"])) as [string, string[]];
			for (const k of keys) await c.send("DEL", [k]);
			cursor = next;
		} while (cursor !== "0");
	}
}

describe.skipIf(!(await redisReachable()) && process.env["CI"] !== "true")("RedisSpreadStore on one Redis server", () => {
	const client = new Bun.RedisClient(REDIS_URL);
	afterAll(() => client.close());
	test("a used DBSC challenge is recorded under a routed ID: the first proof wins, a replay is refused", async () => {
		const b = base();
		const store = new RedisSpreadStore(client, { table, routeBy: "user_id", base: b });
		try {
			const challenges = new Challenges(Keyring.fromString(newKey()), (bytes) => crypto.getRandomValues(bytes), 60_000);
			const now = Date.now();
			const challenge = challenges.issue("refresh", "binding-1", now);
			const call = createStoreCall(5000, undefined);
			expect(await challenges.consume(store, call, challenge, now)).toBe(true);
			expect(await challenges.consume(store, call, challenge, now)).toBe(false);
		} finally {
			await deleteBase([client], b);
		}
	});

	testStore("RedisSpreadStore through routed IDs (one server)", async () => {
		const b = base();
		const store = new RedisSpreadStore(client, { table, routeBy: "user_id", base: b });
		return { store: routedView(store), cleanup: () => deleteBase([client], b) };
	});
});

describe.skipIf(!clusterToolsPresent() && process.env["CI"] !== "true")("RedisSpreadStore on a local Redis Cluster (3 primaries, 3 replicas)", () => {
	let cluster: LocalCluster;
	let router: RedisCluster;
	const direct: Bun.RedisClient[] = [];

	beforeAll(async () => {
		cluster = await startLocalCluster();
		router = new RedisCluster(cluster.url);
		for (const n of cluster.nodes) direct.push(new Bun.RedisClient(`redis://127.0.0.1:${n.port}`));
	}, 60_000);
	afterAll(async () => {
		for (const c of direct) c.close();
		router?.close();
		await cluster?.stop();
	});

	/** Clients of the current primaries (keys live there; replicas refuse DEL). */
	async function primaries(): Promise<Bun.RedisClient[]> {
		const out: Bun.RedisClient[] = [];
		for (const c of direct) {
			const role = (await c.send("ROLE", []).catch(() => ["gone"])) as string[];
			if (role[0] === "master") out.push(c);
		}
		return out;
	}

	testStore("RedisSpreadStore through routed IDs (cluster)", async () => {
		const b = base();
		const store = new RedisSpreadStore(router, { table, routeBy: "user_id", base: b });
		return { store: routedView(store), cleanup: async () => deleteBase(await primaries(), b) };
	});

	test("each user's rows and indexes share one slot (CLUSTER KEYSLOT); users spread over all three primaries (COUNTKEYSINSLOT)", async () => {
		const b = base();
		const store = new RedisSpreadStore(router, { table, routeBy: "user_id", base: b });
		const ports = new Set<number>();
		try {
			for (let u = 0; u < 40; u++) {
				const user = `user-${u}`;
				const rows = [routedRow(user, `${u}a`), routedRow(user, `${u}b`)];
				for (const r of rows) await store.create(r);
				const tag = routeTagFor("user_id", user);
				const keys = [...rows.map((r) => `${store.prefixOf(tag)}s:${r.id}`), `${store.prefixOf(tag)}i:user_id:s:${user}`, `${store.prefixOf(tag)}d`];
				const slots = new Set<number>();
				for (const k of keys) slots.add(Number(await router.send("CLUSTER", ["KEYSLOT", k])));
				expect({ user, slots: [...slots] }).toEqual({ user, slots: [slotOf(keys[0] as string)] });
				const primary = await cluster.primaryOf(slotOf(keys[0] as string));
				const onNode = direct[cluster.nodes.indexOf(primary)] as Bun.RedisClient;
				expect(Number(await onNode.send("CLUSTER", ["COUNTKEYSINSLOT", String(slotOf(keys[0] as string))]))).toBeGreaterThanOrEqual(4);
				ports.add(primary.port);
				// The per-user index answers in one script, on that primary.
				expect((await store.list("user_id", user)).map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
			}
			expect(ports.size).toBe(3);
			// Revoking one user ends exactly that user's sessions.
			expect(await store.revoke("user_id", "user-7")).toBe(2);
			expect(await store.list("user_id", "user-7")).toEqual([]);
			expect((await store.list("user_id", "user-8")).length).toBe(2);
		} finally {
			await deleteBase(await primaries(), b);
		}
	}, 60_000);

	test("a login across tags: the anonymous row in its slot, the new one in the user's; a stale login writes nothing and evicts nobody", async () => {
		const b = base();
		const store = new RedisSpreadStore(router, { table, routeBy: "user_id", base: b });
		const limit = { column: "user_id", max: 1, policy: "evict" as const };
		try {
			const old = routedRow("ann", "old", { lastSeenAt: T0 - 10 });
			expect(await store.admit(old, null, limit, T0)).toEqual({ status: "admitted", evicted: [] });
			let anon = routedRow(null, "anon");
			while (routeTagOf(anon.id) === routeTagOf(old.id)) anon = routedRow(null, "anon");
			await store.create(anon);
			const login = routedRow("ann", "login");
			// The anonymous session changed meanwhile (version 2 expected): a conflict, nothing written, nobody evicted.
			expect(await store.admit(login, { id: anon.id, version: 2 }, limit, T0)).toEqual({ status: "conflict" });
			expect(await store.get(login.id)).toBeNull();
			expect(await store.get(old.id)).not.toBeNull();
			expect(await store.admit(login, { id: anon.id, version: 1 }, limit, T0)).toEqual({ status: "admitted", evicted: [old.id] });
			expect(await store.get(anon.id)).toBeNull();
			expect((await store.list("user_id", "ann")).map((r) => r.id)).toEqual([login.id]);
			// A regeneration across tags that loses its compare-and-set deletes the row it wrote first.
			const other = routedRow(null, "other");
			await store.create(other);
			const lost = routedRow("bob", "lost", { version: 2 });
			expect(await store.rotate(other.id, 5, lost, null)).toBe(false);
			expect(await store.get(lost.id)).toBeNull();
			expect(await store.list("user_id", "bob")).toEqual([]);
			expect(await store.rotate(other.id, 1, lost, null)).toBe(true);
			expect(await store.get(other.id)).toBeNull();
			expect((await store.list("user_id", "bob")).map((r) => r.id)).toEqual([lost.id]);
		} finally {
			await deleteBase(await primaries(), b);
		}
	}, 30_000);

	test("two tabs log the same anonymous session in at once (limit 1, evict): one wins, the other conflicts, and the winner is never evicted by the loser", async () => {
		const b = base();
		const store = new RedisSpreadStore(router, { table, routeBy: "user_id", base: b });
		const limit = { column: "user_id", max: 1, policy: "evict" as const };
		try {
			for (let round = 0; round < 20; round++) {
				const user = `racer-${round}`;
				const earlier = routedRow(user, `e${round}`, { lastSeenAt: T0 - 10 });
				await store.create(earlier);
				let anon = routedRow(null, `n${round}`);
				while (routeTagOf(anon.id) === routeTagOf(earlier.id)) anon = routedRow(null, `n${round}`);
				await store.create(anon);
				const tabs = [routedRow(user, `t${round}a`), routedRow(user, `t${round}b`)];
				const results = await Promise.all(tabs.map((t) => store.admit(t, { id: anon.id, version: 1 }, limit, T0)));
				const won = results.flatMap((r, i) => (r.status === "admitted" ? [i] : []));
				expect({ round, won: won.length, statuses: results.map((r) => r.status).sort() }).toEqual({ round, won: 1, statuses: ["admitted", "conflict"] });
				const winner = tabs[won[0] as number] as ReturnType<typeof routedRow>;
				expect(results[won[0] as number]).toEqual({ status: "admitted", evicted: [earlier.id] });
				expect((await store.list("user_id", user)).map((r) => r.id)).toEqual([winner.id]);
				expect(await store.get(anon.id)).toBeNull();
			}
		} finally {
			await deleteBase(await primaries(), b);
		}
	}, 60_000);

	test("a value held by rows of many tags (another column's value, or a row moved by update()): list and revoke find them through its directory", async () => {
		const b = base();
		const store = new RedisSpreadStore(router, { table, routeBy: "user_id", base: b });
		try {
			// Sessions of ten different users that update() moved to "shared" without a new ID: ten tags.
			const rows = Array.from({ length: 10 }, (_, i) => routedRow(`u${i}`, `m${i}`));
			for (const r of rows) {
				await store.create(r);
				expect(await store.update({ ...r, version: 2, columns: { user_id: "shared" } }, 1)).toBe(true);
			}
			const home = routeTagFor("user_id", "shared");
			const dir = (await router.send("SMEMBERS", [`${store.prefixOf(home)}g:user_id:s:shared`])) as string[];
			expect(dir.sort()).toEqual([...new Set(rows.map((r) => routeTagOf(r.id) as string))].filter((t) => t !== home).sort());
			expect((await store.list("user_id", "shared")).map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
			expect(await store.revoke("user_id", "shared", rows[3]?.id as string)).toBe(9);
			expect((await store.list("user_id", "shared")).map((r) => r.id)).toEqual([rows[3]?.id as string]);
		} finally {
			await deleteBase(await primaries(), b);
		}
	}, 30_000);

	test("a user's slot moves to another primary while that user's sessions are written, rotated, listed and revoked: no call fails, nothing is lost", async () => {
		const b = base();
		const store = new RedisSpreadStore(router, { table, routeBy: "user_id", base: b });
		try {
			const user = "mover";
			const slot = slotOf(store.prefixOf(routeTagFor("user_id", user)));
			const rows = Array.from({ length: 8 }, (_, i) => routedRow(user, `mv${i}`));
			for (const r of rows) await store.create(r);
			let stop = false;
			let writes = 0;
			const versions = new Map(rows.map((r) => [r.id, 1]));
			// Writers: compare-and-set appends, each row by one writer, so every write must land.
			const writers = rows.map(async (r) => {
				while (!stop) {
					const v = versions.get(r.id) as number;
					expect(await store.update({ ...r, version: v + 1, data: new Uint8Array([v + 1]) }, v, { times: false, columns: false })).toBe(true);
					versions.set(r.id, v + 1);
					writes++;
					expect((await store.list("user_id", user)).length).toBe(rows.length);
				}
			});
			const source = await cluster.primaryOf(slot);
			let target = source;
			for (const other of [0, 6000, 12000, 16000]) {
				const n = await cluster.primaryOf(other);
				if (n !== source) target = n;
			}
			const src = direct[cluster.nodes.indexOf(source)] as Bun.RedisClient;
			const dst = direct[cluster.nodes.indexOf(target)] as Bun.RedisClient;
			await Bun.sleep(50);
			const srcId = String(await src.send("CLUSTER", ["MYID"]));
			const dstId = String(await dst.send("CLUSTER", ["MYID"]));
			await dst.send("CLUSTER", ["SETSLOT", String(slot), "IMPORTING", srcId]);
			await src.send("CLUSTER", ["SETSLOT", String(slot), "MIGRATING", dstId]);
			// All the slot's keys in one MIGRATE (as `redis-cli --cluster reshard` does with a pipeline as large
			// as the slot): writers meet the slot migrating (ASK to the target once the keys left) and then moved
			// (MOVED). A slot left half moved fails scripts that touch keys they do not declare; see the doc.
			const keys = (await src.send("CLUSTER", ["GETKEYSINSLOT", String(slot), "1000"])) as string[];
			expect(keys.length).toBeGreaterThan(rows.length);
			await Bun.sleep(20);
			await src.send("MIGRATE", ["127.0.0.1", String(target.port), "", "0", "5000", "REPLACE", "KEYS", ...keys]);
			await Bun.sleep(20);
			for (const c of await primaries()) await c.send("CLUSTER", ["SETSLOT", String(slot), "NODE", dstId]);
			await Bun.sleep(50);
			stop = true;
			await Promise.all(writers);
			expect((await cluster.primaryOf(slot)).port).toBe(target.port);
			expect(writes).toBeGreaterThan(rows.length);
			for (const r of rows) expect((await store.get(r.id))?.version).toBe(versions.get(r.id) as number);
			expect(await store.revoke("user_id", user, rows[0]?.id as string)).toBe(rows.length - 1);
			expect((await store.list("user_id", user)).map((r) => r.id)).toEqual([rows[0]?.id as string]);
		} finally {
			await deleteBase(await primaries(), b);
		}
	}, 60_000);

	test("through the manager: a login lands in the user's slot, a cookie of the single-tag layout is refused with a fresh session", async () => {
		const b = base();
		const store = new RedisSpreadStore(router, { table, routeBy: "user_id", base: b });
		const events: SessionEvent[] = [];
		const key = newKey();
		const { sealed: _sealed, ...rest } = demoModel;
		const model: SessionModel = { ...rest, sealed: false };
		const sessions = createSessionManager({ model, codec, Session }, { store, keys: [key], onEvent: (e) => void events.push(e) }) as Sessions;
		const cookieOf = (setCookie: string | null): string => (setCookie as string).split(";")[0] as string;
		try {
			const guest = await sessions.load(new Request("https://app.test/"));
			guest.theme = "dark";
			const anonymous = cookieOf(await sessions.commitCookie(guest));
			const s = await sessions.load(new Request("https://app.test/login", { headers: { cookie: anonymous } }));
			s.userId = "carol";
			const cookie = cookieOf(await sessions.commitCookie(s));
			const token = Keyring.fromString(key).verify(decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1)), demoModel.cookie.name as string)?.value as string;
			expect(token.slice(0, 3)).toBe(routeTagFor("user_id", "carol"));
			const listed = await store.list("user_id", "carol");
			expect(listed.length).toBe(1);
			expect(routeTagOf(listed[0]?.id as string)).toBe(routeTagFor("user_id", "carol"));
			const back = await sessions.load(new Request("https://app.test/", { headers: { cookie } }));
			expect(back.userId).toBe("carol");
			// A cookie from the single-tag layout: a valid signature over a plain token. Malformed here, a fresh session.
			const name = demoModel.cookie.name as string;
			const legacy = `${name}=${Keyring.fromString(key).sign(generateSessionToken(), name)}`;
			events.length = 0;
			const fresh = await sessions.load(new Request("https://app.test/", { headers: { cookie: legacy } }));
			expect(fresh.userId).toBeUndefined();
			expect(events).toContainEqual({ type: "cookie_invalid", reason: "malformed" });
			// Revoke through the manager reaches the user's rows in their slot.
			expect(await sessions.revoke("userId", "carol")).toBe(1);
			expect((await sessions.load(new Request("https://app.test/", { headers: { cookie } }))).userId).toBeUndefined();
		} finally {
			await deleteBase(await primaries(), b);
		}
	}, 30_000);
});
