// Codec speed, in one process, ratios taken inside each round: the emitted codec (what `sess generate`
// writes) against the interpreted one (createCodec over the model, the reference) and against what an app
// would do without sess: JSON.parse + Zod safeParse to read, Zod parse + JSON.stringify to write.
//
//   bun bench/codec.ts [--rounds 7] [--ms 200] [--only promoted-uuid,dates] [--no-interpreted]
//
// --only: just the schemas whose name contains one of these (the demo row always runs); --no-interpreted:
// skip the interpreted codec's contenders (a third less time per schema when only emitted ÷ JSON + Zod matters).
//
// "decode + validate" = codec.decodeSession(bytes) (decoding validates every field) vs JSON.parse(text) +
// schema.safeParse(value); "encode" = codec.encode(data) (validates, then writes) vs schema.parse(data) +
// JSON.stringify. The demo payload is the README's typical session; the corpus rows use a value drawn
// (with a fixed seed) from each schema that Zod accepts.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as z from "zod";
import { createLock, updateLock } from "../generator/lock.ts";
import type { SessionModel } from "../schema/model.ts";
import { createCodec, type SessionCodec } from "../src/codec.ts";
import { objectOf } from "../test/generator/emit-arbitrary.ts";
import { loadEmitted } from "../test/generator/emit-load.ts";
import { TEST_SCHEMAS } from "../test/generator/emit-schemas.ts";
import demo from "../examples/demo/schema/session.ts";
import { median, ratioRange, sig, table } from "./lib/stats.ts";

type Row = Record<string, unknown>;
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = flag("rounds", 7);
const MS = flag("ms", 200);
const ONLY = args.includes("--only") ? String(args[args.indexOf("--only") + 1]).split(",") : undefined;
const INTERPRETED = !args.includes("--no-interpreted");
const wanted = (name: string): boolean => ONLY === undefined || ONLY.some((o) => name.includes(o));

// The demo's schema as Zod (examples/demo/schema/session.ts), for the JSON + Zod contender.
const demoZod = z.object({
	userId: z.string().min(1).max(64).optional(),
	role: z.enum(["guest", "user", "admin"]).default("guest"),
	cart: z.array(z.int().min(0)).max(50).default([]),
	theme: z.enum(["light", "dark"]).optional(),
});
const TYPICAL: Row = { userId: "user-12345", role: "user", cart: [3, 14, 15, 92, 65], theme: "dark" };

interface Case {
	name: string;
	model: SessionModel;
	zod: z.ZodType;
	value: Row;
}

function sampleValid(model: SessionModel, schema: z.ZodType): Row {
	const values = fc.sample(objectOf(model.data, 0, false), { numRuns: 200, seed: 42 });
	// A mid-sized value: the median of the accepted samples by JSON length, so the row is typical.
	const ok = values.filter((v) => schema.safeParse(v).success).sort((a, b) => JSON.stringify(a).length - JSON.stringify(b).length);
	if (ok.length === 0) throw new Error("no sample the schema accepts");
	return ok[Math.floor(ok.length / 2)] as Row;
}

const cases: Case[] = [{ name: "demo (typical session)", model: demo, zod: demoZod, value: TYPICAL }];
for (const s of TEST_SCHEMAS) if (s.zod !== undefined && wanted(s.name)) cases.push({ name: s.name, model: s.model, zod: s.zod, value: sampleValid(s.model, s.zod) });
// The schema corpus (test/corpus/schemas/*.ts: a default-exported model and its Zod `data`), when present.
const CORPUS = join(import.meta.dir, "..", "test", "corpus", "schemas");
if (existsSync(CORPUS)) {
	for (const file of readdirSync(CORPUS).filter((f) => f.endsWith(".ts") && !f.startsWith("refuse-")).sort()) {
		const mod = (await import(join(CORPUS, file))) as { default?: SessionModel; data?: z.ZodType };
		if (mod.default?.modelVersion !== 1 || mod.data === undefined || !wanted(`corpus/${file.slice(0, -3)}`)) continue;
		try {
			cases.push({ name: `corpus/${file.slice(0, -3)}`, model: mod.default, zod: mod.data, value: sampleValid(mod.default, mod.data) });
		} catch {
			process.stderr.write(`corpus/${file}: no sample Zod accepts, left out\n`);
		}
	}
}

/**
 * Calls `fn` repeatedly for `ms` of this process's CPU time and returns calls per CPU-second: other
 * tenants of this VM preempting the run do not count against it (as in bench/inproc).
 */
function rate(fn: () => unknown): number {
	let n = 0;
	const start = process.cpuUsage();
	let used = 0;
	while (used < MS * 1000) {
		for (let i = 0; i < 200; i++) fn();
		n += 200;
		const now = process.cpuUsage(start);
		used = now.user + now.system;
	}
	return (n * 1e6) / used;
}

