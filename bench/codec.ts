// Codec speed, in one process, ratios taken inside each round: the emitted codec (what `sess generate`
// writes) against the interpreted one (createCodec over the model, the reference) and against what an app
// would do without sess: JSON.parse + Zod safeParse to read, Zod parse + JSON.stringify to write.
//
//   bun bench/codec.ts [--rounds 7] [--ms 200]
//
// "decode + validate" = codec.decodeSession(bytes) (decoding validates every field) vs JSON.parse(text) +
// schema.safeParse(value); "encode" = codec.encode(data) (validates, then writes) vs schema.parse(data) +
// JSON.stringify. The demo payload is the README's typical session; the corpus rows use a value drawn
// (with a fixed seed) from each schema that Zod accepts.
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
for (const s of TEST_SCHEMAS) if (s.zod !== undefined) cases.push({ name: s.name, model: s.model, zod: s.zod, value: sampleValid(s.model, s.zod) });

/** Calls `fn` repeatedly for `ms`, returns calls per second. */
function rate(fn: () => unknown): number {
	let n = 0;
	const start = performance.now();
	let now = start;
	while (now - start < MS) {
		for (let i = 0; i < 200; i++) fn();
		n += 200;
		now = performance.now();
	}
	return (n * 1000) / (now - start);
}

let sink: unknown;
const results: { name: string; decodeVsZod: number[]; encodeVsZod: number[]; decodeVsInterp: number[]; encodeVsInterp: number[]; perOp: Record<string, number[]> }[] = [];
for (const c of cases) {
	const lock = updateLock(c.model, createLock());
	const emitted = (await loadEmitted(c.model)).codec;
	const interpreted: SessionCodec<Row, Row> = createCodec<Row, Row>(c.model, lock);
	const bytes = emitted.encode(c.value);
	const json = JSON.stringify(c.value);
	if (Buffer.compare(Buffer.from(bytes), Buffer.from(interpreted.encode(c.value))) !== 0) throw new Error(`${c.name}: emitted and interpreted bytes differ`);
	const ops: Record<string, () => unknown> = {
		"emitted decode": () => (sink = emitted.decodeSession(bytes)),
		"interpreted decode": () => (sink = interpreted.decodeSession(bytes)),
		"JSON.parse + Zod safeParse": () => (sink = c.zod.safeParse(JSON.parse(json))),
		"emitted encode": () => (sink = emitted.encode(c.value)),
		"interpreted encode": () => (sink = interpreted.encode(c.value)),
		"Zod parse + JSON.stringify": () => (sink = JSON.stringify(c.zod.parse(c.value))),
	};
	for (const fn of Object.values(ops)) rate(fn); // warm-up
	const r = { name: c.name, decodeVsZod: [] as number[], encodeVsZod: [] as number[], decodeVsInterp: [] as number[], encodeVsInterp: [] as number[], perOp: {} as Record<string, number[]> };
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
		r.decodeVsInterp.push(g("emitted decode") / g("interpreted decode"));
		r.encodeVsInterp.push(g("emitted encode") / g("interpreted encode"));
	}
	results.push(r);
	process.stderr.write(`${c.name}: done\n`);
}
void sink;

const us = (xs: number[] | undefined): string => sig(1e6 / median(xs ?? []));
console.log(`${ROUNDS} rounds × ${MS} ms per contender, rotated order; ratio = emitted ops/s ÷ the other's in the same round, median [min–max].\n`);
console.log(
	table(
		["schema", "decode+validate ÷ JSON.parse+Zod safeParse", "encode ÷ Zod parse+JSON.stringify", "decode ÷ interpreted", "encode ÷ interpreted", "µs: emitted dec / interp dec / JSON+Zod", "µs: emitted enc / interp enc / Zod+JSON"],
		results.map((r) => [
			r.name, ratioRange(r.decodeVsZod), ratioRange(r.encodeVsZod), ratioRange(r.decodeVsInterp), ratioRange(r.encodeVsInterp),
			`${us(r.perOp["emitted decode"])} / ${us(r.perOp["interpreted decode"])} / ${us(r.perOp["JSON.parse + Zod safeParse"])}`,
			`${us(r.perOp["emitted encode"])} / ${us(r.perOp["interpreted encode"])} / ${us(r.perOp["Zod parse + JSON.stringify"])}`,
		]),
	),
);
const corpus = results.slice(1);
if (corpus.length > 0) {
	console.log(`\nCorpus median over ${corpus.length} schemas (each schema's median ratio): decode+validate ÷ JSON+Zod ${sig(median(corpus.map((r) => median(r.decodeVsZod))))}, encode ÷ Zod+JSON ${sig(median(corpus.map((r) => median(r.encodeVsZod))))}, decode ÷ interpreted ${sig(median(corpus.map((r) => median(r.decodeVsInterp))))}, encode ÷ interpreted ${sig(median(corpus.map((r) => median(r.encodeVsInterp))))}.`);
}
