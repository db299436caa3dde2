import type { Socket, TLSOptions } from "bun";
import { StoreUnavailableError } from "../errors.ts";
import { CommandBuffer } from "./redis-command.ts";
import { RedisReplyError, RespReader } from "./redis-resp.ts";

/** Options of a Redis connection. */
export interface RedisConnectionOptions {
	/** TLS (`rediss://` turns it on); options as `Bun.connect` takes them, for a private CA say. */
	tls?: boolean | TLSOptions;
	/** How long connecting, AUTH and SELECT may take, in milliseconds (default 10000). */
	connectionTimeout?: number;
	/**
	 * Send a read-only command once more on a new connection when the connection broke before its reply
	 * (default true). The cluster router turns it off: it retries itself, on the slot's current primary.
	 */
	retryReads?: boolean;
	/**
	 * How long, in microseconds, the connection keeps the event loop turning (one `setImmediate` after
	 * another) while replies are due, before it lets the process sleep in the poll (default 200; 0: never).
	 * See `poll` for why.
	 */
	pollMicros?: number;
}

/** Commands safe to send again after a lost connection: they only read (FCALL_RO runs only functions flagged no-writes). */
export const READS: ReadonlySet<string> = new Set(["HMGET", "FCALL_RO", "HGETALL", "GET", "EXISTS", "PTTL", "PEXPIRETIME", "SMEMBERS", "SCAN", "PING", "CLUSTER"]);

/** Where to connect and how to introduce ourselves, from a URL. */
interface Target {
	hostname: string;
	port: number;
	unix: string | null;
	tls: boolean;
	username: string;
	password: string | null;
	db: number;
}

/** Whether `new RedisConnection(url)` understands the URL's scheme (others go to Bun.RedisClient). */
export function isConnectionUrl(url: string): boolean {
	return /^(redis|rediss|redis\+tls|redis\+unix|redis\+tls\+unix):\/\//i.test(url);
}

/** `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS), `redis+unix:///path/to.sock`. */
function parseUrl(url: string): Target {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new TypeError("Not a Redis URL: expected redis://[user:password@]host[:port][/db].");
	}
	const scheme = parsed.protocol.slice(0, -1).toLowerCase();
	const unix = scheme.endsWith("+unix") ? decodeURIComponent(parsed.pathname) : null;
	const dbText = unix === null ? parsed.pathname.replace(/^\//, "") : (parsed.searchParams.get("db") ?? "");
	const db = dbText === "" ? 0 : Number(dbText);
	if (!Number.isInteger(db) || db < 0) throw new TypeError(`The database in a Redis URL must be a whole number, got "${dbText}".`);
	return {
		hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
		port: parsed.port === "" ? 6379 : Number(parsed.port),
		unix,
		tls: scheme === "rediss" || scheme.startsWith("redis+tls"),
		username: decodeURIComponent(parsed.username),
		password: parsed.password === "" ? null : decodeURIComponent(parsed.password),
		db,
	};
}

/** One command awaiting its reply. */
interface Waiter {
	command: string;
	args: readonly string[];
	resolve(value: unknown): void;
	reject(error: unknown): void;
	/** What the caller does with a failure instead of rejecting (see `send`). */
	recover: ((error: unknown) => unknown) | undefined;
	/** Sent again once if the connection breaks before the reply (a read, with retryReads). */
	retry: boolean;
}

/** What each socket carries, so that events of an old socket never touch the connection's current one. */
interface SocketState {
	owner: RedisConnection;
	dead: boolean;
	reason: string;
}

/** StoreUnavailableError for a failed connect, with `reason` (one line, no address) for the start-up check's message. */
function connectFailure(address: string, error: unknown): StoreUnavailableError {
	const message = (error instanceof Error ? error.message : String(error)).split("\n")[0] as string;
	const code = (error as { code?: unknown } | null)?.code;
	const reason = typeof code === "string" && !message.includes(code) && code !== "ERR_REDIS_SERVER_ERROR" ? `${message}: ${code}` : message;
	return Object.assign(new StoreUnavailableError(`cannot connect to Redis at ${address} (${reason})`, { cause: error }), { reason });
}

