import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** z.bigint() of any size, and 64-bit bounds. */
export const data = z.object({
	balance: z.bigint().default(0n),
	snowflake: z.int64().optional(),
	unsigned: z.uint64().optional(),
	bounded: z.bigint().min(-5n).max(500n).optional(),
});
export default defineSession({ data });
