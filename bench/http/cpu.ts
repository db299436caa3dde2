// Server CPU per request over HTTP: the server process's own user + system time (all its threads, read
// from /proc/<pid>/stat) across a wrk run, divided by the requests it answered. Wall-clock throughput on
// a shared machine moves with the other tenants; the CPU a request costs the server moves far less.
//
//   bun bench/http/cpu.ts [--rounds N] [--seconds S] [kinds…]      # default kinds: bare floor sess-memory
//
// Each (round, kind) starts a fresh server, checks the session works (the second /inc must see 2), warms
// up for a second, then measures; the last line prints the median µs per request per kind and sess ÷ floor.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "../lib/proc.ts";
import { cookiePair, lastPerName } from "../lib/schema.ts";
import { get, HTTP_SPECS, wrk } from "./run.ts";

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}
const rounds = Number(option("rounds", "3"));
const seconds = Number(option("seconds", "3"));
const kinds = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
const ids = kinds.length > 0 ? kinds : ["bare", "floor", "sess-memory"];
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function cpuTicks(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
}

async function once(id: string): Promise<{ us: number; rps: number; lost: number }> {
	const spec = HTTP_SPECS.find((s) => s.id === id);
	if (spec === undefined) throw new Error(`unknown kind ${id}`);
	const server = await startServer([process.execPath, join(import.meta.dir, "server.ts"), id], {});
	try {
		const first = await get(server.port, "/inc", null);
		const set = lastPerName(first.setCookies).find((c) => c.startsWith(`${spec.cookie}=`));
		if (set === undefined) throw new Error(`${id}: no ${spec.cookie} cookie`);
		const pair = cookiePair(set);
		const warm = await wrk(server.port, 1, spec, pair, null);
		const before = cpuTicks(server.pid);
		const run = await wrk(server.port, seconds, spec, pair, null);
		const after = cpuTicks(server.pid);
		const count = await get(server.port, "/count", pair);
		const served = 1 + warm.requests - warm.non2xx + run.requests - run.non2xx;
		const lost = spec.noCounter === true ? 0 : Math.max(0, served - Number(count.body.trim()));
		return { us: ((after - before) * TICK_US) / (run.requests - run.non2xx), rps: run.rps, lost };
	} finally {
		await server.stop();
	}
}

const results = new Map<string, number[]>(ids.map((id) => [id, []]));
for (let r = 0; r < rounds; r++) {
	for (const id of ids) {
		const x = await once(id);
		results.get(id)?.push(x.us);
		process.stderr.write(`round ${r + 1} ${id}: ${x.us.toFixed(2)} µs CPU/request, ${Math.round(x.rps)} req/s, lost ${x.lost}\n`);
		if (x.lost !== 0) throw new Error(`${id}: ${x.lost} lost updates`);
	}
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const out: Record<string, number> = {};
for (const [id, xs] of results) out[id] = Number(median(xs).toFixed(2));
const floor = out["floor"];
const sess = out["sess-memory"];
if (floor !== undefined && sess !== undefined) out["floor÷sess"] = Number((floor / sess).toFixed(3));
console.log(JSON.stringify(out));
