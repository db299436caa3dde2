import type { SessionModel } from "../schema/model.ts";
import type { DecodedSession, SessionCodec } from "./codec.ts";
import { sessionCookieValue } from "./cookie.ts";
import { createDbsc, type Dbsc } from "./dbsc.ts";
import type { DbscRuntime } from "./dbsc-runtime.ts";
import { DecodeError } from "./errors.ts";
import { FAST_PATH, type FastPath } from "./fast-path.ts";
import { emit, type EventHook, type SessionEvent } from "./events.ts";
import type { SessionPolicy } from "./expiry.ts";
import { startPruner, type PruneOptions, type Pruner } from "./pruner.ts";
import { decorateResponse, type CommitOptions, type ManagerBase } from "./manager-shared.ts";
import { createSessionState, NO_BASE, Session, STATE, type SessionRuntime, type SessionState } from "./session.ts";
import type { Awaitable, StoredSession } from "./store.ts";
import { shortSessionId } from "./token.ts";

/** What `load()` reads of a request: only its `Cookie` header, so a Web `Request` or anything with `headers.get` will do. */
export interface RequestLike {
	headers: { get(name: string): string | null };
}

/** A stored session as `list()` shows it: its device, times, and whether it is the caller's own. */
export interface SessionInfo {
	/** A short label of the stored ID (safe to show and log; not usable as a cookie). */
	id: string;
	/** Names this session to `revokeOne` for its whole life (rotations keep it); random, not secret, not a cookie. */
	handle: string;
	/** "Chrome 131 on macOS", from User-Agent and client hints when the session got its ID; null if they said nothing. */
	device: string | null;
	/** The app's label for the device (the `device.label` option), or null. */
	label: string | null;
	/** The client's network (IPv4 /24, IPv6 /48) when the app opted in with `device.address`, else null. */
	network: string | null;
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
	/** Signs out the one session of `value` that `list()` showed with `handle`; false (nothing changed) when `value` has no such session. */
	revokeOne<K extends C>(field: K, value: Exclude<D[K], undefined>, handle: string): Promise<boolean>;
	/** Ends every session whose promoted field holds `value`, except `options.except`; returns how many. */
	revoke<K extends C>(field: K, value: Exclude<D[K], undefined>, options?: { except?: S }): Promise<number>;
	/** Deletes expired rows in batches; returns how many. */
	prune(limit?: number): Promise<number>;
	/**
	 * Prunes every `every` in batches (expired sessions in store mode, expired revocations in sealed mode),
	 * one process at a time when several share the store; call `stop()` when the server stops.
	 */
	startPruning(options?: PruneOptions): Pruner;
	/** The policy in force, after overrides. */
	readonly policy: SessionPolicy;
	/** Passes an event to the `onEvent` hook (the adapters report the bad input they answer with 400). */
	report(event: SessionEvent): void;
	/** Device Bound Session Credentials, or null without the `dbsc` option. */
	readonly dbsc: Dbsc<S> | null;
}

/** What a mode found behind a cookie: the session as a row (a sealed cookie's header is shown as one). */
export interface Located {
	row: StoredSession;
	/** Reached through an ID that a rotation already superseded (still inside its grace). */
	viaAlias: boolean;
	/** The cookie was signed or sealed by an older key. */
	staleKey: boolean;
	/** Store mode: the token the cookie carried, to re-sign it. */
	token: string | null;
	/** Sealed mode: the cookie's header. */
	header: unknown;
	/** Where the session's encoded bytes start in `row.data` (sealed mode: after the header, in the opened cookie); 0 when absent. */
	dataStart?: number;
}

/**
 * What differs between store mode and sealed mode. The core does everything both share: the cookie,
 * expiry, decoding (and resetting what does not decode), events, and the order of commit's decisions.
 * Each step returns the `Set-Cookie` value to send, or null.
 */
