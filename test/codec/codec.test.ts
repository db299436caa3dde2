import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as z from "zod";
import { defineSession } from "../../schema/define.ts";
import type { Lock } from "../../schema/lock.ts";
import type { SessionModel } from "../../schema/model.ts";
import { createLock, updateLock } from "../../generator/lock.ts";
import { CODEC_FORMAT, MAX_ENCODED_BYTES, createCodec, type SessionCodec } from "../../src/codec.ts";
import { DecodeError, InvalidDataError, SessError } from "../../src/errors.ts";
import demoSchema from "../../examples/demo/schema/session.ts";
import { codec as demoCodec, model as demoModel, type FlashData, type SessionData } from "../../examples/demo/src/generated/session.ts";
import demoLockJson from "../../examples/demo/sess.lock.json";

type Row = Record<string, unknown>;
// The lock lives in sess.lock.json only; the generated module bakes its numbers into code.
// The lock's migration stamp (migrations.when) is the generator's business, not the codec's.
const { migrations: _stamp, ...demoLock }: Lock = demoLockJson as Lock;

interface Compiled {
	model: SessionModel;
	lock: Lock;
	codec: SessionCodec<Row, Row>;
}

/** defineSession + updateLock + createCodec, as `sess generate` and the generated module do. */
function compile(data: z.ZodType, previous: Lock = createLock(), flash?: z.ZodType): Compiled {
	const model = defineSession(flash === undefined ? { data } : { data, flash });
	const lock = updateLock(model, previous);
	return { model, lock, codec: createCodec<Row, Row>(model, lock) };
}

function hex(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString("hex");
}

function fromHex(s: string): Uint8Array {
	return Uint8Array.from(Buffer.from(s, "hex"));
}

function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (e) {
		return e;
	}
	throw new Error("expected an error, nothing was thrown");
}

function decodeFailure(fn: () => unknown): DecodeError {
	const e = thrown(fn);
	expect(e).toBeInstanceOf(DecodeError);
	expect((e as DecodeError).code).toBe("decode_failed");
	return e as DecodeError;
}

function invalidData(fn: () => unknown): InvalidDataError {
	const e = thrown(fn);
	expect(e).toBeInstanceOf(InvalidDataError);
	expect((e as InvalidDataError).code).toBe("invalid_data");
	return e as InvalidDataError;
}

const typical: SessionData = { userId: "user-12345", role: "user", cart: [3, 14, 15, 92, 65], theme: "dark" };
const TYPICAL_HEX = "010a0a757365722d313233343510011a07061c1eb80182012001";

describe("demo codec", () => {
	test("golden bytes of a typical session", () => {
		expect(hex(demoCodec.encode(typical))).toBe(TYPICAL_HEX);
	});

	test("golden bytes decode to the typical session", () => {
		expect(demoCodec.decodeSession(fromHex(TYPICAL_HEX))).toEqual({ data: typical, flash: {}, meta: {}, resets: [] });
	});

	test("golden bytes of a fresh session", () => {
		expect(hex(demoCodec.encode(demoCodec.initial()))).toBe("0110001a00");
		expect(demoCodec.initial()).toEqual({ role: "guest", cart: [] });
	});

	test("golden bytes with a pending flash message (system frame 0, flash field 1, before the data)", () => {
		expect(hex(demoCodec.encode(typical, { message: "hi" }))).toBe(`0102060a040a026869${TYPICAL_HEX.slice(2)}`);
		expect(demoCodec.decodeSession(fromHex(`0102060a040a026869${TYPICAL_HEX.slice(2)}`))).toEqual({ data: typical, flash: { message: "hi" }, meta: {}, resets: [] });
	});

	test("an empty flash object writes no flash frame", () => {
		expect(hex(demoCodec.encode(typical, {}))).toBe(TYPICAL_HEX);
	});

	test("the generated lock is what a fresh updateLock gives the schema", () => {
		expect(updateLock(demoModel, createLock())).toEqual(demoLock);
		expect(demoSchema).toEqual(demoModel);
	});

	test("a codec compiled from the schema writes the same bytes as the generated one", () => {
		const fresh = createCodec<SessionData, FlashData>(demoSchema, updateLock(demoSchema, createLock()));
		expect(hex(fresh.encode(typical, { message: "hi" }))).toBe(hex(demoCodec.encode(typical, { message: "hi" })));
	});

	test("a typical session is at most half the size of its JSON", () => {
		const encoded = demoCodec.encode(typical);
		const json = new TextEncoder().encode(JSON.stringify(typical)).length;
		expect(encoded.length / json).toBeLessThanOrEqual(0.5);
	});

	test("encode is deterministic", () => {
		expect(hex(demoCodec.encode(typical))).toBe(hex(demoCodec.encode({ ...typical, cart: [...typical.cart] })));
	});

	test("input key order does not change the bytes", () => {
		const reordered: SessionData = { theme: "dark", cart: [3, 14, 15, 92, 65], role: "user", userId: "user-12345" };
		expect(hex(demoCodec.encode(reordered))).toBe(TYPICAL_HEX);
	});

	test("different data gives different bytes", () => {
		expect(hex(demoCodec.encode({ ...typical, cart: [3, 14, 15, 92, 66] }))).not.toBe(TYPICAL_HEX);
	});

	test("decodes from a Buffer slice at an odd offset", () => {
		const backing = Buffer.alloc(3 + TYPICAL_HEX.length / 2 + 5, 0xee);
		backing.set(fromHex(TYPICAL_HEX), 3);
		expect(demoCodec.decode(backing.subarray(3, 3 + TYPICAL_HEX.length / 2))).toEqual(typical);
	});
});

