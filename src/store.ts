/** A value or a promise of it: in-process stores answer synchronously and skip a microtask. */
export type Awaitable<T> = T | Promise<T>;

import type { DeviceRecord } from "./device.ts";

/** A promoted column's value as stored. */
export type ColumnValue = string | number | boolean | null;

/** One row of the session table, as every store keeps it. Times are milliseconds since the epoch. */
export interface StoredSession {
	/** Hex SHA-256 of the token; the token itself is never stored. */
	id: string;
	/** Set on an ID retired by periodic rotation: it still resolves to this row until `idleExpiresAt`. */
	successorId: string | null;
	/** Compare-and-set counter, bumped by every data write. */
	version: number;
	/** Codec bytes (empty on a successor alias). */
	data: Uint8Array;
	/** When the session was first created (kept across rotations). */
	createdAt: number;
	/** When this ID was issued. */
	rotatedAt: number;
	lastSeenAt: number;
	/** Never later than `absoluteExpiresAt`. */
	idleExpiresAt: number;
	absoluteExpiresAt: number;
	/** Promoted columns by SQL column name. */
	columns: Record<string, ColumnValue>;
	/** The device behind the session, set when the row is written with a new ID (columns handle, device, device_label, network). */
	device?: DeviceRecord | undefined;
}

/**
 * Which column groups an update changes besides version and data. Leaving unchanged indexed columns
 * out of the SET list spares SQLite (and PostgreSQL's in-place updates) the index rewrite.
 */
export interface UpdateScope {
	/** `last_seen_at` and `idle_expires_at` (only when the idle deadline slides). */
	times: boolean;
	/** The promoted columns (only when a promoted field changed). */
	columns: boolean;
}

/** Both groups: what an update without a scope writes. */
export const FULL_UPDATE: UpdateScope = { times: true, columns: true };

/** The columns an update of this scope sets, in parameter order. */
export function updatedColumns(scope: UpdateScope, promoted: readonly string[]): string[] {
	return ["version", "data", ...(scope.times ? ["last_seen_at", "idle_expires_at"] : []), ...(scope.columns ? promoted : [])];
}

/** A cap on the live sessions holding one value of a promoted column: one user's devices. */
export interface SessionLimit {
	/** The promoted column that names the user. */
	column: string;
	/** Most live sessions one value may hold, at least 1. */
	max: number;
	/** `evict`: the least recently seen sessions make room; `refuse`: the new login fails. */
	policy: "evict" | "refuse";
}

/** What `admit` did: wrote the login (after evicting these IDs), refused it, or found `replaces` changed. */
export type AdmitResult = { status: "admitted"; evicted: string[] } | { status: "refused" } | { status: "conflict" };

/** The order in which `evict` picks sessions: least recently seen, then oldest, then by ID (so every store agrees). */
export function leastRecentFirst(a: Pick<StoredSession, "id" | "lastSeenAt" | "createdAt">, b: Pick<StoredSession, "id" | "lastSeenAt" | "createdAt">): number {
	return a.lastSeenAt - b.lastSeenAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Where sessions live. Every method is atomic on its own; the manager builds compare-and-set,
 * rotation with grace and revocation on top. Implementations: memory, SQLite, PostgreSQL, MySQL, Redis.
 */
export interface Store {
	/** The row under this ID, alias rows included; expiry is the manager's call, not the store's. */
	get(id: string): Awaitable<StoredSession | null>;
	/** Inserts a new row. */
	create(session: StoredSession): Awaitable<void>;
	/**
	 * Writes version and data (and, per `scope`, last-seen/idle deadline and promoted columns) if the
	 * stored version is `expectedVersion`; false otherwise. Creation, rotation and absolute times never
	 * change here. A store may write more than the scope, never less.
	 */
	update(session: StoredSession, expectedVersion: number, scope?: UpdateScope): Awaitable<boolean>;
	/** Slides the idle deadline of a live row without bumping its version. */
	touch(id: string, lastSeenAt: number, idleExpiresAt: number): Awaitable<void>;
	/**
	 * Atomically retires `id` (still at `expectedVersion`, not yet rotated) in favour of `next`:
	 * with `graceUntil`, `id` becomes an alias of `next` until then; with null, `id` and its aliases die at once.
	 * False when another request rotated, wrote or destroyed it first.
	 */
	rotate(id: string, expectedVersion: number, next: StoredSession, graceUntil: number | null): Awaitable<boolean>;
	/** Deletes the row and every alias pointing at it. */
	destroy(id: string): Awaitable<void>;
	/** Live rows (aliases excluded) whose promoted column holds `value`; null matches nothing. */
	list(column: string, value: ColumnValue): Awaitable<StoredSession[]>;
	/** Deletes rows (and their aliases) whose column holds `value`, except `exceptId`; returns how many sessions. */
	revoke(column: string, value: ColumnValue, exceptId?: string): Awaitable<number>;
	/**
	 * Writes the login `next` under `limit`, atomically across processes (a lock per limited value): counts the
	 * sessions live at `now` that hold next's value of `limit.column`, `replaces` not counted; when `max` are live,
	 * evicts the least recently seen (with their aliases, so no slow writer revives them) or refuses, writing
	 * nothing. Then deletes `replaces` (still live at its version, with its aliases) and inserts `next`;
	 * "conflict", writing nothing, when `replaces` changed. Optional for stores outside sess; the five stores have it.
	 */
	admit?(next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number): Awaitable<AdmitResult>;
	/**
	 * Runs `fn` while holding the table's prune lock, shared by every process on the store, or returns
	 * null at once when another process holds it: only one process prunes at a time. Optional.
	 */
	withPruneLock?<T>(fn: () => Promise<T>): Promise<T | null>;
	/** Deletes up to `limit` rows whose deadline passed before `now`; returns how many. */
	prune(now: number, limit?: number): Awaitable<number>;
	/**
	 * Set by a store that spreads one table over shards (RedisSpreadStore): the promoted column whose value
	 * places a row. The manager then mints routed tokens (token.ts): a tag of this column's value (random
	 * for nobody) in front of the random part, so the store finds the shard from the stored ID alone, and
	 * every row holding one value (a user's sessions) shares a shard. Other stores leave it unset.
	 */
	readonly routeBy?: string;
	/** Releases what the store opened itself (a client built from a URL); a client passed in stays open. */
	close?(): Awaitable<void>;
}