export interface SessionMode {
	/**
	 * Commit never merges with a concurrent writer (sealed mode), so a loaded session keeps no `base` and
	 * changes its freshly decoded data in place rather than copy it on the first assignment.
	 */
	inPlace?: true;
	/** The session behind a cookie value, or null once the reason was reported as an event. */
	locate(value: string, now: number): Awaitable<Located | null>;
	/** Forgets a session that load found expired (store mode deletes its row). */
	expired(row: StoredSession): Awaitable<void>;
	/** Checks a decoded session against what the mode knows beyond the row (sealed: per-user revocations); false once reported. */
	admit(located: Located, data: Record<string, unknown>): Awaitable<boolean>;
	/** Stores a session that had none; returns its cookie. */
	create(s: SessionState, now: number): Promise<string>;
	/** Ends the session behind `row` for good, with every ID of its login; throws when that cannot be recorded. */
	destroy(s: SessionState, row: StoredSession, now: number): Promise<void>;
	/** A new ID at once, the old login's IDs dead (`s.authenticate` also restarts the lifetime). */
	regenerate(s: SessionState, row: StoredSession, now: number): Promise<string | null>;
	/** The periodic new ID, the old one alive for the grace. */
	rotate(s: SessionState, row: StoredSession, now: number): Promise<string | null>;
	/** Writes changes, slides the idle deadline, re-signs under the newest key, as each is due (synchronously when the store answers so). */
	save(s: SessionState, row: StoredSession, now: number, changed: boolean): Awaitable<string | null>;
	/** The manager's `list`, `revoke` and `prune`. */
	list(field: string, value: unknown, options?: { current?: Session<object> }): Promise<SessionInfo[]>;
	revoke(field: string, value: unknown, options?: { except?: Session<object> }): Promise<number>;
	revokeOne(field: string, value: unknown, handle: string): Promise<boolean>;
	prune(limit?: number): Promise<number>;
	/** The store's cross-process prune lock, if it has one. */
	pruneLock?: <T>(fn: () => Promise<T>) => Promise<T | null>;
}

/**
 * What `commitCookie` answers when there is no cookie to send (most read-only requests): one settled promise
 * shared by every call, since a settled promise never changes, instead of a new one per request.
 */
const NOTHING_TO_SEND: Promise<null> = Promise.resolve(null);

/**
 * Decodes a row's bytes (from `start`); on bytes that do not decode, reports `decode_reset` and returns null.
 * Takes the row, not its ID: a sealed row makes its ID only when something reads it.
 */
export function decodeOrReset<D, F>(codec: SessionCodec<D, F>, row: { readonly id: string; readonly data: Uint8Array }, hook: EventHook | undefined, start = 0): DecodedSession<D, F> | null {
	try {
		return codec.decodeSession(row.data, start);
	} catch (e) {
		if (!(e instanceof DecodeError)) throw e;
		emit(hook, { type: "decode_reset", id: shortSessionId(row.id), reason: e.message });
		return null;
	}
}

