// "Your devices" on every store: device records, list() and revokeOne() (device-manager.ts), and
// maxSessionsPerUser under races: 50 parallel logins of one user over two processes
// (one process for the memory store) with a limit of 5 leave exactly 5 live sessions, every time, and
// every other session of the user is dead at once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sessions } from "../../examples/demo/src/generated/session.ts";
import { migrateDatabase } from "../../generator/database.ts";
import { ConfigError, SessionLimitError, WriteConflictError } from "../../src/errors.ts";
import type { SessionEvent } from "../../src/events.ts";
import type { Store } from "../../src/store.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { createSessions } from "../../examples/demo/src/generated/session.ts";
import { withSession } from "../../src/adapters/fetch.ts";
import { newKey } from "../helpers/harness.ts";
import { createScratchDatabase, deleteRedisPrefix, scratchPrefix, type ScratchDatabase } from "../helpers/scratch-database.ts";
import { REDIS_URL, redisReachable } from "../helpers/servers.ts";
import { requireUrl, serverUrl, skipWithout } from "../helpers/sql-servers.ts";
import { testDevices } from "./device-manager.ts";
import { limitedSessions, loginMany, openTarget, type LoginOutcome, type StoreTarget } from "./limit-logins.ts";

const MAX = 5;
const LOGINS = 50;
const WORKER = join(import.meta.dir, "limit-worker.ts");
const MIGRATIONS = "examples/demo/migrations";

/** Runs `LOGINS` logins of `user`, half in each of two fresh processes, and gathers their outcomes. */
async function loginsOverTwoProcesses(target: StoreTarget, key: string, user: string, policy: "evict" | "refuse"): Promise<LoginOutcome[]> {
	const startAt = Date.now() + 1500;
	const job = (count: number) => JSON.stringify({ target, key, user, count, max: MAX, policy, startAt });
	const runs = [LOGINS / 2, LOGINS / 2].map(async (count) => {
		const child = Bun.spawn([process.execPath, WORKER, job(count)], { stdout: "pipe", stderr: "pipe" });
		const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
		if (code !== 0) throw new Error(`limit worker exited with ${code}: ${err}`);
		return JSON.parse(out) as LoginOutcome[];
	});
	return (await Promise.all(runs)).flat();
}

/** Whether a cookie still opens `user`'s session (loading writes nothing). */
async function signedIn(sessions: Sessions, cookie: string, user: string): Promise<boolean> {
	const session = await sessions.load(new Request("https://app.test/", { headers: { cookie } }));
	return session.userId === user;
}

/** The assertions every engine must pass after a race, whatever the policy. */
async function expectExactlyMaxLive(sessions: Sessions, outcomes: LoginOutcome[], user: string, policy: "evict" | "refuse"): Promise<void> {
	expect(outcomes).toHaveLength(LOGINS);
	const issued = outcomes.filter((o) => o.cookie !== null).map((o) => o.cookie as string);
	const errors = outcomes.filter((o) => o.error !== null).map((o) => o.error);
	if (policy === "evict") {
		expect(errors).toEqual([]);
		expect(issued).toHaveLength(LOGINS);
	} else {
		// Refused logins get the typed error and no cookie; exactly MAX got in.
		expect(errors).toEqual(Array(LOGINS - MAX).fill("session_limit"));
		expect(issued).toHaveLength(MAX);
	}
	const live = [];
	for (const cookie of issued) if (await signedIn(sessions, cookie, user)) live.push(cookie);
	expect(live).toHaveLength(MAX);
	expect(await sessions.list("userId", user)).toHaveLength(MAX);
	// Every anonymous session a login replaced is gone, refused logins' included only when they were admitted.
	for (const o of outcomes) {
		if (o.anonymous === null || o.cookie === null) continue;
		const session = await sessions.load(new Request("https://app.test/", { headers: { cookie: o.anonymous } }));
		expect(session.cart).toEqual([]);
	}
}

