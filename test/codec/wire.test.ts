import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Reader, WIRE_BYTES, WIRE_FIXED64, WIRE_NULL, WIRE_VARINT, Writer } from "../../src/wire.ts";
import { DecodeError } from "../../src/errors.ts";

const MAX = Number.MAX_SAFE_INTEGER;

function hex(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString("hex");
}

function bytes(...values: number[]): Uint8Array {
	return Uint8Array.from(values);
}

function write(fn: (w: Writer) => void): Uint8Array {
	const w = new Writer();
	fn(w);
	return w.finish();
}

/** Independent LEB128 encoder over BigInt: the oracle for the writer. */
function leb128(value: bigint): number[] {
	const out: number[] = [];
	let v = value;
	while (v >= 0x80n) {
		out.push(Number(v & 0x7fn) | 0x80);
		v >>= 7n;
	}
	out.push(Number(v));
	return out;
}

function zigzagOracle(n: number): number[] {
	const b = BigInt(n);
	return leb128(b >= 0n ? b * 2n : -b * 2n - 1n);
}

/** The DecodeError `fn` throws; fails the test if it throws anything else or nothing. */
function decodeFailure(fn: () => unknown): DecodeError {
	let caught: unknown;
	try {
		fn();
	} catch (e) {
		caught = e;
	}
	expect(caught).toBeInstanceOf(DecodeError);
	const e = caught as DecodeError;
	expect(e.code).toBe("decode_failed");
	return e;
}

const edges = [0, 1, -1, 63, -64, 64, -65, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 30 - 1, -(2 ** 30), 2 ** 30, -(2 ** 30) - 1, 2 ** 32, MAX, -MAX, MAX - 1, -MAX + 1];

describe("Writer.varint() / Reader.varint()", () => {
	test("writes known LEB128 bytes", () => {
		expect(hex(write((w) => w.varint(0)))).toBe("00");
		expect(hex(write((w) => w.varint(127)))).toBe("7f");
		expect(hex(write((w) => w.varint(128)))).toBe("8001");
		expect(hex(write((w) => w.varint(300)))).toBe("ac02");
		expect(hex(write((w) => w.varint(MAX)))).toBe("ffffffffffffff0f");
	});

	test("matches a BigInt LEB128 oracle and round-trips over the safe range", () => {
		fc.assert(
			fc.property(fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32, MAX)), (n) => {
				const encoded = write((w) => w.varint(n));
				expect([...encoded]).toEqual(leb128(BigInt(n)));
				const r = new Reader(encoded);
				expect(r.varint()).toBe(n);
				expect(r.done).toBe(true);
			}),
			{ numRuns: 2000 },
		);
	});

	test("rejects a truncated varint", () => {
		expect(decodeFailure(() => new Reader(bytes(0x80)).varint()).message).toBe("truncated input");
		expect(decodeFailure(() => new Reader(bytes()).varint()).message).toBe("truncated input");
	});

	test("rejects a non-canonical varint (trailing zero byte)", () => {
		expect(decodeFailure(() => new Reader(bytes(0x80, 0x00)).varint()).message).toBe("non-canonical varint");
		expect(decodeFailure(() => new Reader(bytes(0x81, 0x80, 0x00)).varint()).message).toBe("non-canonical varint");
	});

	test("accepts the canonical form of the same values", () => {
		expect(new Reader(bytes(0x00)).varint()).toBe(0);
		expect(new Reader(bytes(0x01)).varint()).toBe(1);
	});

	test("rejects an overlong varint (9 bytes)", () => {
		expect(decodeFailure(() => new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).varint()).message).toBe("varint too long");
	});

	test("rejects a varint above 2^53 - 1", () => {
		// 2^53 exactly, in 8 bytes.
		expect(decodeFailure(() => new Reader(Uint8Array.from(leb128(2n ** 53n))).varint()).message).toBe("varint out of range");
		expect(decodeFailure(() => new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)).varint()).message).toBe("varint out of range");
	});
});

