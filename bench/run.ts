// The benchmark suite: sess against its peers and against raw floors, side by side in one run, medians of
// several rounds, printed as Markdown tables of ratios with a PASS/MISS verdict per target.
//
//   bun run bench                 # full suite, ≈ 8 minutes
//   bun run bench -- --quick      # ≈ 2 minutes, fewer/shorter rounds, 100k sessions in the memory test
//   bun bench/run.ts [--quick] [--sections inproc,readonly,http,concurrent,bytes,memory,profile]
//                    [--rounds N] [--seconds S] [--http-rounds N] [--http-seconds S] [--sessions N]
//                    [--pin] [--out FILE]
//
// Progress goes to stderr, the report to stdout (and to --out FILE). Every contender of a round runs in a
// fresh process, in an order rotated per round; ratios are taken inside a round, then the median over
// rounds. This machine is a shared, noisy VM: read the ratios, not the absolute numbers.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import type { BytesRow } from "./bytes.ts";
import type { ConcurrentResult } from "./concurrent.ts";
import { HTTP_SPECS, runHttp, type HttpSample } from "./http/run.ts";
import { CONTENDERS } from "./inproc/contenders.ts";
import { ratios, runInproc } from "./inproc/run.ts";
import type { MemoryResult } from "./memory.ts";
import { packageVersion } from "./lib/peers.ts";
import { runJson, runToEnd } from "./lib/proc.ts";
import { int, median, opsRange, ratioRange, sig, table } from "./lib/stats.ts";

type Section = "inproc" | "readonly" | "http" | "concurrent" | "bytes" | "memory" | "profile";
const ALL: Section[] = ["inproc", "readonly", "http", "concurrent", "bytes", "memory"];

interface Options {
	quick: boolean;
	sections: Section[];
	rounds: number;
	seconds: number;
	warmup: number;
	httpRounds: number;
	httpSeconds: number;
	httpWarmup: number;
	sessions: number;
	pin: boolean;
	out: string | null;
}

function parseOptions(argv: string[]): Options {
	const quick = argv.includes("--quick");
	const o: Options = {
		quick, sections: ALL, rounds: quick ? 2 : 5, seconds: quick ? 0.5 : 1, warmup: quick ? 0.5 : 1,
		httpRounds: quick ? 1 : 3, httpSeconds: quick ? 2 : 4, httpWarmup: 1, sessions: quick ? 100_000 : 1_000_000, pin: false, out: null,
	};
	for (let i = 0; i < argv.length; i++) {
		const flag = argv[i] as string;
		if (flag === "--quick") continue;
		if (flag === "--pin") {
			o.pin = true;
			continue;
		}
		const value = argv[++i];
		if (value === undefined) throw new Error(`${flag} needs a value`);
		const num = () => {
			const n = Number(value);
			if (!(n > 0)) throw new Error(`${flag} must be a positive number`);
			return n;
		};
		if (flag === "--sections") {
			o.sections = value.split(",").map((s) => {
				if (![...ALL, "profile"].includes(s)) throw new Error(`unknown section ${s}`);
				return s as Section;
			});
		} else if (flag === "--rounds") o.rounds = num();
		else if (flag === "--seconds") o.seconds = num();
		else if (flag === "--http-rounds") o.httpRounds = num();
		else if (flag === "--http-seconds") o.httpSeconds = Math.max(1, Math.round(num()));
		else if (flag === "--sessions") o.sessions = num();
		else if (flag === "--out") o.out = value;
		else throw new Error(`unknown option ${flag}`);
	}
	return o;
}

const opts = parseOptions(process.argv.slice(2));
const started = Date.now();
const log = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
const out: string[] = [];
const errors: string[] = [];

interface Target {
	name: string;
	values: number[];
	threshold: string;
	pass: (median: number) => boolean;
	/** How the value is shown ("ratio" → median [min–max]; "text" → `shown`). */
	shown?: string;
}
const targets: Target[] = [];
function target(name: string, values: number[], op: "≥" | "≤", limit: number, shown?: string): void {
	targets.push({ name, values, threshold: `${op} ${limit}`, pass: (m) => (op === "≥" ? m >= limit : m <= limit), ...(shown === undefined ? {} : { shown }) });
}