/** Fails a command: its caller's `recover` runs in a later microtask, as `.catch` would run it, never inside a socket callback. */
function fail(w: Waiter, error: unknown): void {
	if (w.recover === undefined) w.reject(error);
	else w.resolve(Promise.reject(error).catch(w.recover));
}

/** See RedisConnectionOptions.pollMicros. */
const DEFAULT_POLL_MICROS = 200;
/** Misses counted at most: then one turn end in 2^6 = 64 still polls (the probe that notices Redis answering in time again). */
const MAX_POLL_MISSES = 6;

const IDLE = 0;
const CONNECTING = 1;
const READY = 2;
const CLOSED = 3;

const MAX_BACKOFF_MS = 2000;

/** Socket events, shared by every connection (the socket's data says whose it is). */
const HANDLERS = {
	open(socket: Socket<SocketState>): void {
		// Connected after its attempt timed out: nobody waits for it.
		if (socket.data.dead) socket.terminate();
	},
	data(socket: Socket<SocketState>, chunk: Buffer): void {
		socket.data.owner.received(socket, chunk);
	},
	drain(socket: Socket<SocketState>): void {
		socket.data.owner.drained(socket);
	},
	error(socket: Socket<SocketState>, error: Error): void {
		socket.data.reason = error.message;
	},
	end(socket: Socket<SocketState>): void {
		socket.data.reason ||= "the server closed the connection";
		socket.data.dead = true;
		socket.data.owner.lost(socket);
		socket.terminate();
	},
	close(socket: Socket<SocketState>, error?: Error): void {
		socket.data.reason ||= error?.message ?? "the connection closed";
		socket.data.dead = true;
		socket.data.owner.lost(socket);
	},
	connectError(): void {
		// Bun.connect's promise rejects with the error.
	},
};

/**
 * One connection to a Redis server over `Bun.connect`, speaking RESP2: what the Redis store and the
 * cluster router need of a client (`send`, `connected`, `connect`, `close`), and no more.
 *
 * Why not `Bun.RedisClient`: at 16 requests in flight it resolves each reply in a microtask drain of its
 * own, converts each reply through its RESP3 layer and flushes per drain; the store then had to wrap
 * it in a SendBatch (a promise and two reactions more per command) to gather writes. Here a chunk of
 * replies is parsed where it lands (redis-resp.ts) and each settles its caller's promise directly,
 * and writes are gathered as SendBatch gathered them, with no promise of the connection's own. That
 * took client instructions per session request at 16 in flight from ≈80k to ≈62-65k with the same
 * commands (bench/redis-instructions.ts, medians of repeated runs, which spread by ±10%).
 *
 * Failures: a lost connection rejects every command waiting on it with StoreUnavailableError (a read
 * is first sent once more on a new connection, as it changes nothing); the next command connects again,
 * after a back-off that doubles up to 2 s while attempts fail. Messages name host and port, never the password.
 */
export class RedisConnection {
	private readonly target: Target;
	private readonly tls: boolean | TLSOptions;
	private readonly timeoutMs: number;
	private readonly retryReads: boolean;
	private readonly pollMs: number;
	/** host:port (or the socket path), for messages. */
	readonly address: string;
	private state = IDLE;
	private socket: Socket<SocketState> | null = null;
	private opening: Promise<void> | null = null;
	private readonly reader = new RespReader();
	/** Commands sent or gathered, in order; replies arrive in this order. `head` is the next to answer. */
	private waiters: Waiter[] = [];
	private head = 0;
	/** Commands sent and not yet answered. */
	private inFlight = 0;
	/** Replies delivered this turn whose callers have not sent a command since. */
	private answered = 0;
	/** Commands gathered in `out`, not yet sent. */
	private queued = 0;
	private readonly out = new CommandBuffer();
	/** Bytes the socket did not take yet (backpressure), sent on drain. */
	private unsent: Buffer | null = null;
	private scheduled = false;
	/** When the current poll (see `poll`) gives up and lets the process sleep; performance.now() time. */
	private pollUntil = 0;
	/** Polls in a row that ran out before a reply; how many turn ends still pass without one (see `poll`). */
	private pollMisses = 0;
	private pollSkips = 0;
	/** Commands issued while not connected, sent once the connection is ready. */
	private offline: Waiter[] = [];
	private backoffMs = 0;
	private failedAt = 0;

