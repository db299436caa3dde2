// fast-check arbitraries drawn from a type model: mostly values near the schema (valid or just off),
// some junk. Zod decides which are valid; the properties hold either way.
import fc from "fast-check";
import type { FieldModel, StringType, TypeModel } from "../../schema/model.ts";

/** Values of any JSON-ish type, to test refusals. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
	fc.constant(undefined),
	fc.constant(null),
	fc.boolean(),
	fc.integer(),
	fc.double(),
	fc.string({ maxLength: 8 }),
	fc.constant([]),
	fc.constant({}),
	fc.bigInt({ min: -10n, max: 10n }),
	fc.date(),
);

/** An arbitrary for one type: about 9 in 10 draws aim at the type, the rest are junk. */
export function arbitraryOf(type: TypeModel, depth = 0): fc.Arbitrary<unknown> {
	return fc.oneof({ weight: 9, arbitrary: near(type, depth) }, { weight: 1, arbitrary: junk });
}

function near(type: TypeModel, depth: number): fc.Arbitrary<unknown> {
	switch (type.kind) {
		case "string":
			return stringOf(type);
		case "int":
			return fc.oneof(
				fc.integer({ min: Math.max(type.min ?? -1e6, -(2 ** 31)) - 1, max: Math.min(type.max ?? 1e6, 2 ** 31) + 1 }),
				fc.constantFrom(type.min ?? 0, type.max ?? 0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0.5),
			);
		case "float":
			return fc.oneof(
				fc.double({ noNaN: false, min: type.min ?? -1e9, max: type.max ?? 1e9 }),
				fc.constantFrom(type.min ?? 0, type.max ?? 1, Number.POSITIVE_INFINITY, Number.NaN, -0),
			);
		case "bigint":
			return fc.oneof(
				fc.bigInt({ min: type.min === undefined ? -(2n ** 70n) : BigInt(type.min) - 1n, max: type.max === undefined ? 2n ** 70n : BigInt(type.max) + 1n }),
				fc.bigInt({ min: -1000n, max: 1000n }),
			);
		case "boolean":
			return fc.boolean();
		case "date":
			return fc.oneof(
				fc.date({ min: new Date(type.min ?? -8.64e15), max: new Date(type.max ?? 8.64e15) }),
				fc.date(),
				fc.constant(new Date(Number.NaN)),
			);
		case "enum":
			return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...type.values) }, { weight: 1, arbitrary: fc.constantFrom("other", 99, false) });
		case "nullable":
			return fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: arbitraryOf(type.inner, depth) });
		case "optional":
			return fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 4, arbitrary: arbitraryOf(type.inner, depth) });
		case "array": {
			const min = type.minItems ?? 0;
			const max = Math.min(type.maxItems ?? min + 4, min + 6);
			return fc.array(arbitraryOf(type.element, depth + 1), { minLength: Math.max(0, min - 1), maxLength: max + 1, depthIdentifier: "a" });
		}
		case "tuple": {
			const items = type.items.map((t) => arbitraryOf(t, depth + 1));
			const rest = type.rest === undefined ? fc.constant([]) : fc.array(arbitraryOf(type.rest, depth + 1), { maxLength: 3 });
			return fc.tuple(fc.tuple(...items), rest).map(([a, b]) => [...a, ...b]);
		}
		case "record":
			return fc.dictionary(stringOf(type.key), arbitraryOf(type.value, depth + 1), { maxKeys: 4 }).map((d) => ({ ...d }));
		case "object":
			return objectOf(type.fields, depth + 1);
		case "union":
			return fc.oneof(...type.options.map((o) => near(o, depth + 1)));
	}
}

/** A plain object of the fields: optional ones sometimes absent, sometimes an unknown key too. */
export function objectOf(fields: FieldModel[], depth: number): fc.Arbitrary<Record<string, unknown>> {
	const entries = fields.map((f) => {
		const value = arbitraryOf(f.type, depth);
		// Absent: fine for optional and defaulted fields, a refusal for the others.
		const absent = f.optional || f.initial !== undefined ? 3 : 1;
		return fc
			.oneof({ weight: absent, arbitrary: fc.constant(ABSENT) }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 10, arbitrary: value })
			.map((v) => [f.name, v] as const);
	});
	return fc
		.tuple(fc.tuple(...entries), fc.option(fc.constantFrom("extra", "zzz"), { freq: 8 }))
		.map(([pairs, extra]) => {
			const out: Record<string, unknown> = {};
			for (const [k, v] of pairs) if (v !== ABSENT) out[k] = v;
			if (extra !== null) out[extra] = 1;
			return out;
		});
}

const ABSENT = Symbol("absent");