const WORKER_LABEL = (id: string) => {
	const spec = CONTENDERS[id];
	if (spec === undefined) return id;
	return spec.floor === true ? `**${spec.label}**` : spec.label;
};

// ---------------------------------------------------------------- in process, write

const INPROC_IDS = [
	"floor-hmac", "floor-aes", "floor-map", "floor-sqlite", "ref-signed-json",
	"sess-memory", "sess-sqlite", "sess-sealed",
	"iron", "express-memory", "express-sqlite", "hono-memory", "hono-cookie", "cookie-session",
];

async function sectionInproc(): Promise<void> {
	log(`in-process: ${INPROC_IDS.length} contenders × ${opts.rounds} rounds × ${opts.seconds} s`);
	const r = await runInproc(INPROC_IDS, "inc", { rounds: opts.rounds, seconds: opts.seconds, warmup: opts.warmup, pin: opts.pin, log });
	errors.push(...r.errors);
	const floors: [string, string][] = [["floor-hmac", "÷ HMAC floor"], ["floor-aes", "÷ AES-GCM floor"], ["floor-map", "÷ Map+HMAC floor"], ["floor-sqlite", "÷ SELECT+UPDATE floor"]];
	const rows = INPROC_IDS.map((id) => {
		const s = r.samples.get(id) ?? [];
		const last = s[s.length - 1];
		return [
			WORKER_LABEL(id), `${s.length}/${opts.rounds}`, opsRange(s.map((x) => x.opsPerCpuSec)), int(median(s.map((x) => x.opsPerSec))),
			sig(median(s.map((x) => x.p50us))), sig(median(s.map((x) => x.p99us))),
			last === undefined ? "—" : String(last.cookieBytes), last === undefined ? "—" : String(last.setCookieBytes || "—"),
			...floors.map(([f]) => ratioRange(ratios(r.rounds, id, f))),
			[...new Set(s.map((x) => x.check))].join(", ") || "—",
			last?.notes ?? "",
		];
	});
	out.push(
		"## 1. In process, one request per op (write)",
		"",
		"Parse the Cookie header (with 2 foreign cookies) → verify/open → load → read `role` → `counter + 1` → commit → Set-Cookie. " +
			`Pool of 256 logged-in sessions served round-robin, concurrency 1; each client follows the Set-Cookie it gets. ${opts.rounds} rounds × ${opts.seconds} s (after ${opts.warmup} s warm-up), each contender in a fresh process. ` +
			"Throughput is counted per CPU-second of the worker process (all its threads, from process.cpuUsage) so that other tenants of this VM preempting a run do not count against it; wall-clock ops/s is shown beside it. " +
			"Ratio columns = this row's throughput ÷ that floor's in the same round (1.0 = as fast as the floor; higher is faster), median [min–max] over rounds. " +
			"check = after the run, the counters read back through the contender's own path add up to the requests it served.",
		"",
		table(["system", "rounds", "ops per CPU-s median [min–max]", "ops/s wall median", "p50 µs", "p99 µs", "cookie B", "Set-Cookie B", ...floors.map(([, h]) => h), "check", "notes"], rows),
		"",
	);
	target("sealed mode ≥ 20× iron-session (in process)", ratios(r.rounds, "sess-sealed", "iron"), "≥", 20);
	target("sealed mode ≥ 0.5× the sync HMAC verify+sign floor", ratios(r.rounds, "sess-sealed", "floor-hmac"), "≥", 0.5);
	target("sealed mode ≥ 0.7× the sync AES-256-GCM open+seal floor", ratios(r.rounds, "sess-sealed", "floor-aes"), "≥", 0.7);
	target("SQLite load+commit ≥ 0.5× bare prepared SELECT+UPDATE", ratios(r.rounds, "sess-sqlite", "floor-sqlite"), "≥", 0.5);
	target("SQLite load+commit ≥ 2× express-session + SQLite store", ratios(r.rounds, "sess-sqlite", "express-sqlite"), "≥", 2);
	target("memory store ≥ 0.5× the Map+HMAC floor", ratios(r.rounds, "sess-memory", "floor-map"), "≥", 0.5);
	out.push(
		"Context (not targets): sess sealed ÷ hand-made signed-JSON cookie " + ratioRange(ratios(r.rounds, "sess-sealed", "ref-signed-json")) +
			"; sess MemoryStore ÷ express-session MemoryStore " + ratioRange(ratios(r.rounds, "sess-memory", "express-memory")) + ".",
		"",
	);
}