	/** A connection to `url` (`redis://`, `rediss://`, `redis+unix://`); nothing connects until the first command or `connect()`. */
	constructor(url: string, options: RedisConnectionOptions = {}) {
		this.target = parseUrl(url);
		this.tls = options.tls ?? this.target.tls;
		this.timeoutMs = options.connectionTimeout ?? 10_000;
		this.retryReads = options.retryReads ?? true;
		const poll = options.pollMicros ?? DEFAULT_POLL_MICROS;
		if (!(poll >= 0)) throw new TypeError(`pollMicros must be 0 or more, got ${poll}.`);
		this.pollMs = poll / 1000;
		this.address = this.target.unix ?? `${this.target.hostname}:${this.target.port}`;
	}

	/** True while connected and introduced (AUTH, SELECT): commands go out at once. */
	get connected(): boolean {
		return this.state === READY;
	}

	/** Connects (or joins the attempt under way); rejects with StoreUnavailableError when it cannot. */
	connect(): Promise<void> {
		if (this.state === READY) return Promise.resolve();
		if (this.state === CLOSED) return Promise.reject(new Error("Redis connection is closed"));
		return this.opening ?? this.open();
	}

	/**
	 * Sends a command; resolves with its reply (strings, numbers, null, arrays) or rejects with the
	 * server's error reply (RedisReplyError) or StoreUnavailableError. Connects first when needed.
	 * `recover`, when given, is `.catch(recover)` without the promise and reaction `.catch` adds to
	 * every command (the script runner and the cluster router each had one per command).
	 */
	send(command: string, args: readonly string[], recover?: (error: unknown) => unknown): Promise<unknown> {
		if (this.state === CLOSED) return Promise.reject(new Error("Redis connection is closed")).catch(recover);
		const retry = this.retryReads && READS.has(command);
		return new Promise((resolve, reject) => this.issue({ command, args, resolve, reject, recover, retry }));
	}

	/** Closes the connection; commands still waiting fail. */
	close(): void {
		if (this.state === CLOSED) return;
		this.state = CLOSED;
		const socket = this.socket;
		this.socket = null;
		if (socket !== null) {
			socket.data.dead = true;
			socket.end();
		}
		this.failAll(new Error("Redis connection is closed"), new Error("Redis connection is closed"));
	}

	private issue(w: Waiter): void {
		if (this.state !== READY) {
			this.offline.push(w);
			if (this.state === IDLE) this.open();
			return;
		}
		this.waiters.push(w);
		this.out.append(w.command, w.args);
		// Each answered caller is taken to send this command (their follow-up: a load's commit, the next load).
		if (this.answered > 0) this.answered--;
		// At once while the connection is idle; while others are out at Redis or answered and about to send,
		// as soon as as many wait here as those: Redis then works on one half while this process handles
		// the replies of the other (see SendBatch in redis-batch.ts for why halves). Until then the command
		// waits for replies, not for the end of the turn: Redis runs a connection's commands in order, so
		// it could not start this one before answering those anyway, and a turn-end flush kept small groups
		// apart for good (16 in flight went out as 1, 1, 2, 4 and 8 per cycle).
		if (++this.queued >= this.inFlight + this.answered) this.flush();
	}

	private readonly atTurnEnd = (): void => {
		this.scheduled = false;
		this.answered = 0;
		if (this.queued > 0 && this.queued >= this.inFlight && this.state === READY) this.flush();
		if (this.inFlight > 0 && this.pollMs > 0) {
			if (this.pollSkips > 0) this.pollSkips--;
			else {
				this.pollUntil = performance.now() + this.pollMs;
				setImmediate(this.poll);
			}
		}
	};

