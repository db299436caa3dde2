// Redis speed (issue 14 §3b): load + modify + commit of one existing session per op, sess against a bare
// GET + SET EX (the floor: the two round trips any store needs) and connect-redis, at 1 and 16 in flight,
// on a single server and on a Redis Cluster, with the Redis CPU each op costs (used_cpu and INFO
// commandstats deltas), Bun's own CPU per op (process.cpuUsage) and how many socket reads Redis needed per
// op (total_reads_processed: below 2 means commands arrived batched). The bench starts its own servers (one redis-server, and a 3+3 cluster from
// test/cluster/local-cluster.ts) on free loopback ports, so the CPU it reads is its own, and stops them.
//
// Run: bun bench/redis.ts [--rounds 3] [--seconds 1.5] [--targets single,cluster] [--concurrency 1,16]
import { RedisClient, spawn, spawnSync } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, createCluster } from "redis";
import { RedisCluster } from "../src/stores/redis-cluster.ts";
import { slotOf } from "../src/stores/redis-cluster-slot.ts";
import { RedisStore } from "../src/stores/redis.ts";
import { model } from "../examples/demo/src/generated/session.ts";
import { startLocalCluster, type LocalCluster } from "../test/cluster/local-cluster.ts";
import { expressContender, floorContender, require, sessContender, SLOTS, type Contender, type ExpressStore } from "./lib/contenders.ts";
import { timed } from "./lib/timed.ts";

type Target = "single" | "cluster";
interface Options {
	rounds: number;
	seconds: number;
	targets: Target[];
	concurrency: number[];
}

function parse(argv: string[]): Options {
	const o: Options = { rounds: 3, seconds: 1.5, targets: ["single", "cluster"], concurrency: [1, 16] };
	for (let i = 0; i < argv.length; i += 2) {
		const v = argv[i + 1] ?? "";
		if (argv[i] === "--rounds") o.rounds = Number(v);
		else if (argv[i] === "--seconds") o.seconds = Number(v);
		else if (argv[i] === "--targets") o.targets = v.split(",") as Target[];
		else if (argv[i] === "--concurrency") o.concurrency = v.split(",").map(Number);
		else throw new Error(`unknown option ${argv[i]}`);
	}
	return o;
}

type Kind = "sess" | "floor" | "peer";

interface Setup {
	target: Target;
	contenders: Record<Kind, Contender>;
	/** `host:port` of every primary: where the CPU is read. */
	primaries: string[];
	cleanup(): Promise<void>;
}

async function freePort(): Promise<number> {
	for (;;) {
		const port = 20000 + Math.floor(Math.random() * 30000);
		try {
			Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
			return port;
		} catch {
			// taken
		}
	}
}