// ---------------------------------------------------------------- read-only

const READ_IDS = ["floor-verify-select", "floor-map", "sess-sqlite", "sess-memory", "sess-sealed", "express-memory", "express-sqlite"];

async function sectionReadonly(): Promise<void> {
	log(`read-only: ${READ_IDS.length} contenders × ${opts.rounds} rounds × ${opts.seconds} s`);
	const r = await runInproc(READ_IDS, "read", { rounds: opts.rounds, seconds: opts.seconds, warmup: opts.warmup, pin: opts.pin, log });
	errors.push(...r.errors);
	const rows = READ_IDS.map((id) => {
		const s = r.samples.get(id) ?? [];
		const w = s.map((x) => x.writesPerRequest).filter((x): x is number => x !== null);
		return [
			WORKER_LABEL(id), `${s.length}/${opts.rounds}`, opsRange(s.map((x) => x.opsPerCpuSec)), int(median(s.map((x) => x.opsPerSec))),
			sig(median(s.map((x) => x.p50us))), sig(median(s.map((x) => x.p99us))),
			w.length === 0 ? "—" : sig(Math.max(...w)),
			ratioRange(ratios(r.rounds, id, "floor-verify-select")), ratioRange(ratios(r.rounds, id, "floor-map")),
			s[s.length - 1]?.notes ?? "",
		];
	});
	out.push(
		"## 2. Read-only request (no change)",
		"",
		"Same request without the change: load → read `role` → commit. The store must not be written. Throughput and ratios as in §1 (per CPU-second). " +
			"store writes / request = calls to the store's writing methods (sess: create, update, touch, rotate, destroy…; express-session: set, touch, destroy) during the timed run ÷ requests (max over rounds).",
		"",
		table(["system", "rounds", "ops per CPU-s median [min–max]", "ops/s wall median", "p50 µs", "p99 µs", "store writes / request", "÷ verify+SELECT floor", "÷ Map+HMAC floor", "notes"], rows),
		"",
	);
	target("read-only request (SQLite) ≥ 0.8× HMAC verify + SELECT", ratios(r.rounds, "sess-sqlite", "floor-verify-select"), "≥", 0.8);
	const sessWrites = ["sess-sqlite", "sess-memory", "sess-sealed"].flatMap((id) => (r.samples.get(id) ?? []).map((x) => x.writesPerRequest ?? 0));
	target("read-only requests write nothing to the store (sess, all three modes)", sessWrites.length === 0 ? [] : [Math.max(...sessWrites)], "≤", 0, sessWrites.length === 0 ? "—" : `${Math.max(...sessWrites)} writes / request`);
}

// ---------------------------------------------------------------- HTTP

