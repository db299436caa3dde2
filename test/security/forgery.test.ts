// Forged and tampered cookies (ASVS 9.1.1, 9.1.3, 9.2.2; GHSA-63x4-8g8c-vhww trailing bytes, pillarjs/cookies#25
// context binding): anything but a value the server signed for this cookie name is an anonymous visitor,
// costs no store read, and is reported as `cookie_invalid` with its reason.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Browser } from "../helpers/demo-process.ts";
import { COOKIE, newKey, type Harness, SpyStore } from "../helpers/harness.ts";
import { Keyring } from "../../src/keyring.ts";
import type { SessionEvent } from "../../src/events.ts";
import { cookieValue, loadRaw, sid, spied, startTempDemo, storedJar, type TempDemo } from "./support.ts";

const KID = "k1";

/** Two genuine cookies of two stored sessions, and what they are made of. */
interface Genuine {
	/** `token.kid.mac` of session A (cart [1, 2, 3]). */
	value: string;
	token: string;
	kid: string;
	mac: string;
	secret: string;
	/** `token.kid.mac` of session B (cart [9]). */
	other: string;
}

function parts(value: string): { token: string; kid: string; mac: string } {
	const [token = "", kid = "", mac = ""] = value.split(".");
	return { token, kid, mac };
}

async function setup(): Promise<{ h: Harness<SpyStore>; g: Genuine }> {
	const secret = newKey();
	const h = spied({ keys: [{ id: KID, secret }] });
	const a = await storedJar(h);
	const b = await storedJar(h, (s) => (s.cart = [9]));
	const value = a.get() ?? "";
	h.store.reset();
	h.events.length = 0;
	return { h, g: { value, ...parts(value), secret, other: b.get() ?? "" } };
}

/** The outcome an attacker can observe for one cookie header, plus what it cost the server. */
async function attempt(h: Harness<SpyStore>, header: string): Promise<{ isNew: boolean; cart: readonly number[]; reads: string[]; events: SessionEvent[]; setCookie: string | null }> {
	h.store.reset();
	h.events.length = 0;
	const session = await loadRaw(h, header);
	const reads = [...h.store.calls];
	const setCookie = await h.sessions.commitCookie(session);
	return { isNew: session.isNew, cart: session.cart, reads, events: [...h.events], setCookie };
}

type Attempt = Awaited<ReturnType<typeof attempt>>;

const anonymous = (reason: "bad_signature" | "oversized"): Attempt => ({
	isNew: true,
	cart: [],
	reads: [],
	events: [{ type: "cookie_invalid", reason }],
	setCookie: null,
});

describe("forgery: control", () => {
	test("the genuine cookie loads its session with exactly one store read (control for every case below)", async () => {
		const { h, g } = await setup();
		expect(await attempt(h, sid(g.value))).toEqual({ isNew: false, cart: [1, 2, 3], reads: ["get"], events: [], setCookie: null });
	});
});

describe("forgery: every single-bit flip of a genuine cookie is rejected", () => {
	// Each region of `token.kid.mac`; every bit (0–7) of every character is flipped in turn. Flips may
	// give control characters, ';', '=' or latin-1 letters, hence raw headers.
	const regions: Array<[string, (g: Genuine) => [number, number]]> = [
		["the token", (g) => [0, g.token.length]],
		["the first dot", (g) => [g.token.length, g.token.length + 1]],
		["the key id", (g) => [g.token.length + 1, g.token.length + 1 + g.kid.length]],
		["the second dot", (g) => [g.token.length + 1 + g.kid.length, g.token.length + 2 + g.kid.length]],
		["the mac", (g) => [g.value.length - g.mac.length, g.value.length]],
	];
	// Seen first: the genuine cookie loaded once, so its signature is remembered (src/verified-cookies.ts).
	for (const [[region, range], seenFirst] of regions.flatMap((r) => [[r, false], [r, true]] as const)) {
		test(`a bit flipped anywhere in ${region}${seenFirst ? " of a cookie seen before" : ""} gives an anonymous session, no store read, and cookie_invalid/bad_signature`, async () => {
			const { h, g } = await setup();
			if (seenFirst) expect((await attempt(h, sid(g.value))).isNew).toBe(false);
			const [from, to] = range(g);
			const accepted: string[] = [];
			let tried = 0;
			for (let i = from; i < to; i++) {
				for (let bit = 0; bit < 8; bit++) {
					const flipped = g.value.slice(0, i) + String.fromCharCode(g.value.charCodeAt(i) ^ (1 << bit)) + g.value.slice(i + 1);
					tried++;
					const seen = await attempt(h, sid(flipped));
					if (!Bun.deepEquals(seen, anonymous("bad_signature"))) accepted.push(`position ${i} bit ${bit}: ${JSON.stringify(seen)}`);
				}
			}
			expect(tried).toBe((to - from) * 8);
			expect(accepted).toEqual([]);
		});
	}
});