describe("codec.encode() validation", () => {
	test("accepts a valid session", () => {
		expect(demoCodec.encode({ role: "admin", cart: [0] }).length).toBeGreaterThan(1);
	});

	test.each([
		["an unknown enum value", { role: "root", cart: [] }, 'data.role: expected "guest" | "user" | "admin"'],
		["a negative cart item", { role: "user", cart: [1, -1] }, "data.cart[1]: expected at least 0"],
		["a fractional cart item", { role: "user", cart: [1.5] }, "data.cart[0]: expected a safe integer"],
		["an unsafe integer", { role: "user", cart: [2 ** 53] }, "data.cart[0]: expected a safe integer"],
		["51 cart items", { role: "user", cart: Array.from({ length: 51 }, () => 1) }, "data.cart: expected at most 50 items"],
		["an empty userId", { role: "user", cart: [], userId: "" }, "data.userId: expected at least 1 character"],
		["a 65-character userId", { role: "user", cart: [], userId: "x".repeat(65) }, "data.userId: expected at most 64 characters"],
		["a missing required field", { cart: [] }, "data.role: is required"],
		["an unknown field", { role: "user", cart: [], admin: true }, "data.admin: is not a field of the schema"],
		["null for a non-nullable field", { role: "user", cart: [], theme: null }, 'data.theme: expected "light" | "dark"'],
		["a non-object", ["user"], "data: expected an object"],
	] as const)("rejects %s, naming the path", (_label, value, message) => {
		const e = invalidData(() => demoCodec.encode(value as unknown as SessionData));
		expect(e.path).toBe("data");
		expect(e.message).toBe(message);
	});

	test("rejects an invalid flash message under the flash path", () => {
		const e = invalidData(() => demoCodec.encode(typical, { message: "x".repeat(501) }));
		expect(e.path).toBe("flash");
		expect(e.message).toBe("flash.message: expected at most 500 characters");
	});

	test("accepts a flash message at the bound", () => {
		expect(demoCodec.decodeSession(demoCodec.encode(typical, { message: "x".repeat(500) })).flash).toEqual({ message: "x".repeat(500) });
	});

	test("names nested paths", () => {
		const { codec } = compile(z.object({ profile: z.object({ zip: z.int().max(99_999).optional() }) }));
		expect(invalidData(() => codec.encode({ profile: { zip: 100_000 } })).message).toBe("data.profile.zip: expected at most 99999");
		expect(codec.decode(codec.encode({ profile: { zip: 99_999 } }))).toEqual({ profile: { zip: 99_999 } });
	});

	test("rejects NaN and infinities in float fields", () => {
		const { codec } = compile(z.object({ x: z.number().optional() }));
		expect(invalidData(() => codec.encode({ x: Number.NaN })).message).toBe("data.x: expected a finite number");
		expect(invalidData(() => codec.encode({ x: Number.POSITIVE_INFINITY })).message).toBe("data.x: expected a finite number");
		expect(codec.decode(codec.encode({ x: Number.MAX_VALUE }))).toEqual({ x: Number.MAX_VALUE });
	});

	test("rejects an invalid Date", () => {
		const { codec } = compile(z.object({ d: z.date().optional() }));
		expect(invalidData(() => codec.encode({ d: new Date(Number.NaN) })).message).toBe("data.d: expected a valid Date");
	});

	test("a value that fails a format is refused by the format's name, not its regular expression", () => {
		const { codec } = compile(z.object({ e: z.email().optional(), u: z.uuid().optional(), d: z.iso.date().optional(), ip: z.ipv4().optional(), low: z.string().lowercase().optional() }));
		expect(invalidData(() => codec.encode({ e: "nope" })).message).toBe("data.e: expected an email address");
		expect(invalidData(() => codec.encode({ u: "nope" })).message).toBe("data.u: expected a UUID");
		expect(invalidData(() => codec.encode({ d: "2026-13-01" })).message).toBe("data.d: expected an ISO 8601 date (YYYY-MM-DD)");
		expect(invalidData(() => codec.encode({ ip: "1.2.3" })).message).toBe("data.ip: expected an IPv4 address");
		expect(invalidData(() => codec.encode({ low: "Ab" })).message).toBe("data.low: expected lowercase text");
		expect(codec.decode(codec.encode({ e: "ada@example.com" }))).toEqual({ e: "ada@example.com" });
	});

	// Patterns are compiled once and reused: a sticky (y) or global (g) flag would carry lastIndex
	// from one check to the next and fail every second valid value.
	test("a sticky regex accepts the same valid value every time", () => {
		const { codec } = compile(z.object({ code: z.string().regex(/^ab/y).optional() }));
		const results = [0, 1, 2, 3].map(() => {
			try {
				codec.encode({ code: "abc" });
				return "ok";
			} catch (e) {
				return (e as SessError).code;
			}
		});
		expect(results).toEqual(["ok", "ok", "ok", "ok"]);
	});

	test("a sticky regex still rejects a non-matching value every time", () => {
		const { codec } = compile(z.object({ code: z.string().regex(/^ab/y).optional() }));
		for (let i = 0; i < 3; i++) expect(invalidData(() => codec.encode({ code: "xab" })).message).toBe("data.code: does not match /^ab/y");
	});

	// UTF-8 cannot hold a lone surrogate: stored, it would come back as U+FFFD.
	test("rejects a string with a lone surrogate", () => {
		const { codec } = compile(z.object({ s: z.string().optional() }));
		expect(invalidData(() => codec.encode({ s: "ok\uD800" })).message).toBe("data.s: contains a lone surrogate (not valid Unicode)");
		expect(invalidData(() => codec.encode({ s: "\uDC00ok" })).message).toBe("data.s: contains a lone surrogate (not valid Unicode)");
	});

	test("accepts a well-formed surrogate pair", () => {
		const { codec } = compile(z.object({ s: z.string().optional() }));
		expect(codec.decode(codec.encode({ s: "ok\uD83D\uDE00" }))).toEqual({ s: "ok😀" });
	});

	test("rejects a record key with a lone surrogate", () => {
		const { codec } = compile(z.object({ r: z.record(z.string(), z.int()).default({}) }));
		expect(invalidData(() => codec.encode({ r: { "\uD800": 1 } })).message).toBe('data.r (key "\\ud800"): contains a lone surrogate (not valid Unicode)');
	});

	test("rejects a record key that breaks the key schema, as Zod does", () => {
		const schema = z.object({ r: z.record(z.string().max(3), z.int()).default({}) });
		const { codec } = compile(schema);
		expect(schema.safeParse({ r: { toolong: 1 } }).success).toBe(false);
		expect(invalidData(() => codec.encode({ r: { toolong: 1 } })).message).toBe('data.r (key "toolong"): expected at most 3 characters');
	});

	test("accepts a record key within the key schema", () => {
		const { codec } = compile(z.object({ r: z.record(z.string().max(3), z.int()).default({}) }));
		expect(codec.decode(codec.encode({ r: { abc: 1 } }))).toEqual({ r: { abc: 1 } });
	});
});

