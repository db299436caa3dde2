import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Numbers: ints, 32-bit ints, floats with exclusive bounds. */
export const data = z.object({
	count: z.int().min(0).default(0),
	temp: z.number().gt(-273.15).lt(1e4).optional(),
	ratio: z.number().min(0).max(1).optional(),
	i32: z.int32().optional(),
	u32: z.uint32().optional(),
	f32: z.float32().optional(),
	positive: z.number().int().positive().optional(),
});
export default defineSession({ data });
