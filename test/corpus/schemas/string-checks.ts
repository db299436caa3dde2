import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** String checks Zod runs as code: includes, startsWith, endsWith; case patterns. */
export const data = z.object({
	ref: z.string().startsWith("ref_").max(20).optional(),
	file: z.string().endsWith(".pdf").optional(),
	tagged: z.string().includes("#", { position: 1 }).optional(),
	lower: z.string().lowercase().optional(),
	upper: z.string().uppercase().optional(),
	emojiName: z.string().min(1).max(3).optional(),
});
export default defineSession({ data });
