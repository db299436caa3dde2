// Bun CPU per op on Redis (issue 14 §3b), quickly: sess's RedisStore against the bare GET + SET EX floor on a
// private redis-server (or a private 3+3 cluster), alternating, so a change to the client path can be judged in
// seconds instead of bench/redis.ts's two minutes. A diagnostic, not the benchmark: bench/redis.ts has the ratios.
//
//   bun bench/redis-cpu.ts [--target single|cluster] [--concurrency 16] [--seconds 1.5] [--rounds 3] [--only sess]
//
// For a sampled profile of sess alone: bun --cpu-prof --cpu-prof-dir=/tmp/prof bench/redis-cpu.ts --only sess --rounds 1 --seconds 5
// then bun bench/lib/cpuprofile.ts /tmp/prof/*.cpuprofile 40.
import { RedisClient, spawn, spawnSync } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { model } from "../examples/demo/src/generated/session.ts";
import { RedisStore } from "../src/stores/redis.ts";
import { slotOf } from "../src/stores/redis-cluster-slot.ts";
import { startLocalCluster } from "../test/cluster/local-cluster.ts";
import { floorContender, sessContender, SLOTS, type Contender } from "./lib/contenders.ts";
import { timed } from "./lib/timed.ts";

/** The main thread's CPU time in µs (utime + stime of /proc/self/task/<pid>/stat, in clock ticks of 10 ms). */
function mainThreadUs(): number {
	const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const target = option("target", "single");
const concurrency = Number(option("concurrency", "16"));
const ms = Number(option("seconds", "1.5")) * 1000;
const rounds = Number(option("rounds", "3"));
const only = option("only", "sess,floor").split(",");

const closers: (() => unknown)[] = [];
const contenders: Record<string, Contender> = {};
try {
	if (target === "single") {
		const dir = mkdtempSync(join(tmpdir(), "sess-redis-cpu-"));
		const port = 20000 + Math.floor(Math.random() * 30000);
		const server = spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdout: "ignore", stderr: "ignore" });
		closers.push(async () => {
			server.kill("SIGKILL");
			await server.exited;
			rmSync(dir, { recursive: true, force: true });
		});
		for (let i = 0; spawnSync(["redis-cli", "-p", String(port), "PING"]).stdout.toString().trim() !== "PONG"; i++) {
			if (i > 100) throw new Error("redis-server did not start");
			await Bun.sleep(50);
		}
		const url = `redis://127.0.0.1:${port}`;
		const store = new RedisStore(url, { table: model.table, prefix: "bench:sess:" });
		closers.unshift(() => store.close());
		const client = new RedisClient(url);
		closers.unshift(() => client.close());
		if (only.includes("sess")) contenders["sess"] = await sessContender(store, "sess");
		if (only.includes("floor")) contenders["floor"] = await floorContender(() => client, "bench:");
	} else {
		const cluster = await startLocalCluster();
		closers.push(() => cluster.stop());
		const store = new RedisStore(cluster.url, { table: model.table, prefix: "{bench:sess}:" });
		closers.unshift(() => store.close());
		const direct = new Map<number, RedisClient>();
		for (const n of cluster.nodes) direct.set(n.port, new RedisClient(`redis://127.0.0.1:${n.port}`));
		closers.unshift(() => {
			for (const c of direct.values()) c.close();
		});
		const owners = new Map<string, RedisClient>();
		for (let slot = 0; slot < SLOTS; slot++) {
			const key = `bench:floor:${slot}`;
			owners.set(key, direct.get((await cluster.primaryOf(slotOf(key))).port) as RedisClient);
		}
		if (only.includes("sess")) contenders["sess"] = await sessContender(store, "sess");
		if (only.includes("floor")) contenders["floor"] = await floorContender((key) => owners.get(key) as RedisClient, "bench:");
	}
	const names = Object.keys(contenders);
	for (const n of names) await timed((contenders[n] as Contender).ops, concurrency, 500);
	const cpu: Record<string, number[]> = {};
	const rate: Record<string, number[]> = {};
	const mainCpu: Record<string, number[]> = {};
	const busy: Record<string, number[]> = {};
	for (let round = 0; round < rounds; round++) {
		for (const n of names) {
			Bun.gc(true);
			const c0 = process.cpuUsage();
			const m0 = mainThreadUs();
			const w0 = performance.now();
			const r = await timed((contenders[n] as Contender).ops, concurrency, ms);
			const c = process.cpuUsage(c0);
			const main = mainThreadUs() - m0;
			(cpu[n] ??= []).push((c.user + c.system) / r.count);
			(mainCpu[n] ??= []).push(main / r.count);
			(busy[n] ??= []).push(main / ((performance.now() - w0) * 1000));
			(rate[n] ??= []).push(r.ops);
		}
	}
	for (const n of names) {
		const us = (cpu[n] as number[]).map((x) => x.toFixed(1)).join(" ");
		const ops = (rate[n] as number[]).map((x) => Math.round(x)).join(" ");
		const main = (mainCpu[n] as number[]).map((x) => x.toFixed(1)).join(" ");
		const load = (busy[n] as number[]).map((x) => `${Math.round(x * 100)}%`).join(" ");
		process.stdout.write(`${target} c=${concurrency} ${n}: Bun CPU µs/op ${us} | main thread µs/op ${main}, busy ${load} | ops/s ${ops}\n`);
	}
	if (names.length === 2) {
		const r = (rate["sess"] as number[]).map((s, i) => (s / (rate["floor"] as number[])[i]!).toFixed(2)).join(" ");
		process.stdout.write(`sess/floor per round: ${r}\n`);
	}
} finally {
	for (const close of closers) await close();
}
