import type { SessionCodec } from "./codec.ts";
import { createCommit } from "./commit.ts";
import { createDbscRuntime } from "./dbsc-runtime.ts";
import { cookieWriter } from "./cookie.ts";
import { emit } from "./events.ts";
import { createCore, type Located, type SessionManager, type SessionSchema } from "./manager-core.ts";
import { createManagerBase, type CommonOptions } from "./manager-shared.ts";
import { createSealedManager, type SealedManagerOptions } from "./sealed-manager.ts";
import { Session, STATE } from "./session.ts";
import type { SessionModel } from "../schema/model.ts";
import { ConfigError, fromCaller, SessError } from "./errors.ts";
import type { VerifiedValue } from "./keyring.ts";
import type { Awaitable, ColumnValue, SessionLimit, Store, StoredSession } from "./store.ts";
import { sharedRows } from "./shared-rows.ts";
import { VerifiedCookies, type VerifiedCookie } from "./verified-cookies.ts";
import { hashRoutedSessionToken, hashSessionToken, isRoutedSessionToken, isSessionToken, shortSessionId } from "./token.ts";

/** Server-side mode: the session lives in a store, the cookie holds a signed random token. */
export interface SessionManagerOptions extends CommonOptions {
	store: Store;
	/**
	 * Caps the live sessions one user holds, counted by a promoted field (`field`, e.g. "userId"), atomically
	 * across processes: a login beyond `max` evicts the least recently seen session (`policy: "evict"`, the
	 * default) or fails with `SessionLimitError` (`"refuse"`). A commit that gives `field` a new value is a login.
	 * Overrides the schema's `maxSessionsPerUser` (what this leaves out comes from it; `field` defaults to the
	 * schema's, else the identity field); `false` turns the schema's limit off.
	 */
	maxSessionsPerUser?: { field?: string; max: number; policy?: "evict" | "refuse" } | false;
}

export type { RequestLike, SessionInfo, SessionManager, SessionSchema } from "./manager-core.ts";

/**
 * Creates the manager for one schema; generated `createSessions()` calls this with the schema bound and
 * names itself as `entry`.
 */
export function createSessionManager<D extends object, F extends object, S extends Session<D, F>, C extends keyof D & string>(
	schema: SessionSchema<D, F, S>,
	options: SessionManagerOptions | SealedManagerOptions,
	entry?: (...args: never[]) => unknown,
): SessionManager<D, S, C> {
	try {
		return buildManager<D, F, S, C>(schema, options);
	} catch (error) {
		// A bad option (weak key, unknown field…) is the caller's mistake: start its stack at the caller's call,
		// so an uncaught error points the runtime's code frame at the app's line, not at sess internals.
		if (error instanceof SessError) fromCaller(error, entry ?? createSessionManager);
		throw error;
	}
}

