// A tiny harness for session tests: a fake clock, a manager over the demo schema, a cookie jar that
// behaves like a browser's for one origin, and a spying store wrapper. Nothing here sleeps or logs.
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { createSessions, type Session, type Sessions } from "../../examples/demo/src/generated/session.ts";
import type { KeyInput } from "../../src/keyring.ts";
import type { SessionEvent } from "../../src/events.ts";
import type { SessionManagerOptions } from "../../src/manager.ts";
import type { Awaitable, Store, StoredSession, UpdateScope } from "../../src/store.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { hashSessionToken } from "../../src/token.ts";

export const COOKIE = "__Host-sid";
export const ORIGIN = "https://app.test";
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** A fresh random 32-byte key, base64url: what `sess keygen` prints. */
export function newKey(): string {
	return encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
}

/** A mutable clock: `now` is passed to the manager, `advance` moves time forward. */
export interface FakeClock {
	now: () => number;
	advance(ms: number): void;
	set(ms: number): void;
}

export function fakeClock(start = Date.UTC(2030, 0, 1, 9, 0, 0)): FakeClock {
	let t = start;
	return {
		now: () => t,
		advance(ms) {
			t += ms;
		},
		set(ms) {
			t = ms;
		},
	};
}

export interface Harness<T extends Store = Store> {
	sessions: Sessions;
	store: T;
	clock: FakeClock;
	events: SessionEvent[];
	keys: readonly KeyInput[];
	/** Events of one type, narrowed. */
	eventsOf<K extends SessionEvent["type"]>(type: K): Extract<SessionEvent, { type: K }>[];
}

export type HarnessOptions<T extends Store> = Omit<Partial<SessionManagerOptions>, "store" | "now"> & {
	store?: T;
	clock?: FakeClock;
	now?: () => number;
};

/** A manager for the demo schema with a fake clock, a fresh key and every event collected. */
export function makeSessions<T extends Store = MemoryStore>(options: HarnessOptions<T> = {}): Harness<T> {
	const { store: givenStore, clock: givenClock, now, onEvent, keys: givenKeys, ...rest } = options;
	const clock = givenClock ?? fakeClock();
	const store = (givenStore ?? new MemoryStore()) as T;
	const keys = (givenKeys ?? [newKey()]) as readonly KeyInput[];
	const events: SessionEvent[] = [];
	const sessions = createSessions({
		...rest,
		store,
		keys,
		now: now ?? clock.now,
		onEvent: (event) => {
			events.push(event);
			onEvent?.(event);
		},
	});
	return {
		sessions,
		store,
		clock,
		events,
		keys,
		eventsOf: (type) => events.filter((e) => e.type === type) as never,
	};
}

interface JarCookie {
	value: string;
	maxAge: number | null;
}

/** One browser's cookies for `https://app.test`: applies `Set-Cookie` (Max-Age=0 deletes), sends `cookie:`. */
export class CookieJar {
	readonly cookies = new Map<string, JarCookie>();
	/** Every `Set-Cookie` value this jar has received, in order. */
	readonly received: string[] = [];

	/** Applies every `Set-Cookie` of a response (or raw header values). */
	apply(from: Response | readonly string[]): void {
		const values = Array.isArray(from) ? (from as readonly string[]) : (from as Response).headers.getSetCookie();
		for (const header of values) {
			this.received.push(header);
			const [pair = "", ...attributes] = header.split(";");
			const eq = pair.indexOf("=");
			if (eq <= 0) continue;
			const name = pair.slice(0, eq).trim();
			const value = pair.slice(eq + 1).trim();
			let maxAge: number | null = null;
			for (const a of attributes) {
				const [k = "", v = ""] = a.split("=");
				if (k.trim().toLowerCase() === "max-age") maxAge = Number(v.trim());
			}
			if (maxAge !== null && maxAge <= 0) this.cookies.delete(name);
			else this.cookies.set(name, { value, maxAge });
		}
	}

	/** Sets a cookie directly, as script, an attacker or a test would. */
	set(name: string, value: string): void {
		this.cookies.set(name, { value, maxAge: null });
	}

	get(name: string = COOKIE): string | undefined {
		return this.cookies.get(name)?.value;
	}

	maxAge(name: string = COOKIE): number | null | undefined {
		return this.cookies.get(name)?.maxAge;
	}

	/** The `cookie:` request header, or null when the jar is empty. */
	header(): string | null {
		if (this.cookies.size === 0) return null;
		return [...this.cookies].map(([name, c]) => `${name}=${c.value}`).join("; ");
	}

	/** The session token inside the signed cookie (`token.kid.mac`). */
	token(): string | undefined {
		return this.get()?.split(".")[0];
	}

	/** The stored row id of this jar's session: hex SHA-256 of the token. */
	rowId(): string | undefined {
		const token = this.token();
		return token === undefined ? undefined : hashSessionToken(token);
	}