describe("codec.initial()", () => {
	const dated = () => compile(z.object({ seen: z.date().default(new Date(1_000)), tags: z.array(z.int()).default([1]), o: z.object({ at: z.date().default(new Date(5)) }) }));

	test("returns every field at its initial value", () => {
		expect(dated().codec.initial()).toEqual({ seen: new Date(1_000), tags: [1], o: { at: new Date(5) } });
	});

	test("arrays and objects in the initial value are frozen", () => {
		const initial = dated().codec.initial();
		expect(Object.isFrozen(initial.tags)).toBe(true);
		expect(Object.isFrozen(initial.o)).toBe(true);
	});

	// Dates cannot be frozen, so each fresh or decoded session must get its own default Date.
	test("mutating a Date from initial() does not change the next session's default", () => {
		const { codec } = dated();
		(codec.initial().seen as Date).setTime(0);
		((codec.initial().o as Row).at as Date).setTime(0);
		expect(codec.initial()).toEqual({ seen: new Date(1_000), tags: [1], o: { at: new Date(5) } });
	});

	test("a defaulted Date filled in by decode is not shared with other sessions", () => {
		const { codec } = dated();
		const empty = Uint8Array.from([CODEC_FORMAT]);
		const first = codec.decode(empty);
		(first.seen as Date).setTime(0);
		expect(codec.decode(empty).seen).toEqual(new Date(1_000));
	});
});

describe("codec.decode() structural errors", () => {
	test("rejects empty input", () => {
		expect(decodeFailure(() => demoCodec.decode(new Uint8Array())).message).toBe("unknown codec format");
	});

	test("rejects an unknown format byte", () => {
		expect(decodeFailure(() => demoCodec.decode(fromHex(`03${TYPICAL_HEX.slice(2)}`))).message).toBe("unknown codec format");
		expect(CODEC_FORMAT).toBe(2);
	});

	test("rejects input above the size limit", () => {
		const big = new Uint8Array(MAX_ENCODED_BYTES + 1);
		big[0] = CODEC_FORMAT;
		expect(decodeFailure(() => demoCodec.decode(big)).message).toBe("encoded session too large");
	});

	test("rejects something that is not bytes", () => {
		expect(decodeFailure(() => demoCodec.decode("01" as unknown as Uint8Array)).message).toBe("expected bytes");
	});

	test("rejects fields out of order", () => {
		// role (2) before userId (1).
		expect(decodeFailure(() => demoCodec.decode(fromHex("0110010a0161"))).message).toBe("fields out of order");
	});

	test("rejects a repeated field", () => {
		expect(decodeFailure(() => demoCodec.decode(fromHex("0110011001"))).message).toBe("fields out of order");
	});

	test("rejects truncation inside a field", () => {
		expect(decodeFailure(() => demoCodec.decode(fromHex(TYPICAL_HEX.slice(0, 10)))).message).toBe("length beyond end of input");
	});

	test("a field with the wrong wire type is reset, not fatal", () => {
		// role (2) written as bytes instead of a varint.
		expect(demoCodec.decodeSession(fromHex("01120161"))).toEqual({ data: { role: "guest", cart: [] }, flash: {}, meta: {}, resets: ["role"] });
	});

	test("a null for a non-nullable field is reset", () => {
		expect(demoCodec.decodeSession(fromHex("010b1001"))).toEqual({ data: { role: "user", cart: [] }, flash: {}, meta: {}, resets: ["userId"] });
	});

	test("an unknown field number is skipped", () => {
		expect(demoCodec.decodeSession(fromHex("0110012805320178"))).toEqual({ data: { role: "user", cart: [] }, flash: {}, meta: {}, resets: [] });
	});
});

