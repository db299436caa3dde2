// The demo in a real browser: Debian's Chromium driven by playwright-core, clicking the demo page's
// buttons as a person would, with the demo running as its own process (`startDemo`). Needs
// /usr/bin/chromium (`apt-get install -y chromium`); skipped without it, except in CI (CI=true).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { chromium, type BrowserContext, type Cookie, type Page, type Response as PageResponse } from "playwright-core";
import { Browser as Jar, startDemo, type DemoProcess } from "../helpers/demo-process.ts";

const CHROMIUM = "/usr/bin/chromium";
// The machine has no outside network: without these, background services flood refused connections.
const CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
];
const COOKIE = "__Host-sid";
/** Every single wait (a click's response, page text, a navigation) gives up after this long. */
const WAIT_MS = 10_000;
/** Each test, and each set-up or tear-down hook, is bounded by this. */
const TEST_MS = 60_000;
/** The demo schema's absolute lifetime, which is the cookie's Max-Age. */
const ABSOLUTE_S = 12 * 60 * 60;

const skip = !existsSync(CHROMIUM) && process.env.CI !== "true";

/** What `GET /api/session` answers (the page draws it as text). */
interface SessionView {
	userId: string | null;
	role: "guest" | "user" | "admin";
	cart: number[];
	theme: string | null;
	flash: string | null;
	bound: boolean;
}

/** The session as the page shows it: the text of each field. */
interface Shown {
	user: string;
	role: string;
	cart: string;
	theme: string;
	flash: string;
	bound: string;
}

const SHOWN_AT: Record<keyof Shown, string> = { user: "#user", role: "#role", cart: "#cart-items", theme: "#theme", flash: "#flash-message", bound: "#bound" };

/** The text a person should read for these session fields. */
function shownOf(v: Partial<SessionView>): Partial<Shown> {
	const out: Partial<Shown> = {};
	if (v.userId !== undefined) out.user = v.userId === null ? "nobody (not signed in)" : v.userId;
	if (v.role !== undefined) out.role = v.role;
	if (v.cart !== undefined) out.cart = v.cart.length === 0 ? "empty" : `${v.cart.length} item${v.cart.length === 1 ? "" : "s"}: ${v.cart.join(", ")}`;
	if (v.theme !== undefined) out.theme = v.theme ?? "not chosen";
	if (v.flash !== undefined) out.flash = v.flash === null ? "" : `Message from an earlier request: ${v.flash}`;
	if (v.bound !== undefined) out.bound = v.bound ? "Device-bound: this session only works in the browser that holds its key (DBSC)." : "Not device-bound.";
	return out;
}

/** Every field's text as the page shows it now. */
async function shownNow(page: Page): Promise<Shown> {
	const out = {} as Shown;
	for (const [key, selector] of Object.entries(SHOWN_AT) as [keyof Shown, string][]) out[key] = (await page.textContent(selector)) ?? "";
	return out;
}

/** Waits until the page shows a session whose listed fields read as `expected`, and returns all it shows. */
async function sessionShows(page: Page, expected: Partial<SessionView>): Promise<Shown> {
	const want = shownOf(expected);
	const selectors = Object.fromEntries(Object.entries(want).map(([key, text]) => [SHOWN_AT[key as keyof Shown], text]));
	try {
		await page.waitForFunction((pairs) => Object.entries(pairs).every(([sel, text]) => document.querySelector(sel)?.textContent === text), selectors, { timeout: WAIT_MS });
	} catch (e) {
		throw new Error(`the page never showed ${JSON.stringify(want)}; it shows ${JSON.stringify(await shownNow(page))} (${e instanceof Error ? e.message : String(e)})`);
	}
	return shownNow(page);
}

/** Waits until the element `selector` holds exactly `text`. */
async function textIs(page: Page, selector: string, text: string): Promise<void> {
	await page.waitForFunction(([sel, want]) => document.querySelector(sel as string)?.textContent === want, [selector, text] as const, { timeout: WAIT_MS });
}

/** Whether a page response answers `method path`. */
function isCall(response: PageResponse, method: string, path: string): boolean {
	return new URL(response.url()).pathname === path && response.request().method() === method;
}

