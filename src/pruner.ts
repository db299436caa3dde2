import { parseDuration, type Duration } from "../schema/duration.ts";
import { emit, type EventHook } from "./events.ts";

/** How often and in what batches `startPruning` deletes expired sessions. */
export interface PruneOptions {
	/** Time between runs; default "1m". */
	every?: Duration;
	/** Rows per delete statement; each batch is its own short transaction, so requests wait at most one batch. Default 500. */
	batch?: number;
}

/** What one run did. */
export interface PruneRun {
	/** False when another process held the prune lock, so this one did nothing. */
	ran: boolean;
	deleted: number;
	batches: number;
	/** The longest batch, in milliseconds: the most any request could have waited for pruning. */
	longestBatchMs: number;
}

/** A running pruner: `run()` prunes now, `stop()` ends the timer and waits for a run in progress. */
export interface Pruner {
	run(): Promise<PruneRun>;
	stop(): Promise<void>;
}

/** The store side a pruner drives: delete one batch, and the cross-process lock if the store has one. */
export interface PruneTarget {
	prune(limit: number): Promise<number>;
	lock?: <T>(fn: () => Promise<T>) => Promise<T | null>;
}

const NOTHING: PruneRun = { ran: false, deleted: 0, batches: 0, longestBatchMs: 0 };

/** Starts pruning `target` every `options.every`, one process at a time across processes sharing the store. */
export function startPruner(target: PruneTarget, options: PruneOptions, hook: EventHook | undefined): Pruner {
	const everyMs = parseDuration(options.every ?? "1m", "every");
	const batch = options.batch ?? 500;
	if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`startPruning: batch must be a whole number ≥ 1, got ${String(batch)}.`);
	let stopped = false;
	let running: Promise<PruneRun> | null = null;

	async function batches(): Promise<PruneRun> {
		const run = { ran: true, deleted: 0, batches: 0, longestBatchMs: 0 };
		while (!stopped || run.batches === 0) {
			const started = performance.now();
			const deleted = await target.prune(batch);
			run.longestBatchMs = Math.max(run.longestBatchMs, performance.now() - started);
			run.batches++;
			run.deleted += deleted;
			if (deleted < batch) break;
		}
		return run;
	}

	async function run(): Promise<PruneRun> {
		const result = target.lock === undefined ? await batches() : await target.lock(batches);
		if (result === null) return NOTHING;
		emit(hook, { type: "pruned", deleted: result.deleted, batches: result.batches, longestBatchMs: result.longestBatchMs });
		return result;
	}

	const timer = setInterval(() => {
		if (running !== null) return;
		// A failing store already reported store_unavailable; the next tick tries again.
		running = run().catch(() => NOTHING).finally(() => {
			running = null;
		});
	}, everyMs);
	// The pruner never keeps a process alive on its own.
	(timer as { unref?: () => void }).unref?.();

	return {
		run,
		async stop() {
			stopped = true;
			clearInterval(timer);
			await running;
		},
	};
}
