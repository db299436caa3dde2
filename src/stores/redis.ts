import type { RedisClient } from "bun";
import type { TableModel } from "../../schema/model.ts";
import type { DeviceRecord } from "../device.ts";
import { FULL_UPDATE, type AdmitResult, type ColumnValue, type SessionLimit, type Store, type StoredSession, type UpdateScope } from "../store.ts";
import { StoreUnavailableError } from "../errors.ts";
import { SendBatch } from "./redis-batch.ts";
import { pingRedis, redisLocation } from "./redis-check.ts";
import { RedisCluster } from "./redis-cluster.ts";
import { RedisConnection } from "./redis-connection.ts";
import { openRedis, senderFor } from "./redis-open.ts";
import { hashTagOf } from "./redis-cluster-slot.ts";
import { ROW_FIELDS } from "./redis-lua.ts";
import { runScript, type ScriptName } from "./redis-scripts.ts";

export { RedisCluster, type RedisClusterOptions } from "./redis-cluster.ts";
export { RedisConnection, type RedisConnectionOptions } from "./redis-connection.ts";

/** Options of the Redis store. */
export interface RedisStoreOptions {
	/** The session table model: its promoted columns become the per-value indexes behind list() and revoke(). */
	table: TableModel;
	/**
	 * Prepended to every key; default `sess:<table>:`, on a cluster `{sess:<table>}:`. On Redis Cluster it
	 * must hold a hash tag, because the scripts touch a row, its indexes and aliases together.
	 */
	prefix?: string;
	/**
	 * Replicas that must hold a logout, revoke or rotation before it is acknowledged (`WAIT`), so that a
	 * failover to a replica cannot bring a logged-out session back. Default 0: Redis replicates asynchronously.
	 */
	waitForReplicas?: number;
	/** How long to wait for them, in milliseconds (default 1000); fewer in time fails the call (503). */
	waitTimeoutMs?: number;
}

/** The key of the device record inside a row's k field ("$" is outside every SQL name). */
const DEVICE_KEY = "$device";

/** How long a prune lease lasts if its holder never releases it (a crash). */
const PRUNE_LEASE_MS = 5 * 60_000;
/** Deadline entries handled per prune script, so no single script blocks the server long. */
const BATCH = 500;

// Redis deletes expired rows itself (each row's TTL is its deadline). prune() still honours the contract
// with the caller's clock, which matters only when that clock runs ahead of the server's, and drops the
// deadline entries of rows Redis already expired; index members of such rows go when list/revoke meet them.

/** Sessions in Redis (our RESP connection, a cluster router, or a `Bun.RedisClient` of the app's): a hash per hashed ID with a TTL, ID sets per column value, Lua for multi-key writes. */
export class RedisStore implements Store {
	/** The connection; the store closes it only when it opened it from a URL. */
	readonly client: RedisClient | RedisCluster | RedisConnection;
	/** Where commands go: the router or connection (which gather writes themselves), or a Bun.RedisClient through a SendBatch. */
	private readonly sender: RedisCluster | RedisConnection | SendBatch;
	private readonly table: TableModel;
	private readonly prefix: string;
	private readonly owned: boolean;
	private readonly replicas: number;
	private readonly waitMs: string;
	/** The URL the store opened, password masked, for messages; null for a client passed in. */
	private readonly location: string | null;
	/** Whether rows are read with HMGET (our connection, the cluster router) rather than the load function (Bun.RedisClient). */
	private readonly plainReads: boolean;
	private closed = false;

