import { DecodeError } from "./errors.ts";

/** Wire types of a tagged field, protobuf-style, so unknown fields can be skipped. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_NULL = 3;

const encoder = new TextEncoder();
// ignoreBOM: by default a TextDecoder drops a leading U+FEFF, so a string starting with it ("\ufeffann")
// would decode as another string than was stored (found by test/stores/input-property.test.ts).
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A growable byte buffer with varint, zigzag, float64 and UTF-8 writers. */
export class Writer {
	private buf = new Uint8Array(128);
	private view: DataView | undefined;
	length = 0;

	private reserve(n: number): void {
		if (this.length + n <= this.buf.length) return;
		let size = this.buf.length * 2;
		while (size < this.length + n) size *= 2;
		const next = new Uint8Array(size);
		next.set(this.buf.subarray(0, this.length));
		this.buf = next;
		this.view = undefined;
	}

	byte(b: number): void {
		this.reserve(1);
		this.buf[this.length++] = b;
	}

	/** An unsigned integer up to 2^53 - 1. */
	varint(v: number): void {
		this.reserve(8);
		this.putVarint(v);
	}

	/** Writes a varint into space the caller has reserved. */
	private putVarint(v: number): void {
		const buf = this.buf;
		let at = this.length;
		// Doubles until the value fits 31 bits (timestamps do not), then integer shifts.
		while (v >= 0x80000000) {
			buf[at++] = (v % 0x80) | 0x80;
			v = Math.floor(v / 0x80);
		}
		while (v >= 0x80) {
			buf[at++] = (v & 0x7f) | 0x80;
			v >>>= 7;
		}
		buf[at++] = v;
		this.length = at;
	}

	/** A safe integer, zigzag-mapped so small negatives stay short. */
	zigzag(v: number): void {
		if (v >= -0x40000000 && v < 0x40000000) {
			this.varint(((v << 1) ^ (v >> 31)) >>> 0);
			return;
		}
		if (v > -0x10000000000000 && v < 0x10000000000000) {
			this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
			return;
		}
		// Beyond 52 bits the doubled value may not fit a double exactly: go through BigInt.
		const b = BigInt(v);
		let z = b >= 0n ? b << 1n : (-b << 1n) - 1n;
		this.reserve(9);
		while (z >= 0x80n) {
			this.buf[this.length++] = Number(z & 0x7fn) | 0x80;
			z >>= 7n;
		}
		this.buf[this.length++] = Number(z);
	}

	float64(v: number): void {
		this.reserve(8);
		this.view ??= new DataView(this.buf.buffer);
		this.view.setFloat64(this.length, v, true);
		this.length += 8;
	}

	bytes(b: Uint8Array): void {
		this.varint(b.length);
		this.raw(b);
	}

	/** Appends bytes as they are, without a length prefix. */
	raw(b: Uint8Array): void {
		this.reserve(b.length);
		this.buf.set(b, this.length);
		this.length += b.length;
	}

	/** A length-prefixed UTF-8 string; callers validate well-formedness (lone surrogates would not round-trip). */
	string(s: string): void {
		const n = s.length;
		if (n < 0x80) {
			// Short ASCII (ids, roles, enum-like text) is copied byte by byte: encodeInto needs a subarray
			// per call, and making one cost more than the copy.
			this.reserve(1 + n * 3);
			const buf = this.buf;
			const at = this.length + 1;
			let i = 0;
			for (; i < n; i++) {
				const c = s.charCodeAt(i);
				if (c >= 0x80) break;
				buf[at + i] = c;
			}
			if (i === n) {
				buf[this.length] = n;
				this.length = at + n;
				return;
			}
		}
		// Worst case is 3 bytes per UTF-16 unit: reserve once, encode in place, then fix the prefix width.
		const max = n * 3;
		const prefix = varintSize(max);
		this.reserve(prefix + max);
		const start = this.length + prefix;
		const { written } = encoder.encodeInto(s, this.buf.subarray(start, start + max));
		const actual = varintSize(written);
		if (actual !== prefix) this.buf.copyWithin(this.length + actual, start, start + written);
		this.putVarint(written);
		this.length += written;
	}

