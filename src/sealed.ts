import { DecodeError } from "./errors.ts";
import { Reader, scratchWriter } from "./wire.ts";

/** Layout version of the sealed plaintext; 1 (no lineage) is refused, as such cookies may be forks of a login. */
const SEALED_FORMAT = 2;
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
}

/** `format ‖ lineage ‖ generation ‖ created ‖ since ‖ issued ‖ last seen ‖ absolute deadline ‖ codec bytes`, all inside the AEAD. */
export function encodeSealedPlaintext(header: SealedHeader, codecBytes: Uint8Array): Uint8Array {
	const w = scratchWriter();
	w.byte(SEALED_FORMAT);
	w.raw(header.lineage);
	w.varint(header.generation);
	w.zigzag(header.createdAt);
	w.zigzag(header.since);
	w.zigzag(header.issuedAt);
	w.zigzag(header.lastSeenAt);
	w.zigzag(header.absoluteExpiresAt);
	w.raw(codecBytes);
	return w.finish();
}

/** Splits an opened plaintext; null when it is not one we write (it was authenticated, so this means a format change). */
export function decodeSealedPlaintext(bytes: Uint8Array): { header: SealedHeader; codecBytes: Uint8Array } | null {
	try {
		const r = new Reader(bytes);
		if (r.byte() !== SEALED_FORMAT) return null;
		const lineage = new Uint8Array(LINEAGE_BYTES);
		for (let i = 0; i < LINEAGE_BYTES; i++) lineage[i] = r.byte();
		const header: SealedHeader = {
			lineage, generation: r.varint(), createdAt: r.zigzag(), since: r.zigzag(), issuedAt: r.zigzag(), lastSeenAt: r.zigzag(),
			absoluteExpiresAt: r.zigzag(),
		};
		return { header, codecBytes: bytes.slice(r.pos) };
	} catch (e) {
		if (e instanceof DecodeError) return null;
		throw e;
	}
}
