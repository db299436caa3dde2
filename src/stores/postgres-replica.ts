import type { SQL } from "bun";
import { ConfigError } from "../errors.ts";
import type { AdmitResult, ColumnValue, SessionLimit, Store, StoredSession, UpdateScope } from "../store.ts";
import { PostgresStore, type PostgresStoreOptions } from "./postgres.ts";
import { parseLsn, ReplayWatcher } from "./postgres-replay.ts";

/** Options of the replica-backed PostgreSQL store. */
export interface PostgresReplicaStoreOptions extends PostgresStoreOptions {
	/** Longest a write waits for the replica to replay it before failing with `ReplicaLagError` (default 5000 ms). */
	maxLagMs?: number;
	/** How often a waiting process asks the replica for its replay position (default 5 ms). */
	pollMs?: number;
}

/** What the replica cost and served: every session read goes to it; writes (and retries after a lost compare-and-set) wait for it. */
export interface ReplicaReadStats {
	/** `get` and `list` calls, all answered by the replica. */
	replicaReads: number;
	/** Calls that waited for the replica to replay the primary's WAL position, and how long in all. */
	waits: number;
	waitedMs: number;
}

const URL_SCHEME = /^postgres(ql)?:\/\//i;

/**
 * Sessions in PostgreSQL, written to the primary and read from a streaming replica. The rule that keeps
 * every guarantee: no store call returns until the replica has replayed everything the call wrote or
 * read on the primary (its WAL position, taken after the commit). So nothing a client was told (a login,
 * a write, a rotation, a logout, a revoke) is missing from the replica when the client's next request
 * starts, on any process, and every read (`get`, `list`) goes to the replica. A write costs the replica's
 * replay lag; a replica that falls `maxLagMs` behind turns writes into `ReplicaLagError` (a 503). The
 * re-read after a lost compare-and-set first waits for the replica to show the winning write.
 */
export class PostgresReplicaStore implements Store {
	private readonly primarySql: SQL;
	private readonly replicaSql: SQL;
	private readonly primary: PostgresStore;
	private readonly replica: PostgresStore;
	private readonly watcher: ReplayWatcher;
	private readonly owned: SQL[] = [];
	/** IDs whose compare-and-set failed here, with the primary's WAL position then: a read of them first waits for the replica to reach it. */
	private readonly contended = new Map<string, bigint>();
	private checked: Promise<void> | null = null;
	private readonly counts: ReplicaReadStats = { replicaReads: 0, waits: 0, waitedMs: 0 };

	/** Writes go to `primary`, reads to `replica` (a standby streaming from it): Bun.SQL clients (left open) or URLs (closed by `close()`). */
	constructor(primary: SQL | string, replica: SQL | string, options: PostgresReplicaStoreOptions) {
		const maxLagMs = options.maxLagMs ?? 5000;
		if (!(maxLagMs > 0)) throw new ConfigError("invalid_config", `maxLagMs must be a positive number of milliseconds; got ${options.maxLagMs}.`);
		this.primarySql = this.client(primary, "primary");
		this.replicaSql = this.client(replica, "read replica");
		this.primary = new PostgresStore(this.primarySql, { table: options.table });
		this.replica = new PostgresStore(this.replicaSql, { table: options.table });
		this.watcher = new ReplayWatcher(this.replicaSql, options.pollMs ?? 5, maxLagMs);
	}

	/** Checks that the read server is a standby of the primary and has its tables; the first operation runs it too. */
	ready(): Promise<void> {
		// A failed check is not kept: a replica still starting passes on a later call.
		this.checked ??= this.check().catch((error: unknown) => {
			this.checked = null;
			throw error;
		});
		return this.checked;
	}

	/** Reads served and waits so far. */
	stats(): ReplicaReadStats {
		return { ...this.counts };
	}

	async get(id: string): Promise<StoredSession | null> {
		await this.ready();
		const mark = this.contended.get(id);
		if (mark !== undefined) {
			// The write that beat ours is on the primary, maybe not yet on the replica: its retry must see it.
			if (mark <= this.watcher.position) this.contended.delete(id);
			else await this.waitFor(mark);
		}
		this.counts.replicaReads++;
		return this.replica.get(id);
	}

	async create(session: StoredSession): Promise<void> {
		await this.ready();
		await this.primary.create(session);
		await this.settle();
	}

	async update(session: StoredSession, expectedVersion: number, scope?: UpdateScope): Promise<boolean> {
		await this.ready();
		const written = await this.primary.update(session, expectedVersion, scope);
		if (!written) await this.contend(session.id);
		else await this.settle();
		return written;
	}

	async touch(id: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
		await this.ready();
		await this.primary.touch(id, lastSeenAt, idleExpiresAt);
		await this.settle();
	}