	/** Writes `body` into a nested length-delimited frame, in place: one byte is reserved for the length, and the body moves only if it needs more. */
	frame(body: (w: Writer) => void): void {
		const at = this.begin();
		body(this);
		this.end(at);
	}

	/** Opens a frame without a callback (what generated code writes inline); hand the result to `end()`. */
	begin(): number {
		this.reserve(1);
		return this.length++;
	}

	/** Closes the frame `begin()` opened, writing its length prefix. */
	end(at: number): void {
		const len = this.length - at - 1;
		if (len < 0x80) {
			this.buf[at] = len;
			return;
		}
		const extra = varintSize(len) - 1;
		this.reserve(extra);
		this.buf.copyWithin(at + 1 + extra, at + 1, this.length);
		const end = this.length + extra;
		this.length = at;
		this.putVarint(len);
		this.length = end;
	}

	/** Forgets what was written; a buffer grown past `keep` bytes is let go so one huge session does not pin it. */
	reset(keep = 1 << 16): void {
		this.length = 0;
		if (this.buf.length > keep) {
			this.buf = new Uint8Array(128);
			this.view = undefined;
		}
	}

	/** What was written, as a view of the writer's own buffer: valid only until the writer is written to or reset. */
	written(): Uint8Array {
		// The last view is handed out again while it still covers exactly what was written: a sealed cookie's
		// plaintext keeps its length from request to request, and a view is an object per commit otherwise.
		const last = this.lastWritten;
		if (last !== undefined && last.length === this.length && last.buffer === this.buf.buffer) return last;
		return (this.lastWritten = this.buf.subarray(0, this.length));
	}
	private lastWritten: Uint8Array | undefined = undefined;

	finish(): Uint8Array {
		return this.buf.slice(0, this.length);
	}
}

const scratch = new Writer();

/**
 * The one shared writer, emptied: encoding is synchronous and never re-entered, so a per-call buffer
 * would only be garbage. `finish()` returns a copy; the writer must not be kept past it.
 */
export function scratchWriter(): Writer {
	scratch.reset();
	return scratch;
}

/** Bytes a varint of `v` takes. */
export function varintSize(v: number): number {
	let n = 1;
	while (v >= 0x80) {
		v = Math.floor(v / 0x80);
		n++;
	}
	return n;
}

/** A bounds-checked reader; every malformed input throws `DecodeError`, never anything else. */
export class Reader {
	pos: number;
	/** Where reading stops; narrowed by `enter()` to the frame being read. */
	end: number;
	/** The bytes being read; packed-string readers read a span in place rather than copy it out. */
	buf: Uint8Array;
	private view: DataView | undefined;

	constructor(buf: Uint8Array, start = 0, end = buf.length) {
		this.buf = buf;
		this.pos = start;
		this.end = end;
	}

	get done(): boolean {
		return this.pos >= this.end;
	}

	/** Points this reader at other bytes (what `withReader` does to its one shared reader). */
	point(buf: Uint8Array, start: number, end: number): void {
		this.buf = buf;
		this.pos = start;
		this.end = end;
		this.view = undefined;
	}

	byte(): number {
		if (this.pos >= this.end) throw new DecodeError("truncated input");
		return this.buf[this.pos++] as number;
	}

	varint(): number {
		// One byte (tags, lengths, small numbers) is most of what is read.
		if (this.pos < this.end) {
			const b = this.buf[this.pos] as number;
			if (b < 0x80) {
				this.pos++;
				return b;
			}
		}
		let result = 0;
		let scale = 1;
		for (let i = 0; i < 8; i++) {
			const b = this.byte();
			result += (b & 0x7f) * scale;
			if ((b & 0x80) === 0) {
				if (!Number.isSafeInteger(result)) throw new DecodeError("varint out of range");
				if (b === 0 && i > 0) throw new DecodeError("non-canonical varint");
				return result;
			}
			scale *= 0x80;
		}
		throw new DecodeError("varint too long");
	}

