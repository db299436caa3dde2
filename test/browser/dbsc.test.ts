// Device Bound Session Credentials in a real browser: Debian's Chromium (156 or later) with DBSC and
// its software keys switched on, the demo served over HTTPS with SESS_DBSC=1, a throw-away CA trusted
// in an NSS database under a temporary HOME (Chromium registers nothing over plain HTTP or with
// --ignore-certificate-errors). The DevTools protocol reports each DBSC step; the test asserts
// registration, refreshes of the short-lived bound cookie, that copied cookies stop loading the
// session once the copied bound cookie expires, and termination after logout. Skipped without Chromium, openssl or certutil,
// except in CI (CI=true).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { chromium, type BrowserContext, type CDPSession, type Page } from "playwright-core";
import { startDemo, type DemoProcess } from "../helpers/demo-process.ts";
import { localCaAvailable, makeLocalCa, type LocalCa } from "../helpers/local-ca.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	// DBSC without origin-trial tokens or refresh quota, with software keys (no TPM on a CI machine), and its DevTools events.
	"--enable-features=DeviceBoundSessions:RequireOriginTrialTokens/false/RefreshQuota/false,EnableBoundSessionCredentialsSoftwareKeysForManualTesting,DeviceBoundSessionsDevTools",
];
const SESSION_COOKIE = "__Host-sid";
const BOUND_COOKIE = "__Host-sid-dbsc";
/** The bound cookie's lifetime: short, so Chromium refreshes it within the test. */
const LIFETIME_S = 5;
/** Each wait for a DevTools event or page state gives up after this long. */
const WAIT_MS = 20_000;
const TEST_MS = 90_000;

const skip = (!existsSync(CHROMIUM) || !localCaAvailable()) && process.env.CI !== "true";

/** `Network.deviceBoundSessionEventOccurred`, the fields asserted here. */
interface DbscEvent {
	site: string;
	succeeded: boolean;
	sessionId?: string;
	creationEventDetails?: { fetchResult: string; newSession?: { refreshUrl: string; cookieCravings: { name: string; secure: boolean; httpOnly: boolean; sameSite: string; path: string }[] } };
	refreshEventDetails?: { refreshResult: string; fetchResult?: string };
	terminationEventDetails?: { deletionReason: string };
	challengeEventDetails?: { challengeResult: string };
}

/** Collects DevTools DBSC events and waits for the first one matching a predicate. */
class EventLog {
	readonly events: DbscEvent[] = [];
	private waiters: { match: (e: DbscEvent) => boolean; resolve: (e: DbscEvent) => void }[] = [];

	constructor(cdp: CDPSession) {
		cdp.on("Network.deviceBoundSessionEventOccurred", (event) => {
			const e = event as unknown as DbscEvent;
			this.events.push(e);
			this.waiters = this.waiters.filter((w) => (w.match(e) ? (w.resolve(e), false) : true));
		});
	}

	/** The first event from index `from` on (already seen, or to come) that matches; fails after WAIT_MS with everything seen so far. */
	async next(what: string, match: (e: DbscEvent) => boolean, nudge?: () => Promise<void>, from = 0): Promise<DbscEvent> {
		const seen = this.events.slice(from).find(match);
		if (seen !== undefined) return seen;
		let timer: ReturnType<typeof setTimeout> | undefined;
		let stop = false;
		const found = new Promise<DbscEvent>((resolve, reject) => {
			this.waiters.push({ match, resolve });
			timer = setTimeout(() => reject(new Error(`no DBSC ${what} event within ${WAIT_MS} ms; saw ${JSON.stringify(this.events)}`)), WAIT_MS);
		});
		// Chromium refreshes when a request in scope finds the bound cookie (nearly) expired: keep making requests.
		const nudging = (async () => {
			while (!stop && nudge !== undefined) {
				await nudge().catch(() => undefined);
				await new Promise((r) => setTimeout(r, 500));
			}
		})();
		try {
			return await found;
		} finally {
			stop = true;
			clearTimeout(timer);
			await nudging;
		}
	}
}

