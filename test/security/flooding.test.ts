// Anonymous flooding (ASVS 7.6.2 no silent sessions; express-session `saveUninitialized` / MemoryStore
// advisories): visitors who never write cost no row and no cookie, and cookies that cannot be ours
// cost at most one keyed store read, so a flood cannot fill the store or amplify into writes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { withSession } from "../../src/adapters/fetch.ts";
import { generateSessionToken } from "../../src/token.ts";
import { COOKIE, makeRequest, newKey } from "../helpers/harness.ts";
import { memoryOf, sid, signWith, spied, startTempDemo, type TempDemo } from "./support.ts";

const N = 1000;

/** Sends `n` requests, `concurrency` at a time, and returns every response. */
async function flood(n: number, concurrency: number, send: (i: number) => Promise<Response>): Promise<Response[]> {
	const out: Response[] = [];
	for (let i = 0; i < n; i += concurrency) {
		out.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, n - i) }, (_, j) => send(i + j)))));
	}
	return out;
}

describe("flooding the session layer in process (MemoryStore behind a spy)", () => {
	/** A handler that reads the session but never writes it, like a public page; logout on POST. */
	function readOnlyApp(h: ReturnType<typeof spied>) {
		return withSession(h.sessions, (request, session) => {
			if (request.method === "POST") session.destroy();
			return Response.json({ role: session.role, cart: session.cart });
		});
	}

	test("1,000 visitors without cookies who never write create no row, no Set-Cookie, and no store call", async () => {
		const h = spied();
		const app = readOnlyApp(h);
		const responses = await flood(N, 50, (i) => app(makeRequest(i % 2 === 0 ? "/" : "/logout", { method: i % 2 === 0 ? "GET" : "POST" })));
		expect(responses.map((r) => r.status)).toEqual(Array(N).fill(200));
		expect(responses.flatMap((r) => r.headers.getSetCookie())).toEqual([]);
		expect(memoryOf(h).size).toBe(0);
		expect(h.store.calls).toEqual([]);
	});

	test("1,000 requests with unknown IDs validly signed with the app's key create nothing and cost exactly one store read each", async () => {
		const h = spied();
		const app = readOnlyApp(h);
		const responses = await flood(N, 50, () => app(makeRequest("/", {}, sid(signWith(h.keys, generateSessionToken())))));
		expect(responses.map((r) => r.status)).toEqual(Array(N).fill(200));
		expect(responses.flatMap((r) => r.headers.getSetCookie())).toEqual([]);
		expect(memoryOf(h).size).toBe(0);
		expect(h.store.calls).toEqual(Array(N).fill("get"));
		expect(h.eventsOf("unknown_id")).toHaveLength(N);
	});

	test("1,000 logouts with unknown validly-signed IDs only read: no destroy, no create, a blank cookie each", async () => {
		const h = spied();
		const app = readOnlyApp(h);
		const responses = await flood(N, 50, () => app(makeRequest("/logout", { method: "POST" }, sid(signWith(h.keys, generateSessionToken())))));
		expect(h.store.calls).toEqual(Array(N).fill("get"));
		expect(memoryOf(h).size).toBe(0);
		// The client did send a session cookie, so logout clears it; it never creates anything.
		expect(new Set(responses.flatMap((r) => r.headers.getSetCookie()))).toEqual(new Set([`${COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`]));
	});

	test("1,000 requests with forged cookies (signed by another key) cost no store call at all", async () => {
		const h = spied();
		const app = readOnlyApp(h);
		const attackerKey = [newKey()];
		const responses = await flood(N, 50, () => app(makeRequest("/", {}, sid(signWith(attackerKey, generateSessionToken())))));
		expect(responses.flatMap((r) => r.headers.getSetCookie())).toEqual([]);
		expect(h.store.calls).toEqual([]);
		expect(h.eventsOf("cookie_invalid")).toHaveLength(N);
	});

	test("handing an anonymous visitor a CSRF token does store a row: pages that render one for every visitor opt into a row per visitor", async () => {
		const h = spied();
		const app = withSession(h.sessions, (_request, session) => new Response(session.csrfToken()));
		const responses = await flood(10, 10, () => app(makeRequest("/login-form")));
		expect(responses.flatMap((r) => r.headers.getSetCookie())).toHaveLength(10);
		expect(memoryOf(h).size).toBe(10);
	});
});

describe("flooding the running demo over HTTP (SQLite rows counted)", () => {
	let app: TempDemo;
	beforeAll(async () => {
		app = await startTempDemo();
	});
	afterAll(async () => {
		await app.stop();
	});

	test("1,000 anonymous requests that never write (GET /api/session, /, POST /api/logout, /api/promote) create no row and no Set-Cookie", async () => {
		const routes: Array<[string, string, number]> = [
			["GET", "/api/session", 200],
			["GET", "/", 200],
			["POST", "/api/logout", 200],
			["POST", "/api/promote", 403],
		];
		const responses = await flood(N, 50, (i) => {
			const [method, path] = routes[i % routes.length] as [string, string, number];
			return fetch(app.base + path, { method });
		});
		expect(responses.map((r, i) => r.status === (routes[i % routes.length] as [string, string, number])[2])).toEqual(Array(N).fill(true));
		expect(responses.flatMap((r) => r.headers.getSetCookie())).toEqual([]);
		await Promise.all(responses.map((r) => r.arrayBuffer()));
		expect(app.rows()).toBe(0);
	});

	test("1,000 requests with unknown IDs validly signed with the demo's key create no row and no Set-Cookie", async () => {
		const responses = await flood(N, 50, () => fetch(`${app.base}/api/session`, { headers: { cookie: sid(signWith([app.key], generateSessionToken())) } }));
		const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ userId: unknown }>));
		expect(bodies.every((b) => b.userId === null)).toBe(true);
		expect(responses.flatMap((r) => r.headers.getSetCookie())).toEqual([]);
		expect(app.rows()).toBe(0);
	});

	test("control: one visitor who writes does create exactly one row (the counter above can move)", async () => {
		const res = await fetch(`${app.base}/api/cart`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ item: 1 }) });
		expect(res.status).toBe(200);
		expect(res.headers.getSetCookie()).toHaveLength(1);
		expect(app.rows()).toBe(1);
	});
});
