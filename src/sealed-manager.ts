import { cookieWriter } from "./cookie.ts";
import { decodeBase64url, encodeBase64url, encodeHex } from "./crypto.ts";
import { createDbscRuntime, type DbscOptions } from "./dbsc-runtime.ts";
import type { DbscAlgorithm } from "./dbsc-headers.ts";
import type { SessionModel } from "../schema/model.ts";
import { COOKIE_LIMIT, DBSC_KEY_BYTES, sealedCookieSize } from "../schema/sealed-size.ts";
import { ConfigError } from "./errors.ts";
import { describeDevice } from "./device.ts";
import { emit } from "./events.ts";
import { idleDeadline } from "./expiry.ts";
import { createCore, type Located, type SessionManager, type SessionSchema } from "./manager-core.ts";
import { createManagerBase, type CommonOptions } from "./manager-shared.ts";
import { Revocations, type LineageRecord } from "./revocation.ts";
import { LINEAGE_BYTES, lineageHex, readSealedPlaintext, sealedPlaintextWriter, type SealedHeader } from "./sealed.ts";
import { Session, STATE, type SessionState } from "./session.ts";
import type { Awaitable, ColumnValue, Store, StoredSession } from "./store.ts";
import { shortSessionId } from "./token.ts";

/**
 * Sealed mode: the session's bytes travel in the cookie, encrypted and authenticated (AES-256-GCM)
 * with its login (lineage), generation, issued-at, last-seen and absolute deadline inside. A small store
 * holds only what ends cookies early: per login, its newest generation and whether it was ended; per
 * user, a "not before" mark. So logout, revoke-others and revoke-all still work (OWASP ASVS 7.4.1).
 */
export interface SealedManagerOptions extends CommonOptions {
	mode: "sealed";
	/** Where ended or rotated logins and per-user "not before" marks live (any `Store`; rows are tiny and expire). */
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
	const base = createManagerBase(model, options, () => codec.initial() as Record<string, unknown>, codec.fields);
	const { keyring, policy, clock, random, hook, call, cookieName, attributes, columnOf, columnName } = base;
	const revocations = new Revocations(options.revocations, call, base.quietCall);

	const fieldList = [...columnOf.keys()];
	const columnList = [...columnOf.values()];

	// The Set-Cookie line's constant parts built once; only the value and Max-Age change per cookie.
	const setCookie = cookieWriter(cookieName, attributes);

	function columnsOf(data: Record<string, unknown>): Record<string, ColumnValue> {
		const columns: Record<string, ColumnValue> = {};
		// Index loops over two arrays: a Map's iterator and its entry pairs would be garbage on every request.
		for (let i = 0; i < fieldList.length; i++) columns[columnList[i] as string] = (data[fieldList[i] as string] as ColumnValue | undefined) ?? null;
		return columns;
	}

	/** The sealed header as a row, so the core, `Session` and the lifecycle getters work unchanged. */
	function asRow(header: SealedHeader, data: Uint8Array, columns: Record<string, ColumnValue>, anonymous = false): StoredSession {
		return new SealedRow(header, data, idleDeadline(policy, header.lastSeenAt, header.absoluteExpiresAt, anonymous), columns);
	}

	function locate(value: string, now: number): Awaitable<Located | null> {
		const bytes = keyring.openBytes(value, cookieName);
		const plain = bytes === null ? null : readSealedPlaintext(bytes);
		if (bytes === null || plain === null) {
			emit(hook, { type: "cookie_invalid", reason: bytes === null ? "bad_signature" : "malformed" });
			return null;
		}
		const olderKey = keyring.olderKeyId(value);
		if (olderKey !== null) emit(hook, { type: "old_key_used", keyId: olderKey });
		const header = plain.header;
		// The opened plaintext is the row's data, read from `dataStart` on; columns are filled in by admit(), once the data is decoded.
		const located: Located = { row: asRow(header, bytes, NO_COLUMNS), viaAlias: false, staleKey: olderKey !== null, token: null, header, dataStart: plain.codecStart };
		// An expired cookie is the core's to report; it costs no revocation lookup.
		if (now >= located.row.absoluteExpiresAt || now >= located.row.idleExpiresAt) return located;
		const pending = revocations.lineage(lineageHex(header));
		return pending instanceof Promise ? checkLineageLater(pending, located, header, now) : checkLineage(located, header, pending, now);
	}

