import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as z from "zod";
import { decodeBase64urlIgnorePadding } from "@oslojs/encoding";
import { createSessions, model, type Sessions } from "../examples/demo/src/generated/session.ts";
import { defineSession } from "../schema/define.ts";
import { createLock, updateLock } from "../generator/lock.ts";
import { createCodec } from "../src/codec.ts";
import { sealedCookieSize } from "../schema/sealed-size.ts";
import { serializeCookie } from "../src/cookie.ts";
import { decodeBase64url } from "../src/crypto.ts";
import { Keyring } from "../src/keyring.ts";
import { decodeSealedPlaintext } from "../src/sealed.ts";
import { Writer } from "../src/wire.ts";
import { ConfigError, StoreUnavailableError } from "../src/errors.ts";
import type { SessionEvent } from "../src/events.ts";
import { createSessionManager } from "../src/manager.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { failure } from "./helpers/failure.ts";
import { CookieJar, fakeClock, MINUTE, newKey, SpyStore, type FakeClock } from "./helpers/harness.ts";

interface Sealed {
	sessions: Sessions;
	revocations: MemoryStore;
	clock: FakeClock;
	events: SessionEvent[];
	keys: string[];
}

function sealed(options: { keys?: string[]; clock?: FakeClock; revocations?: MemoryStore } = {}): Sealed {
	const clock = options.clock ?? fakeClock();
	const revocations = options.revocations ?? new MemoryStore();
	const keys = options.keys ?? [newKey()];
	const events: SessionEvent[] = [];
	const sessions = createSessions({ mode: "sealed", revocations, keys, now: clock.now, onEvent: (e) => events.push(e) });
	return { sessions, revocations, clock, events, keys };
}

type Session = Awaited<ReturnType<Sessions["load"]>>;

async function visit(h: Sealed, jar: CookieJar, fn: (s: Session) => unknown = () => undefined): Promise<{ session: Session; setCookies: string[] }> {
	const session = await h.sessions.load(jar.request());
	await fn(session);
	const response = await h.sessions.commit(session, new Response("ok"));
	const setCookies = response.headers.getSetCookie();
	jar.apply(setCookies);
	return { session, setCookies };
}

function cookieValue(jar: CookieJar): string {
	return (jar.header() ?? "").replace(/^__Host-sid=/, "");
}

