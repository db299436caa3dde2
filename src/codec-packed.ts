import type { StringPacking } from "../schema/model.ts";
import { DecodeError } from "./errors.ts";
import { type Reader, utf8, WIRE_BYTES, type Writer } from "./wire.ts";
import type { ValueCodec } from "./value-codec.ts";

// Packed strings (codec format 2). Each is one length-delimited payload, so the field's wire type and
// lock shape stay those of a string. Only a value whose packed form gives back the exact same string
// is packed; anything else is written as its UTF-8 after a 0 flag byte (uuid: after no flag, since
// its packed form is the only 16-byte payload a uuid can have).
//
// These run on every decode of a schema with ids, tokens and dates, so they read the payload in place
// (no copy, no sub-reader), build the text as ASCII bytes through lookup tables and decode it once
// (one flat string; per-character concatenation builds a rope that costs far more once it is read),
// and parse and format ISO dates by arithmetic rather than through Date's string parser.

const PLAIN = 0;
const PACKED = 1;
/** ISO datetime at whole seconds (`2024-05-01T10:00:00Z`), stored as seconds. */
const PACKED_SECONDS = 2;

const DAY_MS = 86_400_000;
const encoder = new TextEncoder();

/** Byte → its two lower-case hex digits as ASCII codes, at 2·byte and 2·byte + 1. */
const HEX_DIGITS = new Uint8Array(512);
/** ASCII code → hex digit value, lower case only (as the packed forms accept); -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 256; i++) {
	const h = i.toString(16).padStart(2, "0");
	HEX_DIGITS[2 * i] = h.charCodeAt(0);
	HEX_DIGITS[2 * i + 1] = h.charCodeAt(1);
}
for (let i = 0; i < 16; i++) HEX_VALUE[i.toString(16).charCodeAt(0)] = i;

const BASE64 = alphabet("+/");
const BASE64URL = alphabet("-_");

interface Alphabet {
	/** 6-bit value → ASCII code. */
	digits: Uint8Array;
	/** ASCII code → 6-bit value, -1 outside the alphabet. */
	values: Int8Array;
}

