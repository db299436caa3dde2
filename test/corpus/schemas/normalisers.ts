import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Normalising string methods, in Zod's order relative to checks. */
export const data = z.object({
	username: z.string().trim().toLowerCase().min(3).max(20).regex(/^[a-z0-9_]+$/).optional(),
	shout: z.string().toUpperCase().max(10).optional(),
	nfc: z.string().normalize().max(12).optional(),
	nfkd: z.string().normalize("NFKD").optional(),
	checkedThenTrimmed: z.string().max(5).trim().optional(),
	email: z.email().trim().toLowerCase().optional(),
	site: z.url().optional(),
	httpSite: z.httpUrl().optional(),
});
export default defineSession({ data });
