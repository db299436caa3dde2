import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** nullable and optional anywhere: items, values, options. */
export const data = z.object({
	list: z.array(z.string().max(5).nullable()).max(5).default([]),
	sparse: z.array(z.int().optional()).max(5).default([]),
	map: z.record(z.string().max(5), z.boolean().nullable()).default({}),
	maybe: z.union([z.string().max(3), z.int()]).nullable().optional(),
	nested: z.object({ a: z.string().max(3).nullable(), b: z.int().optional() }).nullable().default(null),
});
export default defineSession({ data });
