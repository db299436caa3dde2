import { DecodeError } from "./errors.ts";
import { Reader, scratchWriter } from "./wire.ts";

/** Layout version of the sealed plaintext: 2 writes the later times as deltas; 1 (absolute times) is still read. */
const SEALED_FORMAT = 2;
const SEALED_FORMAT_ABSOLUTE = 1;
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

/**
 * `format ‖ sid ‖ created ‖ issued − created ‖ last seen − issued ‖ absolute deadline − created ‖ codec
 * bytes`, all inside the AEAD; zigzag varints, so a fresh cookie's deltas take a byte or four, not six.
 */
export function encodeSealedPlaintext(header: SealedHeader, codecBytes: Uint8Array): Uint8Array {
	const w = scratchWriter();
	w.byte(SEALED_FORMAT);
	w.raw(header.sid);
	w.zigzag(header.createdAt);
	w.zigzag(header.issuedAt - header.createdAt);
	w.zigzag(header.lastSeenAt - header.issuedAt);
	w.zigzag(header.absoluteExpiresAt - header.createdAt);
	w.raw(codecBytes);
	return w.finish();
}

/** Splits an opened plaintext; null when it is not one we wrote (it was authenticated, so this means a format change). */
export function decodeSealedPlaintext(bytes: Uint8Array): { header: SealedHeader; codecBytes: Uint8Array } | null {
	try {
		const r = new Reader(bytes);
		const format = r.byte();
		if (format !== SEALED_FORMAT && format !== SEALED_FORMAT_ABSOLUTE) return null;
		const sid = new Uint8Array(SEALED_ID_BYTES);
		for (let i = 0; i < SEALED_ID_BYTES; i++) sid[i] = r.byte();
		const times = [r.zigzag(), r.zigzag(), r.zigzag(), r.zigzag()] as [number, number, number, number];
		if (format === SEALED_FORMAT) {
			times[1] += times[0];
			times[2] += times[1];
			times[3] += times[0];
			if (!times.every(Number.isSafeInteger)) return null;
		}
		const header = { sid, createdAt: times[0], issuedAt: times[1], lastSeenAt: times[2], absoluteExpiresAt: times[3] };
		return { header, codecBytes: bytes.slice(r.pos) };
	} catch (e) {
		if (e instanceof DecodeError) return null;
		throw e;
	}
}
