// The demo's "your devices" API as a user's browsers reach it: the list, sign-out per device (own sessions
// only), and SESS_MAX_PER_USER with SESS_LIMIT_POLICY=refuse answering 409.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newKey } from "../helpers/harness.ts";
import { Browser, startDemo, type DemoProcess } from "../helpers/demo-process.ts";

const dir = mkdtempSync(join(tmpdir(), "sess-demo-devices-"));
let demo: DemoProcess;

type Entry = { handle: string; device: string | null; label: string | null; created: string; lastSeen: string; current: boolean };

describe("demo: your devices (SESS_MAX_PER_USER=2, SESS_LIMIT_POLICY=refuse)", () => {
	beforeAll(async () => {
		demo = await startDemo({ SESS_DB: join(dir, "devices.db"), SESS_KEYS: newKey(), SESS_MAX_PER_USER: "2", SESS_LIMIT_POLICY: "refuse" });
	});
	afterAll(async () => {
		await demo.stop();
		rmSync(dir, { recursive: true, force: true });
	});

	test("list, a refused third login (409), sign-out of one device, and another user's handle refused with 404", async () => {
		const [laptop, phone, tablet, bob] = [new Browser(), new Browser(), new Browser(), new Browser()];
		expect((await laptop.send(demo.base, "POST", "/api/login", { userId: "alice" })).status).toBe(200);
		expect((await phone.send(demo.base, "POST", "/api/login", { userId: "alice" })).status).toBe(200);
		const refused = await tablet.send(demo.base, "POST", "/api/login", { userId: "alice" });
		expect(refused.status).toBe(409);
		expect(refused.json).toMatchObject({ error: "session_limit" });
		expect(tablet.cookie).toBeNull();
		expect((await bob.send(demo.base, "POST", "/api/login", { userId: "bob" })).status).toBe(200);

		const list = (await laptop.send(demo.base, "GET", "/api/sessions")).json as Entry[];
		expect(list).toHaveLength(2);
		for (const entry of list) expect(Object.keys(entry).sort()).toEqual(["created", "current", "device", "handle", "label", "lastSeen"]);
		expect(list.filter((e) => e.current)).toHaveLength(1);
		const phoneHandle = (list.find((e) => !e.current) as Entry).handle;
		const bobHandle = ((await bob.send(demo.base, "GET", "/api/sessions")).json as Entry[])[0]?.handle;

		expect((await laptop.send(demo.base, "POST", "/api/sessions/revoke", { handle: bobHandle })).status).toBe(404);
		expect((await laptop.send(demo.base, "POST", "/api/sessions/revoke", { handle: "nope" })).status).toBe(404);
		expect(((await bob.send(demo.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBe("bob");
		expect(((await laptop.send(demo.base, "GET", "/api/sessions")).json as Entry[])).toHaveLength(2);

		expect((await laptop.send(demo.base, "POST", "/api/sessions/revoke", { handle: phoneHandle })).json).toEqual({ revoked: 1 });
		expect(((await phone.send(demo.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBeNull();
		expect(((await laptop.send(demo.base, "GET", "/api/sessions")).json as Entry[]).map((e) => e.current)).toEqual([true]);
		// A device freed: the tablet may sign in now.
		expect((await tablet.send(demo.base, "POST", "/api/login", { userId: "alice" })).status).toBe(200);
	}, 30_000);
});
