// Store faults against the real servers, with a TCP proxy of ours in between that can hang, slow,
// refuse and cut connections. What a user must see: 503s that leave the cookie alone, no data
// written over during the outage, and recovery without a restart.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { encodeBase64, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { createSessions, type Session } from "../../examples/demo/src/generated/session.ts";
import { withSession } from "../../src/adapters/fetch.ts";
import type { SessionEvent } from "../../src/events.ts";
import type { Store } from "../../src/store.ts";
import { MySQLStore } from "../../src/stores/mysql.ts";
import { PostgresStore } from "../../src/stores/postgres.ts";
import { RedisStore } from "../../src/stores/redis.ts";
import { hashSessionToken } from "../../src/token.ts";
import { Browser } from "../helpers/demo-process.ts";
import { createScratchDatabase, scratchPrefix } from "../helpers/scratch-database.ts";
import { REDIS_URL, serverReachable } from "../helpers/servers.ts";
import { requireUrl, serverUrl, throwawayTable, USER_ID, type ThrowawayTable } from "../helpers/sql-servers.ts";
import { FaultProxy } from "../helpers/tcp-proxy.ts";

const TIMEOUT_MS = 300;

interface Engine {
	name: string;
	port: number;
	/** Opens the store through `proxyPort` and returns a way to corrupt a row directly on the server. */
	open(proxyPort: number): Promise<{ store: Store; corrupt(id: string): Promise<void>; rowExists(id: string): Promise<boolean>; close(): Promise<void> }>;
}

const GARBAGE = new Uint8Array([0xff, 0x00, 0x13, 0x37]);

/** `url` with its port replaced, to go through the proxy. */
function viaPort(url: string, port: number): string {
	const u = new URL(url);
	u.port = String(port);
	return u.toString();
}

function sqlEngine(name: "postgres" | "mysql", port: number): Engine {
	return {
		name,
		port,
		async open(proxyPort) {
			// A database of this run's own, dropped on close.
			const scratch = await createScratchDatabase(name, requireUrl(name, await serverUrl(name)), `faults_${name}`);
			const direct = new SQL(scratch.url);
			const table: ThrowawayTable = await throwawayTable(direct, name, [USER_ID]);
			const q = (s: string): string => (name === "mysql" ? `\`${s}\`` : `"${s}"`);
			const p = (n: number): string => (name === "mysql" ? "?" : `$${n}`);
			const options = { table: table.table };
			const proxied = viaPort(scratch.url, proxyPort);
			const store = name === "postgres" ? new PostgresStore(proxied, options) : new MySQLStore(proxied, options);
			return {
				store,
				corrupt: async (id) => {
					await direct.unsafe(`UPDATE ${q(table.table.name)} SET ${q("data")} = ${p(1)} WHERE ${q("id")} = ${p(2)}`, [GARBAGE, id]);
				},
				rowExists: async (id) => (await direct.unsafe(`SELECT 1 FROM ${q(table.table.name)} WHERE ${q("id")} = ${p(1)}`, [id])).length === 1,
				close: async () => {
					await store.close();
					await direct.close();
					await scratch.drop();
				},
			};
		},
	};
}

const engines: Engine[] = [
	sqlEngine("postgres", 5432),
	sqlEngine("mysql", 3306),
	{
		name: "redis",
		port: 6379,
		async open(proxyPort) {
			const prefix = scratchPrefix("faults");
			const direct = new Bun.RedisClient(REDIS_URL);
			const store = new RedisStore(viaPort(REDIS_URL, proxyPort), { table: { name: "sessions", columns: [USER_ID] }, prefix });
			return {
				store,
				corrupt: async (id) => {
					await direct.send("HSET", [`${prefix}s:${id}`, "d", encodeBase64(GARBAGE)]);
				},
				rowExists: async (id) => (await direct.send("EXISTS", [`${prefix}s:${id}`])) === 1,
				close: async () => {
					await store.close();
					const keys = (await direct.send("KEYS", [`${prefix}*`])) as string[];
					if (keys.length > 0) await direct.send("DEL", keys);
					direct.close();
				},
			};
		},
	},
];

/** The cookie's token, as the store knows it (hashed). */
function storedId(cookie: string | null): string {
	const token = (cookie ?? "").split("=")[1]?.split(".")[0] ?? "";
	return hashSessionToken(token);
}

