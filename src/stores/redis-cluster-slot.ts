// The Redis Cluster key → slot function: CRC16 (XMODEM) of the key, or of its hash tag, modulo 16384.

/** Slots in a Redis Cluster. */
export const SLOTS = 16384;

const TABLE = (() => {
	const t = new Uint16Array(256);
	for (let i = 0; i < 256; i++) {
		let c = i << 8;
		for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
		t[i] = c;
	}
	return t;
})();

const encoder = new TextEncoder();

/** CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with. */
export function crc16(bytes: Uint8Array): number {
	let crc = 0;
	for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ b) & 0xff] as number);
	return crc;
}

/**
 * The part of a key Redis hashes: the text between the first `{` and the next `}` when that is not
 * empty (the hash tag), else the whole key. Keys sharing a tag share a slot, so one script may touch them.
 */
export function hashTagOf(key: string): string {
	const tag = tagRange(key);
	return tag.start === 0 ? key : key.slice(tag.start, tag.end);
}

/** The slot a key lives in. */
export function slotOf(key: string): number {
	const tag = tagRange(key);
	// ASCII (every key the stores make): the CRC over the char codes, which are the UTF-8 bytes, without
	// copying the tag out of the key or encoding it into a new buffer on every command the router sends.
	let crc = 0;
	for (let i = tag.start; i < tag.end; i++) {
		const c = key.charCodeAt(i);
		if (c > 0x7f) return crc16(encoder.encode(key.slice(tag.start, tag.end))) % SLOTS;
		crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ c) & 0xff] as number);
	}
	return crc % SLOTS;
}

/** Where `hashTagOf(key)` lies in the key, reused between calls: [start, end) of the tag, or the whole key. */
const RANGE = { start: 0, end: 0 };
function tagRange(key: string): { start: number; end: number } {
	const open = key.indexOf("{");
	const close = open === -1 ? -1 : key.indexOf("}", open + 1);
	if (close === -1 || close === open + 1) {
		RANGE.start = 0;
		RANGE.end = key.length;
	} else {
		RANGE.start = open + 1;
		RANGE.end = close;
	}
	return RANGE;
}

/**
 * `slotOf` that remembers the last hash tag it saw: a store's keys all start with the same tagged prefix,
 * and a key that starts with the text up to that tag's `}` has that tag (its first `{` and the next `}` are
 * there), so only a prefix is compared instead of finding and hashing the tag on every command.
 */
export class SlotCache {
	private prefix: string | null = null;
	private slot = 0;

	/** The slot of `key`. */
	of(key: string): number {
		if (this.prefix !== null && key.startsWith(this.prefix)) return this.slot;
		const slot = slotOf(key);
		// Only a real tag (not empty, which hashes the whole key) makes a prefix that decides the slot.
		const tag = tagRange(key);
		if (tag.start > 0) {
			this.prefix = key.slice(0, tag.end + 1);
			this.slot = slot;
		}
		return slot;
	}
}
