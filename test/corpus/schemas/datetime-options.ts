import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** ISO datetime variants: offsets, local, precision. */
export const data = z.object({
	utc: z.iso.datetime().optional(),
	offset: z.iso.datetime({ offset: true }).optional(),
	local: z.iso.datetime({ local: true }).optional(),
	seconds: z.iso.datetime({ precision: 0 }).optional(),
	millis: z.iso.datetime({ precision: 3 }).optional(),
	time: z.iso.time({ precision: 0 }).optional(),
});
export default defineSession({ data });