/** Builds the manager of one schema over one mode: the single load and commit path both modes run. */
export function createCore<D extends object, F extends object, S extends Session<D, F>, C extends keyof D & string>(
	schema: SessionSchema<D, F, S>,
	base: ManagerBase,
	mode: SessionMode,
	dbsc: DbscRuntime | null = null,
): SessionManager<D, S, C> {
	const { codec } = schema;
	const { clock, hook, runtime, cookieName, blankCookie, policy, anonymous } = base;

	function fresh(request: RequestLike, hadCookie: boolean, replaces: StoredSession | null = null): S {
		const state = createSessionState(codec.initial() as Record<string, unknown>, hadCookie);
		state.replaces = replaces;
		state.request = request;
		return new schema.Session(runtime, state);
	}

	// load and commitCookie run synchronously as long as the mode and the store answer synchronously, and hand
	// back an already-settled promise: an async function would cost a promise per step and a microtask per await.

	function load(request: RequestLike): Promise<S> {
		try {
			const loaded = loadNow(request);
			return loaded instanceof Promise ? loaded : Promise.resolve(loaded);
		} catch (e) {
			return Promise.reject(e);
		}
	}

	function loadNow(request: RequestLike): Awaitable<S> {
		const cookie = sessionCookieValue(request.headers.get("cookie"), cookieName);
		if (typeof cookie !== "string") {
			if (cookie.rejected !== null) emit(hook, { type: "cookie_invalid", reason: cookie.rejected });
			return fresh(request, cookie.rejected !== null);
		}
		const now = clock();
		const located = mode.locate(cookie, now);
		return located instanceof Promise ? fromLocatedLater(request, located, now) : fromLocated(request, located, now);
	}

	// The asynchronous continuations live in functions of their own: a closure inside loadNow() or fromLocated()
	// would make JavaScriptCore allocate a scope object on every load, synchronous ones included.
	function fromLocatedLater(request: RequestLike, located: Promise<Located | null>, now: number): Promise<S> {
		return located.then((l) => fromLocated(request, l, now));
	}
	function freshLater(request: RequestLike, gone: Promise<void>): Promise<S> {
		return gone.then(() => fresh(request, true));
	}
	function loadedLater(request: RequestLike, admitted: Promise<boolean>, located: Located, decoded: DecodedSession<D, F>): Promise<S> {
		return admitted.then((ok) => (ok ? loaded(request, located, decoded) : fresh(request, true)));
	}

	function fromLocated(request: RequestLike, located: Located | null, now: number): Awaitable<S> {
		if (located === null) return fresh(request, true);
		const row = located.row;
		const expired = now >= row.absoluteExpiresAt ? "absolute_expired" : now >= row.idleExpiresAt ? "idle_expired" : null;
		if (expired !== null) {
			emit(hook, { type: expired, id: shortSessionId(row.id) });
			const gone = mode.expired(row);
			return gone instanceof Promise ? freshLater(request, gone) : fresh(request, true);
		}
		// Leave an undecodable row alone: it is replaced only if the visitor's new session gets committed.
		const decoded = decodeOrReset(codec, row, hook, located.dataStart ?? 0);
		if (decoded === null) return fresh(request, true, row);
		const data = decoded.data as Record<string, unknown>;
		// A row stored under a longer idle (a sealed cookie's header, or a row written before anonymousIdle was set).
		if (anonymous !== null && now >= row.lastSeenAt + policy.anonymousIdleMs && anonymous(data, decoded.meta)) {
			emit(hook, { type: "idle_expired", id: shortSessionId(row.id) });
			const gone = mode.expired(row);
			return gone instanceof Promise ? freshLater(request, gone) : fresh(request, true);
		}
		const admitted = mode.admit(located, data);
		if (admitted instanceof Promise) return loadedLater(request, admitted, located, decoded);
		return admitted ? loaded(request, located, decoded) : fresh(request, true);
	}

	/** The session of an admitted, decoded row. */
	function loaded(request: RequestLike, located: Located, decoded: DecodedSession<D, F>): S {
		const row = located.row;
		// A device-bound session loads only with a fresh bound cookie of its own.
		if (dbsc !== null && !dbsc.admits(request, decoded.meta, row.id)) return fresh(request, true);
		if (decoded.resets.length > 0) emit(hook, { type: "fields_reset", id: shortSessionId(row.id), fields: [...decoded.resets] });
		const state = createSessionState(decoded.data as Record<string, unknown>, true, decoded.flash as Record<string, unknown>, decoded.meta);
		if (mode.inPlace === true) state.base = NO_BASE;
		state.row = row;
		state.viaAlias = located.viaAlias;
		state.resign = located.staleKey && !located.viaAlias;
		state.token = located.token;
		state.header = located.header;
		state.request = request;
		dbsc?.track(state);
		return new schema.Session(runtime, state);
	}

	/** Commits at most once per request: a second call has nothing left to send. */
	function commitCookie(session: S): Promise<string | null> {
		try {
			const cookie = commitNow(session);
			if (cookie === null) return NOTHING_TO_SEND;
			return cookie instanceof Promise ? cookie : Promise.resolve(cookie);
		} catch (e) {
			return Promise.reject(e);
		}
	}

	function commitNow(session: S): Awaitable<string | null> {
		const s = session[STATE];
		if (s.committed) return null;
		s.committed = true;
		const now = clock();
		const row = s.row;
		if (s.destroyed) return destroy(s, row, now);
		const changed = s.dirty.length > 0 || s.flashDirty || s.metaDirty;
		if (row === null) {
			// Lazy creation: a visitor who never writes costs nothing and gets no cookie.
			if (!changed && !s.regenerate) return null;
			return create(s, now);
		}
		if (s.regenerate) return mode.regenerate(s, row, now);
		// A superseded ID never starts a rotation of its own: that would fork the login.
		if (!s.viaAlias && now - row.rotatedAt >= policy.rotation.everyMs) return mode.rotate(s, row, now);
		return mode.save(s, row, now, changed);
	}

	async function destroy(s: SessionState, row: StoredSession | null, now: number): Promise<string | null> {
		if (row !== null) {
			await mode.destroy(s, row, now);
			emit(hook, { type: "destroyed", id: shortSessionId(row.id) });
		}
		return s.hadCookie || row !== null ? blankCookie : null;
	}

	async function create(s: SessionState, now: number): Promise<string> {
		const cookie = await mode.create(s, now);
		emit(hook, { type: "created", id: shortSessionId((s.row as StoredSession).id) });
		return cookie;
	}

	/** Commits and decorates the response; synchronous while the mode and the store are. */
	function commitResponse(session: S, response: Response, options?: CommitOptions): Awaitable<Response> {
		const fromSession = session[STATE].row !== null;
		const cookie = commitNow(session);
		return cookie instanceof Promise
			? finishLater(session, response, cookie, fromSession, options)
			: finishResponse(session, response, cookie, fromSession, options);
	}

	// Apart, as for load: a closure inside commitResponse would cost a scope object on every commit.
	function finishLater(session: S, response: Response, cookie: Promise<string | null>, fromSession: boolean, options?: CommitOptions): Promise<Response> {
		return cookie.then((c) => finishResponse(session, response, c, fromSession, options));
	}

	function finishResponse(session: S, response: Response, cookie: string | null, fromSession: boolean, options?: CommitOptions): Awaitable<Response> {
		const committed = decorateResponse(response, cookie, fromSession, options);
		return dbsc === null ? committed : dbsc.finish(session[STATE], committed);
	}

	const manager: SessionManager<D, S, C> = {
		load,
		commitCookie,
		policy,
		report: (event) => emit(hook, event),
		commit(session: S, response: Response, options?: CommitOptions): Promise<Response> {
			try {
				const committed = commitResponse(session, response, options);
				return committed instanceof Promise ? committed : Promise.resolve(committed);
			} catch (e) {
				return Promise.reject(e);
			}
		},
		list: (field, value, options) => mode.list(field, value, options),
		revoke: (field, value, options) => mode.revoke(field, value, options),
		revokeOne: (field, value, handle) => mode.revokeOne(field, value, handle),
		prune: (limit) => mode.prune(limit),
		startPruning: (options = {}) => startPruner({ prune: (limit) => mode.prune(limit), ...(mode.pruneLock === undefined ? {} : { lock: mode.pruneLock }) }, options, hook),
		dbsc: null,
	};
	(manager as { [FAST_PATH]?: FastPath<S> })[FAST_PATH] = { load: loadNow, commit: commitResponse };
	if (dbsc !== null) (manager as { dbsc: Dbsc<S> | null }).dbsc = createDbsc(dbsc, manager);
	return manager;
}
