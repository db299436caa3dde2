import { beforeEach, describe, expect, expectTypeOf, test } from "bun:test";
import { Elysia } from "elysia";
import type { Session } from "../../examples/demo/src/generated/session.ts";
import { sessionPlugin } from "../../src/adapters/elysia.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { CookieJar, MINUTE, ORIGIN, SpyStore, makeSessions, type Harness } from "../helpers/harness.ts";

const CROSS_SITE = { "sec-fetch-site": "cross-site", origin: "https://evil.test" };
const COOKIE_ATTRIBUTES = "; Max-Age=43200; Path=/; HttpOnly; Secure; SameSite=Lax";

let h: Harness<SpyStore>;
let app: ReturnType<typeof createApp>;

function createApp(harness: Harness<SpyStore>) {
	return new Elysia()
		// Registered first, so it covers every route: the plugin's own 403 and 503 must not reach it.
		.onError(({ error }) => new Response(error instanceof Error ? error.message : "error", { status: 500 }))
		.use(sessionPlugin(harness.sessions))
		.post("/login", async ({ request, session }) => {
			const { user } = (await request.json()) as { user: string };
			session.userId = user;
			session.role = "user";
			return { ok: true };
		})
		.get("/me", ({ session }) => ({ userId: session.userId ?? null, role: session.role, cart: session.cart }))
		.put("/cart/:item", ({ params, session }) => {
			session.cart = [...session.cart, Number(params.item)];
			return { cart: session.cart };
		})
		.get("/theme/text", ({ session, set }) => {
			session.theme = "dark";
			set.headers["vary"] = "Accept-Language";
			return "theme set";
		})
		.get("/theme/response", ({ session }) => {
			session.theme = "light";
			return new Response("from a Response", { headers: { "cache-control": "public, max-age=60" } });
		})
		.get("/theme/redirect", ({ session }) => {
			session.theme = "dark";
			return Response.redirect(`${ORIGIN}/me`, 302);
		})
		.get("/theme/missing", ({ session, status }) => {
			session.theme = "dark";
			return status(404, { error: "not here" });
		})
		.get("/theme/jar", ({ session, cookie }) => {
			session.theme = "dark";
			cookie["banner"]!.value = "seen";
			return { ok: true };
		})
		.post("/theme/fail", ({ session }) => {
			session.theme = "dark";
			throw new Error("handler failed");
		})
		.post("/logout", ({ session, set }) => {
			session.destroy();
			set.status = 204;
			return "";
		});
}

beforeEach(() => {
	h = makeSessions<SpyStore>({ store: new SpyStore(new MemoryStore()), storeTimeout: "50ms" });
	app = createApp(h);
});

/** One request from the jar through `app.handle`, the way Elysia apps are tested. */
async function send(jar: CookieJar, path: string, init: RequestInit = {}): Promise<Response> {
	const response = await app.handle(jar.request(path, init));
	jar.apply(response);
	return response;
}

function sessionCookies(response: Response): string[] {
	return response.headers.getSetCookie().filter((c) => c.startsWith("__Host-sid="));
}

