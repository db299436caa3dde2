// The adapter conformance suite: one app (`dispatch`) and one list of cases, run unchanged against
// Bun.serve, withSession (fetch), Hono, Elysia (test/adapters/conformance.test.ts) and Deno.serve
// (test/deno/conformance.test.ts). Each case is what a client sees on the wire: status, body,
// Set-Cookie, and what reached the store. Written with node:assert so Bun and Deno both run it.
import assert from "node:assert/strict";
import type { Session } from "../../examples/demo/src/generated/session.ts";
import { InvalidDataError } from "../../src/errors.ts";
import type { StoredSession } from "../../src/store.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { CookieJar, MINUTE, SpyStore, makeSessions, type Harness } from "../helpers/harness.ts";

/** One adapter serving `dispatch`, reached the way its users reach it (a real server or the framework's own entry). */
export interface AdapterFixture {
	h: Harness<RefusingStore>;
	/** One request from `jar`; its cookies are applied to the jar. A handler error that the adapter rethrows reads as a 500. */
	send(jar: CookieJar, path: string, init?: RequestInit): Promise<Response>;
}

/** A store that, while `refuseWrites` is set, rejects writes as a database rejects a value it cannot store. */
export class RefusingStore extends SpyStore {
	refuseWrites = false;

	override create(session: StoredSession) {
		if (this.refuseWrites) throw new InvalidDataError("columns.user_id", "the session store refused the value as invalid data (22021)");
		return super.create(session);
	}
}

/** The harness every fixture serves: a spying memory store with a short timeout, so a hanging store answers quickly. */
export function conformanceHarness(): Harness<RefusingStore> {
	return makeSessions<RefusingStore>({ store: new RefusingStore(new MemoryStore()), storeTimeout: "50ms" });
}

/** The app every adapter serves, written once against Web Request/Response. */
export async function dispatch(request: Request, session: Session): Promise<Response> {
	const path = new URL(request.url).pathname;
	switch (`${request.method} ${path}`) {
		case "POST /login": {
			const { user } = (await request.json()) as { user: string };
			session.userId = user;
			session.role = "user";
			return Response.json({ ok: true });
		}
		case "POST /flash": {
			const { message } = (await request.json()) as { message: string };
			// Not caught: an InvalidDataError escaping the handler is the adapter's to answer.
			session.flash.set("message", message);
			return Response.json({ ok: true });
		}
		case "POST /theme-then-fail":
			session.theme = "dark";
			throw new Error("handler failed");
		case "POST /logout":
			session.destroy();
			return new Response(null, { status: 204 });
		default:
			return Response.json({ userId: session.userId ?? null, role: session.role });
	}
}

const CROSS_SITE = { "sec-fetch-site": "cross-site", origin: "https://evil.test" };
const SESSION_COOKIE = /^__Host-sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}; /;

function post(body: unknown): RequestInit {
	return { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } };
}

function sessionCookies(response: Response): string[] {
	return response.headers.getSetCookie().filter((c) => c.startsWith("__Host-sid="));
}

/** Sorted and lowercased `Set-Cookie` attributes; Elysia writes them in another order than the others. */
function attributes(cookie: string): string[] {
	return cookie.split("; ").slice(1).map((a) => a.toLowerCase()).sort();
}

async function me(f: AdapterFixture, jar: CookieJar): Promise<unknown> {
	return (await f.send(jar, "/me")).json();
}

export interface ConformanceCase {
	name: string;
	run(f: AdapterFixture): Promise<void>;
}

