import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { Browser as Jar, runDemoToExit, startDemo, type DemoProcess } from "../helpers/demo-process.ts";

// The demo as a user runs it: a separate `bun examples/demo/server.ts` process, spoken to over HTTP.
const dir = mkdtempSync(join(tmpdir(), "sess-demo-"));
const db = join(dir, "demo.db");
const key = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));

/** A browser bound to the demo's address. */
class Browser {
	private readonly jar = new Jar();
	constructor(private readonly base: string) {}
	get cookie(): string | null {
		return this.jar.cookie;
	}
	set cookie(value: string | null) {
		this.jar.cookie = value;
	}
	get setCookies(): string[] {
		return this.jar.setCookies;
	}
	send(method: string, path: string, body?: unknown, raw?: string): ReturnType<Jar["send"]> {
		return this.jar.send(this.base, method, path, body, raw);
	}
}

function runToExit(env: Record<string, string>): ReturnType<typeof runDemoToExit> {
	return runDemoToExit({ SESS_DB: db, ...env });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const mode of ["store", "sealed"] as const) {
	const sealed = mode === "sealed";
	const modeDb = join(dir, `${mode}.db`);
	let demo: DemoProcess;

	describe(`demo app over HTTP (SESS_MODE=${mode})`, () => {
		beforeAll(async () => {
			demo = await startDemo({ SESS_DB: modeDb, SESS_KEYS: key, SESS_MODE: mode });
		});

		afterAll(async () => {
			await demo.stop();
		});

		test("an anonymous visitor gets defaults, no cookie and no row", async () => {
			const b = new Browser(demo.base);
			const res = await b.send("GET", "/api/session");
			expect(res.status).toBe(200);
			expect(res.json).toEqual({ userId: null, role: "guest", cart: [], theme: null, flash: null, bound: false });
			expect(b.setCookies).toEqual([]);
			const rows = new Database(modeDb, { readonly: true }).query("SELECT COUNT(*) AS n FROM sessions").get() as { n: number };
			expect(rows.n).toBe(0);
		});

		test("login, cart, flash, promote, sessions, revoke-others and logout behave as documented", async () => {
			const b = new Browser(demo.base);
			const login = await b.send("POST", "/api/login", { userId: "alice" });
			expect(login.status).toBe(200);
			expect(b.setCookies).toHaveLength(1);
			const value = sealed ? "[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{40,}" : "[A-Za-z0-9_-]{43}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{22}";
			expect(b.setCookies[0]).toMatch(new RegExp(`^__Host-sid=${value}; Path=/; Max-Age=43200; Secure; HttpOnly; SameSite=Lax$`));
			expect(login.headers.get("cache-control")).toBe("private, no-store");
			const loginCookie = b.cookie;

			expect((await b.send("POST", "/api/cart", { item: 7 })).json).toEqual({ cart: [7] });
			expect((await b.send("POST", "/api/cart", { item: 9 })).json).toEqual({ cart: [7, 9] });
			// Server-side: the cookie never changes for data. Sealed: the data is the cookie.
			expect(b.setCookies).toHaveLength(sealed ? 1 : 0);

			expect((await b.send("POST", "/api/flash", { message: "Saved" })).status).toBe(200);
			const seen = (await b.send("GET", "/api/session")).json as Record<string, unknown>;
			expect(seen).toMatchObject({ userId: "alice", role: "user", cart: [7, 9], theme: null, flash: "Saved", bound: false });
			// A stored session also shows its timeline (times only: the page draws it).
			expect(Object.keys(seen.timeline as object).sort()).toEqual(["absoluteExpires", "created", "idleExpires", "lastSeen", "nextRotation", "now", "rotated"]);
			expect(((await b.send("GET", "/api/session")).json as { flash: unknown }).flash).toBeNull();

			const promote = await b.send("POST", "/api/promote");
			expect(promote.json).toEqual({ userId: "alice", role: "admin" });
			// Privilege change: a new ID, and the pre-promotion cookie is dead at once.
			expect(b.setCookies).toHaveLength(1);
			expect(b.cookie).not.toBe(loginCookie);
			const stale = new Browser(demo.base);
			stale.cookie = loginCookie;
			expect(((await stale.send("GET", "/api/session")).json as { userId: unknown }).userId).toBeNull();

			const other = new Browser(demo.base);
			await other.send("POST", "/api/login", { userId: "alice" });
			const list = await b.send("GET", "/api/sessions");
			expect(list.status).toBe(200);
			const sessions = list.json as { created: string; lastSeen: string; current: boolean }[];
			// A sealed session lives in its browser: the server can list only the caller's own.
			expect(sessions).toHaveLength(sealed ? 1 : 2);
			expect(sessions.filter((s) => s.current)).toHaveLength(1);
			expect(Number.isNaN(Date.parse(sessions[0]?.created ?? ""))).toBe(false);

			expect((await b.send("POST", "/api/sessions/revoke-others")).json).toEqual({ revoked: sealed ? 0 : 1 });
			expect(((await other.send("GET", "/api/session")).json as { userId: unknown }).userId).toBeNull();
			expect(((await b.send("GET", "/api/session")).json as { role: unknown }).role).toBe("admin");

			const loggedOut = b.cookie;
			const logout = await b.send("POST", "/api/logout");
			expect(logout.status).toBe(200);
			expect(b.setCookies).toEqual(["__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]);
			expect(b.cookie).toBeNull();
			const rows = new Database(modeDb, { readonly: true }).query("SELECT COUNT(*) AS n FROM sessions WHERE user_id = 'alice'").get() as { n: number };
			expect(rows.n).toBe(0);
			const replay = new Browser(demo.base);
			replay.cookie = loggedOut;
			expect(((await replay.send("GET", "/api/session")).json as { userId: unknown }).userId).toBeNull();
		});

		test("a cross-site POST is refused with 403 and changes nothing; a same-origin one passes", async () => {
			const b = new Browser(demo.base);
			await b.send("POST", "/api/login", { userId: "mallory-target" });
			const res = await fetch(`${demo.base}/api/cart`, {
				method: "POST",
				headers: { cookie: b.cookie ?? "", "content-type": "application/json", origin: "https://evil.example", "sec-fetch-site": "cross-site" },
				body: JSON.stringify({ item: 666 }),
			});
			expect(res.status).toBe(403);
			expect(res.headers.getSetCookie()).toEqual([]);
			expect(((await b.send("GET", "/api/session")).json as { cart: number[] }).cart).toEqual([]);
			const own = await fetch(`${demo.base}/api/cart`, {
				method: "POST",
				headers: { cookie: b.cookie ?? "", "content-type": "application/json", origin: demo.base, "sec-fetch-site": "same-origin" },
				body: JSON.stringify({ item: 1 }),
			});
			expect(own.status).toBe(200);
		});

		test("the HTML page's logout form carries a CSRF token; the form post needs it", async () => {
			const b = new Browser(demo.base);
			expect(await (await fetch(`${demo.base}/`)).text()).not.toContain('name="_csrf"');
			await b.send("POST", "/api/login", { userId: "formy" });
			const page = await fetch(`${demo.base}/`, { headers: { cookie: b.cookie ?? "" } });
			const html = await page.text();
			const token = /name="_csrf" value="([A-Za-z0-9_-]+)"/.exec(html)?.[1];
			expect(token).toBeDefined();
			for (const c of page.headers.getSetCookie()) b.cookie = c.split(";")[0] ?? b.cookie;
			const form = (t: string): Promise<Response> =>
				fetch(`${demo.base}/form/logout`, { method: "POST", redirect: "manual", headers: { cookie: b.cookie ?? "", "content-type": "application/x-www-form-urlencoded", origin: demo.base }, body: `_csrf=${t}` });
			expect((await form("wrong")).status).toBe(403);
			expect(((await b.send("GET", "/api/session")).json as { userId: unknown }).userId).toBe("formy");
			const ok = await form(token ?? "");
			expect(ok.status).toBe(303);
			expect(ok.headers.getSetCookie()).toEqual(["__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]);
		});

		test("bad JSON and wrong types get 400 and change nothing", async () => {
			const b = new Browser(demo.base);
			await b.send("POST", "/api/login", { userId: "bob" });
			for (const [path, raw] of [
				["/api/cart", "{not json"],
				["/api/cart", JSON.stringify({ item: "7" })],
				["/api/cart", JSON.stringify({ item: 1.5 })],
				["/api/cart", JSON.stringify({ item: -1 })],
				["/api/login", JSON.stringify({ userId: 42 })],
				["/api/login", JSON.stringify({ userId: "" })],
				["/api/flash", JSON.stringify({})],
			] as const) {
				const res = await b.send("POST", path, undefined, raw);
				expect(res.status).toBe(400);
				expect(typeof (res.json as { error: unknown }).error).toBe("string");
				expect(b.setCookies).toEqual([]);
			}
			expect((await b.send("GET", "/api/session")).json).toMatchObject({ userId: "bob", role: "user", cart: [], theme: null, flash: null, bound: false });
		});

		test("a full cart answers 400 and keeps its 50 items", async () => {
			const b = new Browser(demo.base);
			for (let i = 0; i < 50; i++) expect((await b.send("POST", "/api/cart", { item: i })).status).toBe(200);
			const full = await b.send("POST", "/api/cart", { item: 50 });
			expect(full.status).toBe(400);
			expect((full.json as { error: string }).error).toContain("full");
			expect(((await b.send("GET", "/api/session")).json as { cart: number[] }).cart).toHaveLength(50);
		});

		test("promote needs a login; sessions need a login", async () => {
			const b = new Browser(demo.base);
			expect((await b.send("POST", "/api/promote")).status).toBe(403);
			expect((await b.send("GET", "/api/sessions")).status).toBe(401);
			expect((await b.send("POST", "/api/sessions/revoke-others")).status).toBe(401);
			expect(b.setCookies).toEqual([]);
		});

		test("a forged cookie is ignored and an unknown route is 404", async () => {
			const b = new Browser(demo.base);
			b.cookie = `__Host-sid=${"A".repeat(43)}.abcdef.${"B".repeat(22)}`;
			expect(((await b.send("GET", "/api/session")).json as { userId: unknown }).userId).toBeNull();
			expect((await b.send("GET", "/nope")).status).toBe(404);
		});

		test("the HTML page is served", async () => {
			const res = await fetch(`${demo.base}/`);
			expect(res.headers.get("content-type")).toContain("text/html");
			expect(await res.text()).toContain("<h1>sess demo</h1>");
		});
	});

}

describe("demo start-up", () => {
	test("a placeholder key makes it exit non-zero and say how to make a good one", async () => {
		const { code, stderr } = await runToExit({ SESS_KEYS: "your-very-secure-secret-key" });
		expect(code).not.toBe(0);
		expect(stderr).toContain("sess keygen");
		expect(stderr).not.toContain("your-very-secure-secret-key");
	});

	test("a short key is refused too", async () => {
		const { code, stderr } = await runToExit({ SESS_KEYS: encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(16))) });
		expect(code).not.toBe(0);
		expect(stderr).toContain("at least 32");
	});

	test("a malformed duration is refused", async () => {
		const { code, stderr } = await runToExit({ SESS_KEYS: key, SESS_IDLE: "soon" });
		expect(code).not.toBe(0);
		expect(stderr).toContain("SESS_IDLE");
	});
});