	/** checkLineage once the store answers; its own function, so locate() itself captures nothing (no scope object per load). */
	function checkLineageLater(pending: Promise<LineageRecord | null>, located: Located, header: SealedHeader, now: number): Promise<Located | null> {
		return pending.then((record) => checkLineage(located, header, record, now));
	}

	/** The located cookie if its lineage record lets it load (no record: never rotated nor ended), else null once reported. */
	function checkLineage(located: Located, header: SealedHeader, record: LineageRecord | null, now: number): Located | null {
		if (record === null || (!record.denied && header.generation >= record.head)) return located;
		if (record.denied) {
			emit(hook, { type: "sealed_revoked", id: shortSessionId(located.row.id), reason: "denied" });
			return null;
		}
		// Superseded by a rotation: the previous generation loads for the grace, as an alias that never rotates.
		if (header.generation === record.head - 1 && now < record.graceUntil) {
			located.viaAlias = true;
			return located;
		}
		emit(hook, { type: "grace_expired", id: shortSessionId(located.row.id) });
		return null;
	}

	/** Per-user revocations (revoke-all, revoke-others); synchronous over a synchronous store. */
	function admit(located: Located, data: Record<string, unknown>): Awaitable<boolean> {
		const row = located.row;
		const since = (located.header as SealedHeader).since;
		const columns = (row.columns = columnsOf(data));
		// A plain loop while the store answers synchronously: no closure, no entries array per request.
		for (let i = 0; i < columnList.length; i++) {
			const column = columnList[i] as string;
			const value = columns[column] as ColumnValue;
			if (value === null) continue;
			const pending = revocations.notBefore(column, value);
			if (pending instanceof Promise) return admitLater(pending, row, since, i + 1);
			if (!passes(row, since, pending)) return false;
		}
		return true;
	}

	/** The rest of admit() from the first asynchronous answer on; apart, so admit()'s loop captures nothing. */
	async function admitLater(pending: Promise<number | null>, row: StoredSession, since: number, from: number): Promise<boolean> {
		return passes(row, since, await pending) && admitFrom(row, since, from);
	}

	/** The rest of admit() once the store answered asynchronously. */
	async function admitFrom(row: StoredSession, since: number, from: number): Promise<boolean> {
		for (let i = from; i < columnList.length; i++) {
			const column = columnList[i] as string;
			const value = row.columns[column] as ColumnValue;
			if (value === null) continue;
			if (!passes(row, since, await revocations.notBefore(column, value))) return false;
		}
		return true;
	}

	/** A login at or before the mark is revoked: ties go against the cookie, so a revoke wins within its millisecond. */
	function passes(row: StoredSession, since: number, mark: number | null): boolean {
		if (mark === null || since > mark) return true;
		emit(hook, { type: "sealed_revoked", id: shortSessionId(row.id), reason: "not_before" });
		return false;
	}

	/**
	 * A login's time: now, or just after the newest "not before" mark of its user when that is as late, so a
	 * revoke earlier in the same millisecond (or a mark moved past the clock by repeated revokes) spares it.
	 */
	async function loginTime(data: Record<string, unknown>, now: number): Promise<number> {
		let since = now;
		for (const [column, value] of Object.entries(columnsOf(data))) {
			if (value === null) continue;
			const mark = await revocations.notBefore(column, value);
			if (mark !== null && mark >= since) since = mark + 1;
		}
		return since;
	}

