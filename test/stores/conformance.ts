// The raw Store contract, run against every implementation: memory.test.ts and sqlite.test.ts call testStore().
import { afterEach, describe, expect, test } from "bun:test";
import type { Store, StoredSession } from "../../src/store.ts";
import { hashSessionToken } from "../../src/token.ts";
import { testAdmit } from "./admit-conformance.ts";
import { testDeviceRecords } from "./device-conformance.ts";

const T0 = 1_900_000_000_000;
const IDLE = 30 * 60_000;
const ABSOLUTE = 12 * 60 * 60_000;

/** A stored id like the manager's (hex SHA-256); `n` keeps them distinct and readable in failures. */
export function storeId(n: number | string): string {
	return hashSessionToken(`token-${n}`);
}

/** A live row for user `u1`, created at T0, with a few data bytes. */
export function makeRow(n: number | string, overrides: Partial<StoredSession> = {}): StoredSession {
	return {
		id: storeId(n),
		successorId: null,
		version: 1,
		data: new Uint8Array([1, 0x10, 2, 0x1a, 3, 1, 2, 3]),
		createdAt: T0,
		rotatedAt: T0,
		lastSeenAt: T0,
		idleExpiresAt: T0 + IDLE,
		absoluteExpiresAt: T0 + ABSOLUTE,
		columns: { user_id: "u1" },
		...overrides,
	};
}

/**
 * Identities that a collation, padding or normalisation could merge with "ann" (or with each other):
 * case, accents in NFC and NFD, leading and trailing spaces, a tab, zero-width and no-break spaces,
 * a BOM, Cyrillic and fullwidth look-alikes, and ß against ss. The schema does not normalise, so each
 * is its own identity and a store must keep them apart.
 */
export const IDENTITIES: readonly string[] = [
	"ann", "ANN", "Ann", "aNn", "ann ", "ann  ", " ann", "ann\t",
	"\u00e1nn", "a\u0301nn", "\u00c1NN", "ann\u200b", "ann\u00a0", "\ufeffann",
	"\u0430nn", "\uff41nn", "stra\u00dfe", "strasse", "STRASSE",
];

// A thousand rows through a shared, loaded database server can take longer than the default 5 s.
const BULK_TIMEOUT = 60_000;

/** Creates `n` rows, 100 at a time: sequential inserts to a server cost a round trip each. */
async function createMany(store: Store, n: number, row: (i: number) => StoredSession): Promise<void> {
	for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => store.create(row(i + k))));
}

/** Rows compared as plain data (bytes as number arrays), so stores returning Buffer or Uint8Array compare alike. */
function plain(row: StoredSession | null): unknown {
	return row === null ? null : { ...row, data: Array.from(row.data) };
}

