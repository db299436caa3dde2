// The Store contract of admit() (logins under a per-user limit), run by testStore() on every store.
import { expect, test } from "bun:test";
import type { SessionLimit, Store, StoredSession } from "../../src/store.ts";

const T0 = 1_900_000_000_000;
const IDLE = 30 * 60_000;

/** A live row of `user`, last seen `seen` ms after T0. */
function row(id: string, user: string | null, seen: number, overrides: Partial<StoredSession> = {}): StoredSession {
	return {
		id: id.padEnd(64, "0"), successorId: null, version: 1, data: new Uint8Array([1, 2]), createdAt: T0, rotatedAt: T0, lastSeenAt: T0 + seen,
		idleExpiresAt: T0 + seen + IDLE, absoluteExpiresAt: T0 + 12 * 3_600_000, columns: { user_id: user }, ...overrides,
	};
}

const evict: SessionLimit = { column: "user_id", max: 2, policy: "evict" };
const refuse: SessionLimit = { column: "user_id", max: 2, policy: "refuse" };

/** Registers the admit() cases; `open` gives an empty store that the suite cleans up. */
export function testAdmit(open: () => Promise<Store>): void {
	const ids = async (store: Store, user: string): Promise<string[]> => (await store.list("user_id", user)).map((r) => r.id.slice(0, 2)).sort();

	test("admit() under the limit inserts; at the limit evict deletes the least recently seen, with its aliases", async () => {
		const store = await open();
		expect(await store.admit?.(row("a1", "u1", 30), null, evict, T0 + 100)).toEqual({ status: "admitted", evicted: [] });
		expect(await store.admit?.(row("b1", "u1", 10), null, evict, T0 + 100)).toEqual({ status: "admitted", evicted: [] });
		// b1 rotates with grace into b2: its alias must die with it.
		expect(await store.rotate(row("b1", "u1", 10).id, 1, row("b2", "u1", 10, { version: 2 }), T0 + 60_000)).toBe(true);
		await store.create(row("x1", "u2", 0));
		const result = await store.admit?.(row("c1", "u1", 50), null, evict, T0 + 100);
		expect(result).toEqual({ status: "admitted", evicted: [row("b2", "u1", 0).id] });
		expect(await ids(store, "u1")).toEqual(["a1", "c1"]);
		expect(await store.get(row("b1", null, 0).id)).toBeNull();
		expect(await ids(store, "u2")).toEqual(["x1"]);
	});

	test("admit() with refuse at the limit writes nothing; expired sessions and aliases do not count", async () => {
		const store = await open();
		await store.create(row("a1", "u1", 0));
		await store.create(row("e1", "u1", 0, { idleExpiresAt: T0 + 50 }));
		expect(await store.admit?.(row("b1", "u1", 0), null, refuse, T0 + 100)).toEqual({ status: "admitted", evicted: [] });
		expect(await store.admit?.(row("c1", "u1", 0), null, refuse, T0 + 100)).toEqual({ status: "refused" });
		expect(await store.get(row("c1", null, 0).id)).toBeNull();
		expect(await ids(store, "u1")).toEqual(["a1", "b1", "e1"]);
	});

	test("admit() replaces the anonymous session at its version; a changed one is a conflict and nothing is written", async () => {
		const store = await open();
		await store.create(row("n1", null, 0));
		expect(await store.admit?.(row("a1", "u1", 0), { id: row("n1", null, 0).id, version: 2 }, evict, T0 + 100)).toEqual({ status: "conflict" });
		expect(await store.get(row("a1", null, 0).id)).toBeNull();
		expect(await store.get(row("n1", null, 0).id)).not.toBeNull();
		expect(await store.admit?.(row("a1", "u1", 0), { id: row("n1", null, 0).id, version: 1 }, evict, T0 + 100)).toEqual({ status: "admitted", evicted: [] });
		expect(await store.get(row("n1", null, 0).id)).toBeNull();
		expect(await ids(store, "u1")).toEqual(["a1"]);
	});

	test("admit() replacing one of the user's own sessions does not count it", async () => {
		const store = await open();
		await store.create(row("a1", "u1", 0));
		await store.create(row("b1", "u1", 5));
		expect(await store.admit?.(row("c1", "u1", 9), { id: row("a1", null, 0).id, version: 1 }, refuse, T0 + 100)).toEqual({ status: "admitted", evicted: [] });
		expect(await ids(store, "u1")).toEqual(["b1", "c1"]);
	});
}