async function sectionHttp(): Promise<void> {
	log(`http: ${HTTP_SPECS.length} servers × ${opts.httpRounds} rounds × ${opts.httpSeconds} s (+${opts.httpWarmup} s warm-up)`);
	const r = await runHttp(HTTP_SPECS, { rounds: opts.httpRounds, seconds: opts.httpSeconds, warmup: opts.httpWarmup, pin: opts.pin, log });
	errors.push(...r.errors);
	const per = (a: string, b: string) => r.rounds.flatMap((m) => {
		const x = m.get(a);
		const y = m.get(b);
		return x !== undefined && y !== undefined ? [x.rps / y.rps] : [];
	});
	const rows = HTTP_SPECS.map((spec) => {
		const s = r.rounds.map((m) => m.get(spec.id)).filter((x): x is HttpSample => x !== undefined);
		const counted = s.filter((x) => x.counter !== null);
		const lost = counted.map((x) => Math.max(0, x.served - (x.counter as number)) / x.served);
		const last = s[s.length - 1];
		return [
			spec.floor === true ? `**${spec.label}**` : spec.label, spec.runtime, `${s.length}/${opts.httpRounds}`, opsRange(s.map((x) => x.rps)),
			sig(median(s.map((x) => x.p50us))), sig(median(s.map((x) => x.p99us))),
			counted.length === 0 ? "n/a" : counted.map((x) => `${int(x.counter as number)} / ${int(x.served)}`).join("; "),
			counted.length === 0 ? "n/a" : `${sig(100 * median(lost))}% [${sig(100 * Math.min(...lost))}–${sig(100 * Math.max(...lost))}]`,
			String(s.reduce((t, x) => t + x.non2xx + x.socketErrors, 0)),
			ratioRange(per(spec.id, "floor")), ratioRange(per(spec.id, "bare")),
			`${spec.notes}${last === undefined ? "" : `; cookie ${last.cookieBytes} B; pid ${s.map((x) => x.pid).join(",")}`}`,
		];
	});
	out.push(
		"## 3. HTTP end to end on loopback",
		"",
		`GET /inc reads the session, increments \`counter\`, writes it back and answers the new value. wrk -t1 -c${16} with ${opts.httpWarmup} s warm-up then ${opts.httpSeconds} s timed, every request on ONE shared session (the cookie from a first request; the second must see 2). ` +
			"Each row is a fresh server process, stopped by PID afterwards; rows rotate per round. counter / served = the stored counter read at the end (GET /count) against the 2xx /inc responses (setup + warm-up + timed): a shortfall is lost updates, i.e. increments overwritten by a concurrent request (a counter slightly above served is requests the server finished after wrk stopped counting). " +
			`Errors = non-2xx + socket errors. Ratios are req/s ÷ the floor's / the ceiling's in the same round.${opts.pin ? " Server pinned to core 0, wrk to core 1." : ""}`,
		"",
		table(["system", "runtime", "rounds", "req/s median [min–max]", "p50 µs", "p99 µs", "counter / served", "lost updates", "errors", "÷ Map+HMAC floor", "÷ bare Bun.serve", "notes"], rows),
		"",
	);
	for (const id of ["sess-sqlite", "sess-memory"]) {
		const label = id === "sess-sqlite" ? "SQLite" : "memory";
		target(`HTTP sess ${label} ≥ 0.9× Bun.serve + Map+HMAC session`, per(id, "floor"), "≥", 0.9);
		target(`HTTP sess ${label} ≥ 3× Express 5 + express-session (on Bun)`, per(id, "express-bun"), "≥", 3);
		target(`HTTP sess ${label} ≥ 25× Flask + Flask-Session`, per(id, "flask"), "≥", 25);
		const s = r.rounds.map((m) => m.get(id)).filter((x): x is HttpSample => x !== undefined);
		const lost = s.map((x) => Math.max(0, x.served - (x.counter ?? 0)));
		target(`HTTP sess ${label}: zero lost updates on one shared session`, lost.length === 0 ? [] : [Math.max(...lost)], "≤", 0, lost.length === 0 ? "—" : `${Math.max(...lost)} lost (max over rounds)`);
	}
}

// ---------------------------------------------------------------- concurrency, bytes, memory (each in its own process)

async function sectionConcurrent(): Promise<void> {
	log("concurrent increments on one session (in process)");
	const rs = await runJson<ConcurrentResult[]>([process.execPath, join(import.meta.dir, "concurrent.ts")], 120_000);
	out.push(
		"## 4. Concurrent increments of one session, in process",
		"",
		"16 request loops × 500 requests, all on ONE session, in one process: `load` → increment → `commitCookie`, all 16 in flight at once (a stress case harsher than §3, where Bun.serve happens to run each request's load-to-commit without interleaving). " +
			"increment `assign` = `session.counter = session.counter + 1` (read-modify-write, what §1–3 do); `update` = `session.update(\"counter\", (n) => n + 1)`, which commit replays on a concurrent writer's value. " +
			"503 = commits that gave up with `WriteConflictError` after 100 compare-and-set attempts (the adapter answers 503 + Retry-After). lost = successful requests − final counter. merges = commits that found the row changed under them (`concurrent_write` events); counter overwritten = merges whose `overwritten` names `counter` (last writer wins).",
		"",
		table(["store", "increment", "requests ok", "503 (WriteConflictError)", "final counter", "lost increments", "merges", "counter overwritten"], rs.map((x) => [
			x.store, x.increment, int(x.requests), int(x.failed), int(x.counter), `${int(x.lost)} (${sig((100 * x.lost) / x.requests)}%)`, int(x.merges), int(x.counterOverwritten),
		])),
		"",
	);
}

