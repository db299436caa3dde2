import { liveEnd } from "./revoke-except.ts";
import { SHARED_ROWS, type SharedRows } from "../shared-rows.ts";
import { leastRecentFirst, type AdmitResult, type ColumnValue, type SessionLimit, type Store, type StoredSession, type UpdateScope } from "../store.ts";

/**
 * An in-process store for tests and single-process development. Every method runs synchronously,
 * so each is atomic with respect to other requests of the same process.
 */
export class MemoryStore implements Store {
	private readonly rows = new Map<string, StoredSession>();
	/** column → value → ids, so list and revoke do not scan every session. */
	private readonly index = new Map<string, Map<ColumnValue, Set<string>>>();
	/** successor id → alias ids, so destroying a session kills its grace aliases too. */
	private readonly aliases = new Map<string, Set<string>>();

	/** Number of rows held, aliases included. */
	get size(): number {
		return this.rows.size;
	}

	get(id: string): StoredSession | null {
		const row = this.rows.get(id);
		return row === undefined ? null : copy(row);
	}

	/**
	 * sess's own load and commit read and write rows without the copies: a stored row is never changed in
	 * place (every change stores a new object), so a row handed out stays as it was when it was read.
	 */
	readonly [SHARED_ROWS]: SharedRows = {
		// Only while get and update are this class's own: a subclass or a wrapper that replaces one sees every call through it.
		get: (id) => (this.get === MemoryStore.prototype.get ? (this.rows.get(id) ?? null) : this.get(id)),
		update: (session, expectedVersion, scope) =>
			this.update === MemoryStore.prototype.update ? this.replace(session, expectedVersion) : this.update(session, expectedVersion, scope),
	};

	create(session: StoredSession): void {
		if (this.rows.has(session.id)) throw new Error("session id collision");
		this.put(copy(session));
	}

	update(session: StoredSession, expectedVersion: number, _scope?: UpdateScope): boolean {
		return this.replace(copy(session), expectedVersion);
	}

	/** Compare-and-set of a row this store now owns. */
	private replace(session: StoredSession, expectedVersion: number): boolean {
		const row = this.rows.get(session.id);
		if (row === undefined || row.successorId !== null || row.version !== expectedVersion) return false;
		if (sameColumns(row.columns, session.columns)) {
			// The indexes point at the same id under the same values: swap the row.
			this.rows.set(session.id, session);
			return true;
		}
		this.remove(row.id);
		this.put(session);
		return true;
	}

	touch(id: string, lastSeenAt: number, idleExpiresAt: number): void {
		const row = this.rows.get(id);
		if (row === undefined || row.successorId !== null) return;
		// A new object rather than a change in place: a row already handed out keeps its times.
		this.rows.set(id, { ...row, lastSeenAt, idleExpiresAt });
	}

	rotate(id: string, expectedVersion: number, next: StoredSession, graceUntil: number | null): boolean {
		const row = this.rows.get(id);
		if (row === undefined || row.successorId !== null || row.version !== expectedVersion) return false;
		if (graceUntil === null) this.destroy(id);
		else {
			this.remove(id);
			this.put({ ...row, successorId: next.id, data: new Uint8Array(0), idleExpiresAt: graceUntil });
		}
		this.put(copy(next));
		return true;
	}

	destroy(id: string): void {
		for (const alias of this.aliases.get(id) ?? []) this.remove(alias);
		this.aliases.delete(id);
		this.remove(id);
	}

	list(column: string, value: ColumnValue): StoredSession[] {
		const out: StoredSession[] = [];
		for (const id of this.index.get(column)?.get(value) ?? []) {
			const row = this.rows.get(id);
			if (row !== undefined && row.successorId === null) out.push(copy(row));
		}
		return out;
	}