	zigzag(): number {
		const buf = this.buf;
		const end = this.end;
		let pos = this.pos;
		// The low 28 bits in integer arithmetic; most values end there.
		let lo = 0;
		for (let shift = 0; shift < 28; shift += 7) {
			if (pos >= end) throw new DecodeError("truncated input");
			const b = buf[pos++] as number;
			lo |= (b & 0x7f) << shift;
			if (b < 0x80) {
				if (b === 0 && shift > 0) throw new DecodeError("non-canonical varint");
				this.pos = pos;
				return lo & 1 ? -((lo >>> 1) + 1) : lo >>> 1;
			}
		}
		// Up to five more bytes. The zigzag value itself may pass 2^53, so halve it as two exact parts:
		// z >> 1 = hi · 2^27 + (lo >>> 1). A result past 2^53 stays past it in doubles, so the range check holds.
		let hi = 0;
		let scale = 1;
		for (let i = 4; i < 9; i++) {
			if (pos >= end) throw new DecodeError("truncated input");
			const b = buf[pos++] as number;
			hi += (b & 0x7f) * scale;
			if (b < 0x80) {
				if (b === 0) throw new DecodeError("non-canonical varint");
				const half = hi * 0x8000000 + (lo >>> 1);
				const n = lo & 1 ? -(half + 1) : half;
				if (!Number.isSafeInteger(n)) throw new DecodeError("integer out of range");
				this.pos = pos;
				return n;
			}
			scale *= 0x80;
		}
		throw new DecodeError("varint too long");
	}

	float64(): number {
		if (this.pos + 8 > this.end) throw new DecodeError("truncated input");
		this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
		const v = this.view.getFloat64(this.pos, true);
		this.pos += 8;
		return v;
	}

	/** Reads a length prefix and returns a reader over exactly that many bytes. */
	sub(): Reader {
		const len = this.varint();
		if (len > this.end - this.pos) throw new DecodeError("length beyond end of input");
		const r = new Reader(this.buf, this.pos, this.pos + len);
		this.pos += len;
		return r;
	}

	/**
	 * Reads a length prefix and narrows this reader to that frame, in place of a `sub()` reader per nested
	 * value; returns the outer end, which the caller hands to `leave()` (in a `finally`).
	 */
	enter(): number {
		const len = this.varint();
		if (len > this.end - this.pos) throw new DecodeError("length beyond end of input");
		const outer = this.end;
		this.end = this.pos + len;
		return outer;
	}

	/** Widens the reader back to the frame around the one `enter()` opened. */
	leave(outer: number): void {
		this.end = outer;
	}

	/** A length-prefixed byte string, copied out of the input. */
	bytes(): Uint8Array {
		const len = this.varint();
		if (len > this.end - this.pos) throw new DecodeError("length beyond end of input");
		const start = this.pos;
		this.pos += len;
		return this.buf.slice(start, start + len);
	}

	/**
	 * Reads a length prefix and steps over that many bytes; returns where they start (they end at `pos`),
	 * for readers that look at the bytes in place.
	 */
	span(): number {
		const len = this.varint();
		if (len > this.end - this.pos) throw new DecodeError("length beyond end of input");
		const start = this.pos;
		this.pos += len;
		return start;
	}

	string(): string {
		const start = this.span();
		return utf8(this.buf, start, this.pos);
	}

	/** Skips one value of the given wire type. */
	skip(wire: number): void {
		if (wire === WIRE_VARINT) this.zigzag();
		else if (wire === WIRE_FIXED64) this.float64();
		else if (wire === WIRE_BYTES) {
			const len = this.varint();
			if (len > this.end - this.pos) throw new DecodeError("length beyond end of input");
			this.pos += len;
		}
		else if (wire !== WIRE_NULL) throw new DecodeError(`unknown wire type ${wire}`);
	}
}