/**
 * Clicks a button wired to the page's `act()` (an API call, then a re-read of `GET /api/session`)
 * and waits until the page shows that re-read; returns the action's answer and the re-read view.
 */
async function clickToAct(page: Page, selector: string, method: string, path: string): Promise<{ status: number; body: unknown; view: SessionView }> {
	const action = page.waitForResponse((r) => isCall(r, method, path));
	const reread = page.waitForResponse((r) => isCall(r, "GET", "/api/session"));
	await page.click(selector);
	const response = await action;
	const body: unknown = await response.json();
	const view = (await (await reread).json()) as SessionView;
	await sessionShows(page, view);
	return { status: response.status(), body, view };
}

/** Clicks "Reload session" and waits until the page shows the answer. */
async function reloadSession(page: Page): Promise<SessionView> {
	const [response] = await Promise.all([page.waitForResponse((r) => isCall(r, "GET", "/api/session")), page.click("#refresh")]);
	const view = (await response.json()) as SessionView;
	await sessionShows(page, view);
	return view;
}

/** The "your devices" list as shown: one line per device, once it has `count` lines. */
async function devicesShown(page: Page, count: number): Promise<string[]> {
	await page.waitForFunction((n) => !(document.getElementById("devices-section") as HTMLElement).hidden && document.querySelectorAll("#devices li").length === n, count, { timeout: WAIT_MS });
	return page.locator("#devices li").allTextContents();
}

/** The browser's session cookies, across every host it has visited. */
async function sessionCookies(context: BrowserContext): Promise<Cookie[]> {
	return (await context.cookies()).filter((c) => c.name === COOKIE);
}

/** The one session cookie's value, or null when the jar holds none; fails on two. */
async function sessionCookie(context: BrowserContext): Promise<string | null> {
	const found = await sessionCookies(context);
	expect(found.length).toBeLessThanOrEqual(1);
	return found[0]?.value ?? null;
}

/** What a non-browser client holding this cookie sees at `GET /api/session`. */
async function viewWithCookie(base: string, value: string): Promise<SessionView> {
	const jar = new Jar();
	jar.cookie = `${COOKIE}=${value}`;
	return (await jar.send(base, "GET", "/api/session")).json as SessionView;
}

/** A second origin serving auto-submitting forms that target the demo, as an attacker's page would. */
interface AttackSite {
	origin: string;
	stop(): void;
}

/**
 * Serves `/cart` (a `text/plain` form whose body parses as `{"item":666,…}` JSON: the classic JSON CSRF)
 * and `/logout?token=…` (the demo's own logout form, with whatever token it is given) at `host`.
 */
function attackSite(host: string, demoBase: string, publicHost = host): AttackSite {
	const server = Bun.serve({
		hostname: host,
		port: 0,
		fetch(request) {
			const url = new URL(request.url);
			const form =
				url.pathname === "/cart"
					? `<form method="post" enctype="text/plain" action="${demoBase}/api/cart"><input type="hidden" name='{"item":666,"pad":"' value='"}'></form>`
					: `<form method="post" action="${demoBase}/form/logout"><input type="hidden" name="_csrf" value="${url.searchParams.get("token") ?? ""}"></form>`;
			const html = `<!doctype html><title>win a prize</title>${form}<script>document.forms[0].submit()</script>`;
			return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
		},
	});
	return { origin: `http://${publicHost}:${server.port}`, stop: () => void server.stop(true) };
}

/** Another host on the loopback (127.0.0.2, a different site); where it cannot be bound, `localhost` (also a different site). */
function crossSiteAttack(demoBase: string): AttackSite {
	try {
		return attackSite("127.0.0.2", demoBase);
	} catch {
		return attackSite("127.0.0.1", demoBase, "localhost");
	}
}

/** Opens an attacker page and returns the demo's answer to the form it submits, plus the headers Chromium sent. */
async function submitFrom(page: Page, url: string, demoBase: string, path: string): Promise<{ status: number; body: string; headers: Record<string, string> }> {
	const [response] = await Promise.all([
		page.waitForResponse((r) => r.url() === `${demoBase}${path}` && r.request().method() === "POST", { timeout: WAIT_MS }),
		page.goto(url, { timeout: WAIT_MS }),
	]);
	const body = await response.text();
	// The tab ends up showing the demo's answer (the refusal), as the person would see it.
	await page.waitForFunction((text) => document.body?.textContent === text, body, { timeout: WAIT_MS });
	return { status: response.status(), body, headers: await response.request().allHeaders() };
}

