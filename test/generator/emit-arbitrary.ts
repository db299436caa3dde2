// Values drawn from a session model for the differential test: mostly values the schema accepts (so
// encode and decode are exercised), sometimes junk in a field (so validation is exercised too).
import fc from "fast-check";
import type { FieldModel, StringType, TypeModel } from "../../schema/model.ts";
import { compileCheck } from "../../schema/validate.ts";
import { FORMAT_VALUES, stringOf } from "../corpus/arbitrary.ts";
import { mulberry32 } from "../helpers/seeded-random.ts";

const JUNK: fc.Arbitrary<unknown> = fc.oneof(
	fc.anything({ maxDepth: 1 }),
	fc.constantFrom(null, undefined, NaN, Infinity, -0, "", "\uD800", 2 ** 53, -1, 1.5, new Date(Number.NaN), [], {}),
);

/** A string of UTF-16 length within [min, max], from whole graphemes (no lone surrogates). */
function text(min: number, max: number): fc.Arbitrary<string> {
	return fc.string({ unit: "grapheme", minLength: min, maxLength: max }).filter((s) => s.length >= min && s.length <= max);
}

function stringArbitrary(type: StringType): fc.Arbitrary<string> {
	// Formats, code checks and normalisers: the corpus's strings for them, mostly the format's own values.
	if (type.formats !== undefined || type.checks !== undefined || type.normalize !== undefined || type.before !== undefined || type.pack !== undefined) {
		const own = [...(type.formats ?? []), ...(type.checks ?? []).map((c) => c.check)].flatMap((f) => (FORMAT_VALUES[f] === undefined ? [] : [FORMAT_VALUES[f]]));
		own.push(...sizedBytes(type));
		const near = own.length === 0 ? stringOf(type) : fc.oneof(...own, stringOf(type));
		// Mostly values the schema accepts (the interpreted validator, proven against Zod, decides), so
		// whole objects pass often enough to compare bytes; filtered only when valid draws are not rare.
		const valid = compileCheck(type);
		const sample = fc.sample(near, { seed: 1, numRuns: 200 }).filter((s) => valid(s) === null);
		if (sample.length === 0) return near;
		const accepted = sample.length >= 10 ? near.filter((s) => valid(s) === null) : fc.constantFrom(...sample);
		return fc.oneof({ weight: 20, arbitrary: accepted }, { weight: 1, arbitrary: near });
	}
	const min = type.minLength ?? 0;
	const max = Math.min(type.maxLength ?? 24, min + 24);
	const [pattern] = type.patterns ?? [];
	const plain = text(min, max);
	if (pattern === undefined) return plain;
	try {
		const matching = fc.stringMatching(new RegExp(pattern[0], pattern[1].replace(/[gy]/g, ""))).filter((s) => s.length >= min && s.length <= (type.maxLength ?? Infinity));
		return fc.oneof({ weight: 4, arbitrary: matching }, { weight: 1, arbitrary: plain });
	} catch {
		return plain; // fast-check cannot draw from this pattern: mostly refused values, still compared
	}
}

/** For a hex or base64 string with length bounds (a token, a fingerprint): random bytes giving that many characters. */
function sizedBytes(type: StringType): fc.Arbitrary<string>[] {
	if (type.minLength === undefined && type.maxLength === undefined) return [];
	const min = type.minLength ?? 0;
	const max = Math.min(type.maxLength ?? min + 64, min + 64);
	const formats = new Set([...(type.formats ?? []), ...(type.checks ?? []).map((c) => c.check)]);
	const out: fc.Arbitrary<string>[] = [];
	// The byte counts whose encoding has a length within bounds (none: no such arbitrary, it could never draw one).
	const of = (length: (bytes: number) => number, encoding: BufferEncoding) => {
		const counts: number[] = [];
		for (let b = 0; b <= max && counts.length < 64; b++) if (length(b) >= min && length(b) <= max) counts.push(b);
		if (counts.length > 0) out.push(fc.constantFrom(...counts).chain((b) => fc.uint8Array({ minLength: b, maxLength: b })).map((b) => Buffer.from(b).toString(encoding)));
	};
	if (formats.has("hex")) of((b) => b * 2, "hex");
	if (formats.has("base64url")) of((b) => Math.ceil((b * 4) / 3), "base64url");
	if (formats.has("base64")) of((b) => Math.ceil(b / 3) * 4, "base64");
	return out;
}

