import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** E-commerce cart with line items (the first example). */
export const data = z.object({
	cart: z.array(z.object({ sku: z.string().max(32), qty: z.int().min(1).max(99), price: z.number() })).max(50).default([]),
	currency: z.enum(["EUR", "USD", "GBP"]).default("EUR"),
	coupon: z.string().trim().toUpperCase().max(16).optional(),
});
export default defineSession({ data });
