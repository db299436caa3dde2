// One contender in a fresh process: set up, warm up, run for a fixed time at concurrency 1, check, print JSON.
// Run by bench/inproc/run.ts; by hand: bun bench/inproc/worker.ts <contender> <inc|read> <seconds>
import { CONTENDERS, POOL, removeTempDirs, type Mode } from "./contenders.ts";
import { timedLoop } from "./loop.ts";

export interface WorkerResult {
	id: string;
	label: string;
	mode: Mode;
	ops: number;
	seconds: number;
	/** Wall-clock throughput. */
	opsPerSec: number;
	/** Requests per second of this process's own CPU time (all its threads): what other tenants of the VM cannot inflate. */
	opsPerCpuSec: number;
	p50us: number;
	p99us: number;
	cookieBytes: number;
	setCookieBytes: number;
	/** Store writes per request over the timed run (read-only mode), when the contender has a store. */
	writesPerRequest: number | null;
	/** "ok", "n/a" (no counter), or what went wrong. */
	check: string;
	notes: string;
}

const [id = "", modeArg = "inc", secondsArg = "1", warmArg = "0.3"] = process.argv.slice(2);
const spec = CONTENDERS[id];
if (spec === undefined) throw new Error(`unknown contender ${id}; one of ${Object.keys(CONTENDERS).join(", ")}`);
const mode = modeArg as Mode;
if (!spec.modes.includes(mode)) throw new Error(`${id} does not run in mode ${mode}`);
const seconds = Number(secondsArg);
const warm = Number(warmArg);

const c = await spec.make(mode);
const loop = timedLoop(c);
let ops = 0;

ops += await loop(warm * 1000, null);
Bun.gc(true);
const writesBefore = c.writes?.() ?? 0;
const lat = new Float64Array(4_000_000);
const cpu0 = process.cpuUsage();
const start = performance.now();
const timed = await loop(seconds * 1000, lat);
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
ops += timed;
const writes = c.writes === undefined ? null : (c.writes() - writesBefore) / timed;

let check = "n/a";
const counters: number[] = [];
for (let s = 0; s < POOL; s++) {
	const n = await c.counter(s);
	if (n === null) break;
	counters.push(n);
}
if (counters.length > 0) {
	const total = counters.reduce((a, b) => a + b, 0);
	const expected = mode === "inc" ? ops : 0;
	check = total === expected ? "ok" : `counter sum ${total} ≠ ${expected} requests`;
}

const sample = Array.from(lat.subarray(0, Math.min(timed, lat.length))).sort((a, b) => a - b);
const q = (p: number) => (sample[Math.min(sample.length - 1, Math.ceil(p * sample.length) - 1)] ?? Number.NaN) * 1000;
const result: WorkerResult = {
	id, label: spec.label, mode, ops: timed, seconds: elapsed, opsPerSec: timed / elapsed, opsPerCpuSec: timed / cpuSeconds, p50us: q(0.5), p99us: q(0.99),
	cookieBytes: c.cookieBytes(), setCookieBytes: c.setCookieBytes(), writesPerRequest: writes, check, notes: c.notes,
};
await c.close?.();
removeTempDirs();
process.stdout.write(`${JSON.stringify(result)}\n`);
