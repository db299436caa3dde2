// Heap cells allocated per request, by type, for in-process contenders: a count other tenants of a loaded
// machine cannot move (like instructions), and one that follows what the collector and JavaScriptCore's
// block warm-up thread cost per request, which instructions of the request itself do not show.
//
//   bun bench/allocations.ts                          # sess-sealed and floor-aes, inc
//   bun bench/allocations.ts sess-memory floor-map    # any contenders of bench/inproc/contenders.ts
//   bun bench/allocations.ts sess-sqlite:read floor-verify-select:read   # a mode other than inc
//   bun bench/allocations.ts http:sess-memory http:floor   # the HTTP route handlers (bench/http/routes.ts), in process
//
// Each contender runs in this process after a warm-up; then bun:jsc's heapStats() is read around a window
// short enough that no collection runs inside it (a window where any count went down had one, and is
// retried). Reading heapStats() allocates too, so an empty window is measured the same way and subtracted.
import { heapStats } from "bun:jsc";
import { MemoryStore } from "sess/stores/memory";
import { bareRoutes, floorRoutes, sessRoutes, type BenchRoutes } from "./http/routes.ts";
import { CONTENDERS, POOL, type Mode } from "./inproc/contenders.ts";
import { cookiePair, createBenchSessions, FOREIGN_COOKIES, lastPerName, newKey } from "./lib/schema.ts";
import { table } from "./lib/stats.ts";

const WARM = 30000;
const WINDOW = 200;
const ATTEMPTS = 8;

type Counts = Record<string, number>;

/** Cells allocated by `n` runs of `run`, per run and type; null when every attempt saw a collection. */
async function perRun(run: (n: number) => Promise<void>, n: number): Promise<Counts | null> {
	for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
		Bun.gc(true);
		const before = heapStats().objectTypeCounts as Counts;
		await run(n);
		const after = heapStats().objectTypeCounts as Counts;
		const out: Counts = {};
		let collected = false;
		for (const type of new Set([...Object.keys(before), ...Object.keys(after)])) {
			const d = (after[type] ?? 0) - (before[type] ?? 0);
			if (d < 0) collected = true;
			if (d !== 0) out[type] = d / Math.max(n, 1);
		}
		if (!collected) return out;
	}
	return null;
}

/** `/inc` of an HTTP contender's route table, called with one Request carrying the session cookie, as handler.ts does. */
async function httpRun(kind: string): Promise<(n: number) => Promise<void>> {
	const made: Record<string, [() => BenchRoutes, string]> = {
		bare: [bareRoutes, "fixed"],
		floor: [floorRoutes, "__Host-f"],
		"sess-memory": [() => sessRoutes(createBenchSessions({ store: new MemoryStore(), keys: [newKey()] })), "__Host-sid"],
	};
	const entry = made[kind];
	if (entry === undefined) throw new Error(`unknown HTTP kind ${kind}; one of ${Object.keys(made).join(", ")}`);
	const inc = entry[0]()["/inc"].GET;
	const set = lastPerName((await inc(new Request("http://127.0.0.1/inc"))).headers.getSetCookie()).find((c) => c.startsWith(`${entry[1]}=`));
	if (set === undefined) throw new Error(`${kind}: no ${entry[1]} cookie`);
	const request = new Request("http://127.0.0.1/inc", { headers: { cookie: `${FOREIGN_COOKIES}; ${cookiePair(set)}` } });
	return async (n) => {
		for (let i = 0; i < n; i++) {
			const r = inc(request);
			if (r instanceof Promise) await r;
		}
	};
}

async function measure(arg: string): Promise<Counts> {
	if (arg.startsWith("http:")) return measureRun(arg, await httpRun(arg.slice(5)));
	const [id = "", mode = "inc"] = arg.split(":");
	const spec = CONTENDERS[id];
	if (spec === undefined) throw new Error(`unknown contender ${id}; one of ${Object.keys(CONTENDERS).join(", ")}`);
	const c = await spec.make(mode as Mode);
	let slot = 0;
	const run = async (n: number): Promise<void> => {
		for (let i = 0; i < n; i++) {
			const r = c.op(slot);
			if (r instanceof Promise) await r;
			slot = (slot + 1) % POOL;
		}
	};
	try {
		return await measureRun(id, run);
	} finally {
		await c.close?.();
	}
}

async function measureRun(id: string, run: (n: number) => Promise<void>): Promise<Counts> {
	await run(WARM);
	const empty = await perRun(async () => {}, 1);
	const window = await perRun(run, WINDOW);
	if (empty === null || window === null) throw new Error(`${id}: a collection ran in every window`);
	const out: Counts = {};
	for (const [type, d] of Object.entries(window)) {
		const net = d - (empty[type] ?? 0) / WINDOW;
		if (Math.abs(net) >= 0.05) out[type] = net;
	}
	return out;
}

const ids = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["sess-sealed", "floor-aes"];
const results = new Map<string, Counts>();
for (const id of ids) results.set(id, await measure(id));
const types = [...new Set([...results.values()].flatMap((r) => Object.keys(r)))];
const total = (r: Counts): number => Object.values(r).reduce((a, b) => a + b, 0);
types.sort((a, b) => Math.max(...[...results.values()].map((r) => r[b] ?? 0)) - Math.max(...[...results.values()].map((r) => r[a] ?? 0)));
const rows = [["all cells", ...[...results.values()].map((r) => total(r).toFixed(1))], ...types.map((t) => [t, ...[...results.values()].map((r) => (r[t] ?? 0).toFixed(1))])];
process.stdout.write(`Heap cells allocated per request (bun:jsc heapStats, ${WINDOW}-request windows without a collection, after ${WARM} warm-up requests)\n\n`);
process.stdout.write(`${table(["type", ...ids], rows)}\n`);
process.exit(0);
