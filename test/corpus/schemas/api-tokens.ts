import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** API tokens and refresh tokens kept server-side (sensitive). */
export const data = z.object({
	accessToken: z.jwt({ alg: "RS256" }).optional().meta({ sensitive: true }),
	refreshToken: z.base64().max(512).optional().meta({ sensitive: true }),
	tokenExpiresAt: z.iso.datetime().optional(),
	scopes: z.array(z.enum(["read", "write", "admin"])).max(3).default([]),
});
export default defineSession({ data });
