import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { sessionRoutes } from "../../src/adapters/bun.ts";
import { withSession } from "../../src/adapters/fetch.ts";
import { InvalidDataError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { CookieJar, MINUTE, SpyStore, makeSessions, type Harness } from "../helpers/harness.ts";

let h: Harness<SpyStore>;
let server: Server<undefined>;

beforeAll(() => {
	h = makeSessions<SpyStore>({ store: new SpyStore(new MemoryStore()), storeTimeout: "50ms" });
	server = Bun.serve({
		port: 0,
		hostname: "127.0.0.1",
		routes: sessionRoutes(h.sessions, {
			"/login": {
				POST: async (request, session) => {
					const { user } = (await request.json()) as { user: string };
					session.userId = user;
					session.role = "user";
					return Response.json({ ok: true });
				},
			},
			"/logout": {
				POST: (_request, session) => {
					session.destroy();
					return new Response(null, { status: 204 });
				},
			},
			"/me": (_request, session) => Response.json({ userId: session.userId ?? null, role: session.role, cart: session.cart }),
			"/cart/:item": {
				PUT: (request, session) => {
					try {
						session.cart = [...session.cart, Number(request.params.item)];
					} catch (e) {
						if (e instanceof InvalidDataError) return Response.json({ error: e.code, path: e.path }, { status: 400 });
						throw e;
					}
					return Response.json({ cart: session.cart });
				},
			},
		}),
		fetch: withSession(h.sessions, (request, session) => {
			const url = new URL(request.url);
			if (url.pathname === "/theme") {
				session.theme = url.searchParams.get("t") === "dark" ? "dark" : "light";
				return new Response("theme set");
			}
			return new Response(`fallback: ${session.theme ?? "none"}`, { status: url.pathname === "/missing" ? 404 : 200 });
		}),
	});
});

afterAll(async () => {
	await server.stop(true);
});

/** fetch() over loopback from a browser-like jar (Bun's fetch keeps no cookies of its own). */
async function send(jar: CookieJar, path: string, init: RequestInit = {}): Promise<Response> {
	const headers = new Headers(init.headers);
	const cookie = jar.header();
	if (cookie !== null) headers.set("cookie", cookie);
	const response = await fetch(new URL(path, server.url), { ...init, headers });
	jar.apply(response);
	return response;
}

describe("sessionRoutes()", () => {
	test("a login route sets the session cookie, and the next request with it sees the data", async () => {
		const jar = new CookieJar();
		const login = await send(jar, "/login", { method: "POST", body: JSON.stringify({ user: "u1" }) });
		expect(login.status).toBe(200);
		const cookies = login.headers.getSetCookie();
		expect(cookies).toHaveLength(1);
		expect(cookies[0]).toMatch(/^__Host-sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=43200; Secure; HttpOnly; SameSite=Lax$/);
		expect(login.headers.get("cache-control")).toBe("private, no-store");
		const me = await send(jar, "/me");
		expect(me.status).toBe(200);
		expect(me.headers.getSetCookie()).toEqual([]);
		expect(await me.json()).toEqual({ userId: "u1", role: "user", cart: [] });
	});

	test("a request without the cookie is anonymous and gets no cookie", async () => {
		const jar = new CookieJar();
		const me = await send(jar, "/me");
		expect(me.headers.getSetCookie()).toEqual([]);
		expect(await me.json()).toEqual({ userId: null, role: "guest", cart: [] });
	});

	test("route parameters reach the handler, and writes persist", async () => {
		const jar = new CookieJar();
		await send(jar, "/cart/3", { method: "PUT" });
		const second = await send(jar, "/cart/5", { method: "PUT" });
		expect(await second.json()).toEqual({ cart: [3, 5] });
		expect(((await (await send(jar, "/me")).json()) as { cart: number[] }).cart).toEqual([3, 5]);
	});

	test("a value the schema rejects is answered 400 by the route and stores nothing", async () => {
		const jar = new CookieJar();
		const response = await send(jar, "/cart/-1", { method: "PUT" });
		expect(response.status).toBe(400);
		expect(await response.json()).toEqual({ error: "invalid_data", path: "data.cart" });
		expect(response.headers.getSetCookie()).toEqual([]);
		expect(jar.get()).toBeUndefined();
	});

	test("logout clears the cookie and the old cookie no longer works", async () => {
		const jar = new CookieJar();
		await send(jar, "/login", { method: "POST", body: JSON.stringify({ user: "u2" }) });
		const stolen = jar.clone();
		const logout = await send(jar, "/logout", { method: "POST" });
		expect(logout.status).toBe(204);
		expect(logout.headers.getSetCookie()).toEqual(["__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]);
		expect(jar.get()).toBeUndefined();
		expect(await (await send(stolen, "/me")).json()).toEqual({ userId: null, role: "guest", cart: [] });
	});

	test("a store outage answers 503 without a cookie; the same cookie works once the store is back", async () => {
		const jar = new CookieJar();
		await send(jar, "/login", { method: "POST", body: JSON.stringify({ user: "u3" }) });
		h.store.mode = "hang";
		try {
			const down = await send(jar, "/me");
			expect(down.status).toBe(503);
			expect(down.headers.getSetCookie()).toEqual([]);
		} finally {
			h.store.mode = "ok";
		}
		expect(((await (await send(jar, "/me")).json()) as { userId: string }).userId).toBe("u3");
	});
});

describe("withSession() as the fetch fallback", () => {
	test("paths without a route reach the fallback handler with their session", async () => {
		const jar = new CookieJar();
		const set = await send(jar, "/theme?t=dark");
		expect(await set.text()).toBe("theme set");
		expect(set.headers.getSetCookie()).toHaveLength(1);
		const read = await send(jar, "/anything");
		expect(await read.text()).toBe("fallback: dark");
		expect(read.headers.getSetCookie()).toEqual([]);
	});

	test("the fallback shares sessions with the routes", async () => {
		const jar = new CookieJar();
		await send(jar, "/login", { method: "POST", body: JSON.stringify({ user: "u4" }) });
		await send(jar, "/theme?t=light");
		expect(await (await send(jar, "/elsewhere")).text()).toBe("fallback: light");
		expect(((await (await send(jar, "/me")).json()) as { userId: string }).userId).toBe("u4");
	});

	test("a fallback response of any status is committed unchanged", async () => {
		const jar = new CookieJar();
		const missing = await send(jar, "/missing");
		expect(missing.status).toBe(404);
		expect(missing.headers.getSetCookie()).toEqual([]);
	});

	test("periodic rotation reaches the browser over HTTP", async () => {
		const jar = new CookieJar();
		await send(jar, "/theme?t=dark");
		const before = jar.get();
		h.clock.advance(15 * MINUTE);
		const rotated = await send(jar, "/anything");
		expect(rotated.headers.getSetCookie()).toHaveLength(1);
		expect(jar.get()).not.toBe(before as string);
		expect(await (await send(jar, "/anything")).text()).toBe("fallback: dark");
	});
});