function alphabet(last2: string): Alphabet {
	const chars = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${last2}`;
	const digits = new Uint8Array(64);
	const values = new Int8Array(128).fill(-1);
	for (let i = 0; i < 64; i++) {
		digits[i] = chars.charCodeAt(i);
		values[chars.charCodeAt(i)] = i;
	}
	return { digits, values };
}

/** A uuid's text, dashes in place; the hex digits are filled in per read. */
const UUID_TEXT = new Uint8Array(36).fill(0x2d);
/** Where each of a uuid's 16 bytes goes in its text. */
const UUID_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const UUID_BYTES = new Uint8Array(16);

/** Reused space for text being built (ASCII) and bytes being packed; decoding and encoding are synchronous. */
let text = new Uint8Array(128);
let packed = new Uint8Array(64);

function textRoom(n: number): Uint8Array {
	if (text.length < n) text = new Uint8Array(Math.max(n, text.length * 2));
	return text;
}

function packedRoom(n: number): Uint8Array {
	if (packed.length < n) packed = new Uint8Array(Math.max(n, packed.length * 2));
	return packed;
}

/**
 * The codec of a string packed by its format. `fixedLength`: every valid value has exactly this many
 * characters (all ASCII for these formats), and a packed form is always shorter, so hex and base64
 * payloads need no flag: a payload of exactly that length is the UTF-8 fallback.
 */
export function packedString(packing: StringPacking, fixedLength?: number): ValueCodec {
	switch (packing) {
		case "uuid":
			return {
				wire: WIRE_BYTES,
				write: (w, v) => {
					const s = v as string;
					if (uuidBytes(s)) w.bytes(UUID_BYTES);
					else w.string(s);
				},
				read: (r) => {
					const start = r.span();
					const buf = r.buf;
					if (r.pos - start !== 16) return utf8(buf, start, r.pos);
					for (let i = 0; i < 16; i++) {
						const x = (buf[start + i] as number) * 2;
						const at = UUID_AT[i] as number;
						UUID_TEXT[at] = HEX_DIGITS[x] as number;
						UUID_TEXT[at + 1] = HEX_DIGITS[x + 1] as number;
					}
					return utf8(UUID_TEXT, 0, 36);
				},
			};
		case "hex":
			return flagged(hexBytes, hexText, fixedLength);
		case "base64":
			return flagged((s) => base64Bytes(s, BASE64, true), (b, s, e) => base64Text(b, s, e, BASE64, true), fixedLength);
		case "base64url":
			return flagged((s) => base64Bytes(s, BASE64URL, false), (b, s, e) => base64Text(b, s, e, BASE64URL, false), fixedLength);
		case "date":
			return flaggedInt(
				(s) => {
					const days = parseDay(s);
					if (days !== undefined) return [PACKED, days];
					// Date writes a day as 10 characters, or with an expanded year (`+010000-…`, `-000001-…`): nothing else packs.
					if (!expandedYear(s)) return undefined;
					const ms = Date.parse(`${s}T00:00:00Z`);
					return Number.isFinite(ms) && ms % DAY_MS === 0 && isoDay(ms / DAY_MS) === s ? [PACKED, ms / DAY_MS] : undefined;
				},
				(flag, n) => (flag === PACKED ? isoDay(n) : undefined),
			);
		case "datetime":
			return flaggedInt(
				(s) => {
					const fast = parseInstant(s);
					// 20 characters are whole seconds, 24 milliseconds (even at .000, as Date writes them).
					if (fast !== undefined) return s.length === 20 ? [PACKED_SECONDS, fast / 1000] : [PACKED, fast];
					if (!expandedYear(s)) return undefined;
					const ms = Date.parse(s);
					if (!Number.isFinite(ms)) return undefined;
					if (ms % 1000 === 0 && isoSeconds(ms / 1000) === s) return [PACKED_SECONDS, ms / 1000];
					return isoMillis(ms) === s ? [PACKED, ms] : undefined;
				},
				(flag, n) => (flag === PACKED ? isoMillis(n) : flag === PACKED_SECONDS ? isoSeconds(n) : undefined),
			);
	}
}

/**
 * Packs `s` into `packed[0, n)` and returns n, or -1 when it has no packed form; `unpack` gives the
 * text of `buf[start, end)`.
 */
type Pack = (s: string) => number;
type Unpack = (buf: Uint8Array, start: number, end: number) => string;

/** Payload `[0, utf8…]` or `[1, bytes…]`; with a fixed length n, `utf8` (n bytes) or `bytes` (fewer). */
function flagged(pack: Pack, unpack: Unpack, fixedLength?: number): ValueCodec {
	if (fixedLength !== undefined && fixedLength > 0) {
		return {
			wire: WIRE_BYTES,
			write: (w, v) => {
				const s = v as string;
				const n = s.length === fixedLength ? pack(s) : -1;
				if (n < 0) w.string(s);
				else {
					w.varint(n);
					w.raw(packed.subarray(0, n));
				}
			},
			read: (r) => {
				const start = r.span();
				return r.pos - start === fixedLength ? utf8(r.buf, start, r.pos) : unpack(r.buf, start, r.pos);
			},
		};
	}
	return {
		wire: WIRE_BYTES,
		write: (w, v) => {
			const s = v as string;
			const n = pack(s);
			const at = w.begin();
			if (n < 0) {
				w.byte(PLAIN);
				w.raw(encoder.encode(s));
			} else {
				w.byte(PACKED);
				w.raw(packed.subarray(0, n));
			}
			w.end(at);
		},
		read: (r) => {
			const start = r.span();
			const end = r.pos;
			if (end === start) throw new DecodeError("empty packed string");
			const flag = r.buf[start];
			if (flag === PLAIN) return utf8(r.buf, start + 1, end);
			if (flag === PACKED) return unpack(r.buf, start + 1, end);
			throw new DecodeError("bad packed string flag");
		},
	};
}

/** Payload `[0, utf8…]` or `[flag, zigzag varint]`. */
function flaggedInt(pack: (s: string) => [number, number] | undefined, unpack: (flag: number, n: number) => string | undefined): ValueCodec {
	return {
		wire: WIRE_BYTES,
		write: (w: Writer, v) => {
			const s = v as string;
			const p = pack(s);
			const at = w.begin();
			if (p === undefined) {
				w.byte(PLAIN);
				w.raw(encoder.encode(s));
			} else {
				w.byte(p[0]);
				w.zigzag(p[1]);
			}
			w.end(at);
		},
		read: (r: Reader) => {
			// Narrowed to the payload in place; a damaged payload throws, and the caller rewinds.
			const outer = r.enter();
			try {
				const flag = r.byte();
				if (flag === PLAIN) {
					const s = utf8(r.buf, r.pos, r.end);
					r.pos = r.end;
					return s;
				}
				const s = unpack(flag, r.zigzag());
				if (s === undefined || !r.done) throw new DecodeError("bad packed string");
				return s;
			} finally {
				r.leave(outer);
			}
		},
	};
}

/** Fills UUID_BYTES from a lower-case uuid (`8-4-4-4-12` hex digits); false for any other string. */
function uuidBytes(s: string): boolean {
	if (s.length !== 36 || s.charCodeAt(8) !== 0x2d || s.charCodeAt(13) !== 0x2d || s.charCodeAt(18) !== 0x2d || s.charCodeAt(23) !== 0x2d) return false;
	for (let i = 0; i < 16; i++) {
		const at = UUID_AT[i] as number;
		const hi = s.charCodeAt(at);
		const lo = s.charCodeAt(at + 1);
		const h = hi < 128 ? (HEX_VALUE[hi] as number) : -1;
		const l = lo < 128 ? (HEX_VALUE[lo] as number) : -1;
		if (h < 0 || l < 0) return false;
		UUID_BYTES[i] = (h << 4) | l;
	}
	return true;
}

/** Lower-case hex of even length → its bytes. */
function hexBytes(s: string): number {
	if (s.length % 2 !== 0) return -1;
	const n = s.length / 2;
	const out = packedRoom(n);
	for (let i = 0; i < n; i++) {
		const hi = s.charCodeAt(2 * i);
		const lo = s.charCodeAt(2 * i + 1);
		const h = hi < 128 ? (HEX_VALUE[hi] as number) : -1;
		const l = lo < 128 ? (HEX_VALUE[lo] as number) : -1;
		if (h < 0 || l < 0) return -1;
		out[i] = (h << 4) | l;
	}
	return n;
}

function hexText(buf: Uint8Array, start: number, end: number): string {
	const n = end - start;
	const t = textRoom(2 * n);
	for (let i = 0; i < n; i++) {
		const x = (buf[start + i] as number) * 2;
		t[2 * i] = HEX_DIGITS[x] as number;
		t[2 * i + 1] = HEX_DIGITS[x + 1] as number;
	}
	return utf8(t, 0, 2 * n);
}

/**
 * The bytes of canonical base64 (what encoding them gives back exactly: padded to a multiple of 4 for
 * base64, unpadded for base64url, unused low bits zero), or -1.
 */
function base64Bytes(s: string, a: Alphabet, padded: boolean): number {
	let len = s.length;
	if (padded) {
		if (len % 4 !== 0) return -1;
		if (len > 0 && s.charCodeAt(len - 1) === 0x3d) len -= s.charCodeAt(len - 2) === 0x3d ? 2 : 1;
	} else if (len % 4 === 1) return -1;
	const rest = len % 4;
	const n = ((len - rest) / 4) * 3 + (rest === 0 ? 0 : rest - 1);
	const out = packedRoom(n);
	const values = a.values;
	let o = 0;
	let i = 0;
	for (; i + 4 <= len; i += 4) {
		const c0 = digit(values, s.charCodeAt(i));
		const c1 = digit(values, s.charCodeAt(i + 1));
		const c2 = digit(values, s.charCodeAt(i + 2));
		const c3 = digit(values, s.charCodeAt(i + 3));
		if ((c0 | c1 | c2 | c3) < 0) return -1;
		out[o++] = (c0 << 2) | (c1 >> 4);
		out[o++] = ((c1 & 15) << 4) | (c2 >> 2);
		out[o++] = ((c2 & 3) << 6) | c3;
	}
	if (rest >= 2) {
		const c0 = digit(values, s.charCodeAt(i));
		const c1 = digit(values, s.charCodeAt(i + 1));
		if ((c0 | c1) < 0) return -1;
		out[o++] = (c0 << 2) | (c1 >> 4);
		if (rest === 2) {
			if ((c1 & 15) !== 0) return -1;
		} else {
			const c2 = digit(values, s.charCodeAt(i + 2));
			if (c2 < 0 || (c2 & 3) !== 0) return -1;
			out[o++] = ((c1 & 15) << 4) | (c2 >> 2);
		}
	}
	return n;
}

function digit(values: Int8Array, c: number): number {
	return c < 128 ? (values[c] as number) : -1;
}

function base64Text(buf: Uint8Array, start: number, end: number, a: Alphabet, padded: boolean): string {
	const n = end - start;
	const t = textRoom(Math.ceil(n / 3) * 4);
	const d = a.digits;
	let o = 0;
	let i = start;
	for (; i + 3 <= end; i += 3) {
		const x = ((buf[i] as number) << 16) | ((buf[i + 1] as number) << 8) | (buf[i + 2] as number);
		t[o++] = d[x >> 18] as number;
		t[o++] = d[(x >> 12) & 63] as number;
		t[o++] = d[(x >> 6) & 63] as number;
		t[o++] = d[x & 63] as number;
	}
	const rest = end - i;
	if (rest > 0) {
		const x = ((buf[i] as number) << 16) | (rest === 2 ? (buf[i + 1] as number) << 8 : 0);
		t[o++] = d[x >> 18] as number;
		t[o++] = d[(x >> 12) & 63] as number;
		if (rest === 2) t[o++] = d[(x >> 6) & 63] as number;
		else if (padded) t[o++] = 0x3d;
		if (padded) t[o++] = 0x3d;
	}
	return utf8(t, 0, o);
}

// ISO dates by arithmetic (proleptic Gregorian, as Date), for years 0000–9999; anything else goes
// through Date, which also writes the expanded years (`+010000-…`) these forms can hold.

/** Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil); all in int32 arithmetic. */
function daysFromCivil(y: number, m: number, d: number): number {
	y -= m <= 2 ? 1 : 0;
	const era = Math.floor(y / 400) | 0;
	const yoe = (y - era * 400) | 0;
	const doy = ((((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) | 0) + d - 1) | 0;
	const doe = (yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy) | 0;
	return era * 146097 + doe - 719468;
}

/** The first and last day (since the epoch) of years 0000–9999. */
const FIRST_DAY = daysFromCivil(0, 1, 1);
const LAST_DAY = daysFromCivil(9999, 12, 31);

/**
 * Writes `YYYY-MM-DD` of a day in [FIRST_DAY, LAST_DAY] into `t` at 0. Integer arithmetic throughout
 * (`| 0`): a `%` or a division on a double costs a call to fmod in the JIT.
 */
function writeDay(t: Uint8Array, days: number): void {
	const z = (days + 719468) | 0;
	const era = Math.floor(z / 146097) | 0;
	const doe = (z - era * 146097) | 0;
	const yoe = ((doe - ((doe / 1460) | 0) + ((doe / 36524) | 0) - ((doe / 146096) | 0)) / 365) | 0;
	const doy = (doe - (365 * yoe + ((yoe / 4) | 0) - ((yoe / 100) | 0))) | 0;
	const mp = ((5 * doy + 2) / 153) | 0;
	const d = (doy - (((153 * mp + 2) / 5) | 0) + 1) | 0;
	const m = mp < 10 ? mp + 3 : mp - 9;
	const y = (yoe + era * 400 + (m <= 2 ? 1 : 0)) | 0;
	digits(t, 0, y, 4);
	t[4] = 0x2d;
	digits(t, 5, m, 2);
	t[7] = 0x2d;
	digits(t, 8, d, 2);
}

/** Writes the int `v` (≥ 0) as `width` decimal digits at `t[at]`. */
function digits(t: Uint8Array, at: number, v: number, width: number): void {
	for (let i = at + width - 1; i >= at; i--) {
		const q = (v / 10) | 0;
		t[i] = 0x30 + v - q * 10;
		v = q;
	}
}

/** The text of a day, of an instant at whole seconds and of one with milliseconds: each formatted in place, decoded whole. */
const DAY_TEXT = new Uint8Array(10);
const SECONDS_TEXT = new Uint8Array(20);
const MILLIS_TEXT = new Uint8Array(24);

/** `YYYY-MM-DD` in DAY_TEXT; the day must be in [FIRST_DAY, LAST_DAY]. */
function formatDay(days: number): Uint8Array {
	writeDay(DAY_TEXT, days);
	return DAY_TEXT;
}

/** `YYYY-MM-DD`, as `Date#toISOString` writes the day; `undefined` outside Date's range. */
function isoDay(days: number): string | undefined {
	if (days < FIRST_DAY || days > LAST_DAY) {
		const d = new Date(days * DAY_MS);
		return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
	}
	return utf8(formatDay(days), 0, 10);
}

/**
 * `Date#toISOString` of `ms` (without the milliseconds when `seconds`) in SECONDS_TEXT or MILLIS_TEXT,
 * or `undefined` outside years 0000–9999.
 */
function formatInstant(ms: number, seconds: boolean): Uint8Array | undefined {
	const days = Math.floor(ms / DAY_MS);
	if (days < FIRST_DAY || days > LAST_DAY) return undefined;
	const t = seconds ? SECONDS_TEXT : MILLIS_TEXT;
	writeDay(t, days);
	const dayMs = (ms - days * DAY_MS) | 0;
	const secs = (dayMs / 1000) | 0;
	const milli = dayMs - secs * 1000;
	const mins = (secs / 60) | 0;
	const hours = (mins / 60) | 0;
	t[10] = 0x54;
	digits(t, 11, hours, 2);
	t[13] = 0x3a;
	digits(t, 14, mins - hours * 60, 2);
	t[16] = 0x3a;
	digits(t, 17, secs - mins * 60, 2);
	if (seconds) {
		t[19] = 0x5a;
		return t;
	}
	t[19] = 0x2e;
	digits(t, 20, milli, 3);
	t[23] = 0x5a;
	return t;
}

/** `Date#toISOString` of `ms`, `undefined` outside Date's range; `seconds`: without the milliseconds. */
function isoInstant(ms: number, seconds: boolean): string | undefined {
	const t = formatInstant(ms, seconds);
	if (t !== undefined) return utf8(t, 0, t.length);
	const d = new Date(ms);
	if (Number.isNaN(d.getTime())) return undefined;
	const s = d.toISOString();
	return seconds ? `${s.slice(0, -5)}Z` : s;
}

function isoMillis(ms: number): string | undefined {
	return isoInstant(ms, false);
}

function isoSeconds(seconds: number): string | undefined {
	return isoInstant(seconds * 1000, true);
}

/** Starts as Date writes a year outside 0000–9999 (the only other layout its ISO strings have). */
function expandedYear(s: string): boolean {
	const c = s.charCodeAt(0);
	return c === 0x2b || c === 0x2d;
}

/** Digits at `s[at, at + width)` as a number, or -1 if any is not a digit. */
function readDigits(s: string, at: number, width: number): number {
	let v = 0;
	for (let i = at; i < at + width; i++) {
		const c = s.charCodeAt(i) - 0x30;
		if (c < 0 || c > 9) return -1;
		v = v * 10 + c;
	}
	return v;
}

function monthDays(y: number, m: number): number {
	if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
	return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * The day of `YYYY-MM-DD` when `s` is exactly how Date writes one (a real day of years 0000–9999), so
 * formatting it gives `s` back; `undefined` otherwise.
 */
function parseDay(s: string, whole = true): number | undefined {
	if ((whole && s.length !== 10) || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return undefined;
	const y = readDigits(s, 0, 4);
	const m = readDigits(s, 5, 2);
	const d = readDigits(s, 8, 2);
	if (y < 0 || m < 1 || m > 12 || d < 1 || d > monthDays(y, m)) return undefined;
	return daysFromCivil(y, m, d);
}

/**
 * The instant of `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ` when `s` is exactly how Date
 * writes one (the two forms packed), so formatting it gives `s` back; `undefined` otherwise.
 */
function parseInstant(s: string): number | undefined {
	const n = s.length;
	if ((n !== 20 && n !== 24) || s.charCodeAt(10) !== 0x54 || s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a || s.charCodeAt(n - 1) !== 0x5a) return undefined;
	const days = parseDay(s, false);
	if (days === undefined) return undefined;
	const h = readDigits(s, 11, 2);
	const mi = readDigits(s, 14, 2);
	const sec = readDigits(s, 17, 2);
	let milli = 0;
	if (n === 24) {
		if (s.charCodeAt(19) !== 0x2e) return undefined;
		milli = readDigits(s, 20, 3);
	}
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || milli < 0) return undefined;
	return days * DAY_MS + h * 3_600_000 + mi * 60_000 + sec * 1000 + milli;
}