	/** A second browser that starts with the same cookies (a stolen, planted or stale copy). */
	clone(): CookieJar {
		const copy = new CookieJar();
		for (const [name, c] of this.cookies) copy.cookies.set(name, { ...c });
		return copy;
	}

	/** A request from this browser. */
	request(path = "/", init: RequestInit = {}): Request {
		return makeRequest(path, init, this.header());
	}
}

/** `new Request("https://app.test/<path>")` with an optional `cookie:` header. */
export function makeRequest(path = "/", init: RequestInit = {}, cookie: string | null = null): Request {
	const headers = new Headers(init.headers);
	if (cookie !== null) headers.set("cookie", cookie);
	return new Request(new URL(path, ORIGIN), { ...init, headers });
}

/** Sends a request from `jar` to `handler` and applies the response's cookies to the jar. */
export async function request(handler: (request: Request) => Response | Promise<Response>, jar: CookieJar, path = "/", init: RequestInit = {}): Promise<Response> {
	const response = await handler(jar.request(path, init));
	jar.apply(response);
	return response;
}

export interface Visit {
	session: Session;
	response: Response;
	/** The response's `Set-Cookie` values. */
	setCookies: string[];
}

/**
 * One request: load the jar's session, let `fn` read or change it, commit onto a 200 response and
 * apply the cookies to the jar.
 */
export async function visit(h: Harness, jar: CookieJar, fn: (session: Session) => unknown = () => undefined, path = "/"): Promise<Visit> {
	const session = await h.sessions.load(jar.request(path));
	await fn(session);
	const response = await h.sessions.commit(session, new Response("ok"));
	const setCookies = response.headers.getSetCookie();
	jar.apply(setCookies);
	return { session, response, setCookies };
}

type StoreMethod = "get" | "create" | "update" | "touch" | "rotate" | "destroy" | "list" | "revoke" | "prune";

/** A store wrapper that records every call and can be made to fail or hang. */
export class SpyStore implements Store {
	readonly calls: StoreMethod[] = [];
	/** The scope of every update() call, in order. */
	readonly scopes: (UpdateScope | undefined)[] = [];
	/**
	 * "ok" delegates; "throw" throws; "hang" returns a promise that never settles; "lost-reply" does the
	 * call, then throws as if the answer was lost; "refuse" answers a write false (update, rotate) or
	 * throws a duplicate-key error (create) without writing, as a store that half-fails.
	 */
	mode: "ok" | "throw" | "hang" | "lost-reply" | "refuse" = "ok";
	/** Which methods `mode` applies to (all when empty). */
	failing = new Set<StoreMethod>();

	constructor(readonly inner: Store = new MemoryStore()) {}

	count(method: StoreMethod): number {
		return this.calls.filter((c) => c === method).length;
	}

	reset(): void {
		this.calls.length = 0;
	}

	private run<T>(method: StoreMethod, fn: () => Awaitable<T>): Awaitable<T> {
		this.calls.push(method);
		if (this.mode !== "ok" && (this.failing.size === 0 || this.failing.has(method))) {
			if (this.mode === "throw") throw new Error(`store ${method} failed: connection refused`);
			if (this.mode === "hang") return new Promise<T>(() => undefined);
			if (this.mode === "lost-reply") {
				const done = fn();
				const lost = (): never => {
					throw new Error(`store ${method}: connection reset before the reply`);
				};
				return done instanceof Promise ? done.then(lost) : lost();
			}
			if (method === "update" || method === "rotate") return false as T;
			if (method === "create") throw new Error("duplicate key value violates unique constraint");
		}
		return fn();
	}

	get(id: string) {
		return this.run("get", () => this.inner.get(id));
	}
	create(session: StoredSession) {
		return this.run("create", () => this.inner.create(session));
	}
	update(session: StoredSession, expectedVersion: number, scope?: UpdateScope) {
		this.scopes.push(scope);
		return this.run("update", () => this.inner.update(session, expectedVersion, scope));
	}
	touch(id: string, lastSeenAt: number, idleExpiresAt: number) {
		return this.run("touch", () => this.inner.touch(id, lastSeenAt, idleExpiresAt));
	}
	rotate(id: string, expectedVersion: number, next: StoredSession, graceUntil: number | null) {
		return this.run("rotate", () => this.inner.rotate(id, expectedVersion, next, graceUntil));
	}
	destroy(id: string) {
		return this.run("destroy", () => this.inner.destroy(id));
	}
	list(column: string, value: Parameters<Store["list"]>[1]) {
		return this.run("list", () => this.inner.list(column, value));
	}
	revoke(column: string, value: Parameters<Store["revoke"]>[1], exceptId?: string) {
		return this.run("revoke", () => this.inner.revoke(column, value, exceptId));
	}
	prune(now: number, limit?: number) {
		return this.run("prune", () => this.inner.prune(now, limit));
	}
}
