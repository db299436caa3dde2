// The history checker across a Redis Cluster failover: three demo processes on a local cluster, the
// primary holding the session table killed (by PID) a third into the run, its replica taking over, the
// killed node restarted as a replica. Run without and with `waitForReplicas: 1` (SESS_REDIS_WAIT=1), on the
// one-slot layout (RedisStore) and spread over every slot (RedisSpreadStore, SESS_REDIS_SPREAD=user_id).
// Redis replicates asynchronously, so without it a failover may lose what the primary acknowledged; with
// it, an acknowledged logout, revoke or rotation is on the replica first and must survive (no (b)).
import { describe, expect, test } from "bun:test";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { slotOf } from "../../src/stores/redis-cluster-slot.ts";
import { startDemo, type DemoProcess } from "../helpers/demo-process.ts";
import { scratchPrefix } from "../helpers/scratch-database.ts";
import { checkHistory, formatViolation, VIOLATION_CLASSES, type ViolationClass } from "../history/checker.ts";
import { forger } from "../history/forger.ts";
import { runWorkload } from "../history/driver.ts";
import { clusterToolsPresent, startLocalCluster } from "./local-cluster.ts";

const DURATION_MS = Number(process.env.FAILOVER_MS ?? 6000);
const EVERY_MS = 150;
const GRACE_MS = 120;

function say(line: string): void {
	process.stdout.write(`${line}\n`);
}

describe.skipIf(!clusterToolsPresent() && process.env.CI !== "true")("history across a Redis Cluster failover", () => {
	for (const [layout, wait] of [["one slot", 0], ["one slot", 1], ["spread", 0], ["spread", 1]] as const) {
		test(`${layout}: primary killed mid-run, ${wait === 0 ? "asynchronous replication (what is lost is reported)" : "waitForReplicas: 1 (no acknowledged logout lost)"}`, async () => {
			const cluster = await startLocalCluster();
			const demos: DemoProcess[] = [];
			const keys = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
			const prefix = `{${scratchPrefix("failover")}}:`;
			try {
				// Spread: the users' sessions over every primary (RedisSpreadStore); the one killed holds about a third of them.
				const env = { SESS_DB: cluster.url, SESS_REDIS_PREFIX: prefix, SESS_REDIS_WAIT: String(wait), SESS_REDIS_SPREAD: layout === "spread" ? "user_id" : "", SESS_KEYS: keys, SESS_ROTATE_EVERY: `${EVERY_MS}ms`, SESS_GRACE: `${GRACE_MS}ms` };
				for (let i = 0; i < 3; i++) demos.push(await startDemo(env));
				const seed = Math.floor(Math.random() * 2 ** 31);
				const primary = await cluster.primaryOf(slotOf(prefix));
				let failedOverMs = 0;
				const chaos = (async () => {
					await Bun.sleep(DURATION_MS / 3);
					const killedAt = performance.now();
					cluster.kill(primary);
					await cluster.settled(20_000);
					failedOverMs = performance.now() - killedAt;
					// Back as a replica of the new primary: WAIT has a replica to count again.
					cluster.restart(primary);
				})();
				const started = performance.now();
				const history = await runWorkload({
					bases: demos.map((d) => d.base), users: 4, devicesPerUser: 2, tabs: 3, durationMs: DURATION_MS, graceMs: GRACE_MS,
					forge: forger(keys, "store", layout === "spread"), seed, mode: "store",
				});
				await chaos;
				const seconds = (performance.now() - started) / 1000;
				const report = checkHistory(history);
				const counts = Object.fromEntries((Object.keys(VIOLATION_CLASSES) as ViolationClass[]).map((c) => [c, report.violations.filter((v) => v.class === c).length])) as Record<ViolationClass, number>;
				const failed = history.ops.filter((o) => o.status === 0 || o.status >= 500);
				say(
					`failover (${layout}, waitForReplicas ${wait}): ${report.operations} operations checked in ${seconds.toFixed(1)} s, replica took over after ${failedOverMs.toFixed(0)} ms; ` +
						`violations a=${counts.a} b=${counts.b} c=${counts.c} d=${counts.d} e=${counts.e}; ${failed.length} requests failed (5xx, not acknowledged); seed ${seed}`,
				);
				const t0 = history.ops[0]?.inv ?? 0;
				for (const v of report.violations.slice(0, 6)) say(formatViolation(v, t0));
				// A failover under a loaded machine can stall most of a short run: enough ops to mean something, not a throughput bar.
				expect(report.operations).toBeGreaterThan(20);
				// With WAIT, nothing a logout, revoke or rotation acknowledged is lost: no session comes back.
				if (wait === 1) expect(report.violations.filter((v) => v.class === "b" || v.class === "e").map((v) => v.message)).toEqual([]);
			} finally {
				for (const d of demos) await d.stop();
				await cluster.stop();
			}
		}, DURATION_MS + 60_000);
	}
});
