// A throw-away Redis Cluster for one test file: six `redis-server --cluster-enabled yes` processes on free
// loopback ports (three primaries, three replicas) in a temporary directory, joined with
// `redis-cli --cluster create`, and stopped by PID afterwards (also when the set-up itself fails).
import { spawn, spawnSync, type Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One node: its port, its process, and whether it is gone. */
export interface ClusterNode {
	port: number;
	process: Subprocess;
}

export interface LocalCluster {
	nodes: ClusterNode[];
	/** `127.0.0.1:port` of every node. */
	addresses: string[];
	/** The demo's SESS_DB for this cluster. */
	url: string;
	/** The node currently serving `slot` as primary. */
	primaryOf(slot: number): Promise<ClusterNode>;
	/** Kills a node (SIGKILL, by PID): a crash, not a shutdown. */
	kill(node: ClusterNode): void;
	/** Starts a killed node again on its port and config: it rejoins (as a replica once another took over). */
	restart(node: ClusterNode): void;
	/** Waits until every live node reports cluster_state:ok and every slot has a live primary. */
	settled(timeoutMs?: number): Promise<void>;
	stop(): Promise<void>;
}

/** True when redis-server and redis-cli are on the PATH. */
export function clusterToolsPresent(): boolean {
	return Bun.which("redis-server") !== null && Bun.which("redis-cli") !== null;
}

/** A port whose cluster bus port (port + 10000) is free too. */
async function freePort(taken: Set<number>): Promise<number> {
	for (let i = 0; i < 200; i++) {
		const port = 20000 + Math.floor(Math.random() * 30000);
		if (taken.has(port) || taken.has(port + 10000)) continue;
		try {
			const a = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
			const b = Bun.listen({ hostname: "127.0.0.1", port: port + 10000, socket: { data() {} } });
			a.stop(true);
			b.stop(true);
			taken.add(port);
			taken.add(port + 10000);
			return port;
		} catch {
			// In use: try another.
		}
	}
	throw new Error("no free port pair for a Redis Cluster node");
}

function cli(port: number, ...args: string[]): string {
	const r = spawnSync(["redis-cli", "-h", "127.0.0.1", "-p", String(port), ...args], { stdout: "pipe", stderr: "pipe" });
	return r.stdout.toString();
}

/** True when CLUSTER SLOTS, asked of `port`, gives every slot a primary that is not among `dead`. */
async function primariesLive(port: number, dead: Set<number>): Promise<boolean> {
	const client = new Bun.RedisClient(`redis://127.0.0.1:${port}`, { autoReconnect: false, connectionTimeout: 1000 });
	try {
		const ranges = (await client.send("CLUSTER", ["SLOTS"])) as [number, number, [string, number]][];
		let covered = 0;
		for (const [start, end, primary] of ranges) {
			if (dead.has(primary[1])) return false;
			covered += end - start + 1;
		}
		return covered === 16384;
	} catch {
		return false;
	} finally {
		client.close();
	}
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the cluster; `nodeTimeoutMs` is how soon a dead primary's replica takes over. */
export async function startLocalCluster(nodeTimeoutMs = 1000): Promise<LocalCluster> {
	const dir = mkdtempSync(join(tmpdir(), "sess-cluster-"));
	const nodes: ClusterNode[] = [];
	const dead = new Set<ClusterNode>();
	// Should the test runner exit without running afterAll (a crash, a timeout), the nodes still go.
	const onExit = (): void => {
		for (const n of nodes) if (!dead.has(n)) n.process.kill("SIGKILL");
	};
	process.once("exit", onExit);
	const stop = async (): Promise<void> => {
		process.off("exit", onExit);
		for (const n of nodes) {
			if (!dead.has(n)) n.process.kill("SIGKILL");
			await n.process.exited;
		}
		rmSync(dir, { recursive: true, force: true });
	};
	const start = (port: number): Subprocess => {
		return spawn(
			[
				"redis-server", "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`),
				"--cluster-node-timeout", String(nodeTimeoutMs), "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no",
				"--logfile", join(dir, `${port}.log`),
				// Replicas sync at once (no 5 s wait for more replicas to share the transfer), and any replica may take over.
				"--repl-diskless-sync-delay", "0", "--cluster-replica-validity-factor", "0",
			],
			{ stdout: "ignore", stderr: "ignore" },
		);
	};
	try {
		const taken = new Set<number>();
		for (let i = 0; i < 6; i++) {
			const port = await freePort(taken);
			const process = start(port);
			nodes.push({ port, process });
		}
		for (const n of nodes) {
			for (let i = 0; cli(n.port, "PING").trim() !== "PONG"; i++) {
				if (i > 100) throw new Error(`redis-server on ${n.port} did not start`);
				await sleep(50);
			}
		}
		const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
		const created = spawnSync(["redis-cli", "--cluster", "create", ...addresses, "--cluster-replicas", "1", "--cluster-yes"], { stdout: "pipe", stderr: "pipe" });
		if (created.exitCode !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout.toString().slice(-400)} ${created.stderr.toString().slice(-400)}`);
		const cluster: LocalCluster = {
			nodes,
			addresses,
			url: `redis-cluster://${addresses.join(",")}`,
			async primaryOf(slot) {
				for (const n of nodes) {
					if (dead.has(n)) continue;
					const client = new Bun.RedisClient(`redis://127.0.0.1:${n.port}`, { autoReconnect: false, connectionTimeout: 1000 });
					try {
						const ranges = (await client.send("CLUSTER", ["SLOTS"])) as [number, number, [string, number]][];
						const range = ranges.find(([start, end]) => slot >= start && slot <= end);
						const node = nodes.find((x) => x.port === range?.[2][1]);
						if (node !== undefined) return node;
					} catch {
						// Ask the next node.
					} finally {
						client.close();
					}
				}
				throw new Error(`no primary serves slot ${slot}`);
			},
			kill(node) {
				dead.add(node);
				node.process.kill("SIGKILL");
			},
			restart(node) {
				node.process = start(node.port);
				dead.delete(node);
			},
			async settled(timeoutMs = 20_000) {
				const until = performance.now() + timeoutMs;
				for (;;) {
					const live = nodes.filter((n) => !dead.has(n));
					// Every live node sees the cluster whole, and every replica has its primary's data (else it could not take over).
					const ok = live.every((n) => {
						const replication = cli(n.port, "INFO", "replication");
						return cli(n.port, "CLUSTER", "INFO").includes("cluster_state:ok") && (!replication.includes("role:slave") || replication.includes("master_link_status:up"));
					});
					if (ok && (await primariesLive(live[0]?.port ?? 0, new Set([...dead].map((n) => n.port))))) return;
					if (performance.now() > until) throw new Error("the Redis Cluster did not settle");
					await sleep(100);
				}
			},
			stop,
		};
		await cluster.settled();
		return cluster;
	} catch (error) {
		await stop();
		throw error;
	}
}
