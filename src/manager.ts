import type { SessionModel } from "../schema/model.ts";
import { parseDuration, type Duration } from "../schema/duration.ts";
import type { SessionCodec } from "./codec.ts";
import { createCommit } from "./commit.ts";
import { MAX_COOKIE_HEADER, readCookieValues, serializeCookie, type CookieAttributes } from "./cookie.ts";
import { DecodeError } from "./errors.ts";
import { emit, type EventHook } from "./events.ts";
import { resolvePolicy, type SessionPolicy } from "./expiry.ts";
import { Keyring, type KeyInput } from "./keyring.ts";
import { Session, STATE, type SessionRuntime, type SessionState } from "./session.ts";
import type { ColumnValue, Store, StoredSession } from "./store.ts";
import { createStoreCall } from "./store-call.ts";
import { hashSessionToken, isSessionToken, secureRandom, shortSessionId, type RandomSource } from "./token.ts";
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

/** Per-response choices at commit. */
export interface CommitOptions {
	/** `"allow"` leaves caching headers to the app for this route (for pages that show nothing of the session). */
	cache?: "private" | "allow";
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
}

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
		now: clock,
		random,
	};
	const columnOf = new Map(model.table.columns.map((c) => [c.field, c.name]));

	const call = createStoreCall(timeoutMs, hook);
	const commitState = createCommit({
		store, codec: codec as SessionCodec<object, object>, policy, columnOf, call, random, clock, hook, cookieFor, blankCookie,
	});

	function fresh(hadCookie: boolean, replaces: StoredSession | null = null): S {
		const data = codec.initial() as Record<string, unknown>;
		return newSession({
			data: { ...data }, base: data, dirty: new Set(), flash: {}, flashDirty: false, meta: {}, metaDirty: false, row: null, viaAlias: false, hadCookie,
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
			data: { ...data }, base: data, dirty: new Set(), flash: { ...decoded.flash }, flashDirty: false, meta: decoded.meta, metaDirty: false, row, viaAlias,
			hadCookie: true, resign: verified.staleKey && !viaAlias, token: verified.value, regenerate: false, destroyed: false, committed: false,
			replaces: null, overwritten: new Set(), merged: false,
		});
	}

	function cookieFor(token: string, absoluteExpiresAt: number, now: number): string {
		return serializeCookie(cookieName, keyring.sign(token, cookieName), { ...attributes, maxAge: (absoluteExpiresAt - now) / 1000 });
	}
	/** Commits at most once per request: a second call has nothing left to send. */
	async function commitCookie(session: S): Promise<string | null> {
		return commitState(session[STATE]);
	}

	async function commit(session: S, response: Response, options?: CommitOptions): Promise<Response> {
		const existed = session[STATE].row !== null;
		const cookie = await commitCookie(session);
		// A shared cache must never store or replay a response that carries someone's session or was built from it.
		const private_ = options?.cache !== "allow" && (cookie !== null || existed);
		if (cookie === null && !private_) return response;
		const apply = (r: Response): void => {
			if (cookie !== null) r.headers.append("set-cookie", cookie);
			if (!private_) return;
			r.headers.set("cache-control", "private, no-store");
			const vary = r.headers.get("vary");
			if (vary === null || !/(^|,)\s*cookie\s*(,|$)/i.test(vary)) r.headers.append("vary", "Cookie");
		};
		let out = response;
		try {
			apply(out);
		} catch {
			// Immutable headers (e.g. Response.redirect): the first write throws, so copy and write again.
			out = new Response(response.body, response);
			apply(out);
		}
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
