// The history checker on every engine: several demo processes, many clients, periodic rotation, for a
// bounded time; then every recorded request is checked. Any violation fails the run and prints its
// history excerpt. HISTORY_MS sets the run length (default 6 s per set-up).
import { describe, expect, test } from "bun:test";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { startDemo, type DemoProcess } from "../helpers/demo-process.ts";
import { checkHistory, formatViolation, VIOLATION_CLASSES, type ViolationClass } from "./checker.ts";
import { ENGINES, type Engine } from "./engines.ts";
import { forger } from "./forger.ts";
import { runWorkload } from "./driver.ts";

const DURATION_MS = Number(process.env.HISTORY_MS ?? 6000);
// Short, so that sessions rotate many times in a run; the grace is long next to a request's latency.
const EVERY_MS = 150;
const GRACE_MS = 120;
const PROCESSES = 3;

interface SetUp {
	engine: Engine;
	mode: "store" | "sealed";
}

const setUps: SetUp[] = [...ENGINES.map((engine) => ({ engine, mode: "store" as const })), { engine: ENGINES.find((e) => e.name === "postgres") as Engine, mode: "sealed" }];

function say(line: string): void {
	process.stdout.write(`${line}\n`);
}

for (const setUp of setUps) {
	const label = `${setUp.engine.name}${setUp.mode === "sealed" ? " (sealed)" : ""}`;
	const reachable = await setUp.engine.reachable();
	describe.skipIf(!reachable && process.env.CI !== "true")(`history on ${label}`, () => {
		test(`${PROCESSES} demo processes, random operations across rotations: no violation of (a)–(e)`, async () => {
			const store = await setUp.engine.create();
			const keys = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
			const demos: DemoProcess[] = [];
			try {
				const env = { ...store.env, SESS_KEYS: keys, SESS_MODE: setUp.mode, SESS_ROTATE_EVERY: `${EVERY_MS}ms`, SESS_GRACE: `${GRACE_MS}ms` };
				// Sequential starts: the first applies the migrations, the others find them applied.
				for (let i = 0; i < PROCESSES; i++) demos.push(await startDemo(env));
				const seed = Math.floor(Math.random() * 2 ** 31);
				const started = performance.now();
				const history = await runWorkload({
					bases: demos.map((d) => d.base), users: 4, devicesPerUser: 2, tabs: setUp.mode === "sealed" ? 1 : 3,
					// Nothing is stepped around: revokes race their own tabs' rotations and other devices' requests, and
					// every cookie a login held is replayed after its logout (docs/guarantees.md, findings 1–4).
					durationMs: DURATION_MS, graceMs: GRACE_MS, forge: forger(keys, setUp.mode, setUp.engine.routed === true), seed, mode: setUp.mode,
				});
				const seconds = (performance.now() - started) / 1000;
				const report = checkHistory(history);
				const counts = Object.fromEntries((Object.keys(VIOLATION_CLASSES) as ViolationClass[]).map((c) => [c, report.violations.filter((v) => v.class === c).length]));
				say(
					`history ${label}: ${report.operations} operations checked in ${seconds.toFixed(1)} s (${(report.operations / seconds).toFixed(0)} ops/s), ` +
						`violations a=${counts.a} b=${counts.b} c=${counts.c} d=${counts.d} e=${counts.e}, ` +
						`excused logouts: ${report.excused.revokedByDevice} by a revoke, ${report.excused.lateForGrace} late for the grace; ${report.errors} errors; seed ${seed}`,
				);
				const c = report.coverage;
				say(`  exercised: ${c.appends} acknowledged appends (${c.lateAppends} completed after their cookie's grace), ${c.revokesDuringOwnRotation} revokes during their own cookie's rotation, ${c.rotations} rotations, ${c.overlappedRotation} served while their cookie was rotating, ${c.endings} sessions ended then probed ${c.probesAfterEnd} times, ${c.neverIssued} never-issued cookies`);
				const t0 = history.ops[0]?.inv ?? 0;
				// HISTORY_DUMP=dir keeps each run's history as JSON, to study a violation or replay the checker.
				if (process.env.HISTORY_DUMP) await Bun.write(`${process.env.HISTORY_DUMP}/${label.replace(/\W+/g, "-")}-${seed}.json`, JSON.stringify(history));
				for (const v of report.violations.slice(0, 10)) say(formatViolation(v, t0));
				// Not acknowledged, so no guarantee covers them; shown so an outage or a 500 is not silent.
				for (const op of history.ops.filter((o) => o.status === 0 || o.status >= 500).slice(0, 3)) {
					say(`  error: #${op.id} ${op.kind} on process ${op.process} -> ${op.status} ${JSON.stringify(op.body).slice(0, 160)}`);
				}
				expect(report.operations).toBeGreaterThan(100);
				expect(report.violations.map((v) => `(${v.class}) ${v.message}`)).toEqual([]);
			} finally {
				for (const d of demos) await d.stop();
				await store.drop();
			}
		}, DURATION_MS + 60_000);
	});
}
