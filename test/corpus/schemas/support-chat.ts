import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Support chat context. */
export const data = z.object({
	ticket: z.object({ id: z.ulid(), subject: z.string().max(120), priority: z.literal([1, 2, 3]) }).optional(),
	history: z.array(z.object({ from: z.enum(["user", "agent"]), text: z.string().max(500), at: z.date() })).max(20).default([]),
});
export default defineSession({ data });
