import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "nesting deeper than 8 levels";
export const define = (): unknown => defineSession({ data: (() => {
	let deep: z.ZodType = z.int().optional();
	for (let i = 0; i < 10; i++) deep = z.object({ n: deep }).optional();
	return z.object({ d: deep });
})() });
