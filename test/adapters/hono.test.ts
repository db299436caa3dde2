import { beforeEach, describe, expect, expectTypeOf, test } from "bun:test";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Session } from "../../examples/demo/src/generated/session.ts";
import { sessionMiddleware, type SessionEnv } from "../../src/adapters/hono.ts";
import { StoreUnavailableError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { CookieJar, MINUTE, ORIGIN, SpyStore, makeSessions, type Harness } from "../helpers/harness.ts";

const CROSS_SITE = { "sec-fetch-site": "cross-site", origin: "https://evil.test" };

let h: Harness<SpyStore>;
let app: Hono<SessionEnv<Session>>;

function createApp(harness: Harness<SpyStore>): Hono<SessionEnv<Session>> {
	const app = new Hono<SessionEnv<Session>>();
	app.use("/webhook", sessionMiddleware(harness.sessions, { csrf: false }));
	app.use("/public", sessionMiddleware(harness.sessions, { cache: "allow" }));
	app.use("/api/*", sessionMiddleware(harness.sessions));
	app.post("/api/login", async (c) => {
		const { user } = await c.req.json<{ user: string }>();
		const session = c.get("session");
		session.userId = user;
		session.role = "user";
		return c.json({ ok: true });
	});
	app.get("/api/me", (c) => {
		const session = c.get("session");
		return c.json({ userId: session.userId ?? null, role: session.role, cart: session.cart });
	});
	app.put("/api/cart/:item", (c) => {
		const session = c.get("session");
		session.cart = [...session.cart, Number(c.req.param("item"))];
		return c.json({ cart: session.cart });
	});
	app.post("/api/logout", (c) => {
		c.get("session").destroy();
		return c.body(null, 204);
	});
	app.post("/api/theme-then-fail", (c) => {
		c.get("session").theme = "dark";
		throw new HTTPException(409, { message: "conflict" });
	});
	app.post("/api/theme/:name", (c) => {
		// An unchecked value from the request: the setter refuses it with an InvalidDataError.
		c.get("session").theme = c.req.param("name") as "light";
		return c.text("ok");
	});
	app.get("/api/me-or-outage", () => {
		// What a handler's own store call (list, revoke) throws when the store is down.
		throw new StoreUnavailableError("connection refused");
	});
	app.get("/api/redirect", (c) => {
		c.get("session").theme = "light";
		// Response.redirect's headers are immutable: the middleware must commit onto a copy.
		return Response.redirect(`${ORIGIN}/api/me`, 302);
	});
	app.post("/api/cacheable", (c) => {
		c.get("session").theme = "dark";
		c.header("cache-control", "public, max-age=60");
		c.header("set-cookie", "banner=seen; Path=/");
		return c.text("cacheable");
	});
	app.post("/webhook", (c) => {
		c.get("session").theme = "dark";
		return c.text("ok");
	});
	app.get("/public", (c) => {
		c.get("session").theme = "light";
		return c.text("public");
	});
	return app;
}

beforeEach(() => {
	h = makeSessions<SpyStore>({ store: new SpyStore(new MemoryStore()), storeTimeout: "50ms" });
	app = createApp(h);
});

/** One request from the jar through `app.request`, the way Hono's own tests drive an app. */
async function send(jar: CookieJar, path: string, init: RequestInit = {}): Promise<Response> {
	const response = await app.request(jar.request(path, init));
	jar.apply(response);
	return response;
}

describe("sessionMiddleware()", () => {
	test("without an app.onError, a refused value answers 400 in one line and nothing is logged (no stack trace)", async () => {
		const logged: unknown[] = [];
		const original = console.error;
		console.error = (...args: unknown[]) => void logged.push(args);
		try {
			const jar = new CookieJar();
			const response = await send(jar, "/api/theme/neon", { method: "POST" });
			expect(response.status).toBe(400);
			expect(await response.text()).toBe('Invalid input: data.theme: expected "light" | "dark". Send a value the session schema accepts.');
			expect(response.headers.getSetCookie()).toEqual([]);
			expect(h.eventsOf("invalid_data").map((e) => e.path)).toEqual(["data.theme"]);
			const outage = await send(jar, "/api/me-or-outage");
			expect(outage.status).toBe(503);
			expect(outage.headers.get("retry-after")).toBe("5");
			expect(await outage.text()).toBe("Session store unavailable; try again shortly.");
		} finally {
			console.error = original;
		}
		expect(logged).toEqual([]);
	});

	test("a login sets the session cookie, and the next request with it sees the data", async () => {
		const jar = new CookieJar();
		const login = await send(jar, "/api/login", { method: "POST", body: JSON.stringify({ user: "u1" }) });
		expect(login.status).toBe(200);
		expect(login.headers.getSetCookie()).toHaveLength(1);
		expect(login.headers.getSetCookie()[0]).toMatch(/^__Host-sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=43200; Secure; HttpOnly; SameSite=Lax$/);
		expect(login.headers.get("cache-control")).toBe("private, no-store");
		expect(login.headers.get("vary")).toBe("Cookie");
		const me = await send(jar, "/api/me");
		expect(me.headers.getSetCookie()).toEqual([]);
		expect(me.headers.get("cache-control")).toBe("private, no-store");
		expect(await me.json()).toEqual({ userId: "u1", role: "user", cart: [] });
	});

	test("a visitor without a cookie is anonymous and gets no cookie", async () => {
		const me = await send(new CookieJar(), "/api/me");
		expect(me.headers.getSetCookie()).toEqual([]);
		expect(me.headers.get("cache-control")).toBeNull();
		expect(await me.json()).toEqual({ userId: null, role: "guest", cart: [] });
	});

	test("route parameters reach the handler and writes persist across requests", async () => {
		const jar = new CookieJar();
		await send(jar, "/api/cart/3", { method: "PUT" });
		expect(await (await send(jar, "/api/cart/5", { method: "PUT" })).json()).toEqual({ cart: [3, 5] });
		expect(((await (await send(jar, "/api/me")).json()) as { cart: number[] }).cart).toEqual([3, 5]);
	});

	test("logout clears the cookie and the old cookie no longer works", async () => {
		const jar = new CookieJar();
		await send(jar, "/api/login", { method: "POST", body: JSON.stringify({ user: "u2" }) });
		const stolen = jar.clone();
		const logout = await send(jar, "/api/logout", { method: "POST" });
		expect(logout.status).toBe(204);
		expect(logout.headers.getSetCookie()).toEqual(["__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]);
		expect(await (await send(stolen, "/api/me")).json()).toEqual({ userId: null, role: "guest", cart: [] });
	});

	test("a cross-site POST gets 403 before any store access and changes nothing", async () => {
		const jar = new CookieJar();
		await send(jar, "/api/login", { method: "POST", body: JSON.stringify({ user: "u3" }) });
		h.store.reset();
		const forged = await send(jar, "/api/logout", { method: "POST", headers: CROSS_SITE });
		expect(forged.status).toBe(403);
		expect(forged.headers.getSetCookie()).toEqual([]);
		expect(h.store.calls).toEqual([]);
		expect(((await (await send(jar, "/api/me")).json()) as { userId: string }).userId).toBe("u3");
	});

	test("a same-origin POST passes the origin check", async () => {
		const jar = new CookieJar();
		const login = await send(jar, "/api/login", { method: "POST", body: JSON.stringify({ user: "u4" }), headers: { "sec-fetch-site": "same-origin", origin: ORIGIN } });
		expect(login.status).toBe(200);
	});

	test("`csrf: false` admits a cross-site POST for that route", async () => {
		const jar = new CookieJar();
		const hook = await send(jar, "/webhook", { method: "POST", headers: CROSS_SITE });
		expect(hook.status).toBe(200);
		expect(hook.headers.getSetCookie()).toHaveLength(1);
	});

	test("`cache: \"allow\"` leaves caching headers to the app", async () => {
		const response = await send(new CookieJar(), "/public");
		expect(response.headers.getSetCookie()).toHaveLength(1);
		expect(response.headers.get("cache-control")).toBeNull();
	});

	test("the handler's own cookies survive next to the session cookie, and its public caching is overridden", async () => {
		const response = await send(new CookieJar(), "/api/cacheable", { method: "POST" });
		expect(response.headers.getSetCookie()).toHaveLength(2);
		expect(response.headers.getSetCookie()[0]).toBe("banner=seen; Path=/");
		expect(response.headers.getSetCookie()[1]).toStartWith("__Host-sid=");
		expect(response.headers.get("cache-control")).toBe("private, no-store");
	});

	test("a store outage while loading answers 503 without a cookie; the cookie works once the store is back", async () => {
		const jar = new CookieJar();
		await send(jar, "/api/login", { method: "POST", body: JSON.stringify({ user: "u5" }) });
		h.store.mode = "hang";
		try {
			const down = await send(jar, "/api/me");
			expect(down.status).toBe(503);
			expect(down.headers.get("retry-after")).toBe("5");
			expect(down.headers.getSetCookie()).toEqual([]);
		} finally {
			h.store.mode = "ok";
		}
		expect(((await (await send(jar, "/api/me")).json()) as { userId: string }).userId).toBe("u5");
	});

	test("a store failure while committing answers 503 and drops the handler's headers and cookies", async () => {
		h.store.mode = "throw";
		h.store.failing.add("create");
		const response = await send(new CookieJar(), "/api/cacheable", { method: "POST" });
		expect(response.status).toBe(503);
		expect(response.headers.getSetCookie()).toEqual([]);
		expect(response.headers.get("cache-control")).toBe("no-store");
		expect(await response.text()).toBe("Session store unavailable; try again shortly.");
	});

	test("a handler that throws commits nothing", async () => {
		const jar = new CookieJar();
		const failed = await send(jar, "/api/theme-then-fail", { method: "POST" });
		expect(failed.status).toBe(409);
		expect(failed.headers.getSetCookie()).toEqual([]);
		expect(h.store.count("create")).toBe(0);
	});

	test("a response with immutable headers (Response.redirect) is committed onto a copy", async () => {
		const jar = new CookieJar();
		const redirect = await send(jar, "/api/redirect");
		expect(redirect.status).toBe(302);
		expect(redirect.headers.get("location")).toBe(`${ORIGIN}/api/me`);
		expect(redirect.headers.getSetCookie()).toHaveLength(1);
		expect(redirect.headers.get("cache-control")).toBe("private, no-store");
	});

	test("periodic rotation reaches the client, and the rotated cookie keeps the data", async () => {
		const jar = new CookieJar();
		await send(jar, "/api/login", { method: "POST", body: JSON.stringify({ user: "u7" }) });
		const before = jar.get();
		h.clock.advance(15 * MINUTE);
		const rotated = await send(jar, "/api/me");
		expect(rotated.headers.getSetCookie()).toHaveLength(1);
		expect(jar.get()).not.toBe(before as string);
		expect(((await (await send(jar, "/api/me")).json()) as { userId: string }).userId).toBe("u7");
	});

	test("a chained app infers the session type without naming the Env", async () => {
		const chained = new Hono().use(sessionMiddleware(h.sessions)).get("/role", (c) => c.text(c.get("session").role));
		expect(await (await chained.request(new CookieJar().request("/role"))).text()).toBe("guest");
	});
});

// Type-level checks: `tsc --noEmit -p .` enforces them; the function never runs.
function typeChecks(typed: Hono<SessionEnv<Session>>): void {
	typed.get("/", (c) => {
		const session = c.get("session");
		expectTypeOf(session).toEqualTypeOf<Session>();
		expectTypeOf(session.role).toEqualTypeOf<"guest" | "user" | "admin">();
		session.theme = "dark";
		// @ts-expect-error: not one of the enum's values
		session.role = "root";
		// @ts-expect-error: no such field
		session.nope = 1;
		// @ts-expect-error: the Env declares only `session`
		c.get("sesion");
		return c.text("ok");
	});
}
void typeChecks;
