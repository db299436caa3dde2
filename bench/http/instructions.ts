// Instructions per request of the HTTP contenders' route handlers (handler.ts: in process, a Request in,
// a Response out, no sockets), under callgrind: a count other tenants of a loaded machine cannot move.
// The HTTP server's own share (parsing, writing, the event loop) is the same code for every contender
// except for the bytes of the extra headers; bench/http/cpu.ts measures the whole server process instead.
//
//   bun bench/http/instructions.ts [--warm N] [--small N] [--large N] [kinds…]   # default: bare floor sess-memory
//
// As bench/instructions.ts: the warm-up runs uninstrumented, then (Ir(large) − Ir(small)) ÷ (large − small),
// all threads counted, the JIT on the main thread and Bun's GC timer off.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countWindows } from "../lib/callgrind.ts";

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

async function perRequest(id: string): Promise<number> {
	const out = join(dir, id);
	const [a, b] = await countWindows({ command: [process.execPath, HANDLER, id, "--warm", String(warm), "--windows", `${small},${large}`], out, label: id });
	return (b - a) / (large - small);
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
