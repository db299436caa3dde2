import type { SessionCodec } from "./codec.ts";
import type { SessionMeta } from "./codec-system.ts";
import { createDeviceReader } from "./device-reader.ts";
import { SessionLimitError, WriteConflictError } from "./errors.ts";
import type { DeviceOptions } from "./manager-shared.ts";
import { decodeOrReset, type SessionMode } from "./manager-core.ts";
import { emit, type EventHook } from "./events.ts";
import { idleDeadline, touchDue, type AnonymityTest, type SessionPolicy } from "./expiry.ts";
import { deepFreeze } from "./freeze.ts";
import type { SessionState } from "./session.ts";
import type { Check } from "../schema/validate.ts";
import type { AdmitResult, Awaitable, ColumnValue, SessionLimit, Store, StoredSession, UpdateScope } from "./store.ts";
import type { StoreCall } from "./store-call.ts";
import { generateSessionToken, hashSessionToken, shortSessionId, type RandomSource } from "./token.ts";

/** What committing needs from the manager. */
export interface CommitContext {
	store: Store;
	codec: SessionCodec<object, object>;
	policy: SessionPolicy;
	/** Field name → promoted column name. */
	columnOf: ReadonlyMap<string, string>;
	/** Field name → its validator, for values `update()` functions produce during a merge. */
	checks: ReadonlyMap<string, Check>;
	/** A store call with timeout and failure translation. */
	call: StoreCall;
	random: RandomSource;
	hook: EventHook | undefined;
	/** The app's device label and address readers. */
	device: DeviceOptions | undefined;
	/** Whether nobody is signed in to a session, or null when anonymous sessions have no idle of their own. */
	anonymous: AnonymityTest | null;
	/** The per-user limit and the field it counts, or null. */
	limit: { field: string; limit: SessionLimit } | null;
	/** The signed `Set-Cookie` value for a token. */
	cookieFor(token: string, absoluteExpiresAt: number, now: number): string;
}

/** Store mode's share of commit: the steps `SessionMode` names, over a `Store`. */
export type StoreWrites = Pick<SessionMode, "create" | "save" | "regenerate" | "rotate" | "destroy">;

/** The four update scopes, indexed `times + 2 × columns`, shared so a write allocates none. */
const SCOPES: readonly UpdateScope[] = [
	{ times: false, columns: false },
	{ times: true, columns: false },
	{ times: false, columns: true },
	{ times: true, columns: true },
].map((scope) => Object.freeze(scope));

/** How many grace aliases a commit follows to reach the live row. */
const MAX_ALIAS_HOPS = 4;

/** Each failed compare-and-set means another writer landed, so this bounds only pathological contention. */
const MAX_ATTEMPTS = 100;

/**
 * Store mode's commit steps: lazy creation, compare-and-set writes merged over concurrent writers,
 * regeneration and periodic rotation with grace, touch, logout. Each resolves to the `Set-Cookie` to send.
 */
