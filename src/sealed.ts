import { encodeHex } from "./crypto.ts";
import { DecodeError } from "./errors.ts";
import { Reader, scratchWriter, type Writer } from "./wire.ts";

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

function hexOf(lineage: Uint8Array): string {
	return toHex === undefined ? encodeHex(lineage) : toHex.call(lineage);
}

/** The runtime's own `Uint8Array.prototype.toHex` where it has one: one flat string, not sixteen concatenations. */
const toHex = (Uint8Array.prototype as { toHex?: (this: Uint8Array) => string }).toHex;

/**
 * `format ‖ lineage ‖ generation ‖ created ‖ since − created ‖ issued − created ‖ last seen − issued ‖
 * absolute deadline − created`, then the codec bytes, all inside the AEAD. Zigzag varints: a fresh
 * cookie's deltas take one to four bytes each instead of six.
 */
export function writeSealedHeader(w: Writer, header: SealedHeader): void {
	const created = header.createdAt;
	w.byte(SEALED_FORMAT);
	w.raw(header.lineage);
	w.varint(header.generation);
	w.zigzag(created);
	w.zigzag(header.since - created);
	w.zigzag(header.issuedAt - created);
	w.zigzag(header.lastSeenAt - header.issuedAt);
	w.zigzag(header.absoluteExpiresAt - created);
}

/** The shared writer, emptied, with the header written: the caller appends the codec bytes and seals `written()` at once. */
export function sealedPlaintextWriter(header: SealedHeader): Writer {
	const w = scratchWriter();
	writeSealedHeader(w, header);
	return w;
}

/**
 * The plaintext of a sealed cookie: the header, then `codecBytes`. Returns a view of a shared buffer, valid
 * until the next encode: the caller seals it at once (a copy per cookie would only be garbage).
 */
export function encodeSealedPlaintext(header: SealedHeader, codecBytes: Uint8Array): Uint8Array {
	const w = sealedPlaintextWriter(header);
	w.raw(codecBytes);
	return w.written();
}

/** An opened plaintext's header, and where its codec bytes start (they run to its end). */
export interface SealedPlaintext {
	header: SealedHeader;
	codecStart: number;
}

/**
 * Reads an opened plaintext's header; null when it is not one we write (it was authenticated, so this means
 * a format change). Cuts nothing out of `bytes`: a view of a just-made array costs JavaScriptCore more than
 * the rest of the header (it must first give the array a buffer of its own), so the codec reads from
 * `codecStart` and the lineage comes from `internLineage`.
 */
export function readSealedPlaintext(bytes: Uint8Array): SealedPlaintext | null {
	if (bytes.length < 1 + LINEAGE_BYTES) return null;
	const format = bytes[0];
	if (format !== SEALED_FORMAT && format !== SEALED_FORMAT_ABSOLUTE) return null;
	// One reader for every header: reading is synchronous, and it lets go of the bytes before returning.
	const r = headerReader;
	r.point(bytes, 1 + LINEAGE_BYTES, bytes.length);
	try {
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
		const lineage = internLineage(bytes, 1);
		// The hex in the literal: every load needs it, and a property added later would give headers two shapes.
		const header: SealedHeader = { lineage: lineage.bytes, generation, createdAt, since, issuedAt, lastSeenAt, absoluteExpiresAt, hex: lineage.hex };
		return { header, codecStart: r.pos };
	} catch (e) {
		if (e instanceof DecodeError) return null;
		throw e;
	} finally {
		r.point(NO_BYTES, 0, 0);
	}
}

/** `readSealedPlaintext` with the codec bytes cut out (tests and tools; the manager reads them in place). */
export function decodeSealedPlaintext(bytes: Uint8Array): { header: SealedHeader; codecBytes: Uint8Array } | null {
	const plain = readSealedPlaintext(bytes);
	return plain === null ? null : { header: plain.header, codecBytes: bytes.subarray(plain.codecStart) };
}

const NO_BYTES = new Uint8Array(0);
const headerReader = new Reader(NO_BYTES);

/** A lineage's bytes and hex, shared by every header of that login while it is cached. */
interface Lineage {
	/** Never written to: headers of several requests hold the same array. */
	readonly bytes: Uint8Array;
	readonly hex: string;
}

/**
 * Lineages of recent cookies, by their first four bytes (a full comparison settles a collision). The same
 * logins come back request after request, and each needs its lineage as bytes (to seal again) and as hex (its
 * revocation key, its ID): this gives both without a new array or string per request. It holds only what the
 * authenticated cookie said, never revocation state, so it cannot make a revoke late.
 */
const lineages = new Map<number, Lineage>();
const LINEAGES_CACHED = 4096;

/** The lineage written at `bytes[at, at + LINEAGE_BYTES)`, from the cache or else copied into it. */
function internLineage(bytes: Uint8Array, at: number): Lineage {
	const id = ((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
	const cached = lineages.get(id);
	if (cached !== undefined && sameLineage(cached.bytes, bytes, at)) return cached;
	const own = new Uint8Array(LINEAGE_BYTES);
	for (let i = 0; i < LINEAGE_BYTES; i++) own[i] = bytes[at + i] as number;
	const lineage: Lineage = { bytes: own, hex: hexOf(own) };
	// Cleared rather than evicted one by one: refilling costs one copy per login, and the bound is what matters.
	if (lineages.size >= LINEAGES_CACHED) lineages.clear();
	lineages.set(id, lineage);
	return lineage;
}

function sameLineage(a: Uint8Array, bytes: Uint8Array, at: number): boolean {
	for (let i = 0; i < LINEAGE_BYTES; i++) if (a[i] !== bytes[at + i]) return false;
	return true;
}
