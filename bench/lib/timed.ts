// Closed-loop load: `concurrency` workers, each awaiting its own op back to back for a fixed time.

/** One request of a contender; `i` counts that worker's requests so every write differs from the last. */
export type Op = (i: number) => Promise<void>;

/** Per-worker counters survive across rounds, so a round's first write never repeats the last one's value. */
const counters = new WeakMap<Op, { i: number }>();

/** The request counter of one worker, made on first use; a check may use (and advance) it between rounds. */
export function counterOf(op: Op): { i: number } {
	let counter = counters.get(op);
	if (counter === undefined) counters.set(op, (counter = { i: 0 }));
	return counter;
}

/** Runs the first `concurrency` ops for `ms` milliseconds; returns operations per wall second and their count. */
export async function timed(ops: readonly Op[], concurrency: number, ms: number): Promise<{ ops: number; count: number }> {
	let done = 0;
	const start = performance.now();
	const end = start + ms;
	await Promise.all(
		ops.slice(0, concurrency).map(async (op) => {
			const counter = counterOf(op);
			while (performance.now() < end) {
				await op(counter.i++);
				done++;
			}
		}),
	);
	return { ops: done / ((performance.now() - start) / 1000), count: done };
}
