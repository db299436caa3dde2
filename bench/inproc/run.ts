// In-process sections: every (round, contender) runs in a fresh process, contenders in a rotated order per
// round; ratios are computed inside each round, then the median over rounds is reported.
import { join } from "node:path";
import { pin, runJson } from "../lib/proc.ts";
import type { Mode } from "./contenders.ts";
import type { WorkerResult } from "./worker.ts";

const WORKER = join(import.meta.dir, "worker.ts");

export interface InprocOptions {
	rounds: number;
	seconds: number;
	warmup: number;
	/** Pin each worker to core 0 (off by default: on a shared VM a pinned process cannot escape a busy core). */
	pin: boolean;
	log: (line: string) => void;
}

/** Per contender id: one result per round (missing when the worker failed that round). */
export type Samples = Map<string, WorkerResult[]>;

export async function runInproc(ids: readonly string[], mode: Mode, opts: InprocOptions): Promise<{ samples: Samples; errors: string[]; rounds: Map<string, WorkerResult>[] }> {
	const samples: Samples = new Map(ids.map((id) => [id, []]));
	const rounds: Map<string, WorkerResult>[] = [];
	const errors: string[] = [];
	for (let round = 0; round < opts.rounds; round++) {
		const results = new Map<string, WorkerResult>();
		for (let k = 0; k < ids.length; k++) {
			const id = ids[(k + round) % ids.length] as string;
			try {
				const r = await runJson<WorkerResult>(pin(opts.pin ? 0 : null, [process.execPath, WORKER, id, mode, String(opts.seconds), String(opts.warmup)]), (opts.seconds + opts.warmup) * 1000 + 60_000);
				results.set(id, r);
				(samples.get(id) as WorkerResult[]).push(r);
			} catch (e) {
				errors.push(`${id} round ${round + 1}: ${e instanceof Error ? e.message : String(e)}`);
			}
		}
		rounds.push(results);
		opts.log(`${mode === "inc" ? "in-process" : "read-only"}: round ${round + 1}/${opts.rounds} done`);
	}
	return { samples, errors, rounds };
}

/**
 * Per-round ratio a/b over the rounds where both ran: throughput per CPU-second of `a` ÷ that of `b`.
 * CPU time (all of the worker's threads) rather than wall time, so other tenants of the VM taking the
 * core away mid-run do not show up as a slower contender.
 */
export function ratios(rounds: Map<string, WorkerResult>[], a: string, b: string): number[] {
	const out: number[] = [];
	for (const r of rounds) {
		const x = r.get(a);
		const y = r.get(b);
		if (x !== undefined && y !== undefined) out.push(x.opsPerCpuSec / y.opsPerCpuSec);
	}
	return out;
}
