// What SendBatch (src/stores/redis-batch.ts) saves: 16 workers, each a GET then a SET on its own key, straight
// on Bun.RedisClient and through SendBatch, alternating rounds on a private redis-server. Reports, per op (two
// commands), Bun's user and system CPU (process.cpuUsage) and Redis's socket reads and CPU: counters that
// the machine's load moves far less than ops/s.
//
// Run: bun bench/redis-batch.ts [--rounds 6] [--ops 30000]
import { RedisClient, spawn, spawnSync } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { SendBatch } from "../src/stores/redis-batch.ts";
import { median, table } from "./lib/stats.ts";

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}
const rounds = Number(option("rounds", "6"));
const opsPerRound = Number(option("ops", "30000"));

interface Sender {
	send(command: string, args: string[]): Promise<unknown>;
}

async function run(s: Sender, n: number): Promise<void> {
	let left = n;
	await Promise.all(
		Array.from({ length: 16 }, async (_, w) => {
			while (left-- > 0) {
				await s.send("GET", [`k${w}`]);
				await s.send("SET", [`k${w}`, `v${left}`]);
			}
		}),
	);
}

const dir = mkdtempSync(join(tmpdir(), "sess-bench-batch-"));
const port = 20000 + Math.floor(Math.random() * 30000);
const server = spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdout: "ignore", stderr: "ignore" });
const client = new RedisClient(`redis://127.0.0.1:${port}`);
const admin = new RedisClient(`redis://127.0.0.1:${port}`);
try {
	for (let i = 0; spawnSync(["redis-cli", "-p", String(port), "PING"]).stdout.toString().trim() !== "PONG"; i++) {
		if (i > 100) throw new Error("redis-server did not start");
		await Bun.sleep(50);
	}
	const senders: Record<string, Sender> = { "Bun.RedisClient": { send: (c, a) => client.send(c, a) }, "through SendBatch": new SendBatch(client) };
	const stats = async (): Promise<[number, number]> => {
		const info = String(await admin.send("INFO", ["cpu"])) + String(await admin.send("INFO", ["stats"]));
		const n = (k: string): number => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
		return [n("total_reads_processed"), n("used_cpu_user") + n("used_cpu_sys")];
	};
	for (const s of Object.values(senders)) await run(s, 20000);
	const samples: Record<string, number[][]> = Object.fromEntries(Object.keys(senders).map((k) => [k, []]));
	const load = [loadavg()[0] as number];
	for (let r = 0; r < rounds; r++) {
		for (const [name, s] of Object.entries(senders)) {
			const [reads0, cpu0] = await stats();
			const c0 = process.cpuUsage();
			await run(s, opsPerRound);
			const c = process.cpuUsage(c0);
			const [reads1, cpu1] = await stats();
			// Our two INFO reads between the counters are not the workload's.
			samples[name]?.push([c.user / opsPerRound, c.system / opsPerRound, (reads1 - reads0 - 2) / opsPerRound, ((cpu1 - cpu0) * 1e6) / opsPerRound]);
		}
	}
	load.push(loadavg()[0] as number);
	const rows = Object.entries(samples).map(([name, xs]) => [name, ...[0, 1, 2, 3].map((i) => median(xs.map((x) => x[i] as number)).toFixed(i === 2 ? 2 : 1))]);
	process.stdout.write(`${table(["16 in flight, GET + SET per op", "Bun user µs/op", "Bun system µs/op", "Redis reads/op", "Redis CPU µs/op"], rows)}\n\n`);
	process.stdout.write(`medians of ${rounds} alternating rounds × ${opsPerRound} ops; 1-minute load average ${load.map((l) => l.toFixed(1)).join(" → ")}\n`);
} finally {
	client.close();
	admin.close();
	server.kill("SIGKILL");
	await server.exited;
	rmSync(dir, { recursive: true, force: true });
}
