import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Country, currency and phone normalisation. */
export const data = z.object({
	country: z.string().length(2).toUpperCase().default("US"),
	currency: z.string().regex(/^[A-Z]{3}$/).default("USD"),
	phone: z.e164().optional(),
	vatId: z.string().trim().toUpperCase().max(14).optional(),
});
export default defineSession({ data });
