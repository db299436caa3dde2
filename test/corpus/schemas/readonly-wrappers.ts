import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** .readonly() and defaults with nested objects. */
export const data = z.object({
	config: z.object({ a: z.int(), b: z.array(z.string().max(3)).readonly() }).readonly().default({ a: 1, b: ["x"] }),
	tags: z.array(z.string().max(10)).readonly().optional(),
});
export default defineSession({ data });
