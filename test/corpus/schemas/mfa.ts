import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** MFA step state. */
export const data = z.object({
	userId: z.uuid().optional().meta({ column: true, rotate: true }),
	mfa: z
		.discriminatedUnion("state", [
			z.object({ state: z.literal("none") }),
			z.object({ state: z.literal("pending"), method: z.enum(["totp", "sms", "webauthn"]), attempts: z.int().min(0).max(5), challenge: z.base64url().max(86).optional() }),
			z.object({ state: z.literal("verified"), method: z.enum(["totp", "sms", "webauthn"]), at: z.date() }),
		])
		.default({ state: "none" }),
	rememberDevice: z.boolean().default(false),
});
export default defineSession({ data });