	/**
	 * Wraps a client or a cluster router, or opens (and then owns) one from a `redis://`, `rediss://` or
	 * `redis-cluster://host:port[,host:port…]` URL.
	 */
	constructor(client: RedisClient | RedisCluster | RedisConnection | string, options: RedisStoreOptions) {
		for (const c of options.table.columns) {
			// The column name sits between colons in index keys; a colon in it could make two keys collide.
			if (c.name.includes(":")) throw new TypeError(`Column "${c.name}" of ${options.table.name} contains ":", which Redis index keys cannot hold.`);
		}
		this.owned = typeof client === "string";
		this.location = typeof client === "string" ? redisLocation(client) : null;
		this.client = typeof client !== "string" ? client : openRedis(client);
		this.sender = senderFor(this.client);
		this.plainReads = !(this.sender instanceof SendBatch);
		this.table = options.table;
		const cluster = this.client instanceof RedisCluster;
		this.prefix = options.prefix ?? (cluster ? `{sess:${options.table.name}}:` : `sess:${options.table.name}:`);
		// Every key of the table shares the prefix's tag, hence one slot: each script's keys live on one node.
		if (cluster && hashTagOf(this.prefix) === this.prefix) throw new TypeError(`The Redis prefix "${this.prefix}" has no hash tag; on a cluster use one such as "{${this.prefix}}".`);
		this.replicas = options.waitForReplicas ?? 0;
		if (!Number.isInteger(this.replicas) || this.replicas < 0) throw new TypeError(`waitForReplicas must be a whole number, got ${this.replicas}.`);
		this.waitMs = String(options.waitTimeoutMs ?? 1000);
	}

	get(id: string): Promise<StoredSession | null> {
		// Over our own connection a plain HMGET: its nine bulk strings cost this process little to read
		// (redis-resp.ts), and Redis less than any script (no Lua call: FCALL_RO of the load function took
		// ≈4 µs of Redis CPU per request). Over a Bun.RedisClient, which converts each reply element at a
		// price, one packed string from the load function: see `load` in redis-lua.ts.
		if (this.plainReads) return this.ready("HMGET", [this.rowKey(id), ...ROW_FIELDS]).then((row) => this.decodeRow(id, row));
		return this.run("load", [this.rowKey(id)], []).then((packed) => (typeof packed === "string" ? this.unpack(id, packed) : null));
	}

	async create(session: StoredSession): Promise<void> {
		if ((await this.run("create", [this.rowKey(session.id)], [this.prefix, ...this.rowArgs(session)])) !== 1) throw new Error("session id collision");
	}

	// Not async: the commit of every request would pay an async frame and its turns for an `=== 1`.
	update(session: StoredSession, expectedVersion: number, scope: UpdateScope = FULL_UPDATE): Promise<boolean> {
		try {
			const key = this.rowKey(session.id);
			const expected = int(expectedVersion);
			// Only a change of promoted columns moves the row between index sets. Otherwise only hash fields
			// change, plus, when the idle deadline slides, the row's TTL and the TTLs that must outlive it.
			if (scope.columns) return this.run("update", [key], [this.prefix, expected, ...this.rowArgs(session)]).then(isOne);
			const version = int(session.version);
			if (!scope.times) return this.run("write", [key], [expected, version, session.data.toBase64()]).then(isOne);
			return this.run("slide", [key, `${this.prefix}d`], [expected, version, session.data.toBase64(), num(session.lastSeenAt), num(session.idleExpiresAt), session.id]).then(isOne);
		} catch (error) {
			return Promise.reject(error);
		}
	}

	async touch(id: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
		await this.run("touch", [this.rowKey(id), `${this.prefix}d`], [id, num(lastSeenAt), num(idleExpiresAt)]);
	}

	async rotate(id: string, expectedVersion: number, next: StoredSession, graceUntil: number | null): Promise<boolean> {
		const grace = graceUntil === null ? "" : num(graceUntil);
		const key = this.rowKey(id);
		const done = (await this.run("rotate", [key], [this.prefix, id, int(expectedVersion), grace, ...this.rowArgs(next)])) === 1;
		// Best effort: failing a rotation that applied would leave the client with neither cookie working.
		if (done) await this.replicate(key, false);
		return done;
	}

	async admit(next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number): Promise<AdmitResult> {
		const index = this.indexKey(limit.column, next.columns[limit.column] ?? null);
		// A null value limits nothing; an index key nobody uses keeps the script's key list the same.
		const keys = [index ?? `${this.prefix}i:${limit.column}:none`, this.rowKey(next.id)];
		const args = [this.prefix, replaces?.id ?? "", replaces === null ? "" : int(replaces.version), String(index === null ? Number.MAX_SAFE_INTEGER : limit.max), limit.policy, num(now), ...this.rowArgs(next)];
		const [status, ...evicted] = (await this.run("admit", keys, args)) as string[];
		if (status === "admitted") await this.replicate(keys[1] as string, false);
		return status === "admitted" ? { status, evicted } : { status: status === "refused" ? "refused" : "conflict" };
	}

