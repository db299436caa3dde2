import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { sha256 } from "@oslojs/crypto/sha2";
import { withSession } from "../src/adapters/fetch.ts";
import { InvalidDataError, StoreUnavailableError, WeakKeyError, WriteConflictError } from "../src/errors.ts";
import { Keyring } from "../src/keyring.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import type { Session } from "../examples/demo/src/generated/session.ts";
import { COOKIE, CookieJar, HOUR, MINUTE, SECOND, SpyStore, fakeClock, makeSessions, newKey, request, visit, type Harness } from "./helpers/harness.ts";

const SET_COOKIE = /^__Host-sid=([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{1,16})\.([A-Za-z0-9_-]{22}); Path=\/; Max-Age=(\d+); Secure; HttpOnly; SameSite=Lax$/;
const BLANK_COOKIE = "__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax";

/** A harness whose store is a spy over a MemoryStore. */
function spied(options: Parameters<typeof makeSessions<SpyStore>>[0] = {}): Harness<SpyStore> {
	return makeSessions<SpyStore>({ store: new SpyStore(new MemoryStore()), ...options });
}

function memoryOf(h: Harness<SpyStore>): MemoryStore {
	return h.store.inner as MemoryStore;
}

/** A jar holding a stored session (cart [1, 2, 3]). */
async function withStoredSession(h: Harness, fields: (s: Session) => void = (s) => (s.cart = [1, 2, 3])): Promise<CookieJar> {
	const jar = new CookieJar();
	const { setCookies } = await visit(h, jar, fields);
	expect(setCookies).toHaveLength(1);
	return jar;
}

async function login(h: Harness, jar: CookieJar, userId: string): Promise<void> {
	const { setCookies } = await visit(h, jar, (s) => {
		s.userId = userId;
		s.role = "user";
	});
	expect(setCookies).toHaveLength(1);
}

describe("createSessions(): keys", () => {
	test("every key `sess keygen` can print is accepted, e.g. one without digits, '-' or '_'", () => {
		// 32 random bytes whose base64url happens to hold letters only: about 1 keygen output in 7,700.
		const key = "VSHKaEplhMqRJwIlcYEFyWDymxwxgxQvSLOQTubIumM";
		expect(decodeBase64urlIgnorePadding(key)).toHaveLength(32);
		expect(() => makeSessions({ keys: [key] })).not.toThrow();
	});

	test("placeholders, short keys and phrases are refused with WeakKeyError", () => {
		const phrase = "thisisaverylongpassphrasethatisnotrandomatall";
		for (const key of ["keyboard cat", "your-secret-key", encodeBase64urlNoPadding(new Uint8Array(16).fill(7)), phrase]) {
			let error: unknown;
			try {
				makeSessions({ keys: [key] });
			} catch (e) {
				error = e;
			}
			expect(error).toBeInstanceOf(WeakKeyError);
			expect((error as WeakKeyError).code).toBe("weak_key");
		}
	});
});

describe("commit(): lazy creation", () => {
	test("a new session nobody writes to stores nothing and sends no cookie", async () => {
		const h = spied();
		const jar = new CookieJar();
		const { session, response, setCookies } = await visit(h, jar, (s) => {
			expect(s.role).toBe("guest");
		});
		expect(session.isNew).toBe(true);
		expect(setCookies).toEqual([]);
		expect(response.headers.get("cache-control")).toBeNull();
		expect(response.headers.get("vary")).toBeNull();
		expect(h.store.calls).toEqual([]);
		expect(memoryOf(h).size).toBe(0);
		expect(h.events).toEqual([]);
	});

	test("setting a field stores one row and sends exactly one __Host- cookie, uncacheable", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		const { response, setCookies } = await visit(h, jar, (s) => (s.cart = [7]));
		expect(setCookies).toHaveLength(1);
		const match = SET_COOKIE.exec(setCookies[0] ?? "");
		expect(match).not.toBeNull();
		const [, token = "", kid, , maxAge] = match ?? [];
		expect(kid).toBe(new Keyring(h.keys).currentKeyId);
		expect(maxAge).toBe("43200");
		expect(response.headers.get("cache-control")).toBe("private, no-store");
		expect(response.headers.get("vary")).toBe("Cookie");
		expect(h.store.size).toBe(1);
		const id = encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
		const row = h.store.get(id);
		expect(row).not.toBeNull();
		expect(row?.id).toBe(id);
		expect(h.eventsOf("created")).toEqual([{ type: "created", id: id.slice(0, 12) }]);
	});

	test("the stored row never holds the token, only its hash", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.userId = "u1"));
		const token = jar.token() ?? "";
		expect(token).toHaveLength(43);
		const row = h.store.get(jar.rowId() ?? "");
		expect(row).not.toBeNull();
		const text = JSON.stringify(row, (_, v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v));
		expect(text).not.toContain(token);
		expect(text).not.toContain(jar.get() ?? "");
		// The control: the same scan does find what is there.
		expect(text).toContain("u1");
		expect(text).toContain(jar.rowId() ?? "");
	});

	test("assigning a field its current value (role = \"guest\") is not a write and creates nothing", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		const { session, setCookies } = await visit(h, jar, (s) => {
			s.role = "guest";
			s.theme = undefined;
		});
		expect(session.changed).toBe(false);
		expect(setCookies).toEqual([]);
		expect(h.store.size).toBe(0);
	});
});

