import type { StringPacking } from "../schema/model.ts";
import { DecodeError } from "./errors.ts";
import { Reader, WIRE_BYTES } from "./wire.ts";
import type { ValueCodec } from "./value-codec.ts";

// Packed strings (codec format 2). Each is one length-delimited payload, so the field's wire type and
// lock shape stay those of a string. Only a value whose packed form gives back the exact same string
// is packed; anything else is written as its UTF-8 after a 0 flag byte (uuid: after no flag, since
// its packed form is the only 16-byte payload a uuid can have).

const PLAIN = 0;
const PACKED = 1;
/** ISO datetime at whole seconds (`2024-05-01T10:00:00Z`), stored as seconds. */
const PACKED_SECONDS = 2;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = /^(?:[0-9a-f]{2})*$/;
const DAY_MS = 86_400_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

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
					if (UUID.test(s)) w.bytes(hexToBytes(s.replace(/-/g, "")));
					else w.string(s);
				},
				read: (r) => {
					const b = r.bytes();
					if (b.length !== 16) return utf8(b);
					const h = bytesToHex(b);
					return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
				},
			};
		case "hex":
			return flagged((s) => (HEX.test(s) ? hexToBytes(s) : undefined), bytesToHex, fixedLength);
		case "base64":
			return flagged((s) => canonical(s, fromBase64, toBase64), toBase64, fixedLength);
		case "base64url":
			return flagged((s) => canonical(s, fromBase64Url, toBase64Url), toBase64Url, fixedLength);
		case "date":
			return flaggedInt(
				(s) => {
					const ms = Date.parse(`${s}T00:00:00Z`);
					return Number.isFinite(ms) && ms % DAY_MS === 0 && isoDay(ms / DAY_MS) === s ? [PACKED, ms / DAY_MS] : undefined;
				},
				(flag, n) => (flag === PACKED ? isoDay(n) : undefined),
			);
		case "datetime":
			return flaggedInt(
				(s) => {
					const ms = Date.parse(s);
					if (!Number.isFinite(ms)) return undefined;
					if (ms % 1000 === 0 && isoSeconds(ms / 1000) === s) return [PACKED_SECONDS, ms / 1000];
					return isoMillis(ms) === s ? [PACKED, ms] : undefined;
				},
				(flag, n) => (flag === PACKED ? isoMillis(n) : flag === PACKED_SECONDS ? isoSeconds(n) : undefined),
			);
	}
}

/** Payload `[0, utf8…]` or `[1, bytes…]`; with a fixed length n, `utf8` (n bytes) or `bytes` (fewer). */
function flagged(pack: (s: string) => Uint8Array | undefined, unpack: (b: Uint8Array) => string, fixedLength?: number): ValueCodec {
	if (fixedLength !== undefined && fixedLength > 0) {
		return {
			wire: WIRE_BYTES,
			write: (w, v) => {
				const s = v as string;
				const bytes = s.length === fixedLength ? pack(s) : undefined;
				if (bytes === undefined) w.string(s);
				else w.bytes(bytes);
			},
			read: (r) => {
				const b = r.bytes();
				return b.length === fixedLength ? utf8(b) : unpack(b);
			},
		};
	}
	return {
		wire: WIRE_BYTES,
		write: (w, v) => {
			const s = v as string;
			const bytes = pack(s);
			w.frame((f) => {
				if (bytes === undefined) {
					f.byte(PLAIN);
					f.raw(encoder.encode(s));
				} else {
					f.byte(PACKED);
					f.raw(bytes);
				}
			});
		},
		read: (r) => {
			const b = r.bytes();
			if (b.length === 0) throw new DecodeError("empty packed string");
			if (b[0] === PLAIN) return utf8(b.subarray(1));
			if (b[0] === PACKED) return unpack(b.subarray(1));
			throw new DecodeError("bad packed string flag");
		},
	};
}

/** Payload `[0, utf8…]` or `[flag, zigzag varint]`. */
function flaggedInt(pack: (s: string) => [number, number] | undefined, unpack: (flag: number, n: number) => string | undefined): ValueCodec {
	return {
		wire: WIRE_BYTES,
		write: (w, v) => {
			const s = v as string;
			const packed = pack(s);
			w.frame((f) => {
				if (packed === undefined) {
					f.byte(PLAIN);
					f.raw(encoder.encode(s));
				} else {
					f.byte(packed[0]);
					f.zigzag(packed[1]);
				}
			});
		},
		read: (r) => {
			const b = r.bytes();
			const sub = new Reader(b);
			const flag = sub.byte();
			if (flag === PLAIN) return utf8(b.subarray(1));
			const s = unpack(flag, sub.zigzag());
			if (s === undefined || !sub.done) throw new DecodeError("bad packed string");
			return s;
		},
	};
}

function utf8(b: Uint8Array): string {
	try {
		return decoder.decode(b);
	} catch {
		throw new DecodeError("invalid UTF-8");
	}
}

function canonical(s: string, decode: (s: string) => Uint8Array | undefined, encode: (b: Uint8Array) => string): Uint8Array | undefined {
	const b = decode(s);
	return b !== undefined && encode(b) === s ? b : undefined;
}

function isoDay(days: number): string | undefined {
	const d = new Date(days * DAY_MS);
	return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
}

function isoMillis(ms: number): string | undefined {
	const d = new Date(ms);
	return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function isoSeconds(seconds: number): string | undefined {
	const s = isoMillis(seconds * 1000);
	return s === undefined ? undefined : `${s.slice(0, -5)}Z`;
}

function hexToBytes(h: string): Uint8Array {
	const out = new Uint8Array(h.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
	return out;
}

function bytesToHex(b: Uint8Array): string {
	let s = "";
	for (const x of b) s += (x < 16 ? "0" : "") + x.toString(16);
	return s;
}

function fromBase64(s: string): Uint8Array | undefined {
	try {
		const bin = atob(s);
		const out = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
		return out;
	} catch {
		return undefined;
	}
}

function toBase64(b: Uint8Array): string {
	let bin = "";
	for (const x of b) bin += String.fromCharCode(x);
	return btoa(bin);
}

function fromBase64Url(s: string): Uint8Array | undefined {
	if (!/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
	return fromBase64(s.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(s.length / 4) * 4, "="));
}

function toBase64Url(b: Uint8Array): string {
	return toBase64(b).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
