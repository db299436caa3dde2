import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Literal unions of strings, numbers and booleans. */
export const data = z.object({
	level: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(1),
	answer: z.literal([true, "maybe"]).optional(),
	http: z.literal([200, 301, 404, 500]).optional(),
	mode: z.union([z.literal("a"), z.literal("b"), z.null()]).default(null),
	only: z.literal("v1"),
});
export default defineSession({ data });