describe("Session accessors", () => {
	test("a new session reads the schema's defaults", async () => {
		const h = makeSessions();
		const session = await h.sessions.load(new CookieJar().request());
		expect(session.role).toBe("guest");
		expect(session.cart).toEqual([]);
		expect(session.userId).toBeUndefined();
		expect(session.theme).toBeUndefined();
		expect(session.toJSON()).toEqual({ role: "guest", cart: [] });
	});

	test("assigned values persist across requests", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await visit(h, jar, (s) => {
			s.cart = [1, 2];
			s.theme = "dark";
		});
		const { session, setCookies } = await visit(h, jar);
		expect(session.isNew).toBe(false);
		expect(session.cart).toEqual([1, 2]);
		expect(session.theme).toBe("dark");
		expect(setCookies).toEqual([]);
		await visit(h, jar, (s) => (s.theme = undefined));
		expect((await visit(h, jar)).session.theme).toBeUndefined();
	});

	test("a value the schema rejects throws InvalidDataError and leaves the session as it was", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const { session, setCookies } = await visit(h, jar, (s) => {
			const attempts: Array<() => void> = [
				() => (s.cart = [-1]),
				() => (s.cart = Array.from({ length: 51 }, (_, i) => i)),
				() => (s.cart = [1.5]),
				() => (s.role = "root" as unknown as "admin"),
				() => (s.role = undefined as unknown as "admin"),
				() => (s.userId = ""),
				() => (s.theme = "blue" as unknown as "dark"),
			];
			for (const attempt of attempts) {
				let error: unknown;
				try {
					attempt();
				} catch (e) {
					error = e;
				}
				expect(error).toBeInstanceOf(InvalidDataError);
				expect((error as InvalidDataError).code).toBe("invalid_data");
			}
			expect(s.cart).toEqual([1, 2, 3]);
			expect(s.role).toBe("guest");
			expect(s.changed).toBe(false);
		});
		expect(setCookies).toEqual([]);
		expect(session.toJSON()).toEqual({ role: "guest", cart: [1, 2, 3] });
	});

	test("the largest valid values are accepted (50 items, 64-character id)", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		const fifty = Array.from({ length: 50 }, (_, i) => i);
		await visit(h, jar, (s) => {
			s.cart = fifty;
			s.userId = "u".repeat(64);
		});
		const { session } = await visit(h, jar);
		expect(session.cart).toEqual(fifty);
		expect(session.userId).toBe("u".repeat(64));
	});

	test("values are frozen: pushing to session.cart throws instead of being silently lost", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await visit(h, jar, (s) => {
			expect(() => (s.cart as number[]).push(1)).toThrow(TypeError);
			s.cart = [1];
			expect(() => (s.cart as number[]).push(2)).toThrow(TypeError);
		});
		const { session } = await visit(h, jar, (s) => {
			expect(() => (s.cart as number[]).push(3)).toThrow(TypeError);
		});
		expect(session.cart).toEqual([1]);
	});

	test("spreading into a new array is the way to change a list", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		await visit(h, jar, (s) => (s.cart = [...s.cart, 4]));
		expect((await visit(h, jar)).session.cart).toEqual([1, 2, 3, 4]);
	});
});

describe("load(): read-only requests and expiry", () => {
	test("a read-only request reads the row once and writes nothing", async () => {
		const h = spied();
		const jar = await withStoredSession(h);
		const before = h.store.inner.get(jar.rowId() ?? "") as ReturnType<MemoryStore["get"]>;
		h.store.reset();
		h.clock.advance(MINUTE);
		const { response, setCookies } = await visit(h, jar, (s) => s.cart);
		expect(h.store.calls).toEqual(["get"]);
		expect(setCookies).toEqual([]);
		// Built from a stored session: still private, even though no cookie is sent.
		expect(response.headers.get("cache-control")).toBe("private, no-store");
		expect(response.headers.get("vary")).toBe("Cookie");
		expect(h.store.inner.get(jar.rowId() ?? "")).toEqual(before);
	});

	test("a read-only request after touchAfter (idle/10 = 3 min) slides the idle deadline without a new version or cookie", async () => {
		const h = spied();
		expect(h.sessions.policy.touchAfterMs).toBe(3 * MINUTE);
		const jar = await withStoredSession(h);
		const id = jar.rowId() ?? "";
		const created = memoryOf(h).get(id);
		h.clock.advance(3 * MINUTE - 1);
		h.store.reset();
		await visit(h, jar);
		expect(h.store.calls).toEqual(["get"]);
		h.clock.advance(1);
		h.store.reset();
		const { setCookies } = await visit(h, jar);
		expect(h.store.calls).toEqual(["get", "touch"]);
		expect(setCookies).toEqual([]);
		const touched = memoryOf(h).get(id);
		expect(touched?.version).toBe(created?.version as number);
		expect(touched?.lastSeenAt).toBe(h.clock.now());
		expect(touched?.idleExpiresAt).toBe(h.clock.now() + 30 * MINUTE);
		expect(touched?.data).toEqual(created?.data as Uint8Array);
	});

	test("touchAfter is capped at 5 minutes for long idle timeouts", async () => {
		const h = spied({ expiry: { idle: "2h" } });
		expect(h.sessions.policy.touchAfterMs).toBe(5 * MINUTE);
		const jar = await withStoredSession(h);
		h.clock.advance(5 * MINUTE - 1);
		h.store.reset();
		await visit(h, jar);
		expect(h.store.count("touch")).toBe(0);
		h.clock.advance(1);
		await visit(h, jar);
		expect(h.store.count("touch")).toBe(1);
	});

	test("a session idle for less than 30 minutes is still there", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		h.clock.advance(30 * MINUTE - 1);
		const { session } = await visit(h, jar);
		expect(session.isNew).toBe(false);
		expect(session.cart).toEqual([1, 2, 3]);
		expect(h.eventsOf("idle_expired")).toEqual([]);
	});

	test("after 30 idle minutes the visitor gets a fresh session, an idle_expired event, and the row is deleted", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const id = jar.rowId() ?? "";
		h.clock.advance(30 * MINUTE);
		const { session, setCookies } = await visit(h, jar);
		expect(session.isNew).toBe(true);
		expect(session.cart).toEqual([]);
		expect(setCookies).toEqual([]);
		expect(h.eventsOf("idle_expired")).toEqual([{ type: "idle_expired", id: id.slice(0, 12) }]);
		expect(h.store.get(id)).toBeNull();
		expect(h.store.size).toBe(0);
	});

	test("a session active every minute lives exactly 12 hours, then absolute_expired", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const start = h.clock.now();
		const end = start + 12 * HOUR;
		for (let minute = 1; minute < 12 * 60; minute++) {
			h.clock.set(start + minute * MINUTE);
			const { session, setCookies } = await visit(h, jar);
			expect(session.isNew).toBe(false);
			expect(session.cart).toEqual([1, 2, 3]);
			const row = h.store.get(jar.rowId() ?? "");
			expect(row?.absoluteExpiresAt).toBe(end);
			expect(row?.idleExpiresAt).toBeLessThanOrEqual(end);
			expect(session.expiresAt?.getTime()).toBeLessThanOrEqual(end);
			for (const c of setCookies) {
				const maxAge = Number(SET_COOKIE.exec(c)?.[4]);
				expect(h.clock.now() + maxAge * SECOND).toBeLessThanOrEqual(end);
			}
		}
		expect(h.store.get(jar.rowId() ?? "")?.idleExpiresAt).toBe(end);
		expect(h.eventsOf("absolute_expired")).toEqual([]);
		h.clock.set(end);
		const { session } = await visit(h, jar);
		expect(session.isNew).toBe(true);
		expect(session.cart).toEqual([]);
		expect(h.eventsOf("absolute_expired")).toHaveLength(1);
		expect(h.eventsOf("idle_expired")).toEqual([]);
		// The session and its newest alias are gone; older grace aliases linger, expired, until prune.
		expect(h.store.get(jar.rowId() ?? "")).toBeNull();
		const left = h.store.size;
		expect(left).toBe(h.eventsOf("rotated").length - 1);
		expect(await h.sessions.prune()).toBe(left);
		expect(h.store.size).toBe(0);
	});

	test("a write near the end never pushes the idle deadline past the absolute one", async () => {
		const h = makeSessions({ rotation: { every: "13h", grace: "30s" }, expiry: { idle: "12h", absolute: "12h" } });
		const jar = await withStoredSession(h);
		const end = h.clock.now() + 12 * HOUR;
		h.clock.set(end - 10 * MINUTE);
		await visit(h, jar, (s) => (s.theme = "dark"));
		const row = h.store.get(jar.rowId() ?? "");
		expect(row?.idleExpiresAt).toBe(end);
		expect(row?.absoluteExpiresAt).toBe(end);
	});
});

