// One session table spread over every slot of a Redis Cluster: a RedisStore per route tag, and the few
// steps that cross tags, ordered so that each guarantee of a single slot still holds (docs/beyond-one-server.md).
import type { RedisClient } from "bun";
import type { TableModel } from "../../schema/model.ts";
import type { AdmitResult, ColumnValue, SessionLimit, Store, StoredSession, UpdateScope } from "../store.ts";
import { randomRouteTag, ROUTE_TAG_CHARS, routeTagFor, routeTagOf } from "../token.ts";
import { RedisCluster } from "./redis-cluster.ts";
import { RedisConnection } from "./redis-connection.ts";
import { SendBatch } from "./redis-batch.ts";
import { openRedis, senderFor } from "./redis-open.ts";
import { pingRedis, redisLocation } from "./redis-check.ts";
import { runScript, type ScriptName } from "./redis-scripts.ts";
import { RedisStore } from "./redis.ts";

/** Options of the spread Redis store. */
export interface RedisSpreadStoreOptions {
	table: TableModel;
	/** The promoted column that places rows (the user's): every row holding one value shares a slot. */
	routeBy: string;
	/** Key names start `{<base>:<tag>}:`; default `sess:<table>`. Braces are added, not given. */
	base?: string;
	/** As RedisStore's: replicas that must hold a logout, revoke or rotation before it is acknowledged. */
	waitForReplicas?: number;
	waitTimeoutMs?: number;
}

/** Route tags there are: 12 bits (token.ts), each its own hash tag, so its own slot (or a shared one). */
const TAGS = 16 ** ROUTE_TAG_CHARS;
/** ZCOUNTs prune() sends at once while it looks for tags with expired rows. */
const PROBE_BATCH = 512;
/** How many times revoke() goes over a value's tags: one more than sessions moved between them during a pass. */
const REVOKE_PASSES = 3;

/**
 * Sessions in Redis, one table over every slot of a cluster. A row lives under the tag its ID carries
 * (`<tag>.<hash>`, minted by the manager from `routeBy`'s value, see `Store.routeBy`), with its indexes,
 * aliases and deadline entry: each script of RedisStore runs within one tag, unchanged. A value's home
 * tag is the tag of that value; rows holding it elsewhere (another column's value, or a row whose
 * column changed without a new ID) are found through the value's directory at home, filled before such a
 * row is written. Steps across tags: a login or regeneration whose new ID lands in another tag than the
 * old (new row first, then the old one's compare-and-set), and list/revoke over a directory.
 */
export class RedisSpreadStore implements Store {
	readonly routeBy: string;
	readonly client: RedisClient | RedisCluster | RedisConnection;
	/** Where the cross-tag scripts go: the client, or a Bun.RedisClient through a SendBatch (which takes runScript's `recover`). */
	private readonly scripts: RedisCluster | RedisConnection | SendBatch;
	private readonly options: RedisSpreadStoreOptions;
	private readonly base: string;
	private readonly owned: boolean;
	private readonly stores = new Map<string, RedisStore>();
	private readonly replicas: number;
	/** The URL the store opened, password masked, for messages; null for a client passed in. */
	private readonly location: string | null;

	/** Wraps a client or cluster router, or opens (and owns) one from a URL as RedisStore does. */
	constructor(client: RedisClient | RedisCluster | RedisConnection | string, options: RedisSpreadStoreOptions) {
		if (!options.table.columns.some((c) => c.name === options.routeBy)) throw new TypeError(`routeBy "${options.routeBy}" is not a promoted column of ${options.table.name}.`);
		this.owned = typeof client === "string";
		this.location = typeof client === "string" ? redisLocation(client) : null;
		this.client = typeof client !== "string" ? client : openRedis(client);
		this.scripts = senderFor(this.client);
		this.options = options;
		this.routeBy = options.routeBy;
		this.base = options.base ?? `sess:${options.table.name}`;
		if (/[{}]/.test(this.base)) throw new TypeError(`The base "${this.base}" must not hold braces; the store adds the hash tag itself.`);
		this.replicas = options.waitForReplicas ?? 0;
	}

	/** Start-up check, as `RedisStore.check`: a Redis that does not answer fails at start with `StoreUnavailableError`. */
	check(timeoutMs = 5000): Promise<void> {
		return pingRedis(this.client, this.location, timeoutMs);
	}

	/** The key prefix of a tag: its own hash tag, so each tag's keys share one slot. */
	prefixOf(tag: string): string {
		return `{${this.base}:${tag}}:`;
	}

	/** The single-slot store of one tag (made on first use; 4096 at most). */
	private at(tag: string): RedisStore {
		let store = this.stores.get(tag);
		if (store === undefined) {
			const { table, waitForReplicas, waitTimeoutMs } = this.options;
			store = new RedisStore(this.client, { table, prefix: this.prefixOf(tag), ...(waitForReplicas === undefined ? {} : { waitForReplicas }), ...(waitTimeoutMs === undefined ? {} : { waitTimeoutMs }) });
			this.stores.set(tag, store);
		}
		return store;
	}