	revoke(column: string, value: ColumnValue, exceptId?: string): number {
		// The caller's session may have been rotated by another tab since it was loaded: spare where it lives now.
		const keep = exceptId === undefined ? undefined : liveEnd(exceptId, (id) => this.rows.get(id)?.successorId);
		let count = 0;
		for (const row of this.list(column, value)) {
			if (row.id === keep) continue;
			this.destroy(row.id);
			count++;
		}
		return count;
	}

	admit(next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number): AdmitResult {
		if (replaces !== null) {
			const row = this.rows.get(replaces.id);
			if (row === undefined || row.successorId !== null || row.version !== replaces.version) return { status: "conflict" };
		}
		const value = next.columns[limit.column] ?? null;
		const live = value === null ? [] : this.list(limit.column, value).filter((r) => r.id !== replaces?.id && now < r.idleExpiresAt && now < r.absoluteExpiresAt);
		const excess = live.length - limit.max + 1;
		if (excess > 0 && limit.policy === "refuse") return { status: "refused" };
		const evicted = excess > 0 ? live.sort(leastRecentFirst).slice(0, excess).map((r) => r.id) : [];
		for (const id of evicted) this.destroy(id);
		if (replaces !== null) this.destroy(replaces.id);
		this.create(next);
		return { status: "admitted", evicted };
	}

	private pruning = false;

	/** One process by definition: the lock only keeps two pruners of this process from overlapping. */
	async withPruneLock<T>(fn: () => Promise<T>): Promise<T | null> {
		if (this.pruning) return null;
		this.pruning = true;
		try {
			return await fn();
		} finally {
			this.pruning = false;
		}
	}

	prune(now: number, limit = Infinity): number {
		let count = 0;
		for (const row of [...this.rows.values()]) {
			if (count >= limit) break;
			if (row.idleExpiresAt <= now || row.absoluteExpiresAt <= now) {
				this.remove(row.id);
				count++;
			}
		}
		return count;
	}

	private put(row: StoredSession): void {
		this.rows.set(row.id, row);
		for (const [column, value] of Object.entries(row.columns)) {
			// Null means "no value": like SQL's `= NULL`, it matches nothing in list and revoke.
			if (value === null) continue;
			let byValue = this.index.get(column);
			if (byValue === undefined) this.index.set(column, (byValue = new Map()));
			let ids = byValue.get(value);
			if (ids === undefined) byValue.set(value, (ids = new Set()));
			ids.add(row.id);
		}
		if (row.successorId !== null) {
			let set = this.aliases.get(row.successorId);
			if (set === undefined) this.aliases.set(row.successorId, (set = new Set()));
			set.add(row.id);
		}
	}

	private remove(id: string): void {
		const row = this.rows.get(id);
		if (row === undefined) return;
		this.rows.delete(id);
		for (const [column, value] of Object.entries(row.columns)) {
			const byValue = this.index.get(column);
			const ids = byValue?.get(value);
			ids?.delete(id);
			if (ids?.size === 0) byValue?.delete(value);
		}
		if (row.successorId !== null) {
			const set = this.aliases.get(row.successorId);
			set?.delete(id);
			if (set?.size === 0) this.aliases.delete(row.successorId);
		}
	}
}

function sameColumns(a: Record<string, ColumnValue>, b: Record<string, ColumnValue>): boolean {
	for (const k in a) if (a[k] !== b[k]) return false;
	for (const k in b) if (!(k in a)) return false;
	return true;
}

/** Rows are copied in and out so callers can never mutate what the store holds. */
function copy(row: StoredSession): StoredSession {
	// Spelled out rather than spread: a literal of known shape is cheaper to build, on every get and write.
	return {
		id: row.id, successorId: row.successorId, version: row.version, data: row.data.slice(), createdAt: row.createdAt, rotatedAt: row.rotatedAt,
		lastSeenAt: row.lastSeenAt, idleExpiresAt: row.idleExpiresAt, absoluteExpiresAt: row.absoluteExpiresAt, columns: { ...row.columns },
		...(row.device === undefined ? {} : { device: { ...row.device } }),
	};
}
