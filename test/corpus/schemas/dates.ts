import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Dates with bounds. */
export const data = z.object({
	lastLogin: z.date().optional(),
	birthday: z.date().min(new Date("1900-01-01")).max(new Date("2030-01-01")).optional(),
	seen: z.array(z.date()).max(5).default([]),
});
export default defineSession({ data });