describe("Writer.zigzag() / Reader.zigzag()", () => {
	test("writes known zigzag bytes", () => {
		expect(hex(write((w) => w.zigzag(0)))).toBe("00");
		expect(hex(write((w) => w.zigzag(-1)))).toBe("01");
		expect(hex(write((w) => w.zigzag(1)))).toBe("02");
		expect(hex(write((w) => w.zigzag(-64)))).toBe("7f");
		expect(hex(write((w) => w.zigzag(64)))).toBe("8001");
		expect(hex(write((w) => w.zigzag(MAX)))).toBe("feffffffffffff1f");
		expect(hex(write((w) => w.zigzag(-MAX)))).toBe("fdffffffffffff1f");
	});

	test.each(edges.map((n) => [n]))("round-trips the edge %p exactly", (n) => {
		const encoded = write((w) => w.zigzag(n));
		expect([...encoded]).toEqual(zigzagOracle(n));
		const r = new Reader(encoded);
		expect(r.zigzag()).toBe(n);
		expect(r.done).toBe(true);
	});

	test("matches a BigInt zigzag oracle and round-trips over the full safe-integer range", () => {
		fc.assert(
			fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.integer({ min: -(2 ** 35), max: 2 ** 35 }), fc.constantFrom(...edges)), (n) => {
				const encoded = write((w) => w.zigzag(n));
				expect([...encoded]).toEqual(zigzagOracle(n));
				const r = new Reader(encoded);
				expect(r.zigzag()).toBe(n);
				expect(r.done).toBe(true);
			}),
			{ numRuns: 5000 },
		);
	});

	test("many values back to back keep their boundaries", () => {
		fc.assert(
			fc.property(fc.array(fc.maxSafeInteger(), { maxLength: 60 }), (values) => {
				const encoded = write((w) => values.forEach((v) => w.zigzag(v)));
				const r = new Reader(encoded);
				expect(values.map(() => r.zigzag())).toEqual(values);
				expect(r.done).toBe(true);
			}),
		);
	});

	test("-0 is written as 0", () => {
		const encoded = write((w) => w.zigzag(-0));
		expect(hex(encoded)).toBe("00");
		expect(Object.is(new Reader(encoded).zigzag(), 0)).toBe(true);
	});

	test("rejects a truncated zigzag varint, short and long", () => {
		expect(decodeFailure(() => new Reader(bytes(0x80)).zigzag()).message).toBe("truncated input");
		expect(decodeFailure(() => new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80)).zigzag()).message).toBe("truncated input");
	});

	test("rejects a non-canonical zigzag varint on both decode paths", () => {
		expect(decodeFailure(() => new Reader(bytes(0x81, 0x00)).zigzag()).message).toBe("non-canonical varint");
		expect(decodeFailure(() => new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x00)).zigzag()).message).toBe("non-canonical varint");
	});

	test("rejects an overlong zigzag varint (10 bytes)", () => {
		expect(decodeFailure(() => new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).zigzag()).message).toBe("varint too long");
	});

	test("rejects zigzag values beyond the safe range", () => {
		expect(decodeFailure(() => new Reader(Uint8Array.from(leb128(2n ** 54n))).zigzag()).message).toBe("integer out of range");
		expect(decodeFailure(() => new Reader(Uint8Array.from(leb128(2n ** 54n - 1n))).zigzag()).message).toBe("integer out of range");
		expect(decodeFailure(() => new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).zigzag()).message).toBe("integer out of range");
	});

	test("accepts the largest safe magnitudes", () => {
		expect(new Reader(Uint8Array.from(leb128(2n ** 54n - 2n))).zigzag()).toBe(MAX);
		expect(new Reader(Uint8Array.from(leb128(2n ** 54n - 3n))).zigzag()).toBe(-MAX);
	});
});