describe("commit(): rotation", () => {
	test("login (a rotate field changes) issues a new cookie and the old cookie is dead at once", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const old = jar.clone();
		const oldId = jar.rowId() ?? "";
		await login(h, jar, "u1");
		expect(jar.token()).not.toBe(old.token());
		expect(h.store.get(oldId)).toBeNull();
		const { session: mine } = await visit(h, jar);
		expect(mine.userId).toBe("u1");
		expect(mine.cart).toEqual([1, 2, 3]);
		const { session: stale } = await visit(h, old);
		expect(stale.isNew).toBe(true);
		expect(stale.userId).toBeUndefined();
		expect(stale.cart).toEqual([]);
		expect(h.eventsOf("regenerated")).toHaveLength(1);
		expect(h.eventsOf("unknown_id")).toEqual([{ type: "unknown_id", id: oldId.slice(0, 12) }]);
	});

	test("changing a field that does not rotate keeps the cookie, and the old copy keeps working", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const copy = jar.clone();
		const { setCookies } = await visit(h, jar, (s) => (s.theme = "dark"));
		expect(setCookies).toEqual([]);
		expect((await visit(h, copy)).session.theme).toBe("dark");
		expect(h.eventsOf("regenerated")).toEqual([]);
	});

	test("regenerate() issues a new cookie and kills the old one at once", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const old = jar.clone();
		const { setCookies } = await visit(h, jar, (s) => s.regenerate());
		expect(setCookies).toHaveLength(1);
		expect(jar.token()).not.toBe(old.token());
		expect((await visit(h, jar)).session.cart).toEqual([1, 2, 3]);
		expect((await visit(h, old)).session.isNew).toBe(true);
	});

	test("session fixation: a cookie planted before login never sees the logged-in data", async () => {
		const h = makeSessions();
		const attacker = await withStoredSession(h, (s) => (s.theme = "light"));
		const victim = attacker.clone();
		await login(h, victim, "victim");
		expect(victim.token()).not.toBe(attacker.token());
		const { session } = await visit(h, attacker);
		expect(session.isNew).toBe(true);
		expect(session.userId).toBeUndefined();
		expect(session.role).toBe("guest");
		// Nothing the attacker does with the planted cookie later reaches the victim's session.
		await visit(h, attacker, (s) => (s.cart = [666]));
		expect((await visit(h, victim)).session.cart).toEqual([]);
	});

	test("without a login, a planted cookie does share the session (why login must rotate)", async () => {
		const h = makeSessions();
		const attacker = await withStoredSession(h, (s) => (s.theme = "light"));
		const victim = attacker.clone();
		await visit(h, victim, (s) => (s.cart = [5]));
		expect((await visit(h, attacker)).session.cart).toEqual([5]);
	});

	test("before rotation.every (15 min) no new cookie is issued", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		h.clock.advance(15 * MINUTE - 1);
		const { setCookies } = await visit(h, jar);
		expect(setCookies).toEqual([]);
		expect(h.eventsOf("rotated")).toEqual([]);
	});

	test("after rotation.every a new cookie is issued once; the old one loads the same session during grace, then dies", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const old = jar.clone();
		const oldId = old.rowId() ?? "";
		h.clock.advance(15 * MINUTE);
		const first = await visit(h, jar);
		expect(first.setCookies).toHaveLength(1);
		expect(SET_COOKIE.test(first.setCookies[0] ?? "")).toBe(true);
		expect(jar.token()).not.toBe(old.token());
		expect(h.eventsOf("rotated")).toEqual([{ type: "rotated", id: oldId.slice(0, 12), next: (jar.rowId() ?? "").slice(0, 12) }]);
		// The new cookie does not rotate again.
		expect((await visit(h, jar)).setCookies).toEqual([]);
		// A request still carrying the old cookie (a parallel tab, a slow response) keeps the session, gets no cookie.
		h.clock.advance(29 * SECOND);
		const during = await visit(h, old, (s) => (s.theme = "dark"));
		expect(during.session.isNew).toBe(false);
		expect(during.session.cart).toEqual([1, 2, 3]);
		expect(during.setCookies).toEqual([]);
		expect((await visit(h, jar)).session.theme).toBe("dark");
		expect(h.eventsOf("rotated")).toHaveLength(1);
		// After the grace period the old cookie is dead.
		h.clock.advance(1 * SECOND);
		const after = await visit(h, old);
		expect(after.session.isNew).toBe(true);
		expect(after.session.cart).toEqual([]);
		expect(h.eventsOf("grace_expired")).toEqual([{ type: "grace_expired", id: oldId.slice(0, 12) }]);
		expect((await visit(h, jar)).session.cart).toEqual([1, 2, 3]);
	});

	test("50 parallel requests with the same cookie when rotation is due: one new ID, all see the same session", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		h.clock.advance(15 * MINUTE);
		const browsers = Array.from({ length: 50 }, () => jar.clone());
		const results = await Promise.all(browsers.map((b) => visit(h, b)));
		const cookies = results.flatMap((r) => r.setCookies);
		expect(cookies).toHaveLength(1);
		expect(h.eventsOf("rotated")).toHaveLength(1);
		for (const r of results) {
			expect(r.session.isNew).toBe(false);
			expect(r.session.toJSON()).toEqual({ role: "guest", cart: [1, 2, 3] });
		}
		jar.apply(cookies);
		expect((await visit(h, jar)).session.cart).toEqual([1, 2, 3]);
		expect(h.store.size).toBe(2); // the session and one grace alias
	});

	test("50 parallel requests with the same cookie before rotation is due: no cookie at all", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		h.clock.advance(14 * MINUTE);
		const results = await Promise.all(Array.from({ length: 50 }, () => visit(h, jar.clone())));
		expect(results.flatMap((r) => r.setCookies)).toEqual([]);
		expect(h.eventsOf("rotated")).toEqual([]);
		expect(results.every((r) => !r.session.isNew)).toBe(true);
	});

	test("50 parallel writers with the same cookie when rotation is due: one new ID and every write lands", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		h.clock.advance(15 * MINUTE);
		const results = await Promise.all(
			Array.from({ length: 50 }, (_, i) => visit(h, jar.clone(), (s) => (i % 2 === 0 ? (s.theme = "dark") : (s.cart = [9])))),
		);
		expect(results.flatMap((r) => r.setCookies)).toHaveLength(1);
		jar.apply(results.flatMap((r) => r.setCookies));
		const { session } = await visit(h, jar);
		expect(session.toJSON()).toEqual({ role: "guest", cart: [9], theme: "dark" });
	});
});