/** Values of each string format Zod ships, mostly valid, some just off. */
export const FORMAT_VALUES: Record<string, fc.Arbitrary<string>> = {
	uuid: fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.constant("00000000-0000-0000-0000-000000000000")),
	guid: fc.uuid(),
	email: fc.oneof(fc.emailAddress(), fc.constantFrom("ada@example.com", "a.b+c@mail.example.org", "Ada@Example.COM", " ada@example.com ")),
	url: fc.oneof(fc.webUrl(), fc.constantFrom("https://example.com/a?b=c", " https://x.io ", "http:example.com", "mailto:a@b.c", "https://exa\nmple.com")),
	ulid: fc.ulid(),
	datetime: fc.oneof(
		fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
		fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => `${d.toISOString().slice(0, 19)}Z`),
		fc.constantFrom("2024-05-01T10:00:00.1Z", "2024-05-01T10:00:00+02:00", "2024-05-01T10:00Z", "2024-13-01T10:00:00Z"),
	),
	date: fc.oneof(
		fc.date({ min: new Date(-1e12), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
		fc.constantFrom("2024-02-30", "2024-02-29", "2023-02-29"),
	),
	time: fc.constantFrom("10:00", "10:00:00", "23:59:59.999", "24:00:00", "9:00"),
	duration: fc.constantFrom("P1D", "PT1H30M", "P1Y2M3DT4H5M6S", "P", "PT", "1D"),
	ipv4: fc.oneof(fc.ipV4(), fc.ipV4Extended()),
	ipv6: fc.oneof(fc.ipV6(), fc.constantFrom("::1", "::", "1::2::3", "::ffff:1.2.3.4", "::@1\\")),
	cidrv4: fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 40 })).map(([ip, n]) => `${ip}/${n}`),
	cidrv6: fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 140 })).map(([ip, n]) => `${ip}/${n}`),
	base64: fc.oneof(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("base64")), fc.base64String({ maxLength: 40 })),
	base64url: fc.oneof(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("base64url")), fc.constantFrom("abc", "ab", "a", "ab==")),
	hex: fc.oneof(fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString("hex")), fc.constantFrom("ABCDEF", "abc", "0x12", "")),
	e164: fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }).map((n) => `+${n}`), fc.constantFrom("+1", "12345", "+0123")),
	jwt: fc
		.tuple(fc.constantFrom('{"alg":"HS256","typ":"JWT"}', '{"alg":"RS256"}', '{"typ":"JWT"}', '{"alg":"none","typ":"jwt"}', "x"), fc.base64String({ maxLength: 12 }))
		.map(([h, rest]) => `${Buffer.from(h).toString("base64url")}.${Buffer.from(rest).toString("base64url")}.sig`),
	emoji: fc.constantFrom("😀", "👍🏽", "🇫🇷", "a", "😀😀", "❤️"),
	nanoid: fc.string({ unit: fc.constantFrom(..."abcXYZ019_-"), minLength: 19, maxLength: 23 }),
	cuid: fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), minLength: 8, maxLength: 30 }).map((s) => `c${s}`),
	cuid2: fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), minLength: 1, maxLength: 30 }),
};

/** Strings aimed at a string type: its formats, patterns, checks and normalisers, and plain ones near its bounds. */
export function stringOf(type: StringType): fc.Arbitrary<string> {
	const options: fc.Arbitrary<string>[] = [];
	const levels: StringType[] = [];
	for (let t: StringType | undefined = type; t !== undefined; t = t.before) levels.push(t);
	for (const level of levels) {
		for (const f of level.formats ?? []) {
			const a = FORMAT_VALUES[f];
			if (a !== undefined) options.push(a);
		}
		for (const [source, flags] of level.patterns ?? []) {
			try {
				options.push(fc.stringMatching(new RegExp(source, flags.replace(/[gyu]/g, ""))));
			} catch {
				// Patterns fast-check cannot walk (lookbehinds, unicode sets) fall back to plain strings.
			}
		}
		for (const c of level.checks ?? []) {
			if (c.check === "includes" || c.check === "startsWith" || c.check === "endsWith") {
				options.push(fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })).map(([a, b]) => `${a}${c.value}${b}`));
			} else if (FORMAT_VALUES[c.check] !== undefined) options.push(FORMAT_VALUES[c.check] as fc.Arbitrary<string>);
		}
		if (level.normalize !== undefined) options.push(fc.string({ maxLength: 10, unit: fc.constantFrom("a", "B", " ", "\t", "é", "e\u0301", "ß", "İ") }));
	}
	const min = levels.reduce((m, l) => Math.max(m, l.minLength ?? 0), 0);
	const max = levels.reduce((m, l) => Math.min(m, l.maxLength ?? Infinity), Infinity);
	options.push(fc.string({ minLength: Math.max(0, min - 1), maxLength: Number.isFinite(max) ? max + 1 : min + 12 }));
	options.push(fc.string({ unit: "grapheme", maxLength: Number.isFinite(max) ? max + 1 : 8 }));
	return fc.oneof(...options);
}
