// Memory: N sessions created through the manager in a MemoryStore, then expired (the clock moves past the
// absolute deadline) and pruned; the heap after a full GC must come back to where it started.
// Run alone: bun bench/memory.ts [sessions=1000000] [maxSeconds=150] (prints JSON); bench/run.ts formats it.
import { heapStats } from "bun:jsc";
import { MemoryStore } from "sess/stores/memory";
import { createBenchSessions, newKey } from "./lib/schema.ts";

export interface MemoryResult {
	requested: number;
	created: number;
	createSeconds: number;
	pruned: number;
	remainingRows: number;
	/** Index entries (column → value → ids) left after pruning. */
	remainingIndex: number;
	baselineHeap: number;
	peakHeap: number;
	afterHeap: number;
	baselineObjects: number;
	afterObjects: number;
	baselineRss: number;
	peakRss: number;
	afterRss: number;
	bytesPerSession: number;
}

async function settle(): Promise<{ heap: number; objects: number; rss: number }> {
	// Between collections, let the stack unwind: JSC scans it conservatively.
	for (let i = 0; i < 3; i++) {
		Bun.gc(true);
		await Bun.sleep(20);
	}
	const h = heapStats();
	return { heap: h.heapSize, objects: h.objectCount, rss: process.memoryUsage().rss };
}

export async function measureMemory(requested: number, maxSeconds: number): Promise<MemoryResult> {
	let now = Date.UTC(2030, 0, 1);
	const store = new MemoryStore();
	const sessions = createBenchSessions({ store, keys: [newKey()], now: () => now });
	const noCookie = { headers: new Headers() };
	const absolute = sessions.policy.absoluteMs;

	async function create(count: number, deadline: number): Promise<number> {
		let i = 0;
		for (; i < count; i++) {
			if ((i & 1023) === 0 && performance.now() > deadline) break;
			const s = await sessions.load(noCookie);
			s.userId = `user-${i}`;
			s.counter = 1;
			if ((await sessions.commitCookie(s)) === null) throw new Error("no cookie issued");
		}
		return i;
	}

	// Warm-up: the same path once at small scale, so JIT code and lazily built tables are in the baseline.
	await create(20_000, Infinity);
	now += absolute + 1;
	await sessions.prune();
	const base = await settle();

	const t0 = performance.now();
	const created = await create(requested, t0 + maxSeconds * 1000);
	const createSeconds = (performance.now() - t0) / 1000;
	const peak = await settle();

	now += absolute + 1;
	const pruned = await sessions.prune();
	const after = await settle();
	const index = (store as unknown as { index: Map<string, Map<unknown, Set<string>>> }).index;
	let remainingIndex = 0;
	for (const byValue of index.values()) remainingIndex += byValue.size;
	return {
		requested, created, createSeconds, pruned, remainingRows: store.size, remainingIndex,
		baselineHeap: base.heap, peakHeap: peak.heap, afterHeap: after.heap,
		baselineObjects: base.objects, afterObjects: after.objects,
		baselineRss: base.rss, peakRss: peak.rss, afterRss: after.rss,
		bytesPerSession: created > 0 ? (peak.heap - base.heap) / created : 0,
	};
}

if (import.meta.main) {
	const [n = "1000000", max = "150"] = process.argv.slice(2);
	process.stdout.write(`${JSON.stringify(await measureMemory(Number(n), Number(max)))}\n`);
}
