// The Redis store's own RESP connection (src/stores/redis-connection.ts) and reply parser (redis-resp.ts):
// replies cut at any byte, pipelining order, a connection the server drops, AUTH and SELECT from the URL,
// and TLS, against the shared Redis and against private redis-server processes this file starts on free
// loopback ports (stopped by PID afterwards).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync, type Subprocess } from "bun";
import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { model } from "../../examples/demo/src/generated/session.ts";
import { StoreUnavailableError } from "../../src/errors.ts";
import { RedisConnection } from "../../src/stores/redis-connection.ts";
import { RedisReplyError, RespReader } from "../../src/stores/redis-resp.ts";
import { CommandBuffer, encodeCommand } from "../../src/stores/redis-command.ts";
import { RedisStore } from "../../src/stores/redis.ts";
import { rejection } from "../helpers/failure.ts";
import { FaultProxy } from "../helpers/tcp-proxy.ts";
import { REDIS_URL, redisReachable, serverReachable } from "../helpers/servers.ts";
import { makeRow, storeId } from "./conformance.ts";

/** A reply as the parser gives it back: an error reply as its message, tagged. */
type Reply = string | number | null | { error: string } | Reply[];

const line = fc.string({ unit: fc.constantFrom(...Array.from("abc XYZ09-_:é€😀")), maxLength: 20 }).filter((s) => !/[\r\n]/.test(s));
const reply: fc.Arbitrary<Reply> = fc.letrec<{ r: Reply }>((tie) => ({
	r: fc.oneof(
		{ depthSize: "small", withCrossShrink: true },
		fc.string({ unit: "grapheme", maxLength: 40 }),
		fc.string({ unit: fc.constantFrom("\r", "\n", "\r\n", "$", "*", "a", "-"), maxLength: 10 }),
		fc.maxSafeInteger(),
		fc.constant(null),
		line.map((message) => ({ error: `ERR ${message}` })),
		fc.array(tie("r"), { maxLength: 5 }),
	),
})).r;

/** `r` in RESP2; `simple` writes short strings as simple strings (`+…`), as servers do for OK and PONG. */
function encode(r: Reply, simple: boolean): string {
	if (r === null) return "$-1\r\n";
	if (typeof r === "number") return `:${r}\r\n`;
	if (typeof r === "string") return simple && !/[\r\n]/.test(r) ? `+${r}\r\n` : `$${Buffer.byteLength(r)}\r\n${r}\r\n`;
	if (Array.isArray(r)) return `*${r.length}\r\n${r.map((x) => encode(x, simple)).join("")}`;
	return `-${r.error}\r\n`;
}

function plain(value: unknown): Reply {
	if (value instanceof RedisReplyError) return { error: value.message };
	if (Array.isArray(value)) return value.map(plain);
	return value as Reply;
}

/** Feeds `bytes` to a reader in chunks cut at `cuts`. */
function parseInChunks(bytes: Buffer, cuts: number[]): Reply[] {
	const reader = new RespReader();
	const out: Reply[] = [];
	let at = 0;
	for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b).concat(bytes.length)) {
		// Copies, as a socket may reuse its buffer after the callback.
		reader.feed(Buffer.from(bytes.subarray(at, cut)), (r) => out.push(plain(r)));
		at = cut;
	}
	return out;
}

describe("RESP replies", () => {
	test("any sequence of reply trees, cut at any bytes, parses back to the same values in order", () => {
		fc.assert(
			fc.property(fc.array(reply, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), (replies, simple, cuts) => {
				const bytes = Buffer.from(replies.map((r) => encode(r, simple)).join(""));
				expect(parseInChunks(bytes, cuts)).toEqual(replies);
			}),
			{ numRuns: 400 },
		);
	});

	test("a null array is null, an empty array and an empty bulk string are themselves", () => {
		expect(parseInChunks(Buffer.from("*-1\r\n*0\r\n$0\r\n\r\n:-42\r\n"), [1, 2, 3, 7, 9])).toEqual([null, [], "", -42]);
	});

	test("a byte that starts no reply breaks the stream", () => {
		expect(() => new RespReader().feed(Buffer.from("?x\r\n"), () => undefined)).toThrow("unexpected reply type");
	});

	test("a command is an array of bulk strings whose lengths count UTF-8 bytes", () => {
		expect(encodeCommand("SET", ["k", "é€😀", ""]).toString()).toBe("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$9\r\né€😀\r\n$0\r\n\r\n");
		expect(encodeCommand("SET", ["k", "é".repeat(5)]).toString()).toBe(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n${"é".repeat(5)}\r\n`);
	});

	test("commands appended one after another, of any text and length, are each the array of their arguments' UTF-8 bytes", () => {
		const text = fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }), fc.string({ maxLength: 3000 }));
		fc.assert(
			fc.property(fc.array(fc.array(text, { maxLength: 8 }), { minLength: 1, maxLength: 6 }), (commands) => {
				const out = new CommandBuffer();
				let expected = "";
				for (const args of commands) {
					out.append("CMD", args);
					expected += `*${args.length + 1}\r\n$3\r\nCMD\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
				}
				expect(Buffer.compare(out.bytes(), Buffer.from(expected))).toBe(0);
				out.clear();
				expect(out.bytes().length).toBe(0);
			}),
			{ numRuns: 300 },
		);
	});
});

