// Issue 13 §3: a visitor who never logs in is bounded by a shorter idle timeout of its own
// (`expiry.anonymousIdle`), in the schema or at run time. Time is a fake clock; what is asserted is what
// the browser sees (the cookie still opens the session, or a fresh one starts) and the stored idle deadline.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as z from "zod";
import { createSessions, model, type Sessions } from "../../examples/demo/src/generated/session.ts";
import { migrateDatabase } from "../../generator/database.ts";
import { defineSession } from "../../schema/define.ts";
import { ConfigError } from "../../src/errors.ts";
import { anonymityTest, resolvePolicy, type ExpiryOverrides } from "../../src/expiry.ts";
import type { SessionEvent } from "../../src/events.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { SQLiteStore } from "../../src/stores/sqlite.ts";
import type { Store } from "../../src/store.ts";
import { CookieJar, fakeClock, MINUTE, newKey, SECOND, type FakeClock } from "../helpers/harness.ts";
import { ENGINES, type OpenedStore } from "../helpers/engines.ts";

const ANONYMOUS_IDLE = 5 * MINUTE;
const IDLE = 30 * MINUTE;

interface Browser {
	sessions: Sessions;
	clock: FakeClock;
	events: SessionEvent[];
}

function app(store: Store, overrides: ExpiryOverrides = { anonymousIdle: "5m" }, key = newKey()): Browser {
	const clock = fakeClock(Date.now());
	const events: SessionEvent[] = [];
	const sessions = createSessions({ store, keys: [key], now: clock.now, storeTimeout: "30s", expiry: overrides, onEvent: (e) => void events.push(e) });
	return { sessions, clock, events };
}

/** One request from `jar`: `fn` reads or changes the session; returns what the handler saw. */
async function visit(b: Browser, jar: CookieJar, fn: (s: Awaited<ReturnType<Sessions["load"]>>) => void = () => undefined) {
	const session = await b.sessions.load(jar.request());
	const seen = { cart: [...session.cart], userId: session.userId, isNew: session.isNew };
	fn(session);
	jar.apply(await b.sessions.commit(session, new Response("ok")));
	return seen;
}

/** The stored row behind a jar's cookie, straight from the store. */
async function rowOf(store: Store, jar: CookieJar) {
	return store.get(jar.rowId() as string);
}

for (const engine of ENGINES) {
	describe.skipIf(engine.skip)(`anonymous idle on ${engine.name}`, () => {
		let opened: OpenedStore;
		beforeAll(async () => {
			opened = await engine.open();
		});
		afterAll(async () => {
			await opened.close();
		});

		test("a guest's cookie opens its session until the anonymous idle passes, then a fresh session starts", async () => {
			const b = app(opened.store);
			const jar = new CookieJar();
			const start = b.clock.now();
			await visit(b, jar, (s) => (s.cart = [7]));
			expect((await rowOf(opened.store, jar))?.idleExpiresAt).toBe(start + ANONYMOUS_IDLE);
			b.clock.advance(ANONYMOUS_IDLE - 1);
			expect(await visit(b, jar)).toEqual({ cart: [7], userId: undefined, isNew: false });
			// That read slid the deadline by the anonymous idle, not the signed-in one.
			expect((await rowOf(opened.store, jar))?.idleExpiresAt).toBe(b.clock.now() + ANONYMOUS_IDLE);
			b.clock.advance(ANONYMOUS_IDLE);
			expect(await visit(b, jar)).toEqual({ cart: [], userId: undefined, isNew: true });
			expect(b.events.filter((e) => e.type === "idle_expired")).toHaveLength(1);
		}, 30_000);

		test("logging in switches to the full idle (the guest cart stays); logging out switches back", async () => {
			const b = app(opened.store);
			const jar = new CookieJar();
			const user = `anon-${crypto.randomUUID()}`;
			await visit(b, jar, (s) => (s.cart = [1, 2]));
			b.clock.advance(MINUTE);
			await visit(b, jar, (s) => (s.userId = user));
			const login = b.clock.now();
			expect((await rowOf(opened.store, jar))?.idleExpiresAt).toBe(login + IDLE);
			b.clock.advance(IDLE - SECOND);
			expect(await visit(b, jar)).toEqual({ cart: [1, 2], userId: user, isNew: false });
			await visit(b, jar, (s) => (s.userId = undefined));
			const logout = b.clock.now();
			expect((await rowOf(opened.store, jar))?.idleExpiresAt).toBe(logout + ANONYMOUS_IDLE);
			b.clock.advance(ANONYMOUS_IDLE);
			expect((await visit(b, jar)).isNew).toBe(true);
		}, 30_000);
	});
}