describe("sealed mode", () => {
	test("data travels in an encrypted cookie; the revocation store holds nothing", async () => {
		const h = sealed();
		const jar = new CookieJar();
		const { setCookies } = await visit(h, jar, (s) => (s.cart = [7, 8]));
		expect(setCookies).toHaveLength(1);
		expect(setCookies[0]).toMatch(/^__Host-sid=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; Path=\/; Max-Age=43200; Secure; HttpOnly; SameSite=Lax$/);
		expect((await visit(h, jar)).session.cart).toEqual([7, 8]);
		expect(h.revocations.size).toBe(0);
	});

	test("the cookie reveals nothing of the data", async () => {
		const h = sealed();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.userId = "visible-user-name"));
		const raw = new TextDecoder("latin1").decode(decodeBase64urlIgnorePadding(cookieValue(jar).split(".")[1] ?? ""));
		expect(raw).not.toContain("visible-user-name");
		expect(cookieValue(jar)).not.toContain("visible");
	});

	test("a tampered, truncated, re-keyed or renamed cookie is a fresh session and an event", async () => {
		const h = sealed();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.cart = [1]));
		const good = cookieValue(jar);
		const [kid, body] = good.split(".") as [string, string];
		const flipped = body.slice(0, 10) + (body[10] === "A" ? "B" : "A") + body.slice(11);
		const other = sealed({ clock: h.clock });
		const otherJar = new CookieJar();
		await visit(other, otherJar, (s) => (s.cart = [1]));
		for (const value of [`${kid}.${flipped}`, `${kid}.${body.slice(0, -4)}`, good + "A", `${kid}x.${body}`, cookieValue(otherJar), `${kid}.`, "."]) {
			const attacker = new CookieJar();
			attacker.cookies.set("__Host-sid", { value, maxAge: null });
			h.events.length = 0;
			const { session } = await visit(h, attacker);
			expect(session.isNew).toBe(true);
			expect(h.events.map((e) => e.type)).toContain("cookie_invalid");
		}
	});

	test("only the canonical base64url spelling of a sealed cookie opens (no malleable variants)", async () => {
		const h = sealed();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.cart = [1]));
		const [kid, body] = cookieValue(jar).split(".") as [string, string];
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const last = alphabet.indexOf(body.at(-1) as string);
		// Flip an unused low bit of the last character: same bytes to a lax decoder, a different string.
		expect(decodeBase64url("AA")).toEqual(new Uint8Array([0]));
		expect(decodeBase64url("AB")).toBeNull();
		expect(decodeBase64url("AAB")).toBeNull();
		const unused = body.length % 4 === 0 ? 0 : 1;
		if (unused === 0) return; // this cookie's length leaves no unused bits; the fixed cases above still ran
		const variant = body.slice(0, -1) + alphabet[last ^ unused];
		expect(decodeBase64url(variant)).toBeNull();
		const attacker = new CookieJar();
		attacker.cookies.set("__Host-sid", { value: `${kid}.${variant}`, maxAge: null });
		expect((await visit(h, attacker)).session.isNew).toBe(true);
		expect(decodeBase64url(body)).not.toBeNull();
	});

	test("strict base64url decoding accepts exactly the strings an encoder writes (property)", () => {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		// The rule before the last-character check: decode leniently, then re-encode and compare.
		const reencodes = (text: string): boolean => /^[A-Za-z0-9_-]*$/.test(text) && text.length % 4 !== 1 && Buffer.from(Buffer.from(text, "base64url")).toString("base64url") === text;
		fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...alphabet, "=", "+", "/", " ", "."), maxLength: 12 }), (text) => {
			const decoded = decodeBase64url(text);
			expect(decoded !== null).toBe(reencodes(text));
			if (decoded !== null) expect(Buffer.from(decoded).toString("base64url")).toBe(text);
		}), { numRuns: 5000 });
		fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
			expect(decodeBase64url(Buffer.from(bytes).toString("base64url"))).toEqual(bytes);
		}));
	});

	test("the Set-Cookie line is serializeCookie's, Max-Age counting down to the absolute deadline", async () => {
		const h = sealed();
		const jar = new CookieJar();
		const first = await visit(h, jar, (s) => (s.cart = [1]));
		const value = (line: string) => line.slice(line.indexOf("=") + 1, line.indexOf(";"));
		const absoluteMs = h.sessions.policy.absoluteMs;
		expect(first.setCookies[0]).toBe(serializeCookie("__Host-sid", value(first.setCookies[0] as string), { path: "/", secure: true, httpOnly: true, sameSite: "lax", maxAge: absoluteMs / 1000 }));
		h.clock.advance(1500);
		const second = await visit(h, jar, (s) => (s.cart = [2]));
		expect(second.setCookies[0]).toBe(serializeCookie("__Host-sid", value(second.setCookies[0] as string), { path: "/", secure: true, httpOnly: true, sameSite: "lax", maxAge: (absoluteMs - 1500) / 1000 }));
		expect(second.setCookies[0]).toContain(`; Max-Age=${Math.floor((absoluteMs - 1500) / 1000)};`);
	});

	test("a cookie of the format before lineages (1) is refused: it may be a fork of a login that was logged out", async () => {
		const h = sealed();
		const keyring = new Keyring(h.keys);
		// format 1 ‖ 16-byte sid ‖ created ‖ issued ‖ last seen ‖ absolute, then the demo's codec bytes for a fresh session.
		const w = new Writer();
		w.byte(1);
		w.raw(new Uint8Array(16).fill(7));
		const now = h.clock.now();
		for (const t of [now, now, now, now + 60 * MINUTE]) w.zigzag(t);
		const legacy = keyring.seal(w.finish(), "__Host-sid", (b) => crypto.getRandomValues(b));
		const jar = new CookieJar();
		jar.cookies.set("__Host-sid", { value: legacy, maxAge: null });
		const { session } = await visit(h, jar);
		expect(session.isNew).toBe(true);
		expect(h.events).toContainEqual({ type: "cookie_invalid", reason: "malformed" });
	});

	test("a cookie of the previous format (2, absolute times) still opens after a deploy, and comes back in the current one, smaller", async () => {
		const h = sealed();
		const keyring = new Keyring(h.keys);
		const jar = new CookieJar();
		await visit(h, jar, (s) => {
			s.userId = "lena";
			s.cart = [4, 5];
		});
		const opened = decodeSealedPlaintext((keyring.open(cookieValue(jar), "__Host-sid") as { bytes: Uint8Array }).bytes);
		if (opened === null) throw new Error("the current cookie does not decode");
		const { header, codecBytes } = opened;
		// What the previous release wrote: format 2 ‖ lineage ‖ generation ‖ the five times as they are ‖ codec bytes.
		const w = new Writer();
		w.byte(2);
		w.raw(header.lineage);
		w.varint(header.generation);
		for (const t of [header.createdAt, header.since, header.issuedAt, header.lastSeenAt, header.absoluteExpiresAt]) w.zigzag(t);
		w.raw(codecBytes);
		const previous = keyring.seal(w.finish(), "__Host-sid", (b) => crypto.getRandomValues(b));
		const old = new CookieJar();
		old.cookies.set("__Host-sid", { value: previous, maxAge: null });
		h.clock.advance(MINUTE);
		const { session, setCookies } = await visit(h, old, (s) => (s.theme = "dark"));
		expect(session.userId).toBe("lena");
		expect(session.cart).toEqual([4, 5]);
		expect(setCookies).toHaveLength(1);
		const reissued = decodeSealedPlaintext((keyring.open(cookieValue(old), "__Host-sid") as { bytes: Uint8Array }).bytes);
		expect(reissued?.header.lineage).toEqual(header.lineage);
		expect(reissued?.header.since).toBe(header.since);
		expect(reissued?.header.createdAt).toBe(header.createdAt);
		expect(reissued?.header.absoluteExpiresAt).toBe(header.absoluteExpiresAt);
		expect(cookieValue(old).length).toBeLessThan(previous.length);
		// The current format is read back too: the first cookie still loads.
		expect((await visit(h, jar)).session.userId).toBe("lena");
	});

	test("two devices revoke each other at once: the later revoke does not bring back the device the earlier one ended", async () => {
		const h = sealed();
		const a = new CookieJar();
		const b = new CookieJar();
		await visit(h, a, (s) => (s.userId = "mo"));
		await visit(h, b, (s) => (s.userId = "mo"));
		h.clock.advance(1000);
		// B's request loads before A's revoke lands and revokes the others after it.
		const loadedB = await h.sessions.load(b.request());
		await visit(h, a, (s) => h.sessions.revoke("userId", "mo", { except: s }));
		h.clock.advance(1000);
		await h.sessions.revoke("userId", "mo", { except: loadedB });
		b.apply((await h.sessions.commit(loadedB, new Response("ok"))).headers.getSetCookie());
		expect((await visit(h, b)).session.userId).toBeUndefined();
		// B's revoke still ends A, as in store mode (it deletes every row but the one B loaded).
		expect((await visit(h, a)).session.userId).toBeUndefined();
		expect(h.events).toContainEqual(expect.objectContaining({ type: "sealed_revoked", reason: "not_before" }));
	});

	test("a login keeps at most one revocation row however often it rotates, and logout adds none", async () => {
		const h = sealed();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.userId = "kim"));
		for (let i = 0; i < 20; i++) {
			h.clock.advance(16 * MINUTE);
			await visit(h, jar, (s) => (s.cart = [i]));
		}
		expect(h.events.filter((e) => e.type === "rotated")).toHaveLength(20);
		expect(h.revocations.size).toBe(1);
		await visit(h, jar, (s) => s.destroy());
		expect(h.revocations.size).toBe(1);
	});

	test("a cookie sealed by the previous key still opens and is resealed with the newest", async () => {
		const oldKey = newKey();
		const before = sealed({ keys: [oldKey] });
		const jar = new CookieJar();
		await visit(before, jar, (s) => (s.cart = [3]));
		const oldKid = cookieValue(jar).split(".")[0];
		const after = sealed({ keys: [newKey(), oldKey], clock: before.clock, revocations: before.revocations });
		const { session, setCookies } = await visit(after, jar);
		expect(session.cart).toEqual([3]);
		expect(after.events.filter((e) => e.type === "old_key_used")).toEqual([{ type: "old_key_used", keyId: oldKid as string }]);
		expect(setCookies).toHaveLength(1);
		expect(cookieValue(jar).split(".")[0]).not.toBe(oldKid);
		expect((await visit(sealed({ keys: [after.keys[0] as string], clock: before.clock }), jar)).session.cart).toEqual([3]);
	});

	test("idle and absolute deadlines are enforced from the authenticated times inside the cookie", async () => {
		const h = sealed();
		const idle = new CookieJar();
		await visit(h, idle, (s) => (s.cart = [1]));
		h.clock.advance(30 * MINUTE);
		expect((await visit(h, idle)).session.isNew).toBe(true);
		expect(h.events.some((e) => e.type === "idle_expired")).toBe(true);

		const active = new CookieJar();
		await visit(h, active, (s) => (s.cart = [1]));
		for (let t = 0; t < 12 * 60; t += 10) {
			h.clock.advance(10 * MINUTE);
			if (t + 10 >= 12 * 60) break;
			expect((await visit(h, active)).session.cart).toEqual([1]);
		}
		expect((await visit(h, active)).session.isNew).toBe(true);
		expect(h.events.some((e) => e.type === "absolute_expired")).toBe(true);
	});

	test("logout kills this cookie at once (replay fails) and leaves the user's other devices alone", async () => {
		const h = sealed();
		const laptop = new CookieJar();
		const phone = new CookieJar();
		await visit(h, laptop, (s) => (s.userId = "u1"));
		await visit(h, phone, (s) => (s.userId = "u1"));
		const replay = laptop.clone();
		const { setCookies } = await visit(h, laptop, (s) => s.destroy());
		expect(setCookies).toEqual(["__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]);
		expect((await visit(h, replay)).session.userId).toBeUndefined();
		expect(h.events.some((e) => e.type === "sealed_revoked")).toBe(true);
		expect((await visit(h, phone)).session.userId).toBe("u1");
	});

	test("login regenerates: a cookie planted before login never sees the logged-in session", async () => {
		const h = sealed();
		const victim = new CookieJar();
		await visit(h, victim, (s) => (s.cart = [1]));
		const planted = victim.clone();
		await visit(h, victim, (s) => (s.userId = "u1"));
		expect(cookieValue(victim)).not.toBe(cookieValue(planted));
		const seen = (await visit(h, planted)).session;
		expect(seen.userId).toBeUndefined();
		expect(seen.isNew).toBe(true);
	});

	test("periodic rotation: a new cookie; the old one works during the grace, then is dead", async () => {
		const h = sealed();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.userId = "u1"));
		const old = jar.clone();
		h.clock.advance(15 * MINUTE);
		const { setCookies } = await visit(h, jar);
		expect(setCookies).toHaveLength(1);
		expect((await visit(h, old.clone())).session.userId).toBe("u1");
		h.clock.advance(31_000);
		expect((await visit(h, old.clone())).session.userId).toBeUndefined();
		expect((await visit(h, jar)).session.userId).toBe("u1");
	});

	test("revoke-all and revoke-others work by a per-user not-before time; the kept device is re-issued", async () => {
		const h = sealed();
		const [a, b, c] = [new CookieJar(), new CookieJar(), new CookieJar()];
		for (const jar of [a, b, c]) await visit(h, jar, (s) => (s.userId = "u1"));
		const stranger = new CookieJar();
		await visit(h, stranger, (s) => (s.userId = "u2"));
		h.clock.advance(1000);
		const { setCookies } = await visit(h, a, async (s) => {
			await h.sessions.revoke("userId", "u1", { except: s });
		});
		expect(setCookies).toHaveLength(1);
		h.clock.advance(1000);
		expect((await visit(h, a)).session.userId).toBe("u1");
		expect((await visit(h, b)).session.userId).toBeUndefined();
		expect((await visit(h, c)).session.userId).toBeUndefined();
		expect((await visit(h, stranger)).session.userId).toBe("u2");
		await h.sessions.revoke("userId", "u1");
		h.clock.advance(1);
		expect((await visit(h, a)).session.userId).toBeUndefined();
	});

	test("list() knows only the caller's own sealed session", async () => {
		const h = sealed();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.userId = "u1"));
		const { session } = await visit(h, jar);
		const list = await h.sessions.list("userId", "u1", { current: session });
		expect(list).toHaveLength(1);
		expect(list[0]?.current).toBe(true);
		expect(await h.sessions.list("userId", "u2", { current: session })).toEqual([]);
	});

	test("the revocation store failing makes load() fail closed", async () => {
		const spy = new SpyStore(new MemoryStore());
		const clock = fakeClock();
		const sessions = createSessions({ mode: "sealed", revocations: spy, keys: [newKey()], now: clock.now, storeTimeout: "50ms" });
		const jar = new CookieJar();
		const first = await sessions.load(jar.request());
		first.cart = [1];
		jar.apply((await sessions.commit(first, new Response())).headers.getSetCookie());
		spy.mode = "throw";
		const e = await sessions.load(jar.request()).then(() => null, (err: unknown) => err);
		expect(e).toBeInstanceOf(StoreUnavailableError);
	});

	test("a schema without `sealed: true` refuses sealed mode", () => {
		const plain = { ...model, sealed: false };
		const e = failure(() => createSessionManager({ model: plain, codec: {} as never, Session: class {} as never }, { mode: "sealed", revocations: new MemoryStore(), keys: [newKey()] }));
		expect(e).toBeInstanceOf(ConfigError);
		expect(e.message).toContain("sealed: true");
	});
});

