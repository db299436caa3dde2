// "Your devices" through the manager, run per engine by engines.test.ts: list() entries, handles, revokeOne().
import { expect, test } from "bun:test";
import { createSessions, type Sessions } from "../../examples/demo/src/generated/session.ts";
import type { Store } from "../../src/store.ts";

const CHROME_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

interface Device {
	cookie: string;
	headers: Record<string, string>;
}

/** A manager whose clock the test moves; labels and addresses come from test headers (the app's opt-in). */
function devicesManager(store: Store, key: string, optIn: boolean): { sessions: Sessions; advance(ms: number): void } {
	let t = Date.now();
	const sessions = createSessions({
		store, keys: [key], now: () => t, storeTimeout: "30s",
		...(optIn ? { device: { label: (r) => r.headers.get("x-device-name"), address: (r) => r.headers.get("x-test-ip") } } : {}),
	});
	return { sessions, advance: (ms) => void (t += ms) };
}

async function signIn(sessions: Sessions, user: string, headers: Record<string, string>): Promise<Device> {
	const s = await sessions.load(new Request("https://app.test/login", { headers }));
	s.userId = user;
	return { cookie: ((await sessions.commitCookie(s)) as string).split(";")[0] as string, headers };
}

async function open(sessions: Sessions, device: Device) {
	return sessions.load(new Request("https://app.test/", { headers: { ...device.headers, cookie: device.cookie } }));
}

/** Registers the device tests over a store `get()` returns once the suite set it up. */
export function testDevices(get: () => { store: Store; key: string }): void {
	test("list() shows each device (browser and OS, label, /24 network on opt-in), a handle, and which one is the caller", async () => {
		const { sessions } = devicesManager(get().store, get().key, true);
		const user = `dev-${crypto.randomUUID()}`;
		const laptop = await signIn(sessions, user, { "user-agent": CHROME_MAC, "x-device-name": "Work laptop", "x-test-ip": "203.0.113.77" });
		const phone = await signIn(sessions, user, { "user-agent": FIREFOX_WIN });
		const me = await open(sessions, laptop);
		// Both signed in at the same instant, so list() orders them by ID: sort by device to compare.
		const list = (await sessions.list("userId", user, { current: me })).sort((x, y) => String(x.device).localeCompare(String(y.device)));
		expect(list.map(({ device, label, network, current }) => ({ device, label, network, current }))).toEqual([
			{ device: "Chrome 131 on macOS", label: "Work laptop", network: "203.0.113.0/24", current: true },
			{ device: "Firefox 133 on Windows", label: null, network: null, current: false },
		]);
		const [a, b] = list.map((e) => e.handle);
		expect(a).not.toBe(b);
		// Non-secret: nothing of the cookie in the handle, and it does not open a session.
		for (const handle of [a, b] as string[]) {
			expect(laptop.cookie.includes(handle) || phone.cookie.includes(handle)).toBe(false);
			expect((await sessions.load(new Request("https://app.test/", { headers: { cookie: `__Host-sid=${handle}` } }))).userId).toBeUndefined();
		}
	}, 30_000);

	test("without the opt-in no network is stored; the handle survives rotation", async () => {
		const { sessions, advance } = devicesManager(get().store, get().key, false);
		const user = `rot-${crypto.randomUUID()}`;
		const laptop = await signIn(sessions, user, { "user-agent": CHROME_MAC, "x-test-ip": "203.0.113.77" });
		const [before] = await sessions.list("userId", user);
		expect(before?.network).toBeNull();
		advance(16 * 60_000);
		const s = await open(sessions, laptop);
		const rotated = await sessions.commitCookie(s);
		expect(rotated).not.toBeNull();
		const after = await sessions.list("userId", user);
		expect(after.map((e) => e.handle)).toEqual([before?.handle as string]);
		expect(after[0]?.id).not.toBe(before?.id);
	}, 30_000);

	test("revokeOne() signs out one device of the same user only; another user's handle changes nothing", async () => {
		const { sessions } = devicesManager(get().store, get().key, false);
		const ann = `ann-${crypto.randomUUID()}`;
		const bob = `bob-${crypto.randomUUID()}`;
		const laptop = await signIn(sessions, ann, { "user-agent": CHROME_MAC });
		const phone = await signIn(sessions, ann, { "user-agent": FIREFOX_WIN });
		const bobs = await signIn(sessions, bob, { "user-agent": FIREFOX_WIN });
		const [bobHandle] = (await sessions.list("userId", bob)).map((e) => e.handle);
		expect(await sessions.revokeOne("userId", ann, bobHandle as string)).toBe(false);
		expect(await sessions.revokeOne("userId", ann, "no-such-handle")).toBe(false);
		expect((await open(sessions, bobs)).userId).toBe(bob);
		expect(await sessions.list("userId", ann)).toHaveLength(2);
		const phoneHandle = (await sessions.list("userId", ann)).find((e) => e.device === "Firefox 133 on Windows")?.handle as string;
		expect(await sessions.revokeOne("userId", ann, phoneHandle)).toBe(true);
		expect((await open(sessions, phone)).userId).toBeUndefined();
		expect((await open(sessions, laptop)).userId).toBe(ann);
		expect((await sessions.list("userId", ann)).map((e) => e.device)).toEqual(["Chrome 131 on macOS"]);
	}, 30_000);
}
