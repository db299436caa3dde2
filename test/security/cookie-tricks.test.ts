// Cookie-level tricks (ASVS 3.3.1–3.3.4; Cookie Crumbles; CVE-2023-23934 Werkzeug nameless cookies,
// CVE-2022-36032 ReactPHP name decoding, CVE-2022-31629 PHP name mangling, PortSwigger 2025 Unicode
// whitespace prefix bypass, CVE-2024-47764 attribute injection): tossed duplicates, look-alike names,
// and what sess writes on the wire.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as z from "zod";
import { defineSession } from "../../schema/define.ts";
import { readCookieValues } from "../../src/cookie.ts";
import { ConfigError } from "../../src/errors.ts";
import { Browser } from "../helpers/demo-process.ts";
import { failure } from "../helpers/failure.ts";
import { COOKIE, CookieJar, MINUTE, type Harness, SpyStore, fakeClock, makeSessions, newKey, visit } from "../helpers/harness.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import type { SessionEvent } from "../../src/events.ts";
import { rowIdOf, sid, spied, startTempDemo, storedJar, type TempDemo } from "./support.ts";

async function twoSessions(): Promise<{ h: Harness<SpyStore>; victim: string; attacker: string }> {
	const h = spied();
	const victim = (await storedJar(h, (s) => (s.cart = [1]))).get() ?? "";
	const attacker = (await storedJar(h, (s) => (s.cart = [2]))).get() ?? "";
	return { h, victim, attacker };
}

/** Loads through a real `Request` (so only what `fetch` allows reaches `load()`), reporting what it cost. */
async function seen(h: Harness<SpyStore>, init: HeadersInit): Promise<{ isNew: boolean; cart: readonly number[]; reads: string[]; events: SessionEvent[] }> {
	h.store.reset();
	h.events.length = 0;
	const session = await h.sessions.load(new Request("https://app.test/", { headers: init }));
	return { isNew: session.isNew, cart: session.cart, reads: [...h.store.calls], events: [...h.events] };
}

type Seen = Awaited<ReturnType<typeof seen>>;
const DUPLICATE: Seen = { isNew: true, cart: [], reads: [], events: [{ type: "cookie_invalid", reason: "duplicate" }] };
const NOT_OURS: Seen = { isNew: true, cart: [], reads: [], events: [] };

describe("duplicated __Host-sid cookies: anonymous and reported, never a guess", () => {
	test("two valid cookies of different sessions, in either order: neither session loads (cookie_invalid/duplicate, no store read)", async () => {
		const { h, victim, attacker } = await twoSessions();
		expect(await seen(h, { cookie: `${sid(victim)}; ${sid(attacker)}` })).toEqual(DUPLICATE);
		expect(await seen(h, { cookie: `${sid(attacker)}; ${sid(victim)}` })).toEqual(DUPLICATE);
	});

	test("a valid cookie next to a garbage one, in either order: anonymous, cookie_invalid/duplicate", async () => {
		const { h, victim } = await twoSessions();
		expect(await seen(h, { cookie: `${sid(victim)}; ${sid("garbage")}` })).toEqual(DUPLICATE);
		expect(await seen(h, { cookie: `${sid("garbage")}; ${sid(victim)}` })).toEqual(DUPLICATE);
	});

	test("the same valid cookie twice: anonymous, cookie_invalid/duplicate", async () => {
		const { h, victim } = await twoSessions();
		expect(await seen(h, { cookie: `${sid(victim)}; ${sid(victim)}` })).toEqual(DUPLICATE);
	});

	test("a valid cookie next to an empty __Host-sid=: anonymous, cookie_invalid/duplicate", async () => {
		const { h, victim } = await twoSessions();
		expect(await seen(h, { cookie: `${sid(victim)}; ${COOKIE}=` })).toEqual(DUPLICATE);
	});

	test("two Cookie header fields, one valid session each, are joined by the runtime and still a duplicate", async () => {
		const { h, victim, attacker } = await twoSessions();
		expect(
			await seen(h, [
				["cookie", sid(victim)],
				["cookie", sid(attacker)],
			]),
		).toEqual(DUPLICATE);
	});

	test("a second copy whose name is padded with SP or HTAB (RFC whitespace) is the same name: a duplicate, not a way past the check", async () => {
		const { h, victim, attacker } = await twoSessions();
		for (const padded of [` ${COOKIE}`, `${COOKIE} `, `\t${COOKIE}`, `${COOKIE}\t`, `  ${COOKIE}  `]) {
			expect({ padded, ...(await seen(h, { cookie: `${sid(victim)};${padded}=${attacker}` })) }).toEqual({ padded, ...DUPLICATE });
		}
	});

	test("a tossed duplicate never deletes or changes the victim's stored session; once it is gone the session is back", async () => {
		const { h, victim } = await twoSessions();
		const row = h.store.inner.get(rowIdOf(victim));
		expect(row).not.toBeNull();
		const tossed = new CookieJar();
		const session = await h.sessions.load(tossed.request("/", { headers: { cookie: `${sid(victim)}; ${sid("tossed")}` } }));
		session.cart = [666]; // the app writes to what it was given: a fresh session
		const response = await h.sessions.commit(session, new Response("ok"));
		expect(response.headers.getSetCookie()).toHaveLength(1);
		expect(h.store.inner.get(rowIdOf(victim))).toEqual(row);
		expect(await seen(h, { cookie: sid(victim) })).toEqual({ isNew: false, cart: [1], reads: ["get"], events: [] });
	});
});