/** Values of one type (valid unless `junk` mixes in values of the wrong kind at field level). */
export function valueOf(type: TypeModel, depth = 0): fc.Arbitrary<unknown> {
	switch (type.kind) {
		case "bigint":
			return fc.oneof(
				fc.bigInt({ min: type.min === undefined ? -(2n ** 70n) : BigInt(type.min), max: type.max === undefined ? 2n ** 70n : BigInt(type.max) }),
				fc.constantFrom(...[type.min, type.max, "0"].flatMap((b) => (b === undefined ? [] : [BigInt(b)]))),
			);
		case "tuple": {
			const items = type.items.map((t) => valueOf(t, depth + 1));
			const rest = type.rest === undefined ? fc.constant([]) : fc.array(valueOf(type.rest, depth + 1), { maxLength: depth > 2 ? 1 : 3 });
			return fc.tuple(fc.tuple(...items), rest).map(([a, b]) => [...a, ...b]);
		}
		case "optional":
			return fc.option(valueOf(type.inner, depth), { nil: undefined, freq: 3 });
		case "string":
			return stringArbitrary(type);
		case "int": {
			const min = Math.max(type.min ?? Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
			const max = Math.min(type.max ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
			return fc.oneof(fc.integer({ min: Math.max(min, Math.min(max, -1000)), max: Math.min(max, Math.max(min, 1000)) }).filter((n) => n >= min && n <= max), fc.integer({ min, max }).map(Number), fc.constantFrom(min, max));
		}
		case "float": {
			const min = type.min ?? -1e300;
			const max = type.max ?? 1e300;
			return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
		}
		case "boolean":
			return fc.boolean();
		case "date":
			return fc.date({ noInvalidDate: true, ...(type.min === undefined ? {} : { min: new Date(type.min) }), ...(type.max === undefined ? {} : { max: new Date(type.max) }) });
		case "enum":
			return type.values.length === 0 ? fc.constant("") : fc.constantFrom(...type.values);
		case "nullable":
			return fc.option(valueOf(type.inner, depth), { nil: null, freq: 3 });
		case "array":
			return fc.array(valueOf(type.element, depth + 1), { minLength: type.minItems ?? 0, maxLength: Math.min(type.maxItems ?? 4, (type.minItems ?? 0) + (depth > 2 ? 1 : 4)) });
		case "record":
			return fc.dictionary(stringArbitrary(type.key), valueOf(type.value, depth + 1), { maxKeys: depth > 2 ? 1 : 4, noNullPrototype: true });
		case "object":
			return objectOf(type.fields, depth + 1, false);
		case "union":
			return type.options.length === 0 ? fc.constant(null) : fc.oneof(...type.options.map((o) => valueOf(o, depth + 1)));
	}
}

/**
 * An object of the given fields. With `junk`, each field sometimes holds a value of the wrong kind, is
 * missing although required, or an unknown key appears: the data the validators must refuse.
 */
export function objectOf(fields: FieldModel[], depth: number, junk: boolean): fc.Arbitrary<Record<string, unknown>> {
	const shape: Record<string, fc.Arbitrary<unknown>> = {};
	for (const f of fields) {
		const valid = valueOf(f.type, depth);
		// Junk in about one object in ten or more, however many fields it has.
		shape[f.name] = junk ? fc.oneof({ weight: Math.max(30, 10 * fields.length), arbitrary: valid }, { weight: 1, arbitrary: JUNK }) : valid;
	}
	const required = fields.filter((f) => !f.optional).map((f) => f.name);
	const record = fc.record(shape, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
	if (!junk) return record;
	return fc.tuple(record, fc.oneof({ weight: 20, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) })).map(([row, extra]) => {
		// Mostly keep required fields: a missing one is refused, and one case of that is enough per run.
		if (extra !== null) return { ...row, [extra]: 1 };
		return row;
	});
}

/** Damaged copies of encoded bytes: a flipped, dropped or inserted byte, or a truncation. */
export function mutated(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
	const n = bytes.length;
	return fc.oneof(
		fc.tuple(fc.nat({ max: Math.max(0, n - 1) }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
			const out = bytes.slice();
			if (n > 0) out[i] = (out[i] as number) ^ x;
			return out;
		}),
		fc.nat({ max: n }).map((i) => Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + 1)])),
		fc.tuple(fc.nat({ max: n }), fc.integer({ min: 0, max: 255 })).map(([i, x]) => Uint8Array.from([...bytes.subarray(0, i), x, ...bytes.subarray(i)])),
		fc.nat({ max: n }).map((i) => bytes.slice(0, i)),
	);
}

/**
 * Values as a setter may receive them, drawn from `values` and then bent the ways Zod's output differs
 * from its input: -0 for 0, padded or upper-cased strings, unknown, missing and `__proto__` keys, symbol
 * keys, class instances for objects. Some stay valid (and are normalised), some are refused.
 */
export function perturbed(values: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
	return fc.tuple(values, fc.integer()).map(([value, seed]) => bend(value, mulberry32(seed)));
}

class Instance {}
const SYMBOL = Symbol("extra");

function bend(value: unknown, rnd: () => number): unknown {
	if (value === 0) return rnd() < 0.5 ? -0 : 0;
	if (typeof value === "string") {
		const r = rnd();
		return r < 0.2 ? ` ${value}\t` : r < 0.35 ? value.toUpperCase() : r < 0.4 ? `${value}\u0000` : value;
	}
	if (Array.isArray(value)) return value.map((v) => bend(v, rnd));
	if (typeof value !== "object" || value === null || value instanceof Date) return value;
	const out: Record<string | symbol, unknown> = {};
	for (const [k, v] of Object.entries(value)) if (rnd() >= 0.15) out[k] = bend(v, rnd);
	if (rnd() < 0.2) out["extra"] = 1;
	if (rnd() < 0.1) Object.defineProperty(out, "__proto__", { value: 1, enumerable: true, writable: true, configurable: true });
	if (rnd() < 0.1) out[SYMBOL] = 1;
	if (rnd() < 0.1) Object.setPrototypeOf(out, Instance.prototype);
	return out;
}

