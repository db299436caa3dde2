import { READS, RedisConnection } from "./redis-connection.ts";
import { SlotCache, SLOTS, slotOf } from "./redis-cluster-slot.ts";

/** Options of the cluster router. */
export interface RedisClusterOptions {
	/** Per-node connect timeout in milliseconds (default 2000). */
	connectionTimeout?: number;
	/**
	 * How long one command keeps retrying while its slot has no reachable primary (a failover: the
	 * replica takes over after the cluster's node timeout), in milliseconds (default 4000, under the manager's 5 s store timeout).
	 */
	retryForMs?: number;
	/** TLS for every node, as Bun.connect takes it. */
	tls?: boolean | Bun.TLSOptions;
	/** Each node connection's `pollMicros` (RedisConnectionOptions): how long it spins while replies are due; default 200. */
	pollMicros?: number;
	/** Called with each error the router rides out (a redirection, a failover, a broken connection): for logs and tests. */
	onRetry?: (error: unknown, node: string | undefined) => void;
}

/** A failure to reach a node, as opposed to an error reply: the command may or may not have run. */
function isConnectionError(error: unknown): boolean {
	return error instanceof Error && (error as Error & { code?: unknown }).code !== "ERR_REDIS_SERVER_ERROR";
}

/** A lost connection that never sent the command (it waited to be written): safe to send anywhere. */
function wasNotSent(error: unknown): boolean {
	return (error as { unsent?: unknown } | null)?.unsent === true;
}

/** Error replies that come before a command runs and go away once the cluster settles (failover, resharding, start-up). */
const TRANSIENT = /^(TRYAGAIN|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY)\b/;

/**
 * Script calls, routed by their first key. The store's scripts reach rows through an index without declaring them, and on the node a
 * slot is moving to, after ASKING, a key still on the old node reads as absent rather than failing: a
 * revoke there found the index but not the rows, unlinked them and ended nothing. So `ASK` for a script is
 * waited out like `TRYAGAIN` (the slot settles and `MOVED` names its new node), never followed.
 */