describe("look-alike names are other cookies: never read as the session cookie", () => {
	const names: Array<[string, string]> = [
		["lower-case prefix", "__host-sid"],
		["upper-case prefix", "__HOST-sid"],
		["upper-case name", "__Host-SID"],
		["__Secure- prefix", "__Secure-sid"],
		["prefix without underscores", "Host-sid"],
		["one underscore", "_Host-sid"],
		["underscore for the dash", "__Host_sid"],
		["URL-encoded underscores (CVE-2022-36032)", "%5F%5FHost-sid"],
		["dots for underscores (CVE-2022-31629)", "..Host-sid"],
		["a longer name", "__Host-sid2"],
		["a prefixed name", "x__Host-sid"],
		["a shorter name", "__Host-si"],
		["NEL, which is not whitespace", "\u0085__Host-sid"],
	];
	for (const [what, name] of names) {
		const shown = name.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
		test(`${what} ("${shown}") carrying a genuine value: anonymous, no store read, no event`, async () => {
			const { h, victim } = await twoSessions();
			expect(await seen(h, { cookie: `${name}=${victim}` })).toEqual(NOT_OURS);
		});
	}

	test("a nameless cookie =__Host-sid=<genuine> (CVE-2023-23934) is not the session cookie", async () => {
		const { h, victim } = await twoSessions();
		expect(await seen(h, { cookie: `=${sid(victim)}` })).toEqual(NOT_OURS);
		expect(await seen(h, { cookie: `==${sid(victim)}` })).toEqual(NOT_OURS);
	});

	test("every look-alike next to the genuine cookie is no duplicate: the genuine session loads", async () => {
		const { h, victim } = await twoSessions();
		const decoys = names.map(([, name]) => `${name}=junk`).join("; ");
		expect(await seen(h, { cookie: `${decoys}; =${COOKIE}=junk; ${sid(victim)}` })).toEqual({ isNew: false, cart: [1], reads: ["get"], events: [] });
	});

	// U+00A0 is whitespace to JavaScript's trim() but not to RFC 6265 (only SP and HTAB). A cookie named
	// "\u00a0__Host-sid" is not a __Host- cookie to the browser, so a sibling subdomain may set it with
	// Domain=; Bun hands the raw byte 0xA0 to the app as U+00A0 (see raw-socket.test.ts). Regression tests.
	test("a cookie named NBSP + __Host-sid (no __Host- protection in the browser) is not read as the session cookie", async () => {
		const { h, attacker } = await twoSessions();
		expect(await seen(h, { cookie: `\u00a0${sid(attacker)}` })).toEqual(NOT_OURS);
	});

	test("a tossed NBSP + __Host-sid junk cookie does not log the victim out (no forced duplicate)", async () => {
		const { h, victim } = await twoSessions();
		expect(await seen(h, { cookie: `${sid(victim)}; \u00a0${COOKIE}=junk` })).toEqual({ isNew: false, cart: [1], reads: ["get"], events: [] });
	});

	test("readCookieValues trims only SP and HTAB off names, no other Unicode space", () => {
		const trimmedAnyway: string[] = [];
		for (const ch of ["\u00a0", "\u1680", "\u2000", "\u200a", "\u2028", "\u3000", "\ufeff", "\u000b", "\u000c"]) {
			const label = `U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0")}`;
			if (readCookieValues(`${ch}${COOKIE}=v`, COOKIE).length > 0) trimmedAnyway.push(`${label} before the name`);
			if (readCookieValues(`${COOKIE}${ch}=v`, COOKIE).length > 0) trimmedAnyway.push(`${label} after the name`);
		}
		expect(trimmedAnyway).toEqual([]);
	});
});