	async destroy(id: string): Promise<void> {
		const key = this.rowKey(id);
		await this.run("destroy", [key], [this.prefix, id]);
		await this.replicate(key);
	}

	async list(column: string, value: ColumnValue): Promise<StoredSession[]> {
		const key = this.indexKey(column, value);
		if (key === null) return [];
		const rows = (await this.run("list", [key], [this.prefix])) as (string | null)[][];
		return rows.map((row) => this.decode(row[0] ?? "", row, 1));
	}

	async revoke(column: string, value: ColumnValue, exceptId?: string): Promise<number> {
		const key = this.indexKey(column, value);
		if (key === null) return 0;
		const n = (await this.run("revoke", [key], [this.prefix, exceptId ?? ""])) as number;
		await this.replicate(key);
		return n;
	}

	/**
	 * Start-up check: connects and PINGs, so a stopped server or a wrong URL fails when the app starts
	 * (`StoreUnavailableError`) instead of at the first request that has a cookie, after the client's retries.
	 */
	async check(timeoutMs = 5000): Promise<void> {
		if (this.closed) throw new Error("RedisStore is closed");
		await pingRedis(this.client, this.location, timeoutMs);
	}

	/** A `SET NX PX` lease under the prefix, released only by its holder (compare-and-delete in one script). */
	async withPruneLock<T>(fn: () => Promise<T>): Promise<T | null> {
		const key = `${this.prefix}prune-lock`;
		const token = crypto.randomUUID();
		const taken = await this.ready("SET", [key, token, "NX", "PX", String(PRUNE_LEASE_MS)]);
		if (taken !== "OK") return null;
		try {
			return await fn();
		} finally {
			await this.ready("EVAL", ['if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0', "1", key, token]);
		}
	}

	async prune(now: number, limit = Infinity): Promise<number> {
		let total = 0;
		while (total < limit) {
			const want = Math.min(BATCH, limit - total);
			const [deleted, seen] = (await this.run("prune", [`${this.prefix}d`], [this.prefix, num(now), String(want)])) as [number, number];
			total += deleted;
			// Entries of rows Redis already expired count as seen, not deleted, so progress is by `seen`.
			if (seen < want) break;
		}
		return total;
	}

	/** Stops the store; closes the client only if the store opened it from a URL. */
	async close(): Promise<void> {
		this.closed = true;
		if (this.owned) this.client.close();
	}

	/**
	 * Bun's client stops for good after `maxRetries` failed reconnects (an outage of ~30 s with the
	 * defaults) and rejects every command until `connect()`; calling it here lets the store recover
	 * once the server is back. While a reconnect is under way, `connect()` joins it. A connected client
	 * sends at once, without waiting a turn for a check that passed.
	 */
	private ready(command: string, args: string[]): Promise<unknown> {
		if (this.closed) return Promise.reject(new Error("RedisStore is closed"));
		// Not an async function: on the hot path that would add a promise and a turn to every command.
		if (!this.client.connected) return this.client.connect().then(() => this.sender.send(command, args));
		try {
			return this.sender.send(command, args);
		} catch (error) {
			return Promise.reject(error);
		}
	}

	/** `ready` for a script of the library. */
	private run(name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
		if (this.closed) return Promise.reject(new Error("RedisStore is closed"));
		if (!this.client.connected) return this.client.connect().then(() => runScript(this.sender, name, keys, args));
		try {
			return runScript(this.sender, name, keys, args);
		} catch (error) {
			return Promise.reject(error);
		}
	}

	/**
	 * With `waitForReplicas`, holds the acknowledgement of an ending (logout, revoke, a rotation retiring
	 * an ID) until that many replicas have it: WAIT on the connection that wrote it, which on a cluster is
	 * the one to the node serving `key`. A logout or revoke that too few replicas hold fails (`strict`):
	 * the user can repeat it. A rotation or login is then acknowledged anyway, as its new cookie is the
	 * only one that works once it applied.
	 */
	private async replicate(key: string, strict = true): Promise<void> {
		if (this.replicas === 0) return;
		const args = [String(this.replicas), this.waitMs];
		const acked = (await (this.client instanceof RedisCluster ? this.client.sendTo(key, "WAIT", args) : this.sender.send("WAIT", args))) as number;
		if (acked < this.replicas && strict) throw new StoreUnavailableError(`Redis: ${acked} of ${this.replicas} replicas acknowledged a logout, revoke or rotation within ${this.waitMs} ms; check the replicas, or lower waitForReplicas.`);
	}

