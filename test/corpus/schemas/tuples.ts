import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Tuples, with and without a rest element. */
export const data = z.object({
	point: z.tuple([z.number(), z.number()]).optional(),
	range: z.tuple([z.date(), z.date()]).nullable().default(null),
	path: z.tuple([z.string().max(10)], z.int()).optional(),
	rgb: z.tuple([z.int().min(0).max(255), z.int().min(0).max(255), z.int().min(0).max(255)]).default([0, 0, 0]),
});
export default defineSession({ data });
