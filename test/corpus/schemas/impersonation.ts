import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Admin impersonation: who is really acting, and as whom. */
export const data = z.object({
	userId: z.uuid().optional().meta({ column: true, rotate: true }),
	impersonator: z
		.object({ adminId: z.uuid(), reason: z.string().min(3).max(200), startedAt: z.date(), readOnly: z.boolean().default(true) })
		.nullable()
		.default(null)
		.meta({ rotate: true }),
	auditTrail: z.array(z.tuple([z.date(), z.string().max(40)])).max(10).default([]),
});
export default defineSession({ data });