let sink: unknown;
interface Result {
	name: string;
	/** Emitted codec ÷ JSON + Zod (after). */
	decodeVsZod: number[];
	encodeVsZod: number[];
	/** Interpreted codec ÷ JSON + Zod (before). */
	interpDecodeVsZod: number[];
	interpEncodeVsZod: number[];
	decodeVsInterp: number[];
	encodeVsInterp: number[];
	perOp: Record<string, number[]>;
}
const results: Result[] = [];
for (const c of cases) {
	const lock = updateLock(c.model, createLock());
	const emitted = (await loadEmitted(c.model)).codec;
	const interpreted: SessionCodec<Row, Row> = createCodec<Row, Row>(c.model, lock);
	let bytes: Uint8Array;
	try {
		bytes = emitted.encode(c.value);
		if (Buffer.compare(Buffer.from(bytes), Buffer.from(interpreted.encode(c.value))) !== 0) throw new Error("emitted and interpreted bytes differ");
	} catch (e) {
		// The differential test is where such a difference is chased; the benchmark leaves the schema out.
		process.stderr.write(`${c.name}: left out (${(e as Error).message})\n`);
		continue;
	}
	const json = JSON.stringify(c.value);
	const ops: Record<string, () => unknown> = {
		"emitted decode": () => (sink = emitted.decodeSession(bytes)),
		"interpreted decode": () => (sink = interpreted.decodeSession(bytes)),
		"JSON.parse + Zod safeParse": () => (sink = c.zod.safeParse(JSON.parse(json))),
		"emitted encode": () => (sink = emitted.encode(c.value)),
		"interpreted encode": () => (sink = interpreted.encode(c.value)),
		"Zod parse + JSON.stringify": () => (sink = JSON.stringify(c.zod.parse(c.value))),
	};
	if (!INTERPRETED) {
		delete ops["interpreted decode"];
		delete ops["interpreted encode"];
	}
	for (const fn of Object.values(ops)) rate(fn); // warm-up
	const r: Result = { name: c.name, decodeVsZod: [], encodeVsZod: [], interpDecodeVsZod: [], interpEncodeVsZod: [], decodeVsInterp: [], encodeVsInterp: [], perOp: {} };
	for (let round = 0; round < ROUNDS; round++) {
		const names = Object.keys(ops);
		// Rotate the order per round so drift on this shared machine does not favour one contender.
		const order = names.slice(round % names.length).concat(names.slice(0, round % names.length));
		const got: Record<string, number> = {};
		for (const name of order) got[name] = rate(ops[name] as () => unknown);
		for (const [k, v] of Object.entries(got)) (r.perOp[k] ??= []).push(v);
		const g = (k: string) => got[k] as number;
		r.decodeVsZod.push(g("emitted decode") / g("JSON.parse + Zod safeParse"));
		r.encodeVsZod.push(g("emitted encode") / g("Zod parse + JSON.stringify"));
		if (INTERPRETED) {
			r.interpDecodeVsZod.push(g("interpreted decode") / g("JSON.parse + Zod safeParse"));
			r.interpEncodeVsZod.push(g("interpreted encode") / g("Zod parse + JSON.stringify"));
			r.decodeVsInterp.push(g("emitted decode") / g("interpreted decode"));
			r.encodeVsInterp.push(g("emitted encode") / g("interpreted encode"));
		}
	}
	results.push(r);
	process.stderr.write(`${c.name}: done\n`);
}
void sink;

const us = (xs: number[] | undefined): string => sig(1e6 / median(xs ?? []));
console.log(`${ROUNDS} rounds × ${MS} ms of CPU per contender, rotated order; ratio = emitted ops/s ÷ the other's in the same round, median [min–max].\n`);
console.log(
	table(
		["schema", "decode+validate ÷ JSON.parse+Zod safeParse: before (interpreted) → after (emitted)", "encode ÷ Zod parse+JSON.stringify: before → after", "decode ÷ interpreted", "encode ÷ interpreted", "µs: emitted dec / interp dec / JSON+Zod", "µs: emitted enc / interp enc / Zod+JSON"],
		results.map((r) => [
			r.name, `${ratioRange(r.interpDecodeVsZod)} → ${ratioRange(r.decodeVsZod)}`, `${ratioRange(r.interpEncodeVsZod)} → ${ratioRange(r.encodeVsZod)}`, ratioRange(r.decodeVsInterp), ratioRange(r.encodeVsInterp),
			`${us(r.perOp["emitted decode"])} / ${us(r.perOp["interpreted decode"])} / ${us(r.perOp["JSON.parse + Zod safeParse"])}`,
			`${us(r.perOp["emitted encode"])} / ${us(r.perOp["interpreted encode"])} / ${us(r.perOp["Zod parse + JSON.stringify"])}`,
		]),
	),
);
const corpus = results.slice(1);
if (corpus.length > 0) {
	console.log(`\nMedian over ${corpus.length} schemas (the test schemas and test/corpus) (each schema's median ratio): decode+validate ÷ JSON+Zod ${sig(median(corpus.map((r) => median(r.interpDecodeVsZod))))} → ${sig(median(corpus.map((r) => median(r.decodeVsZod))))}, encode ÷ Zod+JSON ${sig(median(corpus.map((r) => median(r.interpEncodeVsZod))))} → ${sig(median(corpus.map((r) => median(r.encodeVsZod))))}, decode ÷ interpreted ${sig(median(corpus.map((r) => median(r.decodeVsInterp))))}, encode ÷ interpreted ${sig(median(corpus.map((r) => median(r.encodeVsInterp))))}.`);
}
const only = results.filter((r) => r.name.startsWith("corpus/"));
if (only.length > 0) {
	const dec = only.map((r) => ({ name: r.name, d: median(r.decodeVsZod), e: median(r.encodeVsZod) }));
	const slowest = (k: "d" | "e") => dec.reduce((a, b) => (b[k] < a[k] ? b : a));
	const below = (k: "d" | "e") => dec.filter((x) => x[k] < 1).map((x) => `${x.name.slice(7)} ${sig(x[k])}`);
	console.log(`test/corpus alone (${only.length} schemas), emitted ÷ JSON + Zod: decode+validate median ${sig(median(dec.map((x) => x.d)))}, slowest ${slowest("d").name} ${sig(slowest("d").d)}, below 1×: ${below("d").join(", ") || "none"}; encode median ${sig(median(dec.map((x) => x.e)))}, slowest ${slowest("e").name} ${sig(slowest("e").e)}, below 1×: ${below("e").join(", ") || "none"}.`);
}
