import type { SessionModel } from "../schema/model.ts";
import { parseDuration, type Duration } from "../schema/duration.ts";
import type { SessionCodec } from "./codec.ts";
import { MAX_COOKIE_HEADER, readCookieValues, serializeCookie, type CookieAttributes } from "./cookie.ts";
import { DecodeError, StoreUnavailableError, WriteConflictError } from "./errors.ts";
import { emit, type EventHook } from "./events.ts";
import { resolvePolicy, touchDue, idleDeadline, type SessionPolicy } from "./expiry.ts";
import { Keyring, type KeyInput } from "./keyring.ts";
import { Session, STATE, type SessionRuntime, type SessionState } from "./session.ts";
import type { Awaitable, ColumnValue, Store, StoredSession } from "./store.ts";
import { generateSessionToken, hashSessionToken, isSessionToken, secureRandom, shortSessionId, type RandomSource } from "./token.ts";
import { compileCheck } from "./validate.ts";

/** How an app configures sessions at run time; the schema's policy is the default for each setting. */
export interface SessionManagerOptions {
	store: Store;
	/** Newest first; the first signs, all verify. Strings are base64url/base64/hex secrets. */
	keys: Keyring | readonly KeyInput[];
	/** Overrides of the schema's expiry policy (e.g. from environment variables). */
	expiry?: { idle?: Duration; absolute?: Duration };
	/** Overrides of the schema's rotation policy. */
	rotation?: { every?: Duration; grace?: Duration };
	/** Longest a store call may take before `load()` fails closed with `StoreUnavailableError`; default 5 s. */
	storeTimeout?: Duration;
	/** The clock, in milliseconds since the epoch; injected in tests. */
	now?: () => number;
	/** The randomness behind new tokens; injected in tests. */
	random?: RandomSource;
	/** Receives security and lifecycle events. */
	onEvent?: EventHook;
}

/** A stored session as `list()` shows it: times, and whether it is the caller's own. */
export interface SessionInfo {
	/** A short label of the stored ID (safe to show and log; not usable as a cookie). */
	id: string;
	createdAt: Date;
	lastSeenAt: Date;
	expiresAt: Date;
	current: boolean;
}

/** What generated code binds: the model, its codec and the typed session class. */
export interface SessionSchema<D extends object, F extends object, S extends Session<D, F>> {
	model: SessionModel;
	codec: SessionCodec<D, F>;
	Session: new (runtime: SessionRuntime, state: SessionState) => S;
}

/** Loads sessions from requests and commits them to responses. */
export interface SessionManager<D extends object, S extends Session<D, object>, C extends keyof D & string> {
	/** Reads the session cookie and the store; never throws on hostile input, throws `StoreUnavailableError` when the store fails. */
	load(request: { headers: Headers }): Promise<S>;
	/** Writes what changed and returns the `Set-Cookie` value to send, or null when nothing must be sent. */
	commitCookie(session: S): Promise<string | null>;
	/** Commits and appends the cookie (with `Cache-Control: private, no-store` and `Vary: Cookie`) to the response. */
	commit(session: S, response: Response): Promise<Response>;
	/** Live sessions whose promoted field holds `value`; `current` marks the caller's. */
	list<K extends C>(field: K, value: Exclude<D[K], undefined>, options?: { current?: S }): Promise<SessionInfo[]>;
	/** Ends every session whose promoted field holds `value`, except `options.except`; returns how many. */
	revoke<K extends C>(field: K, value: Exclude<D[K], undefined>, options?: { except?: S }): Promise<number>;
	/** Deletes expired rows in batches; returns how many. */
	prune(limit?: number): Promise<number>;
	/** The policy in force, after overrides. */
	readonly policy: SessionPolicy;
}

/** Each failed compare-and-set means another writer landed, so this bounds only pathological contention. */
const MAX_ATTEMPTS = 100;

