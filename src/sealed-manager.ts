import { readSessionCookie, serializeCookie } from "./cookie.ts";
import { decodeHex, encodeHex } from "./crypto.ts";
import { createDbsc, createDbscRuntime, type Dbsc } from "./dbsc.ts";
import { ConfigError, DecodeError } from "./errors.ts";
import { emit } from "./events.ts";
import { idleDeadline } from "./expiry.ts";
import { createManagerBase, decorateResponse, type CommitOptions, type CommonOptions } from "./manager-shared.ts";
import type { RequestLike, SessionManager, SessionSchema } from "./manager.ts";
import { Revocations } from "./revocation.ts";
import { decodeSealedPlaintext, encodeSealedPlaintext, SEALED_ID_BYTES, type SealedHeader } from "./sealed.ts";
import { createSessionState, Session, STATE, type SessionState } from "./session.ts";
import type { ColumnValue, Store, StoredSession } from "./store.ts";
import { shortSessionId } from "./token.ts";

/**
 * Sealed mode: the session's bytes travel in the cookie, encrypted and authenticated (AES-256-GCM)
 * with issued-at, last-seen and absolute deadline inside. A small store holds only revocations, so
 * logout, revoke-others and revoke-all still work (OWASP ASVS 7.4.1).
 */
export interface SealedManagerOptions extends CommonOptions {
	mode: "sealed";
	/** Where denied sealed IDs and per-user "not before" times live (any `Store`; rows are tiny and expire). */
	revocations: Store;
}

