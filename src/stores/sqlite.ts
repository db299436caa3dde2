import { fromCaller, NotMigratedError } from "../errors.ts";
import type { Database, Statement } from "bun:sqlite";
import type { TableModel } from "../../schema/model.ts";
import { deviceParams } from "./sql-row.ts";
import { liveEnd } from "./revoke-except.ts";
import { SHARED_ROWS, type SharedRows } from "../shared-rows.ts";
import { DeferredRow, deferredColumns } from "./sqlite-deferred.ts";
import { FULL_UPDATE, leastRecentFirst, updatedColumns, type AdmitResult, type ColumnValue, type SessionLimit, type Store, type StoredSession, type UpdateScope } from "../store.ts";

/** Options of the SQLite store; the table itself comes from `sess migrate`, never from start-up code. */
export interface SQLiteStoreOptions {
	table: TableModel;
	/** How long a writer waits for another process's lock before failing; default 5000 ms. */
	busyTimeoutMs?: number;
}

type Row = {
	id: string;
	successor_id: string | null;
	version: number;
	data: Uint8Array;
	created_at: number;
	rotated_at: number;
	last_seen_at: number;
	idle_expires_at: number;
	absolute_expires_at: number;
	[column: string]: unknown;
};

/**
 * sess's own load: every fixed column but the id it holds and the device record (see `DeferredRow`), each under
 * its `StoredSession` name, with placeholders for the three fields filled in after (id, columns, device). The
 * row `bun:sqlite` builds is then the stored session itself, in `StoredSession`'s field order: one object per
 * load where a copy into a second one cost an allocation and nine property moves.
 */
const READ_COLUMNS = `NULL AS "id", "successor_id" AS "successorId", "version", "data", "created_at" AS "createdAt", "rotated_at" AS "rotatedAt", "last_seen_at" AS "lastSeenAt", "idle_expires_at" AS "idleExpiresAt", "absolute_expires_at" AS "absoluteExpiresAt", NULL AS "columns", NULL AS "device"`;

const FIXED = ["id", "successor_id", "version", "data", "created_at", "rotated_at", "last_seen_at", "idle_expires_at", "absolute_expires_at", "handle", "device", "device_label", "network"];
/** Rows deleted per statement by prune and revoke, so no single statement holds the write lock long. */
const BATCH = 500;

/** The lease row's id: not hex, so no token's hash can equal it. */
const PRUNE_LEASE_ID = "~prune-lease";
/** How long a prune lease lasts if its holder never releases it (a crash). */
const PRUNE_LEASE_MS = 5 * 60_000;

/** Sessions in a SQLite database through `bun:sqlite`, with WAL and cached prepared statements. */
export class SQLiteStore implements Store {
	private readonly table: TableModel;
	private readonly q: Record<"get" | "load" | "read" | "deferred" | "successor" | "insert" | "touch" | "alias" | "kill" | "killAliases" | "destroy" | "prune", Statement>;
	/** One prepared UPDATE per scope, indexed `times + 2 × columns`, built on first use. */
	private readonly updates: (Statement | undefined)[] = [undefined, undefined, undefined, undefined];
	private readonly db: Database;
	private readonly Columns: new (row: DeferredRow) => Record<string, ColumnValue>;
	private readonly rotateTx: (id: string, version: number, next: StoredSession, graceUntil: number | null) => boolean;
	private readonly admitTx: (next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number) => AdmitResult;