const SCRIPTS: ReadonlySet<string> = new Set(["FCALL", "FCALL_RO", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO"]);

/** The key a command is routed by: the first key of a script call, else the first argument; null for keyless commands. */
function routingKey(command: string, args: readonly string[]): string | null {
	if (SCRIPTS.has(command)) return args[1] === "0" ? null : (args[2] ?? null);
	switch (command) {
		case "FUNCTION":
		case "SCRIPT":
		case "WAIT":
		case "PING":
		case "INFO":
		case "CLUSTER":
		case "SCAN":
			return null;
		default:
			return args[0] ?? null;
	}
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A thin Redis Cluster router over RedisConnection (which speaks to one server): a slot map from
 * CLUSTER SLOTS, one client per primary, each command sent to the primary of its first key's slot.
 * It follows MOVED (and refreshes the map) and ASK (ASKING first, on the same connection; a script instead
 * waits until the slot has moved, see SCRIPTS), and while a slot has no reachable primary (a failover)
 * retries for `retryForMs`. A command whose connection broke after it was sent is retried only if it only
 * reads: a write may have run, and running a compare-and-set twice is not the same as once, so the caller
 * gets the error (the request fails, unacknowledged).
 *
 * It offers the part of a client the Redis store uses: `send`, `connected`, `connect`, `close`,
 * plus `sendTo` for a command that must reach a given key's node (WAIT after a write).
 */
export class RedisCluster {
	private readonly seeds: string[];
	private readonly options: Required<Omit<RedisClusterOptions, "tls" | "onRetry" | "pollMicros">> & Pick<RedisClusterOptions, "tls" | "onRetry" | "pollMicros">;
	/** The primary's address for each slot. */
	private slots: (string | undefined)[] = new Array<string | undefined>(SLOTS);
	/** One connection per node; each gathers the writes of concurrent requests. */
	private readonly clients = new Map<string, RedisConnection>();
	private refreshing: Promise<void> | null = null;
	private readonly slotCache = new SlotCache();
	private loaded = false;
	private closed = false;

	/** Seeds: `host:port` addresses, or `redis-cluster://host:port,host:port` (any reachable node will do). */
	constructor(seeds: string | readonly string[], options: RedisClusterOptions = {}) {
		this.seeds = typeof seeds === "string" ? parseClusterUrl(seeds) : [...seeds];
		if (this.seeds.length === 0) throw new TypeError("A Redis Cluster needs at least one seed node, as host:port.");
		this.options = { connectionTimeout: options.connectionTimeout ?? 2000, retryForMs: options.retryForMs ?? 4000, ...(options.tls === undefined ? {} : { tls: options.tls }), ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }), ...(options.pollMicros === undefined ? {} : { pollMicros: options.pollMicros }) };
	}

	/** True once the slot map is loaded: commands then go straight to their node. */
	get connected(): boolean {
		return this.loaded && !this.closed;
	}

	/** Loads the slot map from a seed (or any known node). */
	async connect(): Promise<void> {
		if (this.closed) throw new Error("RedisCluster is closed");
		await this.refresh();
	}

	/** Closes every node's connection. */
	close(): void {
		this.closed = true;
		for (const c of this.clients.values()) c.close();
		this.clients.clear();
	}

	/** The primaries' addresses, as the slot map has them. */
	primaries(): string[] {
		return [...new Set(this.slots.filter((a): a is string => a !== undefined))];
	}

	/**
	 * Sends a command to the primary of its first key's slot (FUNCTION LOAD/DELETE/FLUSH to every primary).
	 * Not an async function: with the slot map loaded and the node connected, the command goes straight to
	 * the node's connection and only a failure enters the retry loop (`attempt`), as its first round.
	 */
	send(command: string, args: string[], recover?: (error: unknown) => unknown): Promise<unknown> {
		if (this.loaded && !this.closed && command !== "FUNCTION") {
			const key = routingKey(command, args);
			const address = key === null ? undefined : this.slots[this.slotCache.of(key)];
			const node = address === undefined ? undefined : this.clients.get(address);
			if (node !== undefined && node.connected) {
				const deadline = performance.now() + this.options.retryForMs;
				// The retry loop as the connection's `recover`: no promise of the router's own per command.
				return node.send(command, args, (error: unknown) => {
					const retried = this.attempt(null, key, command, args, { error, address: address as string, deadline });
					return recover === undefined ? retried : retried.catch(recover);
				});
			}
		}
		const slowly = this.sendSlowly(command, args);
		return recover === undefined ? slowly : slowly.catch(recover);
	}

	private async sendSlowly(command: string, args: string[]): Promise<unknown> {
		if (!this.loaded) await this.refresh();
		if (command === "FUNCTION" && /^(LOAD|DELETE|FLUSH|RESTORE)$/i.test(args[0] ?? "")) {
			const answers = await Promise.all(this.primaries().map((a) => this.attempt(a, null, command, args)));
			return answers[0];
		}
		return this.attempt(null, routingKey(command, args), command, args);
	}

	/** Sends a command to the node that serves `key`, without retries: WAIT must follow the write on its connection. */
	async sendTo(key: string, command: string, args: string[]): Promise<unknown> {
		if (!this.loaded) await this.refresh();
		const address = this.slots[slotOf(key)];
		if (address === undefined) throw new Error(`No Redis Cluster node serves the slot of ${key}.`);
		const node = this.node(address);
		if (!node.connected) await node.connect();
		return node.send(command, args);
	}

	/**
	 * One command to `fixed` (or to its key's primary), following redirections and riding out a failover.
	 * `failed`: a first round `send` already made, sent to a connected node, and how it failed.
	 */
	private async attempt(fixed: string | null, key: string | null, command: string, args: string[], failed?: { error: unknown; address: string; deadline: number }): Promise<unknown> {
		const deadline = failed?.deadline ?? performance.now() + this.options.retryForMs;
		let asking: string | null = null;
		for (let round = 0; ; round++) {
			if (this.closed) throw new Error("RedisCluster is closed");
			const address = round === 0 && failed !== undefined ? failed.address : (asking ?? fixed ?? (key === null ? this.primaries()[0] : this.slots[slotOf(key)]));
			let sent = false;
			try {
				if (round === 0 && failed !== undefined) {
					sent = true;
					throw failed.error;
				}
				if (address === undefined) throw Object.assign(new Error("CLUSTERDOWN no node serves this slot"), { code: "ERR_REDIS_SERVER_ERROR" });
				const node = this.node(address);
				if (!node.connected) await node.connect();
				sent = true;
				if (asking !== null) {
					// Both in the same turn, so no other caller's command gets between them.
					const flag = node.send("ASKING", []);
					const answer = node.send(command, args);
					await flag;
					return await answer;
				}
				return await node.send(command, args);
			} catch (error) {
				const message = error instanceof Error ? error.message : "";
				const moved = /^MOVED (\d+) (\S+)/.exec(message);
				if (moved !== null && fixed === null) {
					this.slots[Number(moved[1])] = moved[2];
					asking = null;
					void this.refresh().catch(() => {});
					if (performance.now() < deadline) {
						this.options.onRetry?.(error, address);
						continue;
					}
				}
				const ask = /^ASK \d+ (\S+)/.exec(message);
				const script = SCRIPTS.has(command);
				if (ask !== null && asking === null && !script) {
					this.options.onRetry?.(error, address);
					asking = ask[1] as string;
					continue;
				}
				asking = null;
				const connection = isConnectionError(error);
				// A broken connection after the command went out: a write may have run; only reads go again.
				const retry = connection ? !sent || wasNotSent(error) || READS.has(command) : TRANSIENT.test(message) || (ask !== null && script);
				if (!retry || performance.now() >= deadline) throw error;
				this.options.onRetry?.(error, address);
				if (connection && address !== undefined) this.drop(address);
				await sleep(Math.min(500, 25 * 2 ** Math.min(round, 5)));
				await this.refresh().catch(() => {});
			}
		}
	}

	/** The connection to a node, made on first use; it never reconnects on its own, so a dead node is noticed. */
	private node(address: string): RedisConnection {
		let c = this.clients.get(address);
		if (c === undefined) {
			// IPv6 addresses come as a:b::c:port; the URL wants brackets around the host.
			const colon = address.lastIndexOf(":");
			const host = address.slice(0, colon);
			const url = `redis://${host.includes(":") ? `[${host}]` : host}:${address.slice(colon + 1)}`;
			c = new RedisConnection(url, {
				retryReads: false,
				connectionTimeout: this.options.connectionTimeout,
				...(this.options.tls === undefined ? {} : { tls: this.options.tls }),
				...(this.options.pollMicros === undefined ? {} : { pollMicros: this.options.pollMicros }),
			});
			this.clients.set(address, c);
		}
		return c;
	}

	private drop(address: string): void {
		this.clients.get(address)?.close();
		this.clients.delete(address);
	}

	/** Reloads the slot map (one reload at a time; callers share it). */
	private refresh(): Promise<void> {
		this.refreshing ??= this.load().finally(() => {
			this.refreshing = null;
		});
		return this.refreshing;
	}

	private async load(): Promise<void> {
		let last: unknown = null;
		for (const address of [...new Set([...this.primaries(), ...this.seeds, ...this.clients.keys()])]) {
			try {
				const client = this.node(address);
				if (!client.connected) await client.connect();
				const ranges = (await client.send("CLUSTER", ["SLOTS"])) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
				const slots = new Array<string | undefined>(SLOTS);
				for (const [start, end, primary] of ranges) {
					// An empty host means "the address you reached me on".
					const host = primary[0] === "" || primary[0] === "?" ? address.slice(0, address.lastIndexOf(":")) : primary[0];
					for (let s = start; s <= end; s++) slots[s] = `${host}:${primary[1]}`;
				}
				if (ranges.length === 0) throw new Error("CLUSTERDOWN the cluster has no slots assigned");
				this.slots = slots;
				this.loaded = true;
				const used = new Set(this.primaries());
				for (const a of [...this.clients.keys()]) if (!used.has(a) && !this.seeds.includes(a)) this.drop(a);
				return;
			} catch (error) {
				last = error;
				this.drop(address);
			}
		}
		throw new Error(`No Redis Cluster node answered CLUSTER SLOTS (${this.seeds.join(", ")}): ${last instanceof Error ? last.message : String(last)}`);
	}
}

/** The seed addresses of `redis-cluster://host:port[,host:port…]` (also `rediss-cluster://`). */
export function parseClusterUrl(url: string): string[] {
	const m = /^rediss?-cluster:\/\/(.*)$/i.exec(url);
	const list = (m === null ? url : (m[1] as string)).replace(/\/.*$/, "");
	return list
		.split(",")
		.map((s) => s.trim())
		.filter((s) => s !== "")
		.map((s) => (s.includes(":") ? s : `${s}:6379`));
}
