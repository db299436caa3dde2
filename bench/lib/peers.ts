// Peers driven in process through their real middleware, with the smallest request/response doubles
// their code needs (the same doubles for every peer: a `headers.cookie` string, an encrypted socket so
// Secure cookies are allowed, and a response whose `writeHead` fires on-headers listeners).
import { Database } from "bun:sqlite";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

type Callback<T> = (err: unknown, value?: T) => void;
type Next = (err?: unknown) => void;
export type Middleware = (req: MockRequest, res: MockResponse, next: Next) => void;

/** express-session's Store surface the benchmark touches. */
export interface ExpressStore {
	get(sid: string, cb: Callback<Record<string, unknown> | null>): void;
	set(sid: string, sess: object, cb: Callback<unknown>): void;
	touch?(sid: string, sess: object, cb: Callback<unknown>): void;
	destroy(sid: string, cb: Callback<unknown>): void;
}

interface ExpressSessionModule {
	(options: Record<string, unknown>): Middleware;
	Store: new () => ExpressStore;
	MemoryStore: new () => ExpressStore;
}

export const expressSession = require("express-session") as ExpressSessionModule;
export const cookieSession = require("cookie-session") as (options: Record<string, unknown>) => Middleware;

/** The request double: what express-session and cookie-session read. */
export interface MockRequest {
	headers: { cookie?: string };
	url: string;
	originalUrl: string;
	method: string;
	connection: { encrypted: boolean };
	socket: { encrypted: boolean };
	session?: Record<string, unknown> | null;
}

export function mockRequest(cookie: string, url = "/inc"): MockRequest {
	return { headers: { cookie }, url, originalUrl: url, method: "GET", connection: { encrypted: true }, socket: { encrypted: true } };
}

/** The response double: headers in a Map, `writeHead` marks headers sent, `end` resolves the request. */
export class MockResponse {
	statusCode = 200;
	_header = false;
	readonly headers = new Map<string, string | string[]>();
	constructor(private readonly done: () => void) {}
	getHeader(name: string): string | string[] | undefined {
		return this.headers.get(name.toLowerCase());
	}
	setHeader(name: string, value: string | string[]): void {
		this.headers.set(name.toLowerCase(), value);
	}
	removeHeader(name: string): void {
		this.headers.delete(name.toLowerCase());
	}
	writeHead(status: number): this {
		this.statusCode = status;
		this._header = true;
		return this;
	}
	_implicitHeader(): void {
		this.writeHead(this.statusCode);
	}
	write(): boolean {
		return true;
	}
	end(): this {
		if (!this._header) this._implicitHeader();
		this.done();
		return this;
	}
	/** Every Set-Cookie value sent. */
	setCookies(): string[] {
		const v = this.headers.get("set-cookie");
		return v === undefined ? [] : Array.isArray(v) ? v : [v];
	}
}

/** Runs one request through a middleware and a handler; resolves with the response once `end` ran (saves included). */
export function runMiddleware(mw: Middleware, req: MockRequest, handler: (req: MockRequest, res: MockResponse) => void): Promise<MockResponse> {
	return new Promise((resolve, reject) => {
		const res: MockResponse = new MockResponse(() => resolve(res));
		mw(req, res, (err) => {
			if (err !== undefined && err !== null) reject(err);
			else {
				try {
					handler(req, res);
				} catch (e) {
					reject(e);
				}
			}
		});
	});
}

/** better-sqlite3-session-store on bun:sqlite (strict mode binds its @named parameters as better-sqlite3 does), WAL, synchronous=NORMAL. */
export function betterSqliteSessionStore(path: string): { store: ExpressStore; db: Database; close(): void } {
	const db = new Database(path, { strict: true, create: true });
	db.run("PRAGMA journal_mode = WAL");
	db.run("PRAGMA synchronous = NORMAL");
	const makeStore = require("better-sqlite3-session-store") as (s: ExpressSessionModule) => new (o: object) => ExpressStore;
	const SqliteStore = makeStore(expressSession);
	// Its constructor starts a 15-minute cleanup interval it never clears; capture it so the process can exit.
	const { value: store, intervals } = withCapturedIntervals(() => new SqliteStore({ client: db }));
	return {
		store,
		db,
		close() {
			for (const t of intervals) clearInterval(t);
			db.close();
		},
	};
}

/** Runs `fn`, collecting every interval it starts, so a peer's stray timers can be cleared and the process exit. */
export function withCapturedIntervals<T>(fn: () => T): { value: T; intervals: ReturnType<typeof setInterval>[] } {
	const original = globalThis.setInterval;
	const intervals: ReturnType<typeof setInterval>[] = [];
	globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
		const t = original(...args);
		intervals.push(t);
		return t;
	}) as typeof setInterval;
	try {
		return { value: fn(), intervals };
	} finally {
		globalThis.setInterval = original;
	}
}

/** Wraps a store's writing methods to count calls (for the read-only check); reads pass through. */
export function countWrites<T extends object>(store: T, methods: readonly string[]): { counts: () => number } {
	let n = 0;
	const target = store as Record<string, unknown>;
	for (const m of methods) {
		const fn = target[m];
		if (typeof fn !== "function") continue;
		target[m] = function (this: unknown, ...args: unknown[]) {
			n++;
			return (fn as (...a: unknown[]) => unknown).apply(this, args);
		};
	}
	return { counts: () => n };
}

/** Version of an installed package, read from its package.json (nested copies by path). */
export function packageVersion(name: string, from?: string): string {
	try {
		const req = from === undefined ? require : createRequire(require.resolve(from));
		return (req(`${name}/package.json`) as { version: string }).version;
	} catch {
		return "?";
	}
}
