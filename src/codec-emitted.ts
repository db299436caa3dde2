import { DBSC_NUMBER, NO_FLASH, NO_META, readSystem, SYSTEM_AUTH_ONLY_TAG, writeDbsc, type SessionMeta } from "./codec-system.ts";
import { CODEC_FORMAT, MAX_ENCODED_BYTES, startResets, takeResets, type DecodedSession, type FieldChecks, type SessionCodec } from "./codec.ts";
import { DecodeError, InvalidDataError } from "./errors.ts";
import { deepFreeze } from "./freeze.ts";
import { borrowReader, Reader, releaseReader, scratchWriter, WIRE_BYTES, WIRE_VARINT, type Writer } from "./wire.ts";

/**
 * The per-schema functions `sess generate` emits. Each is straight-line code for one schema; this module
 * only adds the framing every codec shares (format byte, system frame, size limit), so emitted and
 * interpreted codecs write the same bytes.
 */
export interface EmittedCodecParts<D, F> {
	/** Writes the tagged data fields, in field-number order. */
	writeData(w: Writer, data: D): void;
	/** Reads the data fields after `after` (the system frame's number, or -1); pushes reset field names. */
	readData(r: Reader, resets: string[], after: number): Record<string, unknown>;
	/** `null` when the data satisfies the schema, else the reason (validation on encode). */
	checkData(data: unknown): string | null;
	writeFlash(w: Writer, flash: Partial<F>): void;
	/** Reads pending flash values (no initial values filled in); pushes `flash.<name>` for reset ones. */
	readFlash(r: Reader, resets: string[]): Record<string, unknown>;
	checkFlash(flash: unknown): string | null;
	/** A fresh session's data. */
	initial(): D;
	/** The format byte written: 2 when the schema has packed strings (uuid, hex, base64, ISO dates), else 1. */
	format?: 1 | 2;
	/** For format 2: readers of format-1 bytes (strings as plain UTF-8), written before the schema packed them. */
	readDataPlain?: (r: Reader, resets: string[], after: number) => Record<string, unknown>;
	readFlashPlain?: (r: Reader, resets: string[]) => Record<string, unknown>;
	/** The typed setters' per-field checks and normalisers, so the manager compiles none from the model. */
	fields?: FieldChecks;
}

// The system frame's layout; the same numbers as src/codec-system.ts (the differential test holds them equal).
const SYSTEM_NUMBER = 0;
const FLASH = 1;
const CSRF_SECRET = 2;
const AUTHENTICATED_AT = 3;
const SYSTEM_TAG = (SYSTEM_NUMBER << 3) | WIRE_BYTES;
/**
 * The format byte of the plain layout (strings as UTF-8). Format 2 only adds packed string forms (and
 * the short system field), so a schema without packed strings reads both alike.
 */
const PLAIN_FORMAT = 1;

