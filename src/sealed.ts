import { encodeHex } from "./crypto.ts";
import { DecodeError } from "./errors.ts";
import { Reader, scratchWriter } from "./wire.ts";

/**
 * Layout version of the sealed plaintext: 3 writes the later times as deltas from the creation time; 2 (the
 * same fields, absolute times) is still read, so cookies sealed before a deploy keep working. 1 (no lineage)
 * is refused, as such cookies may be forks of a login.
 */
const SEALED_FORMAT = 3;
const SEALED_FORMAT_ABSOLUTE = 2;
/** A login's own random ID, so one device can be logged out without touching others. */
export const LINEAGE_BYTES = 16;

/** What a sealed cookie authenticates besides the data; times are milliseconds since the epoch. */
export interface SealedHeader {
	/** The login every cookie of this session descends from (kept by rotation, touch and resealing). */
	lineage: Uint8Array;
	/** Which rotation of the lineage this cookie is (0 at login); the server keeps the newest. */
	generation: number;
	createdAt: number;
	/** When the lineage began (login, regeneration, or the device kept by revoke-others): what per-user revocation compares. */
	since: number;
	/** When this cookie's generation was issued (creation, regeneration or periodic rotation). */
	issuedAt: number;
	lastSeenAt: number;
	absoluteExpiresAt: number;
	/** The lineage in hex, once computed (`lineageHex()`); never written to the cookie. */
	hex?: string;
}

/** The lineage in hex: every sealed request needs it (row ID, revocation key), so it is computed once per header. */
export function lineageHex(header: SealedHeader): string {
	return (header.hex ??= hexOf(header.lineage));
}

/** The same header a later time last seen (a touch): a literal of the one shape, not a spread. */
export function seenAt(header: SealedHeader, lastSeenAt: number): SealedHeader {
	return {
		lineage: header.lineage, generation: header.generation, createdAt: header.createdAt, since: header.since, issuedAt: header.issuedAt,
		lastSeenAt, absoluteExpiresAt: header.absoluteExpiresAt, hex: lineageHex(header),
	};
}

function hexOf(lineage: Uint8Array): string {
	return toHex === undefined ? encodeHex(lineage) : toHex.call(lineage);
}

/** The runtime's own `Uint8Array.prototype.toHex` where it has one: one flat string, not sixteen concatenations. */
const toHex = (Uint8Array.prototype as { toHex?: (this: Uint8Array) => string }).toHex;

/**
 * `format ‖ lineage ‖ generation ‖ created ‖ since − created ‖ issued − created ‖ last seen − issued ‖
 * absolute deadline − created ‖ codec bytes`, all inside the AEAD. Zigzag varints: a fresh cookie's deltas
 * take one to four bytes each instead of six. Returns a view of a shared buffer, valid until the next encode:
 * the caller seals it at once (a copy per cookie would only be garbage).
 */
export function encodeSealedPlaintext(header: SealedHeader, codecBytes: Uint8Array): Uint8Array {
	const w = scratchWriter();
	const created = header.createdAt;
	w.byte(SEALED_FORMAT);
	w.raw(header.lineage);
	w.varint(header.generation);
	w.zigzag(created);
	w.zigzag(header.since - created);
	w.zigzag(header.issuedAt - created);
	w.zigzag(header.lastSeenAt - header.issuedAt);
	w.zigzag(header.absoluteExpiresAt - created);
	w.raw(codecBytes);
	return w.written();
}

/** Splits an opened plaintext; null when it is not one we write (it was authenticated, so this means a format change). */
export function decodeSealedPlaintext(bytes: Uint8Array): { header: SealedHeader; codecBytes: Uint8Array } | null {
	try {
		const r = new Reader(bytes);
		const format = r.byte();
		if (format !== SEALED_FORMAT && format !== SEALED_FORMAT_ABSOLUTE) return null;
		if (bytes.length < 1 + LINEAGE_BYTES) return null;
		// Views, not copies: the opened plaintext is this request's own and nothing writes to it.
		const lineage = bytes.subarray(1, 1 + LINEAGE_BYTES);
		r.pos = 1 + LINEAGE_BYTES;
		const generation = r.varint();
		const createdAt = r.zigzag();
		let since = r.zigzag();
		let issuedAt = r.zigzag();
		let lastSeenAt = r.zigzag();
		let absoluteExpiresAt = r.zigzag();
		if (format === SEALED_FORMAT) {
			since += createdAt;
			issuedAt += createdAt;
			lastSeenAt += issuedAt;
			absoluteExpiresAt += createdAt;
			if (!Number.isSafeInteger(since) || !Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(lastSeenAt) || !Number.isSafeInteger(absoluteExpiresAt)) return null;
		}
		// The hex now, in the literal: every load needs it, and a property added later would give headers two shapes.
		const header: SealedHeader = { lineage, generation, createdAt, since, issuedAt, lastSeenAt, absoluteExpiresAt, hex: hexOf(lineage) };
		return { header, codecBytes: bytes.subarray(r.pos) };
	} catch (e) {
		if (e instanceof DecodeError) return null;
		throw e;
	}
}