describe("Session.destroy()", () => {
	test("destroy() deletes the row at once and clears the cookie", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const copy = jar.clone();
		const id = jar.rowId() ?? "";
		const { setCookies, response } = await visit(h, jar, (s) => s.destroy());
		expect(setCookies).toEqual([BLANK_COOKIE]);
		expect(response.headers.get("cache-control")).toBe("private, no-store");
		expect(jar.get()).toBeUndefined();
		expect(h.store.get(id)).toBeNull();
		expect(h.store.size).toBe(0);
		expect(h.eventsOf("destroyed")).toEqual([{ type: "destroyed", id: id.slice(0, 12) }]);
		expect((await visit(h, copy)).session.isNew).toBe(true);
	});

	test("destroy() also ends the grace aliases of a rotated session", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const old = jar.clone();
		h.clock.advance(15 * MINUTE);
		await visit(h, jar);
		await visit(h, jar, (s) => s.destroy());
		expect(h.store.size).toBe(0);
		expect((await visit(h, old)).session.isNew).toBe(true);
	});

	test("destroy() on a visitor without a session sends nothing", async () => {
		const h = makeSessions();
		const { setCookies } = await visit(h, new CookieJar(), (s) => s.destroy());
		expect(setCookies).toEqual([]);
		expect(h.eventsOf("destroyed")).toEqual([]);
	});

	test("writing after destroy() in the same request throws", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		await visit(h, jar, (s) => {
			s.destroy();
			expect(() => (s.cart = [1])).toThrow(InvalidDataError);
		});
		expect(h.store.size).toBe(0);
	});
});

describe("Session.flash", () => {
	test("a message set in one request is taken once in the next, then gone", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		const set = await visit(h, jar, (s) => s.flash.set("message", "Saved!"));
		expect(set.setCookies).toHaveLength(1);
		let taken: string | undefined;
		await visit(h, jar, (s) => (taken = s.flash.take("message")));
		expect(taken).toBe("Saved!");
		await visit(h, jar, (s) => (taken = s.flash.take("message")));
		expect(taken).toBeUndefined();
	});

	test("a message nobody takes waits for the next request that does", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await visit(h, jar, (s) => s.flash.set("message", "Hello"));
		await visit(h, jar);
		await visit(h, jar);
		let taken: string | undefined;
		await visit(h, jar, (s) => (taken = s.flash.take("message")));
		expect(taken).toBe("Hello");
	});

	test("flash values are validated like data", async () => {
		const h = makeSessions();
		const { session, setCookies } = await visit(h, new CookieJar(), (s) => {
			expect(() => s.flash.set("message", "x".repeat(501))).toThrow(InvalidDataError);
			expect(() => s.flash.set("nope" as "message", "x")).toThrow(InvalidDataError);
		});
		expect(session.changed).toBe(false);
		expect(setCookies).toEqual([]);
	});
});

describe("commit(): update scope", () => {
	test("a data write before touchAfter keeps the idle deadline and unchanged promoted columns out of the UPDATE", async () => {
		const h = makeSessions({ store: new SpyStore(new MemoryStore()) });
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.userId = "u1"));
		const before = await h.store.inner.get(jar.rowId() ?? "");
		h.clock.advance(MINUTE);
		await visit(h, jar, (s) => (s.cart = [1]));
		expect(h.store.scopes.at(-1)).toEqual({ times: false, columns: false });
		const after = await h.store.inner.get(jar.rowId() ?? "");
		expect(after?.idleExpiresAt).toBe(before?.idleExpiresAt);
		expect(after?.version).toBe((before?.version ?? 0) + 1);
	});

	test("after touchAfter a write slides the idle deadline too", async () => {
		const h = makeSessions({ store: new SpyStore(new MemoryStore()) });
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.cart = [1]));
		h.clock.advance(4 * MINUTE);
		await visit(h, jar, (s) => (s.cart = [2]));
		expect(h.store.scopes.at(-1)).toEqual({ times: true, columns: false });
	});
});

