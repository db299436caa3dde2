// The Store contract for device records (handle, description, label, network), run by testStore() on every store.
import { expect, test } from "bun:test";
import type { DeviceRecord } from "../../src/device.ts";
import type { Store, StoredSession } from "../../src/store.ts";
import { hashSessionToken } from "../../src/token.ts";

const T0 = 1_900_000_000_000;
const DEVICE: DeviceRecord = { handle: "h4nDle_-0123456789abcd", description: "Firefox 133 on Windows", label: "Anna’s 💻 laptop", network: "2001:db8:1::/48" };

function row(n: string, overrides: Partial<StoredSession> = {}): StoredSession {
	return {
		id: hashSessionToken(`device-${n}`), successorId: null, version: 1, data: new Uint8Array([1]), createdAt: T0, rotatedAt: T0, lastSeenAt: T0,
		idleExpiresAt: T0 + 60_000, absoluteExpiresAt: T0 + 120_000, columns: { user_id: "u1" }, ...overrides,
	};
}

/** Registers the device-record cases; `open` gives an empty store that the suite cleans up. */
export function testDeviceRecords(open: () => Promise<Store>): void {
	test("a device record is stored with the row and read back by get() and list(); a row without one reads back without", async () => {
		const store = await open();
		await store.create(row("a", { device: DEVICE }));
		await store.create(row("b", { device: { ...DEVICE, handle: "other", label: null, network: null, description: null } }));
		await store.create(row("c"));
		expect((await store.get(row("a").id))?.device).toEqual(DEVICE);
		expect((await store.get(row("c").id))?.device).toBeUndefined();
		const listed = new Map((await store.list("user_id", "u1")).map((r) => [r.id, r.device]));
		expect(listed.get(row("a").id)).toEqual(DEVICE);
		expect(listed.get(row("b").id)).toEqual({ handle: "other", description: null, label: null, network: null });
		expect(listed.get(row("c").id)).toBeUndefined();
	});

	test("rotate() and admit() write the next row's device record; update() keeps the one it is given", async () => {
		const store = await open();
		await store.create(row("a", { device: DEVICE }));
		const next = row("b", { version: 2, device: { ...DEVICE, description: "Firefox 134 on Windows" } });
		expect(await store.rotate(row("a").id, 1, next, T0 + 30_000)).toBe(true);
		expect((await store.get(next.id))?.device?.description).toBe("Firefox 134 on Windows");
		expect(await store.update({ ...next, version: 3, data: new Uint8Array([9]), columns: { user_id: "u2" } }, 2)).toBe(true);
		expect((await store.get(next.id))?.device).toEqual(next.device);
		if (store.admit !== undefined) {
			const login = row("c", { device: { ...DEVICE, handle: "login" } });
			expect((await store.admit(login, null, { column: "user_id", max: 5, policy: "evict" }, T0))?.status).toBe("admitted");
			expect((await store.get(login.id))?.device?.handle).toBe("login");
		}
	});
}