/** Counts setImmediate calls (turns of the event loop the connection asks for) until `stop()`. */
function countTurns(): { turns: number; stop(): void } {
	const original = globalThis.setImmediate;
	const counter = {
		turns: 0,
		stop: () => {
			globalThis.setImmediate = original;
		},
	};
	globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
		counter.turns++;
		return original(...args);
	}) as typeof setImmediate;
	return counter;
}

const reachable = await redisReachable();

describe.skipIf(!reachable && process.env["CI"] !== "true")("RedisConnection on the shared Redis", () => {
	const key = `sess:test:conn:${crypto.randomUUID()}`;
	const admin = new Bun.RedisClient(REDIS_URL, { maxRetries: 3, connectionTimeout: 2000 });
	afterAll(async () => {
		await admin.send("DEL", [key, `${key}:big`]);
		admin.close();
	});

	test("pipelined commands are answered in the order they were sent, also across many writes", async () => {
		const c = new RedisConnection(REDIS_URL);
		try {
			const first = await Promise.all(Array.from({ length: 500 }, () => c.send("INCR", [key])));
			expect(first).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
			// Interleaved kinds of reply, issued in one turn.
			const mixed = await Promise.all([c.send("SET", [key, "v"]), c.send("GET", [key]), c.send("GET", [`${key}:none`]), c.send("HGET", [key, "f"]).catch((e: unknown) => e), c.send("ECHO", ["é"]), c.send("MGET", [key, `${key}:none`])]);
			expect(mixed.slice(0, 3)).toEqual(["OK", "v", null]);
			expect(mixed[3]).toBeInstanceOf(RedisReplyError);
			expect((mixed[3] as Error).message).toStartWith("WRONGTYPE");
			expect(mixed.slice(4)).toEqual(["é", ["v", null]]);
		} finally {
			c.close();
		}
	});

	test("polling while replies are due changes no answer, and stops once none is due", async () => {
		expect(() => new RedisConnection(REDIS_URL, { pollMicros: -1 })).toThrow(TypeError);
		for (const pollMicros of [0, 200, 5_000_000]) {
			const c = new RedisConnection(REDIS_URL, { pollMicros });
			try {
				await c.send("DEL", [key]);
				const replies = await Promise.all(Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? c.send("INCR", [key]) : c.send("GET", [key]))));
				expect(replies).toEqual(Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? i / 2 + 1 : String(i / 2 + 0.5))));
				// Nothing is due now: even a 5 s poll must let the process sleep, not turn the loop (setImmediate after setImmediate).
				const loop = countTurns();
				try {
					await Bun.sleep(100);
				} finally {
					loop.stop();
				}
				expect(loop.turns).toBeLessThan(5);
			} finally {
				c.close();
			}
		}
	});

	test("against a slow Redis the loop stops turning while it waits, and turns again once Redis is fast", async () => {
		// 15 ms per reply through a proxy: every 1 ms poll runs out before its reply, so polls back off.
		const proxy = FaultProxy.start(Number(new URL(REDIS_URL).port || 6379));
		const c = new RedisConnection(`redis://127.0.0.1:${proxy.port}`, { pollMicros: 1000 });
		const loop = countTurns();
		/** setImmediate calls while each of `n` commands is answered, one command at a time. */
		const turnsPer = async (n: number): Promise<number[]> => {
			const out: number[] = [];
			for (let i = 0; i < n; i++) {
				const before = loop.turns;
				expect(await c.send("INCR", [key])).toBeGreaterThan(0);
				out.push(loop.turns - before);
			}
			return out;
		};
		// A polled wait turns the loop many times; an unpolled one once (the turn end itself).
		const polled = (counts: number[]) => counts.filter((n) => n > 3).length;
		try {
			await c.send("DEL", [key]);
			proxy.mode = { kind: "delay", ms: 15 };
			// Without the back-off all 40 waits would be polled; with it, those after 0, 1, 3, 7 and 15 skipped turn ends.
			expect(polled(await turnsPer(40))).toBeLessThanOrEqual(6);
			proxy.mode = { kind: "pass" };
			// At most 64 replies until a probe finds Redis answering within the budget; from then on each wait is polled.
			await turnsPer(70);
			expect((await turnsPer(30)).filter((n) => n >= 2).length).toBeGreaterThanOrEqual(20);
		} finally {
			loop.stop();
			c.close();
			proxy.stop();
		}
	});

	test("a command larger than the socket takes at once goes out on drain, and its reply arrives whole", async () => {
		const c = new RedisConnection(REDIS_URL);
		try {
			// 12 MB: more than the kernel's socket buffers, so the write is partial and the rest follows on drain.
			const big = "x€".repeat(4_000_000);
			const [set, got, length] = await Promise.all([c.send("SET", [`${key}:big`, big]), c.send("GET", [`${key}:big`]), c.send("STRLEN", [`${key}:big`])]);
			expect(set).toBe("OK");
			expect(got === big).toBe(true);
			expect(length).toBe(Buffer.byteLength(big));
		} finally {
			c.close();
		}
	});

	test("when the server drops the connection, a write waiting on it fails with StoreUnavailableError and the next command reconnects", async () => {
		const c = new RedisConnection(REDIS_URL);
		try {
			const id = (await c.send("CLIENT", ["ID"])) as number;
			// A command the server holds: it is out when the connection goes.
			const blocked = c.send("BLPOP", [`${key}:empty`, "10"]);
			const error = await rejection(Promise.all([blocked, admin.send("CLIENT", ["KILL", "ID", String(id)])]));
			expect(error).toBeInstanceOf(StoreUnavailableError);
			expect(error.message).toContain("lost the connection to Redis at 127.0.0.1:");
			expect(c.connected).toBe(false);
			expect(await c.send("PING", [])).toBe("PONG");
			expect(c.connected).toBe(true);
			expect(await c.send("CLIENT", ["ID"])).not.toBe(id);
		} finally {
			c.close();
		}
	});

	test("a read out when the connection drops is sent again on a new connection", async () => {
		const c = new RedisConnection(REDIS_URL);
		try {
			const id = (await c.send("CLIENT", ["ID"])) as number;
			await c.send("SET", [key, "kept"]);
			// The kill goes out first on the admin's connection; the GET may reach the server before or after it.
			const killed = admin.send("CLIENT", ["KILL", "ID", String(id)]);
			const got = c.send("GET", [key]);
			expect(await killed).toBe(1);
			expect(await got).toBe("kept");
		} finally {
			c.close();
		}
	});

	test("close() fails what waits and every later command", async () => {
		const c = new RedisConnection(REDIS_URL);
		const blocked = c.send("BLPOP", [`${key}:empty`, "10"]);
		await c.connect();
		c.close();
		expect(await blocked.catch((e: unknown) => String(e))).toContain("closed");
		expect(await c.send("PING", []).catch((e: unknown) => String(e))).toContain("closed");
		expect(c.connected).toBe(false);
	});

	test("the store opened from a redis:// URL runs over its own connection, and reconnects after the server drops it", async () => {
		const prefix = `sess:test:${crypto.randomUUID().replaceAll("-", "")}:`;
		const store = new RedisStore(REDIS_URL, { table: model.table, prefix });
		try {
			expect(store.client).toBeInstanceOf(RedisConnection);
			await store.create(makeRow(1));
			const id = (await store.client.send("CLIENT", ["ID"])) as number;
			expect(await admin.send("CLIENT", ["KILL", "ID", String(id)])).toBe(1);
			expect((await store.get(storeId(1)))?.version).toBe(1);
			await store.destroy(storeId(1));
			expect(await store.get(storeId(1))).toBeNull();
		} finally {
			await store.close();
		}
	});
});

