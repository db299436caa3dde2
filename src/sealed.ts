import { DecodeError } from "./errors.ts";
import { Reader, scratchWriter } from "./wire.ts";

/** Layout version of the sealed plaintext. */
const SEALED_FORMAT = 1;
/** A sealed session's own random ID, so one device can be logged out without touching others. */
export const SEALED_ID_BYTES = 16;

/** What a sealed cookie authenticates besides the data; times are milliseconds since the epoch. */
export interface SealedHeader {
	sid: Uint8Array;
	createdAt: number;
	/** When this cookie's ID was issued (creation, regeneration or periodic rotation). */
	issuedAt: number;
	lastSeenAt: number;
	absoluteExpiresAt: number;
}

/** `format ‖ sid ‖ created ‖ issued ‖ last seen ‖ absolute deadline ‖ codec bytes`, all inside the AEAD. */
export function encodeSealedPlaintext(header: SealedHeader, codecBytes: Uint8Array): Uint8Array {
	const w = scratchWriter();
	w.byte(SEALED_FORMAT);
	w.raw(header.sid);
	w.zigzag(header.createdAt);
	w.zigzag(header.issuedAt);
	w.zigzag(header.lastSeenAt);
	w.zigzag(header.absoluteExpiresAt);
	w.raw(codecBytes);
	return w.finish();
}

/** Splits an opened plaintext; null when it is not one we wrote (it was authenticated, so this means a format change). */
export function decodeSealedPlaintext(bytes: Uint8Array): { header: SealedHeader; codecBytes: Uint8Array } | null {
	try {
		const r = new Reader(bytes);
		if (r.byte() !== SEALED_FORMAT) return null;
		const sid = new Uint8Array(SEALED_ID_BYTES);
		for (let i = 0; i < SEALED_ID_BYTES; i++) sid[i] = r.byte();
		const header = { sid, createdAt: r.zigzag(), issuedAt: r.zigzag(), lastSeenAt: r.zigzag(), absoluteExpiresAt: r.zigzag() };
		return { header, codecBytes: bytes.slice(r.pos) };
	} catch (e) {
		if (e instanceof DecodeError) return null;
		throw e;
	}
}