/** Wraps emitted functions into a `SessionCodec` the session manager takes in place of `createCodec`'s. */
export function defineCodec<D, F>(parts: EmittedCodecParts<D, F>): SessionCodec<D, F> {
	const { writeData, readData, checkData, writeFlash, readFlash, checkFlash } = parts;
	const format = parts.format ?? PLAIN_FORMAT;
	const packed = format === CODEC_FORMAT;
	const readDataPlain = parts.readDataPlain ?? readData;
	const readFlashPlain = parts.readFlashPlain ?? readFlash;

	function writeTrusted(w: Writer, data: D, flash: Partial<F> | undefined, meta?: SessionMeta): void {
		w.byte(format);
		const hasFlash = flash !== undefined && hasAny(flash);
		if (packed && !hasFlash && meta?.csrfSecret === undefined && meta?.dbsc === undefined && meta?.authenticatedAt !== undefined) {
			// Format 2's short system field: the authentication time alone, without a frame (as codec-system writes it).
			w.byte(SYSTEM_AUTH_ONLY_TAG);
			w.zigzag(meta.authenticatedAt);
		} else if (hasFlash || meta?.csrfSecret !== undefined || meta?.authenticatedAt !== undefined || meta?.dbsc !== undefined) {
			w.byte(SYSTEM_TAG);
			const system = w.begin();
			if (hasFlash) {
				w.byte((FLASH << 3) | WIRE_BYTES);
				const at = w.begin();
				writeFlash(w, flash);
				w.end(at);
			}
			if (meta?.csrfSecret !== undefined) {
				w.byte((CSRF_SECRET << 3) | WIRE_BYTES);
				w.bytes(meta.csrfSecret);
			}
			if (meta?.authenticatedAt !== undefined) {
				w.byte((AUTHENTICATED_AT << 3) | WIRE_VARINT);
				w.zigzag(meta.authenticatedAt);
			}
			if (meta?.dbsc !== undefined) {
				w.byte((DBSC_NUMBER << 3) | WIRE_BYTES);
				const at = w.begin();
				writeDbsc(w, meta.dbsc);
				w.end(at);
			}
			w.end(system);
		}
		writeData(w, data);
	}

	function encodeTrusted(data: D, flash: Partial<F> | undefined, meta?: SessionMeta): Uint8Array {
		const w = scratchWriter();
		writeTrusted(w, data, flash, meta);
		return w.finish();
	}

	function decodeSession(bytes: Uint8Array, start = 0): DecodedSession<D, F> {
		if (!(bytes instanceof Uint8Array)) throw new DecodeError("expected bytes");
		if (bytes.length - start > MAX_ENCODED_BYTES) throw new DecodeError("encoded session too large");
		const first = bytes[start];
		if (bytes.length <= start || (first !== PLAIN_FORMAT && first !== CODEC_FORMAT)) throw new DecodeError("unknown codec format");
		// Bytes of the plain format, written before the schema packed its strings, read strings as UTF-8.
		const plain = packed && first === PLAIN_FORMAT;
		const r = borrowReader(bytes, start + 1);
		const resets = startResets();
		try {
			let flash: Partial<F> = NO_FLASH as Partial<F>;
			let meta: SessionMeta = NO_META;
			// Fields come in number order, so the system frame (number 0) can only be first: one byte tells.
			let hasSystem = bytes[start + 1] === SYSTEM_TAG;
			if (hasSystem) {
				r.pos = start + 2;
				const outer = r.enter();
				try {
					const system = readSystem(r, plain ? readFlashPlain : readFlash, resets);
					flash = system.flash as Partial<F>;
					meta = system.meta;
				} finally {
					r.leave(outer);
				}
			} else if (first === CODEC_FORMAT && bytes[start + 1] === SYSTEM_AUTH_ONLY_TAG && bytes.length > start + 2) {
				r.pos = start + 2;
				meta = { authenticatedAt: r.zigzag() };
				hasSystem = true;
			}
			const data = (plain ? readDataPlain : readData)(r, resets, hasSystem ? SYSTEM_NUMBER : -1) as D;
			return { data, flash, meta, resets: takeResets(resets) };
		} finally {
			releaseReader(r);
		}
	}

	return {
		encode(data, flash) {
			const problem = checkData(data);
			if (problem !== null) throw new InvalidDataError("data", problem);
			if (flash !== undefined) {
				const p = checkFlash(flash);
				if (p !== null) throw new InvalidDataError("flash", p);
			}
			return encodeTrusted(data, flash);
		},
		decode: (bytes) => deepFreeze(decodeSession(bytes).data),
		decodeSession,
		encodeTrusted,
		writeTrusted,
		initial: parts.initial,
		...(parts.fields === undefined ? {} : { fields: parts.fields }),
	};
}

function hasAny(row: object): boolean {
	for (const k in row) if ((row as Record<string, unknown>)[k] !== undefined) return true;
	return false;
}

/** Reads a value whose wire type does not match the field's: the field changed type since it was written. */
export function wireMismatch(): never {
	throw new DecodeError("wire type changed");
}

/**
 * After a field failed to read: a `DecodeError` rewinds to the field's start and skips it by its wire
 * type (so the caller can reset that one field); any other error is a bug and propagates.
 */
export function skipDamaged(r: Reader, at: number, wire: number, e: unknown): void {
	if (!(e instanceof DecodeError)) throw e;
	r.pos = at;
	r.skip(wire);
}

/** Thrown inside a nested value whose field no longer fits: the enclosing top-level field is reset. */
export function nestedChanged(): never {
	throw new DecodeError("nested field changed");
}

/** A boolean in packed form: 0 or 1, anything else is damage. */
export function readBoolean(r: Reader): boolean {
	const b = r.varint();
	if (b > 1) throw new DecodeError("boolean out of range");
	return b === 1;
}

/** A `Date` from zigzag milliseconds since the epoch. */
export function readDate(r: Reader): Date {
	const d = new Date(r.zigzag());
	if (Number.isNaN(d.getTime())) throw new DecodeError("date out of range");
	return d;
}

export { readBigint, writeBigint } from "./codec-bigint.ts";
export { packedString } from "./codec-packed.ts";

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An enum value from its wire number; numbers of values dropped from the schema are holes (`undefined`). */
export function readEnum<T extends string | number | boolean>(r: Reader, values: readonly (T | undefined)[]): T {
	const v = values[r.varint()];
	if (v === undefined) throw new DecodeError("enum value out of range");
	return v;
}

/** A plain object literal (not an array, Date, Map or class instance), as the interpreted validator tests it. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
	if (typeof v !== "object" || v === null) return false;
	const proto = Object.getPrototypeOf(v);
	return proto === Object.prototype || proto === null;
}