describe("commit(): concurrent requests", () => {
	test("two requests changing different fields both keep their change", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const a = await h.sessions.load(jar.request());
		const b = await h.sessions.load(jar.request());
		a.cart = [4];
		b.theme = "dark";
		await h.sessions.commit(a, new Response());
		await h.sessions.commit(b, new Response());
		const { session } = await visit(h, jar);
		expect(session.toJSON()).toEqual({ role: "guest", cart: [4], theme: "dark" });
		expect(h.eventsOf("concurrent_write").map((e) => e.overwritten)).toEqual([[]]);
	});

	test("two requests changing the same field: the last writer wins and the overwrite is reported", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const a = await h.sessions.load(jar.request());
		const b = await h.sessions.load(jar.request());
		a.cart = [4];
		b.cart = [5];
		await h.sessions.commit(a, new Response());
		await h.sessions.commit(b, new Response());
		expect((await visit(h, jar)).session.cart).toEqual([5]);
		const [event] = h.eventsOf("concurrent_write");
		expect(event?.fields).toEqual(["cart"]);
		expect(event?.overwritten).toEqual(["cart"]);
	});

	/** n requests load the same session; the last changes theme, the others cart; all commit at once. */
	async function contention(n: number): Promise<{ h: Harness; jar: CookieJar; last: PromiseSettledResult<Response> }> {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const loaded = await Promise.all(Array.from({ length: n }, () => h.sessions.load(jar.request())));
		loaded.forEach((s, i) => (i === n - 1 ? (s.theme = "dark") : (s.cart = [i])));
		const results = await Promise.allSettled(loaded.map((s) => h.sessions.commit(s, new Response())));
		return { h, jar, last: results[n - 1] as PromiseSettledResult<Response> };
	}

	test("8 requests writing the same session at once all land", async () => {
		const { h, jar, last } = await contention(8);
		expect(last.status).toBe("fulfilled");
		expect((await visit(h, jar)).session.theme).toBe("dark");
	});

	test("50 requests writing the same session at once all land: none is dropped, same-field writes resolve last-writer-wins", async () => {
		const n = 50;
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const loaded = await Promise.all(Array.from({ length: n }, () => h.sessions.load(jar.request())));
		loaded.forEach((s, i) => (i === n - 1 ? (s.theme = "dark") : (s.cart = [i])));
		const results = await Promise.allSettled(loaded.map((s) => h.sessions.commit(s, new Response())));
		expect(results.every((r) => r.status === "fulfilled")).toBe(true);
		const after = (await visit(h, jar)).session;
		expect(after.theme).toBe("dark");
		expect(after.cart).toHaveLength(1);
		expect(after.cart[0]).toBeLessThan(n - 1);
		expect(h.eventsOf("concurrent_write").length).toBeGreaterThan(0);
	});

	test("update() appends from 40 concurrent requests all land: nothing is lost, not even on the same field", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const loaded = await Promise.all(Array.from({ length: 40 }, () => h.sessions.load(jar.request())));
		loaded.forEach((s, i) => s.update("cart", (cart) => [...cart, i]));
		await Promise.all(loaded.map((s) => h.sessions.commit(s, new Response())));
		const cart = (await visit(h, jar)).session.cart;
		// The stored session started with [1, 2, 3].
		expect([...cart].sort((a, b) => a - b)).toEqual([...Array.from({ length: 40 }, (_, i) => i), 1, 2, 3].sort((a, b) => a - b));
		expect(h.eventsOf("concurrent_write").every((e) => e.overwritten.length === 0)).toBe(true);
	});

	test("an update() that no longer fits after a concurrent change keeps the other value and says so", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		await visit(h, jar, (s) => (s.cart = Array.from({ length: 49 }, (_, i) => i)));
		const [a, b] = await Promise.all([h.sessions.load(jar.request()), h.sessions.load(jar.request())]);
		a.update("cart", (cart) => [...cart, 100]);
		b.update("cart", (cart) => [...cart, 200]);
		await h.sessions.commit(a, new Response());
		await h.sessions.commit(b, new Response());
		const cart = (await visit(h, jar)).session.cart;
		expect(cart).toHaveLength(50);
		expect(cart.at(-1)).toBe(100);
		expect(h.eventsOf("update_rejected").map((e) => e.field)).toEqual(["cart"]);
	});

	// Decoded values are frozen when first read, not at decode: every way a value reaches the app must freeze it.
	test("every decoded value the app can reach is frozen: getters, toJSON() and the value an update() replays on", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const { session } = await visit(h, jar);
		expect(Object.isFrozen(session.toJSON().cart)).toBe(true);
		const [a, b] = await Promise.all([h.sessions.load(jar.request()), h.sessions.load(jar.request())]);
		a.update("cart", (cart) => [...cart, 4]);
		const seen: boolean[] = [];
		b.update("cart", (cart) => {
			seen.push(Object.isFrozen(cart));
			return [...cart, 5];
		});
		await h.sessions.commit(a, new Response());
		await h.sessions.commit(b, new Response());
		// Once on b's own load, once replayed on a's committed value.
		expect(seen).toEqual([true, true]);
		expect((await visit(h, jar)).session.cart).toEqual([1, 2, 3, 4, 5]);
	});

	test("a plain assignment after update() is the value that lands (last writer wins for it)", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const [a, b] = await Promise.all([h.sessions.load(jar.request()), h.sessions.load(jar.request())]);
		a.update("cart", (cart) => [...cart, 1]);
		a.cart = [7];
		b.cart = [9];
		await h.sessions.commit(b, new Response());
		await h.sessions.commit(a, new Response());
		expect((await visit(h, jar)).session.cart).toEqual([7]);
	});

	test("a request that started before a logout cannot bring the session back", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const a = await h.sessions.load(jar.request());
		await visit(h, jar.clone(), (s) => s.destroy());
		expect(h.store.size).toBe(0);
		a.cart = [9];
		// Not acknowledged either: the write was not saved, so the commit fails (a 503 in the adapters).
		await expect(h.sessions.commit(a, new Response())).rejects.toBeInstanceOf(WriteConflictError);
		expect(h.store.size).toBe(0);
		expect(h.eventsOf("write_after_destroy")).toHaveLength(1);
	});

	test("a login racing a logout does not bring the session back either", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const a = await h.sessions.load(jar.request());
		await visit(h, jar.clone(), (s) => s.destroy());
		a.userId = "u1";
		await expect(h.sessions.commit(a, new Response())).rejects.toBeInstanceOf(WriteConflictError);
		expect(h.store.size).toBe(0);
	});

	test("without the logout, the same late write is stored", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const a = await h.sessions.load(jar.request());
		await visit(h, jar.clone());
		a.cart = [9];
		await h.sessions.commit(a, new Response());
		expect((await visit(h, jar)).session.cart).toEqual([9]);
	});
});

