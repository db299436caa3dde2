// "Your devices" and the session timeline in a real browser: Debian's Chromium driven by playwright-core,
// two (and a third) browser contexts standing for two devices of one person, each with its own cookie
// jar, the demo running as its own process. Asserts what a person sees (the page's text, its buttons)
// and the cookies each browser holds. Skipped without /usr/bin/chromium, except in CI (CI=true).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { chromium, type Browser, type BrowserContext, type Page, type Response as PageResponse } from "playwright-core";
import { Browser as Jar, startDemo, type DemoProcess } from "../helpers/demo-process.ts";

const CHROMIUM = "/usr/bin/chromium";
// The machine has no outside network: without these, background services flood refused connections.
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const COOKIE = "__Host-sid";
/** Every single wait (a click's response, page text) gives up after this long. */
const WAIT_MS = 10_000;
const TEST_MS = 90_000;
const CLOCK = String.raw`\d\d:\d\d:\d\d`;

const skip = !existsSync(CHROMIUM) && process.env.CI !== "true";

/** One device: a browser context with its own cookies, showing the demo page. */
interface Device {
	context: BrowserContext;
	page: Page;
}

function isCall(response: PageResponse, method: string, path: string): boolean {
	return new URL(response.url()).pathname === path && response.request().method() === method;
}

/** Waits until `selector`'s text matches `pattern` (a string must match exactly); returns the text. */
async function textMatches(page: Page, selector: string, pattern: RegExp | string, timeout = WAIT_MS): Promise<string> {
	const source = typeof pattern === "string" ? `^${pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$` : pattern.source;
	try {
		await page.waitForFunction(([sel, re]) => new RegExp(re as string).test(document.querySelector(sel as string)?.textContent ?? ""), [selector, source] as const, { timeout });
	} catch (e) {
		throw new Error(`${selector} never matched ${source}; it shows ${JSON.stringify(await page.textContent(selector))} (${e instanceof Error ? e.message : String(e)})`);
	}
	return (await page.textContent(selector)) ?? "";
}

/** Clicks, and waits for the page's re-read of the session that follows (every button ends with one). */
async function clickAndReread(page: Page, selector: string): Promise<void> {
	const reread = page.waitForResponse((r) => isCall(r, "GET", "/api/session"), { timeout: WAIT_MS });
	await page.click(selector);
	await reread;
}

/** Types a user id and clicks "Log in". */
async function logIn(device: Device, userId: string): Promise<void> {
	await device.page.fill("#userId", userId);
	await clickAndReread(device.page, "#login");
}

/** The "your devices" list as shown, once it shows `count` devices. */
async function devicesShown(page: Page, count: number): Promise<string[]> {
	await page.waitForFunction((n) => !(document.getElementById("devices-section") as HTMLElement).hidden && document.querySelectorAll("#devices li").length === n, count, { timeout: WAIT_MS });
	return page.locator("#devices li").allTextContents();
}

/** The session cookie this device holds, or null. */
async function cookieOf(device: Device): Promise<string | null> {
	return (await device.context.cookies()).find((c) => c.name === COOKIE)?.value ?? null;
}

/** Who a client holding this cookie value is, asked without a browser. */
async function userWithCookie(base: string, value: string): Promise<unknown> {
	const jar = new Jar();
	jar.cookie = `${COOKIE}=${value}`;
	return ((await jar.send(base, "GET", "/api/session")).json as { userId: unknown }).userId;
}

/** A timeline step's `<time datetime>` as milliseconds. */
async function stepAt(page: Page, step: string): Promise<number> {
	return Date.parse((await page.locator(`#timeline li[data-step="${step}"] time`).getAttribute("datetime")) ?? "");
}