/** An evicted session's in-flight request commits a change: it must not bring the session back. */
async function slowWriterStaysDead(store: Store, key: string): Promise<void> {
	const events: SessionEvent[] = [];
	// A clock that moves a second per login, so "least recently seen" names the first login, not a tie.
	let t = Date.now();
	const sessions = createSessions({ store, keys: [key], now: () => t, maxSessionsPerUser: { field: "userId", max: 2 }, onEvent: (e) => events.push(e) });
	const user = `slow-${crypto.randomUUID()}`;
	const login = async (): Promise<string> => {
		t += 1000;
		const s = await sessions.load(new Request("https://app.test/"));
		s.userId = user;
		return ((await sessions.commitCookie(s)) as string).split(";")[0] as string;
	};
	const first = await login();
	const inFlight = await sessions.load(new Request("https://app.test/", { headers: { cookie: first } }));
	expect(inFlight.userId).toBe(user);
	await login();
	await login();
	expect(events.filter((e) => e.type === "evicted")).toHaveLength(1);
	inFlight.cart = [1, 2, 3];
	// Not saved, so not acknowledged: the commit fails (503) instead of answering as if it had been.
	await expect(sessions.commitCookie(inFlight)).rejects.toBeInstanceOf(WriteConflictError);
	expect(events.some((e) => e.type === "write_after_destroy")).toBe(true);
	expect(await signedIn(sessions, first, user)).toBe(false);
	expect(await sessions.list("userId", user)).toHaveLength(2);
}

/** The race on one engine, twice per policy, with users of its own. */
function raceSuite(name: string, setup: () => Promise<{ target: StoreTarget; cleanup(): Promise<void> }>): void {
	describe(`devices and maxSessionsPerUser on ${name}`, () => {
		let target: StoreTarget | undefined;
		let cleanup: (() => Promise<void>) | undefined;
		let opened: { store: Store; close(): Promise<void> } | undefined;
		const key = newKey();
		beforeAll(async () => {
			({ target, cleanup } = await setup());
			opened = await openTarget(target);
		});
		afterAll(async () => {
			await opened?.close();
			await cleanup?.();
		});
		for (const policy of ["evict", "refuse"] as const) {
			test(`${LOGINS} parallel logins over two processes, limit ${MAX}, ${policy}: exactly ${MAX} live, every time`, async () => {
				const sessions = limitedSessions(opened!.store, key, MAX, policy);
				for (const round of [1, 2]) {
					const user = `${policy}-${round}-${crypto.randomUUID()}`;
					await expectExactlyMaxLive(sessions, await loginsOverTwoProcesses(target!, key, user, policy), user, policy);
				}
			}, 60_000);
		}
		test("an evicted session stays dead when its in-flight request commits", async () => {
			await slowWriterStaysDead(opened!.store, key);
		}, 30_000);
		testDevices(() => ({ store: opened!.store, key }));
	});
}