describe("Writer.float64() / Reader.float64()", () => {
	test("writes little-endian IEEE 754", () => {
		expect(hex(write((w) => w.float64(1.5)))).toBe("000000000000f83f");
		expect(hex(write((w) => w.float64(-0)))).toBe("0000000000000080");
	});

	test("round-trips every double bit-exactly, including -0, infinities and NaN", () => {
		fc.assert(
			fc.property(fc.double(), (x) => {
				const r = new Reader(write((w) => w.float64(x)));
				expect(Object.is(r.float64(), x)).toBe(true);
				expect(r.done).toBe(true);
			}),
			{ numRuns: 3000 },
		);
	});

	test("-0 stays -0", () => {
		expect(Object.is(new Reader(write((w) => w.float64(-0))).float64(), -0)).toBe(true);
		expect(Object.is(new Reader(write((w) => w.float64(0))).float64(), -0)).toBe(false);
	});

	// The wire layer does not police NaN: the codec's float check rejects it on encode and resets it on decode.
	test("NaN is written as the canonical quiet NaN and read back as NaN", () => {
		const encoded = write((w) => w.float64(Number.NaN));
		expect(hex(encoded)).toBe("000000000000f87f");
		expect(Number.isNaN(new Reader(encoded).float64())).toBe(true);
	});

	test("reads a float64 at an unaligned offset of a subarray", () => {
		const backing = new Uint8Array(16);
		backing.set(write((w) => w.float64(Math.PI)), 3);
		expect(new Reader(backing.subarray(3, 11)).float64()).toBe(Math.PI);
	});

	test("rejects a truncated float64", () => {
		expect(decodeFailure(() => new Reader(bytes(0, 0, 0, 0, 0, 0, 0xf8)).float64()).message).toBe("truncated input");
	});
});