	/**
	 * Keeps the event loop turning while replies are due, for up to `pollMicros` after the last read: Bun then
	 * polls the socket without blocking instead of sleeping in epoll_wait until Redis answers. Why: where
	 * waking an idle CPU is dear (a VM without halt polling, as on the benchmark machine), each sleep cost more
	 * CPU than spinning through the wait, on both sides: a write to a Redis whose CPU had gone idle took ≈29 µs
	 * of system time against ≈10 µs while it was busy, and Redis paid as much to wake this process. Measured with
	 * bench/redis-cpu.ts: at 16 in flight the main thread went from ≈77% to ≈95% busy with no more CPU per
	 * request; at 1 in flight requests per second roughly doubled, for the same CPU per request. A read in the
	 * meantime ends it (`scheduled`): its turn end starts a new one. Nothing due, nothing spins.
	 *
	 * A poll that runs out with nothing read means Redis answers slower than the budget (a server across a
	 * network, a loaded one): spinning there only burns CPU. So each such miss doubles how many turns pass
	 * before the next poll (up to 63), and a poll that ends in a reply polls on every turn again.
	 */
	private readonly poll = (): void => {
		if (this.scheduled || this.inFlight === 0) {
			this.pollMisses = 0;
			return;
		}
		if (performance.now() < this.pollUntil) {
			setImmediate(this.poll);
			return;
		}
		if (this.pollMisses < MAX_POLL_MISSES) this.pollMisses++;
		this.pollSkips = (1 << this.pollMisses) - 1;
	};

	private flush(): void {
		this.inFlight += this.queued;
		this.queued = 0;
		const out = this.out.bytes();
		const socket = this.socket as Socket<SocketState>;
		// Copied when kept: the buffer is written over by the next commands.
		if (this.unsent !== null) this.unsent = Buffer.concat([this.unsent, out]);
		else {
			const n = socket.write(out);
			// The socket closed (`lost` fails the waiters), or the kernel took only part.
			if (n >= 0 && n < out.length) this.unsent = Buffer.from(out.subarray(n));
		}
		this.out.clear();
	}

	/** @internal The socket can take more bytes. */
	drained(socket: Socket<SocketState>): void {
		if (socket !== this.socket || this.unsent === null) return;
		const n = socket.write(this.unsent);
		this.unsent = n < 0 || n >= this.unsent.length ? null : this.unsent.subarray(n);
	}

	/** @internal Bytes from the server: each complete reply settles the oldest waiting command. */
	received(socket: Socket<SocketState>, chunk: Buffer): void {
		if (socket !== this.socket) return;
		try {
			this.reader.feed(chunk, this.answer);
			// The callers of these replies usually send more, and that sends the waiting ones with theirs;
			// callers that do not are forgotten at the end of the turn.
			if (!this.scheduled) {
				this.scheduled = true;
				setImmediate(this.atTurnEnd);
			}
		} catch (error) {
			// A reply we cannot read: nothing after it can be matched to its command.
			socket.data.reason = error instanceof Error ? error.message : String(error);
			socket.data.dead = true;
			this.lost(socket);
			socket.terminate();
		}
	}

	private readonly answer = (reply: unknown): void => {
		const w = this.waiters[this.head];
		if (w === undefined) throw new Error("a reply from Redis that no command asked for");
		this.waiters[this.head++] = undefined as unknown as Waiter;
		if (this.head === this.waiters.length) {
			this.waiters = [];
			this.head = 0;
		} else if (this.head >= 1024 && this.head * 2 >= this.waiters.length) {
			this.waiters = this.waiters.slice(this.head);
			this.head = 0;
		}
		this.inFlight--;
		this.answered++;
		if (reply instanceof RedisReplyError) fail(w, reply);
		else w.resolve(reply);
	};

	/** @internal The socket closed or broke: every command on it fails, but reads go once more. */
	lost(socket: Socket<SocketState>): void {
		if (socket !== this.socket) return;
		this.socket = null;
		this.reader.reset();
		const wasReady = this.state === READY;
		if (wasReady) this.state = IDLE;
		const reason = socket.data.reason;
		const sent = new StoreUnavailableError(`lost the connection to Redis at ${this.address} (${reason}); the command may or may not have run.`);
		const unsent = Object.assign(new StoreUnavailableError(`lost the connection to Redis at ${this.address} (${reason}) before the command was sent.`), { unsent: true });
		const again = this.failAll(sent, unsent, this.state !== CLOSED);
		for (const w of again) this.issue(w);
	}

