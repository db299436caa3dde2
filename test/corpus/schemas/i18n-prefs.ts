import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** i18n and UI preferences. */
export const data = z.object({
	locale: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/).default("en"),
	timeZone: z.string().max(64).default("UTC"),
	theme: z.enum(["system", "light", "dark"]).default("system"),
	fontScale: z.number().min(0.5).max(2).default(1),
	reducedMotion: z.boolean().default(false),
	dismissed: z.array(z.string().max(32)).max(30).default([]),
});
export default defineSession({ data });
