import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { checkOrigin, createCsrfToken, verifyCsrfToken } from "../src/csrf.ts";
import { withSession } from "../src/adapters/fetch.ts";
import { CookieJar, makeSessions, visit } from "./helpers/harness.ts";

const APP = "https://app.test";

function post(headers: Record<string, string>, method = "POST"): Request {
	return new Request(`${APP}/api/cart`, { method, headers });
}

describe("checkOrigin()", () => {
	test.each([
		["same-origin fetch metadata", { "sec-fetch-site": "same-origin", origin: APP }],
		["a user-typed navigation", { "sec-fetch-site": "none" }],
		["an Origin equal to the app's, no fetch metadata (older browser)", { origin: APP }],
		["no Origin and no fetch metadata (curl, server-to-server)", {}],
	])("lets %s through", (_name, headers) => {
		expect(checkOrigin(post(headers))).toBeNull();
	});

	test.each([
		["cross-site fetch metadata", { "sec-fetch-site": "cross-site", origin: "https://evil.test" }, "cross-site"],
		["same-site from another subdomain", { "sec-fetch-site": "same-site", origin: "https://evil.app.test" }, "cross-site"],
		["cross-site fetch metadata without an Origin", { "sec-fetch-site": "cross-site" }, "cross-site"],
		["a foreign Origin without fetch metadata", { origin: "https://evil.test" }, "origin-mismatch"],
		["a null Origin (sandboxed iframe, data: URL)", { origin: "null" }, "origin-mismatch"],
		["our host on another scheme", { origin: "http://app.test" }, "origin-mismatch"],
	])("refuses %s", (_name, headers, verdict) => {
		expect(checkOrigin(post(headers))).toBe(verdict as "cross-site" | "origin-mismatch");
	});

	test("safe methods are never refused", () => {
		for (const method of ["GET", "HEAD", "OPTIONS"]) {
			expect(checkOrigin(new Request(`${APP}/`, { method, headers: { "sec-fetch-site": "cross-site", origin: "https://evil.test" } }))).toBeNull();
		}
	});

	test("every unsafe method is checked", () => {
		for (const method of ["POST", "PUT", "PATCH", "DELETE"]) expect(checkOrigin(post({ origin: "https://evil.test" }, method))).toBe("origin-mismatch");
	});

	test("a trusted origin passes, others on the same site do not", () => {
		const options = { trustedOrigins: ["https://admin.app.test"] };
		expect(checkOrigin(post({ "sec-fetch-site": "same-site", origin: "https://admin.app.test" }), options)).toBeNull();
		expect(checkOrigin(post({ "sec-fetch-site": "same-site", origin: "https://blog.app.test" }), options)).toBe("cross-site");
	});
});

describe("withSession() origin check", () => {
	test("a cross-site POST gets 403, reads no store, and changes nothing", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.cart = [1]));
		const handler = withSession(h.sessions, (_req, session) => {
			session.cart = [...session.cart, 2];
			return new Response("ok");
		});
		const res = await handler(new Request(`${APP}/api/cart`, { method: "POST", headers: { cookie: jar.header() ?? "", "sec-fetch-site": "cross-site", origin: "https://evil.test" } }));
		expect(res.status).toBe(403);
		expect(res.headers.getSetCookie()).toEqual([]);
		expect((await visit(h, jar)).session.cart).toEqual([1]);
	});

	test("the same POST from our own origin passes", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.cart = [1]));
		const handler = withSession(h.sessions, (_req, session) => {
			session.cart = [...session.cart, 2];
			return new Response("ok");
		});
		const res = await handler(new Request(`${APP}/api/cart`, { method: "POST", headers: { cookie: jar.header() ?? "", "sec-fetch-site": "same-origin", origin: APP } }));
		expect(res.status).toBe(200);
		expect((await visit(h, jar)).session.cart).toEqual([1, 2]);
	});

	test("csrf: false turns the check off for one route", async () => {
		const h = makeSessions();
		const handler = withSession(h.sessions, () => new Response("callback"), { csrf: false });
		const res = await handler(new Request(`${APP}/callback`, { method: "POST", headers: { origin: "https://psp.test" } }));
		expect(res.status).toBe(200);
	});
});

