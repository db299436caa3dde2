// The per-request CPU of the HTTP contenders' route handlers, called in process with a Request (no
// sockets): what sess's adapter, load and commit add, without the HTTP server's share that every
// contender pays alike. CPU time of the process (GC threads included) over a fixed number of requests;
// kinds interleave per round. With --windows, runs one kind for callgrind (see instructions.ts).
//
//   bun bench/http/handler.ts [--rounds N] [--requests N] [kinds…]     # default kinds: bare floor sess-memory
import { MemoryStore } from "sess/stores/memory";
import { cookiePair, createBenchSessions, FOREIGN_COOKIES, lastPerName, newKey } from "../lib/schema.ts";
import { bareRoutes, floorRoutes, sessRoutes, type BenchRoutes } from "./routes.ts";

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}
const rounds = Number(option("rounds", "5"));
const requests = Number(option("requests", "200000"));
const warm = Number(option("warm", "50000"));
const kinds = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
const ids = kinds.length > 0 ? kinds : ["bare", "floor", "sess-memory"];

const COOKIE: Record<string, string> = { bare: "fixed", floor: "__Host-f", "sess-memory": "__Host-sid" };

function routesOf(id: string): BenchRoutes {
	if (id === "bare") return bareRoutes();
	if (id === "floor") return floorRoutes();
	if (id === "sess-memory") return sessRoutes(createBenchSessions({ store: new MemoryStore(), keys: [newKey()] }));
	throw new Error(`unknown kind ${id}`);
}

interface Driver {
	run(n: number): Promise<void>;
	counter(): Promise<number>;
}

async function driver(id: string): Promise<Driver> {
	const routes = routesOf(id);
	const inc = routes["/inc"].GET;
	const first = await inc(new Request("http://127.0.0.1/inc"));
	const set = lastPerName(first.headers.getSetCookie()).find((c) => c.startsWith(`${COOKIE[id]}=`));
	if (set === undefined) throw new Error(`${id}: no ${COOKIE[id]} cookie`);
	const request = new Request("http://127.0.0.1/inc", { headers: { cookie: `${FOREIGN_COOKIES}; ${cookiePair(set)}` } });
	return {
		async run(n) {
			for (let i = 0; i < n; i++) {
				const r = inc(request);
				const response = r instanceof Promise ? await r : r;
				if (response.status !== 200) throw new Error(`${id}: status ${response.status}`);
			}
		},
		async counter() {
			const r = await routes["/count"].GET(request);
			return Number(await r.text());
		},
	};
}

function cpuMicros(): number {
	const u = process.cpuUsage();
	return u.user + u.system;
}

// Under callgrind (bench/http/instructions.ts): one kind, WARM after the warm-up, then for each window size
// a line on stdin starts the window and DONE ends it, so the driver can switch counting on and dump exactly around it.
const windows = option("windows", "");
if (windows !== "") {
	const d = await driver(ids[0] as string);
	await d.run(warm);
	const lines = console[Symbol.asyncIterator]();
	process.stdout.write("WARM\n");
	for (const n of windows.split(",")) {
		await lines.next();
		await d.run(Number(n));
		process.stdout.write("DONE\n");
	}
	await lines.next();
	process.exit(0);
}

const drivers = new Map<string, Driver>();
for (const id of ids) {
	const d = await driver(id);
	await d.run(warm);
	drivers.set(id, d);
}
const samples = new Map<string, number[]>(ids.map((id) => [id, []]));
for (let r = 0; r < rounds; r++) {
	for (const id of ids) {
		const d = drivers.get(id) as Driver;
		const t0 = cpuMicros();
		await d.run(requests);
		samples.get(id)?.push(((cpuMicros() - t0) * 1000) / requests);
	}
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const out: Record<string, string> = {};
for (const [id, xs] of samples) out[id] = `${Math.round(median(xs))} ns [${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}]`;
for (const id of ids) {
	if (id === "bare") continue;
	const expected = 1 + warm + rounds * requests;
	const got = await (drivers.get(id) as Driver).counter();
	if (got !== expected) throw new Error(`${id}: counter ${got}, expected ${expected}`);
}
console.log(JSON.stringify(out));