describe("Writer.string() / Reader.string()", () => {
	test("writes a length prefix and UTF-8", () => {
		expect(hex(write((w) => w.string("")))).toBe("00");
		expect(hex(write((w) => w.string("hi")))).toBe("026869");
		expect(hex(write((w) => w.string("é")))).toBe("02c3a9");
	});

	test("writes astral characters as 4-byte UTF-8", () => {
		expect(hex(write((w) => w.string("😀")))).toBe("04f09f9880");
		expect(new Reader(write((w) => w.string("a😀👩‍💻b"))).string()).toBe("a😀👩‍💻b");
	});

	test("uses a 2-byte length when a short string has many multi-byte characters", () => {
		const s = "é".repeat(50);
		const encoded = write((w) => w.string(s));
		expect(encoded.length).toBe(1 + 100);
		expect(encoded[0]).toBe(100);
		expect(new Reader(encoded).string()).toBe(s);
	});

	test("uses a 2-byte length for 128 bytes", () => {
		const s = "x".repeat(128);
		const encoded = write((w) => w.string(s));
		expect(hex(encoded.subarray(0, 2))).toBe("8001");
		expect(encoded.length).toBe(130);
		expect(new Reader(encoded).string()).toBe(s);
	});

	// encodeInto cannot represent a lone surrogate; it writes U+FFFD (EF BF BD) in its place, like TextEncoder.
	test("a lone surrogate is written as U+FFFD", () => {
		const encoded = write((w) => w.string("\uD800x"));
		expect(hex(encoded)).toBe("04efbfbd78");
		expect(new Reader(encoded).string()).toBe("\uFFFDx");
	});

	// Up to 16 ASCII bytes are read by one String.fromCharCode call of that arity, longer or non-ASCII text by the
	// decoder: every length on both sides of that line, at an offset inside a larger buffer, reads back exactly.
	test("reads ASCII of every length from 0 to 40 and text with a non-ASCII byte at each position, inside a larger buffer", () => {
		for (let n = 0; n <= 40; n++) {
			const ascii = Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((i * 7) % 95))).join("");
			const r = new Reader(write((w) => { w.varint(7); w.string(ascii); w.varint(9); }));
			expect(r.varint()).toBe(7);
			expect(r.string()).toBe(ascii);
			expect(r.varint()).toBe(9);
			for (let at = 0; at < n; at++) {
				const text = `${ascii.slice(0, at)}é${ascii.slice(at + 1)}`;
				expect(new Reader(write((w) => w.string(text))).string()).toBe(text);
			}
		}
	});

	test("refuses malformed UTF-8 of a short length as a DecodeError", () => {
		for (const bytes of [[0x03, 0x61, 0xff, 0x62], [0x02, 0xc3, 0x28], [0x0a, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x80]]) {
			expect(() => new Reader(Uint8Array.from(bytes)).string()).toThrow(DecodeError);
		}
	});

	test("round-trips any well-formed string", () => {
		fc.assert(
			fc.property(fc.string({ unit: "grapheme", maxLength: 80 }), (s) => {
				const r = new Reader(write((w) => w.string(s)));
				expect(r.string()).toBe(s);
				expect(r.done).toBe(true);
			}),
			{ numRuns: 2000 },
		);
	});

	test("writes exactly the length-prefixed TextEncoder bytes for any string", () => {
		fc.assert(
			fc.property(fc.string({ unit: "binary", maxLength: 80 }), (s) => {
				const utf8 = new TextEncoder().encode(s);
				expect(hex(write((w) => w.string(s)))).toBe(hex(Uint8Array.from([...leb128(BigInt(utf8.length)), ...utf8])));
			}),
			{ numRuns: 2000 },
		);
	});

	// Regression: the string was encoded past `length` first, then the prefix's varint() reserved 8
	// bytes, which could grow the buffer and copy only the bytes before `length`, dropping the string
	// (1–2 character strings starting 4–7 bytes before the end of the 128-byte buffer).
	test("a short string keeps its bytes when it lands near the end of the buffer", () => {
		const lost: number[] = [];
		for (let offset = 100; offset < 140; offset++) {
			const w = new Writer();
			for (let i = 0; i < offset; i++) w.byte(0x2a);
			w.string("a");
			const r = new Reader(w.finish(), offset);
			if (r.string() !== "a") lost.push(offset);
		}
		expect(lost).toEqual([]);
	});

	test("strings at any offset match the length-prefixed TextEncoder bytes", () => {
		fc.assert(
			fc.property(fc.nat({ max: 300 }), fc.string({ maxLength: 4 }), (offset, s) => {
				const w = new Writer();
				for (let i = 0; i < offset; i++) w.byte(0);
				w.string(s);
				const utf8 = new TextEncoder().encode(s);
				expect(hex(w.finish().subarray(offset))).toBe(hex(Uint8Array.from([...leb128(BigInt(utf8.length)), ...utf8])));
			}),
			{ numRuns: 3000 },
		);
	});

	// Regression: the prefix size was taken as 5 bytes for anything ≥ 2^21, but a varint below 2^28
	// takes 4, which left a one-byte gap before the text.
	test("a string of 2 MiB round-trips", () => {
		const s = "a".repeat(2 ** 21);
		const r = new Reader(write((w) => w.string(s)));
		expect(r.string() === s).toBe(true);
		expect(r.done).toBe(true);
	});

	test("a string just under 2 MiB round-trips", () => {
		const s = "a".repeat(2 ** 21 - 1);
		const r = new Reader(write((w) => w.string(s)));
		expect(r.string() === s).toBe(true);
		expect(r.done).toBe(true);
	});

	test("rejects a length beyond the end of input", () => {
		expect(decodeFailure(() => new Reader(bytes(0x05, 0x61, 0x62)).string()).message).toBe("length beyond end of input");
	});

	test("rejects invalid UTF-8", () => {
		expect(decodeFailure(() => new Reader(bytes(0x02, 0xc3, 0x28)).string()).message).toBe("invalid UTF-8");
	});

	test("rejects UTF-8-encoded surrogates", () => {
		expect(decodeFailure(() => new Reader(bytes(0x03, 0xed, 0xa0, 0x80)).string()).message).toBe("invalid UTF-8");
	});

	test("rejects overlong UTF-8", () => {
		expect(decodeFailure(() => new Reader(bytes(0x02, 0xc0, 0xaf)).string()).message).toBe("invalid UTF-8");
	});
});

