// Client instructions per op on Redis at a fixed number of requests in flight (issue 14 §3b): a count that the
// other tenants of a loaded machine cannot move, where bench/redis.ts's wall-clock ratios are noise.
//
//   bun bench/redis-instructions.ts [--concurrency 16] [--warm 20000] [--small 2000] [--large 6000] [--only sess,floor,peer,cluster] [--keep DIR]
//
// --only defaults to sess,floor,peer; `cluster` is sess on a throw-away 3+3 Redis Cluster through the RedisCluster router.
//
// --keep DIR leaves the callgrind dumps in DIR (<kind>.1, <kind>.2) for callgrind_annotate.
//
// Each contender (sess RedisStore, the bare GET + SET EX floor, express-session over connect-redis) runs in a
// fresh Bun process under `valgrind --tool=callgrind --instr-atstart=no` against a private redis-server (not
// under valgrind). After an uninstrumented warm-up, instrumentation goes on and the counters are dumped after
// `small` and after `large` ops; (Ir(large) − Ir(small)) ÷ (large − small) is the client's instructions per op.
// Callgrind counts user space only: a syscall is one instruction, so batching shows in the Redis socket reads
// per op of the private server, not in the instruction count.
import { spawn, spawnSync, RedisClient } from "bun";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { model } from "../examples/demo/src/generated/session.ts";
import { RedisStore } from "../src/stores/redis.ts";
import { expressContender, floorContender, require, sessContender, type Contender, type ExpressStore } from "./lib/contenders.ts";
import { countWindows } from "./lib/callgrind.ts";
import { startLocalCluster } from "../test/cluster/local-cluster.ts";
import { sig, table } from "./lib/stats.ts";

type Kind = "sess" | "floor" | "peer" | "cluster";
const KINDS: Kind[] = ["sess", "floor", "peer", "cluster"];
const LABELS: Record<Kind, string> = { sess: "sess RedisStore", floor: "floor: Bun RedisClient GET + SET EX", peer: "express-session + connect-redis 10 + node-redis", cluster: "sess RedisStore on a 3+3 cluster (RedisCluster router)" };

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

/** The child: one contender on `url`, `concurrency` in flight, counted windows on cue from stdin. */
async function child(url: string, kind: Kind, concurrency: number, warm: number, counts: number[]): Promise<void> {
	const closers: (() => unknown)[] = [];
	let c: Contender;
	if (kind === "sess" || kind === "cluster") {
		// The cluster's URL is redis-cluster://…: the store opens a RedisCluster router on it.
		const store = new RedisStore(url, { table: model.table, prefix: kind === "cluster" ? "{bench:sess}:" : "bench:sess:" });
		closers.push(() => store.close());
		// Under valgrind the first (compiling) requests can take longer than the default 5 s store timeout.
		c = await sessContender(store, "sess", "10m");
	} else if (kind === "floor") {
		const client = new RedisClient(url);
		closers.push(() => client.close());
		c = await floorContender(() => client, "bench:");
	} else {
		// node-redis's default command timeout would fire under valgrind.
		const nodeRedis = createClient({ url, commandOptions: { timeout: 600_000 } });
		await nodeRedis.connect();
		closers.push(() => nodeRedis.destroy());
		const { RedisStore: ConnectRedis } = require("connect-redis") as { RedisStore: new (o: object) => ExpressStore };
		c = await expressContender(new ConnectRedis({ client: nodeRedis, prefix: "bench:cr:" }), "connect-redis");
	}
	const counters = c.ops.map(() => 0);
	/** Exactly `n` ops, `concurrency` at a time, each worker on its own session. */
	const run = async (n: number): Promise<void> => {
		let left = n;
		await Promise.all(
			c.ops.slice(0, concurrency).map(async (op, w) => {
				while (left > 0) {
					left--;
					await op((counters[w] = (counters[w] ?? 0) + 1));
				}
			}),
		);
	};
	const lines = console[Symbol.asyncIterator]();
	await run(warm);
	process.stdout.write("WARM\n");
	for (const n of counts) {
		await lines.next();
		await run(n);
		process.stdout.write("DONE\n");
	}
	await lines.next();
	for (const close of closers) await close();
	process.exit(0);
}