describe("load(): hostile cookies", () => {
	const KID = "k1";

	async function setup(): Promise<{ h: Harness<SpyStore>; jar: CookieJar; value: string; token: string; secret: string }> {
		const secret = newKey();
		const h = spied({ keys: [{ id: KID, secret }] });
		const jar = await withStoredSession(h);
		h.store.reset();
		return { h, jar, value: jar.get() ?? "", token: jar.token() ?? "", secret };
	}

	test("the genuine cookie loads its session (control)", async () => {
		const { h, jar } = await setup();
		const { session } = await visit(h, jar);
		expect(session.isNew).toBe(false);
		expect(h.store.calls).toEqual(["get"]);
		expect(h.events.filter((e) => e.type !== "created")).toEqual([]);
	});

	type Genuine = { cookie: string; token: string; secret: string };
	const cases: Array<[string, (g: Genuine) => string, "bad_signature" | "malformed" | "duplicate"]> = [
		["a flipped signature character", ({ cookie }) => cookie.slice(0, -1) + (cookie.endsWith("A") ? "B" : "A"), "bad_signature"],
		["a signature made with another key of the same id", ({ token }) => `${COOKIE}=${new Keyring([{ id: KID, secret: newKey() }]).sign(token, COOKIE)}`, "bad_signature"],
		["a signature made for another cookie name", ({ token, secret }) => `${COOKIE}=${new Keyring([{ id: KID, secret }]).sign(token, "sid")}`, "bad_signature"],
		["a truncated cookie", ({ cookie }) => cookie.slice(0, -1), "bad_signature"],
		["extra bytes after the signature", ({ cookie }) => `${cookie}x`, "bad_signature"],
		["an unsigned token", ({ token }) => `${COOKIE}=${token}`, "bad_signature"],
		["an unknown key id", ({ cookie }) => cookie.replace(`.${KID}.`, ".k2."), "bad_signature"],
		["a duplicated __Host-sid cookie", ({ cookie }) => `${cookie}; ${cookie}`, "duplicate"],
	];

	for (const [what, make, reason] of cases) {
		test(`${what} gets a fresh session, a cookie_invalid event and no store read`, async () => {
			const { h, value, token, secret } = await setup();
			const header = make({ cookie: `${COOKIE}=${value}`, token, secret });
			const session = await h.sessions.load(new Request("https://app.test/", { headers: { cookie: header } }));
			expect(session.isNew).toBe(true);
			expect(session.cart).toEqual([]);
			expect(h.store.calls).toEqual([]);
			expect(h.eventsOf("cookie_invalid")).toEqual([{ type: "cookie_invalid", reason }]);
		});
	}

	test("a validly signed value that is not a token is malformed, with no store read", async () => {
		const { h, secret } = await setup();
		const ring = new Keyring([{ id: KID, secret }]);
		for (const payload of ["not-a-token", "a".repeat(42), "a".repeat(44), `${"a".repeat(42)}=`, `${"a".repeat(21)}.${"a".repeat(21)}`]) {
			const session = await h.sessions.load(new Request("https://app.test/", { headers: { cookie: `${COOKIE}=${ring.sign(payload, COOKIE)}` } }));
			expect(session.isNew).toBe(true);
		}
		expect(h.store.calls).toEqual([]);
		expect(h.eventsOf("cookie_invalid").map((e) => e.reason)).toEqual(["malformed", "malformed", "malformed", "malformed", "malformed"]);
	});

	test("__host-sid (other case) is another cookie: ignored, never read from the store", async () => {
		const { h, value } = await setup();
		const session = await h.sessions.load(new Request("https://app.test/", { headers: { cookie: `__host-sid=${value}` } }));
		expect(session.isNew).toBe(true);
		expect(h.store.calls).toEqual([]);
		// Observed: no event for a differently-cased name (it is simply not our cookie).
		expect(h.events.filter((e) => e.type !== "created")).toEqual([]);
	});

	test("__host-sid next to the genuine __Host-sid is not a duplicate: the genuine one loads", async () => {
		const { h, value } = await setup();
		const session = await h.sessions.load(new Request("https://app.test/", { headers: { cookie: `__host-sid=junk; ${COOKIE}=${value}` } }));
		expect(session.isNew).toBe(false);
		expect(session.cart).toEqual([1, 2, 3]);
	});

	test("a cookie header over 16 KiB is not parsed: fresh session, no store read", async () => {
		const { h, value } = await setup();
		const header = `pad=${"x".repeat(16 * 1024)}; ${COOKIE}=${value}`;
		const session = await h.sessions.load(new Request("https://app.test/", { headers: { cookie: header } }));
		expect(session.isNew).toBe(true);
		expect(h.store.calls).toEqual([]);
	});

	test("the same cookie in a header just under 16 KiB loads", async () => {
		const { h, value } = await setup();
		const header = `pad=${"x".repeat(16 * 1024 - value.length - COOKIE.length - 10)}; ${COOKIE}=${value}`;
		expect(header.length).toBeLessThanOrEqual(16 * 1024);
		const session = await h.sessions.load(new Request("https://app.test/", { headers: { cookie: header } }));
		expect(session.isNew).toBe(false);
	});

	test("any other cookie value gets a fresh session without touching the store (property)", async () => {
		const { h, value } = await setup();
		await fc.assert(
			fc.asyncProperty(fc.string({ maxLength: 200 }), async (junk) => {
				fc.pre(junk !== value && !junk.includes(";"));
				const session = await h.sessions.load(new Request("https://app.test/", { headers: { cookie: `${COOKIE}=${junk}` } }));
				return session.isNew && h.store.calls.length === 0;
			}),
			{ numRuns: 300 },
		);
	});

	test("a cookie signed by the previous key still loads, is reported, and is re-signed with the new key", async () => {
		const oldKey = { id: "old", secret: newKey() };
		const newer = { id: "new", secret: newKey() };
		const clock = fakeClock();
		const store = new MemoryStore();
		const before = makeSessions({ store, clock, keys: [oldKey] });
		const jar = await withStoredSession(before);
		const token = jar.token();
		const after = makeSessions({ store, clock, keys: [newer, oldKey] });
		const { session, setCookies } = await visit(after, jar);
		expect(session.isNew).toBe(false);
		expect(session.cart).toEqual([1, 2, 3]);
		expect(after.eventsOf("old_key_used")).toEqual([{ type: "old_key_used", keyId: "old" }]);
		expect(setCookies).toHaveLength(1);
		const match = SET_COOKIE.exec(setCookies[0] ?? "");
		expect(match?.[1]).toBe(token as string);
		expect(match?.[2]).toBe("new");
		// The re-signed cookie is current: no more events, no more cookies.
		const next = await visit(after, jar);
		expect(next.setCookies).toEqual([]);
		expect(after.eventsOf("old_key_used")).toHaveLength(1);
	});

	test("once the previous key is removed from the ring, its cookies are rejected", async () => {
		const oldKey = { id: "old", secret: newKey() };
		const store = new MemoryStore();
		const clock = fakeClock();
		const jar = await withStoredSession(makeSessions({ store, clock, keys: [oldKey] }));
		const after = makeSessions({ store, clock, keys: [{ id: "new", secret: newKey() }] });
		const { session } = await visit(after, jar);
		expect(session.isNew).toBe(true);
		expect(after.eventsOf("cookie_invalid")).toEqual([{ type: "cookie_invalid", reason: "bad_signature" }]);
	});
});

