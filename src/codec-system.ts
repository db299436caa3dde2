import { writeObject, type ObjectCodec, type Row } from "./codec-object.ts";
import { DecodeError } from "./errors.ts";
import { Reader, WIRE_BYTES, WIRE_VARINT, Writer } from "./wire.ts";

/** What the library itself keeps in a session, beside the app's data. */
export interface SessionMeta {
	/** Secret behind the session's CSRF tokens (32 bytes). */
	csrfSecret?: Uint8Array;
	/** When the user last authenticated (the last regeneration), for re-authentication checks. */
	authenticatedAt?: number;
	/** Device Bound Session Credentials: the session identifier given to the browser and, once registered, its public key. */
	dbsc?: DbscBinding;
}

/** A session's DBSC state: pending (identifier only, registration header sent) or bound (key registered). */
export interface DbscBinding {
	/** The DBSC session identifier (random; never the session token). */
	id: string;
	alg?: "ES256" | "RS256";
	/** The registered public key, SubjectPublicKeyInfo DER. */
	key?: Uint8Array;
	/** When the key was registered (milliseconds since the epoch). */
	since?: number;
}

/** The meta of a session that has none: shared and frozen (sessions replace meta, never change it in place). */
export const NO_META: SessionMeta = Object.freeze({});
/** The flash of a session that has none: shared and frozen (a session copies it before its first change). */
export const NO_FLASH: Record<string, unknown> = Object.freeze({});

/** Field number 0 of the top-level message: the system frame, so app fields keep every number from 1 up. */
export const SYSTEM_NUMBER = 0;
const FLASH = 1;
const CSRF_SECRET = 2;
const AUTHENTICATED_AT = 3;
/** The system field holding the DBSC binding (a nested frame). */
export const DBSC_NUMBER = 4;
const DBSC = DBSC_NUMBER;
const DBSC_ID = 1;
const DBSC_ALG = 2;
const DBSC_KEY = 3;
const DBSC_SINCE = 4;
const DBSC_ALGS = ["ES256", "RS256"] as const;
const utf8 = new TextEncoder();
const text = new TextDecoder();
/** Length of a CSRF secret. */
export const CSRF_SECRET_BYTES = 32;

/** Tag of the short system field: the authentication time alone, as a zigzag varint (codec format 2). */
export const SYSTEM_AUTH_ONLY_TAG = (SYSTEM_NUMBER << 3) | WIRE_VARINT;

/**
 * Writes the system frame (flash and meta) if there is anything to write. `short`: when the
 * authentication time is all there is, write it as field 0 with wire type varint, without a frame.
 */
export function writeSystem(w: Writer, flash: ObjectCodec, pending: Row | undefined, meta: SessionMeta | undefined, short = false): void {
	const hasFlash = pending !== undefined && hasAny(pending);
	if (!hasFlash && meta?.csrfSecret === undefined && meta?.authenticatedAt === undefined && meta?.dbsc === undefined) return;
	if (short && !hasFlash && meta?.csrfSecret === undefined && meta?.dbsc === undefined && meta?.authenticatedAt !== undefined) {
		w.varint(SYSTEM_AUTH_ONLY_TAG);
		w.zigzag(meta.authenticatedAt);
		return;
	}
	w.varint((SYSTEM_NUMBER << 3) | WIRE_BYTES);
	w.frame((f) => {
		if (hasFlash) {
			f.varint((FLASH << 3) | WIRE_BYTES);
			f.frame((inner) => writeObject(inner, flash, pending));
		}
		if (meta?.csrfSecret !== undefined) {
			f.varint((CSRF_SECRET << 3) | WIRE_BYTES);
			f.bytes(meta.csrfSecret);
		}
		if (meta?.authenticatedAt !== undefined) {
			f.varint((AUTHENTICATED_AT << 3) | WIRE_VARINT);
			f.zigzag(meta.authenticatedAt);
		}
		const dbsc = meta?.dbsc;
		if (dbsc !== undefined) {
			f.varint((DBSC << 3) | WIRE_BYTES);
			f.frame((inner) => writeDbsc(inner, dbsc));
		}
	});
}

