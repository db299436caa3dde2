// Two demo processes on one store behave as one app: sessions, rotation, compare-and-set and
// revocation cross process boundaries. Run against every engine the demo can use.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { Browser, startDemo, type DemoProcess } from "../helpers/demo-process.ts";
import { createScratchDatabase, deleteRedisPrefix, scratchPrefix, type ScratchDatabase } from "../helpers/scratch-database.ts";
import { REDIS_URL, serverReachable } from "../helpers/servers.ts";
import { requireUrl, serverUrl } from "../helpers/sql-servers.ts";

const EVERY_MS = 1500;
const GRACE_MS = 1000;

interface Engine {
	name: string;
	port: number | null;
	/** Creates an empty database for this run and returns its URL (or path). */
	create(): Promise<string>;
	drop(): Promise<void>;
}

const tmp = mkdtempSync(join(tmpdir(), "sess-mp-"));
const redisPrefix = scratchPrefix("multiprocess");

/** An engine whose database this run creates on the server and drops afterwards. */
function serverEngine(name: "postgres" | "mysql", port: number): Engine {
	let scratch: ScratchDatabase | undefined;
	return {
		name,
		port,
		async create() {
			scratch = await createScratchDatabase(name, requireUrl(name, await serverUrl(name)), "multiprocess");
			return scratch.url;
		},
		drop: async () => scratch?.drop(),
	};
}

const engines: Engine[] = [
	{ name: "sqlite", port: null, create: async () => join(tmp, "mp.db"), drop: async () => rmSync(tmp, { recursive: true, force: true }) },
	serverEngine("postgres", 5432),
	serverEngine("mysql", 3306),
	{
		name: "redis",
		port: 6379,
		// The demo runs under a key prefix of this run's own (SESS_REDIS_PREFIX); only those keys are removed.
		create: async () => REDIS_URL,
		drop: () => deleteUnder(redisPrefix),
	},
];