describe("load(): store failures", () => {
	test("a store whose get throws makes load() reject with StoreUnavailableError", async () => {
		const h = spied();
		const jar = await withStoredSession(h);
		h.store.mode = "throw";
		const error = await h.sessions.load(jar.request()).then(() => null, (e: unknown) => e);
		expect(error).toBeInstanceOf(StoreUnavailableError);
		expect((error as StoreUnavailableError).code).toBe("store_unavailable");
		expect(h.eventsOf("store_unavailable")).toEqual([{ type: "store_unavailable", operation: "load", reason: "store get failed: connection refused" }]);
	});

	test("a store that never answers makes load() reject after storeTimeout", async () => {
		const h = spied({ storeTimeout: "50ms" });
		const jar = await withStoredSession(h);
		h.store.mode = "hang";
		const error = await h.sessions.load(jar.request()).then(() => null, (e: unknown) => e);
		expect(error).toBeInstanceOf(StoreUnavailableError);
		expect((error as StoreUnavailableError).code).toBe("store_unavailable");
	});

	test("through withSession a failing store answers 503 without touching the cookie; after recovery the cookie works", async () => {
		const h = spied({ storeTimeout: "50ms" });
		const handler = withSession(h.sessions, (_request, session) => {
			session.cart = [...session.cart, 4];
			return new Response("ok");
		});
		const jar = await withStoredSession(h);
		const cookie = jar.get();
		for (const mode of ["throw", "hang"] as const) {
			h.store.mode = mode;
			const response = await request(handler, jar, "/cart", { method: "POST" });
			expect(response.status).toBe(503);
			expect(response.headers.getSetCookie()).toEqual([]);
			expect(response.headers.get("retry-after")).toBe("5");
			expect(response.headers.get("cache-control")).toBe("no-store");
			expect(jar.get()).toBe(cookie as string);
		}
		h.store.mode = "ok";
		const response = await request(handler, jar, "/cart", { method: "POST" });
		expect(response.status).toBe(200);
		expect((await visit(h, jar)).session.cart).toEqual([1, 2, 3, 4]);
	});

	test("a store failing during commit also answers 503 without a cookie", async () => {
		const h = spied();
		const handler = withSession(h.sessions, (_request, session) => {
			session.cart = [1];
			return new Response("ok");
		});
		h.store.mode = "throw";
		h.store.failing = new Set(["create"]);
		const response = await request(handler, new CookieJar());
		expect(response.status).toBe(503);
		expect(response.headers.getSetCookie()).toEqual([]);
	});

	test("a healthy store answers 200 through withSession", async () => {
		const h = spied();
		const handler = withSession(h.sessions, () => new Response("ok"));
		const response = await request(handler, await withStoredSession(h));
		expect(response.status).toBe(200);
	});
});

describe("load(): corrupt rows", () => {
	async function corrupt(h: Harness, jar: CookieJar, bytes: Uint8Array): Promise<string> {
		const id = jar.rowId() ?? "";
		const row = h.store.get(id) as NonNullable<ReturnType<MemoryStore["get"]>>;
		expect(await h.store.update({ ...row, data: bytes, version: row.version + 1 }, row.version)).toBe(true);
		return id;
	}

	test("a row whose data is garbage gives a fresh session and a decode_reset event, and is left untouched", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		const garbage = new Uint8Array([1, 255, 255, 255, 3, 4]);
		const id = await corrupt(h, jar, garbage);
		const { session, setCookies } = await visit(h, jar);
		expect(session.isNew).toBe(true);
		expect(session.cart).toEqual([]);
		expect(setCookies).toEqual([]);
		expect(h.eventsOf("decode_reset").map((e) => e.id)).toEqual([id.slice(0, 12)]);
		expect(h.store.get(id)?.data).toEqual(garbage);
	});

	test("a row that decodes loads normally (control)", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		expect((await visit(h, jar)).session.cart).toEqual([1, 2, 3]);
		expect(h.eventsOf("decode_reset")).toEqual([]);
	});

	test("once the visitor's new session is committed, the corrupt row is replaced (not left listed as a live session)", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await login(h, jar, "u1");
		const id = await corrupt(h, jar, new Uint8Array([1, 255, 255, 255]));
		await visit(h, jar, (s) => (s.cart = [1]));
		expect(jar.rowId()).not.toBe(id);
		expect(h.store.get(id)).toBeNull();
		expect(await h.sessions.list("userId", "u1")).toEqual([]);
	});

	test("any bytes in the data column load as a session or a fresh one, never an exception (property)", async () => {
		const h = makeSessions();
		const jar = await withStoredSession(h);
		await fc.assert(
			fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (tail) => {
				const row = h.store.get(jar.rowId() ?? "");
				if (row === null) return false;
				await h.store.update({ ...row, data: new Uint8Array([1, ...tail]), version: row.version + 1 }, row.version);
				const session = await h.sessions.load(jar.request());
				return Array.isArray(session.cart) && ["guest", "user", "admin"].includes(session.role);
			}),
			{ numRuns: 500 },
		);
	});
});