/** Creates the sealed-mode manager; `createSessionManager` dispatches here on `mode: "sealed"`. */
export function createSealedManager<D extends object, F extends object, S extends Session<D, F>, C extends keyof D & string>(
	schema: SessionSchema<D, F, S>,
	options: SealedManagerOptions,
): SessionManager<D, S, C> {
	const { model, codec } = schema;
	if (!model.sealed) {
		throw new ConfigError("invalid_config", "This schema does not allow sealed mode: add `sealed: true` to defineSession (it checks the cookie fits and no field is sensitive), then run `sess generate`.");
	}
	const base = createManagerBase(model, options);
	const { keyring, policy, clock, random, hook, call, runtime, cookieName, attributes, blankCookie, columnOf, columnName } = base;
	const revocations = new Revocations(options.revocations, call);
	const dbscRuntime = createDbscRuntime(options.dbsc, { keyring, clock, random, hook, call, attributes, sessionCookieName: cookieName, store: options.revocations });

	const newSession = (state: SessionState): S => new schema.Session(runtime, state);
	const fresh = (hadCookie: boolean): S => newSession(createSessionState(codec.initial() as Record<string, unknown>, hadCookie));

	function columnsOf(data: Record<string, unknown>): Record<string, ColumnValue> {
		const columns: Record<string, ColumnValue> = {};
		for (const [field, column] of columnOf) columns[column] = (data[field] as ColumnValue | undefined) ?? null;
		return columns;
	}

	/** The sealed header as a row, so `Session` and the lifecycle getters work unchanged. */
	function asRow(header: SealedHeader, data: Uint8Array, columns: Record<string, ColumnValue>, id = encodeHex(header.sid)): StoredSession {
		return {
			id, successorId: null, version: 0, data, createdAt: header.createdAt, rotatedAt: header.issuedAt,
			lastSeenAt: header.lastSeenAt, idleExpiresAt: idleDeadline(policy, header.lastSeenAt, header.absoluteExpiresAt),
			absoluteExpiresAt: header.absoluteExpiresAt, columns,
		};
	}

	async function load(request: RequestLike): Promise<S> {
		const cookie = readSessionCookie(request.headers.get("cookie"), cookieName);
		if (cookie.value === null) {
			if (cookie.rejected !== null) emit(hook, { type: "cookie_invalid", reason: cookie.rejected });
			return fresh(cookie.rejected !== null);
		}
		const opened = keyring.open(cookie.value, cookieName);
		const plain = opened === null ? null : decodeSealedPlaintext(opened.bytes);
		if (opened === null || plain === null) {
			emit(hook, { type: "cookie_invalid", reason: opened === null ? "bad_signature" : "malformed" });
			return fresh(true);
		}
		if (opened.staleKey) emit(hook, { type: "old_key_used", keyId: opened.keyId });
		const { header, codecBytes } = plain;
		const sid = encodeHex(header.sid);
		const now = clock();
		const expired = now >= header.absoluteExpiresAt ? "absolute_expired" : now >= header.lastSeenAt + policy.idleMs ? "idle_expired" : null;
		if (expired !== null) {
			emit(hook, { type: expired, id: shortSessionId(sid) });
			return fresh(true);
		}
		const denied = revocations.deniedFrom(sid);
		const deniedFrom = denied instanceof Promise ? await denied : denied;
		if (deniedFrom !== null && now >= deniedFrom) {
			emit(hook, { type: "sealed_revoked", id: shortSessionId(sid), reason: "denied" });
			return fresh(true);
		}
		let decoded;
		try {
			decoded = codec.decodeSession(codecBytes);
		} catch (e) {
			if (!(e instanceof DecodeError)) throw e;
			emit(hook, { type: "decode_reset", id: shortSessionId(sid), reason: e.message });
			return fresh(true);
		}
		const data = decoded.data as Record<string, unknown>;
		const columns = columnsOf(data);
		for (const [column, value] of Object.entries(columns)) {
			if (value === null) continue;
			const pending = revocations.notBefore(column, value);
			const notBefore = pending instanceof Promise ? await pending : pending;
			if (notBefore !== null && header.issuedAt < notBefore) {
				emit(hook, { type: "sealed_revoked", id: shortSessionId(sid), reason: "not_before" });
				return fresh(true);
			}
		}
		if (dbscRuntime !== null && !dbscRuntime.admits(request, decoded.meta, sid)) return fresh(true);
		if (decoded.resets.length > 0) emit(hook, { type: "fields_reset", id: shortSessionId(sid), fields: decoded.resets });
		const state = createSessionState(data, true, decoded.flash as Record<string, unknown>, decoded.meta);
		state.row = asRow(header, codecBytes, columns, sid);
		state.resign = opened.staleKey;
		dbscRuntime?.track(state);
		return newSession(state);
	}

	/** Seals the state under a header, sets it as the row, and returns the `Set-Cookie` value. */
	function seal(s: SessionState, header: SealedHeader, now: number): string {
		const codecBytes = codec.encodeTrusted(s.data as D, s.flash as Partial<F>, s.meta);
		s.row = asRow(header, codecBytes, columnsOf(s.data));
		const value = keyring.seal(encodeSealedPlaintext(header, codecBytes), cookieName, random);
		return serializeCookie(cookieName, value, { ...attributes, maxAge: (header.absoluteExpiresAt - now) / 1000 });
	}

	function newId(): Uint8Array {
		const sid = new Uint8Array(SEALED_ID_BYTES);
		random(sid);
		return sid;
	}

	async function commitCookie(session: S): Promise<string | null> {
		const s = session[STATE];
		if (s.committed) return null;
		s.committed = true;
		const now = clock();
		const row = s.row;
		if (s.destroyed) {
			if (row !== null) {
				await revocations.deny(row.id, now, row.absoluteExpiresAt, now);
				emit(hook, { type: "destroyed", id: shortSessionId(row.id) });
			}
			return s.hadCookie || row !== null ? blankCookie : null;
		}
		const changed = s.dirty.size > 0 || s.flashDirty || s.metaDirty;
		if (row === null || s.regenerate) {
			if (row === null && !changed && !s.regenerate) return null;
			// A new authentication is a new session: the old sealed ID is denied at once (fixation).
			if (row !== null) await revocations.deny(row.id, now, row.absoluteExpiresAt, now);
			const header = { sid: newId(), createdAt: now, issuedAt: now, lastSeenAt: now, absoluteExpiresAt: now + policy.absoluteMs };
			const next = shortSessionId(encodeHex(header.sid));
			emit(hook, row === null ? { type: "created", id: next } : { type: "regenerated", id: shortSessionId(row.id), next });
			return seal(s, header, now);
		}
		const current: SealedHeader = { sid: decodeHex(row.id), createdAt: row.createdAt, issuedAt: row.rotatedAt, lastSeenAt: row.lastSeenAt, absoluteExpiresAt: row.absoluteExpiresAt };
		if (now - row.rotatedAt >= policy.rotation.everyMs) {
			// Racing requests may each rotate (the cookie is the state); every new ID is valid, the old one dies after the grace.
			await revocations.deny(row.id, now + policy.rotation.graceMs, row.absoluteExpiresAt, now);
			const header = { ...current, sid: newId(), issuedAt: now, lastSeenAt: now };
			emit(hook, { type: "rotated", id: shortSessionId(row.id), next: shortSessionId(encodeHex(header.sid)) });
			return seal(s, header, now);
		}
		// The cookie carries last-seen, so sliding the idle deadline means a new cookie.
		const touch = now - row.lastSeenAt >= policy.touchAfterMs;
		if (!changed && !touch && !s.resign && !s.reissue) return null;
		return seal(s, { ...current, lastSeenAt: now, issuedAt: s.reissue ? now : current.issuedAt }, now);
	}

	const manager: SessionManager<D, S, C> = {
		dbsc: null,
		load,
		commitCookie,
		policy,
		report: (event) => emit(hook, event),
		async commit(session: S, response: Response, opts?: CommitOptions): Promise<Response> {
			const fromSession = session[STATE].row !== null;
			const committed = decorateResponse(response, await commitCookie(session), fromSession, opts);
			return dbscRuntime === null ? committed : dbscRuntime.finish(session[STATE], committed);
		},
		async list(field, value, opts) {
			// Sealed sessions live in browsers; the server knows only the caller's own.
			const column = columnName(field);
			const own = opts?.current?.[STATE].row;
			if (own === undefined || own === null || own.columns[column] !== value) return [];
			return [{
				id: shortSessionId(own.id), createdAt: new Date(own.createdAt), lastSeenAt: new Date(own.lastSeenAt),
				expiresAt: new Date(Math.min(own.idleExpiresAt, own.absoluteExpiresAt)), current: true,
			}];
		},
		async revoke(field, value, opts) {
			const column = columnName(field);
			const now = clock();
			await revocations.revokeBefore(column, value as ColumnValue, now, now + policy.absoluteMs, now);
			const keep = opts?.except?.[STATE];
			// The kept device gets a cookie issued now, which the new "not before" accepts.
			if (keep !== undefined) keep.reissue = true;
			// How many cookies that cut off is unknowable without server state; report what the server knows.
			emit(hook, { type: "revoked", column, count: 0 });
			return 0;
		},
		async prune(limit) {
			return revocations.prune(clock(), limit);
		},
	};
	if (dbscRuntime !== null) (manager as { dbsc: Dbsc<S> | null }).dbsc = createDbsc(dbscRuntime, manager);
	return manager;
}

