// Shared pieces of the attack suite: a spied harness, an attacker's view of a session, raw header
// objects, and the real demo server on a throwaway SQLite database.
import { expect } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Session } from "../../examples/demo/src/generated/session.ts";
import { Keyring } from "../../src/keyring.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { hashSessionToken } from "../../src/token.ts";
import { startDemo, type DemoProcess } from "../helpers/demo-process.ts";
import { COOKIE, CookieJar, SpyStore, makeSessions, newKey, visit, type Harness, type HarnessOptions } from "../helpers/harness.ts";

/** A harness whose store records every call (over a MemoryStore). */
export function spied(options: HarnessOptions<SpyStore> = {}): Harness<SpyStore> {
	return makeSessions<SpyStore>({ store: new SpyStore(new MemoryStore()), ...options });
}

/** The MemoryStore behind a spied harness. */
export function memoryOf(h: Harness<SpyStore>): MemoryStore {
	return h.store.inner as MemoryStore;
}

/** A browser holding a stored session; `write` picks what it stored (by default cart [1, 2, 3]). */
export async function storedJar(h: Harness, write: (s: Session) => void = (s) => (s.cart = [1, 2, 3])): Promise<CookieJar> {
	const jar = new CookieJar();
	const { setCookies } = await visit(h, jar, write);
	expect(setCookies).toHaveLength(1);
	return jar;
}

/** Logs `jar` in as `userId` the way the demo does (userId and role are `rotate` fields). */
export async function login(h: Harness, jar: CookieJar, userId: string): Promise<void> {
	const { setCookies } = await visit(h, jar, (s) => {
		s.userId = userId;
		s.role = "user";
	});
	expect(setCookies).toHaveLength(1);
}

/**
 * A `Headers` stand-in that hands `load()` the cookie header string exactly as given. Real `Headers`
 * refuse NUL, CR, LF and code points above 0xFF, so this is how the parser is shown strings that a
 * lenient proxy, another runtime or a future Bun might pass through. `load()` only calls `get("cookie")`.
 */
export function rawHeaders(cookie: string | null): Headers {
	return { get: (name: string) => (name.toLowerCase() === "cookie" ? cookie : null) } as unknown as Headers;
}

/** Loads the session for a raw cookie header. */
export function loadRaw(h: Harness, cookie: string | null): Promise<Session> {
	return h.sessions.load({ headers: rawHeaders(cookie) });
}

/** `__Host-sid=<value>` as the cookie header. */
export function sid(value: string): string {
	return `${COOKIE}=${value}`;
}

/** A cookie value signed with `keys` for the session cookie: what the server itself would issue for `token`. */
export function signWith(keys: Harness["keys"] | readonly string[], token: string, context: string = COOKIE): string {
	return new Keyring(keys).sign(token, context);
}

/** The stored row id (hex SHA-256) of a cookie value `token.kid.mac`. */
export function rowIdOf(cookieValue: string): string {
	return hashSessionToken(cookieValue.split(".")[0] ?? "");
}

/** The real demo server as a process, on its own SQLite file and random key. */
export interface TempDemo {
	demo: DemoProcess;
	base: string;
	port: number;
	key: string;
	db: string;
	/** Rows in the sessions table right now (aliases included). */
	rows(where?: string): number;
	/** Stored ids right now. */
	ids(): string[];
	stop(): Promise<void>;
}

export async function startTempDemo(env: Record<string, string> = {}): Promise<TempDemo> {
	const dir = mkdtempSync(join(tmpdir(), "sess-attack-"));
	const db = join(dir, "demo.db");
	const key = newKey();
	const demo = await startDemo({ SESS_DB: db, SESS_KEYS: key, ...env });
	const query = <T>(sql: string): T[] => {
		const conn = new Database(db, { readonly: true });
		try {
			return conn.query(sql).all() as T[];
		} finally {
			conn.close();
		}
	};
	return {
		demo,
		base: demo.base,
		port: Number(new URL(demo.base).port),
		key,
		db,
		rows: (where = "1 = 1") => (query<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions WHERE ${where}`)[0] as { n: number }).n,
		ids: () => query<{ id: string }>("SELECT id FROM sessions").map((r) => r.id),
		async stop() {
			await demo.stop();
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

/** The value of a `__Host-sid=<value>; …` Set-Cookie line or jar entry. */
export function cookieValue(setCookieOrPair: string): string {
	const pair = setCookieOrPair.split(";")[0] ?? "";
	return pair.slice(pair.indexOf("=") + 1);
}