/** Creates the manager for one schema; generated `createSessions()` calls this with the schema bound. */
export function createSessionManager<D extends object, F extends object, S extends Session<D, F>, C extends keyof D & string>(
	schema: SessionSchema<D, F, S>,
	options: SessionManagerOptions,
): SessionManager<D, S, C> {
	const { model, codec } = schema;
	const store = options.store;
	const keyring = options.keys instanceof Keyring ? options.keys : new Keyring(options.keys);
	const policy = resolvePolicy(model, options);
	const clock = options.now ?? Date.now;
	const random = options.random ?? secureRandom;
	const hook = options.onEvent;
	const timeoutMs = parseDuration(options.storeTimeout ?? "5s", "storeTimeout");
	const cookieName = model.cookie.name;
	const attributes: CookieAttributes = { path: "/", secure: !model.cookie.insecure, httpOnly: true, sameSite: model.cookie.sameSite };
	const blankCookie = serializeCookie(cookieName, "", { ...attributes, maxAge: 0 });
	const runtime: SessionRuntime = {
		checks: new Map(model.data.map((f) => [f.name, compileCheck(f.type)])),
		flashChecks: new Map(model.flash.map((f) => [f.name, compileCheck(f.type)])),
		rotateFields: new Set(model.data.filter((f) => f.rotate === true).map((f) => f.name)),
		optionalFields: new Set(model.data.filter((f) => f.optional).map((f) => f.name)),
	};
	const columnOf = new Map(model.table.columns.map((c) => [c.field, c.name]));

	async function call<T>(operation: string, fn: () => Awaitable<T>): Promise<T> {
		let timer: ReturnType<typeof setTimeout> | undefined;
		try {
			const result = fn();
			if (!(result instanceof Promise)) return result;
			return await Promise.race([
				result,
				new Promise<never>((_, reject) => {
					timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
				}),
			]);
		} catch (cause) {
			const reason = cause instanceof Error ? cause.message : String(cause);
			emit(hook, { type: "store_unavailable", operation, reason });
			throw new StoreUnavailableError(`Session store failed during ${operation} (${reason}); answer 503 and retry later.`, { cause });
		} finally {
			if (timer !== undefined) clearTimeout(timer);
		}
	}

	function fresh(hadCookie: boolean, replaces: StoredSession | null = null): S {
		const data = codec.initial() as Record<string, unknown>;
		return newSession({
			data: { ...data }, base: data, dirty: new Set(), flash: {}, flashDirty: false, row: null, viaAlias: false, hadCookie,
			resign: false, token: null, regenerate: false, destroyed: false, committed: false, replaces, overwritten: new Set(), merged: false,
		});
	}

	function newSession(state: SessionState): S {
		return new schema.Session(runtime, state);
	}

	async function load(request: { headers: Headers }): Promise<S> {
		const header = request.headers.get("cookie");
		if (header === null) return fresh(false);
		if (header.length > MAX_COOKIE_HEADER) {
			emit(hook, { type: "cookie_invalid", reason: "oversized" });
			return fresh(true);
		}
		const values = readCookieValues(header, cookieName);
		if (values.length === 0) return fresh(false);
		if (values.length > 1) {
			// Two session cookies mean cookie tossing or a stale jar; trusting either one is a guess.
			emit(hook, { type: "cookie_invalid", reason: "duplicate" });
			return fresh(true);
		}
		const verified = keyring.verify(values[0] as string, cookieName);
		if (verified === null || !isSessionToken(verified.value)) {
			emit(hook, { type: "cookie_invalid", reason: verified === null ? "bad_signature" : "malformed" });
			return fresh(true);
		}
		if (verified.staleKey) emit(hook, { type: "old_key_used", keyId: verified.keyId });
		const id = hashSessionToken(verified.value);
		const now = clock();
		let row = await call("load", () => store.get(id));
		let viaAlias = false;
		if (row !== null && row.successorId !== null) {
			if (now >= row.idleExpiresAt) {
				emit(hook, { type: "grace_expired", id: shortSessionId(id) });
				return fresh(true);
			}
			const successorId = row.successorId;
			row = await call("load", () => store.get(successorId));
			viaAlias = true;
			if (row !== null && row.successorId !== null) row = null;
		}
		if (row === null) {
			emit(hook, { type: "unknown_id", id: shortSessionId(id) });
			return fresh(true);
		}
		const expired = now >= row.absoluteExpiresAt ? "absolute_expired" : now >= row.idleExpiresAt ? "idle_expired" : null;
		if (expired !== null) {
			emit(hook, { type: expired, id: shortSessionId(row.id) });
			const rowId = row.id;
			await call("destroy", () => store.destroy(rowId));
			return fresh(true);
		}
		let decoded;
		try {
			decoded = codec.decodeSession(row.data);
		} catch (e) {
			if (!(e instanceof DecodeError)) throw e;
			// Leave the row alone: it is replaced only if the visitor's new session gets committed.
			emit(hook, { type: "decode_reset", id: shortSessionId(row.id), reason: e.message });
			return fresh(true, row);
		}
		if (decoded.resets.length > 0) emit(hook, { type: "fields_reset", id: shortSessionId(row.id), fields: decoded.resets });
		const data = decoded.data as Record<string, unknown>;
		return newSession({
			data: { ...data }, base: data, dirty: new Set(), flash: { ...decoded.flash }, flashDirty: false, row, viaAlias,
			hadCookie: true, resign: verified.staleKey && !viaAlias, token: verified.value, regenerate: false, destroyed: false, committed: false,
			replaces: null, overwritten: new Set(), merged: false,
		});
	}

	function cookieFor(token: string, absoluteExpiresAt: number, now: number): string {
		return serializeCookie(cookieName, keyring.sign(token, cookieName), { ...attributes, maxAge: (absoluteExpiresAt - now) / 1000 });
	}

	function buildRow(s: SessionState, base: StoredSession | null, id: string, now: number, version: number, restart: boolean): StoredSession {
		const createdAt = base === null || restart ? now : base.createdAt;
		const absoluteExpiresAt = base === null || restart ? now + policy.absoluteMs : base.absoluteExpiresAt;
		const columns: Record<string, ColumnValue> = {};
		for (const [field, column] of columnOf) columns[column] = (s.data[field] as ColumnValue | undefined) ?? null;
		return {
			id, successorId: null, version, data: codec.encodeTrusted(s.data as D, s.flash as Partial<F>), createdAt,
			rotatedAt: base === null || id !== base.id ? now : base.rotatedAt, lastSeenAt: now,
			idleExpiresAt: idleDeadline(policy, now, absoluteExpiresAt), absoluteExpiresAt, columns,
		};
	}

	/** Re-reads a row another request changed under us and lays our changed fields over its data. */
	async function rebase(s: SessionState, rowId: string, now: number): Promise<StoredSession | null> {
		let latest = await call("commit", () => store.get(rowId));
		if (latest !== null && latest.successorId !== null) {
			const successorId = latest.successorId;
			latest = await call("commit", () => store.get(successorId));
		}
		if (latest === null || latest.successorId !== null || now >= latest.absoluteExpiresAt || now >= latest.idleExpiresAt) {
			emit(hook, { type: "write_after_destroy", id: shortSessionId(rowId) });
			return null;
		}
		let theirs: { data: Record<string, unknown>; flash: Record<string, unknown> };
		try {
			const decoded = codec.decodeSession(latest.data);
			theirs = { data: decoded.data as Record<string, unknown>, flash: decoded.flash as Record<string, unknown> };
		} catch (e) {
			if (!(e instanceof DecodeError)) throw e;
			theirs = { data: codec.initial() as Record<string, unknown>, flash: {} };
		}
		const merged = { ...theirs.data };
		for (const key of s.dirty) {
			if (!sameValue(theirs.data[key], s.base[key])) s.overwritten.add(key);
			if (s.data[key] === undefined) delete merged[key];
			else merged[key] = s.data[key];
		}
		s.base = theirs.data;
		s.data = merged;
		s.merged = true;
		if (!s.flashDirty) s.flash = { ...theirs.flash };
		return latest;
	}

	async function writeData(s: SessionState, start: StoredSession, now: number): Promise<boolean> {
		let row: StoredSession | null = start;
		for (let attempt = 0; attempt < MAX_ATTEMPTS && row !== null; attempt++) {
			const next = buildRow(s, row, row.id, now, row.version + 1, false);
			const expected = row.version;
			if (await call("commit", () => store.update(next, expected))) {
				s.row = next;
				reportMerge(s);
				return true;
			}
			row = await rebase(s, row.id, now);
		}
		if (row === null) return false;
		throw new WriteConflictError("The session was changed by too many concurrent requests; retry the request.");
	}

	/** One event per commit that had to merge, naming same-field conflicts resolved last-writer-wins. */
	function reportMerge(s: SessionState): void {
		if (!s.merged || s.row === null) return;
		emit(hook, { type: "concurrent_write", id: shortSessionId(s.row.id), fields: [...s.dirty], overwritten: [...s.overwritten] });
	}

	async function rotate(s: SessionState, start: StoredSession, now: number, graceUntil: number | null): Promise<string | null> {
		let row: StoredSession | null = start;
		for (let attempt = 0; attempt < MAX_ATTEMPTS && row !== null; attempt++) {
			const token = generateSessionToken(random);
			const next = buildRow(s, row, hashSessionToken(token), now, row.version + 1, graceUntil === null);
			const current: StoredSession = row;
			if (await call("commit", () => store.rotate(current.id, current.version, next, graceUntil))) {
				emit(hook, { type: graceUntil === null ? "regenerated" : "rotated", id: shortSessionId(current.id), next: shortSessionId(next.id) });
				s.row = next;
				s.token = token;
				reportMerge(s);
				return cookieFor(token, next.absoluteExpiresAt, now);
			}
			const latest = await call("commit", () => store.get(current.id));
			if (latest !== null && latest.successorId !== null && graceUntil !== null) {
				// Another request rotated first: it issued the one new ID; ours only needs its data written.
				if (s.dirty.size > 0 || s.flashDirty) {
					const successor = await rebase(s, current.id, now);
					if (successor !== null) await writeData(s, successor, now);
				}
				return null;
			}
			row = await rebase(s, current.id, now);
		}
		if (row === null) return null;
		throw new WriteConflictError("The session was changed by too many concurrent requests; retry the request.");
	}

	async function commitCookie(session: S): Promise<string | null> {
		const s = session[STATE];
		if (s.committed) return null;
		s.committed = true;
		const now = clock();
		const row = s.row;
		if (s.destroyed) {
			if (row !== null) {
				await call("destroy", () => store.destroy(row.id));
				emit(hook, { type: "destroyed", id: shortSessionId(row.id) });
			}
			return s.hadCookie || row !== null ? blankCookie : null;
		}
		const changed = s.dirty.size > 0 || s.flashDirty;
		if (row === null) {
			// Lazy creation: a visitor who never writes costs no row and gets no cookie.
			if (!changed && !s.regenerate) return null;
			const token = generateSessionToken(random);
			const next = buildRow(s, null, hashSessionToken(token), now, 1, true);
			const corrupt = s.replaces;
			// A row that failed to decode is replaced in the same step, so it never lingers as a ghost session.
			const replaced = corrupt !== null && (await call("commit", () => store.rotate(corrupt.id, corrupt.version, next, null)));
			if (!replaced) await call("commit", () => store.create(next));
			emit(hook, { type: "created", id: shortSessionId(next.id) });
			s.row = next;
			s.token = token;
			return cookieFor(token, next.absoluteExpiresAt, now);
		}
		if (s.regenerate) return rotate(s, row, now, null);
		if (!s.viaAlias && now - row.rotatedAt >= policy.rotation.everyMs) {
			return rotate(s, row, now, now + policy.rotation.graceMs);
		}
		if (changed) await writeData(s, row, now);
		else if (touchDue(policy, row, now)) await call("commit", () => store.touch(row.id, now, idleDeadline(policy, now, row.absoluteExpiresAt)));
		return s.resign && s.token !== null && s.row !== null ? cookieFor(s.token, s.row.absoluteExpiresAt, now) : null;
	}

	async function commit(session: S, response: Response): Promise<Response> {
		const cookie = await commitCookie(session);
		if (cookie === null) return response;
		let out = response;
		try {
			out.headers.append("set-cookie", cookie);
		} catch {
			// Immutable headers (e.g. Response.redirect): copy the response, then append.
			out = new Response(response.body, response);
			out.headers.append("set-cookie", cookie);
		}
		// A shared cache must never store or replay a response that carries someone's session.
		out.headers.set("cache-control", "private, no-store");
		out.headers.append("vary", "Cookie");
		return out;
	}

	function columnName(field: string): string {
		const column = columnOf.get(field);
		if (column === undefined) throw new TypeError(`"${field}" is not a promoted column.`);
		return column;
	}

	return {
		load,
		commitCookie,
		commit,
		policy,
		async list(field, value, opts) {
			const now = clock();
			const column = columnName(field);
			const rows = await call("list", () => store.list(column, value as ColumnValue));
			const current = opts?.current?.[STATE].row?.id;
			return rows
				.filter((r) => now < r.idleExpiresAt && now < r.absoluteExpiresAt)
				.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
				.map((r) => ({
					id: shortSessionId(r.id), createdAt: new Date(r.createdAt), lastSeenAt: new Date(r.lastSeenAt),
					expiresAt: new Date(Math.min(r.idleExpiresAt, r.absoluteExpiresAt)), current: r.id === current,
				}));
		},
		async revoke(field, value, opts) {
			const column = columnName(field);
			const except = opts?.except?.[STATE].row?.id;
			const count = await call("revoke", () => store.revoke(column, value as ColumnValue, except));
			emit(hook, { type: "revoked", column, count });
			return count;
		},
		async prune(limit) {
			return call("prune", () => store.prune(clock(), limit));
		},
	};
}

function sameValue(a: unknown, b: unknown): boolean {
	if (Object.is(a, b)) return true;
	if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
	if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
	if (Array.isArray(a) !== Array.isArray(b)) return false;
	const ka = Object.keys(a);
	const kb = Object.keys(b);
	if (ka.length !== kb.length) return false;
	return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
