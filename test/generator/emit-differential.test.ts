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
import { mutated, objectOf, perturbed, valueOf } from "./emit-arbitrary.ts";
import { arbitraryOf } from "../corpus/arbitrary.ts";
import { compileFieldChecks } from "../../src/manager-shared.ts";
import type { FieldModel } from "../../schema/model.ts";
import { createSessionManager } from "../../src/manager.ts";
import type { Session } from "../../src/session.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { newKey } from "../helpers/harness.ts";
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

/** Values for a field: mostly drawn from its type, some just off (corpus arbitrary), some perturbed (-0, padding, unknown or missing keys). */
function assigned(f: FieldModel): fc.Arbitrary<unknown> {
	// A symbol fits no type: every field sees refusals in every run, whatever its arbitrary draws.
	return fc.oneof({ weight: 3, arbitrary: valueOf(f.type) }, { weight: 2, arbitrary: arbitraryOf(f.type) }, { weight: 3, arbitrary: perturbed(valueOf(f.type)) }, { weight: 1, arbitrary: fc.constant(Symbol("junk")) });
}

/** What a setter leaves behind: the stored value, or the reason it refused. */
function assign(session: Session<object, object>, scope: "data" | "flash", name: string, value: unknown): Outcome {
	return run(() => {
		if (scope === "data") {
			(session as unknown as Record<string, unknown>)[name] = value;
			return (session.toJSON() as Record<string, unknown>)[name];
		}
		const flash = session.flash as unknown as { set(k: string, v: unknown): void; take(k: string): unknown };
		flash.set(name, value);
		return flash.take(name);
	});
}

let fieldComparisons = 0;

// The typed setters: the per-field checks and normalisers the generated module emits against the ones
// compiled from the model (compileFieldChecks in src/manager-shared.ts, the reference), function by function and through the
// setters of two managers (emitted module vs interpreted codec), for every field of every schema.
describe.each(SCHEMAS.map((s) => [s.name, s] as const))("emitted setters = compiled setters: %s", (_name, schema) => {
	const { model } = schema;
	const setup = (async () => {
		const previous = schema.before === undefined ? createLock() : updateLock(schema.before, createLock());
		const emitted = await loadEmitted(model, previous);
		const interpreted = createCodec<Row, Row>(model, emitted.lock);
		const options = () => ({ store: new MemoryStore(), keys: [newKey()] });
		const managers = [
			emitted.createSessions(options()) as { load(r: Request): Promise<Session<object, object>> },
			createSessionManager({ model, codec: interpreted, Session: emitted.Session as never }, options()) as unknown as { load(r: Request): Promise<Session<object, object>> },
		];
		const [a, b] = await Promise.all(managers.map((m) => m.load(new Request("https://example.test/"))));
		return { fields: emitted.codec.fields, compiled: compileFieldChecks(model), sessions: [a as Session<object, object>, b as Session<object, object>] as const };
	})();

	test("the codec brings its field checks, for the same fields (normalisers where they can change a value)", async () => {
		const { fields, compiled } = await setup;
		expect(fields).toBeDefined();
		for (const k of ["data", "flash"] as const) expect([...(fields?.[k].keys() ?? [])]).toEqual([...compiled[k].keys()]);
		// A normaliser is emitted only where it can change a value: every emitted one has a compiled counterpart
		// (the values test shows the compiled ones without an emitted counterpart return their input).
		for (const k of ["dataNormalizers", "flashNormalizers"] as const) for (const name of fields?.[k].keys() ?? []) expect(compiled[k].has(name)).toBe(true);
	});

	const scopes = [["data", model.data], ["flash", model.flash]] as const;
	for (const [scope, list] of scopes) {
		for (const f of list) {
			test(`${scope}.${f.name}: same refusals, messages and normalised values`, async () => {
				const { fields, compiled, sessions } = await setup;
				const mine = { check: fields?.[scope].get(f.name), normalize: fields?.[scope === "data" ? "dataNormalizers" : "flashNormalizers"].get(f.name) };
				const theirs = { check: compiled[scope].get(f.name), normalize: compiled[scope === "data" ? "dataNormalizers" : "flashNormalizers"].get(f.name) };
				if (mine.check === undefined || theirs.check === undefined) throw new Error(`no check for ${scope}.${f.name}`);
				let refused = 0;
				fc.assert(
					fc.property(assigned(f), (value) => {
						const problem = (mine.check as (v: unknown) => string | null)(value);
						expect(problem).toBe((theirs.check as (v: unknown) => string | null)(value));
						if (problem !== null) refused++;
						const a = mine.normalize === undefined ? value : mine.normalize(value);
						const b = theirs.normalize === undefined ? value : theirs.normalize(value);
						expect(a).toStrictEqual(b);
						// Unchanged means the same object (a setter stores the caller's value, frozen).
						expect(Object.is(a, value)).toBe(Object.is(b, value));
						expect((mine.check as (v: unknown) => string | null)(a)).toBe((theirs.check as (v: unknown) => string | null)(b));
						// Through the setters: the same InvalidDataError message, or the same value stored.
						expect(assign(sessions[0], scope, f.name, value)).toEqual(assign(sessions[1], scope, f.name, value));
						fieldComparisons++;
					}),
					{ numRuns: Math.max(100, Math.ceil(RUNS / Math.max(1, list.length))) },
				);
				// Both sides of every field: some refusals, mostly acceptances (optional fields accept `undefined` only at the setter).
				expect(refused).toBeGreaterThan(0);
			}, 120_000);
		}
	}
});

test("the differential test covered every schema", () => {
	expect(SCHEMAS.length).toBeGreaterThanOrEqual(6);
	process.stdout.write(`emit differential: ${SCHEMAS.length} schemas × ${RUNS} runs per property, ${compared} comparisons; setters: ${fieldComparisons} field comparisons\n`);
});