for (const engine of engines) {
	const reachable = await serverReachable(engine.port);
	describe.skipIf(!reachable && process.env.CI !== "true")(`${engine.name} store behind a faulty network`, () => {
		let proxy: FaultProxy;
		let opened: Awaited<ReturnType<Engine["open"]>>;
		let base: string;
		let server: ReturnType<typeof Bun.serve>;
		const events: SessionEvent[] = [];

		beforeAll(async () => {
			proxy = FaultProxy.start(engine.port);
			opened = await engine.open(proxy.port);
			const sessions = createSessions({
				store: opened.store,
				keys: [encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)))],
				storeTimeout: `${TIMEOUT_MS}ms`,
				onEvent: (e) => events.push(e),
			});
			const handler = withSession(sessions, async (request: Request, session: Session) => {
				const path = new URL(request.url).pathname;
				if (path === "/login") session.userId = "alice";
				if (path === "/add") session.cart = [...session.cart, session.cart.length + 1];
				return Response.json({ userId: session.userId ?? null, cart: session.cart });
			});
			server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
			base = `http://127.0.0.1:${server.port}`;
			// The engine creates (and later drops) a database of its own: seconds on a busy server.
		}, 30_000);

		afterAll(async () => {
			await server?.stop(true);
			proxy.mode = { kind: "pass" };
			await opened?.close();
			proxy?.stop();
		}, 30_000);

		/** Retries a request until the app answers 200 again: recovery must come without a restart. */
		async function untilHealthy(browser: Browser): Promise<{ userId: unknown; cart: number[] }> {
			const deadline = Date.now() + 15_000;
			for (;;) {
				const res = await browser.send(base, "GET", "/");
				if (res.status === 200) return res.json as { userId: unknown; cart: number[] };
				if (Date.now() > deadline) throw new Error(`no recovery: last status ${res.status}`);
				await new Promise((r) => setTimeout(r, 100));
			}
		}

		test("a hung server: 503 within the timeout, the cookie untouched, nothing written; recovery without restart", async () => {
			const user = new Browser();
			await user.send(base, "POST", "/login");
			await user.send(base, "POST", "/add");
			const cookie = user.cookie;
			expect(cookie).not.toBeNull();

			proxy.mode = { kind: "blackhole" };
			const started = performance.now();
			const during = await user.send(base, "POST", "/add");
			expect(during.status).toBe(503);
			expect(performance.now() - started).toBeLessThan(TIMEOUT_MS * 10);
			expect(user.setCookies).toEqual([]);
			expect(user.cookie).toBe(cookie);
			expect(events.some((e) => e.type === "store_unavailable")).toBe(true);

			proxy.mode = { kind: "pass" };
			proxy.cut();
			expect(await untilHealthy(user)).toEqual({ userId: "alice", cart: [1] });
			expect(user.cookie).toBe(cookie);
		});

		test("a refused connection (server down): 503 and no cookie; the same cookie works when it is back", async () => {
			const user = new Browser();
			await user.send(base, "POST", "/login");
			const cookie = user.cookie;
			proxy.mode = { kind: "refuse" };
			proxy.cut();
			const during = await user.send(base, "GET", "/");
			expect(during.status).toBe(503);
			expect(user.setCookies).toEqual([]);
			proxy.mode = { kind: "pass" };
			expect((await untilHealthy(user)).userId).toBe("alice");
			expect(user.cookie).toBe(cookie);
		});

		test("a slow server below the timeout is only slow", async () => {
			const user = new Browser();
			await user.send(base, "POST", "/login");
			proxy.mode = { kind: "delay", ms: 40 };
			const res = await user.send(base, "POST", "/add");
			proxy.mode = { kind: "pass" };
			expect(res.status).toBe(200);
			expect((res.json as { cart: number[] }).cart).toEqual([1]);
		});

		test("connections cut mid-request: never a cleared cookie, and the app comes back", async () => {
			const user = new Browser();
			await user.send(base, "POST", "/login");
			const cookie = user.cookie;
			proxy.mode = { kind: "delay", ms: 100 };
			const pending = user.clone().send(base, "POST", "/add");
			await new Promise((r) => setTimeout(r, 30));
			proxy.cut();
			const res = await pending;
			proxy.mode = { kind: "pass" };
			expect([200, 503]).toContain(res.status);
			expect(res.headers.getSetCookie().some((c) => /Max-Age=0/.test(c))).toBe(false);
			expect((await untilHealthy(user)).userId).toBe("alice");
			expect(user.cookie).toBe(cookie);
		});

		test("a row holding corrupt bytes: a fresh session and an event; the row stays until the new session replaces it", async () => {
			const user = new Browser();
			await user.send(base, "POST", "/login");
			const id = storedId(user.cookie);
			await opened.corrupt(id);
			events.length = 0;
			const seen = await user.send(base, "GET", "/");
			expect(seen.status).toBe(200);
			expect(seen.json).toEqual({ userId: null, cart: [] });
			expect(events.map((e) => e.type)).toContain("decode_reset");
			expect(await opened.rowExists(id)).toBe(true);
			await user.send(base, "POST", "/login");
			expect(await opened.rowExists(id)).toBe(false);
			expect((await user.send(base, "GET", "/")).json).toEqual({ userId: "alice", cart: [] });
		});
	});
}