export const conformanceCases: ConformanceCase[] = [
	{
		name: "login sets one __Host- session cookie, private and uncacheable; the next request sees the user",
		async run(f) {
			const jar = new CookieJar();
			const login = await f.send(jar, "/login", post({ user: "c-login" }));
			assert.equal(login.status, 200);
			assert.deepEqual(await login.json(), { ok: true });
			const cookies = sessionCookies(login);
			assert.equal(cookies.length, 1);
			assert.match(cookies[0]!, SESSION_COOKIE);
			assert.deepEqual(attributes(cookies[0]!), ["httponly", "max-age=43200", "path=/", "samesite=lax", "secure"]);
			assert.equal(login.headers.get("cache-control"), "private, no-store");
			assert.match(login.headers.get("vary") ?? "", /cookie/i);
			const again = await f.send(jar, "/me");
			assert.deepEqual(sessionCookies(again), []);
			assert.deepEqual(await again.json(), { userId: "c-login", role: "user" });
		},
	},
	{
		name: "an anonymous visitor gets no cookie and no stored row",
		async run(f) {
			const before = f.h.store.count("create");
			const response = await f.send(new CookieJar(), "/me");
			assert.deepEqual(response.headers.getSetCookie(), []);
			assert.deepEqual(await response.json(), { userId: null, role: "guest" });
			assert.equal(f.h.store.count("create"), before);
		},
	},
	{
		name: "logout sends the deletion cookie, and a copy of the old cookie no longer loads the user",
		async run(f) {
			const jar = new CookieJar();
			await f.send(jar, "/login", post({ user: "c-logout" }));
			const stolen = jar.clone();
			const logout = await f.send(jar, "/logout", { method: "POST" });
			assert.equal(logout.status, 204);
			const cookies = sessionCookies(logout);
			assert.equal(cookies.length, 1);
			assert.ok(cookies[0]!.startsWith("__Host-sid=; "));
			assert.deepEqual(attributes(cookies[0]!), ["httponly", "max-age=0", "path=/", "samesite=lax", "secure"]);
			assert.equal(jar.get(), undefined);
			assert.deepEqual(await me(f, stolen), { userId: null, role: "guest" });
		},
	},
	{
		name: "a cross-site POST gets 403 before any store access and changes nothing",
		async run(f) {
			const jar = new CookieJar();
			await f.send(jar, "/login", post({ user: "c-csrf" }));
			f.h.store.reset();
			const forged = await f.send(jar, "/logout", { method: "POST", headers: CROSS_SITE });
			assert.equal(forged.status, 403);
			assert.equal(await forged.text(), "Cross-site request refused.");
			assert.equal(forged.headers.get("cache-control"), "no-store");
			assert.deepEqual(forged.headers.getSetCookie(), []);
			assert.deepEqual(f.h.store.calls, []);
			assert.deepEqual(await me(f, jar), { userId: "c-csrf", role: "user" });
		},
	},
	{
		name: "a store that hangs while loading answers 503 with Retry-After and no cookie; the cookie works once the store is back",
		async run(f) {
			const jar = new CookieJar();
			await f.send(jar, "/login", post({ user: "c-hang" }));
			f.h.store.mode = "hang";
			try {
				const down = await f.send(jar, "/me");
				assert.equal(down.status, 503);
				assert.equal(down.headers.get("retry-after"), "5");
				assert.equal(down.headers.get("cache-control"), "no-store");
				assert.deepEqual(down.headers.getSetCookie(), []);
				await down.body?.cancel();
			} finally {
				f.h.store.mode = "ok";
			}
			assert.deepEqual(await me(f, jar), { userId: "c-hang", role: "user" });
		},
	},
	{
		name: "a store failure while committing answers 503 without a session cookie",
		async run(f) {
			f.h.store.mode = "throw";
			f.h.store.failing.add("create");
			try {
				const jar = new CookieJar();
				const response = await f.send(jar, "/login", post({ user: "c-commit" }));
				assert.equal(response.status, 503);
				assert.deepEqual(sessionCookies(response), []);
				assert.equal(jar.get(), undefined);
				await response.body?.cancel();
			} finally {
				f.h.store.mode = "ok";
				f.h.store.failing.clear();
			}
		},
	},
	{
		name: "an InvalidDataError escaping the handler (a lone surrogate) answers 400 naming the field, reports an event, stores nothing",
		async run(f) {
			const events = f.h.events.length;
			const creates = f.h.store.count("create");
			const jar = new CookieJar();
			const response = await f.send(jar, "/flash", post({ message: "hi \ud800" }));
			assert.equal(response.status, 400);
			assert.equal(await response.text(), "Invalid input: flash.message: contains a lone surrogate (not valid Unicode). Send a value the session schema accepts.");
			assert.equal(response.headers.get("cache-control"), "no-store");
			assert.deepEqual(response.headers.getSetCookie(), []);
			assert.equal(f.h.store.count("create"), creates);
			assert.deepEqual(f.h.events.slice(events), [
				{ type: "invalid_data", path: "flash.message", reason: "flash.message: contains a lone surrogate (not valid Unicode)" },
			]);
		},
	},
	{
		name: "a value the store refuses as invalid data answers 400, not 503, and reports no outage",
		async run(f) {
			const events = f.h.events.length;
			f.h.store.refuseWrites = true;
			try {
				const response = await f.send(new CookieJar(), "/login", post({ user: "c-refused" }));
				assert.equal(response.status, 400);
				assert.equal(response.headers.get("retry-after"), null);
				assert.deepEqual(sessionCookies(response), []);
				await response.body?.cancel();
			} finally {
				f.h.store.refuseWrites = false;
			}
			const seen = f.h.events.slice(events).map((e) => e.type);
			assert.ok(seen.includes("invalid_data"), seen.join());
			assert.ok(!seen.includes("store_unavailable"), seen.join());
		},
	},
	{
		name: "a handler that throws commits nothing",
		async run(f) {
			const creates = f.h.store.count("create");
			const response = await f.send(new CookieJar(), "/theme-then-fail", { method: "POST" });
			assert.equal(response.status, 500);
			assert.deepEqual(sessionCookies(response), []);
			assert.equal(f.h.store.count("create"), creates);
			await response.body?.cancel();
		},
	},
	{
		name: "periodic rotation reaches the client, and the rotated cookie keeps the user",
		async run(f) {
			const jar = new CookieJar();
			await f.send(jar, "/login", post({ user: "c-rotate" }));
			const before = jar.get();
			f.h.clock.advance(15 * MINUTE);
			const rotated = await f.send(jar, "/me");
			assert.equal(sessionCookies(rotated).length, 1);
			assert.notEqual(jar.get(), before);
			assert.deepEqual(await rotated.json(), { userId: "c-rotate", role: "user" });
			assert.deepEqual(await me(f, jar), { userId: "c-rotate", role: "user" });
		},
	},
];
