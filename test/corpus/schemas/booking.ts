import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Travel booking: passengers and selected dates. */
export const data = z.object({
	trip: z
		.object({
			from: z.string().length(3).toUpperCase(),
			to: z.string().length(3).toUpperCase(),
			departure: z.iso.date(),
			return: z.iso.date().optional(),
			passengers: z.array(z.object({ name: z.string().min(1).max(60), age: z.int().min(0).max(120), seat: z.string().regex(/^\d{1,2}[A-F]$/).optional() })).min(1).max(9),
		})
		.optional(),
});
export default defineSession({ data });