	/** Wraps an open database whose session table was created by the generated migrations. */
	constructor(db: Database, options: SQLiteStoreOptions) {
		this.db = db;
		this.table = options.table;
		// Fail at start, in words, rather than at the first request with "no such table".
		const file = db.filename === "" || db.filename === ":memory:" ? "this database" : db.filename;
		const found = new Set((db.query(`SELECT "name" FROM pragma_table_info(?)`).all(this.table.name) as { name: string }[]).map((c) => c.name));
		const missing = found.size === 0 ? [] : [...FIXED, ...this.table.columns.map((c) => c.name)].filter((c) => !found.has(c));
		if (found.size === 0 || missing.length > 0) throw fromCaller(new NotMigratedError(this.table.name, file, `sess migrate --db ${file}`, missing), new.target);
		db.run("PRAGMA journal_mode = WAL");
		db.run("PRAGMA synchronous = NORMAL");
		db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
		const t = quote(this.table.name);
		const promoted = this.table.columns.map((c) => c.name);
		const all = [...FIXED, ...promoted].map(quote);
		this.q = {
			get: db.prepare(`SELECT ${all.join(", ")} FROM ${t} WHERE "id" = ?`),
			// Every column but the id, which the caller already holds: one string fewer to copy out per request.
			load: db.prepare(`SELECT ${all.slice(1).join(", ")} FROM ${t} WHERE "id" = ?`),
			// sess's own load: the text columns most requests never read wait for `deferred` (see DeferredRow).
			read: db.prepare(`SELECT ${READ_COLUMNS} FROM ${t} WHERE "id" = ?`),
			deferred: db.prepare(`SELECT ${[...FIXED.slice(9), ...promoted].map(quote).join(", ")} FROM ${t} WHERE "id" = ?`),
			successor: db.prepare(`SELECT "successor_id" FROM ${t} WHERE "id" = ?`),
			insert: db.prepare(`INSERT INTO ${t} (${all.join(", ")}) VALUES (${all.map(() => "?").join(", ")})`),
			touch: db.prepare(`UPDATE ${t} SET "last_seen_at" = ?, "idle_expires_at" = ? WHERE "id" = ? AND "successor_id" IS NULL`),
			alias: db.prepare(`UPDATE ${t} SET "successor_id" = ?, "data" = x'', "idle_expires_at" = ? WHERE "id" = ? AND "version" = ? AND "successor_id" IS NULL`),
			kill: db.prepare(`DELETE FROM ${t} WHERE "id" = ? AND "version" = ? AND "successor_id" IS NULL`),
			killAliases: db.prepare(`DELETE FROM ${t} WHERE "successor_id" = ?`),
			destroy: db.prepare(`DELETE FROM ${t} WHERE "id" = ? OR "successor_id" = ?`),
			prune: db.prepare(`DELETE FROM ${t} WHERE "id" IN (${sqlitePruneSelect(this.table.name)})`),
		};
		this.Columns = deferredColumns(this.table);
		const tx = db.transaction((id: string, version: number, next: StoredSession, graceUntil: number | null): boolean => {
			// Read before the old row goes: a device record kept from a loaded row may still be unread (DeferredRow).
			const values = this.values(next);
			const changed = graceUntil === null ? this.q.kill.run(id, version).changes : this.q.alias.run(next.id, graceUntil, id, version).changes;
			if (changed !== 1) return false;
			if (graceUntil === null) this.q.killAliases.run(id);
			this.q.insert.run(...values);
			return true;
		});
		// IMMEDIATE takes the write lock up front, so two processes cannot both pass the check.
		this.rotateTx = (id, version, next, graceUntil) => tx.immediate(id, version, next, graceUntil);
		const admit = db.transaction((next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number): AdmitResult => {
			if (replaces !== null) {
				const row = this.q.get.get(replaces.id) as Row | null;
				if (row === null || row.successor_id !== null || row.version !== replaces.version) return { status: "conflict" };
			}
			const values = this.values(next);
			const value = toSQL(next.columns[limit.column] ?? null);
			const live = value === null ? [] : (this.db
				.query(`SELECT "id", "last_seen_at" AS "lastSeenAt", "created_at" AS "createdAt" FROM ${t} WHERE ${this.column(limit.column)} = ? AND "successor_id" IS NULL AND "idle_expires_at" > ? AND "absolute_expires_at" > ?`)
				.all(value, now, now) as { id: string; lastSeenAt: number; createdAt: number }[]).filter((r) => r.id !== replaces?.id);
			const excess = live.length - limit.max + 1;
			if (excess > 0 && limit.policy === "refuse") return { status: "refused" };
			const evicted = excess > 0 ? live.sort(leastRecentFirst).slice(0, excess).map((r) => r.id) : [];
			for (const id of evicted) this.q.destroy.run(id, id);
			if (replaces !== null) this.q.destroy.run(replaces.id, replaces.id);
			this.q.insert.run(...values);
			return { status: "admitted", evicted };
		});
		// IMMEDIATE: the count and the insert happen under one write lock, which serialises logins across processes.
		this.admitTx = (next, replaces, limit, now) => admit.immediate(next, replaces, limit, now);
	}

