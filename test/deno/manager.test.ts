// The session manager over MemoryStore under Deno (bun test runs this folder too): lazy creation,
// loading, rotation with a grace window on an injected clock, logout, and the cross-site check.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { withSession } from "sess/adapters/fetch";
import { CookieJar, MINUTE, ORIGIN, SECOND, makeSessions, request, visit, type Harness } from "../helpers/harness.ts";

async function loggedIn(h: Harness): Promise<CookieJar> {
	const jar = new CookieJar();
	await visit(h, jar, (s) => {
		s.userId = "u1";
		s.cart = [1, 2, 3];
	});
	return jar;
}

describe("createSessions() with MemoryStore", () => {
	test("a visitor who writes nothing costs no row and gets no cookie", async () => {
		const h = makeSessions();
		const { setCookies, session } = await visit(h, new CookieJar());
		assert.equal(session.isNew, true);
		assert.deepEqual(setCookies, []);
		assert.equal(h.store.size, 0);
	});

	test("the first write stores one row and sends one __Host- cookie; the next request loads it", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		const first = await visit(h, jar, (s) => (s.theme = "dark"));
		assert.equal(first.setCookies.length, 1);
		assert.match(first.setCookies[0] ?? "", /^__Host-sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=43200; Secure; HttpOnly; SameSite=Lax$/);
		assert.equal(first.response.headers.get("cache-control"), "private, no-store");
		assert.equal(h.store.size, 1);
		const next = await visit(h, jar);
		assert.equal(next.session.isNew, false);
		assert.equal(next.session.theme, "dark");
		assert.deepEqual(next.setCookies, []);
	});

	test("login (a rotate field) issues a new cookie and the old one is dead at once", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.theme = "dark"));
		const planted = jar.clone();
		const login = await visit(h, jar, (s) => (s.userId = "u1"));
		assert.equal(login.setCookies.length, 1);
		assert.notEqual(jar.token(), planted.token());
		assert.equal((await visit(h, planted)).session.userId, undefined);
		assert.equal((await visit(h, jar)).session.userId, "u1");
	});

	test("after rotation.every a new cookie is issued; the old one works for the grace window, then dies", async () => {
		const h = makeSessions();
		const jar = await loggedIn(h);
		const old = jar.clone();
		h.clock.advance(15 * MINUTE);
		const rotated = await visit(h, jar);
		assert.equal(rotated.setCookies.length, 1);
		assert.notEqual(jar.token(), old.token());
		assert.equal(h.eventsOf("rotated").length, 1);
		h.clock.advance(29 * SECOND);
		const during = await visit(h, old);
		assert.deepEqual(during.session.cart, [1, 2, 3]);
		assert.deepEqual(during.setCookies, []);
		h.clock.advance(1 * SECOND);
		assert.equal((await visit(h, old)).session.isNew, true);
		assert.equal(h.eventsOf("grace_expired").length, 1);
		assert.deepEqual((await visit(h, jar)).session.cart, [1, 2, 3]);
	});

	test("after 30 idle minutes the visitor gets a fresh session and the row is deleted", async () => {
		const h = makeSessions();
		const jar = await loggedIn(h);
		h.clock.advance(30 * MINUTE);
		assert.equal((await visit(h, jar)).session.isNew, true);
		assert.equal(h.eventsOf("idle_expired").length, 1);
		assert.equal(h.store.size, 0);
	});

	test("destroy() deletes the row at once and clears the cookie", async () => {
		const h = makeSessions();
		const jar = await loggedIn(h);
		const stolen = jar.clone();
		const logout = await visit(h, jar, (s) => s.destroy());
		assert.deepEqual(logout.setCookies, ["__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]);
		assert.equal(h.store.size, 0);
		assert.equal((await visit(h, stolen)).session.isNew, true);
	});
});

describe("withSession(): the cross-site check", () => {
	const post = (headers: Record<string, string>): RequestInit => ({ method: "POST", headers });

	test("a cross-site POST gets 403 and changes nothing", async () => {
		const h = makeSessions();
		const jar = await loggedIn(h);
		const handler = withSession(h.sessions, (_request, session) => {
			session.destroy();
			return new Response("logged out");
		});
		const forged = await request(handler, jar, "/logout", post({ "sec-fetch-site": "cross-site", origin: "https://evil.test" }));
		assert.equal(forged.status, 403);
		assert.deepEqual(forged.headers.getSetCookie(), []);
		assert.equal((await visit(h, jar)).session.userId, "u1");
	});

	test("a same-origin POST passes", async () => {
		const h = makeSessions();
		const jar = await loggedIn(h);
		const handler = withSession(h.sessions, (_request, session) => new Response(session.userId ?? "anonymous"));
		const response = await request(handler, jar, "/whoami", post({ "sec-fetch-site": "same-origin", origin: ORIGIN }));
		assert.equal(response.status, 200);
		assert.equal(await response.text(), "u1");
	});
});
