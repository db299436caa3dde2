import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Strict objects refuse unknown keys; plain ones strip them. */
export const data = z.object({
	strict: z.strictObject({ a: z.int() }).optional(),
	plain: z.object({ a: z.int() }).optional(),
	withDefault: z.object({ a: z.int().default(7), b: z.string().max(4).default("x") }).optional(),
});
export default defineSession({ data });
