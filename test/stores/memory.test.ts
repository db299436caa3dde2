import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../../src/stores/memory.ts";
import type { StoredSession } from "../../src/store.ts";
import { createSessions } from "../../examples/demo/src/generated/session.ts";
import { makeRow, storeId, testStore } from "./conformance.ts";

testStore("MemoryStore", async () => ({ store: new MemoryStore(), cleanup: async () => undefined }));

describe("MemoryStore", () => {
	test("size counts rows, aliases included", () => {
		const store = new MemoryStore();
		store.create(makeRow("a"));
		expect(store.size).toBe(1);
		expect(store.rotate(storeId("a"), 1, makeRow("b", { version: 2 }), Date.now())).toBe(true);
		expect(store.size).toBe(2);
		store.destroy(storeId("b"));
		expect(store.size).toBe(0);
	});

	test("create() refuses an id that already exists", () => {
		const store = new MemoryStore();
		store.create(makeRow("a"));
		expect(() => store.create(makeRow("a", { version: 5 }))).toThrow();
		expect(store.get(storeId("a"))?.version).toBe(1);
	});

	test("changing columns of a returned row does not change the store (control)", () => {
		const store = new MemoryStore();
		store.create(makeRow("a"));
		const got = store.get(storeId("a"));
		if (got !== null) got.columns["user_id"] = "u2";
		expect(store.list("user_id", "u1")).toHaveLength(1);
	});

	test("the bytes of a returned or given row are copies, so changing them never changes the stored session", () => {
		const store = new MemoryStore();
		const row = makeRow("a");
		store.create(row);
		row.data[1] = 0x7f;
		store.get(storeId("a"))?.data.fill(0);
		expect(Array.from(store.get(storeId("a"))?.data ?? [])).toEqual(Array.from(makeRow("a").data));
	});

	test("every method answers synchronously", () => {
		const store = new MemoryStore();
		expect(store.create(makeRow("a"))).toBeUndefined();
		expect(store.get(storeId("a"))).not.toBeInstanceOf(Promise);
		expect(store.update(makeRow("a", { version: 2 }), 1)).toBe(true);
		expect(store.list("user_id", "u1")).toHaveLength(1);
		expect(store.prune(0)).toBe(0);
	});

	test("a subclass that overrides get and update sees every read and write of sess's load and commit", async () => {
		const seen: string[] = [];
		class Watched extends MemoryStore {
			override get(id: string): StoredSession | null {
				seen.push("get");
				return super.get(id);
			}
			override update(session: StoredSession, expectedVersion: number): boolean {
				seen.push("update");
				return super.update(session, expectedVersion);
			}
		}
		const sessions = createSessions({ store: new Watched(), keys: [Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")] });
		const first = await sessions.load({ headers: new Headers() });
		first.cart = [1];
		const set = await sessions.commitCookie(first);
		const cookie = (set ?? "").split(";")[0] as string;
		seen.length = 0;
		const again = await sessions.load({ headers: new Headers({ cookie }) });
		again.cart = [1, 2];
		await sessions.commitCookie(again);
		expect(seen).toEqual(["get", "update"]);
		const last = await sessions.load({ headers: new Headers({ cookie }) });
		expect(last.cart).toEqual([1, 2]);
	});

	test("a row sess read keeps its values after later writes and touches (stored rows are replaced, never changed in place)", async () => {
		const store = new MemoryStore();
		const sessions = createSessions({ store, keys: [Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")] });
		const first = await sessions.load({ headers: new Headers() });
		first.cart = [1];
		const cookie = ((await sessions.commitCookie(first)) ?? "").split(";")[0] as string;
		const a = await sessions.load({ headers: new Headers({ cookie }) });
		const b = await sessions.load({ headers: new Headers({ cookie }) });
		a.cart = [1, 2];
		await sessions.commitCookie(a);
		// b was loaded before a's write: its commit must see the row change under it and merge, not overwrite blindly.
		b.theme = "dark";
		await sessions.commitCookie(b);
		const last = await sessions.load({ headers: new Headers({ cookie }) });
		expect(last.cart).toEqual([1, 2]);
		expect(last.theme).toBe("dark");
	});
});
