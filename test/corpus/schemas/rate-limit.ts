import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Rate-limit counters kept in the session. */
export const data = z.object({
	counters: z.record(z.string().max(32), z.tuple([z.int().min(0), z.int().min(0)])).default({}),
	loginFailures: z.int().min(0).max(1000).default(0),
	lockedUntil: z.date().nullable().default(null),
});
export default defineSession({ data });
