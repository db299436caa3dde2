import { DecodeError } from "./errors.ts";
import type { Reader, Writer } from "./wire.ts";

/** Writes a bigint of any size as a frame holding its zigzag LEB128 varint (both codecs write it so). */
export function writeBigint(w: Writer, v: bigint): void {
	const at = w.begin();
	let z = v >= 0n ? v << 1n : (-v << 1n) - 1n;
	while (z >= 0x80n) {
		w.byte(Number(z & 0x7fn) | 0x80);
		z >>= 7n;
	}
	w.byte(Number(z));
	w.end(at);
}

/** Reads what `writeBigint` wrote; a non-canonical varint or trailing bytes are damage. */
export function readBigint(r: Reader): bigint {
	const outer = r.enter();
	try {
		let z = 0n;
		let shift = 0n;
		for (;;) {
			const b = r.byte();
			z |= BigInt(b & 0x7f) << shift;
			shift += 7n;
			if ((b & 0x80) === 0) {
				if (b === 0 && shift > 7n) throw new DecodeError("non-canonical varint");
				break;
			}
		}
		if (!r.done) throw new DecodeError("trailing bytes");
		return z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
	} finally {
		r.leave(outer);
	}
}
