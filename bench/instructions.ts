// Instructions per request under callgrind: a count that other tenants of a loaded machine cannot move,
// so the in-process targets can be tracked while wall-clock numbers are noise.
//
//   bun bench/instructions.ts                       # the issue-9 pairs (a few minutes of CPU)
//   bun bench/instructions.ts --pairs sess-memory:floor-map:inc:0.5 --warm 20000 --small 1000 --large 3000
//
// Each contender runs once in bench/inproc/count.ts under `valgrind --tool=callgrind --instr-atstart=no`:
// the warm-up runs uninstrumented (fast, and long enough for the JIT to reach its top tier), then
// `callgrind_control` switches instrumentation on and dumps the counters after a window of `small` and
// after one of `large` requests; (Ir(large) − Ir(small)) ÷ (large − small) is the contender's instructions
// per request, with the constant cost of a window (waking up, printing) cancelled out. All threads are
// counted, the GC's too. The JIT compiles on the main thread (BUN_JSC_useConcurrentJIT=0) and Bun's GC
// timer is off, so neither depends on the scheduler. The ratio shown is floor ÷ sess instructions: the
// throughput ratio the wall-clock suite estimates, as far as instructions predict time (they do not see
// cache misses, and SQLite's file I/O is outside the process).
//
// Three ways the count misleads (found on the read-only SQLite pair, where sess counted fewer instructions
// than the floor yet ran at 0.7× its speed):
// - Windows shorter than the GC period. An eden collection comes every 8 MB allocated (~5,000 requests of
//   either read-only contender), so 1,000 vs 3,000 requests holds zero or one collection by luck: ±5k
//   instructions per request between runs. Use --small 10000 --large 40000 for pairs within 10 %.
// - Valgrind hides SHA-NI, so SHA-256 runs BoringSSL's software path: ~2,100 instructions per 64-byte block
//   against a few hundred natively. The floors that HMAC per request (createHmac: 4 blocks) are overcounted
//   far more than sess (1 block to hash the token, MACs memoised).
// - Instructions are not cycles: sess's request runs ~20 JIT-compiled functions and more runtime code, with
//   25–35 % more I1 misses and 1.7–2× the D1 misses and branch mispredictions of the SQLite floor. Add
//   `--cache-sim=yes --branch-sim=yes` to the valgrind command (bench/lib/callgrind.ts) to see them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countWindows } from "./lib/callgrind.ts";
import { sig, table } from "./lib/stats.ts";

interface Pair {
	sess: string;
	floor: string;
	mode: "inc" | "read";
	target: number;
}

const DEFAULT_PAIRS: Pair[] = [
	{ sess: "sess-memory", floor: "floor-map", mode: "inc", target: 0.5 },
	{ sess: "sess-sqlite", floor: "floor-verify-select", mode: "read", target: 0.8 },
	{ sess: "sess-sealed", floor: "floor-aes", mode: "inc", target: 0.7 },
];

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const small = Number(option("small", "1000"));
const large = Number(option("large", "3000"));
const warm = Number(option("warm", "20000"));
const pairs: Pair[] = process.argv.includes("--pairs")
	? option("pairs", "").split(",").map((p) => {
		const [sess = "", floor = "", mode = "inc", target = "0"] = p.split(":");
		return { sess, floor, mode: mode as "inc" | "read", target: Number(target) };
	})
	: DEFAULT_PAIRS;

const COUNT = join(import.meta.dir, "inproc", "count.ts");
const dir = mkdtempSync(join(tmpdir(), "sess-callgrind-"));

/** Instructions per request of one contender. */
async function perRequest(id: string, mode: string): Promise<number> {
	process.stderr.write(`callgrind: ${id} ${mode} (${warm} warm-up, then ${small} and ${large} requests)\n`);
	const out = join(dir, `${id}.${mode}`);
	const [a, b] = await countWindows({ command: [process.execPath, COUNT, id, mode, String(warm), String(small), String(large)], out, label: `${id} ${mode}` });
	return (b - a) / (large - small);
}

try {
	const rows: string[][] = [];
	for (const p of pairs) {
		const sess = await perRequest(p.sess, p.mode);
		const floor = await perRequest(p.floor, p.mode);
		rows.push([`${p.sess} ÷ ${p.floor} (${p.mode})`, sig(sess / 1000), sig(floor / 1000), sig(floor / sess), p.target > 0 ? `≥ ${p.target}` : "—"]);
	}
	process.stdout.write(`Instructions per request (callgrind; ${warm} warm-up requests, then ${small} vs ${large})\n\n`);
	process.stdout.write(`${table(["pair", "sess kIr/request", "floor kIr/request", "floor ÷ sess", "target"], rows)}\n`);
} finally {
	rmSync(dir, { recursive: true, force: true });
}
