import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Onboarding checklist with timestamps. */
export const data = z.object({
	checklist: z.object({
		profile: z.iso.datetime().nullable(),
		invite: z.iso.datetime().nullable(),
		billing: z.iso.datetime().nullable(),
	}),
	tourStep: z.int().min(0).max(20).default(0),
	completed: z.boolean().default(false),
});
export default defineSession({ data });
