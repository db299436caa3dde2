import { serializeCookie } from "./cookie.ts";
import { encodeHex } from "./crypto.ts";
import { createDbscRuntime } from "./dbsc-runtime.ts";
import { ConfigError } from "./errors.ts";
import { emit } from "./events.ts";
import { idleDeadline } from "./expiry.ts";
import { createCore, type Located, type SessionManager, type SessionSchema } from "./manager-core.ts";
import { createManagerBase, type CommonOptions } from "./manager-shared.ts";
import { Revocations } from "./revocation.ts";
import { decodeSealedPlaintext, encodeSealedPlaintext, SEALED_ID_BYTES, type SealedHeader } from "./sealed.ts";
import { Session, STATE, type SessionState } from "./session.ts";
import type { Awaitable, ColumnValue, Store, StoredSession } from "./store.ts";
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
	const { keyring, policy, clock, random, hook, call, cookieName, attributes, columnOf, columnName } = base;
	const revocations = new Revocations(options.revocations, call);

	function columnsOf(data: Record<string, unknown>): Record<string, ColumnValue> {
		const columns: Record<string, ColumnValue> = {};
		for (const [field, column] of columnOf) columns[column] = (data[field] as ColumnValue | undefined) ?? null;
		return columns;
	}

	/** The sealed header as a row, so the core, `Session` and the lifecycle getters work unchanged. */
	function asRow(header: SealedHeader, data: Uint8Array, columns: Record<string, ColumnValue>, id = encodeHex(header.sid)): StoredSession {
		return {
			id, successorId: null, version: 0, data, createdAt: header.createdAt, rotatedAt: header.issuedAt,
			lastSeenAt: header.lastSeenAt, idleExpiresAt: idleDeadline(policy, header.lastSeenAt, header.absoluteExpiresAt),
			absoluteExpiresAt: header.absoluteExpiresAt, columns,
		};
	}

	function locate(value: string, now: number): Awaitable<Located | null> {
		const opened = keyring.open(value, cookieName);
		const plain = opened === null ? null : decodeSealedPlaintext(opened.bytes);
		if (opened === null || plain === null) {
			emit(hook, { type: "cookie_invalid", reason: opened === null ? "bad_signature" : "malformed" });
			return null;
		}
		if (opened.staleKey) emit(hook, { type: "old_key_used", keyId: opened.keyId });
		const { header, codecBytes } = plain;
		const sid = encodeHex(header.sid);
		// Columns are filled in by admit(), once the data is decoded.
		const located: Located = { row: asRow(header, codecBytes, {}, sid), viaAlias: false, staleKey: opened.staleKey, token: null, header };
		// An expired cookie is the core's to report; it costs no revocation lookup.
		if (now >= located.row.absoluteExpiresAt || now >= located.row.idleExpiresAt) return located;
		const denied = revocations.deniedFrom(sid);
		const check = (deniedFrom: number | null): Located | null => {
			if (deniedFrom !== null && now >= deniedFrom) {
				emit(hook, { type: "sealed_revoked", id: shortSessionId(sid), reason: "denied" });
				return null;
			}
			return located;
		};
		return denied instanceof Promise ? denied.then(check) : check(denied);
	}

	/** Per-user revocations (revoke-all, revoke-others); synchronous over a synchronous store. */
	function admit(located: Located, data: Record<string, unknown>): Awaitable<boolean> {
		const row = located.row;
		row.columns = columnsOf(data);
		const checks = Object.entries(row.columns);
		const next = (i: number): Awaitable<boolean> => {
			for (; i < checks.length; i++) {
				const [column, value] = checks[i] as [string, ColumnValue];
				if (value === null) continue;
				const pending = revocations.notBefore(column, value);
				if (pending instanceof Promise) return pending.then((at) => passes(row, at) && next(i + 1));
				if (!passes(row, pending)) return false;
			}
			return true;
		};
		return next(0);
	}

	function passes(row: StoredSession, notBefore: number | null): boolean {
		if (notBefore === null || row.rotatedAt >= notBefore) return true;
		emit(hook, { type: "sealed_revoked", id: shortSessionId(row.id), reason: "not_before" });
		return false;
	}

	/** Seals the state under a header, sets it as the row, and returns the `Set-Cookie` value. */
	function seal(s: SessionState, header: SealedHeader, now: number): string {
		const codecBytes = codec.encodeTrusted(s.data as D, s.flash as Partial<F>, s.meta);
		s.row = asRow(header, codecBytes, columnsOf(s.data));
		s.header = header;
		const value = keyring.seal(encodeSealedPlaintext(header, codecBytes), cookieName, random);
		return serializeCookie(cookieName, value, { ...attributes, maxAge: (header.absoluteExpiresAt - now) / 1000 });
	}

	function newId(): Uint8Array {
		const sid = new Uint8Array(SEALED_ID_BYTES);
		random(sid);
		return sid;
	}

	function headerOf(s: SessionState): SealedHeader {
		return s.header as SealedHeader;
	}

	// Used challenges are recorded beside the revocations: the only server state of this mode.
	const dbsc = createDbscRuntime(options.dbsc, { ...base, sessionCookieName: base.cookieName, store: options.revocations });
	return createCore<D, F, S, C>(schema, base, {
		locate,
		expired: () => undefined,
		admit,
		async create(s, now) {
			return seal(s, { sid: newId(), createdAt: now, issuedAt: now, lastSeenAt: now, absoluteExpiresAt: now + policy.absoluteMs }, now);
		},
		async destroy(_s, row, now) {
			await revocations.deny(row.id, now, row.absoluteExpiresAt, now);
		},
		async regenerate(s, row, now) {
			// A new authentication is a new session: the old sealed ID is denied at once (fixation).
			await revocations.deny(row.id, now, row.absoluteExpiresAt, now);
			const header = { sid: newId(), createdAt: now, issuedAt: now, lastSeenAt: now, absoluteExpiresAt: now + policy.absoluteMs };
			emit(hook, { type: "regenerated", id: shortSessionId(row.id), next: shortSessionId(encodeHex(header.sid)) });
			return seal(s, header, now);
		},
		async rotate(s, row, now) {
			// Racing requests may each rotate (the cookie is the state); every new ID is valid, the old one dies after the grace.
			await revocations.deny(row.id, now + policy.rotation.graceMs, row.absoluteExpiresAt, now);
			const header = { ...headerOf(s), sid: newId(), issuedAt: now, lastSeenAt: now };
			emit(hook, { type: "rotated", id: shortSessionId(row.id), next: shortSessionId(encodeHex(header.sid)) });
			return seal(s, header, now);
		},
		async save(s, row, now, changed) {
			// The cookie carries last-seen, so sliding the idle deadline means a new cookie.
			const touch = now - row.lastSeenAt >= policy.touchAfterMs;
			if (!changed && !touch && !s.resign && !s.reissue) return null;
			const current = headerOf(s);
			return seal(s, { ...current, lastSeenAt: now, issuedAt: s.reissue ? now : current.issuedAt }, now);
		},
		async list(field, value, opts) {
			// Sealed sessions live in browsers; the server knows only the caller's own.
			const column = columnName(field, value);
			const own = opts?.current?.[STATE].row;
			if (own === undefined || own === null || own.columns[column] !== value) return [];
			return [{
				id: shortSessionId(own.id), createdAt: new Date(own.createdAt), lastSeenAt: new Date(own.lastSeenAt),
				expiresAt: new Date(Math.min(own.idleExpiresAt, own.absoluteExpiresAt)), current: true,
			}];
		},
		async revoke(field, value, opts) {
			const column = columnName(field, value);
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
	}, dbsc);
}