describe("session.csrfToken() / verifyCsrfToken()", () => {
	test("a token verifies for its session, differs on every call, and fails for another session", async () => {
		const h = makeSessions();
		const a = new CookieJar();
		const b = new CookieJar();
		let t1 = "";
		let t2 = "";
		await visit(h, a, (s) => {
			t1 = s.csrfToken();
			t2 = s.csrfToken();
		});
		expect(t1).not.toBe(t2);
		expect(t1).toMatch(/^[A-Za-z0-9_-]{86}$/);
		expect((await visit(h, a)).session.verifyCsrfToken(t1)).toBe(true);
		expect((await visit(h, a)).session.verifyCsrfToken(t2)).toBe(true);
		await visit(h, b, (s) => s.csrfToken());
		expect((await visit(h, b)).session.verifyCsrfToken(t1)).toBe(false);
	});

	test("tokens die at login (regenerate), and the session records when the user authenticated", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		let before = "";
		await visit(h, jar, (s) => (before = s.csrfToken()));
		expect((await visit(h, jar)).session.authenticatedAt).toBeNull();
		const loginAt = h.clock.now();
		await visit(h, jar, (s) => (s.userId = "u1"));
		const after = (await visit(h, jar)).session;
		expect(after.verifyCsrfToken(before)).toBe(false);
		expect(after.authenticatedAt?.getTime()).toBe(loginAt);
	});

	test("malformed tokens are false, never an exception", () => {
		const secret = crypto.getRandomValues(new Uint8Array(32));
		fc.assert(
			fc.property(fc.string({ maxLength: 120 }), (token) => {
				expect(verifyCsrfToken(secret, token)).toBe(false);
			}),
			{ numRuns: 10_000 },
		);
		expect(verifyCsrfToken(undefined, createCsrfToken(secret, (b) => crypto.getRandomValues(b)))).toBe(false);
		expect(verifyCsrfToken(secret, null)).toBe(false);
	});

	test("a bit flipped anywhere in a token makes it fail", () => {
		const secret = crypto.getRandomValues(new Uint8Array(32));
		const token = createCsrfToken(secret, (b) => crypto.getRandomValues(b));
		expect(verifyCsrfToken(secret, token)).toBe(true);
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		for (let i = 0; i < token.length - 1; i++) {
			const c = token[i] as string;
			const other = alphabet[(alphabet.indexOf(c) + 1) % 64] as string;
			expect(verifyCsrfToken(secret, token.slice(0, i) + other + token.slice(i + 1))).toBe(false);
		}
	});
});

describe("commit() caching headers", () => {
	test("cache: \"allow\" leaves a route's caching to the app", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.cart = [1]));
		const session = await h.sessions.load(jar.request());
		const res = await h.sessions.commit(session, new Response("public page", { headers: { "cache-control": "public, max-age=60" } }), { cache: "allow" });
		expect(res.headers.get("cache-control")).toBe("public, max-age=60");
	});

	test("an anonymous visitor's response is left alone", async () => {
		const h = makeSessions();
		const session = await h.sessions.load(new CookieJar().request());
		const res = await h.sessions.commit(session, new Response("hi"));
		expect(res.headers.get("cache-control")).toBeNull();
		expect(res.headers.get("vary")).toBeNull();
	});

	test("an existing Vary gains Cookie once; an immutable redirect is copied, not broken", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.cart = [1]));
		const s1 = await h.sessions.load(jar.request());
		const r1 = await h.sessions.commit(s1, new Response("x", { headers: { vary: "Accept-Encoding, cookie" } }));
		expect(r1.headers.get("vary")).toBe("Accept-Encoding, cookie");
		const s2 = await h.sessions.load(jar.request());
		s2.cart = [2];
		const r2 = await h.sessions.commit(s2, Response.redirect(`${APP}/next`, 303));
		expect(r2.status).toBe(303);
		expect(r2.headers.get("location")).toBe(`${APP}/next`);
		expect(r2.headers.get("cache-control")).toBe("private, no-store");
	});
});