// A schema exercising every supported kind; z.strictObject so the Zod oracle also rejects unknown keys.
const RichFlash = z.strictObject({ message: z.string().max(500), level: z.enum(["info", "error"]) });
const Rich = z.strictObject({
	name: z.string().min(1).max(20).default("anon"),
	email: z.email().optional(),
	count: z.int().min(-1000).max(1000).default(0),
	big: z.int().optional(),
	score: z.number().min(0).max(1).default(0),
	ratio: z.number().optional(),
	active: z.boolean().default(false),
	role: z.enum(["guest", "user", "admin"]).default("guest"),
	mode: z.literal(["on", "off"]).optional(),
	seen: z.date().optional(),
	tags: z.array(z.string().max(8)).max(5).default([]),
	points: z.array(z.int().min(0).max(1_000_000)).min(1).max(10).default([0]),
	profile: z.strictObject({
		city: z.string().max(30).default(""),
		zip: z.int().min(0).max(99_999).optional(),
		prefs: z.strictObject({ dark: z.boolean().default(false), lang: z.enum(["en", "fr"]).optional() }),
	}),
	scores: z.record(z.string().max(12), z.int()).default({}),
	nick: z.string().max(10).nullable().default(null),
	maybe: z.array(z.int().nullable()).max(4).default([]),
	value: z.union([z.string().max(5), z.int(), z.boolean()]).optional(),
	items: z.array(z.strictObject({ id: z.int().min(1).default(1), label: z.string().max(10).optional() })).max(3).default([]),
	shape: z.union([z.strictObject({ r: z.number().min(0).default(0) }), z.strictObject({ w: z.int().default(0), h: z.int().default(0) })]).optional(),
	when: z.date().nullable().optional(),
});
const rich = compile(Rich, createLock(), RichFlash);

/** A string of UTF-16 length within [min, max], from whole graphemes (no lone surrogates). */
function text(min: number, max: number): fc.Arbitrary<string> {
	return fc.string({ unit: "grapheme", minLength: min, maxLength: max }).filter((s) => s.length >= min && s.length <= max);
}

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const richData: fc.Arbitrary<Row> = fc.record(
	{
		name: text(1, 20),
		email: fc
			.tuple(fc.stringMatching(/^[a-z0-9]{1,10}$/), fc.stringMatching(/^[a-z]{1,10}$/), fc.constantFrom("com", "org", "io"))
			.map(([user, domain, tld]) => `${user}@${domain}.${tld}`),
		count: fc.integer({ min: -1000, max: 1000 }),
		big: fc.maxSafeInteger(),
		score: fc.double({ min: 0, max: 1, noNaN: true }),
		ratio: finite,
		active: fc.boolean(),
		role: fc.constantFrom("guest", "user", "admin"),
		mode: fc.constantFrom("on", "off"),
		seen: fc.date({ noInvalidDate: true }),
		tags: fc.array(text(0, 8), { maxLength: 5 }),
		points: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 10 }),
		profile: fc.record(
			{
				city: text(0, 30),
				zip: fc.integer({ min: 0, max: 99_999 }),
				prefs: fc.record({ dark: fc.boolean(), lang: fc.constantFrom("en", "fr") }, { requiredKeys: ["dark"] }),
			},
			{ requiredKeys: ["city", "prefs"] },
		),
		scores: fc.dictionary(text(0, 12), fc.maxSafeInteger(), { maxKeys: 6 }),
		nick: fc.option(text(0, 10), { nil: null }),
		maybe: fc.array(fc.option(fc.integer(), { nil: null }), { maxLength: 4 }),
		value: fc.oneof(text(0, 5), fc.maxSafeInteger(), fc.boolean()),
		items: fc.array(fc.record({ id: fc.integer({ min: 1, max: 2 ** 31 }), label: text(0, 10) }, { requiredKeys: ["id"] }), { maxLength: 3 }),
		shape: fc.oneof(fc.record({ r: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }) }), fc.record({ w: fc.integer(), h: fc.integer() })),
		when: fc.option(fc.date({ noInvalidDate: true }), { nil: null }),
	},
	{ requiredKeys: ["name", "count", "score", "active", "role", "tags", "points", "profile", "scores", "nick", "maybe", "items"] },
);
const richFlash: fc.Arbitrary<Row> = fc.record({ message: text(0, 500), level: fc.constantFrom("info", "error") }, { requiredKeys: [] });

/** A deep copy without own "__proto__" keys: Zod's record parser assigns keys with `=`, so it drops them. */
function withoutProtoKeys(v: unknown): unknown {
	if (Array.isArray(v)) return v.map(withoutProtoKeys);
	if (typeof v !== "object" || v === null || v instanceof Date) return v;
	return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "__proto__").map(([k, x]) => [k, withoutProtoKeys(x)]));
}

/** The oracle: whatever decode returns must be what Zod accepts, and Zod must not need to fill anything in. */
function expectZodValid(data: Row, flash: Row): void {
	const parsed = Rich.safeParse(data);
	if (!parsed.success) throw new Error(`decoded data fails the Zod schema: ${parsed.error.message}`);
	expect(withoutProtoKeys(parsed.data)).toEqual(withoutProtoKeys(data));
	const parsedFlash = RichFlash.partial().safeParse(flash);
	if (!parsedFlash.success) throw new Error(`decoded flash fails the Zod schema: ${parsedFlash.error.message}`);
}

let decodedCount = 0;
/** Decodes arbitrary bytes: only DecodeError may escape, and anything returned must satisfy Zod. */
function decodeOrReject(bytes: Uint8Array): void {
	let decoded: ReturnType<typeof rich.codec.decodeSession>;
	try {
		decoded = rich.codec.decodeSession(bytes);
	} catch (e) {
		if (e instanceof DecodeError) return;
		throw e;
	}
	decodedCount++;
	expectZodValid(decoded.data, decoded.flash);
}

