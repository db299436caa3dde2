// Instructions per request of the HTTP contenders' route handlers (handler.ts: in process, a Request in,
// a Response out, no sockets), under callgrind: a count other tenants of a loaded machine cannot move.
// The HTTP server's own share (parsing, writing, the event loop) is the same code for every contender
// except for the bytes of the extra headers; bench/http/cpu.ts measures the whole server process instead.
//
//   bun bench/http/instructions.ts [--warm N] [--small N] [--large N] [kinds…]   # default: bare floor sess-memory
//
// As bench/instructions.ts: the warm-up runs uninstrumented, then (Ir(large) − Ir(small)) ÷ (large − small),
// all threads counted, the JIT on the main thread and Bun's GC timer off.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}
const warm = Number(option("warm", "20000"));
const small = Number(option("small", "1000"));
const large = Number(option("large", "3000"));
const kinds = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
const ids = kinds.length > 0 ? kinds : ["bare", "floor", "sess-memory"];
const HANDLER = join(import.meta.dir, "handler.ts");
const dir = mkdtempSync(join(tmpdir(), "sess-http-callgrind-"));

async function control(pid: number, ...args: string[]): Promise<void> {
	const p = Bun.spawn(["callgrind_control", ...args, String(pid)], { stdout: "ignore", stderr: "pipe" });
	if ((await p.exited) !== 0) throw new Error(`callgrind_control ${args.join(" ")} failed: ${await new Response(p.stderr).text()}`);
}

async function perRequest(id: string): Promise<number> {
	const out = join(dir, id);
	const proc = Bun.spawn(["valgrind", "--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${out}`, process.execPath, HANDLER, id, "--warm", String(warm), "--windows", `${small},${large}`], {
		stdin: "pipe", stdout: "pipe", stderr: "pipe",
		env: { ...process.env, BUN_JSC_useConcurrentJIT: "0", BUN_GC_TIMER_DISABLE: "1" },
	});
	const stderr = new Response(proc.stderr).text();
	let dumps = 0;
	let buffered = "";
	for await (const chunk of proc.stdout) {
		buffered += new TextDecoder().decode(chunk);
		let nl: number;
		while ((nl = buffered.indexOf("\n")) >= 0) {
			const line = buffered.slice(0, nl);
			buffered = buffered.slice(nl + 1);
			if (line === "WARM") await control(proc.pid, "--instr=on");
			else if (line === "DONE") await control(proc.pid, `--dump=window${++dumps}`);
			else continue;
			proc.stdin.write("\n");
			proc.stdin.flush();
		}
	}
	proc.stdin.end();
	if ((await proc.exited) !== 0 || dumps !== 2) throw new Error(`${id}: ${dumps} windows; ${(await stderr).trim().split("\n").slice(-6).join(" / ")}`);
	const totals = [1, 2].map((k) => {
		const m = /^totals:\s+(\d+)/m.exec(readFileSync(`${out}.${k}`, "utf8"));
		if (m === null) throw new Error(`no totals in ${out}.${k}`);
		return Number(m[1]);
	});
	return ((totals[1] as number) - (totals[0] as number)) / (large - small);
}

try {
	const out: Record<string, number> = {};
	for (const id of ids) {
		out[id] = Math.round(await perRequest(id));
		process.stderr.write(`${id}: ${out[id]} Ir/request\n`);
	}
	if (out["floor"] !== undefined && out["sess-memory"] !== undefined) out["floor÷sess"] = Number((out["floor"] / out["sess-memory"]).toFixed(3));
	console.log(JSON.stringify(out));
} finally {
	rmSync(dir, { recursive: true, force: true });
}