const SET_COOKIE = /^__Host-sid=([A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{22})?; Path=\/(; Max-Age=\d+)?; Secure; HttpOnly; SameSite=Lax$/;

describe("what sess writes: __Host-sid, Path=/, Secure, HttpOnly, SameSite=Lax, never Domain", () => {
	test("every Set-Cookie of a whole session lifecycle (create, rotate, login, re-sign after key rotation, logout) has exactly the secure attributes", async () => {
		const clock = fakeClock();
		const store = new MemoryStore();
		const oldKey = { id: "old", secret: newKey() };
		const before = makeSessions({ store, clock, keys: [oldKey] });
		const jar = new CookieJar();
		const kinds: Record<string, string[]> = {};
		const record = (kind: string, cookies: string[]) => (kinds[kind] = cookies);
		record("create", (await visit(before, jar, (s) => (s.cart = [1]))).setCookies);
		clock.advance(15 * MINUTE);
		record("periodic rotation", (await visit(before, jar)).setCookies);
		record("login", (await visit(before, jar, (s) => (s.userId = "u1"))).setCookies);
		const after = makeSessions({ store, clock, keys: [{ id: "new", secret: newKey() }, oldKey] });
		record("re-sign with the new key", (await visit(after, jar)).setCookies);
		record("logout", (await visit(after, jar, (s) => s.destroy())).setCookies);
		expect(Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, v.length]))).toEqual({
			create: 1,
			"periodic rotation": 1,
			login: 1,
			"re-sign with the new key": 1,
			logout: 1,
		});
		for (const [kind, [cookie = ""]] of Object.entries(kinds)) {
			expect({ kind, cookie, shape: SET_COOKIE.test(cookie), domain: /domain/i.test(cookie) }).toEqual({ kind, cookie, shape: true, domain: false });
		}
	});

	test("a schema cannot name the cookie so as to smuggle attributes (sid; Domain=evil.test) or drop the __Host- prefix", () => {
		for (const name of ["__Host-sid; Domain=evil.test", "__Host-sid\r\nSet-Cookie: x=y", "__Host-sid=x", "sid"]) {
			const error = failure(() => defineSession({ data: z.object({ a: z.string().optional() }), cookie: { name } }));
			expect({ name, error: error instanceof ConfigError }).toEqual({ name, error: true });
		}
	});

	describe("on the wire, from the running demo", () => {
		let app: TempDemo;
		beforeAll(async () => {
			app = await startTempDemo();
		});
		afterAll(async () => {
			await app.stop();
		});

		test("login, promote and logout over HTTP send only __Host-sid with Path=/; Secure; HttpOnly; SameSite=Lax and no Domain", async () => {
			const b = new Browser();
			const lines: string[] = [];
			for (const [method, path, body] of [
				["POST", "/api/cart", { item: 1 }],
				["POST", "/api/login", { userId: "wire" }],
				["POST", "/api/promote", undefined],
				["POST", "/api/logout", undefined],
			] as const) {
				const res = await b.send(app.base, method, path, body);
				expect(res.status).toBe(200);
				lines.push(...res.headers.getSetCookie());
			}
			expect(lines).toHaveLength(4);
			for (const line of lines) expect({ line, shape: SET_COOKIE.test(line), domain: /domain/i.test(line) }).toEqual({ line, shape: true, domain: false });
		});
	});
});
