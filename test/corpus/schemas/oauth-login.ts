import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** OAuth/OIDC login state: state, nonce, PKCE verifier, return URL. */
export const data = z.object({
	oauth: z
		.object({
			provider: z.enum(["google", "github", "microsoft"]),
			state: z.base64url().length(43),
			nonce: z.base64url().min(16).max(64),
			codeVerifier: z.string().regex(/^[A-Za-z0-9\-._~]{43,128}$/),
			returnTo: z.url({ protocol: /^https?$/ }).max(2000).optional(),
			startedAt: z.iso.datetime(),
		})
		.optional(),
	idToken: z.jwt().optional(),
});
export default defineSession({ data });