describe("forgery: tampered and forged values", () => {
	const cases: Array<[string, (g: Genuine) => string]> = [
		["a signature truncated by one character", (g) => g.value.slice(0, -1)],
		["a signature cut to half its length", (g) => g.value.slice(0, -11)],
		["a signature removed, its dot kept (token.kid.)", (g) => `${g.token}.${g.kid}.`],
		["signature and key id removed (token.)", (g) => `${g.token}.`],
		["the bare token, unsigned", (g) => g.token],
		["an empty key id (token..mac)", (g) => `${g.token}..${g.mac}`],
		["the key id in another case (K1 for k1)", (g) => `${g.token}.${g.kid.toUpperCase()}.${g.mac}`],
		["a signature by another key under the same key id", (g) => new Keyring([{ id: KID, secret: newKey() }]).sign(g.token, COOKIE)],
		["a signature by another key under its own key id", (g) => new Keyring([{ id: "k2", secret: newKey() }]).sign(g.token, COOKIE)],
		["trailing 'x' after a valid signature (GHSA-63x4-8g8c-vhww)", (g) => `${g.value}x`],
		["a trailing base64url character (a 23-character mac)", (g) => `${g.value}A`],
		["a trailing dot after a valid signature", (g) => `${g.value}.`],
		["base64 padding after a valid signature (mac==)", (g) => `${g.value}==`],
		["a second signature appended (token.kid.mac.kid.mac)", (g) => `${g.value}.${g.kid}.${g.mac}`],
		["a valid signature moved onto another ID (mac of cookie A on the token of cookie B)", (g) => `${parts(g.other).token}.${g.kid}.${g.mac}`],
		["a signature made for another cookie name (sid)", (g) => new Keyring([{ id: KID, secret: g.secret }]).sign(g.token, "sid")],
		["a signature made for another cookie name (__Host-csrf)", (g) => new Keyring([{ id: KID, secret: g.secret }]).sign(g.token, "__Host-csrf")],
		["a signature made for the same name in another case (__host-sid)", (g) => new Keyring([{ id: KID, secret: g.secret }]).sign(g.token, "__host-sid")],
		["a signature made for an empty context", (g) => new Keyring([{ id: KID, secret: g.secret }]).sign(g.token, "")],
		["a look-alike latin-1 letter in the mac", (g) => `${g.value.slice(0, -1)}\u00c0`],
		["an empty value", () => ""],
		["a single dot", () => "."],
		["two dots", () => ".."],
		["only dots (40)", () => ".".repeat(40)],
		["dots where token, key id and mac belong (43.2.22 dots)", () => `${".".repeat(43)}.${".".repeat(2)}.${".".repeat(22)}`],
		["a huge value (8 KiB of base64url characters)", () => "A".repeat(8 * 1024)],
		["a huge value that ends in a genuine-looking signature", (g) => `${"A".repeat(8 * 1024)}.${g.kid}.${g.mac}`],
	];

	for (const [what, make] of cases) {
		test(`${what}: anonymous session, no store read, cookie_invalid/bad_signature`, async () => {
			const { h, g } = await setup();
			const value = make(g);
			expect(value).not.toBe(g.value);
			expect(await attempt(h, sid(value))).toEqual(anonymous("bad_signature"));
		});
	}

	test("a value over 16 KiB: anonymous session, no store read, cookie_invalid/oversized", async () => {
		const { h, g } = await setup();
		expect(await attempt(h, sid(`${"A".repeat(16 * 1024)}${g.value}`))).toEqual(anonymous("oversized"));
	});

	test("the genuine cookie signed with the ring's own key for its own name still loads (the cases above fail for their tamper, not the setup)", async () => {
		const { h, g } = await setup();
		const resigned = new Keyring([{ id: KID, secret: g.secret }]).sign(g.token, COOKIE);
		expect(resigned).toBe(g.value);
		expect((await attempt(h, sid(resigned))).isNew).toBe(false);
	});
});

describe("forgery: against the running demo over HTTP", () => {
	let app: TempDemo;
	beforeAll(async () => {
		app = await startTempDemo();
	});
	afterAll(async () => {
		await app.stop();
	});

	test("forged cookies sent over HTTP get the anonymous view, no Set-Cookie and no new row", async () => {
		const owner = new Browser();
		await owner.send(app.base, "POST", "/api/login", { userId: "owner" });
		const value = cookieValue(owner.cookie ?? "");
		const { token, kid, mac } = parts(value);
		const forged = [
			value.slice(0, -1),
			`${value}x`,
			`${value}.${kid}.${mac}`,
			token,
			`${token}.${kid}.${"A".repeat(22)}`,
			new Keyring([{ id: kid, secret: newKey() }]).sign(token, COOKIE),
			new Keyring([app.key]).sign(token, "sid"),
			"",
			"...",
		];
		const rowsBefore = app.rows();
		for (const f of forged) {
			const b = new Browser();
			b.cookie = sid(f);
			const res = await b.send(app.base, "GET", "/api/session");
			expect({ forged: f, status: res.status, json: res.json, setCookies: b.setCookies }).toEqual({
				forged: f,
				status: 200,
				json: { userId: null, role: "guest", cart: [], theme: null, flash: null, bound: false },
				setCookies: [],
			});
		}
		expect(app.rows()).toBe(rowsBefore);
		// Control: the genuine cookie is the owner's session.
		expect(((await owner.send(app.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBe("owner");
	});
});