describe("devices and maxSessionsPerUser on MemoryStore (one process: the store is in-process)", () => {
	for (const policy of ["evict", "refuse"] as const) {
		test(`${LOGINS} parallel logins, limit ${MAX}, ${policy}: exactly ${MAX} live`, async () => {
			const sessions = limitedSessions(new MemoryStore(), newKey(), MAX, policy);
			await expectExactlyMaxLive(sessions, await loginMany(sessions, "ann", LOGINS), "ann", policy);
		});
	}
	test("an evicted session stays dead when its in-flight request commits", async () => {
		await slowWriterStaysDead(new MemoryStore(), newKey());
	});
	const memory = { store: new MemoryStore(), key: newKey() };
	testDevices(() => memory);
	test("evict picks the least recently seen; refuse throws SessionLimitError and writes nothing", async () => {
		let t = Date.UTC(2030, 0, 1);
		const store = new MemoryStore();
		const key = newKey();
		const make = (policy: "evict" | "refuse") => createSessions({ store, keys: [key], now: () => t, maxSessionsPerUser: { field: "userId", max: 2, policy } });
		const evict = make("evict");
		const login = async (sessions: Sessions): Promise<string> => {
			const s = await sessions.load(new Request("https://app.test/"));
			s.userId = "ann";
			return ((await sessions.commitCookie(s)) as string).split(";")[0] as string;
		};
		let a = await login(evict);
		t += 60_000;
		const b = await login(evict);
		t += 20 * 60_000;
		// a is seen again (the touch is due), so b is now the least recently seen.
		const seen = await evict.load(new Request("https://app.test/", { headers: { cookie: a } }));
		// Past the rotation period too: the visit is answered with a new ID, which the browser keeps.
		a = ((await evict.commitCookie(seen)) ?? a).split(";")[0] as string;
		t += 60_000;
		const c = await login(evict);
		expect(await signedIn(evict, a, "ann")).toBe(true);
		expect(await signedIn(evict, b, "ann")).toBe(false);
		expect(await signedIn(evict, c, "ann")).toBe(true);
		const before = store.size;
		const refused = await (async () => {
			try {
				await login(make("refuse"));
				return null;
			} catch (error) {
				return error;
			}
		})();
		expect(refused).toBeInstanceOf(SessionLimitError);
		expect((refused as SessionLimitError).code).toBe("session_limit");
		expect(store.size).toBe(before);
	});
	test("through an adapter, a refused login answers 409 with a JSON error and leaves the visitor's cookie alone", async () => {
		const sessions = createSessions({ store: new MemoryStore(), keys: [newKey()], maxSessionsPerUser: { field: "userId", max: 1, policy: "refuse" } });
		const handler = withSession(sessions, (_request, session) => {
			session.userId = "ann";
			return new Response("signed in");
		}, { csrf: false });
		expect((await handler(new Request("https://app.test/login", { method: "POST" }))).status).toBe(200);
		const refused = await handler(new Request("https://app.test/login", { method: "POST" }));
		expect(refused.status).toBe(409);
		expect(refused.headers.get("set-cookie")).toBeNull();
		expect(await refused.json()).toEqual({ error: "session_limit", message: expect.stringContaining("sign out of one of them") });
	});
	test("the option is checked at start-up", () => {
		const store = new MemoryStore();
		const keys = [newKey()];
		expect(() => createSessions({ store, keys, maxSessionsPerUser: { field: "role", max: 5 } })).toThrow(ConfigError);
		expect(() => createSessions({ store, keys, maxSessionsPerUser: { field: "userId", max: 0 } })).toThrow(ConfigError);
		const bare = { get: () => null, create() {}, update: () => false, touch() {}, rotate: () => false, destroy() {}, list: () => [], revoke: () => 0, prune: () => 0 };
		expect(() => createSessions({ store: bare, keys, maxSessionsPerUser: { field: "userId", max: 5 } })).toThrow(ConfigError);
	});
});

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

raceSuite("SQLite (one file, two processes)", async () => {
	const dir = mkdtempSync(join(tmpdir(), "sess-limit-"));
	dirs.push(dir);
	const file = join(dir, "sessions.db");
	await migrateDatabase(file, MIGRATIONS);
	return { target: { location: file }, cleanup: async () => {} };
});

for (const dialect of ["postgres", "mysql"] as const) {
	const url = await serverUrl(dialect);
	describe.skipIf(skipWithout(url))(dialect, () => {
		raceSuite(dialect === "postgres" ? "PostgreSQL" : "MySQL", async () => {
			const scratch: ScratchDatabase = await createScratchDatabase(dialect, requireUrl(dialect, url), "limit");
			await migrateDatabase(scratch.url, MIGRATIONS);
			return { target: { location: scratch.url }, cleanup: () => scratch.drop() };
		});
	});
}

const redisUp = await redisReachable();
describe.skipIf(!redisUp && process.env["CI"] !== "true")("redis", () => {
	raceSuite("Redis", async () => {
		const prefix = scratchPrefix("limit");
		return {
			target: { location: REDIS_URL, redisPrefix: prefix },
			cleanup: () => deleteRedisPrefix(REDIS_URL, prefix),
		};
	});
});