describe("list() and revoke()", () => {
	async function threeLogins(h: Harness): Promise<CookieJar[]> {
		const jars = [new CookieJar(), new CookieJar(), new CookieJar()];
		for (const jar of jars) {
			await login(h, jar, "u1");
			h.clock.advance(MINUTE);
		}
		return jars;
	}

	test("list() returns a user's live sessions by creation time, marking the caller's", async () => {
		const h = makeSessions();
		const start = h.clock.now();
		const jars = await threeLogins(h);
		const other = new CookieJar();
		await login(h, other, "u2");
		const { session } = await visit(h, jars[1] as CookieJar);
		const list = await h.sessions.list("userId", "u1", { current: session });
		expect(list.map((s) => s.createdAt.getTime())).toEqual([start, start + MINUTE, start + 2 * MINUTE]);
		expect(list.map((s) => s.current)).toEqual([false, true, false]);
		expect(list.map((s) => s.id)).toEqual(jars.map((j) => (j.rowId() ?? "").slice(0, 12)));
		for (const s of list) expect(s.expiresAt.getTime()).toBe(s.lastSeenAt.getTime() + 30 * MINUTE);
	});

	test("list() for a user without sessions, or whose sessions expired, is empty", async () => {
		const h = makeSessions();
		await threeLogins(h);
		expect(await h.sessions.list("userId", "u2")).toEqual([]);
		h.clock.advance(30 * MINUTE);
		expect(await h.sessions.list("userId", "u1")).toEqual([]);
	});

	test("revoke() with except ends every other session of the user, grace aliases included", async () => {
		const h = makeSessions();
		const jars = await threeLogins(h);
		const [first, current, third] = jars as [CookieJar, CookieJar, CookieJar];
		// The first session rotates; its previous cookie is in grace.
		h.clock.advance(15 * MINUTE);
		const stale = first.clone();
		expect((await visit(h, first)).setCookies).toHaveLength(1);
		expect((await visit(h, stale)).session.userId).toBe("u1");
		const other = new CookieJar();
		await login(h, other, "u2");

		const { session } = await visit(h, current);
		expect(await h.sessions.revoke("userId", "u1", { except: session })).toBe(2);
		expect(h.eventsOf("revoked")).toEqual([{ type: "revoked", column: "user_id", count: 2 }]);
		for (const jar of [first, third, stale]) {
			const { session: s } = await visit(h, jar);
			expect(s.isNew).toBe(true);
			expect(s.userId).toBeUndefined();
		}
		expect((await visit(h, current)).session.userId).toBe("u1");
		expect((await visit(h, other)).session.userId).toBe("u2");
		expect((await h.sessions.list("userId", "u1")).length).toBe(1);
	});

	test("revoke() without except ends all of them, the caller's too", async () => {
		const h = makeSessions();
		const jars = await threeLogins(h);
		expect(await h.sessions.revoke("userId", "u1")).toBe(3);
		for (const jar of jars) expect((await visit(h, jar)).session.isNew).toBe(true);
		expect(await h.sessions.revoke("userId", "u1")).toBe(0);
	});

	test("revoke() refuses a field that is not promoted with a TypeError", async () => {
		const h = makeSessions();
		await expect(h.sessions.revoke("theme" as "userId", "dark")).rejects.toThrow(TypeError);
		expect(h.eventsOf("store_unavailable")).toEqual([]);
	});

	test("list() refuses a field that is not promoted with a TypeError, not as a store outage", async () => {
		const h = makeSessions();
		await expect(h.sessions.list("theme" as "userId", "dark")).rejects.toThrow(TypeError);
		expect(h.eventsOf("store_unavailable")).toEqual([]);
	});
});

describe("SessionEvent", () => {
	test("events never contain a token, a cookie value or a full stored ID", async () => {
		const clock = fakeClock();
		const store = new SpyStore(new MemoryStore());
		const oldKey = newKey();
		const before = makeSessions({ store, clock, keys: [oldKey] });
		const h = makeSessions({ store, clock, keys: [newKey(), oldKey], storeTimeout: "50ms" });
		const secrets = new Set<string>();
		const remember = (jar: CookieJar): void => {
			for (const c of jar.received) {
				const value = c.slice(COOKIE.length + 1, c.indexOf(";"));
				if (value.length > 0) {
					secrets.add(value);
					secrets.add(value.split(".")[0] ?? "");
				}
			}
			const id = jar.rowId();
			if (id !== undefined) secrets.add(id);
		};

		const a = await withStoredSession(before);
		remember(a);
		const stale = a.clone();
		await visit(h, a); // old key: re-signed
		await login(h, a, "u1"); // regenerated
		remember(a);
		clock.advance(15 * MINUTE);
		await visit(h, a); // rotated
		remember(a);
		await visit(h, stale); // unknown id
		const b = a.clone();
		const x = await h.sessions.load(b.request());
		const y = await h.sessions.load(b.request());
		x.cart = [1];
		y.cart = [2];
		await h.sessions.commit(x, new Response());
		await h.sessions.commit(y, new Response()); // concurrent write
		b.set(COOKIE, `${b.get()}x`);
		await visit(h, b); // bad signature
		store.mode = "throw";
		await h.sessions.load(a.request()).catch(() => undefined); // store unavailable
		store.mode = "ok";
		clock.advance(10 * SECOND);
		await visit(h, a, (s) => s.destroy()); // destroyed
		remember(a);
		await h.sessions.revoke("userId", "u1");

		const types = new Set([...before.events, ...h.events].map((e) => e.type));
		for (const t of ["created", "old_key_used", "regenerated", "rotated", "unknown_id", "concurrent_write", "cookie_invalid", "store_unavailable", "destroyed", "revoked"]) {
			expect(types).toContain(t as never);
		}
		const logged = JSON.stringify([...before.events, ...h.events]);
		secrets.delete("");
		expect(secrets.size).toBeGreaterThanOrEqual(6);
		for (const secret of secrets) expect(logged).not.toContain(secret);
		// The control: short IDs (12 hex characters of the stored hash) are what events do carry.
		for (const e of h.events) if ("id" in e) expect(e.id).toMatch(/^[0-9a-f]{12}$/);
		expect(logged).toContain(([...secrets].find((v) => /^[0-9a-f]{64}$/.test(v)) ?? "").slice(0, 12));
	});
});
