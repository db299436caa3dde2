// The emitted codec against the interpreted one (src/codec.ts, the reference), over every schema we
// have: the demo, test/generator/emit-schemas.ts and test/corpus/schemas/*.ts. For values drawn from each
// schema (valid ones and junk), both must refuse the same data, write the same bytes and decode them
// to equal values; for damaged bytes, both must fail or decode to equal values and resets.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { createLock, updateLock } from "../../generator/lock.ts";
import type { SessionModel } from "../../schema/model.ts";
import { createCodec, type SessionCodec } from "../../src/codec.ts";
import { DecodeError, InvalidDataError } from "../../src/errors.ts";
import demo from "../../examples/demo/schema/session.ts";
import { mutated, objectOf } from "./emit-arbitrary.ts";
import { loadEmitted } from "./emit-load.ts";
import { unsupportedPart } from "../../generator/emit-support.ts";
import { TEST_SCHEMAS, type TestSchema } from "./emit-schemas.ts";

type Row = Record<string, unknown>;
type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

/** Runs per property per schema; SESS_DIFF_RUNS raises it (the nightly-style run). */
const RUNS = Number(process.env.SESS_DIFF_RUNS ?? 1000);

const CORPUS = join(import.meta.dir, "..", "corpus", "schemas");

async function corpus(): Promise<TestSchema[]> {
	if (!existsSync(CORPUS)) return [];
	const out: TestSchema[] = [];
	for (const file of readdirSync(CORPUS).filter((f) => f.endsWith(".ts")).sort()) {
		const mod = (await import(join(CORPUS, file))) as { default?: unknown };
		const model = mod.default as SessionModel | undefined;
		// Refusal fixtures export no model (their defineSession throws): nothing to generate.
		if (model !== undefined && typeof model === "object" && (model as { modelVersion?: unknown }).modelVersion === 1) out.push({ name: `corpus/${file}`, model });
	}
	return out;
}

const SCHEMAS: TestSchema[] = [{ name: "demo", model: demo }, ...TEST_SCHEMAS, ...(await corpus())];

// Every schema is compiled: none is left to the interpreted codec (there would be nothing to compare).
test.each(SCHEMAS.map((s) => [s.name, s.model] as const))("%s is compiled to straight-line code", (_name, model) => {
	expect(unsupportedPart(model)).toBeNull();
});

function run(fn: () => unknown): Outcome {
	try {
		return { ok: true, value: fn() };
	} catch (e) {
		// The reason too: both codecs must refuse with the same message, in the user's terms.
		if (e instanceof InvalidDataError) return { ok: false, error: `InvalidDataError: ${e.message}` };
		if (e instanceof DecodeError) return { ok: false, error: "DecodeError" };
		throw e;
	}
}

function hex(bytes: unknown): unknown {
	return bytes instanceof Uint8Array ? Buffer.from(bytes).toString("hex") : bytes;
}

let compared = 0;

describe.each(SCHEMAS.map((s) => [s.name, s] as const))("emitted codec = interpreted codec: %s", (_name, schema) => {
	const { model } = schema;
	const setup = (async () => {
		const previous = schema.before === undefined ? createLock() : updateLock(schema.before, createLock());
		const emitted = await loadEmitted(model, previous);
		const interpreted = createCodec<Row, Row>(model, emitted.lock);
		const old = schema.before === undefined ? undefined : createCodec<Row, Row>(schema.before, previous);
		return { emitted: emitted.codec, interpreted, old };
	})();
	const data = objectOf(model.data, 0, true);
	const flash = objectOf(model.flash.map((f) => ({ ...f, optional: true })), 0, true);
	const validData = objectOf(model.data, 0, false);
	const validFlash = objectOf(model.flash.map((f) => ({ ...f, optional: true })), 0, false);

	test("the same fresh session", async () => {
		const { emitted, interpreted } = await setup;
		expect(emitted.initial()).toEqual(interpreted.initial());
		expect(hex(emitted.encode(emitted.initial()))).toBe(hex(interpreted.encode(interpreted.initial())));
	});

	test("the same refusals and the same bytes for any data and flash", async () => {
		const { emitted, interpreted } = await setup;
		let accepted = 0;
		fc.assert(
			fc.property(data, fc.option(flash, { nil: undefined }), (d, f) => {
				const a = run(() => hex(emitted.encode(d, f)));
				const b = run(() => hex(interpreted.encode(d, f)));
				expect(a).toEqual(b);
				if (a.ok) accepted++;
				compared++;
			}),
			{ numRuns: RUNS },
		);
		// The arbitrary must mostly draw valid data, or the byte comparison would prove little.
		expect(accepted).toBeGreaterThan(RUNS / 4);
	}, 120_000);

	test("the same values decoded, and damaged bytes fail or decode alike", async () => {
		const { emitted, interpreted } = await setup;
		const encoded = fc.tuple(validData, fc.option(validFlash, { nil: undefined })).chain(([d, f]) => {
			const bytes = run(() => interpreted.encode(d, f));
			const clean = bytes.ok ? (bytes.value as Uint8Array) : interpreted.encode(interpreted.initial());
			return fc.tuple(fc.constant(clean), mutated(clean));
		});
		fc.assert(
			fc.property(encoded, ([clean, damaged]) => {
				expect(run(() => emitted.decodeSession(clean))).toEqual(run(() => interpreted.decodeSession(clean)));
				expect(run(() => emitted.decodeSession(damaged))).toEqual(run(() => interpreted.decodeSession(damaged)));
				compared += 2;
			}),
			{ numRuns: RUNS },
		);
	}, 120_000);

	test("arbitrary bytes fail or decode alike", async () => {
		const { emitted, interpreted } = await setup;
		fc.assert(
			// Both formats: 1 (plain strings) and 2 (packed strings, the short system field).
			fc.property(fc.constantFrom(1, 2), fc.uint8Array({ maxLength: 64 }), (format, b) => {
				const bytes = Uint8Array.from([format, ...b]);
				expect(run(() => emitted.decodeSession(bytes))).toEqual(run(() => interpreted.decodeSession(bytes)));
				compared++;
			}),
			{ numRuns: RUNS },
		);
	}, 120_000);

	if (schema.before !== undefined) {
		test("bytes of the earlier schema decode alike (resets included)", async () => {
			const { emitted, interpreted, old } = await setup;
			const before = schema.before as SessionModel;
			fc.assert(
				fc.property(objectOf(before.data, 0, false), (d) => {
					const bytes = run(() => (old as SessionCodec<Row, Row>).encode(d));
					if (!bytes.ok) return;
					const a = run(() => emitted.decodeSession(bytes.value as Uint8Array));
					expect(a).toEqual(run(() => interpreted.decodeSession(bytes.value as Uint8Array)));
					compared++;
				}),
				{ numRuns: RUNS },
			);
		}, 120_000);
	}
});

test("the differential test covered every schema", () => {
	expect(SCHEMAS.length).toBeGreaterThanOrEqual(6);
	process.stdout.write(`emit differential: ${SCHEMAS.length} schemas × ${RUNS} runs per property, ${compared} comparisons\n`);
});