export function testStore(name: string, make: () => Promise<{ store: Store; cleanup(): Promise<void> }>): void {
	describe(`${name} (Store conformance)`, () => {
		let cleanups: Array<() => Promise<void>> = [];
		afterEach(async () => {
			for (const c of cleanups) await c();
			cleanups = [];
		});
		async function open(): Promise<Store> {
			const { store, cleanup } = await make();
			cleanups.push(cleanup);
			return store;
		}
		testAdmit(open);
		testDeviceRecords(open);

		/** A row `a` rotated with grace into `b`: returns both ids. */
		async function rotated(store: Store, graceUntil = T0 + 30_000): Promise<{ a: StoredSession; b: StoredSession }> {
			const a = makeRow("a");
			const b = makeRow("b", { version: 2, rotatedAt: T0 + 1, lastSeenAt: T0 + 1 });
			await store.create(a);
			expect(await store.rotate(a.id, 1, b, graceUntil)).toBe(true);
			return { a, b };
		}

		test("create() then get() returns the same row, bytes equal", async () => {
			const store = await open();
			const row = makeRow(1, { data: new Uint8Array([1, 0, 255, 7, 0]), columns: { user_id: "u1" } });
			await store.create(row);
			const got = await store.get(row.id);
			expect(got?.data).toBeInstanceOf(Uint8Array);
			expect(plain(got)).toEqual(plain(row));
		});

		test("get() of an unknown id is null", async () => {
			const store = await open();
			await store.create(makeRow(1));
			expect(await store.get(storeId(2))).toBeNull();
		});

		test("a promoted column may be null", async () => {
			const store = await open();
			const row = makeRow(1, { columns: { user_id: null } });
			await store.create(row);
			expect((await store.get(row.id))?.columns).toEqual({ user_id: null });
		});

		test("changing a row returned by get() does not change the stored one", async () => {
			const store = await open();
			const row = makeRow(1);
			await store.create(row);
			const got = (await store.get(row.id)) as StoredSession;
			got.version = 99;
			got.columns["user_id"] = "u2";
			row.version = 98;
			expect(plain(await store.get(row.id))).toEqual(plain(makeRow(1)));
		});

		test("update() with the expected version replaces data, columns, times and version", async () => {
			const store = await open();
			await store.create(makeRow(1));
			const next = makeRow(1, { version: 2, data: new Uint8Array([1, 9]), lastSeenAt: T0 + 5, idleExpiresAt: T0 + 5 + IDLE, columns: { user_id: "u2" } });
			expect(await store.update(next, 1)).toBe(true);
			expect(plain(await store.get(next.id))).toEqual(plain(next));
			expect((await store.list("user_id", "u2")).map((r) => r.id)).toEqual([next.id]);
			expect(await store.list("user_id", "u1")).toEqual([]);
		});

		test("update() with a wrong version, an unknown id or an alias changes nothing and returns false", async () => {
			const store = await open();
			await store.create(makeRow(1));
			expect(await store.update(makeRow(1, { version: 3, data: new Uint8Array([1]) }), 2)).toBe(false);
			expect(await store.update(makeRow(1, { version: 1, data: new Uint8Array([1]) }), 0)).toBe(false);
			expect(plain(await store.get(storeId(1)))).toEqual(plain(makeRow(1)));
			expect(await store.update(makeRow(7, { version: 2 }), 1)).toBe(false);
			expect(await store.get(storeId(7))).toBeNull();
			const { a } = await rotated(store);
			expect(await store.update({ ...a, version: 2 }, 1)).toBe(false);
			expect((await store.get(a.id))?.successorId).toBe(storeId("b"));
		});

		test("touch() slides lastSeenAt and idleExpiresAt without bumping the version", async () => {
			const store = await open();
			await store.create(makeRow(1));
			await store.touch(storeId(1), T0 + 60_000, T0 + 60_000 + IDLE);
			const got = await store.get(storeId(1));
			expect(got?.version).toBe(1);
			expect(got?.lastSeenAt).toBe(T0 + 60_000);
			expect(got?.idleExpiresAt).toBe(T0 + 60_000 + IDLE);
			expect(Array.from(got?.data ?? [])).toEqual(Array.from(makeRow(1).data));
			// A compare-and-set against the unchanged version still succeeds after a touch.
			expect(await store.update(makeRow(1, { version: 2 }), 1)).toBe(true);
		});

		test("touch() ignores aliases and unknown ids", async () => {
			const store = await open();
			const { a } = await rotated(store, T0 + 30_000);
			await store.touch(a.id, T0 + 60_000, T0 + 60_000 + IDLE);
			const alias = await store.get(a.id);
			expect(alias?.idleExpiresAt).toBe(T0 + 30_000);
			expect(alias?.lastSeenAt).toBe(T0);
			await store.touch(storeId(9), T0, T0);
			expect(await store.get(storeId(9))).toBeNull();
		});

		test("rotate() with grace turns the old id into an empty alias of the new row until graceUntil", async () => {
			const store = await open();
			const { a, b } = await rotated(store, T0 + 30_000);
			const alias = await store.get(a.id);
			expect(alias?.successorId).toBe(b.id);
			expect(alias?.data.length).toBe(0);
			expect(alias?.idleExpiresAt).toBe(T0 + 30_000);
			expect(alias?.createdAt).toBe(a.createdAt);
			expect(plain(await store.get(b.id))).toEqual(plain(b));
		});

		test("rotate() without grace deletes the old id and its aliases at once", async () => {
			const store = await open();
			const { a, b } = await rotated(store);
			const c = makeRow("c", { version: 3 });
			expect(await store.rotate(b.id, 2, c, null)).toBe(true);
			expect(await store.get(b.id)).toBeNull();
			expect(await store.get(a.id)).toBeNull();
			expect(plain(await store.get(c.id))).toEqual(plain(c));
		});

		test("rotate() fails on a version mismatch and on an id already rotated, changing nothing", async () => {
			const store = await open();
			const a = makeRow("a");
			await store.create(a);
			const b = makeRow("b", { version: 2 });
			expect(await store.rotate(a.id, 2, b, T0 + 30_000)).toBe(false);
			expect(await store.rotate(a.id, 0, b, null)).toBe(false);
			expect(await store.get(b.id)).toBeNull();
			expect(plain(await store.get(a.id))).toEqual(plain(a));

			expect(await store.rotate(a.id, 1, b, T0 + 30_000)).toBe(true);
			const c = makeRow("c", { version: 2 });
			expect(await store.rotate(a.id, 1, c, T0 + 30_000)).toBe(false);
			expect(await store.rotate(a.id, 1, c, null)).toBe(false);
			expect(await store.get(c.id)).toBeNull();
			expect((await store.get(a.id))?.successorId).toBe(b.id);
		});

		test("rotate() of an unknown id fails and inserts nothing", async () => {
			const store = await open();
			const b = makeRow("b");
			expect(await store.rotate(storeId("a"), 1, b, null)).toBe(false);
			expect(await store.get(b.id)).toBeNull();
		});

		test("destroy() deletes the row and every alias pointing at it", async () => {
			const store = await open();
			const { a, b } = await rotated(store);
			await store.create(makeRow("other"));
			await store.destroy(b.id);
			expect(await store.get(b.id)).toBeNull();
			expect(await store.get(a.id)).toBeNull();
			expect(await store.get(storeId("other"))).not.toBeNull();
		});

		test("destroy() of an unknown id is a no-op", async () => {
			const store = await open();
			await store.create(makeRow(1));
			await store.destroy(storeId(2));
			expect(await store.get(storeId(1))).not.toBeNull();
		});

		test("list() returns the live rows holding the value, without aliases", async () => {
			const store = await open();
			const { b } = await rotated(store);
			await store.create(makeRow(2));
			await store.create(makeRow(3, { columns: { user_id: "u2" } }));
			const ids = (await store.list("user_id", "u1")).map((r) => r.id).sort();
			expect(ids).toEqual([b.id, storeId(2)].sort());
			expect((await store.list("user_id", "u2")).map((r) => r.id)).toEqual([storeId(3)]);
			expect(await store.list("user_id", "nobody")).toEqual([]);
		});

		test("revoke() without except deletes every matching session and its aliases, and counts sessions", async () => {
			const store = await open();
			const { a, b } = await rotated(store);
			await store.create(makeRow(2));
			await store.create(makeRow(3, { columns: { user_id: "u2" } }));
			expect(await store.revoke("user_id", "u1")).toBe(2);
			for (const id of [a.id, b.id, storeId(2)]) expect(await store.get(id)).toBeNull();
			expect(await store.get(storeId(3))).not.toBeNull();
			expect(await store.revoke("user_id", "u1")).toBe(0);
		});

		test("revoke() with except keeps that session and its aliases", async () => {
			const store = await open();
			const { a, b } = await rotated(store);
			await store.create(makeRow(2));
			await store.create(makeRow(3));
			expect(await store.revoke("user_id", "u1", b.id)).toBe(2);
			expect(await store.get(b.id)).not.toBeNull();
			expect((await store.get(a.id))?.successorId).toBe(b.id);
			expect(await store.get(storeId(2))).toBeNull();
			expect(await store.get(storeId(3))).toBeNull();
		});

		// Finding 1 of docs/guarantees.md: revoke-others excepts the ID its request loaded, and another tab of the
		// same browser rotated that ID (twice here) before the revoke ran. The caller's session lives on.
		test("revoke() with except spares the live successor of a rotated except id, and the aliases leading to it", async () => {
			const store = await open();
			const { a, b } = await rotated(store);
			const c = makeRow("c", { version: 3, rotatedAt: T0 + 2, lastSeenAt: T0 + 2 });
			expect(await store.rotate(b.id, 2, c, T0 + 30_000)).toBe(true);
			const other = makeRow(2);
			await store.create(other);
			const otherNext = makeRow("2b", { version: 2 });
			expect(await store.rotate(other.id, 1, otherNext, T0 + 30_000)).toBe(true);
			expect(await store.revoke("user_id", "u1", a.id)).toBe(1);
			expect((await store.get(c.id))?.successorId).toBeNull();
			expect((await store.get(b.id))?.successorId).toBe(c.id);
			expect((await store.get(a.id))?.successorId).toBe(b.id);
			expect((await store.list("user_id", "u1")).map((r) => r.id)).toEqual([c.id]);
			expect(await store.get(other.id)).toBeNull();
			expect(await store.get(otherNext.id)).toBeNull();
		});

		test("revoke() with an except id that no longer exists spares nothing else", async () => {
			const store = await open();
			await store.create(makeRow(1));
			await store.create(makeRow(2));
			expect(await store.revoke("user_id", "u1", storeId("gone"))).toBe(2);
			expect(await store.list("user_id", "u1")).toEqual([]);
		});

		test("revoke() with except kills the aliases of the sessions it ends", async () => {
			const store = await open();
			const { a, b } = await rotated(store);
			await store.create(makeRow(2));
			expect(await store.revoke("user_id", "u1", storeId(2))).toBe(1);
			expect(await store.get(a.id)).toBeNull();
			expect(await store.get(b.id)).toBeNull();
			expect(await store.get(storeId(2))).not.toBeNull();
		});

		// Issue 11 §1, as the attack: on MariaDB's default collation, `ann` listed and revoked the sessions
		// of ANN, Ann, "ann " and ánn. Every one of these is a different identity on every store.
		test("identities compare exactly: list() and revoke() as ann touch only ann, not case, accent, space, NFD or look-alike variants", async () => {
			const store = await open();
			const ids = IDENTITIES.map((user, i) => {
				const row = makeRow(`ident-${i}`, { columns: { user_id: user } });
				return { user, row };
			});
			for (const { row } of ids) await store.create(row);
			// Each identity lists exactly its own session, and reads back byte-identical.
			for (const { user, row } of ids) {
				const listed = await store.list("user_id", user);
				expect({ user, ids: listed.map((r) => r.id) }).toEqual({ user, ids: [row.id] });
				expect(listed[0]?.columns["user_id"]).toBe(user);
			}
			// Revoking "ann" ends one session; every look-alike survives.
			expect(await store.revoke("user_id", "ann")).toBe(1);
			for (const { user, row } of ids) expect({ user, alive: (await store.get(row.id)) !== null }).toEqual({ user, alive: user !== "ann" });
			// Revoke-others as "ANN" (keeping none of the others' sessions) ends only ANN's.
			expect(await store.revoke("user_id", "ANN", storeId("elsewhere"))).toBe(1);
			expect((await store.list("user_id", "Ann")).length).toBe(1);
		});

		test("prune() deletes rows whose idle or absolute deadline has passed, and only those", async () => {
			const store = await open();
			const now = T0 + 60_000;
			await store.create(makeRow("idle", { idleExpiresAt: now }));
			// Idle past absolute breaks the invariant, but shows the absolute deadline is checked on its own.
			await store.create(makeRow("abs", { idleExpiresAt: now + 1, absoluteExpiresAt: now }));
			await store.create(makeRow("live", { idleExpiresAt: now + 1, absoluteExpiresAt: now + 1 }));
			await rotated(store, now - 1);
			expect(await store.prune(now)).toBe(3);
			expect(await store.get(storeId("idle"))).toBeNull();
			expect(await store.get(storeId("abs"))).toBeNull();
			expect(await store.get(storeId("a"))).toBeNull();
			expect(await store.get(storeId("live"))).not.toBeNull();
			expect(await store.get(storeId("b"))).not.toBeNull();
			expect(await store.prune(now)).toBe(0);
		});

		test("prune() with a limit deletes at most that many", async () => {
			const store = await open();
			for (let i = 0; i < 5; i++) await store.create(makeRow(i, { idleExpiresAt: T0 }));
			expect(await store.prune(T0, 2)).toBe(2);
			expect(await store.prune(T0, 10)).toBe(3);
		});

		test("prune() gets through more than one batch: 1200 expired rows, 1200 deleted", async () => {
			const store = await open();
			await createMany(store, 1200, (i) => makeRow(i, { idleExpiresAt: T0 }));
			for (let i = 0; i < 3; i++) await store.create(makeRow(`live-${i}`));
			expect(await store.prune(T0)).toBe(1200);
			expect(await store.prune(T0)).toBe(0);
			expect((await store.list("user_id", "u1")).length).toBe(3);
		}, BULK_TIMEOUT);

		test("prune() with a limit above one batch stops at the limit: 1200 expired, limit 700", async () => {
			const store = await open();
			await createMany(store, 1200, (i) => makeRow(i, { idleExpiresAt: T0 }));
			expect(await store.prune(T0, 700)).toBe(700);
			expect(await store.prune(T0)).toBe(500);
		}, BULK_TIMEOUT);
	});
}
