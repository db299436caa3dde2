import { sha256Hex } from "./crypto.ts";
import { DecodeError, StoreUnavailableError } from "./errors.ts";
import type { Awaitable, ColumnValue, Store, StoredSession } from "./store.ts";
import type { StoreCall } from "./store-call.ts";
import { Reader, Writer } from "./wire.ts";

/** What the server knows of one login (lineage): every sealed cookie descending from it shares this. */
export interface LineageRecord {
	/** Logged out, regenerated or revoked: no cookie of the lineage loads again. */
	denied: boolean;
	/** The newest generation a rotation issued; older ones load only until `graceUntil`. */
	head: number;
	graceUntil: number;
	/** The row's compare-and-set counter. */
	version: number;
}

/** Each failed compare-and-set means another writer landed; past this many, the write is reported as failed. */
const MAX_ATTEMPTS = 32;

/**
 * Sealed mode's only server state, kept as ordinary rows of any `Store`: one row per login that was
 * rotated or ended (its newest generation, and whether it is denied), and a per-user "not before" mark
 * (revoke-all, revoke-others). State lives in the row's data, which every store's `update()` writes.
 * Every write either lands or throws `StoreUnavailableError`: a logout that was not recorded is not
 * reported as done. Each row expires with the last cookie it could concern, so the table stays small.
 */
export class Revocations {
	constructor(
		private readonly store: Store,
		private readonly call: StoreCall,
		/** The same bounds without events, for a create that may lose a benign race. */
		private readonly quietCall: StoreCall,
	) {}

	/** One function for every per-load read: a closure per lookup was two allocations on every sealed load. */
	private readonly read = (key: string): Awaitable<StoredSession | null> => this.store.get(key);

	/** The lineage's record, or null if it was never rotated nor ended (synchronous over a synchronous store). */
	lineage(lineage: string): Awaitable<LineageRecord | null> {
		const row = this.call("load", this.read, lineageKey(lineage));
		return row instanceof Promise ? row.then(readLineage) : readLineage(row);
	}

	/** The user's "not before" mark: cookies whose login is at or before it are revoked; null if never set. */
	notBefore(column: string, value: ColumnValue): Awaitable<number | null> {
		const row = this.call("load", this.read, notBeforeKey(column, value));
		return row instanceof Promise ? row.then(readMark) : readMark(row);
	}

	/**
	 * Moves the lineage's head from `generation` to the next, the old one alive until `graceUntil`.
	 * False when another request rotated (or ended) the lineage first: exactly one successor per generation.
	 */
	async advance(lineage: string, generation: number, graceUntil: number, until: number, now: number): Promise<boolean> {
		let advanced = false;
		await this.change("commit", lineageKey(lineage), until, now, (data) => {
			// No record yet: this generation is the head (the first rotation of a login).
			const current = data === null ? { denied: false, head: generation, graceUntil: 0 } : decodeLineage(data);
			advanced = !current.denied && current.head === generation;
			return advanced ? encodeLineage(false, generation + 1, graceUntil) : null;
		});
		return advanced;
	}

	/** Denies every cookie of the lineage from now on (logout, regeneration). */
	async deny(lineage: string, until: number, now: number, operation = "destroy"): Promise<void> {
		await this.change(operation, lineageKey(lineage), until, now, (data) => {
			const current = data === null ? { denied: false, head: 0, graceUntil: 0 } : decodeLineage(data);
			return current.denied ? null : encodeLineage(true, current.head, current.graceUntil);
		});
	}

	/**
	 * Revokes every cookie of this user whose login is at or before `at`, and every login stamped after the
	 * previous mark (logins are stamped strictly after the mark in force): the mark moves to `at` or, when
	 * it is already there, one past it. Returns the new mark (it never moves back) and the one it replaced.
	 */
	async revokeBefore(column: string, value: ColumnValue, at: number, until: number, now: number): Promise<{ mark: number; previous: number | null }> {
		let mark = at;
		let previous: number | null = null;
		await this.change("revoke", notBeforeKey(column, value), until, now, (data) => {
			previous = data === null ? null : decodeMark(data);
			mark = previous !== null && previous >= at ? previous + 1 : at;
			return encodeMark(mark);
		}, true);
		return { mark, previous };
	}

	/** Deletes rows whose last concerned cookie has expired. */
	async prune(now: number, limit?: number): Promise<number> {
		return this.call("prune", () => this.store.prune(now, limit));
	}