describe("defineSession({ sealed: true })", () => {
	test("refuses fields flagged sensitive", () => {
		const e = failure(() => defineSession({ sealed: true, data: z.object({ ssn: z.string().max(11).optional().meta({ sensitive: true }) }) }));
		expect(e.code).toBe("unsupported_schema");
		expect(e.message).toContain("ssn");
	});

	test("names unbounded fields", () => {
		const e = failure(() => defineSession({ sealed: true, data: z.object({ note: z.string().optional(), tags: z.array(z.string().max(5)).default([]), meta: z.record(z.string(), z.int()).default({}) }) }));
		expect(e.message).toContain("data.note (string without .max())");
		expect(e.message).toContain("data.tags (array without .max())");
		expect(e.message).toContain("data.meta (records have no entry bound)");
	});

	test("a format that fixes its length needs no .max(): uuid, ulid, nanoid, E.164, IPv4, ISO date", () => {
		const m = defineSession({
			sealed: true,
			data: z.object({ u: z.uuid().optional(), l: z.ulid().optional(), n: z.nanoid().optional(), p: z.e164().optional(), ip: z.ipv4().optional(), d: z.iso.date().optional() }),
		});
		// Zod's own patterns hold these lengths, so sess adds no check of its own.
		expect(m.data.map((f) => (f.type as { maxLength?: number }).maxLength)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
		expect(sealedCookieSize(m).unbounded).toEqual([]);
	});

	test("an email is bounded at 254 characters (RFC 5321), and a longer one Zod would take is refused on assignment", async () => {
		const m = defineSession({ sealed: true, data: z.object({ email: z.email().trim().toLowerCase().optional(), backup: z.email().max(100).optional() }) });
		expect(m.data.map((f) => (f.type as { maxLength?: number }).maxLength)).toEqual([254, 100]);
		const codec = createCodec<{ email?: string }, object>(m, updateLock(m, createLock()));
		const longest = `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(58)}.io`;
		expect(longest.length).toBe(254);
		expect(z.email().safeParse(`${longest}x`).success).toBe(true);
		expect(codec.decode(codec.encode({ email: longest })).email).toBe(longest);
		expect(failure(() => codec.encode({ email: `${longest}x` })).message).toBe("data.email: expected at most 254 characters");
	});

	test("strings without a bound are named as the user wrote them, with what to add", () => {
		const e = failure(() => defineSession({ sealed: true, data: z.object({ seen: z.iso.datetime().optional(), site: z.url().optional(), n: z.bigint().optional() }) }));
		expect(e.message).toBe("sealed: a sealed cookie must fit 4096 bytes, so every field needs a bound; unbounded: data.seen (ISO time without { precision } or .max()), data.site (string without .max()), data.n (bigint without .min() and .max()).");
		expect(() => defineSession({ sealed: true, data: z.object({ seen: z.iso.datetime().max(30).optional() }) })).not.toThrow();
		// A pattern that fixes the length bounds the string too: a fixed-precision datetime, a code format.
		const m = defineSession({ sealed: true, data: z.object({ at: z.iso.datetime({ precision: 3 }).optional(), code: z.string().regex(/^[A-Z]{2}-\d{4}$/).optional() }) });
		expect(sealedCookieSize(m).unbounded).toEqual([]);
		expect(m.data.map((f) => (f.type as { maxLength?: number }).maxLength)).toEqual([undefined, undefined]);
	});

	test("refuses a schema whose worst case exceeds 4096 bytes, naming the largest fields", () => {
		const e = failure(() => defineSession({ sealed: true, data: z.object({ bio: z.string().max(2000).default(""), small: z.int().default(0) }) }));
		expect(e.message).toMatch(/worst-case cookie is \d+ bytes, over the 4096/);
		expect(e.message).toContain("data.bio");
		// A flash message counts as much as any field, and is named when it is the largest.
		const flash = failure(() => defineSession({ sealed: true, data: z.object({ note: z.string().max(300).optional() }), flash: z.object({ message: z.string().max(900) }) }));
		expect(flash.message).toMatch(/largest fields: flash\.message \(\d+ B\), data\.note \(\d+ B\)\. /);
	});

	test("the computed worst case bounds every real cookie (property)", async () => {
		const bound = sealedCookieSize(model).bytes;
		expect(bound).toBeLessThanOrEqual(4096);
		const h = sealed();
		const data = fc.record({
			userId: fc.option(fc.string({ minLength: 1, maxLength: 64, unit: "grapheme" }).filter((s) => s.length >= 1 && s.length <= 64), { nil: undefined }),
			cart: fc.array(fc.maxSafeNat(), { maxLength: 50 }),
			theme: fc.option(fc.constantFrom("light" as const, "dark" as const), { nil: undefined }),
			message: fc.option(fc.string({ minLength: 1, maxLength: 500 }), { nil: undefined }),
		});
		await fc.assert(
			fc.asyncProperty(data, async (d) => {
				const session = await h.sessions.load(new CookieJar().request());
				if (d.userId !== undefined) session.userId = d.userId;
				session.cart = d.cart;
				if (d.theme !== undefined) session.theme = d.theme;
				if (d.message !== undefined) session.flash.set("message", d.message);
				session.csrfToken();
				const cookie = (await h.sessions.commit(session, new Response())).headers.getSetCookie()[0] ?? "";
				expect(cookie.length).toBeLessThanOrEqual(bound);
			}),
			{ numRuns: 300 },
		);
	});
});