const NO_BYTES = new Uint8Array(0);
const shared = new Reader(NO_BYTES);
let sharedBusy = false;

/**
 * A reader over `buf` from `start`: the one shared reader when it is free (a decode is synchronous, so a
 * reader per decode would only be garbage), else a new one. Hand it back with `releaseReader` (in a `finally`).
 */
export function borrowReader(buf: Uint8Array, start: number): Reader {
	if (sharedBusy) return new Reader(buf, start);
	sharedBusy = true;
	shared.point(buf, start, buf.length);
	return shared;
}

/** Hands back a reader from `borrowReader`; the shared one lets go of its bytes, so it keeps no decrypted plaintext alive. */
export function releaseReader(r: Reader): void {
	if (r !== shared) return;
	shared.point(NO_BYTES, 0, 0);
	sharedBusy = false;
}

/**
 * The UTF-8 text of `buf[start, end)`; malformed UTF-8 throws `DecodeError`. Up to 16 ASCII bytes make
 * one `String.fromCharCode` call of that many arguments; longer text goes through the decoder, which has
 * its own ASCII path and makes a flat string (a per-character loop builds a rope that costs 2–7× more once
 * it is read). Short text is most of a session's strings (ids, names, enum-like values), and a decoder call
 * costs a view, a trip through the runtime's binding and UTF-8 validation: under callgrind, decoding a
 * 10-byte user id took ≈ 1,760 instructions and ≈ 120 instruction-cache misses per request that way.
 */
export function utf8(buf: Uint8Array, start: number, end: number): string {
	const n = end - start;
	if (n <= 16) {
		let or = 0;
		for (let i = start; i < end; i++) or |= buf[i] as number;
		if (or < 0x80) return shortAscii(buf, start, n);
	}
	try {
		// A view costs about as much as decoding short text: none when the text is the whole array.
		return decoder.decode(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
	} catch {
		throw new DecodeError("invalid UTF-8");
	}
}

const char = String.fromCharCode;

/** `n` (≤ 16) ASCII bytes from `s` as one flat string: a call of exact arity, so no array and no rope. */
function shortAscii(b: Uint8Array, s: number, n: number): string {
	switch (n) {
		case 0:
			return "";
		case 1:
			return char(b[s] as number);
		case 2:
			return char(b[s] as number, b[s + 1] as number);
		case 3:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number);
		case 4:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number);
		case 5:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number);
		case 6:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number);
		case 7:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number);
		case 8:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number, b[s + 7] as number);
		case 9:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number, b[s + 7] as number, b[s + 8] as number);
		case 10:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number, b[s + 7] as number, b[s + 8] as number, b[s + 9] as number);
		case 11:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number, b[s + 7] as number, b[s + 8] as number, b[s + 9] as number, b[s + 10] as number);
		case 12:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number, b[s + 7] as number, b[s + 8] as number, b[s + 9] as number, b[s + 10] as number, b[s + 11] as number);
		case 13:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number, b[s + 7] as number, b[s + 8] as number, b[s + 9] as number, b[s + 10] as number, b[s + 11] as number, b[s + 12] as number);
		case 14:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number, b[s + 7] as number, b[s + 8] as number, b[s + 9] as number, b[s + 10] as number, b[s + 11] as number, b[s + 12] as number, b[s + 13] as number);
		case 15:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number, b[s + 7] as number, b[s + 8] as number, b[s + 9] as number, b[s + 10] as number, b[s + 11] as number, b[s + 12] as number, b[s + 13] as number, b[s + 14] as number);
		default:
			return char(b[s] as number, b[s + 1] as number, b[s + 2] as number, b[s + 3] as number, b[s + 4] as number, b[s + 5] as number, b[s + 6] as number, b[s + 7] as number, b[s + 8] as number, b[s + 9] as number, b[s + 10] as number, b[s + 11] as number, b[s + 12] as number, b[s + 13] as number, b[s + 14] as number, b[s + 15] as number);
	}
}