	/**
	 * Seals the state under a header, sets it as the row, and returns the `Set-Cookie` value. The session's
	 * bytes are encoded straight after the header, in the one buffer that is sealed: no copy of their own.
	 */
	function seal(s: SessionState, header: SealedHeader, now: number): string {
		const w = sealedPlaintextWriter(header);
		codec.writeTrusted(w, s.data as D, s.flash as Partial<F>, s.meta);
		const loaded = s.header as SealedHeader | null;
		const row = s.row;
		if (row !== null && loaded !== null && loaded.lineage === header.lineage && loaded.generation === header.generation) refresh(row, header, s);
		else s.row = asRow(header, SEALED_AWAY, columnsOf(s.data), anonymousOf(s));
		s.header = header;
		// `keyId.` and the sealed body go into the Set-Cookie line in one step, not joined into a value first.
		const body = keyring.sealBody(w.written(), cookieName, random);
		return setCookie(keyring.sealPrefix, (header.absoluteExpiresAt - now) / 1000, body);
	}

	/**
	 * The loaded row brought up to a header of the same login and generation, in place (its ID stays): the row
	 * was built from this request's cookie, so it is this request's own and nothing else sees it change.
	 */
	function refresh(row: StoredSession, header: SealedHeader, s: SessionState): void {
		row.data = SEALED_AWAY;
		row.createdAt = header.createdAt;
		row.rotatedAt = header.issuedAt;
		row.lastSeenAt = header.lastSeenAt;
		row.idleExpiresAt = idleDeadline(policy, header.lastSeenAt, header.absoluteExpiresAt, anonymousOf(s));
		row.absoluteExpiresAt = header.absoluteExpiresAt;
		if (!sameColumns(row.columns, s.data)) row.columns = columnsOf(s.data);
	}

	/** Whether `columns` still holds the data's promoted values (the usual commit changes none of them). */
	function sameColumns(columns: Record<string, ColumnValue>, data: Record<string, unknown>): boolean {
		for (let i = 0; i < fieldList.length; i++) {
			if (columns[columnList[i] as string] !== ((data[fieldList[i] as string] as ColumnValue | undefined) ?? null)) return false;
		}
		return true;
	}

	function newLineage(): Uint8Array {
		const lineage = new Uint8Array(LINEAGE_BYTES);
		random(lineage);
		return lineage;
	}

	const headerOf = (s: SessionState): SealedHeader => s.header as SealedHeader;

	/**
	 * A login's handle for `list()` and `revokeOne()`: its lineage, signed for this user, so it names the
	 * login through every rotation, and a handle shown to one user ends nothing of another's. Not secret:
	 * it cannot open or forge a cookie. A new signing key gives new handles (the old ones still verify).
	 */
	function handleOf(header: SealedHeader, column: string, value: unknown): string {
		return keyring.sign(encodeBase64url(header.lineage), handleContext(column, value));
	}
	/** Whether the session takes the anonymous idle (the core expires it on load; the header keeps one last-seen time). */
	const anonymousOf = (s: SessionState): boolean => base.anonymous !== null && base.anonymous(s.data, s.meta);

	/** Writes changes, slides last-seen, re-seals under the newest key; a superseded generation only carries its changes until its grace ends. */
	function save(s: SessionState, row: StoredSession, now: number, changed: boolean): string | null {
		const current = headerOf(s);
		if (s.viaAlias) return changed ? seal(s, current, now) : null;
		// The cookie carries last-seen, so sliding the idle deadline means a new cookie.
		const touch = now - row.lastSeenAt >= (anonymousOf(s) ? policy.anonymousTouchAfterMs : policy.touchAfterMs);
		if (!changed && !touch && !s.resign && !s.reissue) return null;
		// Slid in place: the header was read from this request's own cookie (or made by it), so nothing else holds it.
		current.lastSeenAt = now;
		return seal(s, current, now);
	}