	/** Rejects every waiting command (not those offline while connecting); returns the reads to send again when `retry`. */
	private failAll(sent: Error, unsent: Error, retry = false): Waiter[] {
		const waiters = this.waiters.slice(this.head);
		const written = this.inFlight;
		this.waiters = [];
		this.head = 0;
		this.inFlight = 0;
		this.answered = 0;
		this.queued = 0;
		this.out.clear();
		this.unsent = null;
		const again: Waiter[] = [];
		waiters.forEach((w, i) => {
			if (retry && w.retry) {
				w.retry = false;
				again.push(w);
			} else fail(w, i < written ? sent : unsent);
		});
		if (this.state === CLOSED) {
			const offline = this.offline;
			this.offline = [];
			for (const w of offline) fail(w, unsent);
		}
		return again;
	}

	/** Starts connecting (after the back-off, when the last attempt failed); commands meanwhile wait offline. */
	private open(): Promise<void> {
		this.state = CONNECTING;
		const wait = this.failedAt + this.backoffMs - performance.now();
		const attempt = wait > 0 ? Bun.sleep(wait).then(() => this.dial()) : this.dial();
		const opening = attempt.then(
			() => {
				this.opening = null;
				this.backoffMs = 0;
				this.state = READY;
				const offline = this.offline;
				this.offline = [];
				for (const w of offline) {
					this.waiters.push(w);
					this.out.append(w.command, w.args);
					this.queued++;
				}
				if (this.queued > 0) this.flush();
			},
			(error: unknown) => {
				this.opening = null;
				const failure = this.state === CLOSED ? new Error("Redis connection is closed") : connectFailure(this.address, error);
				if (this.state !== CLOSED) {
					this.state = IDLE;
					this.failedAt = performance.now();
					this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(100, this.backoffMs * 2));
				}
				const offline = this.offline;
				this.offline = [];
				for (const w of offline) fail(w, failure);
				throw failure;
			},
		);
		// Callers of connect() see the failure; a command that only started the attempt sees it through its own promise.
		opening.catch(() => undefined);
		this.opening = opening;
		return opening;
	}

	/** Opens a socket and introduces the connection (AUTH, SELECT), all within the connection timeout. */
	private async dial(): Promise<void> {
		if (this.state === CLOSED) throw new Error("Redis connection is closed");
		const data: SocketState = { owner: this, dead: false, reason: "" };
		let socket: Socket<SocketState> | null = null;
		let timer: ReturnType<typeof setTimeout> | undefined;
		const late = new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
		});
		try {
			const { hostname, port, unix } = this.target;
			const options = { data, socket: HANDLERS, ...(this.tls === false ? {} : { tls: this.tls }) };
			socket = await Promise.race([unix === null ? Bun.connect({ hostname, port, ...options }) : Bun.connect({ unix, ...options }), late]);
			if (data.dead) throw new Error(data.reason || "the connection closed");
			if (this.state === CLOSED) throw new Error("Redis connection is closed");
			socket.setNoDelay(true);
			this.socket = socket;
			const hello: Promise<unknown>[] = [];
			const ask = (command: string, args: string[]): void => {
				hello.push(new Promise((resolve, reject) => this.waiters.push({ command, args, resolve, reject, recover: undefined, retry: false })));
				this.out.append(command, args);
				this.queued++;
			};
			const { username, password, db } = this.target;
			if (password !== null) ask("AUTH", username === "" ? [password] : [username, password]);
			if (db !== 0) ask("SELECT", [String(db)]);
			if (hello.length > 0) {
				this.flush();
				await Promise.race([Promise.all(hello), late]);
			}
		} catch (error) {
			data.dead = true;
			if (socket !== null) {
				if (this.socket === socket) {
					this.socket = null;
					this.waiters = [];
					this.head = 0;
					this.inFlight = 0;
					this.queued = 0;
					this.out.clear();
					this.unsent = null;
					this.reader.reset();
				}
				socket.terminate();
			}
			throw error;
		} finally {
			clearTimeout(timer);
		}
	}
}
