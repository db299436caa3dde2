import { sha256Hex } from "./crypto.ts";
import type { Awaitable, ColumnValue, Store, StoredSession } from "./store.ts";
import type { StoreCall } from "./store-call.ts";

/**
 * Sealed mode's only server state, kept as ordinary rows of any `Store`: a denylist of sealed
 * session IDs (logout, regeneration) and a per-user "not before" time (revoke-all, revoke-others).
 * Each row expires with the last cookie it could concern, so the table stays small.
 */
export class Revocations {
	constructor(
		private readonly store: Store,
		private readonly call: StoreCall,
	) {}

	/** When a sealed ID stops being accepted, or null if it was never denied (synchronous over a synchronous store). */
	deniedFrom(sid: string): Awaitable<number | null> {
		return timeOf(this.call("load", () => this.store.get(denyKey(sid))));
	}

	/** Cookies of this user issued before the returned time are revoked; null if never set. */
	notBefore(column: string, value: ColumnValue): Awaitable<number | null> {
		return timeOf(this.call("load", () => this.store.get(notBeforeKey(column, value))));
	}

	/** Denies a sealed ID from `from` (now for logout, after the grace for rotation) until its absolute deadline. */
	async deny(sid: string, from: number, until: number, now: number): Promise<void> {
		await this.lower(denyKey(sid), from, until, now);
	}

	/** Revokes every cookie of this user issued before `at`. */
	async revokeBefore(column: string, value: ColumnValue, at: number, until: number, now: number): Promise<void> {
		const key = notBeforeKey(column, value);
		for (let attempt = 0; attempt < 8; attempt++) {
			const row = await this.call("revoke", () => this.store.get(key));
			if (row === null) {
				if (await this.tryCreate(key, at, until, now)) return;
				continue;
			}
			if (timeOfRow(row) >= at) return;
			const next = { ...row, version: row.version + 1, lastSeenAt: at, idleExpiresAt: Math.max(row.idleExpiresAt, until), absoluteExpiresAt: Math.max(row.absoluteExpiresAt, until) };
			if (await this.call("revoke", () => this.store.update(next, row.version))) return;
		}
	}

	/** Deletes rows whose last concerned cookie has expired. */
	async prune(now: number, limit?: number): Promise<number> {
		return this.call("prune", () => this.store.prune(now, limit));
	}

	/** Sets the row's time to `from` unless it is already earlier (an earlier denial wins). */
	private async lower(key: string, from: number, until: number, now: number): Promise<void> {
		for (let attempt = 0; attempt < 8; attempt++) {
			const row = await this.call("commit", () => this.store.get(key));
			if (row === null) {
				if (await this.tryCreate(key, from, until, now)) return;
				continue;
			}
			if (timeOfRow(row) <= from) return;
			if (await this.call("commit", () => this.store.update({ ...row, version: row.version + 1, lastSeenAt: from }, row.version))) return;
		}
	}

	private async tryCreate(id: string, at: number, until: number, now: number): Promise<boolean> {
		const row: StoredSession = {
			id, successorId: null, version: 1, data: new Uint8Array(0), createdAt: now, rotatedAt: at, lastSeenAt: at,
			idleExpiresAt: until, absoluteExpiresAt: until, columns: {},
		};
		try {
			await this.call("commit", () => this.store.create(row));
			return true;
		} catch {
			// Another request created it first, or the store failed: the retry's read tells which.
			return false;
		}
	}
}

/**
 * The row's time lives in `lastSeenAt`: `Store.update` writes it (with the idle deadline), while the
 * creation and rotation times never change after insert, so a later revoke kept there would be lost.
 */
function timeOfRow(row: StoredSession): number {
	return row.lastSeenAt;
}

/** Every load reads two rows: over an in-process store, skipping two awaits per request is measurable. */
function timeOf(row: Awaitable<StoredSession | null>): Awaitable<number | null> {
	if (row instanceof Promise) return row.then((r) => (r === null ? null : timeOfRow(r)));
	return row === null ? null : timeOfRow(row);
}

/** Rows are keyed by a hash, so neither sealed IDs nor user values appear in the table. */
function denyKey(sid: string): string {
	return sha256Hex(`sess/deny/${sid}`);
}

/** Recent users' keys: every sealed load of a signed-in user looks one up, and the same users come back. */
const notBeforeKeys = new Map<string, string>();
const NOT_BEFORE_KEYS_CACHED = 4096;

function notBeforeKey(column: string, value: ColumnValue): string {
	const input = `sess/not-before/${column}/${JSON.stringify(value)}`;
	let key = notBeforeKeys.get(input);
	if (key === undefined) {
		// Cleared rather than evicted one by one: refilling costs one hash per user, and the bound is what matters.
		if (notBeforeKeys.size >= NOT_BEFORE_KEYS_CACHED) notBeforeKeys.clear();
		notBeforeKeys.set(input, (key = sha256Hex(input)));
	}
	return key;
}