/** A private redis-server on a free port with extra settings; stopped by PID in afterAll. */
async function privateRedis(args: string[], dir: string): Promise<{ port: number; process: Subprocess }> {
	for (let attempt = 0; attempt < 20; attempt++) {
		const port = 20000 + Math.floor(Math.random() * 30000);
		try {
			Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
		} catch {
			continue;
		}
		const process = spawn(["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...args.map((a) => a.replace("$PORT", String(port)))], { stdout: "ignore", stderr: "ignore" });
		for (let i = 0; i < 100; i++) {
			if (await serverReachable(port)) return { port, process };
			await Bun.sleep(50);
		}
		process.kill("SIGKILL");
	}
	throw new Error("no private redis-server started");
}

describe.skipIf(Bun.which("redis-server") === null && process.env["CI"] !== "true")("RedisConnection against private servers", () => {
	let dir: string;
	const servers: Subprocess[] = [];
	let secured: number;
	let tlsPort: number;
	let ca: string;
	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), "sess-redis-conn-"));
		const withPassword = await privateRedis(["--port", "$PORT", "--requirepass", "hunter2"], dir);
		servers.push(withPassword.process);
		secured = withPassword.port;
		const setup = spawnSync(["redis-cli", "-p", String(secured), "--no-auth-warning", "-a", "hunter2", "ACL", "SETUSER", "alice", "on", ">wonderland", "~*", "+@all"]);
		if (setup.stdout.toString().trim() !== "OK") throw new Error(`ACL SETUSER failed: ${setup.stdout.toString()}${setup.stderr.toString()}`);
		// A CA and a certificate for 127.0.0.1 signed by it, made with openssl for this run only.
		const ssl = (...args: string[]): void => {
			const r = spawnSync(["openssl", ...args], { cwd: dir, stdout: "ignore", stderr: "pipe" });
			if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
		};
		ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=sess redis test CA");
		ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
		writeFileSync(join(dir, "server.ext"), "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
		ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
		ca = readFileSync(join(dir, "ca.pem"), "utf8");
		const tls = await privateRedis(["--port", "0", "--tls-port", "$PORT", "--tls-cert-file", join(dir, "server.pem"), "--tls-key-file", join(dir, "server.key"), "--tls-ca-cert-file", join(dir, "ca.pem"), "--tls-auth-clients", "no"], dir);
		servers.push(tls.process);
		tlsPort = tls.port;
	}, 30_000);
	afterAll(async () => {
		for (const s of servers) s.kill("SIGKILL");
		await Promise.all(servers.map((s) => s.exited));
		rmSync(dir, { recursive: true, force: true });
	});

	test("AUTH from the URL: the password alone, or a user and password; then SELECT of the URL's database", async () => {
		for (const url of [`redis://:hunter2@127.0.0.1:${secured}/3`, `redis://alice:wonderland@127.0.0.1:${secured}/3`]) {
			const c = new RedisConnection(url);
			try {
				expect(await c.send("SET", ["where", url])).toBe("OK");
				expect(await c.send("CLIENT", ["INFO"])).toContain(" db=3 ");
			} finally {
				c.close();
			}
		}
		const zero = new RedisConnection(`redis://:hunter2@127.0.0.1:${secured}`);
		try {
			expect(await zero.send("EXISTS", ["where"])).toBe(0);
		} finally {
			zero.close();
		}
	});

	test("a wrong password fails the start-up check in one line, without the password; commands fail with StoreUnavailableError", async () => {
		for (const url of [`redis://:wrong-secret@127.0.0.1:${secured}`, `redis://alice:wrong-secret@127.0.0.1:${secured}`]) {
			const store = new RedisStore(url, { table: model.table });
			try {
				const error = await rejection(store.check(2000));
				expect(error).toBeInstanceOf(StoreUnavailableError);
				expect(error.message).toStartWith(`cannot reach Redis at redis://${url.includes("alice") ? "alice" : ""}:***@127.0.0.1:${secured} (WRONGPASS`);
				expect(error.message).not.toContain("wrong-secret");
				expect(error.message).not.toContain("\n");
				const failed = await rejection(store.get(storeId(1)));
				expect(failed).toBeInstanceOf(StoreUnavailableError);
				expect(failed.message).not.toContain("wrong-secret");
			} finally {
				await store.close();
			}
		}
		// No password where one is required: the command's own NOAUTH error, as a server error.
		const none = new RedisConnection(`redis://127.0.0.1:${secured}`);
		try {
			const refused = await none.send("GET", ["k"]).catch((e: unknown) => e);
			expect(refused).toBeInstanceOf(RedisReplyError);
			expect((refused as Error).message).toStartWith("NOAUTH");
		} finally {
			none.close();
		}
	});

	test("TLS: rediss:// with the server's CA runs the store; a client that does not trust the CA cannot connect", async () => {
		const c = new RedisConnection(`rediss://127.0.0.1:${tlsPort}`, { tls: { ca } });
		const store = new RedisStore(c, { table: model.table, prefix: "sess:tls:" });
		try {
			expect(await c.send("PING", [])).toBe("PONG");
			const row = makeRow(1);
			await store.create(row);
			expect(await store.get(row.id)).toEqual(row);
		} finally {
			c.close();
		}
		const untrusting = new RedisConnection(`rediss://127.0.0.1:${tlsPort}`, { connectionTimeout: 2000 });
		try {
			expect(await rejection(untrusting.send("PING", []))).toBeInstanceOf(StoreUnavailableError);
		} finally {
			untrusting.close();
		}
	});
});
