import type { SessionModel } from "../schema/model.ts";
import type { SessionCodec } from "./codec.ts";
import { createCommit } from "./commit.ts";
import { createDbsc, createDbscRuntime, type Dbsc } from "./dbsc.ts";
import { readSessionCookie, serializeCookie } from "./cookie.ts";
import { DecodeError } from "./errors.ts";
import { emit, type SessionEvent } from "./events.ts";
import type { SessionPolicy } from "./expiry.ts";
import { createManagerBase, decorateResponse, type CommitOptions, type CommonOptions } from "./manager-shared.ts";
import { createSealedManager, type SealedManagerOptions } from "./sealed-manager.ts";
import { createSessionState, Session, STATE, type SessionRuntime, type SessionState } from "./session.ts";
import type { ColumnValue, Store, StoredSession } from "./store.ts";
import { hashSessionToken, isSessionToken, shortSessionId } from "./token.ts";

/** What `load()` reads of a request: only its `Cookie` header, so a Web `Request` or anything with `headers.get` will do. */
export interface RequestLike {
	headers: { get(name: string): string | null };
}

/** Server-side mode: the session lives in a store, the cookie holds a signed random token. */
export interface SessionManagerOptions extends CommonOptions {
	store: Store;
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
	load(request: RequestLike): Promise<S>;
	/** Writes what changed and returns the `Set-Cookie` value to send, or null when nothing must be sent. */
	commitCookie(session: S): Promise<string | null>;
	/**
	 * Commits and appends the cookie to the response. A response that sets the cookie or was built from
	 * a stored session also gets `Cache-Control: private, no-store` and `Vary: Cookie`, unless `cache: "allow"`.
	 */
	commit(session: S, response: Response, options?: CommitOptions): Promise<Response>;
	/** Live sessions whose promoted field holds `value`; `current` marks the caller's. */
	list<K extends C>(field: K, value: Exclude<D[K], undefined>, options?: { current?: S }): Promise<SessionInfo[]>;
	/** Ends every session whose promoted field holds `value`, except `options.except`; returns how many. */
	revoke<K extends C>(field: K, value: Exclude<D[K], undefined>, options?: { except?: S }): Promise<number>;
	/** Deletes expired rows in batches; returns how many. */
	prune(limit?: number): Promise<number>;
	/** The policy in force, after overrides. */
	readonly policy: SessionPolicy;
	/** Device Bound Session Credentials, or null without the `dbsc` option. */
	readonly dbsc: Dbsc<S> | null;
	/** Passes an event to the `onEvent` hook (the adapters report the bad input they answer with 400). */
	report(event: SessionEvent): void;
}

/** Creates the manager for one schema; generated `createSessions()` calls this with the schema bound. */
export function createSessionManager<D extends object, F extends object, S extends Session<D, F>, C extends keyof D & string>(
	schema: SessionSchema<D, F, S>,
	options: SessionManagerOptions | SealedManagerOptions,
): SessionManager<D, S, C> {
	if ("mode" in options && options.mode === "sealed") return createSealedManager<D, F, S, C>(schema, options);
	const { model, codec } = schema;
	const store = (options as SessionManagerOptions).store;
	const base = createManagerBase(model, options);
	const { keyring, policy, clock, random, hook, call, runtime, cookieName, attributes, blankCookie, columnOf, columnName } = base;
	const dbscRuntime = createDbscRuntime(options.dbsc, { keyring, clock, random, hook, call, attributes, sessionCookieName: cookieName, store });
	const commitState = createCommit({
		store, codec: codec as SessionCodec<object, object>, policy, columnOf, checks: runtime.checks, call, random, clock, hook, cookieFor, blankCookie,
	});

	function fresh(hadCookie: boolean, replaces: StoredSession | null = null): S {
		const state = createSessionState(codec.initial() as Record<string, unknown>, hadCookie);
		state.replaces = replaces;
		return newSession(state);
	}

	function newSession(state: SessionState): S {
		return new schema.Session(runtime, state);
	}

	async function load(request: RequestLike): Promise<S> {
		const cookie = readSessionCookie(request.headers.get("cookie"), cookieName);
		if (cookie.value === null) {
			if (cookie.rejected !== null) emit(hook, { type: "cookie_invalid", reason: cookie.rejected });
			return fresh(cookie.rejected !== null);
		}
		const verified = keyring.verify(cookie.value, cookieName);
		if (verified === null || !isSessionToken(verified.value)) {
			emit(hook, { type: "cookie_invalid", reason: verified === null ? "bad_signature" : "malformed" });
			return fresh(true);
		}
		if (verified.staleKey) emit(hook, { type: "old_key_used", keyId: verified.keyId });
		const id = hashSessionToken(verified.value);
		const now = clock();
		// Awaited only when the store is asynchronous: each needless await is a trip through the microtask queue.
		const got = call("load", () => store.get(id));
		let row = got instanceof Promise ? await got : got;
		let viaAlias = false;
		if (row !== null && row.successorId !== null) {
			if (now >= row.idleExpiresAt) {
				emit(hook, { type: "grace_expired", id: shortSessionId(id) });
				// The alias is dead either way; deleting it now narrows what clock skew between servers could reopen.
				await call("destroy", () => store.destroy(id));
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
		if (dbscRuntime !== null && !dbscRuntime.admits(request, decoded.meta, row.id)) return fresh(true);
		if (decoded.resets.length > 0) emit(hook, { type: "fields_reset", id: shortSessionId(row.id), fields: decoded.resets });
		const state = createSessionState(decoded.data as Record<string, unknown>, true, decoded.flash, decoded.meta);
		state.row = row;
		state.viaAlias = viaAlias;
		state.resign = verified.staleKey && !viaAlias;
		state.token = verified.value;
		dbscRuntime?.track(state);
		return newSession(state);
	}

	function cookieFor(token: string, absoluteExpiresAt: number, now: number): string {
		return serializeCookie(cookieName, keyring.sign(token, cookieName), { ...attributes, maxAge: (absoluteExpiresAt - now) / 1000 });
	}
	/** Commits at most once per request: a second call has nothing left to send. */
	function commitCookie(session: S): Promise<string | null> {
		return commitState(session[STATE]);
	}

	async function commit(session: S, response: Response, options?: CommitOptions): Promise<Response> {
		const fromSession = session[STATE].row !== null;
		const committed = decorateResponse(response, await commitCookie(session), fromSession, options);
		return dbscRuntime === null ? committed : dbscRuntime.finish(session[STATE], committed);
	}

	const manager: SessionManager<D, S, C> = {
		dbsc: null,
		load,
		commitCookie,
		commit,
		policy,
		report: (event) => emit(hook, event),
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
	if (dbscRuntime !== null) (manager as { dbsc: Dbsc<S> | null }).dbsc = createDbsc(dbscRuntime, manager);
	return manager;
}