describe("Writer.frame() / Reader.sub()", () => {
	test("a frame holds exactly its body", () => {
		const encoded = write((w) => {
			w.frame((f) => {
				f.zigzag(-3);
				f.string("ok");
			});
			w.byte(0x09);
		});
		expect(hex(encoded)).toBe("0405026f6b09");
		const r = new Reader(encoded);
		const sub = r.sub();
		expect(sub.zigzag()).toBe(-3);
		expect(sub.string()).toBe("ok");
		expect(sub.done).toBe(true);
		expect(r.byte()).toBe(0x09);
		expect(r.done).toBe(true);
	});

	// Frames are written in place: one byte is reserved for the length and the body moves when it needs more.
	test("frames of every length-prefix width hold their bodies, nested too, and read back through enter()/leave()", () => {
		for (const n of [0, 1, 127, 128, 129, 16_383, 16_384, 16_385, 70_000]) {
			const body = "y".repeat(n);
			const encoded = write((w) => {
				w.byte(0x07);
				w.frame((outer) => {
					outer.frame((inner) => inner.string(body));
					outer.byte(0x08);
				});
				w.byte(0x09);
			});
			const r = new Reader(encoded);
			expect(r.byte()).toBe(0x07);
			const outerEnd = r.enter();
			const innerEnd = r.enter();
			expect(r.string()).toBe(body);
			expect(r.done).toBe(true);
			r.leave(innerEnd);
			expect(r.byte()).toBe(0x08);
			expect(r.done).toBe(true);
			r.leave(outerEnd);
			expect(r.byte()).toBe(0x09);
			expect(r.done).toBe(true);
		}
	});

	test("a reader narrowed by enter() cannot read past its frame", () => {
		const r = new Reader(bytes(0x01, 0x80, 0x01));
		r.enter();
		expect(decodeFailure(() => r.varint()).message).toBe("truncated input");
		expect(decodeFailure(() => new Reader(bytes(0x03, 0x00)).enter()).message).toBe("length beyond end of input");
	});

	test("a sub-reader cannot read past its frame", () => {
		const sub = new Reader(bytes(0x01, 0x80, 0x01)).sub();
		expect(decodeFailure(() => sub.varint()).message).toBe("truncated input");
	});

	test("rejects a frame longer than the input", () => {
		expect(decodeFailure(() => new Reader(bytes(0x03, 0x00)).sub()).message).toBe("length beyond end of input");
	});

	test("rejects reading a byte at the end", () => {
		expect(decodeFailure(() => new Reader(bytes()).byte()).message).toBe("truncated input");
	});
});

describe("Reader.skip()", () => {
	test("skips one value of each wire type", () => {
		const encoded = write((w) => {
			w.zigzag(-MAX);
			w.float64(2.5);
			w.string("skip me");
			w.byte(0x7f);
		});
		const r = new Reader(encoded);
		r.skip(WIRE_VARINT);
		r.skip(WIRE_FIXED64);
		r.skip(WIRE_BYTES);
		r.skip(WIRE_NULL);
		expect(r.byte()).toBe(0x7f);
		expect(r.done).toBe(true);
	});

	test.each([[4], [5], [6], [7]])("rejects unknown wire type %p", (wire) => {
		expect(decodeFailure(() => new Reader(bytes(0)).skip(wire)).message).toBe(`unknown wire type ${wire}`);
	});

	test("rejects skipping a truncated value", () => {
		expect(decodeFailure(() => new Reader(bytes(1, 2, 3)).skip(WIRE_FIXED64)).message).toBe("truncated input");
		expect(decodeFailure(() => new Reader(bytes(9, 1)).skip(WIRE_BYTES)).message).toBe("length beyond end of input");
	});

	test("every Reader method throws only DecodeError on arbitrary bytes", () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 24 }), fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 8 }), (input, ops) => {
				const r = new Reader(input);
				try {
					for (const op of ops) {
						if (op === 0) r.varint();
						else if (op === 1) r.zigzag();
						else if (op === 2) r.float64();
						else if (op === 3) r.string();
						else if (op === 4) r.sub();
						else if (op === 5) r.byte();
						else if (op === 6) r.enter();
						else r.skip(r.byte() % 8);
					}
				} catch (e) {
					if (!(e instanceof DecodeError)) throw e;
				}
				expect(r.pos).toBeLessThanOrEqual(r.end);
				expect(r.end).toBeLessThanOrEqual(input.length);
			}),
			{ numRuns: 5000 },
		);
	});
});
