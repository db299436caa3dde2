import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/**
 * A checkout that runs sealed, with no `.max()` on strings whose format or pattern fixes their length (uuid,
 * ulid, nanoid, ipv4, E.164, ISO date and datetime, a code) and an email, which sealed mode bounds at RFC
 * 5321's 254 characters.
 */
export const data = z.object({
	userId: z.uuid().optional().meta({ identity: true }),
	email: z.email().trim().toLowerCase().optional(),
	orderId: z.ulid().optional(),
	idempotencyKey: z.nanoid().optional(),
	phone: z.e164().optional(),
	signupIp: z.ipv4().optional(),
	deliveryDate: z.iso.date().optional(),
	// Bounded by their patterns alone: a datetime at whole seconds, a voucher code.
	slotStart: z.iso.datetime({ precision: 0 }).optional(),
	voucher: z.string().regex(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/).optional(),
	cart: z.array(z.object({ sku: z.string().max(32), qty: z.int().min(1).max(99), price: z.number() })).max(10).default([]),
	payment: z
		.discriminatedUnion("kind", [
			z.object({ kind: z.literal("card"), last4: z.string().length(4) }),
			z.object({ kind: z.literal("invoice"), po: z.string().max(20) }),
		])
		.optional(),
});
export default defineSession({ data, sealed: true });
