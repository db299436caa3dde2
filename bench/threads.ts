// CPU per request by thread (Linux /proc/self/task), for one in-process contender run the way
// bench/inproc/worker.ts runs it (warm-up, Bun.gc(true), a timed run with per-request timestamps). ops/CPU-s
// counts every thread of the process: this shows how much of it is the request on the main thread and how
// much is JIT compiles (JITWorker), JavaScriptCore's block warm-up (JSCWarmUp), GC helpers and mimalloc.
//
//   bun bench/threads.ts sess-sealed [seconds=1] [warm-up seconds=1] [mode=inc|read]
import { readdirSync, readFileSync } from "node:fs";
import { CONTENDERS, type Mode } from "./inproc/contenders.ts";
import { timedLoop } from "./inproc/loop.ts";

const [id = "sess-sealed", secondsArg = "1", warmArg = "1", modeArg = "inc"] = process.argv.slice(2);
const spec = CONTENDERS[id];
if (spec === undefined) throw new Error(`unknown contender ${id}; one of ${Object.keys(CONTENDERS).join(", ")}`);
const c = await spec.make(modeArg as Mode);
/** Linux reports thread CPU time in clock ticks of 10 ms (USER_HZ = 100). */
const TICK_US = 10_000;

/** CPU ticks so far per thread name (threads of one name summed). */
function ticksByThread(): Map<string, number> {
	const out = new Map<string, number>();
	for (const task of readdirSync("/proc/self/task")) {
		try {
			const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
			const name = readFileSync(`/proc/self/task/${task}/comm`, "utf8").trim();
			// Fields after the parenthesised name: utime and stime are the 12th and 13th.
			const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
			out.set(name, (out.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
		} catch {
			// The thread ended between listing and reading.
		}
	}
	return out;
}

const latencies = new Float64Array(4_000_000);
const loop = timedLoop(c);

await loop(Number(warmArg) * 1000, null);
Bun.gc(true);
const before = ticksByThread();
const cpu0 = process.cpuUsage();
const n = await loop(Number(secondsArg) * 1000, latencies);
const cpu = process.cpuUsage(cpu0);
const after = ticksByThread();
await c.close?.();
const p50 = (Array.from(latencies.subarray(0, Math.min(n, latencies.length))).sort((a, b) => a - b)[Math.floor(n / 2)] ?? Number.NaN) * 1000;
const cpuUs = cpu.user + cpu.system;
const threads = [...after].map(([name, t]) => `${name} ${(((t - (before.get(name) ?? 0)) * TICK_US) / n).toFixed(2)}`).filter((s) => !s.endsWith(" 0.00"));
process.stdout.write(`${id}: ${n} requests, ${Math.round(n / (cpuUs / 1e6))} ops/CPU-s, p50 ${p50.toFixed(2)} µs, CPU ${(cpuUs / n).toFixed(2)} µs/request\n`);
process.stdout.write(`  µs of CPU per request by thread: ${threads.join(", ")}\n`);
process.exit(0);