	get(id: string): StoredSession | null {
		const row = this.q.load.get(id) as Row | null;
		return row === null ? null : this.fromRow(row, id);
	}

	/**
	 * sess's own load reads rows through here: every column a request reads, the rest (device record, promoted
	 * columns) on first use. A subclass or a wrapper that replaces `get` sees every load through it.
	 */
	readonly [SHARED_ROWS]: SharedRows = {
		get: (id) => (this.get === SQLiteStore.prototype.get ? this.read(id) : this.get(id)),
		update: (session, expectedVersion, scope) => this.update(session, expectedVersion, scope),
	};

	private read(id: string): StoredSession | null {
		const row = this.q.read.get(id) as StoredSession | null;
		if (row === null) return null;
		const deferred = new DeferredRow(this.q.deferred, id);
		row.id = id;
		row.columns = new this.Columns(deferred);
		row.device = deferred;
		return row;
	}

	create(session: StoredSession): void {
		this.q.insert.run(...this.values(session));
	}

	update(session: StoredSession, expectedVersion: number, scope: UpdateScope = FULL_UPDATE): boolean {
		const s = session;
		const key = (scope.times ? 1 : 0) + (scope.columns ? 2 : 0);
		let statement = this.updates[key];
		if (statement === undefined) {
			const set = updatedColumns(scope, this.table.columns.map((c) => c.name)).map((c) => `${quote(c)} = ?`).join(", ");
			statement = this.db.prepare(`UPDATE ${quote(this.table.name)} SET ${set} WHERE "id" = ? AND "version" = ? AND "successor_id" IS NULL`);
			this.updates[key] = statement;
		}
		// The common write (data only) binds its four parameters directly: no spread arrays per request.
		if (key === 0) return statement.run(s.version, s.data, s.id, expectedVersion).changes === 1;
		const params = [s.version, s.data, ...(scope.times ? [s.lastSeenAt, s.idleExpiresAt] : []), ...(scope.columns ? this.columnValues(s) : []), s.id, expectedVersion];
		return statement.run(...params).changes === 1;
	}

	touch(id: string, lastSeenAt: number, idleExpiresAt: number): void {
		this.q.touch.run(lastSeenAt, idleExpiresAt, id);
	}

	rotate(id: string, expectedVersion: number, next: StoredSession, graceUntil: number | null): boolean {
		return this.rotateTx(id, expectedVersion, next, graceUntil);
	}

	destroy(id: string): void {
		this.q.destroy.run(id, id);
	}

	list(column: string, value: ColumnValue): StoredSession[] {
		const rows = this.db
			.query(`SELECT ${[...FIXED, ...this.table.columns.map((c) => c.name)].map(quote).join(", ")} FROM ${quote(this.table.name)} WHERE ${this.column(column)} = ? AND "successor_id" IS NULL`)
			.all(toSQL(value)) as Row[];
		return rows.map((r) => this.fromRow(r, r.id));
	}

	revoke(column: string, value: ColumnValue, exceptId?: string): number {
		const t = quote(this.table.name);
		const where = `${this.column(column)} = ? AND "successor_id" IS NULL AND "id" IS NOT ?`;
		const v = toSQL(value);
		return this.db.transaction(() => {
			// Under the write lock, so no rotation moves the kept session between this look-up and the deletes.
			const except = exceptId === undefined ? null : liveEnd(exceptId, (id) => (this.q.successor.get(id) as { successor_id: string | null } | null)?.successor_id);
			this.db.query(`DELETE FROM ${t} WHERE "successor_id" IN (SELECT "id" FROM ${t} WHERE ${where})`).run(v, except);
			return this.db.query(`DELETE FROM ${t} WHERE ${where}`).run(v, except).changes;
		}).immediate();
	}

	admit(next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number): AdmitResult {
		return this.admitTx(next, replaces, limit, now);
	}