	async rotate(id: string, expectedVersion: number, next: StoredSession, graceUntil: number | null): Promise<boolean> {
		await this.ready();
		const rotated = await this.primary.rotate(id, expectedVersion, next, graceUntil);
		if (!rotated) await this.contend(id);
		else await this.settle();
		return rotated;
	}

	async destroy(id: string): Promise<void> {
		await this.ready();
		await this.primary.destroy(id);
		await this.settle();
	}

	async list(column: string, value: ColumnValue): Promise<StoredSession[]> {
		await this.ready();
		this.counts.replicaReads++;
		return this.replica.list(column, value);
	}

	async revoke(column: string, value: ColumnValue, exceptId?: string): Promise<number> {
		await this.ready();
		const count = await this.primary.revoke(column, value, exceptId);
		await this.settle();
		return count;
	}

	async admit(next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number): Promise<AdmitResult> {
		await this.ready();
		const result = await this.primary.admit(next, replaces, limit, now);
		if (result.status === "admitted") await this.settle();
		else if (result.status === "conflict" && replaces !== null) await this.contend(replaces.id);
		return result;
	}

	withPruneLock<T>(fn: () => Promise<T>): Promise<T | null> {
		return this.primary.withPruneLock(fn);
	}

	/** Deletes expired rows on the primary; when it deleted any, returns once the replica no longer shows them. */
	async prune(now: number, limit?: number): Promise<number> {
		await this.ready();
		const count = await this.primary.prune(now, limit);
		if (count > 0) await this.settle();
		return count;
	}

	/** Closes the clients this store opened from URLs; clients passed in stay open. */
	async close(): Promise<void> {
		await Promise.all(this.owned.map((sql) => sql.close()));
	}

	private client(given: SQL | string, role: string): SQL {
		if (typeof given !== "string") return given;
		if (!URL_SCHEME.test(given)) {
			throw new ConfigError("invalid_config", `The ${role} of the replica store needs a postgres:// URL; got "${given.replace(/\/\/[^@/]*@/, "//…@")}".`);
		}
		const sql = new Bun.SQL(given);
		this.owned.push(sql);
		return sql;
	}

	/**
	 * Waits until the replica has replayed everything the primary had written when this is called. The
	 * write position, read after the commit returned, is past that commit's record (synchronous_commit on).
	 */
	private async settle(): Promise<void> {
		await this.waitFor(await this.primaryPosition());
	}

	private async primaryPosition(): Promise<bigint> {
		const [row] = (await this.primarySql.unsafe("SELECT pg_current_wal_lsn()::text AS lsn")) as Array<{ lsn: string }>;
		return parseLsn((row as { lsn: string }).lsn);
	}

	private async waitFor(lsn: bigint): Promise<void> {
		const started = performance.now();
		await this.watcher.waitFor(lsn);
		this.counts.waits++;
		this.counts.waitedMs += performance.now() - started;
	}

	private async check(): Promise<void> {
		const query = "SELECT system_identifier::text AS system, pg_is_in_recovery() AS standby FROM pg_control_system()";
		type Row = { system: string; standby: boolean } | undefined;
		const [[p], [r]] = (await Promise.all([this.primarySql.unsafe(query), this.replicaSql.unsafe(query)])) as [Row[], Row[]];
		if (p === undefined || p.standby) throw new ConfigError("invalid_config", "The primary URL of the replica store names a standby; point it at the primary that takes the writes.");
		if (r === undefined || !r.standby) throw new ConfigError("invalid_config", "The read URL names a server that is not a standby in recovery; point it at a streaming replica of the primary, or leave it unset.");
		if (p.system !== r.system) throw new ConfigError("invalid_config", "The read URL names a standby of another cluster than the primary (different system identifier); point it at a replica of the primary.");
		// With synchronous_commit off a commit returns before its WAL is written, so the write position read next could precede it.
		const [setting] = (await this.primarySql.unsafe("SELECT current_setting('synchronous_commit') AS value")) as Array<{ value: string }>;
		if (setting?.value === "off") throw new ConfigError("invalid_config", "The primary runs with synchronous_commit = off, so a write's WAL position is not known when it returns; set it to on (or local) for the session role.");
		// The tables `sess migrate` just made on the primary must exist on the replica before the first read.
		await this.settle();
	}

	/** Marks `id` after a lost compare-and-set: the winner's commit is behind the primary's position now. */
	private async contend(id: string): Promise<void> {
		const position = await this.primaryPosition();
		if (this.contended.size > 10_000) for (const [key, mark] of this.contended) if (mark <= this.watcher.position) this.contended.delete(key);
		this.contended.set(id, position);
	}
}
