import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Multi-step form wizard with per-step answers. */
export const data = z.object({
	wizard: z
		.object({
			step: z.int().min(1).max(5),
			company: z.object({ name: z.string().trim().min(1).max(100), size: z.enum(["1-10", "11-50", "51-200", "200+"]) }).optional(),
			contact: z.object({ email: z.email(), phone: z.e164().optional() }).optional(),
			agreed: z.literal(true).optional(),
		})
		.optional(),
	drafts: z.record(z.string().max(20), z.string().max(500)).default({}),
});
export default defineSession({ data });