describe.skipIf(skip)("the demo page's devices and timeline in Chromium", () => {
	const key = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
	let dir = "";
	let browser: Browser;
	const opened: BrowserContext[] = [];

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), "sess-browser-devices-"));
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: WAIT_MS * 3 });
	}, TEST_MS);

	afterAll(async () => {
		for (const context of opened) await context.close().catch(() => undefined);
		await (browser as Browser | undefined)?.close();
		if (dir !== "") rmSync(dir, { recursive: true, force: true });
	}, TEST_MS);

	/** A new device with an empty cookie jar, on the demo page. */
	async function newDevice(base: string): Promise<Device> {
		const context = await browser.newContext();
		opened.push(context);
		context.setDefaultTimeout(WAIT_MS);
		const page = await context.newPage();
		const first = page.waitForResponse((r) => isCall(r, "GET", "/api/session"));
		await page.goto(`${base}/`);
		await first;
		await textMatches(page, "#user", "nobody (not signed in)");
		return { context, page };
	}

	describe("two devices of one user (SESS_MAX_PER_USER=2, SESS_LIMIT_POLICY=refuse)", () => {
		let demo: DemoProcess;

		beforeAll(async () => {
			demo = await startDemo({ SESS_DB: join(dir, "devices.db"), SESS_KEYS: key, SESS_MAX_PER_USER: "2", SESS_LIMIT_POLICY: "refuse" });
		}, TEST_MS);
		afterAll(async () => {
			// Browser contexts first: the demo's graceful stop waits for their keep-alive connections.
			for (const context of opened.splice(0)) await context.close().catch(() => undefined);
			await (demo as DemoProcess | undefined)?.stop();
		}, TEST_MS);

		test("each device lists both; a third is refused with a readable message; one signs the other out; sign out everywhere else", async () => {
			const laptop = await newDevice(demo.base);
			const phone = await newDevice(demo.base);
			await logIn(laptop, "dana");
			await textMatches(laptop.page, "#status", new RegExp(`^Signed in as dana; a new session ID was issued at ${CLOCK} \\(a login never keeps the old one\\)\\.$`));
			await logIn(phone, "dana");

			// The laptop learns of the phone on its next read; the phone saw both when it signed in.
			await clickAndReread(laptop.page, "#refresh");
			for (const device of [laptop, phone]) {
				const rows = await devicesShown(device.page, 2);
				expect(rows.filter((r) => r.includes("this device"))).toHaveLength(1);
				for (const row of rows) expect(row).toMatch(new RegExp(`signed in ${CLOCK} · last seen ${CLOCK}`));
				// A sign-out button for the other device only, and "sign out everywhere else".
				expect(await device.page.locator("#devices li.current button").count()).toBe(0);
				expect(await device.page.locator("#devices li:not(.current) button").textContent()).toBe("Sign out");
				expect(await device.page.locator("#devices li.device time").count()).toBe(4);
				// This device's line agrees with the timeline above it.
				const lastSeen = await device.page.locator("#devices li.current time").nth(1).getAttribute("datetime");
				expect(lastSeen).toBe(await device.page.locator('#timeline li[data-step="last-seen"] time').getAttribute("datetime"));
				expect(await device.page.locator("#revoke-others").isVisible()).toBe(true);
			}

			// A third device over the limit: a sentence, not JSON; still signed out, no cookie.
			const tablet = await newDevice(demo.base);
			await logIn(tablet, "dana");
			await textMatches(tablet.page, "#error", "Sign-in refused: This account is already signed in on 2 devices, the most allowed; sign out of one of them first.");
			await textMatches(tablet.page, "#user", "nobody (not signed in)");
			expect(await cookieOf(tablet)).toBeNull();

			// The laptop signs the phone out from its list.
			const phoneCookie = await cookieOf(phone);
			expect(phoneCookie).not.toBeNull();
			const revoke = laptop.page.waitForResponse((r) => isCall(r, "POST", "/api/sessions/revoke"));
			await clickAndReread(laptop.page, "#devices li:not(.current) button");
			expect((await revoke).status()).toBe(200);
			await textMatches(laptop.page, "#status", "Signed out one other device.");
			expect((await devicesShown(laptop.page, 1))[0]).toContain("this device");

			// The phone finds out on its next request, and shows the signed-out state.
			await clickAndReread(phone.page, "#refresh");
			await textMatches(phone.page, "#status", new RegExp(`^This device was signed out from another device \\(noticed at ${CLOCK}\\)\\.$`));
			await textMatches(phone.page, "#user", "nobody (not signed in)");
			await textMatches(phone.page, "#role", "guest");
			expect(await phone.page.locator("#devices-section").isHidden()).toBe(true);
			expect(await userWithCookie(demo.base, phoneCookie ?? "")).toBeNull();

			// A device is free again: the tablet signs in; then the laptop signs out everywhere else.
			await logIn(tablet, "dana");
			await textMatches(tablet.page, "#user", "dana");
			await clickAndReread(laptop.page, "#refresh");
			await devicesShown(laptop.page, 2);
			const tabletCookie = await cookieOf(tablet);
			await clickAndReread(laptop.page, "#revoke-others");
			await textMatches(laptop.page, "#status", "Signed out 1 other device.");
			await devicesShown(laptop.page, 1);
			await textMatches(laptop.page, "#user", "dana");
			await clickAndReread(tablet.page, "#refresh");
			await textMatches(tablet.page, "#status", new RegExp(`^This device was signed out from another device \\(noticed at ${CLOCK}\\)\\.$`));
			await textMatches(tablet.page, "#user", "nobody (not signed in)");
			expect(await userWithCookie(demo.base, tabletCookie ?? "")).toBeNull();
			// The laptop is untouched by all of it.
			expect(await userWithCookie(demo.base, (await cookieOf(laptop)) ?? "")).toBe("dana");
		}, TEST_MS);

		test("a user id with markup is shown as text, everywhere the page shows it", async () => {
			const device = await newDevice(demo.base);
			const hostile = `<img src=x onerror="window.pwned=1">&amp;`;
			await logIn(device, hostile);
			await textMatches(device.page, "#user", hostile);
			expect(await device.page.textContent("#status")).toContain(`Signed in as ${hostile};`);
			await devicesShown(device.page, 1);
			expect(await device.page.locator("img").count()).toBe(0);
			expect(await device.page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
		}, TEST_MS);
	});

	describe("sealed mode (SESS_MODE=sealed): the server knows only this device, and still signs out every other", () => {
		let demo: DemoProcess;

		beforeAll(async () => {
			demo = await startDemo({ SESS_DB: join(dir, "sealed.db"), SESS_KEYS: key, SESS_MODE: "sealed" });
		}, TEST_MS);
		afterAll(async () => {
			for (const context of opened.splice(0)) await context.close().catch(() => undefined);
			await (demo as DemoProcess | undefined)?.stop();
		}, TEST_MS);

		test("each device lists itself only, with no per-device button; sign out everywhere else ends the other", async () => {
			const laptop = await newDevice(demo.base);
			const phone = await newDevice(demo.base);
			await logIn(laptop, "fern");
			await logIn(phone, "fern");
			await clickAndReread(laptop.page, "#refresh");
			const rows = await devicesShown(laptop.page, 1);
			expect(rows[0]).toContain("this device");
			expect(await laptop.page.locator("#devices button").count()).toBe(0);
			const phoneCookie = await cookieOf(phone);
			await clickAndReread(laptop.page, "#revoke-others");
			await textMatches(laptop.page, "#status", "Every other device is signed out.");
			await textMatches(laptop.page, "#user", "fern");
			await clickAndReread(phone.page, "#refresh");
			await textMatches(phone.page, "#status", new RegExp(`^This device was signed out from another device \\(noticed at ${CLOCK}\\)\\.$`));
			await textMatches(phone.page, "#user", "nobody (not signed in)");
			expect(await userWithCookie(demo.base, phoneCookie ?? "")).toBeNull();
		}, TEST_MS);
	});

	describe("the timeline with short timings (SESS_ROTATE_EVERY=2s, SESS_GRACE=1s, SESS_IDLE=6s)", () => {
		let demo: DemoProcess;

		beforeAll(async () => {
			demo = await startDemo({ SESS_DB: join(dir, "timeline.db"), SESS_KEYS: key, SESS_ROTATE_EVERY: "2s", SESS_GRACE: "1s", SESS_IDLE: "6s", SESS_ABSOLUTE: "1h" });
		}, TEST_MS);
		afterAll(async () => {
			for (const context of opened.splice(0)) await context.close().catch(() => undefined);
			await (demo as DemoProcess | undefined)?.stop();
		}, TEST_MS);

		test("shows the deadlines, counts down, says when the ID rotated, and says when the session expired idle", async () => {
			const device = await newDevice(demo.base);
			await logIn(device, "erin");
			const page = device.page;
			await textMatches(page, "#timeline", /Next rotation/);
			const steps = await page.locator("#timeline li").evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.step));
			expect(steps).toEqual(["created", "last-seen", "idle", "absolute", "rotation"]);
			const created = await stepAt(page, "created");
			// Idle counts from the last-seen time (each request may move it); the rest from creation.
			expect(await stepAt(page, "idle")).toBe((await stepAt(page, "last-seen")) + 6_000);
			expect(await stepAt(page, "absolute")).toBe(created + 3_600_000);
			expect(await stepAt(page, "rotation")).toBe(created + 2_000);
			expect(await page.textContent('#timeline li[data-step="absolute"]')).toMatch(new RegExp(`^Absolute deadline: ${CLOCK} in (?:1h|59m \\d+s) \\(never moves; a login restarts it\\)$`));

			// Counting down live: the rotation comes due with no request made.
			await textMatches(page, '#timeline li[data-step="rotation"]', new RegExp(`^Next rotation: ${CLOCK} in \\d+s$`));
			await textMatches(page, '#timeline li[data-step="rotation"]', new RegExp(`^Next rotation: ${CLOCK} due: on the next request$`));
			const before = await cookieOf(device);

			// The next request rotates the ID; the page says so and the timeline moves on.
			await clickAndReread(page, "#refresh");
			const said = await textMatches(page, "#status", new RegExp(`^Session ID rotated at ${CLOCK}\\.$`));
			const rotatedAt = Date.parse((await page.locator("#status time").getAttribute("datetime")) ?? "");
			expect(rotatedAt).toBeGreaterThanOrEqual(created + 2_000);
			expect(said).toContain((await page.locator("#status time").textContent()) ?? "?");
			expect(await stepAt(page, "rotation")).toBe(rotatedAt + 2_000);
			expect(await stepAt(page, "created")).toBe(created);
			const idleDeadline = await stepAt(page, "idle");
			expect(idleDeadline).toBe((await stepAt(page, "last-seen")) + 6_000);
			expect(idleDeadline).toBeGreaterThanOrEqual(rotatedAt + 6_000);
			const after = await cookieOf(device);
			expect(after).not.toBeNull();
			expect(after).not.toBe(before);

			// Left alone past the idle deadline, the page checks once and says the session expired.
			await textMatches(page, "#status", new RegExp(`^Session expired \\(idle\\) at ${CLOCK}\\.$`), 20_000);
			expect(Date.parse((await page.locator("#status time").getAttribute("datetime")) ?? "")).toBe(idleDeadline);
			await textMatches(page, "#user", "nobody (not signed in)");
			expect(await page.textContent("#timeline")).toContain("Nothing stored yet");
			expect(await userWithCookie(demo.base, after ?? "")).toBeNull();
		}, TEST_MS);
	});
});
