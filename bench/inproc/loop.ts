import { POOL, type Contender } from "./contenders.ts";

/** A timed loop over a contender: runs ops round-robin over the session pool for `ms` and counts them. */
export function timedLoop(c: Contender): (ms: number, latencies: Float64Array | null) => Promise<number> {
	// The slot carries over between calls so the timed window continues where the warm-up stopped.
	let slot = 0;
	return async (ms, latencies) => {
		let n = 0;
		const end = performance.now() + ms;
		for (;;) {
			const t0 = performance.now();
			if (t0 >= end) break;
			const r = c.op(slot);
			if (r instanceof Promise) await r;
			if (latencies !== null && n < latencies.length) latencies[n] = performance.now() - t0;
			n++;
			slot = (slot + 1) % POOL;
		}
		return n;
	};
}