/** Reads pending flash values from their frame; the interpreted and the emitted codecs each bring theirs. */
export type FlashReader = (r: Reader, resets: string[]) => Row;

/** Reads a system frame; unknown system fields are skipped so newer writers stay readable. */
export function readSystem(r: Reader, readFlash: FlashReader, resets: string[]): { flash: Row; meta: SessionMeta } {
	const out: { flash: Row; meta: SessionMeta } = { flash: {}, meta: {} };
	let last = -1;
	while (!r.done) {
		const tag = r.varint();
		const number = Math.floor(tag / 8);
		const wire = tag % 8;
		if (number <= last) throw new DecodeError("system fields out of order");
		last = number;
		if (number === FLASH && wire === WIRE_BYTES) {
			const outer = r.enter();
			try {
				out.flash = readFlash(r, resets);
			} finally {
				r.leave(outer);
			}
		} else if (number === CSRF_SECRET && wire === WIRE_BYTES) {
			const secret = r.bytes();
			// A secret of the wrong size is dropped: the next csrfToken() call makes a new one.
			if (secret.length === CSRF_SECRET_BYTES) out.meta.csrfSecret = secret;
		} else if (number === AUTHENTICATED_AT && wire === WIRE_VARINT) out.meta.authenticatedAt = r.zigzag();
		else if (number === DBSC && wire === WIRE_BYTES) {
			const outer = r.enter();
			try {
				const dbsc = readDbsc(r);
				if (dbsc !== null) out.meta.dbsc = dbsc;
			} finally {
				r.leave(outer);
			}
		} else r.skip(wire);
	}
	return out;
}

/** Writes a binding's fields (the caller opens the frame); shared with emitted codecs. */
export function writeDbsc(w: Writer, dbsc: DbscBinding): void {
	w.varint((DBSC_ID << 3) | WIRE_BYTES);
	w.bytes(utf8.encode(dbsc.id));
	if (dbsc.alg !== undefined) {
		w.varint((DBSC_ALG << 3) | WIRE_VARINT);
		w.varint(DBSC_ALGS.indexOf(dbsc.alg) + 1);
	}
	if (dbsc.key !== undefined) {
		w.varint((DBSC_KEY << 3) | WIRE_BYTES);
		w.bytes(dbsc.key);
	}
	if (dbsc.since !== undefined) {
		w.varint((DBSC_SINCE << 3) | WIRE_VARINT);
		w.zigzag(dbsc.since);
	}
}

/** A binding without an identifier is dropped; a key under an algorithm this version does not know stays bound (and fails refresh) rather than fall back to unbound. */
export function readDbsc(r: Reader): DbscBinding | null {
	let id: string | undefined;
	let alg: DbscBinding["alg"];
	let key: Uint8Array | undefined;
	let since: number | undefined;
	while (!r.done) {
		const tag = r.varint();
		const number = Math.floor(tag / 8);
		const wire = tag % 8;
		if (number === DBSC_ID && wire === WIRE_BYTES) id = text.decode(r.bytes());
		else if (number === DBSC_ALG && wire === WIRE_VARINT) alg = DBSC_ALGS[r.varint() - 1];
		else if (number === DBSC_KEY && wire === WIRE_BYTES) key = r.bytes();
		else if (number === DBSC_SINCE && wire === WIRE_VARINT) since = r.zigzag();
		else r.skip(wire);
	}
	if (id === undefined || id.length === 0) return null;
	const binding: DbscBinding = { id };
	if (alg !== undefined) binding.alg = alg;
	if (key !== undefined) binding.key = key;
	if (since !== undefined) binding.since = since;
	return binding;
}

function hasAny(row: Row): boolean {
	for (const k in row) if (row[k] !== undefined) return true;
	return false;
}