	private rowKey(id: string): string {
		return `${this.prefix}s:${id}`;
	}

	/** The set of IDs holding `value` in `column`, typed so that "5" and 5 differ; null is never indexed. Also RedisSpreadStore's. */
	indexKey(column: string, value: ColumnValue): string | null {
		if (!this.table.columns.some((c) => c.name === column)) throw new TypeError(`"${column}" is not a promoted column of ${this.table.name}.`);
		if (value === null) return null;
		const typed = typeof value === "string" ? `s:${value}` : typeof value === "number" ? `n:${num(value)}` : `b:${value}`;
		return `${this.prefix}i:${column}:${typed}`;
	}

	/** A row as the scripts read it: id, ROW_FIELDS, then how many index keys and the keys (none for an alias). Also RedisSpreadStore's. */
	rowArgs(s: StoredSession): string[] {
		const columns: Record<string, ColumnValue> = {};
		for (const c of this.table.columns) columns[c.name] = s.columns[c.name] ?? null;
		const indexes: string[] = [];
		if (s.successorId === null) {
			for (const [column, value] of Object.entries(columns)) {
				const key = this.indexKey(column, value);
				if (key !== null) indexes.push(key);
			}
		}
		// The device record rides in k beside the columns, under a key no SQL column name can take.
		const k = s.device === undefined ? columns : { ...columns, [DEVICE_KEY]: s.device };
		return [
			s.id, int(s.version), s.successorId ?? "", s.data.toBase64(), num(s.createdAt), num(s.rotatedAt), num(s.lastSeenAt),
			num(s.idleExpiresAt), num(s.absoluteExpiresAt), JSON.stringify(k), String(indexes.length), ...indexes,
		];
	}

	/** HMGET's answer for a row: nil in v (the first field) when there is none. */
	private decodeRow(id: string, row: unknown): StoredSession | null {
		const fields = row as (string | null)[];
		return typeof fields[0] === "string" ? this.decode(id, fields, 0) : null;
	}

	/** A row as `load` packs it: ROW_FIELDS joined by newlines; k, the last, may hold any byte. */
	private unpack(id: string, packed: string): StoredSession {
		const row: string[] = [];
		let at = 0;
		for (let n = 0; n < ROW_FIELDS.length - 1; n++) {
			const end = packed.indexOf("\n", at);
			row.push(packed.slice(at, end));
			at = end + 1;
		}
		row.push(packed.slice(at));
		return this.decode(id, row, 0);
	}

	/** The ROW_FIELDS values Redis returned for `id`, starting at `at` in `row`. */
	private decode(id: string, row: readonly (string | null | undefined)[], at: number): StoredSession {
		const field = (n: number): string => row[at + n] ?? "";
		const stored = JSON.parse(row[at + 8] ?? "{}") as Record<string, ColumnValue> & { [DEVICE_KEY]?: DeviceRecord };
		const columns: Record<string, ColumnValue> = {};
		for (const col of this.table.columns) columns[col.name] = stored[col.name] ?? null;
		const device = stored[DEVICE_KEY];
		return {
			...(device === undefined ? {} : { device }),
			// The native decoder: the JS one took ~7 µs for an 80-byte session, more than the round trip's server time.
			id, successorId: field(1) || null, version: Number(field(0)), data: Uint8Array.fromBase64(field(2)),
			createdAt: Number(field(3)), rotatedAt: Number(field(4)), lastSeenAt: Number(field(5)), idleExpiresAt: Number(field(6)),
			absoluteExpiresAt: Number(field(7)), columns,
		};
	}
}

const isOne = (reply: unknown): boolean => reply === 1;

/** A finite number as Redis and Lua parse it back exactly. */
function num(n: number): string {
	if (!Number.isFinite(n)) throw new TypeError(`RedisStore cannot store the number ${n}.`);
	return String(n);
}

/** Versions are compared as strings in Lua, so they must be canonical integers. */
function int(n: number): string {
	if (!Number.isSafeInteger(n)) throw new TypeError(`A session version must be a safe integer, got ${n}.`);
	return String(n);
}
