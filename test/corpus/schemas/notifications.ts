import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Notification prefs per channel with quiet hours. */
export const data = z.object({
	channels: z.record(z.string().max(10), z.boolean()).optional(),
	quietHours: z.tuple([z.iso.time(), z.iso.time()]).nullable().default(null),
	digest: z.enum(["off", "daily", "weekly"]).default("daily"),
});
export default defineSession({ data });