	// Used challenges are recorded beside the revocations: the only server state of this mode.
	const dbsc = createDbscRuntime(options.dbsc === undefined ? undefined : sealedDbsc(model, options.dbsc), { ...base, sessionCookieName: base.cookieName, store: options.revocations });
	return createCore<D, F, S, C>(schema, base, {
		inPlace: true,
		locate,
		expired: () => undefined,
		admit,
		async create(s, now) {
			const since = await loginTime(s.data, now);
			const header = { lineage: newLineage(), generation: 0, createdAt: now, since, issuedAt: now, lastSeenAt: now, absoluteExpiresAt: now + policy.absoluteMs };
			return seal(s, header, now);
		},
		async destroy(s, row, now) {
			// Denies the login, not one cookie: every rotation, grace re-issue and copy of it dies together.
			await revocations.deny(lineageHex(headerOf(s)), row.absoluteExpiresAt, now);
		},
		async regenerate(s, row, now) {
			const old = headerOf(s);
			// Fixation and privilege change: the old login is denied before the new cookie exists.
			await revocations.deny(lineageHex(old), row.absoluteExpiresAt, now, "regenerate");
			// Only an authentication restarts the lifetime; a privilege change keeps it, and the login's time (ASVS 7.3.2).
			const restart = s.authenticate;
			const header: SealedHeader = {
				lineage: newLineage(), generation: 0, createdAt: restart ? now : old.createdAt, since: restart ? await loginTime(s.data, now) : old.since, issuedAt: now,
				lastSeenAt: now, absoluteExpiresAt: restart ? now + policy.absoluteMs : old.absoluteExpiresAt,
			};
			emit(hook, { type: "regenerated", id: shortSessionId(row.id), next: shortSessionId(sealedId(header)) });
			return seal(s, header, now);
		},
		async rotate(s, row, now) {
			const old = headerOf(s);
			// One successor per generation: a request that loses the race carries its changes under the old generation.
			if (!(await revocations.advance(lineageHex(old), old.generation, now + policy.rotation.graceMs, old.absoluteExpiresAt, now))) {
				s.viaAlias = true;
				return save(s, row, now, s.dirty.length > 0 || s.flashDirty || s.metaDirty);
			}
			const header = { ...old, generation: old.generation + 1, issuedAt: now, lastSeenAt: now };
			emit(hook, { type: "rotated", id: shortSessionId(row.id), next: shortSessionId(sealedId(header)) });
			return seal(s, header, now);
		},
		save,
		async list(field, value, opts) {
			// Sealed sessions live in browsers; the server knows only the caller's own.
			const column = columnName(field, value);
			const own = opts?.current?.[STATE].row;
			if (own === undefined || own === null || own.columns[column] !== value) return [];
			// The device is read from the caller's own request: the cookie is the only place this session lives.
			const request = opts?.current?.[STATE].request;
			const header = opts?.current?.[STATE].header as SealedHeader | null | undefined;
			return [{
				id: shortSessionId(own.id), handle: header === null || header === undefined ? `id-${shortSessionId(own.id)}` : handleOf(header, column, value), device: request === null || request === undefined ? null : describeDevice(request.headers),
				label: null, network: null, createdAt: new Date(own.createdAt), lastSeenAt: new Date(own.lastSeenAt),
				expiresAt: new Date(Math.min(own.idleExpiresAt, own.absoluteExpiresAt)), current: true,
			}];
		},
		async revokeOne(field, value, handle) {
			// The handle names a login and is signed for this user: the only sealed sessions it can end are the
			// user's own that list() showed (other devices' cookies are unknown to the server).
			const column = columnName(field, value);
			const verified = keyring.verify(handle, handleContext(column, value));
			const lineage = verified === null ? null : decodeBase64url(verified.value);
			if (lineage === null || lineage.length !== LINEAGE_BYTES) return false;
			const now = clock();
			await revocations.deny(encodeHex(lineage), now + policy.absoluteMs, now, "revoke");
			emit(hook, { type: "revoked", column, count: 1 });
			return true;
		},
		async revoke(field, value, opts) {
			const column = columnName(field, value);
			const now = clock();
			const { mark, previous } = await revocations.revokeBefore(column, value as ColumnValue, now, now + policy.absoluteMs, now);
			const keep = opts?.except?.[STATE];
			// The kept device gets a cookie whose login counts from just after the mark, so the mark spares it
			// and nothing issued at or before it, whatever the clock's resolution. Unless a revoke that landed
			// while this request ran had already ended the caller's login: this one does not bring it back.
			if (keep !== undefined && keep.header !== null && (previous === null || headerOf(keep).since > previous)) {
				keep.header = { ...headerOf(keep), since: mark + 1 };
				keep.reissue = true;
			}
			// How many cookies that cut off is unknowable without server state; report what the server knows.
			emit(hook, { type: "revoked", column, count: 0 });
			return 0;
		},
		async prune(limit) {
			return revocations.prune(clock(), limit);
		},
		...(options.revocations.withPruneLock === undefined ? {} : { pruneLock: <T>(fn: () => Promise<T>) => (options.revocations.withPruneLock as NonNullable<Store["withPruneLock"]>).call(options.revocations, fn) as Promise<T | null> }),
	}, dbsc);
}

