// Cost of the typed setters, on a loaded session of the demo's schema. Two ops: "scalars" assigns role
// and theme (enums; role rotates the ID) and sets a flash message; "cart" assigns a fresh array of five
// integers (checked, normalised: -0 becomes 0, and frozen). Two contenders over the same Session class: the generated module's manager (examples/demo/src/generated,
// whose per-field checks are emitted code) and a manager over the interpreted codec (createCodec, whose
// checks are compiled from the model at start-up, the reference).
//
//   bun bench/setters.ts                 # wall clock, ratio inside each round (noisy on a loaded machine)
//   bun bench/setters.ts --instructions  # instructions per op under callgrind (load-independent)
//
// Under callgrind the protocol is bench/inproc/count.ts's: warm up uninstrumented, print WARM, then run a
// window of `small` and one of `large` ops, each ended with DONE; (Ir(large) − Ir(small)) ÷ (large − small)
// is the instructions per op.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLock, updateLock } from "../generator/lock.ts";
import { createCodec } from "../src/codec.ts";
import { createSessionManager } from "../src/manager.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import demo from "../examples/demo/schema/session.ts";
import { createSessions, Session, type FlashData, type SessionData } from "../examples/demo/src/generated/session.ts";
import { countWindows } from "./lib/callgrind.ts";
import { median, sig, table } from "./lib/stats.ts";

const CONTENDERS = ["emitted", "interpreted"] as const;
type Contender = (typeof CONTENDERS)[number];
const OPS = ["scalars", "cart"] as const;
type Op = (typeof OPS)[number];
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255)).toString("base64url");

async function setup(id: Contender, kind: Op): Promise<(i: number) => void> {
	const store = new MemoryStore();
	const options = { store, keys: [KEY] };
	const sessions = id === "emitted"
		? createSessions(options)
		: createSessionManager({ model: demo, codec: createCodec<SessionData, FlashData>(demo, updateLock(demo, createLock())), Session }, options);
	const s = (await sessions.load(new Request("https://example.test/"))) as Session;
	const roles = ["guest", "user", "admin"] as const;
	const themes = ["light", "dark"] as const;
	const messages = ["saved", "deleted", "moved"];
	if (kind === "cart") return (i) => {
		s.cart = [i & 7, 3, 14, 15, 92];
	};
	return (i) => {
		s.role = roles[i % 3] as (typeof roles)[number];
		s.theme = themes[i % 2] as (typeof themes)[number];
		s.flash.set("message", messages[i % 3] as string);
	};
}

const args = process.argv.slice(2);

if (args[0] === "--child") {
	// One contender under callgrind: see the header.
	const [, id = "emitted", kind = "scalars", warm = "100000", ...counts] = args;
	const op = await setup(id as Contender, kind as Op);
	let i = 0;
	const run = (n: number) => {
		for (let k = 0; k < n; k++) op(i++);
	};
	run(Number(warm));
	const lines = console[Symbol.asyncIterator]();
	process.stdout.write("WARM\n");
	for (const n of counts) {
		await lines.next();
		run(Number(n));
		process.stdout.write("DONE\n");
	}
	await lines.next();
	process.exit(0);
} else if (args.includes("--instructions")) {
	const small = 20_000;
	const large = 60_000;
	const dir = mkdtempSync(join(tmpdir(), "sess-setters-"));
	const perOp = async (id: Contender, kind: Op): Promise<number> => {
		const out = join(dir, `${id}-${kind}`);
		const [a, b] = await countWindows({ command: [process.execPath, import.meta.path, "--child", id, kind, "300000", String(small), String(large)], out, label: id });
		return (b - a) / (large - small);
	};
	try {
		const rows: string[][] = [];
		for (const kind of OPS) {
			const emitted = await perOp("emitted", kind);
			const interpreted = await perOp("interpreted", kind);
			rows.push([kind, sig(emitted), sig(interpreted), sig(interpreted / emitted)]);
		}
		process.stdout.write(`Instructions per setter op (callgrind; ${small} vs ${large} ops)\n\n`);
		process.stdout.write(`${table(["op", "emitted Ir/op", "interpreted Ir/op", "interpreted ÷ emitted"], rows)}\n`);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
} else {
	const rounds = 7;
	const n = 200_000;
	const rows: string[][] = [];
	for (const kind of OPS) {
		const ops = { emitted: await setup("emitted", kind), interpreted: await setup("interpreted", kind) };
		const ns: Record<Contender, number[]> = { emitted: [], interpreted: [] };
		for (let r = 0; r < rounds; r++) {
			for (const id of CONTENDERS) {
				const op = ops[id];
				const t = performance.now();
				for (let i = 0; i < n; i++) op(i);
				ns[id].push(((performance.now() - t) * 1e6) / n);
			}
		}
		const ratios = ns.emitted.map((e, i) => (ns.interpreted[i] as number) / e);
		rows.push([kind, sig(median(ns.emitted)), sig(median(ns.interpreted)), sig(median(ratios))]);
	}
	process.stdout.write(`${table(["op", "emitted ns/op", "interpreted ns/op", "interpreted ÷ emitted (median of rounds)"], rows)}\n`);
}
