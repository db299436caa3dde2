// The history checker while slots move: three demo processes on a local cluster, the table either spread by
// user (RedisSpreadStore, the slot of every user's tag migrated to another primary mid-run, one after the
// other) or in its one slot (RedisStore, that slot migrated), each key by key (IMPORTING/MIGRATING, MIGRATE
// until the slot is empty, SETSLOT NODE on every primary), as `redis-cli --cluster reshard` does. Requests
// may fail (503, unacknowledged) while a slot is split between two nodes; no guarantee may break.
import { describe, expect, test } from "bun:test";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { slotOf } from "../../src/stores/redis-cluster-slot.ts";
import { routeTagFor } from "../../src/token.ts";
import { startDemo, type DemoProcess } from "../helpers/demo-process.ts";
import { scratchPrefix } from "../helpers/scratch-database.ts";
import { checkHistory, formatViolation, VIOLATION_CLASSES, type ViolationClass } from "../history/checker.ts";
import { forger } from "../history/forger.ts";
import { runWorkload } from "../history/driver.ts";
import { clusterToolsPresent, startLocalCluster, type ClusterNode, type LocalCluster } from "./local-cluster.ts";

const DURATION_MS = Number(process.env.MIGRATION_MS ?? 6000);
const USERS = 6;

function say(line: string): void {
	process.stdout.write(`${line}\n`);
}

/** Moves `slot` from its primary to another, key by key (MIGRATION_BATCH keys at a time), so the slot stays split between two nodes for a while; returns the keys moved. */
async function migrate(cluster: LocalCluster, slot: number): Promise<number> {
	const source = await cluster.primaryOf(slot);
	let target: ClusterNode = source;
	for (const other of [0, 6000, 12000, 16000]) {
		const n = await cluster.primaryOf(other);
		if (n !== source) target = n;
	}
	const open = (n: ClusterNode): Bun.RedisClient => new Bun.RedisClient(`redis://127.0.0.1:${n.port}`);
	const src = open(source);
	const dst = open(target);
	let moved = 0;
	try {
		const srcId = String(await src.send("CLUSTER", ["MYID"]));
		const dstId = String(await dst.send("CLUSTER", ["MYID"]));
		await dst.send("CLUSTER", ["SETSLOT", String(slot), "IMPORTING", srcId]);
		await src.send("CLUSTER", ["SETSLOT", String(slot), "MIGRATING", dstId]);
		for (;;) {
			const keys = (await src.send("CLUSTER", ["GETKEYSINSLOT", String(slot), process.env.MIGRATION_BATCH ?? "1"])) as string[];
			if (keys.length === 0) break;
			await src.send("MIGRATE", ["127.0.0.1", String(target.port), "", "0", "5000", "REPLACE", "KEYS", ...keys]);
			moved += keys.length;
		}
		for (const n of cluster.nodes) {
			const c = open(n);
			try {
				await c.send("CLUSTER", ["SETSLOT", String(slot), "NODE", dstId]).catch(() => null);
			} finally {
				c.close();
			}
		}
	} finally {
		src.close();
		dst.close();
	}
	return moved;
}

describe.skipIf(!clusterToolsPresent() && process.env.CI !== "true")("history while slots migrate", () => {
	test.each(["spread", "one-slot"] as const)("%s layout: every slot the table uses moved to another primary mid-run, no violation of (a)–(e)", async (layout) => {
		const cluster = await startLocalCluster();
		const demos: DemoProcess[] = [];
		const keys = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
		const base = scratchPrefix("migrate");
		try {
			const env = { SESS_DB: cluster.url, SESS_REDIS_PREFIX: `{${base}}:`, SESS_KEYS: keys, SESS_ROTATE_EVERY: "150ms", SESS_GRACE: "120ms", ...(layout === "spread" ? { SESS_REDIS_SPREAD: "user_id" } : {}) };
			for (let i = 0; i < 3; i++) demos.push(await startDemo(env));
			const seed = Math.floor(Math.random() * 2 ** 31);
			const slots = layout === "spread" ? [...new Set(Array.from({ length: USERS }, (_, u) => slotOf(`{${base}:${routeTagFor("user_id", `user${u}`)}}:`)))] : [slotOf(`{${base}}:`)];
			const moves: string[] = [];
			const chaos = (async () => {
				await Bun.sleep(DURATION_MS / 4);
				for (const slot of slots) {
					const from = (await cluster.primaryOf(slot)).port;
					const n = await migrate(cluster, slot);
					moves.push(`slot ${slot}: ${n} keys ${from} → ${(await cluster.primaryOf(slot)).port}`);
				}
			})();
			const history = await runWorkload({
				bases: demos.map((d) => d.base), users: USERS, devicesPerUser: 2, tabs: 3, durationMs: DURATION_MS, graceMs: 120,
				forge: forger(keys, "store", true), seed, mode: "store",
			});
			await chaos;
			const report = checkHistory(history);
			const counts = Object.fromEntries((Object.keys(VIOLATION_CLASSES) as ViolationClass[]).map((c) => [c, report.violations.filter((v) => v.class === c).length]));
			const failed = history.ops.filter((o) => o.status === 0 || o.status >= 500).length;
			say(`migration (${layout}): ${report.operations} operations checked, ${moves.length} slots moved (${moves.join("; ")}); violations ${Object.entries(counts).map(([c, n]) => `${c}=${n}`).join(" ")}; ${failed} requests failed (5xx, not acknowledged); seed ${seed}`);
			const t0 = history.ops[0]?.inv ?? 0;
			for (const v of report.violations.slice(0, 6)) say(formatViolation(v, t0));
			expect(moves.length).toBe(slots.length);
			expect(report.operations).toBeGreaterThan(20);
			expect(report.violations.map((v) => v.message)).toEqual([]);
		} finally {
			for (const d of demos) await d.stop();
			await cluster.stop();
		}
	}, DURATION_MS + 90_000);
});
