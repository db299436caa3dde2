// One contender in a fresh process for fixed numbers of requests, for counting instructions under
// callgrind (bench/instructions.ts drives it). After the warm-up it prints WARM and waits for a line on
// stdin; then, once per count given, it runs that many requests, prints DONE and waits again, so the
// driver can switch callgrind's instrumentation on and dump its counters exactly around each window.
// By hand (no callgrind): bun bench/inproc/count.ts <contender> <inc|read> <warm-up> <count>... < /dev/null
import { CONTENDERS, POOL, removeTempDirs, type Mode } from "./contenders.ts";

const [id = "", modeArg = "inc", warmArg = "20000", ...counts] = process.argv.slice(2);
const spec = CONTENDERS[id];
if (spec === undefined) throw new Error(`unknown contender ${id}; one of ${Object.keys(CONTENDERS).join(", ")}`);
const mode = modeArg as Mode;
if (!spec.modes.includes(mode)) throw new Error(`${id} does not run in mode ${mode}`);

const lines = console[Symbol.asyncIterator]();
const c = await spec.make(mode);
let slot = 0;
async function run(n: number): Promise<void> {
	for (let i = 0; i < n; i++) {
		const r = c.op(slot);
		if (r instanceof Promise) await r;
		slot = (slot + 1) % POOL;
	}
}
// Long enough for the JIT to have compiled the request's code at its top tier before anything is counted.
await run(Number(warmArg));
process.stdout.write("WARM\n");
for (const n of counts) {
	await lines.next();
	await run(Number(n));
	process.stdout.write("DONE\n");
}
await lines.next();
await c.close?.();
removeTempDirs();
// The stdin reader would keep the process alive.
process.exit(0);
