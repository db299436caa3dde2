import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Checkout: optional shipping address and a discriminated payment method (the examples). */
export const data = z.object({
	shipping: z.object({ name: z.string().max(80), zip: z.string().max(10), country: z.string().length(2) }).optional(),
	payment: z
		.discriminatedUnion("kind", [
			z.object({ kind: z.literal("card"), last4: z.string().length(4), brand: z.enum(["visa", "mastercard", "amex"]) }),
			z.object({ kind: z.literal("invoice"), po: z.string().max(20) }),
			z.object({ kind: z.literal("wallet"), provider: z.enum(["apple", "google"]), token: z.base64url() }),
		])
		.optional(),
	step: z.enum(["cart", "shipping", "payment", "review"]).default("cart"),
});
export default defineSession({ data });