/** The columns of a row not yet admitted: admit() gives it its own. */
const NO_COLUMNS: Record<string, ColumnValue> = Object.freeze({});

/**
 * A sealed row's data once its session is sealed: the bytes went into the cookie, and a committed session
 * is never decoded again (a later request opens the cookie), so the row keeps no copy of them.
 */
const SEALED_AWAY = new Uint8Array(0);

/**
 * A sealed cookie's header shown as a row. Its ID (`generation.lineage`) is made when first read: only events,
 * `list()` and DBSC read it, so most requests never build the string.
 */
class SealedRow implements StoredSession {
	successorId: string | null = null;
	version = 0;
	createdAt: number;
	rotatedAt: number;
	lastSeenAt: number;
	absoluteExpiresAt: number;
	#id: string | undefined = undefined;
	readonly #header: SealedHeader;

	constructor(
		header: SealedHeader,
		/** The opened plaintext when loaded (the codec bytes start at `Located.dataStart`), or `SEALED_AWAY`. */
		public data: Uint8Array,
		public idleExpiresAt: number,
		public columns: Record<string, ColumnValue>,
	) {
		this.#header = header;
		this.createdAt = header.createdAt;
		this.rotatedAt = header.issuedAt;
		this.lastSeenAt = header.lastSeenAt;
		this.absoluteExpiresAt = header.absoluteExpiresAt;
	}

	/** `refresh()` keeps the login and generation, so the ID never changes once made. */
	get id(): string {
		return (this.#id ??= sealedId(this.#header));
	}
}

/** `generation.lineage` in hex: what events and `list()` show (their short form keeps the generation and part of the lineage). */
function sealedId(header: SealedHeader): string {
	return `${header.generation.toString(36)}.${lineageHex(header)}`;
}

/**
 * DBSC in sealed mode keeps the device's public key in the cookie, so the worst case counts it. Offered by
 * default: the algorithms whose largest key still fits 4096 bytes (ES256 adds 91 bytes, an RSA key up to
 * 1068); algorithms the app names must all fit.
 */
function sealedDbsc(model: SessionModel, dbsc: DbscOptions): DbscOptions {
	const worst = (alg: DbscAlgorithm): number => sealedCookieSize(model, DBSC_KEY_BYTES[alg]).bytes;
	const fits = (alg: DbscAlgorithm): boolean => worst(alg) <= COOKIE_LIMIT;
	if (dbsc.algorithms !== undefined) {
		const over = dbsc.algorithms.filter((alg) => (alg === "ES256" || alg === "RS256") && !fits(alg));
		if (over.length > 0) {
			throw new ConfigError("invalid_config", `dbsc.algorithms: with ${over.join(" and ")} the worst-case sealed cookie is ${worst(over[0] as DbscAlgorithm)} bytes, over the ${COOKIE_LIMIT} browsers keep (the device key travels in the cookie); offer ES256 only, tighten the schema's bounds, or use a store.`);
		}
		return dbsc;
	}
	const algorithms = (["ES256", "RS256"] as const).filter(fits);
	if (algorithms.length === 0) {
		throw new ConfigError("invalid_config", `dbsc: the worst-case sealed cookie with a device key is ${worst("ES256")} bytes, over the ${COOKIE_LIMIT} browsers keep (the key travels in the cookie); tighten the schema's bounds or use a store.`);
	}
	return { ...dbsc, algorithms };
}

/** What a handle's signature is bound to: the user it was shown to. */
function handleContext(column: string, value: unknown): string {
	return `sess/handle/${column}\u0000${JSON.stringify(value)}`;
}