async function sectionBytes(): Promise<void> {
	log("bytes");
	const rows = await runJson<BytesRow[]>([process.execPath, join(import.meta.dir, "bytes.ts")], 120_000);
	const ironOf = (data: string) => rows.find((x) => x.data === data && x.system === "iron-session 9")?.cookieValue ?? Number.NaN;
	out.push(
		"## 5. Bytes for the same data",
		"",
		"cookie value = the library's cookie value(s) alone; cookie sent = `name=value` pairs as the browser sends them; Set-Cookie = the header value(s) with attributes; stored = bytes the server keeps for the data.",
		"",
		table(["data", "system", "cookie value B", "cookie sent B", "Set-Cookie B", "stored B", "cookie value ÷ iron-session", "notes"], rows.map((x) => [
			x.data, x.system, String(x.cookieValue), String(x.cookieSent), String(x.setCookie), x.stored === null ? "—" : String(x.stored), sig(x.cookieValue / ironOf(x.data)), x.notes,
		])),
		"",
	);
	const sealed = rows.filter((x) => x.system === "sess sealed").map((x) => x.cookieValue / ironOf(x.data));
	target("sealed cookie ≤ 0.5× iron-session's bytes (each data set)", sealed.length === 0 ? [] : [Math.max(...sealed)], "≤", 0.5);
}

async function sectionMemory(): Promise<void> {
	log(`memory: ${opts.sessions.toLocaleString("en-US")} sessions`);
	const m = await runJson<MemoryResult>([process.execPath, join(import.meta.dir, "memory.ts"), String(opts.sessions), opts.quick ? "60" : "180"], 400_000);
	const mb = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
	const delta = m.afterHeap - m.baselineHeap;
	out.push(
		"## 6. Memory: sessions created and expired in the MemoryStore",
		"",
		`${int(m.created)} sessions created through the manager (fresh visitor → \`userId\` + \`counter\` set → commit), then the clock moved past the absolute deadline and \`sessions.prune()\` removed them; heap measured after 3 full GCs (bun:jsc heapStats).`,
		"",
		table(["sessions", "create s", "heap baseline", "heap with all sessions", "heap after expiry + prune", "Δ heap", "heap B / session", "rows / index entries left", "RSS baseline → peak → after"], [[
			int(m.created), sig(m.createSeconds), mb(m.baselineHeap), mb(m.peakHeap), mb(m.afterHeap), `${delta >= 0 ? "+" : ""}${int(delta)} B`, int(m.bytesPerSession),
			`${int(m.remainingRows)} / ${int(m.remainingIndex)}`, `${mb(m.baselineRss)} → ${mb(m.peakRss)} → ${mb(m.afterRss)}`,
		]]),
		"",
		"RSS stays above the baseline after the heap shrinks: the allocator keeps freed pages for reuse. The heap is what leaks would show in.",
		"",
	);
	// Within 1 MiB or 5% of the baseline, whichever is larger, with every row and index entry gone.
	const slack = Math.max(1048576, m.baselineHeap * 0.05);
	const ok = m.created === m.requested && m.remainingRows === 0 && m.remainingIndex === 0;
	target(`memory: heap after expiring ${int(m.created)} sessions returns to baseline (Δ ≤ ${mb(slack)}, nothing left)`, [ok ? delta : Number.POSITIVE_INFINITY], "≤", slack, `Δ ${delta >= 0 ? "+" : ""}${int(delta)} B; ${int(m.remainingRows)} rows left`);
}

async function sectionProfile(): Promise<void> {
	log("profile: phases and alternatives");
	out.push("## 7. Profile: where sess's time goes", "", await runToEnd([process.execPath, join(import.meta.dir, "profile.ts")], { timeoutMs: 300_000 }), "");
}

