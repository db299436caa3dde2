import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Objects nested several levels deep. */
export const data = z.object({
	a: z
		.object({
			b: z.object({
				c: z.object({ d: z.object({ e: z.array(z.object({ f: z.int().min(0).max(9) })).max(3) }) }),
			}),
		})
		.optional(),
	settings: z.object({ ui: z.object({ panels: z.array(z.string().max(8)).max(4), compact: z.boolean().default(false) }) }),
});
export default defineSession({ data });
