import type { Reader, Writer } from "./wire.ts";

/** How one type is written and read in packed form (inside a tagged field, array, record or union). */
export interface ValueCodec {
	wire: number;
	write(w: Writer, v: unknown): void;
	read(r: Reader): unknown;
}