// ---------------------------------------------------------------- versions

function tryRun(cmd: string, args: string[]): string {
	try {
		return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
	} catch {
		return "?";
	}
}

function versions(): string[] {
	const deb = tryRun("dpkg-query", ["-W", "-f", "${Package} ${Version}\\n", "wrk", "python3-flask", "python3-flask-session", "gunicorn", "python3-werkzeug", "python3-cachelib"]).split("\n").join(", ");
	const sqlite = tryRun(process.execPath, ["-e", "const {Database}=require('bun:sqlite');console.log(new Database(':memory:').query('select sqlite_version() v').get().v)"]);
	const npm = [
		["iron-session", undefined], ["iron-webcrypto", "iron-session"], ["express", undefined], ["express-session", undefined], ["better-sqlite3-session-store", undefined],
		["cookie-session", undefined], ["cookies", "cookie-session"], ["keygrip", undefined], ["hono", undefined], ["hono-sessions", undefined], ["iron-webcrypto", "hono-sessions"], ["@oslojs/crypto", undefined], ["@oslojs/encoding", undefined],
	].map(([n, from]) => `${n}${from === undefined ? "" : ` (under ${from})`} ${packageVersion(n as string, from)}`);
	return [
		`- Runtimes: bun ${Bun.version}, node ${tryRun("node", ["--version"]).replace(/^v/, "")}, ${tryRun("/usr/bin/python3", ["--version"])} (Debian's, for Flask); SQLite ${sqlite} (bun:sqlite).`,
		`- Debian packages: ${deb}.`,
		`- npm packages: ${npm.join(", ")}; sess ${packageVersion("sess")} (this tree).`,
	];
}

// ---------------------------------------------------------------- main

const cmd = ["bun", "bench/run.ts", ...process.argv.slice(2)].join(" ");
const loadStart = loadavg();
const plan: [Section, () => Promise<void>][] = [
	["inproc", sectionInproc], ["readonly", sectionReadonly], ["http", sectionHttp], ["concurrent", sectionConcurrent], ["bytes", sectionBytes], ["memory", sectionMemory], ["profile", sectionProfile],
];
for (const [name, fn] of plan) {
	if (!opts.sections.includes(name)) continue;
	try {
		await fn();
	} catch (e) {
		errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
		log(`${name} failed: ${String(e)}`);
	}
}
const loadEnd = loadavg();
const elapsed = (Date.now() - started) / 1000;

const report: string[] = [
	`# sess benchmarks${opts.quick ? " (--quick)" : ""}`,
	"",
	`Command: \`${cmd}\` — ${new Date(started).toISOString()}, ${Math.round(elapsed)} s; tree ${tryRun("git", ["rev-parse", "--short", "HEAD"])}${tryRun("git", ["status", "--porcelain", "--", "src", "schema"]) === "" ? "" : " with uncommitted changes under src/ or schema/"}.`,
	"",
	`Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}; load average ${loadStart.map((x) => x.toFixed(1)).join(" ")} at the start, ${loadEnd.map((x) => x.toFixed(1)).join(" ")} at the end. A shared, noisy VM: compare the ratios (taken inside each round), not the absolute numbers.`,
	"",
];
if (targets.length > 0) {
	report.push(
		"## Targets",
		"",
		table(["target", "measured (median [min–max] over rounds)", "needed", "verdict"], targets.map((t) => {
			const m = median(t.values);
			const ok = t.values.length > 0 && t.pass(m);
			return [t.name, t.shown ?? ratioRange(t.values), t.threshold, t.values.length === 0 ? "NOT RUN" : ok ? "PASS" : "**MISS**"];
		})),
		"",
	);
}
report.push(...out, "## Versions", "", ...versions(), "");
if (errors.length > 0) report.push("## Errors", "", ...errors.map((e) => `- ${e}`), "");
const text = report.join("\n");
process.stdout.write(text);
if (opts.out !== null) writeFileSync(opts.out, text);
log(`done in ${Math.round(elapsed)} s${errors.length > 0 ? ` with ${errors.length} error(s)` : ""}`);
