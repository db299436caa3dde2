import type { SessionModel, TypeModel } from "../schema/model.ts";
import type { Lock } from "../schema/lock.ts";
import { compileObject, readObject, writeObject, type ObjectCodec, type Row } from "./codec-object.ts";
import { compileValue } from "./codec-value.ts";
import { NO_FLASH, NO_META, readSystem, SYSTEM_AUTH_ONLY_TAG, SYSTEM_NUMBER, writeSystem, type SessionMeta } from "./codec-system.ts";
import { DecodeError, InvalidDataError } from "./errors.ts";
import { deepFreeze } from "./freeze.ts";
import { compileObjectCheck, type Check } from "../schema/validate.ts";
import { borrowReader, releaseReader, scratchWriter, WIRE_BYTES, type Writer } from "./wire.ts";

/**
 * First byte of every encoded session. Format 2 packs strings by their format (uuid, hex, base64,
 * ISO dates); format 1 (written before) is still read, with the plain string forms.
 */
export const CODEC_FORMAT = 2;
/** The earlier format, still decoded. */
export const CODEC_FORMAT_PLAIN = 1;
/** Encoded sessions larger than this are refused on decode (a store never holds one we wrote). */
export const MAX_ENCODED_BYTES = 1 << 20;

/** Data, flash, library metadata and the names of fields that were reset to their initial value while decoding. */
export interface DecodedSession<D, F> {
	data: D;
	flash: Partial<F>;
	meta: SessionMeta;
	/** Dotted paths of fields whose stored value no longer fit the schema (type or bounds changed); shared and frozen when empty. */
	resets: readonly string[];
}

/** The compact, versioned binary form of one schema's session data. */
export interface SessionCodec<D, F> {
	/** Encodes validated data (and pending flash); throws `InvalidDataError` on data that does not fit. */
	encode(data: D, flash?: Partial<F>): Uint8Array;
	/** Decodes bytes into data that satisfies the schema (deeply frozen), or throws `DecodeError`. */
	decode(bytes: Uint8Array): D;
	/**
	 * Like `decode`, also returning flash and the fields reset by schema evolution. Values are not frozen:
	 * sessions freeze each one when a handler first reads it, so unread fields cost nothing. The encoded
	 * session may start at `start` and runs to the end of `bytes` (a sealed cookie's header comes first).
	 */
	decodeSession(bytes: Uint8Array, start?: number): DecodedSession<D, F>;
	/** Encodes without validating: for values that came through validated setters or `decode`. */
	encodeTrusted(data: D, flash: Partial<F> | undefined, meta?: SessionMeta): Uint8Array;
	/** `encodeTrusted`'s bytes appended to `w`: a caller that frames them (a sealed cookie's header first) needs no copy of its own. */
	writeTrusted(w: Writer, data: D, flash: Partial<F> | undefined, meta?: SessionMeta): void;
	/** A fresh session's data: every field at its initial value, deeply frozen. */
	initial(): D;
	/** Per-field checks and normalisers for the typed setters, when `sess generate` emitted them; else the manager compiles them from the model. */
	readonly fields?: FieldChecks;
}

/**
 * What the typed setters and `flash.set` run on an assigned value, per field: the normaliser (when Zod
 * would rewrite the value: trim, case, strip unknown keys, fill defaults), then the check (`null` when
 * the value may be stored, else the reason; a promoted text column's NUL rule included).
 */
export interface FieldChecks {
	data: ReadonlyMap<string, Check>;
	dataNormalizers: ReadonlyMap<string, (value: unknown) => unknown>;
	flash: ReadonlyMap<string, Check>;
	flashNormalizers: ReadonlyMap<string, (value: unknown) => unknown>;
}

const SYSTEM_TAG = (SYSTEM_NUMBER << 3) | WIRE_BYTES;

const NO_RESETS: readonly string[] = Object.freeze([]);
const scratchResets: string[] = [];

/** The list a decode pushes reset fields to: one shared list, emptied (decodes are synchronous). */
export function startResets(): string[] {
	// Almost always empty already (takeResets empties it): writing `length` is not free in JavaScriptCore.
	if (scratchResets.length !== 0) scratchResets.length = 0;
	return scratchResets;
}