describe("codec round trip", () => {
	test("the arbitrary only produces data the Zod schema accepts", () => {
		fc.assert(fc.property(richData, (data) => Rich.safeParse(data).success));
	});

	test("decode(encode(x)) deep-equals x for any valid data and flash", () => {
		fc.assert(
			fc.property(richData, richFlash, (data, flash) => {
				const decoded = rich.codec.decodeSession(rich.codec.encode(data, flash));
				expect(decoded.data).toEqual(withoutProtoKeys(data) as Row);
				expect(decoded.flash).toEqual(flash);
				expect(decoded.resets).toEqual([]);
			}),
			{ numRuns: 1500 },
		);
	}, 60_000);

	test("encode is deterministic and ignores key order, also inside records", () => {
		fc.assert(
			fc.property(richData, (data) => {
				const reversed = Object.fromEntries(Object.entries(data).reverse());
				const scores = data.scores as Row;
				reversed.scores = Object.fromEntries(Object.entries(scores).reverse());
				expect(hex(rich.codec.encode(reversed))).toBe(hex(rich.codec.encode(data)));
			}),
			{ numRuns: 500 },
		);
	});

	test("a changed value changes the bytes", () => {
		fc.assert(
			fc.property(richData, (data) => {
				const changed = { ...data, count: (data.count as number) === 0 ? 1 : 0 };
				expect(hex(rich.codec.encode(changed))).not.toBe(hex(rich.codec.encode(data)));
			}),
			{ numRuns: 200 },
		);
	});

	test('a record key "__proto__" is dropped as Zod drops it: never stored, never the prototype', () => {
		const { codec } = compile(z.object({ r: z.record(z.string(), z.object({ admin: z.boolean().default(false) })).default({}) }));
		const input: Row = { r: JSON.parse('{"__proto__": {"admin": true}}') };
		const decoded = codec.decode(codec.encode(input));
		const r = decoded.r as Record<string, unknown>;
		expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
		expect(Object.keys(r)).toEqual([]);
		expect(r.admin).toBeUndefined();
		expect(Object.getOwnPropertyDescriptor(r, "__proto__")).toBeUndefined();
		expect(hex(codec.encode(input))).toBe(hex(codec.encode({ r: {} })));
	});

	test("-0 survives in a float field", () => {
		const decoded = rich.codec.decode(rich.codec.encode({ ...rich.codec.initial(), ratio: -0 }));
		expect(Object.is(decoded.ratio, -0)).toBe(true);
	});

	test("decoded nested values are frozen", () => {
		const decoded = rich.codec.decode(rich.codec.encode({ ...rich.codec.initial(), tags: ["a"] }));
		expect(Object.isFrozen(decoded.tags)).toBe(true);
		expect(Object.isFrozen(decoded.profile)).toBe(true);
	});

	test("the fresh session satisfies the Zod schema", () => {
		expectZodValid(rich.codec.initial(), {});
		expect(rich.codec.decode(rich.codec.encode(rich.codec.initial()))).toEqual(rich.codec.initial());
	});

	// Writer.string once lost a 1–2 character string that started 4–7 bytes before the end of the
	// buffer (varint() grew the buffer and copied only up to the prefix): the 62nd "x" came back as "\0".
	test("an array of 62 one-character strings round-trips", () => {
		const { codec } = compile(z.object({ tags: z.array(z.string()).default([]) }));
		const tags = Array.from({ length: 62 }, () => "x");
		expect(codec.decode(codec.encode({ tags }))).toEqual({ tags });
	});

	test("an array of 61 one-character strings round-trips", () => {
		const { codec } = compile(z.object({ tags: z.array(z.string()).default([]) }));
		const tags = Array.from({ length: 61 }, () => "x");
		expect(codec.decode(codec.encode({ tags }))).toEqual({ tags });
	});
});

describe("codec differential oracle (Zod)", () => {
	test("random bytes: decode throws DecodeError or returns Zod-valid data", () => {
		decodedCount = 0;
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 96 }), fc.boolean(), (tail, framed) => {
				decodeOrReject(framed ? Uint8Array.from([CODEC_FORMAT, ...tail]) : tail);
			}),
			{ numRuns: 12_000 },
		);
		// Not vacuous: some random inputs do decode (empty messages, skipped fields, lucky values).
		expect(decodedCount).toBeGreaterThan(100);
	}, 60_000);

	test("random tag/value sequences built from the schema's field numbers decode or throw DecodeError", () => {
		const piece = fc.tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 12 })).map(([number, wire, body]) => {
			const tag = number * 8 + wire;
			const head = tag < 0x80 ? [tag] : [(tag & 0x7f) | 0x80, tag >> 7];
			return wire === 2 ? [...head, body.length, ...body] : [...head, ...body];
		});
		fc.assert(
			fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
				pieces.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
				decodeOrReject(Uint8Array.from([CODEC_FORMAT, ...pieces.flat()]));
			}),
			{ numRuns: 10_000 },
		);
	}, 60_000);

	const mutation = fc.oneof(
		fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
		fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
		fc.record({ kind: fc.constant("append" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
		fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
		fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
	);

	type Mutation = { kind: string; at?: number; bit?: number; extra?: Uint8Array; value?: number };

	function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
		const out = [...bytes];
		const at = (m.at ?? 0) % Math.max(1, out.length);
		if (m.kind === "flip") out[at] = (out[at] ?? 0) ^ (1 << (m.bit ?? 0));
		else if (m.kind === "truncate") out.length = at;
		else if (m.kind === "append") out.push(...(m.extra ?? []));
		else if (m.kind === "set") out[at] = m.value ?? 0;
		else out.splice(at, 0, m.value ?? 0);
		return Uint8Array.from(out);
	}

	test("mutated valid encodings: decode throws DecodeError or returns Zod-valid data", () => {
		decodedCount = 0;
		fc.assert(
			fc.property(richData, richFlash, fc.array(mutation, { minLength: 1, maxLength: 3 }), (data, flash, mutations) => {
				let bytes = rich.codec.encode(data, flash);
				for (const m of mutations) bytes = mutate(bytes, m);
				decodeOrReject(bytes);
			}),
			{ numRuns: 10_000 },
		);
		expect(decodedCount).toBeGreaterThan(1000);
	}, 60_000);

	test("the oracle can fail: data outside the schema is caught", () => {
		expect(() => expectZodValid({ ...rich.codec.initial(), count: 1001 }, {})).toThrow("decoded data fails the Zod schema");
		expect(() => expectZodValid({ ...rich.codec.initial(), extra: 1 }, {})).toThrow("decoded data fails the Zod schema");
		expect(() => expectZodValid({ ...rich.codec.initial(), email: "nope" }, {})).toThrow("decoded data fails the Zod schema");
	});

	test("the oracle can fail: a missing required field that Zod would fill in is caught", () => {
		const { name: _name, ...missing } = rich.codec.initial();
		expect(Rich.safeParse(missing).success).toBe(true);
		expect(() => expectZodValid(missing, {})).toThrow();
	});
});