async function setupSingle(): Promise<Setup> {
	const dir = mkdtempSync(join(tmpdir(), "sess-bench-redis-"));
	const port = await freePort();
	const server = spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdout: "ignore", stderr: "ignore" });
	for (let i = 0; spawnSync(["redis-cli", "-p", String(port), "PING"]).stdout.toString().trim() !== "PONG"; i++) {
		if (i > 100) throw new Error("redis-server did not start");
		await Bun.sleep(50);
	}
	const url = `redis://127.0.0.1:${port}`;
	const store = new RedisStore(url, { table: model.table, prefix: "bench:sess:" });
	const floorClient = new RedisClient(url);
	const nodeRedis = createClient({ url });
	await nodeRedis.connect();
	const { RedisStore: ConnectRedis } = require("connect-redis") as { RedisStore: new (o: object) => ExpressStore };
	return {
		target: "single",
		contenders: {
			sess: await sessContender(store, "sess RedisStore"),
			floor: await floorContender(() => floorClient, "bench:"),
			peer: await expressContender(new ConnectRedis({ client: nodeRedis, prefix: "bench:cr:" }), "connect-redis 10 + node-redis"),
		},
		primaries: [`127.0.0.1:${port}`],
		async cleanup() {
			await store.close();
			floorClient.close();
			nodeRedis.destroy();
			server.kill("SIGKILL");
			await server.exited;
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

async function setupCluster(): Promise<Setup> {
	const cluster: LocalCluster = await startLocalCluster();
	const router = new RedisCluster(cluster.url);
	await router.connect();
	const store = new RedisStore(router, { table: model.table, prefix: "{bench:sess}:" });
	const direct = new Map<number, RedisClient>();
	const nodes: { port: number; first: number }[] = [];
	for (const n of cluster.nodes) direct.set(n.port, new RedisClient(`redis://127.0.0.1:${n.port}`));
	// The floor's keys spread over the primaries (no tag), each sent straight to its node.
	const owners = new Map<string, RedisClient>();
	const prefix = "bench:";
	for (let slot = 0; slot < SLOTS; slot++) {
		const key = `${prefix}floor:${slot}`;
		owners.set(key, direct.get((await cluster.primaryOf(slotOf(key))).port) as RedisClient);
	}
	void nodes;
	const nodeCluster = createCluster({ rootNodes: cluster.addresses.map((a) => ({ url: `redis://${a}` })) });
	await nodeCluster.connect();
	const { RedisStore: ConnectRedis } = require("connect-redis") as { RedisStore: new (o: object) => ExpressStore };
	const primaries = [...new Set(await Promise.all([0, 8000, 16000].map(async (s) => `127.0.0.1:${(await cluster.primaryOf(s)).port}`)))];
	return {
		target: "cluster",
		contenders: {
			sess: await sessContender(store, "sess RedisStore"),
			floor: await floorContender((key) => owners.get(key) as RedisClient, prefix),
			peer: await expressContender(new ConnectRedis({ client: nodeCluster, prefix: "bench:cr:" }), "connect-redis 10 + node-redis cluster"),
		},
		primaries,
		async cleanup() {
			await store.close();
			for (const c of direct.values()) c.close();
			await nodeCluster.close().catch(() => {});
			await cluster.stop();
		},
	};
}

/** used_cpu_user + used_cpu_sys (seconds), socket reads and per-command calls / usec, summed over `addresses`. */
async function serverStats(addresses: string[]): Promise<{ cpu: number; reads: number; commands: Map<string, { calls: number; usec: number }> }> {
	let cpu = 0;
	let reads = 0;
	const commands = new Map<string, { calls: number; usec: number }>();
	for (const a of addresses) {
		const c = new RedisClient(`redis://${a}`);
		try {
			const info = String(await c.send("INFO", ["cpu"])) + String(await c.send("INFO", ["stats"])) + String(await c.send("INFO", ["commandstats"]));
			reads += Number(/total_reads_processed:(\d+)/.exec(info)?.[1] ?? 0);
			cpu += Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
			for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
				const cur = commands.get(m[1] as string) ?? { calls: 0, usec: 0 };
				commands.set(m[1] as string, { calls: cur.calls + Number(m[2]), usec: cur.usec + Number(m[3]) });
			}
		} finally {
			c.close();
		}
	}
	return { cpu, reads, commands };
}

interface Sample {
	ops: number;
	/** Redis CPU per op, µs (used_cpu delta ÷ ops). */
	cpuUs: number;
	/** Bun's CPU per op, µs (user + system of this process: the client side of every contender). */
	clientUs: number;
	/** Socket reads Redis made per op. */
	reads: number;
	/** Commands per op and server µs per op, from commandstats. */
	perOp: string;
}

const median = (xs: number[]): number => {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const range = (xs: number[], f: (n: number) => string): string => `${f(median(xs))} [${f(Math.min(...xs))}–${f(Math.max(...xs))}]`;

async function main(): Promise<void> {
	const opts = parse(process.argv.slice(2));
	const ms = opts.seconds * 1000;
	const kinds: Kind[] = ["sess", "floor", "peer"];
	const lines: string[] = [];
	const load = [loadavg()[0] as number];
	for (const target of opts.targets) {
		const setup = target === "single" ? await setupSingle() : await setupCluster();
		try {
			for (const kind of kinds) {
				await timed(setup.contenders[kind].ops, SLOTS, 400);
				await timed(setup.contenders[kind].ops, 1, 150);
			}
			for (const concurrency of opts.concurrency) {
				const samples: Record<Kind, Sample[]> = { sess: [], floor: [], peer: [] };
				for (let round = 0; round < opts.rounds; round++) {
					for (let k = 0; k < kinds.length; k++) {
						const kind = kinds[(k + round) % kinds.length] as Kind;
						Bun.gc(true);
						const before = await serverStats(setup.primaries);
						const cpu0 = process.cpuUsage();
						const r = await timed(setup.contenders[kind].ops, concurrency, ms);
						const client = process.cpuUsage(cpu0);
						const after = await serverStats(setup.primaries);
						const per: string[] = [];
						for (const [name, a] of after.commands) {
							const b = before.commands.get(name) ?? { calls: 0, usec: 0 };
							const calls = a.calls - b.calls - (name === "info" ? 3 * setup.primaries.length : 0);
							if (calls / r.count < 0.05) continue;
							per.push(`${name} ${(calls / r.count).toFixed(2)}× ${((a.usec - b.usec) / Math.max(1, calls)).toFixed(1)} µs`);
						}
						samples[kind].push({
							ops: r.ops,
							cpuUs: ((after.cpu - before.cpu) * 1e6) / r.count,
							clientUs: (client.user + client.system) / r.count,
							// Our own INFO connections cost each server four reads in between (INFO commandstats, HELLO, INFO cpu, INFO stats).
							reads: (after.reads - before.reads - 4 * setup.primaries.length) / r.count,
							perOp: per.join(", "),
						});
					}
					process.stderr.write(`${target} c=${concurrency} round ${round + 1}/${opts.rounds}\n`);
				}
				const ratio = (a: Kind, b: Kind): number[] => samples[a].map((s, i) => s.ops / (samples[b][i] as Sample).ops);
				const each = (f: (s: Sample) => number, digits: number): string => kinds.map((k) => median(samples[k].map(f)).toFixed(digits)).join(" / ");
				lines.push(
					`| ${target} | ${concurrency} | ${range(samples.sess.map((s) => s.ops), (n) => Math.round(n).toLocaleString("en-US"))} | ${range(samples.floor.map((s) => s.ops), (n) => Math.round(n).toLocaleString("en-US"))} | ${range(samples.peer.map((s) => s.ops), (n) => Math.round(n).toLocaleString("en-US"))} | **${range(ratio("sess", "floor"), (n) => n.toFixed(2))}** | **${range(ratio("sess", "peer"), (n) => n.toFixed(2))}** | ${each((s) => s.cpuUs, 1)} | ${each((s) => s.reads, 2)} | ${each((s) => s.clientUs, 1)} |`,
				);
				lines.push(`|  |  | per sess op: ${samples.sess.at(-1)?.perOp} | floor: ${samples.floor.at(-1)?.perOp} | connect-redis: ${samples.peer.at(-1)?.perOp} |  |  |  |  |  |`);
			}
		} finally {
			await setup.cleanup();
		}
		load.push(loadavg()[0] as number);
	}
	process.stdout.write(
		[
			"| target | in flight | sess ops/s | floor ops/s | connect-redis ops/s | sess/floor | sess/connect-redis | Redis CPU µs/op (sess / floor / connect-redis) | Redis reads/op | Bun CPU µs/op |",
			"|---|---|---|---|---|---|---|---|---|---|",
			...lines,
			"",
			`median [min–max] over ${opts.rounds} rounds × ${opts.seconds} s per contender, ratios within each round; CPU and reads are medians. Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}, bun ${Bun.version}, ${new Date().toISOString()}, 1-minute load average ${load.map((l) => l.toFixed(1)).join(" → ")}.`,
			`Command: \`bun bench/redis.ts ${process.argv.slice(2).join(" ")}\``,
			"",
		].join("\n"),
	);
}

await main();