describe.skipIf(skip)("DBSC in Chromium", () => {
	const key = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
	let dir = "";
	let ca: LocalCa;

	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), "sess-dbsc-browser-"));
		ca = makeLocalCa(join(dir, "ca"));
	});

	afterAll(() => {
		if (dir !== "") rmSync(dir, { recursive: true, force: true });
	});

	for (const mode of ["store", "sealed"] as const) {
		describe(`SESS_MODE=${mode}`, () => {
			let demo: DemoProcess;
			let context: BrowserContext;
			let page: Page;
			let log: EventLog;

			beforeAll(async () => {
				demo = await startDemo({
					SESS_DB: join(dir, `${mode}.db`), SESS_KEYS: key, SESS_MODE: mode, SESS_DBSC: "1", SESS_DBSC_LIFETIME: `${LIFETIME_S}s`,
					SESS_TLS_CERT: ca.cert, SESS_TLS_KEY: ca.key,
				});
				context = await chromium.launchPersistentContext(join(dir, `profile-${mode}`), {
					executablePath: CHROMIUM,
					headless: true,
					args: CHROMIUM_ARGS,
					// Chromium reads trusted roots from $HOME/.pki/nssdb: the temporary one trusts the test CA.
					env: { ...process.env, HOME: ca.home },
					timeout: WAIT_MS,
				});
				context.setDefaultTimeout(WAIT_MS);
				page = context.pages()[0] ?? (await context.newPage());
				const cdp = await context.newCDPSession(page);
				log = new EventLog(cdp);
				await cdp.send("Network.enable");
				await cdp.send("Network.enableDeviceBoundSessions" as "Network.enable", { enable: true } as never);
			}, TEST_MS);

			afterAll(async () => {
				await (context as BrowserContext | undefined)?.close();
				await (demo as DemoProcess | undefined)?.stop();
			}, TEST_MS);

			/** What `GET /api/session` shows on the page after clicking "Reload session". */
			async function reload(): Promise<{ userId: string | null; bound: boolean }> {
				// The request this click sends, not one the page sent earlier and is still waiting for.
				const [request] = await Promise.all([page.waitForRequest((r) => new URL(r.url()).pathname === "/api/session"), page.click("#refresh")]);
				const response = await request.response();
				return (await response?.json()) as { userId: string | null; bound: boolean };
			}

			async function cookie(name: string): Promise<string | undefined> {
				return (await context.cookies()).find((c) => c.name === name)?.value;
			}

			/** What a client without the browser's key sees with these cookies (as malware that copied them would). */
			async function asThief(cookies: Record<string, string>): Promise<{ userId: string | null; bound: boolean }> {
				const header = Object.entries(cookies).map(([n, v]) => `${n}=${v}`).join("; ");
				const response = await fetch(`${demo.base}/api/session`, { headers: { cookie: header }, tls: { ca: await Bun.file(join(dir, "ca", "ca.pem")).text() } } as RequestInit);
				return (await response.json()) as { userId: string | null; bound: boolean };
			}

			test("login registers a device-bound session, Chromium refreshes the bound cookie, logout terminates it", async () => {
				await page.goto(`${demo.base}/`);
				await page.fill("#userId", "alice");
				await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === "/api/login"), page.click("#login")]);

				// Registration: Chromium made a key, signed the challenge, and accepted the session configuration.
				const created = await log.next("registration", (e) => e.creationEventDetails !== undefined);
				expect(created.succeeded).toBe(true);
				expect(created.creationEventDetails?.fetchResult).toBe("Success");
				expect(created.sessionId).toMatch(/^s[A-Za-z0-9_-]{22}$/);
				const config = created.creationEventDetails?.newSession;
				expect(config?.refreshUrl).toBe(`${demo.base}/.sess/dbsc/refresh`);
				expect(config?.cookieCravings).toEqual([expect.objectContaining({ name: BOUND_COOKIE, path: "/", secure: true, httpOnly: true, sameSite: "Lax" })]);
				expect(await reload()).toMatchObject({ userId: "alice", bound: true });
				await page.waitForFunction(() => document.getElementById("bound")?.textContent?.startsWith("Device-bound") === true);

				// Refresh: the bound cookie lives 5 s; Chromium proves possession of the key and gets a new one.
				const boundBefore = await cookie(BOUND_COOKIE);
				expect(boundBefore).toBeDefined();
				const refreshed = await log.next(
					"refresh",
					(e) => e.refreshEventDetails !== undefined,
					async () => void (await reload()),
					log.events.length,
				);
				expect({ succeeded: refreshed.succeeded, result: refreshed.refreshEventDetails?.refreshResult, sessionId: refreshed.sessionId }).toEqual({
					succeeded: true,
					result: "Refreshed",
					sessionId: created.sessionId,
				});
				expect(await cookie(BOUND_COOKIE)).not.toBe(boundBefore);
				expect(await reload()).toMatchObject({ userId: "alice", bound: true });

				// Both cookies as malware copied them before that refresh: once the copied bound cookie's own
				// expiry (signed inside it) has passed, they load nothing, while the browser carries on.
				const stolen = { [SESSION_COOKIE]: (await cookie(SESSION_COOKIE)) as string, [BOUND_COOKIE]: boundBefore as string };
				const expiresAt = Number.parseInt((boundBefore as string).split(".")[1] as string, 36);
				await page.waitForTimeout(Math.max(0, expiresAt - Date.now() + 50));
				expect(await asThief(stolen)).toMatchObject({ userId: null, bound: false });
				expect(await reload()).toMatchObject({ userId: "alice", bound: true });
				// Chromium signed challenges this server issued (from the 403, or cached from the last 200).
				expect(log.events.some((e) => e.challengeEventDetails?.challengeResult === "Success")).toBe(true);

				// Logout: the session and the bound cookie go; the next refresh answers continue: false and Chromium drops the DBSC session.
				await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === "/api/logout"), page.click("#logout")]);
				const ended = await log.next(
					"termination",
					(e) => e.terminationEventDetails !== undefined,
					async () => void (await reload()),
				);
				expect(ended.sessionId).toBe(created.sessionId);
				expect(ended.terminationEventDetails?.deletionReason).toBe("ServerRequested");
				expect(await reload()).toMatchObject({ userId: null, bound: false });
				expect(await cookie(BOUND_COOKIE)).toBeUndefined();
			}, TEST_MS);
		});
	}
});