function deleteUnder(prefix: string): Promise<void> {
	return deleteRedisPrefix(REDIS_URL, prefix);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const engine of engines) {
	const reachable = engine.port === null || (await serverReachable(engine.port));
	// Outside CI a missing server skips; in CI every engine must run.
	describe.skipIf(!reachable && process.env.CI !== "true")(`two demo processes on one ${engine.name} store`, () => {
		let a: DemoProcess;
		let b: DemoProcess;
		let env: Record<string, string> = {};

		beforeAll(async () => {
			const db = await engine.create();
			env = {
				SESS_DB: db,
				SESS_REDIS_PREFIX: redisPrefix,
				SESS_KEYS: encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32))),
				SESS_ROTATE_EVERY: `${EVERY_MS}ms`,
				SESS_GRACE: `${GRACE_MS}ms`,
			};
			// Sequential starts: the second finds the migrations applied and applies nothing.
			a = await startDemo(env);
			b = await startDemo(env);
			// Creating a database and starting two processes takes seconds on a loaded machine.
		}, 30_000);

		afterAll(async () => {
			await a?.stop();
			await b?.stop();
			await engine.drop();
		}, 30_000);

		test("a login in A is the same session in B; parallel writes to different fields both land", async () => {
			const x = new Browser();
			expect((await x.send(a.base, "POST", "/api/login", { userId: "alice" })).status).toBe(200);
			expect(((await x.send(b.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBe("alice");
			const [cart, flash] = await Promise.all([
				x.clone().send(a.base, "POST", "/api/cart", { item: 1 }),
				x.clone().send(b.base, "POST", "/api/flash", { message: "both" }),
			]);
			expect([cart.status, flash.status]).toEqual([200, 200]);
			const seen = (await x.send(a.base, "GET", "/api/session")).json as { cart: number[]; flash: unknown };
			expect(seen.cart).toEqual([1]);
			expect(seen.flash).toBe("both");
		});

		test("cart appends from both processes at once all land (update() replays on conflict)", async () => {
			const x = new Browser();
			await x.send(a.base, "POST", "/api/login", { userId: "carol" });
			const results = await Promise.all(
				Array.from({ length: 10 }, (_, i) => x.clone().send(i % 2 === 0 ? a.base : b.base, "POST", "/api/cart", { item: 100 + i })),
			);
			expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
			const final = ((await x.send(b.base, "GET", "/api/session")).json as { cart: number[] }).cart;
			expect([...final].sort((m, n) => m - n)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
		});

		test("periodic rotation across processes: one new ID for many parallel requests, old ID alive for the grace, then dead", async () => {
			const x = new Browser();
			await x.send(a.base, "POST", "/api/login", { userId: "dave" });
			const old = x.cookie;
			await sleep(EVERY_MS + 100);
			const tabs = Array.from({ length: 10 }, () => x.clone());
			const results = await Promise.all(tabs.map((t, i) => t.send(i % 2 === 0 ? a.base : b.base, "GET", "/api/session")));
			expect(results.every((r) => (r.json as { userId: unknown }).userId === "dave")).toBe(true);
			const issued = tabs.filter((t) => t.setCookies.length > 0);
			expect(issued).toHaveLength(1);
			const fresh = issued[0]?.cookie ?? null;
			expect(fresh).not.toBe(old);
			const oldTab = x.clone();
			oldTab.cookie = old;
			expect(((await oldTab.send(b.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBe("dave");
			const newTab = x.clone();
			newTab.cookie = fresh;
			expect(((await newTab.send(a.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBe("dave");
			await sleep(GRACE_MS + 100);
			expect(((await oldTab.send(a.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBeNull();
		});

		test("sealed mode (issue 11 §2): logout in one process with the rotated cookie ends the copy taken before the rotation, in both processes, inside and after the grace", async () => {
			// Two more processes in sealed mode, their revocations in the same database (rows keyed apart by hash).
			const c = await startDemo({ ...env, SESS_MODE: "sealed" });
			const d = await startDemo({ ...env, SESS_MODE: "sealed" });
			const userOf = (r: { json: unknown }): unknown => (r.json as { userId: unknown }).userId;
			try {
				const x = new Browser();
				await x.send(c.base, "POST", "/api/login", { userId: "fay" });
				const copy = x.clone();
				await sleep(EVERY_MS + 100);
				expect(userOf(await x.send(d.base, "GET", "/api/session"))).toBe("fay");
				expect(x.setCookies).toHaveLength(1);
				expect(x.cookie).not.toBe(copy.cookie);
				// The copy, replayed inside the grace before the logout, loads but is issued no rotation of its own.
				const early = copy.clone();
				expect((await early.send(c.base, "POST", "/api/cart", { item: 1 })).status).toBe(200);
				expect(userOf(await early.send(c.base, "GET", "/api/session"))).toBe("fay");
				expect((await x.send(c.base, "POST", "/api/logout")).status).toBe(200);
				for (const replay of [copy.clone(), early.clone()]) {
					await replay.send(d.base, "POST", "/api/cart", { item: 2 });
					expect(userOf(await replay.send(d.base, "GET", "/api/session"))).toBeNull();
				}
				await sleep(GRACE_MS + 100);
				expect(userOf(await copy.clone().send(c.base, "GET", "/api/session"))).toBeNull();
				expect(userOf(await early.clone().send(d.base, "GET", "/api/session"))).toBeNull();
			} finally {
				await c.stop();
				await d.stop();
			}
			// It starts two demo processes of its own: on a loaded machine that alone can take the default 5 s.
		}, 30_000);

		test("revoke-others in A logs out the other device on its next request to B; logout in B ends it in A", async () => {
			const laptop = new Browser();
			const phone = new Browser();
			await laptop.send(a.base, "POST", "/api/login", { userId: "erin" });
			await phone.send(b.base, "POST", "/api/login", { userId: "erin" });
			expect(((await laptop.send(b.base, "GET", "/api/sessions")).json as unknown[]).length).toBe(2);
			expect((await laptop.send(a.base, "POST", "/api/sessions/revoke-others")).json).toEqual({ revoked: 1 });
			expect(((await phone.send(b.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBeNull();
			expect(((await laptop.send(b.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBe("erin");
			const stale = laptop.clone();
			await laptop.send(b.base, "POST", "/api/logout");
			expect(((await stale.send(a.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBeNull();
		});
	});
}
