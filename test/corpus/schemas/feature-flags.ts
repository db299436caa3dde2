import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Feature flags and A/B assignments. */
export const data = z.object({
	flags: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/).max(40), z.boolean()).default({}),
	experiments: z.record(z.string().max(40), z.object({ variant: z.enum(["control", "a", "b", "c"]), assignedAt: z.date() })).default({}),
	bucket: z.int().min(0).max(99).optional(),
});
export default defineSession({ data });