describe("sessionPlugin()", () => {
	test("a login sets the session cookie, and the next request with it sees the data", async () => {
		const jar = new CookieJar();
		const login = await send(jar, "/login", { method: "POST", body: JSON.stringify({ user: "u1" }) });
		expect(login.status).toBe(200);
		expect(await login.json()).toEqual({ ok: true });
		expect(login.headers.getSetCookie()).toHaveLength(1);
		expect(login.headers.getSetCookie()[0]).toMatch(new RegExp(`^__Host-sid=[A-Za-z0-9_-]{43}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{22}${COOKIE_ATTRIBUTES.replaceAll("/", "\\/")}$`));
		expect(login.headers.get("cache-control")).toBe("private, no-store");
		expect(login.headers.get("vary")).toBe("Cookie");
		const me = await send(jar, "/me");
		expect(me.headers.getSetCookie()).toEqual([]);
		expect(me.headers.get("cache-control")).toBe("private, no-store");
		expect(await me.json()).toEqual({ userId: "u1", role: "user", cart: [] });
	});

	test("a visitor without a cookie is anonymous and gets no cookie", async () => {
		const me = await send(new CookieJar(), "/me");
		expect(me.headers.getSetCookie()).toEqual([]);
		expect(me.headers.get("cache-control")).toBeNull();
		expect(await me.json()).toEqual({ userId: null, role: "guest", cart: [] });
	});

	test("route parameters reach the handler and writes persist across requests", async () => {
		const jar = new CookieJar();
		await send(jar, "/cart/3", { method: "PUT" });
		expect(await (await send(jar, "/cart/5", { method: "PUT" })).json()).toEqual({ cart: [3, 5] });
		expect(((await (await send(jar, "/me")).json()) as { cart: number[] }).cart).toEqual([3, 5]);
	});

	test("a handler returning a string is committed", async () => {
		const jar = new CookieJar();
		const response = await send(jar, "/theme/text");
		expect(await response.text()).toBe("theme set");
		expect(sessionCookies(response)).toHaveLength(1);
		expect(response.headers.get("cache-control")).toBe("private, no-store");
		expect(response.headers.get("vary")).toBe("Accept-Language, Cookie");
	});

	test("a handler returning a Response is committed onto it, and its public caching is overridden", async () => {
		const jar = new CookieJar();
		const response = await send(jar, "/theme/response");
		expect(await response.text()).toBe("from a Response");
		expect(sessionCookies(response)).toHaveLength(1);
		expect(response.headers.get("cache-control")).toBe("private, no-store");
		expect(response.headers.get("vary")).toBe("Cookie");
	});

	test("a Response with immutable headers (Response.redirect) is committed onto a copy", async () => {
		const response = await send(new CookieJar(), "/theme/redirect");
		expect(response.status).toBe(302);
		expect(response.headers.get("location")).toBe(`${ORIGIN}/me`);
		expect(sessionCookies(response)).toHaveLength(1);
	});

	test("a status() value keeps its status and gets the cookie", async () => {
		const response = await send(new CookieJar(), "/theme/missing");
		expect(response.status).toBe(404);
		expect(await response.json()).toEqual({ error: "not here" });
		expect(sessionCookies(response)).toHaveLength(1);
	});

	test("cookies the handler sets through Elysia's cookie jar travel next to the session cookie", async () => {
		const jar = new CookieJar();
		const response = await send(jar, "/theme/jar");
		expect(response.headers.getSetCookie()).toHaveLength(2);
		expect(response.headers.getSetCookie()).toContain("banner=seen; Path=/");
		expect(sessionCookies(response)).toHaveLength(1);
		expect(jar.get("banner")).toBe("seen");
	});

	test("logout clears the cookie and the old cookie no longer works", async () => {
		const jar = new CookieJar();
		await send(jar, "/login", { method: "POST", body: JSON.stringify({ user: "u2" }) });
		const stolen = jar.clone();
		const logout = await send(jar, "/logout", { method: "POST" });
		expect(logout.status).toBe(204);
		expect(logout.headers.getSetCookie()).toEqual([`__Host-sid=${COOKIE_ATTRIBUTES.replace("43200", "0")}`]);
		expect(jar.get()).toBeUndefined();
		expect(await (await send(stolen, "/me")).json()).toEqual({ userId: null, role: "guest", cart: [] });
	});

	test("a cross-site POST gets 403 before any store access and changes nothing", async () => {
		const jar = new CookieJar();
		await send(jar, "/login", { method: "POST", body: JSON.stringify({ user: "u3" }) });
		h.store.reset();
		const forged = await send(jar, "/logout", { method: "POST", headers: CROSS_SITE });
		expect(forged.status).toBe(403);
		expect(await forged.text()).toBe("Cross-site request refused.");
		expect(forged.headers.get("cache-control")).toBe("no-store");
		expect(forged.headers.getSetCookie()).toEqual([]);
		expect(h.store.calls).toEqual([]);
		expect(((await (await send(jar, "/me")).json()) as { userId: string }).userId).toBe("u3");
	});

	test("`csrf: false` admits a cross-site POST", async () => {
		const open = new Elysia().use(sessionPlugin(h.sessions, { csrf: false })).post("/webhook", ({ session }) => {
			session.theme = "dark";
			return "ok";
		});
		const response = await open.handle(new CookieJar().request("/webhook", { method: "POST", headers: CROSS_SITE }));
		expect(response.status).toBe(200);
		expect(sessionCookies(response)).toHaveLength(1);
	});

	test("a store outage while loading answers 503 without a cookie; the cookie works once the store is back", async () => {
		const jar = new CookieJar();
		await send(jar, "/login", { method: "POST", body: JSON.stringify({ user: "u4" }) });
		h.store.mode = "hang";
		try {
			const down = await send(jar, "/me");
			expect(down.status).toBe(503);
			expect(down.headers.get("retry-after")).toBe("5");
			expect(down.headers.getSetCookie()).toEqual([]);
		} finally {
			h.store.mode = "ok";
		}
		expect(((await (await send(jar, "/me")).json()) as { userId: string }).userId).toBe("u4");
	});

	test("a store failure while committing answers 503 without a session cookie", async () => {
		h.store.mode = "throw";
		h.store.failing.add("create");
		const response = await send(new CookieJar(), "/login", { method: "POST", body: JSON.stringify({ user: "u5" }) });
		expect(response.status).toBe(503);
		expect(response.headers.getSetCookie()).toEqual([]);
		expect(response.headers.get("cache-control")).toBe("no-store");
	});

	test("a handler that throws commits nothing", async () => {
		const failed = await send(new CookieJar(), "/theme/fail", { method: "POST" });
		expect(failed.status).toBe(500);
		expect(failed.headers.getSetCookie()).toEqual([]);
		expect(h.store.count("create")).toBe(0);
	});

	test("periodic rotation reaches the client, and the rotated cookie keeps the data", async () => {
		const jar = new CookieJar();
		await send(jar, "/login", { method: "POST", body: JSON.stringify({ user: "u6" }) });
		const before = jar.get();
		h.clock.advance(15 * MINUTE);
		const rotated = await send(jar, "/me");
		expect(sessionCookies(rotated)).toHaveLength(1);
		expect(jar.get()).not.toBe(before as string);
		expect(((await (await send(jar, "/me")).json()) as { userId: string }).userId).toBe("u6");
	});

	test("installed twice on one app (as modules declaring the dependency do), it loads once and sends one cookie", async () => {
		const twice = new Elysia()
			.use(sessionPlugin(h.sessions))
			.use(sessionPlugin(h.sessions))
			.post("/theme", ({ session }) => {
				session.theme = "dark";
				return "ok";
			})
			.get("/theme", ({ session }) => session.theme ?? "none");
		const jar = new CookieJar();
		const set = await twice.handle(jar.request("/theme", { method: "POST" }));
		jar.apply(set);
		expect(set.headers.getSetCookie()).toHaveLength(1);
		h.store.reset();
		expect(await (await twice.handle(jar.request("/theme"))).text()).toBe("dark");
		expect(h.store.count("get")).toBe(1);
	});

	test("a module's routes get the session through the module's own `.use()`", async () => {
		const account = new Elysia().use(sessionPlugin(h.sessions)).post("/account/theme", ({ session }) => {
			session.theme = "dark";
			return "ok";
		});
		const modular = new Elysia().use(sessionPlugin(h.sessions)).use(account).get("/theme", ({ session }) => session.theme ?? "none");
		const jar = new CookieJar();
		const set = await modular.handle(jar.request("/account/theme", { method: "POST" }));
		jar.apply(set);
		expect(set.headers.getSetCookie()).toHaveLength(1);
		h.store.reset();
		expect(await (await modular.handle(jar.request("/theme"))).text()).toBe("dark");
		expect(h.store.count("get")).toBe(1);
	});
});

// Type-level checks: `tsc --noEmit -p .` enforces them; the function never runs.
function typeChecks(): void {
	new Elysia().use(sessionPlugin(h.sessions)).get("/", ({ session }) => {
		expectTypeOf(session).toEqualTypeOf<Session>();
		expectTypeOf(session.role).toEqualTypeOf<"guest" | "user" | "admin">();
		session.theme = "dark";
		// @ts-expect-error: not one of the enum's values
		session.role = "root";
		// @ts-expect-error: no such field
		session.nope = 1;
		return "ok";
	});
	// Eden sees the handler's own 200 type, plus the plugin's 403 and 503 text answers.
	const routes = new Elysia().use(sessionPlugin(h.sessions)).get("/me", ({ session }) => ({ role: session.role }));
	expectTypeOf<(typeof routes)["~Routes"]["me"]["get"]["response"]>().toEqualTypeOf<{ 200: { role: "guest" | "user" | "admin" }; 403: string; 503: string }>();
	// @ts-expect-error: without the plugin there is no session in the context
	new Elysia().get("/", ({ session }) => session);
}
void typeChecks;