	/**
	 * Read, change, compare-and-set, until it lands. `next` returns the new data, or null when the row
	 * already says as much. `extend` lets `until` move the row's deadline later on an existing row.
	 */
	private async change(operation: string, key: string, until: number, now: number, next: (data: Uint8Array | null) => Uint8Array | null, extend = false): Promise<void> {
		for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
			const row = await this.call(operation, () => this.store.get(key));
			const data = next(row === null ? null : row.data);
			if (data === null) return;
			if (row === null) {
				// The idle deadline carries the row's life, so a later write can extend it; absolute never binds.
				const created: StoredSession = {
					id: key, successorId: null, version: 1, data, createdAt: now, rotatedAt: now, lastSeenAt: now,
					idleExpiresAt: until, absoluteExpiresAt: Number.MAX_SAFE_INTEGER, columns: {},
				};
				try {
					await this.quietCall(operation, () => this.store.create(created));
					return;
				} catch (cause) {
					// Another request created the row first, or the store failed: a second read tells which.
					const again = await this.call(operation, () => this.store.get(key));
					if (again === null) await this.call(operation, () => Promise.reject(cause instanceof StoreUnavailableError ? (cause.cause ?? cause) : cause));
					continue;
				}
			}
			const idle = extend ? Math.max(row.idleExpiresAt, until) : row.idleExpiresAt;
			const updated: StoredSession = { ...row, version: row.version + 1, data, lastSeenAt: now, idleExpiresAt: idle };
			if (await this.call(operation, () => this.store.update(updated, row.version, { times: true, columns: false }))) return;
		}
		throw new StoreUnavailableError(`The revocation store kept refusing the write during ${operation} (${MAX_ATTEMPTS} conflicting attempts); answer 503 and retry later.`);
	}
}

function readLineage(row: StoredSession | null): LineageRecord | null {
	if (row === null) return null;
	return { ...decodeLineage(row.data), version: row.version };
}

function readMark(row: StoredSession | null): number | null {
	if (row === null) return null;
	// Rows written before the mark moved into the data kept it in rotatedAt, or (later) in lastSeenAt.
	return row.data.length === 0 ? Math.max(row.rotatedAt, row.lastSeenAt) : decodeMark(row.data);
}

/** `denied ‖ head ‖ grace end`; a record the server cannot read counts as denied (fail closed). */
function decodeLineage(data: Uint8Array): { denied: boolean; head: number; graceUntil: number } {
	try {
		const r = new Reader(data);
		return { denied: r.byte() !== 0, head: r.varint(), graceUntil: r.zigzag() };
	} catch (e) {
		if (e instanceof DecodeError) return { denied: true, head: 0, graceUntil: 0 };
		throw e;
	}
}

function encodeLineage(denied: boolean, head: number, graceUntil: number): Uint8Array {
	const w = new Writer();
	w.byte(denied ? 1 : 0);
	w.varint(head);
	w.zigzag(graceUntil);
	return w.finish();
}

/** A mark the server cannot read revokes everything (fail closed). */
function decodeMark(data: Uint8Array): number {
	try {
		return new Reader(data).zigzag();
	} catch (e) {
		if (e instanceof DecodeError) return Number.MAX_SAFE_INTEGER;
		throw e;
	}
}

function encodeMark(at: number): Uint8Array {
	const w = new Writer();
	w.zigzag(at);
	return w.finish();
}

/**
 * Rows are keyed by a hash, so neither lineages nor user values appear in the table. Recent keys are
 * kept: every sealed load looks up its lineage and its user, and the same sessions come back. The
 * caches hold only derived names, never revocation state, so they cannot make a revoke late.
 */
const KEYS_CACHED = 4096;
const lineageKeys = new Map<string, string>();
/** Per column, then per value (a Map tells 1 from "1", as the JSON the key is hashed from does). */
const notBeforeKeys = new Map<string, Map<ColumnValue, string>>();
let notBeforeCached = 0;

function lineageKey(lineage: string): string {
	let key = lineageKeys.get(lineage);
	if (key === undefined) {
		// Cleared rather than evicted one by one: refilling costs one hash per session, and the bound is what matters.
		if (lineageKeys.size >= KEYS_CACHED) lineageKeys.clear();
		lineageKeys.set(lineage, (key = sha256Hex(`sess/lineage/${lineage}`)));
	}
	return key;
}

function notBeforeKey(column: string, value: ColumnValue): string {
	let byValue = notBeforeKeys.get(column);
	if (byValue === undefined) notBeforeKeys.set(column, (byValue = new Map()));
	let key = byValue.get(value);
	if (key === undefined) {
		if (notBeforeCached >= KEYS_CACHED) {
			notBeforeKeys.clear();
			notBeforeKeys.set(column, (byValue = new Map()));
			notBeforeCached = 0;
		}
		byValue.set(value, (key = sha256Hex(`sess/not-before/${column}/${JSON.stringify(value)}`)));
		notBeforeCached++;
	}
	return key;
}