/** What a decode reports as reset: its own copy of the list, or the shared empty one (most decodes reset nothing). */
export function takeResets(resets: string[]): readonly string[] {
	return resets.length === 0 ? NO_RESETS : resets.splice(0);
}

/** Compiles a codec for a model and its lock; everything per-field is resolved here, once. */
export function createCodec<D, F>(model: SessionModel, lock: Lock): SessionCodec<D, F> {
	const compile = (packed: boolean): { data: ObjectCodec; flash: ObjectCodec } => {
		const value = (t: TypeModel, p: string) => compileValue(t, p, lock, packed);
		return { data: compileObject(model.data, "data", lock, value), flash: compileObject(model.flash, "flash", lock, value) };
	};
	const { data, flash } = compile(true);
	// A schema with no packable string writes the same bytes in both formats: it keeps writing format 1.
	const format = JSON.stringify(model.data).includes('"pack":') || JSON.stringify(model.flash).includes('"pack":') ? CODEC_FORMAT : CODEC_FORMAT_PLAIN;
	// Bytes of the earlier format are rare after a deploy: compile their codec only when one shows up.
	let plain: { data: ObjectCodec; flash: ObjectCodec } | undefined;
	const checkData = compileObjectCheck(model.data);
	const checkFlash = compileObjectCheck(model.flash.map((f) => ({ ...f, optional: true })));

	function writeTrusted(w: Writer, value: D, pending: Partial<F> | undefined, meta?: SessionMeta): void {
		w.byte(format);
		writeSystem(w, flash, pending as Row | undefined, meta, format === CODEC_FORMAT);
		writeObject(w, data, value as Row);
	}

	function encodeTrusted(value: D, pending: Partial<F> | undefined, meta?: SessionMeta): Uint8Array {
		const w = scratchWriter();
		writeTrusted(w, value, pending, meta);
		return w.finish();
	}

	function decodeSession(bytes: Uint8Array, start = 0): DecodedSession<D, F> {
		if (!(bytes instanceof Uint8Array)) throw new DecodeError("expected bytes");
		if (bytes.length - start > MAX_ENCODED_BYTES) throw new DecodeError("encoded session too large");
		const first = bytes[start];
		if (bytes.length <= start || (first !== CODEC_FORMAT && first !== CODEC_FORMAT_PLAIN)) throw new DecodeError("unknown codec format");
		const codecs = first === CODEC_FORMAT || format === CODEC_FORMAT_PLAIN ? { data, flash } : (plain ??= compile(false));
		const r = borrowReader(bytes, start + 1);
		const resets = startResets();
		try {
			let system: { flash: Row; meta: SessionMeta } | undefined;
			// Fields come in number order, so the system frame (number 0) can only be first: one byte tells.
			if (bytes[start + 1] === SYSTEM_TAG) {
				r.pos = start + 2;
				const outer = r.enter();
				try {
					system = readSystem(r, (fr, rs) => readObject(fr, codecs.flash, "flash.", rs, true), resets);
				} finally {
					r.leave(outer);
				}
			} else if (first === CODEC_FORMAT && bytes[start + 1] === SYSTEM_AUTH_ONLY_TAG && bytes.length > start + 2) {
				r.pos = start + 2;
				system = { flash: NO_FLASH, meta: { authenticatedAt: r.zigzag() } };
			}
			const out = readObject(r, codecs.data, "", resets, false, system === undefined ? -1 : SYSTEM_NUMBER);
			return { data: out as D, flash: (system?.flash ?? NO_FLASH) as Partial<F>, meta: system?.meta ?? NO_META, resets: takeResets(resets) };
		} finally {
			releaseReader(r);
		}
	}

	return {
		encode(value, pending) {
			const problem = checkData(value);
			if (problem !== null) throw new InvalidDataError("data", problem);
			if (pending !== undefined) {
				const p = checkFlash(pending);
				if (p !== null) throw new InvalidDataError("flash", p);
			}
			return encodeTrusted(value, pending);
		},
		decode: (bytes) => deepFreeze(decodeSession(bytes).data),
		decodeSession,
		encodeTrusted,
		writeTrusted,
		initial() {
			const out: Row = {};
			for (const f of data.fields) if (f.initial !== undefined) out[f.name] = f.initial();
			return out as D;
		},
	};
}
