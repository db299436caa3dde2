// The history checker (test/history) on PostgreSQL with a read replica: three demo processes with
// SESS_DB (the primary) and SESS_DB_READ (a streaming replica made for the run, replaying 1 s late),
// random operations across rotations, then (a)–(e) checked; the replica's counts (reads served, writes
// that waited for it) come from each demo's exit line. Its own file, not test/history/workload.test.ts:
// every write waits for the replica, so rotation and grace are seconds (the engine's `timing`), and
// more clients run, each being slow.
import { describe, expect, test } from "bun:test";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { startDemo, type DemoProcess } from "../helpers/demo-process.ts";
import { checkHistory, formatViolation, VIOLATION_CLASSES, type ViolationClass } from "../history/checker.ts";
import { forger } from "../history/forger.ts";
import { runWorkload } from "../history/driver.ts";
import { postgresReplicaEngine } from "../history/engines.ts";

const APPLY_DELAY_MS = 1000;
const DURATION_MS = Number(process.env.HISTORY_MS ?? 8000);
const PROCESSES = 3;
const engine = postgresReplicaEngine(APPLY_DELAY_MS);
const timing = engine.timing as { everyMs: number; graceMs: number };

/** Stops a demo and returns what it printed from then on (its read counts). */
async function stopAndRead(demo: DemoProcess): Promise<string> {
	// startDemo read the first lines through a reader of its own (released since): read on with a new one.
	const reader = (demo.proc.stdout as ReadableStream<Uint8Array>).getReader();
	const decoder = new TextDecoder();
	const stopped = demo.stop();
	let text = "";
	for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);
	await stopped;
	return text;
}

function say(line: string): void {
	process.stdout.write(`${line}\n`);
}

const reachable = await engine.reachable();

describe.skipIf(!reachable && process.env.CI !== "true")("history on postgres-replica", () => {
	test(`${PROCESSES} demo processes reading a replica ${APPLY_DELAY_MS} ms behind: no violation of (a)–(e), every session read from the replica`, async () => {
		const started = performance.now();
		const store = await engine.create();
		const setUp = (performance.now() - started) / 1000;
		const keys = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
		const demos: DemoProcess[] = [];
		const outputs: string[] = [];
		try {
			const env = { ...store.env, SESS_KEYS: keys, SESS_MODE: "store", SESS_ROTATE_EVERY: `${timing.everyMs}ms`, SESS_GRACE: `${timing.graceMs}ms` };
			for (let i = 0; i < PROCESSES; i++) demos.push(await startDemo(env));
			const seed = Math.floor(Math.random() * 2 ** 31);
			const runStarted = performance.now();
			const history = await runWorkload({
				bases: demos.map((d) => d.base), users: 6, devicesPerUser: 2, tabs: 3,
				durationMs: DURATION_MS, graceMs: timing.graceMs, forge: forger(keys), seed, mode: "store",
			});
			const seconds = (performance.now() - runStarted) / 1000;
			while (demos.length > 0) outputs.push(await stopAndRead(demos.pop() as DemoProcess));
			const report = checkHistory(history);
			const counts = Object.fromEntries((Object.keys(VIOLATION_CLASSES) as ViolationClass[]).map((c) => [c, report.violations.filter((v) => v.class === c).length]));
			let reads = 0;
			let waits = 0;
			let waitedMs = 0;
			for (const out of outputs) {
				const match = /replica: (\d+) session reads served; (\d+) writes waited for it, (\d+) ms/.exec(out);
				expect(match).not.toBeNull();
				reads += Number(match?.[1]);
				waits += Number(match?.[2]);
				waitedMs += Number(match?.[3]);
			}
			// Every request that carried a cookie read its session: the replica answered them all.
			const loads = history.ops.filter((o) => o.role === "client" && o.sent !== null && o.status !== 0).length;
			say(
				`history postgres-replica (apply delay ${APPLY_DELAY_MS} ms): ${report.operations} operations checked in ${seconds.toFixed(1)} s (${(report.operations / seconds).toFixed(0)} ops/s; set-up ${setUp.toFixed(1)} s), ` +
					`violations a=${counts.a} b=${counts.b} c=${counts.c} d=${counts.d} e=${counts.e}, ` +
					`excused logouts: ${report.excused.revokedByDevice} by a revoke, ${report.excused.lateForGrace} late for the grace; ${report.coverage.lateAppends} acknowledged appends completed after their grace; ${report.errors} errors; seed ${seed}`,
			);
			say(`  replica: ${reads} session reads served (${loads} client requests carried a cookie; the primary served none), ${waits} writes waited for it, ${(waitedMs / Math.max(1, waits)).toFixed(0)} ms on average`);
			const c = report.coverage;
			say(`  exercised: ${c.appends} acknowledged appends, ${c.rotations} rotations, ${c.overlappedRotation} served while their cookie was rotating, ${c.endings} sessions ended then probed ${c.probesAfterEnd} times, ${c.neverIssued} never-issued cookies`);
			const t0 = history.ops[0]?.inv ?? 0;
			for (const v of report.violations.slice(0, 10)) say(formatViolation(v, t0));
			for (const op of history.ops.filter((o) => o.status === 0 || o.status >= 500).slice(0, 3)) {
				say(`  error: #${op.id} ${op.kind} on process ${op.process} -> ${op.status} ${JSON.stringify(op.body).slice(0, 160)}`);
			}
			expect(report.operations).toBeGreaterThan(100);
			expect(report.violations.map((v) => `(${v.class}) ${v.message}`)).toEqual([]);
			expect(reads).toBeGreaterThanOrEqual(loads);
		} finally {
			for (const d of demos) await d.stop();
			await store.drop();
		}
	}, DURATION_MS + 90_000);
});
