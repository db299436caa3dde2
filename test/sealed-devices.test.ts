// Issue 13 §1 in sealed mode, on the wire through the demo's routes: the caller's own entry in "your
// devices" carries a handle that survives rotation, and that handle signs the login out, everywhere its
// cookies went; a handle shown to one user ends nothing of another's, and a tampered one nothing at all.
import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../src/stores/memory.ts";
import { CookieJar, MINUTE } from "./helpers/harness.ts";
import { demoApp, type DemoApp } from "./stores/demo-engines.ts";

async function send(app: DemoApp, jar: CookieJar, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
	const init = body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { "content-type": "application/json" } };
	const response = await app.handle(jar.request(path, init));
	jar.apply(response);
	return { status: response.status, json: await response.json() };
}

interface Listed {
	handle: string;
	current: boolean;
	device: string | null;
}

async function login(app: DemoApp, user: string): Promise<CookieJar> {
	const jar = new CookieJar();
	expect((await send(app, jar, "POST", "/api/login", { userId: user })).status).toBe(200);
	return jar;
}

async function listed(app: DemoApp, jar: CookieJar): Promise<Listed[]> {
	return (await send(app, jar, "GET", "/api/sessions")).json as Listed[];
}

async function userOf(app: DemoApp, jar: CookieJar): Promise<unknown> {
	return ((await send(app, jar, "GET", "/api/session")).json as { userId: unknown }).userId;
}

describe("sealed mode: your own device", () => {
	test("list() shows the caller's own entry, current, with a handle that rotation keeps; revoking it ends every copy of the login", async () => {
		const app = demoApp(new MemoryStore(), "sealed");
		const jar = await login(app, "ida");
		const before = jar.clone();
		const first = await listed(app, jar);
		expect(first).toHaveLength(1);
		expect(first[0]?.current).toBe(true);
		const handle = first[0]?.handle as string;
		// Fits the demo's 64-character handle field, and carries no cookie: it does not load the session.
		expect(handle.length).toBeLessThanOrEqual(64);
		const stranger = new CookieJar();
		stranger.cookies.set("__Host-sid", { value: handle, maxAge: null });
		expect(await userOf(app, stranger)).toBeNull();

		// Past the rotation interval: a new cookie, the same handle.
		app.clock.advance(16 * MINUTE);
		expect(await userOf(app, jar)).toBe("ida");
		expect(jar.header()).not.toBe(before.header());
		expect((await listed(app, jar)).map((s) => s.handle)).toEqual([handle]);

		expect((await send(app, jar, "POST", "/api/sessions/revoke", { handle })).json).toEqual({ revoked: 1 });
		expect(await userOf(app, jar)).toBeNull();
		// The copy taken before the rotation dies with it.
		expect(await userOf(app, before)).toBeNull();
	});

	test("a handle does nothing for another user, nor once tampered with; the other device of the same user stays", async () => {
		const app = demoApp(new MemoryStore(), "sealed");
		const ida = await login(app, "ida");
		const phone = await login(app, "ida");
		const eve = await login(app, "eve");
		const handle = (await listed(app, ida))[0]?.handle as string;
		expect((await listed(app, phone))[0]?.handle).not.toBe(handle);

		// Eve replays Ida's handle: not found, Ida untouched.
		expect((await send(app, eve, "POST", "/api/sessions/revoke", { handle })).status).toBe(404);
		const flipped = handle.slice(0, 3) + (handle[3] === "A" ? "B" : "A") + handle.slice(4);
		expect((await send(app, ida, "POST", "/api/sessions/revoke", { handle: flipped })).status).toBe(404);
		expect(await userOf(app, ida)).toBe("ida");

		// Ida's phone signs the laptop out by its handle (seen there); the phone stays in.
		expect((await send(app, phone, "POST", "/api/sessions/revoke", { handle })).json).toEqual({ revoked: 1 });
		expect(await userOf(app, ida)).toBeNull();
		expect(await userOf(app, phone)).toBe("ida");
		expect(await userOf(app, eve)).toBe("eve");
	});
});
