import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../../src/stores/memory.ts";
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
});
