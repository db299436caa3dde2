import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Discriminated payment methods, saved and selected. */
const method = z.discriminatedUnion("type", [
	z.object({ type: z.literal("card"), last4: z.string().regex(/^\d{4}$/), expMonth: z.int().min(1).max(12), expYear: z.int().min(2000).max(2100) }),
	z.object({ type: z.literal("sepa"), ibanLast4: z.string().length(4), mandate: z.string().max(35) }),
	z.object({ type: z.literal("paypal"), email: z.email() }),
]);
export const data = z.object({
	saved: z.array(method).max(5).default([]),
	selected: z.int().min(0).max(4).nullable().default(null),
});
export default defineSession({ data });