export function createCommit(ctx: CommitContext): StoreWrites {
	const { store, codec, policy, columnOf, checks, call, random, hook, cookieFor, limit } = ctx;
	const deviceOf = createDeviceReader(ctx.device, random);
	const anonymity = ctx.anonymous;
	/** Whether the session takes the anonymous idle; a login or logout gives it a new row, so a row keeps its answer. */
	const anon = (s: SessionState): boolean => anonymity !== null && anonymity(s.data, s.meta);

	/** Whether this commit signs a user in under the limit: the limited field now holds a value `base` did not. */
	function isLogin(s: SessionState, base: StoredSession | null): boolean {
		if (limit === null) return false;
		const value = s.data[limit.field];
		return value !== undefined && value !== null && (base === null || base.columns[limit.limit.column] !== value);
	}

	/** Writes a login through the store's `admit`; throws `SessionLimitError` when refused. */
	async function admit(next: StoredSession, replaces: StoredSession | null, now: number): Promise<boolean> {
		const { limit: cap } = limit as { limit: SessionLimit };
		const target = replaces === null ? null : { id: replaces.id, version: replaces.version };
		const result: AdmitResult = await call("commit", () => (store.admit as NonNullable<Store["admit"]>)(next, target, cap, now));
		if (result.status === "refused") {
			emit(hook, { type: "login_refused", column: cap.column, max: cap.max });
			throw new SessionLimitError(cap.max);
		}
		if (result.status === "conflict") return false;
		for (const id of result.evicted) emit(hook, { type: "evicted", id: shortSessionId(id), by: shortSessionId(next.id), column: cap.column });
		return true;
	}

	/** The row to write; `slide: false` keeps the base's last-seen time and idle deadline. */
	function buildRow(s: SessionState, base: StoredSession | null, id: string, now: number, version: number, restart: boolean, slide = true): StoredSession {
		const createdAt = base === null || restart ? now : base.createdAt;
		const absoluteExpiresAt = base === null || restart ? now + policy.absoluteMs : base.absoluteExpiresAt;
		const columns: Record<string, ColumnValue> = {};
		for (const [field, column] of columnOf) columns[column] = (s.data[field] as ColumnValue | undefined) ?? null;
		const keep = !slide && base !== null;
		return {
			id, successorId: null, version, data: codec.encodeTrusted(s.data, s.flash, s.meta), createdAt,
			rotatedAt: base === null || id !== base.id ? now : base.rotatedAt, lastSeenAt: keep ? base.lastSeenAt : now,
			idleExpiresAt: keep ? base.idleExpiresAt : idleDeadline(policy, now, absoluteExpiresAt, anon(s)), absoluteExpiresAt, columns,
			// Read from the request only for a new ID: a plain write keeps the row's device columns.
			device: base !== null && id === base.id ? base.device : deviceOf(s, base),
		};
	}

	/** Re-reads a row another request changed under us and lays our changed fields over its data. */
	async function rebase(s: SessionState, rowId: string, now: number): Promise<StoredSession | null> {
		return merge(s, rowId, await fetchLatest(rowId), now);
	}

	/** The live row behind `rowId` (following a grace alias); synchronous for a synchronous store. */
	function fetchLatest(rowId: string): Awaitable<StoredSession | null> {
		// A request slower than the rotation period finds its row rotated twice (an alias of an alias):
		// its write belongs to the end of the chain, not nowhere. Bounded, as a chain is rarely longer.
		const follow = (row: StoredSession | null, hops: number): Awaitable<StoredSession | null> => {
			const successorId = row?.successorId ?? null;
			if (successorId === null || hops === MAX_ALIAS_HOPS) return row;
			const next = call("commit", () => store.get(successorId));
			return next instanceof Promise ? next.then((r) => follow(r, hops + 1)) : follow(next, hops + 1);
		};
		const first = call("commit", () => store.get(rowId));
		return first instanceof Promise ? first.then((r) => follow(r, 0)) : follow(first, 0);
	}

	/** Lays our changed fields over the latest row's data; null when the session is gone (no resurrection). */
	function merge(s: SessionState, rowId: string, latest: StoredSession | null, now: number): StoredSession | null {
		if (latest === null || latest.successorId !== null || now >= latest.absoluteExpiresAt || now >= latest.idleExpiresAt) {
			emit(hook, { type: "write_after_destroy", id: shortSessionId(rowId) });
			return null;
		}
		// Another writer's bytes that do not decode count as a fresh session's.
		const decoded = decodeOrReset(codec, latest.data, latest.id, hook);
		const theirs: { data: Record<string, unknown>; flash: Record<string, unknown>; meta: SessionMeta } = decoded === null
			? { data: codec.initial() as Record<string, unknown>, flash: {}, meta: {} }
			: { data: decoded.data as Record<string, unknown>, flash: decoded.flash as Record<string, unknown>, meta: decoded.meta };
		const merged = { ...theirs.data };
		for (const key of s.dirty) {
			const updaters = s.updaters?.get(key);
			if (updaters !== undefined && !sameValue(theirs.data[key], s.base[key])) {
				// update(): replay the change on their value rather than overwrite it.
				// Frozen as a handler's read would be, so an updater that edits in place fails here as it did there.
				const replayed = replay(updaters, deepFreeze(theirs.data[key]), checks.get(key));
				if (replayed.ok) {
					merged[key] = deepFreeze(replayed.value);
					s.data[key] = merged[key];
				} else {
					emit(hook, { type: "update_rejected", id: shortSessionId(latest.id), field: key });
					s.data[key] = theirs.data[key];
				}
				continue;
			}
			if (!sameValue(theirs.data[key], s.base[key])) (s.overwritten ??= new Set()).add(key);
			if (s.data[key] === undefined) delete merged[key];
			else merged[key] = s.data[key];
		}
		s.base = theirs.data;
		s.data = merged;
		s.merged = true;
		if (!s.flashDirty) s.flash = { ...theirs.flash };
		if (!s.metaDirty) s.meta = theirs.meta;
		// A device binding registered meanwhile survives our other meta changes (a new CSRF secret, say); only regeneration ends it.
		else if (!s.regenerate && theirs.meta.dbsc !== undefined && s.meta.dbsc?.key === undefined) s.meta = { ...s.meta, dbsc: theirs.meta.dbsc };
		return latest;
	}

	async function writeData(s: SessionState, start: StoredSession, now: number): Promise<boolean> {
		let row: StoredSession | null = start;
		for (let attempt = 0; attempt < MAX_ATTEMPTS && row !== null; attempt++) {
			const current: StoredSession = row;
			// A write is activity, but the idle deadline slides on the touch cadence, as for reads: this keeps
			// the indexed deadline (and unchanged promoted columns) out of most UPDATEs.
			const times = touchDue(policy, current, now, anon(s));
			const next = buildRow(s, current, current.id, now, current.version + 1, false, times);
			const scope = SCOPES[(times ? 1 : 0) + (promotedDirty(s) ? 2 : 0)] as UpdateScope;
			// Awaited only when the store is asynchronous: over an in-process store the failed write, the
			// re-read and the retry run without yielding, so other requests cannot slip in between them.
			const written = call("commit", () => store.update(next, current.version, scope));
			if (written instanceof Promise ? await written : written) {
				s.row = next;
				reportMerge(s);
				return true;
			}
			if (written instanceof Promise) await backoff(attempt);
			const fetched = fetchLatest(current.id);
			row = merge(s, current.id, fetched instanceof Promise ? await fetched : fetched, now);
		}
		if (row === null) return false;
		throw new WriteConflictError("The session was changed by too many concurrent requests; retry the request.");
	}

	/**
	 * Over a network store, writers that lost the race back off for a random, growing while (capped at
	 * 32 ms) so that they stop colliding in lockstep; without it 16 writers on one session can starve.
	 */
	function backoff(attempt: number): Promise<void> {
		const r = new Uint8Array(1);
		random(r);
		const ms = (Math.min(32, 2 ** attempt) * (r[0] as number)) / 256;
		return new Promise((resolve) => setTimeout(resolve, ms));
	}

	function promotedDirty(s: SessionState): boolean {
		for (const field of s.dirty) if (columnOf.has(field)) return true;
		return false;
	}

	/** One event per commit that had to merge, naming same-field conflicts resolved last-writer-wins. */
	function reportMerge(s: SessionState): void {
		if (!s.merged || s.row === null) return;
		emit(hook, { type: "concurrent_write", id: shortSessionId(s.row.id), fields: [...s.dirty], overwritten: [...(s.overwritten ?? [])] });
	}

	async function rotate(s: SessionState, start: StoredSession, now: number, grace: number | null): Promise<string | null> {
		// A login under the limit goes through admit, which retires the old ID at once: no grace for the anonymous one.
		const login = isLogin(s, start);
		const graceUntil = login ? null : grace;
		let row: StoredSession | null = start;
		for (let attempt = 0; attempt < MAX_ATTEMPTS && row !== null; attempt++) {
			const token = generateSessionToken(random);
			const next = buildRow(s, row, hashSessionToken(token), now, row.version + 1, graceUntil === null && s.authenticate);
			const current: StoredSession = row;
			if (login ? await admit(next, current, now) : await call("commit", () => store.rotate(current.id, current.version, next, graceUntil))) {
				emit(hook, { type: graceUntil === null ? "regenerated" : "rotated", id: shortSessionId(current.id), next: shortSessionId(next.id) });
				s.row = next;
				s.token = token;
				reportMerge(s);
				return cookieFor(token, next.absoluteExpiresAt, now);
			}
			const latest = await call("commit", () => store.get(current.id));
			if (latest !== null && latest.successorId !== null && graceUntil !== null) {
				// Another request rotated first: it issued the one new ID; ours only needs its data written.
				if (s.dirty.size > 0 || s.flashDirty || s.metaDirty) {
					const successor = await rebase(s, current.id, now);
					if (successor !== null) await writeData(s, successor, now);
				}
				return null;
			}
			row = await rebase(s, current.id, now);
			if (row !== null && row.id !== current.id && graceUntil !== null) {
				// The re-read followed a grace alias: another request rotated in between and issued the one new
				// ID. Rotating its successor again would chain two aliases, and writes through the first are lost.
				if (s.dirty.size > 0 || s.flashDirty || s.metaDirty) await writeData(s, row, now);
				return null;
			}
		}
		if (row === null) return null;
		throw new WriteConflictError("The session was changed by too many concurrent requests; retry the request.");
	}

	/** Lazy creation; a row that failed to decode is replaced in the same step, so it never lingers as a ghost session. */
	async function create(s: SessionState, now: number): Promise<string> {
		const token = generateSessionToken(random);
		const next = buildRow(s, null, hashSessionToken(token), now, 1, true);
		const corrupt = s.replaces;
		if (isLogin(s, null)) {
			if (!(corrupt !== null && (await admit(next, corrupt, now)))) await admit(next, null, now);
		} else {
			const replaced = corrupt !== null && (await call("commit", () => store.rotate(corrupt.id, corrupt.version, next, null)));
			if (!replaced) await call("commit", () => store.create(next));
		}
		s.row = next;
		s.token = token;
		return cookieFor(token, next.absoluteExpiresAt, now);
	}

	async function save(s: SessionState, row: StoredSession, now: number, changed: boolean): Promise<string | null> {
		// Signing a user in without regenerate() still counts against the limit, and gets a new ID as a login should.
		if (changed && isLogin(s, row)) return rotate(s, row, now, null);
		if (changed) await writeData(s, row, now);
		else if (touchDue(policy, row, now, anon(s))) {
			const idleExpiresAt = idleDeadline(policy, now, row.absoluteExpiresAt, anon(s));
			await call("commit", () => store.touch(row.id, now, idleExpiresAt));
			// The session's times after commit are the stored ones, as after any other write.
			s.row = { ...row, lastSeenAt: now, idleExpiresAt };
		}
		return s.resign && s.token !== null && s.row !== null ? cookieFor(s.token, s.row.absoluteExpiresAt, now) : null;
	}

	return {
		create,
		save,
		regenerate: (s, row, now) => rotate(s, row, now, null),
		rotate: (s, row, now) => rotate(s, row, now, now + policy.rotation.graceMs),
		async destroy(_s, row) {
			await call("destroy", () => store.destroy(row.id));
		},
	};
}

/** Re-runs `update()` functions on a fresh value; an error or an invalid result keeps the other writer's value. */
function replay(updaters: ((value: never) => unknown)[], start: unknown, check: Check | undefined): { ok: true; value: unknown } | { ok: false } {
	let value = start;
	try {
		for (const fn of updaters) value = fn(value as never);
	} catch {
		return { ok: false };
	}
	return check === undefined || value === undefined || check(value) === null ? { ok: true, value } : { ok: false };
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