describe.skipIf(skip)("the demo page in Chromium", () => {
	const key = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
	/** Databases and browser profiles; made in beforeAll, so a skipped run leaves nothing behind. */
	let dir = "";

	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), "sess-browser-"));
	});

	afterAll(() => {
		if (dir !== "") rmSync(dir, { recursive: true, force: true });
	});

	for (const mode of ["store", "sealed"] as const) {
		describe(`SESS_MODE=${mode}`, () => {
			let demo: DemoProcess;
			let base: string;
			let context: BrowserContext;
			let page: Page;

			beforeAll(async () => {
				demo = await startDemo({ SESS_DB: join(dir, `${mode}.db`), SESS_KEYS: key, SESS_MODE: mode });
				base = demo.base;
				// A fresh profile; playwright passes it as --user-data-dir (it refuses that flag in `args`).
				context = await chromium.launchPersistentContext(join(dir, `profile-${mode}`), {
					executablePath: CHROMIUM,
					headless: true,
					args: CHROMIUM_ARGS,
					timeout: WAIT_MS * 3,
				});
				context.setDefaultTimeout(WAIT_MS);
				context.setDefaultNavigationTimeout(WAIT_MS);
				page = context.pages()[0] ?? (await context.newPage());
			}, TEST_MS);

			afterAll(async () => {
				// The browser first: the demo's graceful stop waits for the browser's keep-alive connections.
				// Either may be missing when set-up failed half-way.
				await (context as BrowserContext | undefined)?.close();
				await (demo as DemoProcess | undefined)?.stop();
			}, TEST_MS);

			/** A person who has never visited: empty cookie jar, the demo page freshly loaded. */
			async function freshVisit(): Promise<void> {
				await context.clearCookies();
				await page.goto(`${base}/`);
				await sessionShows(page, { userId: null, role: "guest", cart: [] });
			}

			/** Types a user id and clicks "Log in". */
			async function logIn(userId: string): Promise<void> {
				await page.fill("#userId", userId);
				const login = await clickToAct(page, "#login", "POST", "/api/login");
				expect(login.status).toBe(200);
				expect(login.view).toMatchObject({ userId, role: "user" });
				expect(await page.textContent("#error")).toBe("");
			}

			test("an anonymous visit shows the defaults, sets no cookie and shows no logout form", async () => {
				await freshVisit();
				expect(await sessionShows(page, {})).toEqual(shownOf({ userId: null, role: "guest", cart: [], theme: null, flash: null, bound: false }) as Shown);
				expect(await page.textContent("#timeline")).toBe("Nothing stored yet: no session until something is saved (logging in, adding to the cart).");
				expect(await context.cookies()).toEqual([]);
				expect(await page.locator("#logout-form").count()).toBe(0);
				// Nobody is signed in, so there is no device list to show.
				expect(await page.locator("#devices-section").isHidden()).toBe(true);
				const promote = await clickToAct(page, "#promote", "POST", "/api/promote");
				expect(promote.status).toBe(403);
				expect(promote.view).toMatchObject({ userId: null, role: "guest" });
				// Refused actions write nothing, so still no cookie.
				expect(await context.cookies()).toEqual([]);
			}, TEST_MS);

			// Regression: the page's re-read after an action once cleared the action's error at once.
			test("a refused action's message stays on screen after the page re-reads the session", async () => {
				await freshVisit();
				await clickToAct(page, "#promote", "POST", "/api/promote");
				expect(await page.textContent("#error")).toBe("403: Log in first.");
			}, TEST_MS);

			test("log in, add to cart, promote, flash once, your devices, sign out everywhere else, log out", async () => {
				await freshVisit();

				await logIn("alice");
				const loginCookie = await sessionCookie(context);
				expect(loginCookie).not.toBeNull();

				const first = await clickToAct(page, "#cart", "POST", "/api/cart");
				const cart = (first.body as { cart: number[] }).cart;
				expect(cart).toHaveLength(1);
				expect(first.view).toMatchObject({ userId: "alice", role: "user", cart });
				const second = await clickToAct(page, "#cart", "POST", "/api/cart");
				const twoItems = (second.body as { cart: number[] }).cart;
				expect(twoItems.slice(0, 1)).toEqual(cart);
				expect(twoItems).toHaveLength(2);
				expect(second.view.cart).toEqual(twoItems);

				const promote = await clickToAct(page, "#promote", "POST", "/api/promote");
				expect(promote.body).toEqual({ userId: "alice", role: "admin" });
				expect(promote.view).toMatchObject({ userId: "alice", role: "admin", cart: twoItems });
				// A privilege change issues a new ID; the cookie from before it is dead at once.
				const promotedCookie = await sessionCookie(context);
				expect(promotedCookie).not.toBeNull();
				expect(promotedCookie).not.toBe(loginCookie);
				expect((await viewWithCookie(base, loginCookie ?? "")).userId).toBeNull();

				await page.fill("#message", "Saved at step 4");
				// The page re-reads the session after each action: that read shows the message and consumes it.
				expect((await clickToAct(page, "#flash", "POST", "/api/flash")).view).toMatchObject({ role: "admin", flash: "Saved at step 4" });
				expect(await reloadSession(page)).toMatchObject({ role: "admin", flash: null });
				await page.reload();
				expect(await sessionShows(page, { userId: "alice" })).toEqual(shownOf({ userId: "alice", role: "admin", cart: twoItems, theme: null, flash: null, bound: false }) as Shown);

				// Another device of the same user, logged in without a browser.
				const phone = new Jar();
				expect((await phone.send(base, "POST", "/api/login", { userId: "alice" })).status).toBe(200);
				await reloadSession(page);
				// A sealed session lives in its browser: the server can list only the caller's own.
				const rows = await devicesShown(page, mode === "sealed" ? 1 : 2);
				expect(rows.filter((r) => r.includes("this device"))).toHaveLength(1);
				const revoked = await clickToAct(page, "#revoke-others", "POST", "/api/sessions/revoke-others");
				expect(revoked.body).toEqual({ revoked: mode === "sealed" ? 0 : 1 });
				// Sealed mode signs the other cookies out without knowing how many there are.
				await textIs(page, "#status", mode === "sealed" ? "Every other device is signed out." : "Signed out 1 other device.");
				await devicesShown(page, 1);
				expect(((await phone.send(base, "GET", "/api/session")).json as SessionView).userId).toBeNull();
				expect(await reloadSession(page)).toMatchObject({ userId: "alice", role: "admin", cart: twoItems });

				const beforeLogout = await sessionCookie(context);
				const logout = await clickToAct(page, "#logout", "POST", "/api/logout");
				expect(logout.body).toEqual({ ok: true });
				expect(logout.view).toEqual({ userId: null, role: "guest", cart: [], theme: null, flash: null, bound: false });
				expect(await page.textContent("#error")).toBe("");
				expect(await page.textContent("#status")).toMatch(/^Signed out at \d\d:\d\d:\d\d\.$/);
				expect(await page.locator("#devices-section").isHidden()).toBe(true);
				expect(await sessionCookies(context)).toEqual([]);
				expect((await viewWithCookie(base, beforeLogout ?? "")).userId).toBeNull();
			}, TEST_MS);

			test("the session cookie: one host-only __Host-sid, Secure, HttpOnly, SameSite=Lax, Path=/, 12 h; invisible to scripts", async () => {
				await freshVisit();
				await logIn("bob");
				const loggedInAt = Date.now() / 1000;
				const cookies = await context.cookies();
				expect(cookies).toHaveLength(1);
				const [cookie] = cookies as [Cookie];
				expect(cookie).toMatchObject({ name: COOKIE, domain: new URL(base).hostname, path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
				// Host-only: a Domain attribute would show as a leading dot.
				expect(cookie.domain.startsWith(".")).toBe(false);
				expect(Math.abs(cookie.expires - (loggedInAt + ABSOLUTE_S))).toBeLessThan(120);

				expect(await page.evaluate(() => document.cookie)).not.toContain(COOKIE);
				// A script cannot overwrite an HttpOnly cookie either.
				await page.evaluate((name) => {
					document.cookie = `${name}=planted; Path=/; Secure; SameSite=Lax`;
				}, COOKIE);
				expect(await page.evaluate(() => document.cookie)).toBe("");
				expect(await sessionCookies(context)).toEqual([cookie]);
				expect(await reloadSession(page)).toMatchObject({ userId: "bob", role: "user" });
			}, TEST_MS);

			test("cross-site form posts (another host, and another port of this host) get 403 and change nothing", async () => {
				await freshVisit();
				await logIn("carol");
				await clickToAct(page, "#cart", "POST", "/api/cart");
				// The logout form, and its token, come with the page of a stored session.
				await page.reload();
				const before = await sessionShows(page, { userId: "carol" });
				expect(before.cart).toMatch(/^1 item: \d+$/);
				const token = await page.locator('#logout-form input[name="_csrf"]').getAttribute("value");
				expect(token).toMatch(/^[A-Za-z0-9_-]{86}$/);
				const cookie = await sessionCookie(context);

				// Control: the forged cart body is one the demo accepts from a client that is not a browser.
				const control = new Jar();
				await control.send(base, "POST", "/api/login", { userId: "control" });
				const accepted = await fetch(`${base}/api/cart`, { method: "POST", headers: { cookie: control.cookie ?? "", "content-type": "text/plain" }, body: '{"item":666,"pad":"="}\r\n' });
				expect(accepted.status).toBe(200);
				expect(await accepted.json()).toEqual({ cart: [666] });

				const sites = [
					{ site: crossSiteAttack(base), fetchSite: "cross-site" },
					// Cookies ignore ports: this page is same-site, so SameSite=Lax lets the cookie go with the post.
					{ site: attackSite("127.0.0.1", base), fetchSite: "same-site" },
				];
				try {
					for (const { site, fetchSite } of sites) {
						const cart = await submitFrom(page, `${site.origin}/cart`, base, "/api/cart");
						expect({ from: site.origin, status: cart.status, body: cart.body }).toEqual({ from: site.origin, status: 403, body: "Cross-site request refused." });
						expect(cart.headers["sec-fetch-site"]).toBe(fetchSite);
						expect(cart.headers["origin"]).toBe(site.origin);
						if (fetchSite === "same-site") expect(cart.headers["cookie"]).toContain(`${COOKIE}=`);
						// Even with the page's real token, a cross-origin form is refused before the token is looked at.
						const logout = await submitFrom(page, `${site.origin}/logout?token=${token}`, base, "/form/logout");
						expect({ from: site.origin, status: logout.status, body: logout.body }).toEqual({ from: site.origin, status: 403, body: "Cross-site request refused." });
						expect(logout.headers["sec-fetch-site"]).toBe(fetchSite);
					}
				} finally {
					for (const { site } of sites) site.stop();
				}

				// Nothing changed: the same cookie, still logged in, the same cart.
				expect(await sessionCookie(context)).toBe(cookie);
				await page.goto(`${base}/`);
				expect(await sessionShows(page, { userId: "carol" })).toEqual(before);
			}, TEST_MS);

			test("the HTML logout form (no script involved) logs out", async () => {
				await freshVisit();
				await logIn("dave");
				// The form comes with the page of a stored session.
				await page.reload();
				await sessionShows(page, { userId: "dave" });
				expect(await page.locator("#logout-form").count()).toBe(1);
				const cookie = await sessionCookie(context);
				const [response] = await Promise.all([page.waitForResponse((r) => isCall(r, "POST", "/form/logout")), page.click("#logout-form button")]);
				expect(response.status()).toBe(303);
				await page.waitForURL(`${base}/`);
				await sessionShows(page, { userId: null, role: "guest", cart: [] });
				expect(await page.locator("#logout-form").count()).toBe(0);
				expect(await sessionCookies(context)).toEqual([]);
				expect((await viewWithCookie(base, cookie ?? "")).userId).toBeNull();
			}, TEST_MS);
		});
	}
});