function buildManager<D extends object, F extends object, S extends Session<D, F>, C extends keyof D & string>(
	schema: SessionSchema<D, F, S>,
	options: SessionManagerOptions | SealedManagerOptions,
): SessionManager<D, S, C> {
	if ("mode" in options && options.mode === "sealed") return createSealedManager<D, F, S, C>(schema, options);
	const { model, codec } = schema;
	const store = (options as SessionManagerOptions).store;
	const reader = sharedRows(store);
	const base = createManagerBase(model, options, () => codec.initial() as Record<string, unknown>, codec.fields);
	const { keyring, clock, hook, call, cookieName, attributes, columnName } = base;
	const writes = createCommit({
		store, anonymous: base.anonymous, limit: resolveLimit(options as SessionManagerOptions, model, base.columnOf, store), device: options.device, codec: codec as SessionCodec<object, object>, policy: base.policy, columnOf: base.columnOf, checks: base.runtime.checks, call,
		random: base.random, hook, cookieFor,
	});

	const writeCookie = cookieWriter(cookieName, attributes);
	function cookieFor(token: string, absoluteExpiresAt: number, now: number): string {
		return writeCookie(keyring.sign(token, cookieName), (absoluteExpiresAt - now) / 1000);
	}

	if (store.routeBy !== undefined && ![...base.columnOf.values()].includes(store.routeBy)) {
		throw new ConfigError("invalid_config", `The store places rows by column "${store.routeBy}", which no promoted field fills; promote the user's field to that column.`);
	}
	// A store that routes rows takes only routed tokens: a cookie of another layout is malformed to it.
	const routed = store.routeBy !== undefined;
	const isToken = routed ? isRoutedSessionToken : isSessionToken;
	const idOf = routed ? hashRoutedSessionToken : hashSessionToken;

	const cookies = new VerifiedCookies(keyring, cookieName, isToken, idOf);

	function locate(value: string, now: number): Awaitable<Located | null> {
		const verified = cookies.verify(value);
		if (typeof verified === "string") {
			emit(hook, { type: "cookie_invalid", reason: verified });
			return null;
		}
		if (verified.staleKey) emit(hook, { type: "old_key_used", keyId: verified.keyId });
		// Synchronous over a synchronous store: each needless await is a trip through the microtask queue.
		const got = call("load", readRow, verified.id);
		return got instanceof Promise ? foundLater(got, now, verified) : found(verified.id, got, now, verified);
	}

	// Made once and given their arguments: a closure written inside locate would cost a function and a scope
	// object on every load, synchronous ones included.
	const readRow = (id: string): Awaitable<StoredSession | null> => reader.get(id);
	function foundLater(got: Promise<StoredSession | null>, now: number, verified: VerifiedCookie): Promise<Located | null> {
		return got.then((row) => found(verified.id, row, now, verified));
	}

	/** What `locate` makes of the row stored under `id` (a function of its own, so a load allocates no closure for it). */
	function found(id: string, row: StoredSession | null, now: number, verified: VerifiedValue): Awaitable<Located | null> {
		if (row === null) {
			emit(hook, { type: "unknown_id", id: shortSessionId(id) });
			return null;
		}
		if (row.successorId !== null) return followAlias(id, row, now, verified.value, verified.staleKey);
		return { row, viaAlias: false, staleKey: verified.staleKey, token: verified.value, header: null };
	}

	/** The live row an alias (an ID retired by rotation) points to, while its grace lasts. */
	async function followAlias(id: string, alias: StoredSession, now: number, token: string, staleKey: boolean): Promise<Located | null> {
		if (now >= alias.idleExpiresAt) {
			emit(hook, { type: "grace_expired", id: shortSessionId(id) });
			// The alias is dead either way; deleting it now narrows what clock skew between servers could reopen.
			await call("destroy", () => store.destroy(id));
			return null;
		}
		const successorId = alias.successorId as string;
		const row = await call("load", () => store.get(successorId));
		if (row === null || row.successorId !== null) {
			emit(hook, { type: "unknown_id", id: shortSessionId(id) });
			return null;
		}
		return { row, viaAlias: true, staleKey, token, header: null };
	}

	const dbsc = createDbscRuntime(options.dbsc, { ...base, sessionCookieName: cookieName, store });
	return createCore<D, F, S, C>(schema, base, {
		...writes,
		locate,
		expired: (row) => call("destroy", () => store.destroy(row.id)),
		admit: () => true,
		async list(field, value, opts) {
			const now = clock();
			const column = columnName(field, value);
			const rows = await call("list", () => store.list(column, value as ColumnValue));
			const current = opts?.current?.[STATE].row?.id;
			return rows
				.filter((r) => now < r.idleExpiresAt && now < r.absoluteExpiresAt)
				.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
				.map((r) => ({
					id: shortSessionId(r.id), handle: handleOf(r), device: r.device?.description ?? null, label: r.device?.label ?? null,
					network: r.device?.network ?? null, createdAt: new Date(r.createdAt), lastSeenAt: new Date(r.lastSeenAt),
					expiresAt: new Date(Math.min(r.idleExpiresAt, r.absoluteExpiresAt)), current: r.id === current,
				}));
		},
		async revokeOne(field, value, handle) {
			const column = columnName(field, value);
			let found = false;
			// A rotation between list and destroy moves the session to a new ID under the same handle: look again.
			for (let attempt = 0; attempt < 3; attempt++) {
				const rows = await call("list", () => store.list(column, value as ColumnValue));
				const row = rows.find((r) => handleOf(r) === handle);
				if (row === undefined) break;
				await call("revoke", () => store.destroy(row.id));
				found = true;
			}
			if (found) emit(hook, { type: "revoked", column, count: 1 });
			return found;
		},
		async revoke(field, value, opts) {
			const column = columnName(field, value);
			const except = opts?.except?.[STATE].row?.id;
			const count = await call("revoke", () => store.revoke(column, value as ColumnValue, except));
			emit(hook, { type: "revoked", column, count });
			return count;
		},
		async prune(limit) {
			return call("prune", () => store.prune(clock(), limit));
		},
		...(store.withPruneLock === undefined ? {} : { pruneLock: <T>(fn: () => Promise<T>) => (store.withPruneLock as NonNullable<Store["withPruneLock"]>).call(store, fn) as Promise<T | null> }),
	}, dbsc);
}

/** A row's handle: its device record's, or for a row written before device records, a label of its ID. */
function handleOf(row: StoredSession): string {
	return row.device?.handle ?? `id-${shortSessionId(row.id)}`;
}

/** The limit in force (the run-time option over the schema's), checked against the schema and the store; null when there is none. */
function resolveLimit(options: SessionManagerOptions, model: SessionModel, columnOf: ReadonlyMap<string, string>, store: Store): { field: string; limit: SessionLimit } | null {
	const option = options.maxSessionsPerUser;
	const declared = model.maxSessionsPerUser;
	if (option === false || (option === undefined && declared === undefined)) return null;
	const field = option?.field ?? declared?.field ?? model.data.find((f) => f.identity === true)?.name;
	if (field === undefined) {
		throw new ConfigError("invalid_config", "maxSessionsPerUser.field is needed: the schema has no identity field to count sessions by; name a promoted field.");
	}
	const column = columnOf.get(field);
	if (column === undefined) {
		throw new ConfigError("invalid_config", `maxSessionsPerUser.field "${field}" is not a promoted field; promote it with .meta({ column: "…" }) in the session schema.`);
	}
	const max = option?.max ?? (declared as NonNullable<typeof declared>).max;
	if (!Number.isSafeInteger(max) || max < 1) throw new ConfigError("invalid_config", `maxSessionsPerUser.max must be a whole number ≥ 1, got ${String(max)}.`);
	const policy = option?.policy ?? declared?.policy ?? "evict";
	if (policy !== "evict" && policy !== "refuse") throw new ConfigError("invalid_config", `maxSessionsPerUser.policy must be "evict" or "refuse", got "${String(policy)}".`);
	if (store.routeBy !== undefined && store.routeBy !== column) {
		throw new ConfigError("invalid_config", `maxSessionsPerUser counts "${column}" but the store places rows by "${store.routeBy}": count by the store's column, or place rows by this one.`);
	}
	if (store.admit === undefined) throw new ConfigError("invalid_config", "maxSessionsPerUser needs a store with admit(); the memory, SQLite, PostgreSQL, MySQL and Redis stores have it.");
	return { field, limit: { column, max, policy } };
}