describe("anonymous idle: what counts as anonymous", () => {
	test("markAuthenticated() without an identity makes the session a signed-in one", async () => {
		const b = app(new MemoryStore());
		const jar = new CookieJar();
		await visit(b, jar, (s) => s.markAuthenticated());
		b.clock.advance(IDLE - SECOND);
		expect((await visit(b, jar)).isNew).toBe(false);
	});

	test("without anonymousIdle every session keeps the full idle", async () => {
		const store = new MemoryStore();
		const b = app(store, {});
		const jar = new CookieJar();
		await visit(b, jar, (s) => (s.cart = [3]));
		expect((await rowOf(store, jar))?.idleExpiresAt).toBe(b.clock.now() + IDLE);
		b.clock.advance(IDLE - SECOND);
		expect(await visit(b, jar)).toEqual({ cart: [3], userId: undefined, isNew: false });
	});

	test("a guest row stored under the full idle (before anonymousIdle was set) still ends after the anonymous idle", async () => {
		const store = new MemoryStore();
		const key = newKey();
		const before = app(store, {}, key);
		const jar = new CookieJar();
		await visit(before, jar, (s) => (s.cart = [4]));
		const id = jar.rowId() as string;
		expect(store.get(id)?.idleExpiresAt).toBe(before.clock.now() + IDLE);
		const after = app(store, { anonymousIdle: "5m" }, key);
		after.clock.set(before.clock.now() + ANONYMOUS_IDLE - 1);
		expect(await visit(after, jar)).toEqual({ cart: [4], userId: undefined, isNew: false });
		after.clock.advance(ANONYMOUS_IDLE);
		expect(await visit(after, jar)).toEqual({ cart: [], userId: undefined, isNew: true });
		expect(after.events.map((e) => e.type)).toContain("idle_expired");
		// Expired on load, the row is gone at once rather than left for the pruner.
		expect(store.get(id)).toBeNull();
	});

	test("the identity's default counts as nobody", () => {
		const schema = defineSession({ data: z.object({ userId: z.string().max(20).default("").meta({ identity: true, column: "user_id" }) }) });
		const anonymous = anonymityTest(schema);
		expect(anonymous({ userId: "" }, {})).toBe(true);
		expect(anonymous({ userId: "ann" }, {})).toBe(false);
		expect(anonymous({ userId: "" }, { authenticatedAt: 1 })).toBe(false);
	});
});

describe("anonymous idle in sealed mode", () => {
	test("a guest's sealed cookie loads until the anonymous idle passes; a signed-in one keeps the full idle", async () => {
		const clock = fakeClock(Date.now());
		const sessions = createSessions({ mode: "sealed", revocations: new MemoryStore(), keys: [newKey()], now: clock.now, expiry: { anonymousIdle: "5m" } });
		const b = { sessions, clock, events: [] };
		const guest = new CookieJar();
		const member = new CookieJar();
		await visit(b, guest, (s) => (s.cart = [5]));
		await visit(b, member, (s) => (s.userId = "ann"));
		clock.advance(ANONYMOUS_IDLE - 1);
		expect(await visit(b, guest)).toEqual({ cart: [5], userId: undefined, isNew: false });
		clock.advance(ANONYMOUS_IDLE);
		expect((await visit(b, guest)).isNew).toBe(true);
		expect(await visit(b, member)).toEqual({ cart: [], userId: "ann", isNew: false });
	});
});

describe("anonymous idle: SQLite row", () => {
	let dir: string;
	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), "sess-anon-"));
	});
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	test("idle_expires_at of a guest row is last seen + anonymous idle, of a signed-in row last seen + idle", async () => {
		const file = join(dir, "s.db");
		await migrateDatabase(file, "examples/demo/migrations");
		const db = new Database(file);
		try {
			const b = app(new SQLiteStore(db, { table: model.table }));
			const jar = new CookieJar();
			await visit(b, jar, (s) => (s.cart = [1]));
			const column = () => db.query(`SELECT "last_seen_at" AS seen, "idle_expires_at" AS idle FROM sessions WHERE id = ?`).get(jar.rowId() as string) as { seen: number; idle: number };
			expect(column().idle - column().seen).toBe(ANONYMOUS_IDLE);
			b.clock.advance(MINUTE);
			await visit(b, jar, (s) => (s.userId = "ann"));
			expect(column().idle - column().seen).toBe(IDLE);
		} finally {
			db.close();
		}
	});
});

describe("anonymousIdle as policy", () => {
	const data = z.object({ userId: z.string().max(20).optional().meta({ identity: true, column: "user_id" }) });

	test("defineSession keeps it in the model; the run-time option overrides it", () => {
		const schema = defineSession({ data, expiry: { idle: "30m", anonymousIdle: "5m" } });
		expect(schema.expiry).toEqual({ idleMs: IDLE, absoluteMs: 12 * 60 * MINUTE, anonymousIdleMs: ANONYMOUS_IDLE });
		expect(resolvePolicy(schema, {}).anonymousIdleMs).toBe(ANONYMOUS_IDLE);
		expect(resolvePolicy(schema, { expiry: { anonymousIdle: "2m" } }).anonymousIdleMs).toBe(2 * MINUTE);
		// Not set anywhere: anonymous sessions take the idle.
		expect(resolvePolicy(defineSession({ data }), {}).anonymousIdleMs).toBe(IDLE);
		expect(Object.keys(defineSession({ data }).expiry)).toEqual(["idleMs", "absoluteMs"]);
	});

	test("longer than idle, zero or not a duration is refused with a one-line ConfigError", () => {
		for (const anonymousIdle of ["1h", "0s", "soon"] as const) {
			let error: unknown;
			try {
				defineSession({ data, expiry: { idle: "30m", anonymousIdle: anonymousIdle as "1h" } });
			} catch (e) {
				error = e;
			}
			expect(error).toBeInstanceOf(ConfigError);
			expect((error as ConfigError).message).toContain("expiry.anonymousIdle");
			expect((error as ConfigError).message).not.toContain("\n");
		}
		const schema = defineSession({ data, expiry: { idle: "30m", anonymousIdle: "20m" } });
		// An idle lowered at run time below the schema's anonymous idle is a contradiction to fix, not to guess.
		expect(() => resolvePolicy(schema, { expiry: { idle: "10m" } })).toThrow(ConfigError);
	});
});