async function serverReads(admin: RedisClient): Promise<number> {
	return Number(/total_reads_processed:(\d+)/.exec(String(await admin.send("INFO", ["stats"])))?.[1] ?? 0);
}

/** Instructions and Redis socket reads per op of one contender (the server's CPU is left out: with the client this slow, Redis's idle timers dominate it). */
async function measure(url: string, admin: RedisClient | null, kind: Kind, concurrency: number, warm: number, small: number, large: number, dir: string): Promise<[number, number]> {
	process.stderr.write(`callgrind: ${kind} at ${concurrency} in flight (${warm} warm-up, then ${small} and ${large} ops)\n`);
	const out = join(dir, kind);
	const reads: number[] = [];
	const [t1, t2] = await countWindows({
		command: [process.execPath, import.meta.path, "--child", url, kind, String(concurrency), String(warm), String(small), String(large)],
		out,
		label: kind,
		onMark: async () => void reads.push(admin === null ? NaN : await serverReads(admin)),
	});
	// reads[0] is after the warm-up, [1] after the small window, [2] after the large one (one INFO read of ours in between).
	const [, a = 0, b = 0] = reads;
	return [(t2 - t1) / (large - small), (b - a - 1) / large];
}

async function main(): Promise<void> {
	const concurrency = Number(option("concurrency", "16"));
	const warm = Number(option("warm", "20000"));
	const small = Number(option("small", "2000"));
	const large = Number(option("large", "6000"));
	const only = option("only", "sess,floor,peer").split(",") as Kind[];
	const keep = option("keep", "");
	const dir = keep === "" ? mkdtempSync(join(tmpdir(), "sess-redis-callgrind-")) : (mkdirSync(keep, { recursive: true }), keep);
	const port = 20000 + Math.floor(Math.random() * 30000);
	const server = spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdout: "ignore", stderr: "ignore" });
	const url = `redis://127.0.0.1:${port}`;
	const admin = new RedisClient(url);
	try {
		for (let i = 0; spawnSync(["redis-cli", "-p", String(port), "PING"]).stdout.toString().trim() !== "PONG"; i++) {
			if (i > 100) throw new Error("redis-server did not start");
			await Bun.sleep(50);
		}
		const results: Record<Kind, [number, number]> = {} as Record<Kind, [number, number]>;
		for (const kind of KINDS.filter((k) => only.includes(k))) {
			if (kind === "cluster") {
				// Its socket reads are not counted (they spread over the primaries): reported as NaN.
				const cluster = await startLocalCluster();
				try {
					results[kind] = await measure(cluster.url, null, kind, concurrency, warm, small, large, dir);
				} finally {
					await cluster.stop();
				}
			} else results[kind] = await measure(url, admin, kind, concurrency, warm, small, large, dir);
			process.stderr.write(`${kind}: ${sig(results[kind][0] / 1000)} kIr/op, ${results[kind][1].toFixed(2)} Redis reads/op\n`);
		}
		const rows = KINDS.filter((k) => results[k] !== undefined).map((k) => [LABELS[k], sig(results[k][0] / 1000), results.sess === undefined ? "—" : sig(results[k][0] / results.sess[0]), results[k][1].toFixed(2)]);
		process.stdout.write(`Client instructions per op at ${concurrency} in flight (callgrind; ${warm} warm-up ops, then ${small} vs ${large}); Redis socket reads over the ${large}-op window\n\n`);
		process.stdout.write(`${table(["contender", "client kIr/op", "this ÷ sess", "Redis socket reads/op"], rows)}\n`);
	} finally {
		admin.close();
		server.kill("SIGKILL");
		await server.exited;
		if (keep === "") rmSync(dir, { recursive: true, force: true });
	}
}

if (process.argv[2] === "--child") {
	const [, , , url = "", kind = "sess", concurrency = "16", warm = "0", ...counts] = process.argv;
	await child(url, kind as Kind, Number(concurrency), Number(warm), counts.map(Number));
} else {
	await main();
}