	/** The store of the tag an ID carries; an ID without one cannot be placed (the manager mints none). */
	private of(id: string): RedisStore {
		const tag = routeTagOf(id);
		if (tag === null) throw new TypeError(`RedisSpreadStore: the ID ${id.slice(0, 8)}… carries no route tag; it was not minted for a routed store.`);
		return this.at(tag);
	}

	async get(id: string): Promise<StoredSession | null> {
		// No row can live under an ID without a tag: what a load is given is never an error.
		return routeTagOf(id) === null ? null : this.of(id).get(id);
	}

	async create(session: StoredSession): Promise<void> {
		await this.enlist(session);
		await this.of(session.id).create(session);
	}

	async update(session: StoredSession, expectedVersion: number, scope?: UpdateScope): Promise<boolean> {
		if (scope === undefined || scope.columns) await this.enlist(session);
		return this.of(session.id).update(session, expectedVersion, scope);
	}

	async touch(id: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
		await this.of(id).touch(id, lastSeenAt, idleExpiresAt);
	}

	async rotate(id: string, expectedVersion: number, next: StoredSession, graceUntil: number | null): Promise<boolean> {
		await this.enlist(next);
		if (routeTagOf(id) === routeTagOf(next.id)) return this.of(id).rotate(id, expectedVersion, next, graceUntil);
		// Across tags. The new row first: nobody holds its token, so no request can load it, while revoke
		// and list see it as they would after the rotation. The old row's compare-and-set then decides,
		// the one point where the rotation takes effect; a loser deletes the row it wrote.
		await this.of(next.id).create(next);
		return this.retire(id, expectedVersion, next, graceUntil);
	}

	async admit(next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number): Promise<AdmitResult> {
		if (limit.column !== this.routeBy) throw new TypeError(`RedisSpreadStore counts sessions by "${this.routeBy}", its route column, not "${limit.column}".`);
		const value = next.columns[limit.column] ?? null;
		if (value !== null && routeTagFor(limit.column, value) !== routeTagOf(next.id)) throw new TypeError("RedisSpreadStore: a login must carry the tag of its user; mint it through the manager.");
		await this.enlist(next);
		const store = this.of(next.id);
		if (replaces === null || routeTagOf(replaces.id) === routeTagOf(next.id)) return store.admit(next, replaces, limit, now);
		// The replaced session (anonymous, in its own tag) lives in another slot. First a look at its version,
		// so a stale login writes nothing in the common case. Then three steps, each one script: stage the new
		// row in the user's slot (refusing there at the limit; staged, it is neither listed, counted by an
		// evicting limit nor evicted), retire the old row by compare-and-set (where the login takes effect;
		// a loser deletes its staged row), seat the new row, evicting the least recently seen beyond the
		// limit. Nobody is evicted for a login that does not take effect.
		const current = await this.get(replaces.id);
		if (current === null || current.version !== replaces.version || current.successorId !== null) return { status: "conflict" };
		const prefix = this.prefixOf(routeTagOf(next.id) as string);
		const index = value === null ? null : store.indexKey(limit.column, value);
		const keys = [index ?? `${prefix}i:${limit.column}:none`, `${prefix}s:${next.id}`];
		const max = String(index === null ? Number.MAX_SAFE_INTEGER : limit.max);
		const [status] = (await this.run("stage", keys, [prefix, max, limit.policy, String(now), ...store.rowArgs(next)])) as string[];
		if (status !== "staged") return { status: "refused" };
		if (!(await this.retire(replaces.id, replaces.version, next, null))) return { status: "conflict" };
		const [, ...evicted] = (await this.run("seat", keys, [prefix, next.id, max, String(now)])) as string[];
		if (evicted.length > 0 && this.replicas > 0) await this.send(keys[1] as string, "WAIT", [String(this.replicas), String(this.options.waitTimeoutMs ?? 1000)]);
		return { status: "admitted", evicted };
	}

	async destroy(id: string): Promise<void> {
		if (routeTagOf(id) !== null) await this.of(id).destroy(id);
	}

	async list(column: string, value: ColumnValue): Promise<StoredSession[]> {
		if (value === null) return [];
		const home = routeTagFor(column, value);
		const [rows, tags] = await Promise.all([this.at(home).list(column, value), this.directory(column, value)]);
		const elsewhere = await Promise.all(tags.filter((t) => t !== home).map((t) => this.at(t).list(column, value)));
		const seen = new Set<string>();
		return [...rows, ...elsewhere.flat()].filter((r) => !seen.has(r.id) && seen.add(r.id));
	}

