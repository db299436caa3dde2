// temp probe
import { RedisClient, spawn, spawnSync } from "bun";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { RedisStore } from "../src/stores/redis.ts";
import { model } from "../examples/demo/src/generated/session.ts";
import { expressContender, require, sessContender, type ExpressStore } from "./lib/contenders.ts";
import { timed } from "./lib/timed.ts";

const port = 20000 + Math.floor(Math.random() * 30000);
const dir = mkdtempSync(join(tmpdir(), "probe-"));
const server = spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdout: "ignore", stderr: "ignore" });
while (spawnSync(["redis-cli", "-p", String(port), "PING"]).stdout.toString().trim() !== "PONG") await Bun.sleep(50);
const url = `redis://127.0.0.1:${port}`;
console.log("port", port);
const store = new RedisStore(url, { table: model.table, prefix: "bench:sess:" });
const admin = new RedisClient(url);
async function stats() {
	const info = String(await admin.send("INFO", ["all"]));
	const g = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
	return { cpu: g("used_cpu_user") + g("used_cpu_sys"), reads: g("total_reads_processed"), writes: g("total_writes_processed"), cmds: g("total_commands_processed"), clients: g("connected_clients") };
}
const which = process.argv[2] ?? "sess";
let c;
if (which === "sess") c = await sessContender(store, "sess");
else if (which === "floor") {
	const fc = new RedisClient(url);
	const keys = Array.from({ length: 16 }, (_, i) => `floor:${i}`);
	for (const k of keys) await fc.send("SET", [k, "x".repeat(100), "EX", "1000"]);
	c = { ops: keys.map((k) => async (i: number) => { if ((await fc.get(k)) === null) throw new Error("x"); await fc.send("SET", [k, "y".repeat(100) + i, "EX", "1000"]); }) };
}
else {
	const nodeRedis = createClient({ url });
	await nodeRedis.connect();
	const { RedisStore: ConnectRedis } = require("connect-redis") as { RedisStore: new (o: object) => ExpressStore };
	c = await expressContender(new ConnectRedis({ client: nodeRedis, prefix: "bench:cr:" }), "cr");
}
for (const conc of (process.env.CONC ?? "1,16").split(",").map(Number)) {
	await timed(c.ops, conc, 300);
	const b = await stats(); const cu0 = process.cpuUsage();
	const r = await timed(c.ops, conc, Number(process.argv[3] ?? 2000));
	const cu = process.cpuUsage(cu0); const a = await stats();
	const n = r.count;
	console.log(which, "c=" + conc, "ops/s", Math.round(r.ops), "cpu µs/op", (((a.cpu - b.cpu) * 1e6) / n).toFixed(1), "reads/op", ((a.reads - b.reads) / n).toFixed(2), "writes/op", ((a.writes - b.writes) / n).toFixed(2), "cmds/op", ((a.cmds - b.cmds) / n).toFixed(2), "clients", a.clients, "client cpu µs/op", ((cu.user + cu.system) / n).toFixed(1), "(sys", (cu.system / n).toFixed(1) + ")");
}
await store.close(); admin.close();
server.kill("SIGKILL");
process.exit(0);