describe("schema evolution", () => {
	test("an added field takes its default when reading old bytes", () => {
		const v1 = compile(z.object({ name: z.string().default("") }));
		const bytes = v1.codec.encode({ name: "ada" });
		const v2 = compile(z.object({ name: z.string().default(""), visits: z.int().default(7), theme: z.enum(["light", "dark"]).optional() }), v1.lock);
		expect(v2.lock.scopes.data?.fields).toEqual({ name: { number: 1, shape: "string" }, theme: { number: 3, shape: "enum" }, visits: { number: 2, shape: "int" } });
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { name: "ada", visits: 7 }, flash: {}, meta: {}, resets: [] });
	});

	test("the added field keeps a value written by the new schema", () => {
		const v1 = compile(z.object({ name: z.string().default("") }));
		const v2 = compile(z.object({ name: z.string().default(""), visits: z.int().default(7) }), v1.lock);
		expect(v2.codec.decode(v2.codec.encode({ name: "ada", visits: 3 }))).toEqual({ name: "ada", visits: 3 });
	});

	test("old code skips a field added by newer code", () => {
		const v1 = compile(z.object({ name: z.string().default("") }));
		const v2 = compile(z.object({ name: z.string().default(""), visits: z.int().default(7) }), v1.lock);
		expect(v1.codec.decodeSession(v2.codec.encode({ name: "ada", visits: 3 }))).toEqual({ data: { name: "ada" }, flash: {}, meta: {}, resets: [] });
	});

	test("a removed field is skipped silently and its number is retired", () => {
		const v1 = compile(z.object({ name: z.string().default(""), visits: z.int().default(0) }));
		const bytes = v1.codec.encode({ name: "ada", visits: 5 });
		const v2 = compile(z.object({ name: z.string().default("") }), v1.lock);
		expect(v2.lock.scopes.data).toEqual({
			next: 3,
			fields: { name: { number: 1, shape: "string" } },
			retired: { "2": { name: "visits", number: 2, shape: "int" } },
		});
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { name: "ada" }, flash: {}, meta: {}, resets: [] });
	});

	test("a field added after a removal gets a fresh number and never reads the old value", () => {
		const v1 = compile(z.object({ name: z.string().default(""), visits: z.int().default(0) }));
		const bytes = v1.codec.encode({ name: "ada", visits: 5 });
		const v2 = compile(z.object({ name: z.string().default("") }), v1.lock);
		const v3 = compile(z.object({ name: z.string().default(""), score: z.int().default(0) }), v2.lock);
		expect(v3.lock.scopes.data?.fields.score).toEqual({ number: 3, shape: "int" });
		expect(v3.lock.scopes.data?.next).toBe(4);
		expect(v3.codec.decodeSession(bytes)).toEqual({ data: { name: "ada", score: 0 }, flash: {}, meta: {}, resets: [] });
	});

	test("reusing a retired number would read the old value (why numbers are never reused)", () => {
		const v1 = compile(z.object({ name: z.string().default(""), visits: z.int().default(0) }));
		const bytes = v1.codec.encode({ name: "ada", visits: 5 });
		const model = defineSession({ data: z.object({ name: z.string().default(""), score: z.int().default(0) }) });
		const reusing: Lock = { lockVersion: 1, enums: {}, scopes: { data: { next: 3, fields: { name: { number: 1, shape: "string" }, score: { number: 2, shape: "int" } }, retired: {} } } };
		expect(createCodec<Row, Row>(model, reusing).decode(bytes)).toEqual({ name: "ada", score: 5 });
	});

	test("a string field changed to int gets a new number and old bytes reset it", () => {
		const v1 = compile(z.object({ code: z.string().default(""), keep: z.boolean().default(false) }));
		const bytes = v1.codec.encode({ code: "42", keep: true });
		const v2 = compile(z.object({ code: z.int().default(-1), keep: z.boolean().default(false) }), v1.lock);
		expect(v2.lock.scopes.data).toEqual({
			next: 4,
			fields: { code: { number: 3, shape: "int" }, keep: { number: 2, shape: "boolean" } },
			retired: { "1": { name: "code", number: 1, shape: "string" } },
		});
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { code: -1, keep: true }, flash: {}, meta: {}, resets: ["code"] });
	});

	test("an unchanged field keeps its number and value", () => {
		const v1 = compile(z.object({ code: z.string().default(""), keep: z.boolean().default(false) }));
		const bytes = v1.codec.encode({ code: "42", keep: true });
		const v2 = compile(z.object({ code: z.string().max(10).default(""), keep: z.boolean().default(false) }), v1.lock);
		expect(v2.lock).toEqual(v1.lock);
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { code: "42", keep: true }, flash: {}, meta: {}, resets: [] });
	});

	test("array<int> changed to array<string> resets the field", () => {
		const v1 = compile(z.object({ tags: z.array(z.int()).default([]) }));
		const bytes = v1.codec.encode({ tags: [1, 2] });
		const v2 = compile(z.object({ tags: z.array(z.string()).default([]) }), v1.lock);
		expect(v2.lock.scopes.data?.fields.tags).toEqual({ number: 2, shape: "array<string>" });
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { tags: [] }, flash: {}, meta: {}, resets: ["tags"] });
	});

	test("a type changed twice never returns to an old number", () => {
		const v1 = compile(z.object({ x: z.string().optional() }));
		const bytes = v1.codec.encode({ x: "old" });
		const v2 = compile(z.object({ x: z.int().optional() }), v1.lock);
		const v3 = compile(z.object({ x: z.string().optional() }), v2.lock);
		expect(v3.lock.scopes.data?.fields.x).toEqual({ number: 3, shape: "string" });
		expect(Object.keys(v3.lock.scopes.data?.retired ?? {})).toEqual(["1", "2"]);
		expect(v3.codec.decodeSession(bytes)).toEqual({ data: {}, flash: {}, meta: {}, resets: ["x"] });
	});

	test("making a field nullable keeps its number and value", () => {
		const v1 = compile(z.object({ nick: z.string().default("") }));
		const bytes = v1.codec.encode({ nick: "ada" });
		const v2 = compile(z.object({ nick: z.string().nullable().default(null) }), v1.lock);
		expect(v2.lock.scopes.data?.fields.nick).toEqual({ number: 1, shape: "string" });
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { nick: "ada" }, flash: {}, meta: {}, resets: [] });
	});

	test("a stored null resets a field that is no longer nullable", () => {
		const v1 = compile(z.object({ nick: z.string().nullable().default(null) }));
		const bytes = v1.codec.encode({ nick: null });
		const v2 = compile(z.object({ nick: z.string().default("anon") }), v1.lock);
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { nick: "anon" }, flash: {}, meta: {}, resets: ["nick"] });
	});

	const roles = z.enum(["guest", "user", "admin"]).default("guest");

	test("an enum value removed from the schema resets a field holding it", () => {
		const v1 = compile(z.object({ role: roles, n: z.int().default(0) }));
		const bytes = v1.codec.encode({ role: "admin", n: 4 });
		const v2 = compile(z.object({ role: z.enum(["guest", "user"]).default("guest"), n: z.int().default(0) }), v1.lock);
		expect(v2.lock.enums["data.role"]).toEqual(["guest", "user", "admin"]);
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { role: "guest", n: 4 }, flash: {}, meta: {}, resets: ["role"] });
	});

	test("an enum value removed from the schema keeps fields holding other values", () => {
		const v1 = compile(z.object({ role: roles }));
		const bytes = v1.codec.encode({ role: "user" });
		const v2 = compile(z.object({ role: z.enum(["guest", "user"]).default("guest") }), v1.lock);
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { role: "user" }, flash: {}, meta: {}, resets: [] });
	});

	test("an enum value added (and the values reordered) still decodes old bytes", () => {
		const v1 = compile(z.object({ role: roles }));
		const bytes = v1.codec.encode({ role: "admin" });
		const v2 = compile(z.object({ role: z.enum(["owner", "admin", "user", "guest"]).default("guest") }), v1.lock);
		expect(v2.lock.enums["data.role"]).toEqual(["guest", "user", "admin", "owner"]);
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { role: "admin" }, flash: {}, meta: {}, resets: [] });
		expect(hex(v2.codec.encode({ role: "admin" }))).toBe(hex(bytes));
	});

	test("old code resets an enum value it does not know", () => {
		const v1 = compile(z.object({ role: roles }));
		const v2 = compile(z.object({ role: z.enum(["guest", "user", "admin", "owner"]).default("guest") }), v1.lock);
		expect(v1.codec.decodeSession(v2.codec.encode({ role: "owner" }))).toEqual({ data: { role: "guest" }, flash: {}, meta: {}, resets: ["role"] });
	});

	test("an enum value removed inside an array resets the array", () => {
		const v1 = compile(z.object({ perms: z.array(z.enum(["read", "write", "delete"])).default([]) }));
		const bytes = v1.codec.encode({ perms: ["read", "delete"] });
		const v2 = compile(z.object({ perms: z.array(z.enum(["read", "write"])).default([]) }), v1.lock);
		expect(v2.lock.enums["data.perms[]"]).toEqual(["read", "write", "delete"]);
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { perms: [] }, flash: {}, meta: {}, resets: ["perms"] });
	});

	test("a record key bound added later resets a record holding a longer key", () => {
		const v1 = compile(z.object({ r: z.record(z.string(), z.int()).default({}), s: z.record(z.string(), z.int()).default({}) }));
		const bytes = v1.codec.encode({ r: { toolong: 1 }, s: { ok: 2 } });
		const v2 = compile(z.object({ r: z.record(z.string().max(3), z.int()).default({}), s: z.record(z.string().max(3), z.int()).default({}) }), v1.lock);
		expect(v2.lock).toEqual(v1.lock);
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { r: {}, s: { ok: 2 } }, flash: {}, meta: {}, resets: ["r"] });
	});

	test("a tightened bound resets only the field that no longer fits", () => {
		const v1 = compile(z.object({ name: z.string().default(""), cart: z.array(z.int()).max(50).default([]), other: z.array(z.int()).max(50).default([]) }));
		const bytes = v1.codec.encode({ name: "ada", cart: [1, 2, 3, 4, 5], other: [1, 2, 3] });
		const v2 = compile(z.object({ name: z.string().default(""), cart: z.array(z.int()).max(3).default([]), other: z.array(z.int()).max(3).default([]) }), v1.lock);
		expect(v2.lock).toEqual(v1.lock);
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { name: "ada", cart: [], other: [1, 2, 3] }, flash: {}, meta: {}, resets: ["cart"] });
	});

	test("a renamed field (remove + add) does not read the old bytes", () => {
		const v1 = compile(z.object({ nick: z.string().default("") }));
		const bytes = v1.codec.encode({ nick: "ada" });
		const v2 = compile(z.object({ alias: z.string().default("") }), v1.lock);
		expect(v2.lock.scopes.data).toEqual({
			next: 3,
			fields: { alias: { number: 2, shape: "string" } },
			retired: { "1": { name: "nick", number: 1, shape: "string" } },
		});
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { alias: "" }, flash: {}, meta: {}, resets: [] });
	});

	test("a field added to a nested object takes its default in old bytes", () => {
		const v1 = compile(z.object({ profile: z.object({ city: z.string().default("") }) }));
		const bytes = v1.codec.encode({ profile: { city: "Paris" } });
		const v2 = compile(z.object({ profile: z.object({ city: z.string().default(""), zip: z.int().default(0) }) }), v1.lock);
		expect(v2.lock.scopes["data.profile"]?.fields).toEqual({ city: { number: 1, shape: "string" }, zip: { number: 2, shape: "int" } });
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { profile: { city: "Paris", zip: 0 } }, flash: {}, meta: {}, resets: [] });
	});

	test("a nested field whose type changed resets the whole parent field", () => {
		const v1 = compile(z.object({ profile: z.object({ city: z.string().default(""), n: z.int().default(0) }), keep: z.int().default(0) }));
		const bytes = v1.codec.encode({ profile: { city: "Paris", n: 2 }, keep: 9 });
		const v2 = compile(z.object({ profile: z.object({ city: z.int().default(0), n: z.int().default(0) }), keep: z.int().default(0) }), v1.lock);
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: { profile: { city: 0, n: 0 }, keep: 9 }, flash: {}, meta: {}, resets: ["profile"] });
	});

	test("a removed flash field is skipped; a retyped one is reset as flash.<name>", () => {
		const flashV1 = z.object({ message: z.string(), count: z.int() });
		const v1 = compile(z.object({}), createLock(), flashV1);
		const bytes = v1.codec.encode({}, { message: "hi", count: 2 });
		const v2 = compile(z.object({}), v1.lock, z.object({ count: z.string() }));
		expect(v2.codec.decodeSession(bytes)).toEqual({ data: {}, flash: {}, meta: {}, resets: ["flash.count"] });
	});

	test("the lock is byte-stable whatever order the fields are declared in", () => {
		const v1 = compile(z.object({ zeta: z.int().default(0), alpha: z.string().default(""), mid: z.enum(["a", "b"]).default("a") }));
		const reordered = compile(z.object({ mid: z.enum(["b", "a"]).default("a"), zeta: z.int().default(0), alpha: z.string().default("") }), v1.lock);
		expect(JSON.stringify(reordered.lock, null, "\t")).toBe(JSON.stringify(v1.lock, null, "\t"));
		expect(Object.keys(v1.lock.scopes.data?.fields ?? {})).toEqual(["alpha", "mid", "zeta"]);
		const data = { zeta: -3, alpha: "x", mid: "b" };
		expect(hex(reordered.codec.encode(data))).toBe(hex(v1.codec.encode(data)));
	});

	test("a fresh lock numbers fields in declaration order, so a lock is what keeps numbers stable", () => {
		const a = compile(z.object({ x: z.int().default(0), y: z.int().default(0) }));
		const b = compile(z.object({ y: z.int().default(0), x: z.int().default(0) }));
		expect(JSON.stringify(b.lock)).not.toBe(JSON.stringify(a.lock));
		expect(b.codec.decode(a.codec.encode({ x: 1, y: 2 }))).toEqual({ x: 2, y: 1 });
	});

	test("lock keys are sorted: scopes, enums and fields by name", () => {
		const v = compile(z.object({ b: z.object({ y: z.enum(["q"]).default("q") }), a: z.object({ x: z.enum(["p"]).default("p") }) }));
		expect(Object.keys(v.lock.scopes)).toEqual(["data", "data.a", "data.b", "flash"]);
		expect(Object.keys(v.lock.enums)).toEqual(["data.a.x", "data.b.y"]);
		expect(Object.keys(v.lock.scopes.data?.fields ?? {})).toEqual(["a", "b"]);
		expect(v.lock.scopes.data?.fields).toEqual({ a: { number: 2, shape: "object" }, b: { number: 1, shape: "object" } });
	});

	test("updateLock is idempotent", () => {
		const once = compile(Rich, createLock(), RichFlash).lock;
		expect(JSON.stringify(compile(Rich, once, RichFlash).lock)).toBe(JSON.stringify(once));
	});

	test("a codec refuses a lock without numbers for the schema", () => {
		const model = defineSession({ data: z.object({ a: z.int().default(0) }) });
		const e = thrown(() => createCodec(model, createLock())) as SessError;
		expect(e.code).toBe("unsupported_schema");
		expect(e.message).toContain('sess.lock.json has no numbers for "data"');
	});
});