	async revoke(column: string, value: ColumnValue, exceptId?: string): Promise<number> {
		if (value === null) return 0;
		const home = routeTagFor(column, value);
		// The home tag's script and the directory at once: for the sessions the manager minted for a user,
		// all at home, that script is the whole revoke, atomic as on one slot.
		const [first, found] = await Promise.all([this.at(home).revoke(column, value, exceptId), this.directory(column, value)]);
		let tags = found;
		if (tags.every((t) => t === home)) return first;
		// Other tags too: each tag's part is atomic, the whole is not. A session that moved from one tag to
		// another during a pass (its new row written before its old one died) is met by the next pass.
		let total = first;
		for (let pass = 0; pass < REVOKE_PASSES; pass++) {
			const counts = await Promise.all([home, ...tags.filter((t) => t !== home)].map((t) => this.at(t).revoke(column, value, exceptId)));
			const n = counts.reduce((a, b) => a + b, 0);
			total += n;
			if (n === 0 && pass > 0) break;
			tags = await this.directory(column, value);
		}
		return total;
	}

	async withPruneLock<T>(fn: () => Promise<T>): Promise<T | null> {
		return this.at("lock").withPruneLock(fn);
	}

	async prune(now: number, limit = Infinity): Promise<number> {
		let total = 0;
		for (let start = 0; start < TAGS && total < limit; start += PROBE_BATCH) {
			const tags = Array.from({ length: Math.min(PROBE_BATCH, TAGS - start) }, (_, i) => (start + i).toString(16).padStart(ROUTE_TAG_CHARS, "0"));
			const counts = (await Promise.all(tags.map((t) => this.send(`${this.prefixOf(t)}d`, "ZCOUNT", [`${this.prefixOf(t)}d`, "-inf", String(now)])))) as number[];
			for (let i = 0; i < tags.length && total < limit; i++) {
				if ((counts[i] ?? 0) > 0) total += await this.at(tags[i] as string).prune(now, limit - total);
			}
		}
		return total;
	}

	async close(): Promise<void> {
		for (const s of this.stores.values()) await s.close();
		if (this.owned) this.client.close();
	}

	/** A random tag for a row of nobody, as the manager draws it; for tests and tools writing rows directly. */
	static randomTag(): string {
		return randomRouteTag();
	}

	/**
	 * The compare-and-set half of a rotation across tags; a loser deletes the successor it wrote. If the
	 * script's fate is unknown (a broken connection), the successor is deleted all the same: nobody got
	 * its cookie, since the request fails.
	 */
	private async retire(id: string, expectedVersion: number, next: StoredSession, graceUntil: number | null): Promise<boolean> {
		const prefix = this.prefixOf(routeTagOf(id) as string);
		const key = `${prefix}s:${id}`;
		let won: boolean;
		try {
			won = (await this.run("retire", [key], [prefix, id, String(expectedVersion), graceUntil === null ? "" : String(graceUntil), next.id])) === 1;
		} catch (error) {
			await this.of(next.id).destroy(next.id).catch(() => undefined);
			throw error;
		}
		if (!won) {
			await this.of(next.id).destroy(next.id);
			return false;
		}
		if (this.replicas > 0) {
			// Best effort, as a rotation's: both slots' primaries, the old row's retirement and the new row.
			const args = [String(this.replicas), String(this.options.waitTimeoutMs ?? 1000)];
			await Promise.all([this.send(key, "WAIT", args), this.send(`${this.prefixOf(routeTagOf(next.id) as string)}s:${next.id}`, "WAIT", args)]);
		}
		return true;
	}

	/**
	 * Files the row's tag in the directory of each value it holds away from that value's home, before the
	 * row is written, so that list and revoke never miss it; kept until the row's absolute deadline, past
	 * which no idle slide can keep the row.
	 */
	private async enlist(row: StoredSession): Promise<void> {
		if (row.successorId !== null) return;
		const tag = routeTagOf(row.id);
		if (tag === null) return;
		const at = String(Math.ceil(row.absoluteExpiresAt));
		const pending: Promise<unknown>[] = [];
		for (const c of this.options.table.columns) {
			const value = row.columns[c.name] ?? null;
			if (value === null || routeTagFor(c.name, value) === tag) continue;
			const dir = this.directoryKey(c.name, value);
			pending.push(this.run("enlist", [dir], [tag, at]));
		}
		await Promise.all(pending);
	}

	/** The tags other than home whose rows hold `value` in `column`. */
	private async directory(column: string, value: string | number | boolean): Promise<string[]> {
		const key = this.directoryKey(column, value);
		return ((await this.send(key, "SMEMBERS", [key])) as string[]).sort();
	}

	private directoryKey(column: string, value: string | number | boolean): string {
		const typed = typeof value === "string" ? `s:${value}` : typeof value === "number" ? `n:${String(value)}` : `b:${value}`;
		return `${this.prefixOf(routeTagFor(column, value))}g:${column}:${typed}`;
	}

	private async run(name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
		if (!this.client.connected) await this.client.connect();
		return runScript(this.scripts, name, keys, args);
	}

	/** A plain command about `key` (its first key); WAIT goes to the connection that wrote `key`, as it must. */
	private async send(key: string, command: string, args: string[]): Promise<unknown> {
		if (!this.client.connected) await this.client.connect();
		if (command === "WAIT" && this.client instanceof RedisCluster) return this.client.sendTo(key, command, args);
		return this.client.send(command, args);
	}
}