	/**
	 * The lock is a lease row in the session table (an id no token hashes to, no promoted value): SQLite has
	 * no lock that outlives a transaction, and a transaction held across batches would block every writer.
	 * A lease left by a crashed process lapses after `PRUNE_LEASE_MS`.
	 */
	async withPruneLock<T>(fn: () => Promise<T>): Promise<T | null> {
		const t = quote(this.table.name);
		const now = Date.now();
		const until = now + PRUNE_LEASE_MS;
		const taken = this.db
			.query(
				`INSERT INTO ${t} ("id", "successor_id", "version", "data", "created_at", "rotated_at", "last_seen_at", "idle_expires_at", "absolute_expires_at") ` +
					// The lease's end is in rotated_at; its deadlines lie beyond any clock, so prune never deletes it.
					`VALUES (?1, NULL, 0, x'', ?2, ?3, ?2, ?4, ?4) ON CONFLICT("id") DO UPDATE SET "rotated_at" = ?3 WHERE "rotated_at" <= ?2`,
			)
			.run(PRUNE_LEASE_ID, now, until, Number.MAX_SAFE_INTEGER).changes;
		if (taken !== 1) return null;
		try {
			return await fn();
		} finally {
			this.db.query(`DELETE FROM ${t} WHERE "id" = ? AND "rotated_at" = ?`).run(PRUNE_LEASE_ID, until);
		}
	}

	prune(now: number, limit = Infinity): number {
		let total = 0;
		while (total < limit) {
			const changes = this.q.prune.run(now, now, Math.min(BATCH, limit - total)).changes;
			total += changes;
			if (changes < BATCH) break;
		}
		return total;
	}

	/** Finalizes the cached statements; the database itself stays open and belongs to the caller. */
	close(): void {
		for (const statement of [...Object.values(this.q), ...this.updates]) statement?.finalize();
	}

	private column(name: string): string {
		if (!this.table.columns.some((c) => c.name === name)) throw new TypeError(`"${name}" is not a promoted column of ${this.table.name}.`);
		return quote(name);
	}

	private columnValues(s: StoredSession): (string | number | null)[] {
		return this.table.columns.map((c) => toSQL(s.columns[c.name] ?? null));
	}

	private values(s: StoredSession): (string | number | null | Uint8Array)[] {
		return [s.id, s.successorId, s.version, s.data, s.createdAt, s.rotatedAt, s.lastSeenAt, s.idleExpiresAt, s.absoluteExpiresAt, ...deviceParams(s), ...this.columnValues(s)];
	}

	private fromRow(row: Row, id: string): StoredSession {
		const columns: Record<string, ColumnValue> = {};
		const promoted = this.table.columns;
		for (let i = 0; i < promoted.length; i++) {
			const c = promoted[i] as TableModel["columns"][number];
			const v = row[c.name] as string | number | null;
			columns[c.name] = c.type === "boolean" && v !== null ? v === 1 : v;
		}
		const session: StoredSession = {
			id, successorId: row.successor_id, version: row.version, data: row.data, createdAt: row.created_at,
			rotatedAt: row.rotated_at, lastSeenAt: row.last_seen_at, idleExpiresAt: row.idle_expires_at,
			absoluteExpiresAt: row.absolute_expires_at, columns,
		};
		// Assigned, not spread in: a spread of an empty object still costs an object copy on every load.
		const handle = row["handle"] as string | null;
		if (handle !== null) {
			session.device = { handle, description: row["device"] as string | null, label: row["device_label"] as string | null, network: row["network"] as string | null };
		}
		return session;
	}
}

/** The expired ids of one batch (now, now, limit): SQLite answers the OR from both deadline indexes (MULTI-INDEX OR). */
export function sqlitePruneSelect(table: string): string {
	const t = quote(table);
	return `SELECT "id" FROM ${t} WHERE "idle_expires_at" <= ? OR "absolute_expires_at" <= ? LIMIT ?`;
}

function toSQL(value: ColumnValue): string | number | null {
	return typeof value === "boolean" ? (value ? 1 : 0) : value;
}

function quote(identifier: string): string {
	return `"${identifier.replaceAll('"', '""')}"`;
}
