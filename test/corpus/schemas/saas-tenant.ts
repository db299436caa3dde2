import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** SaaS multi-tenant: org, user, roles. */
export const data = z.object({
	orgId: z.uuid().optional().meta({ column: true }),
	userId: z.uuid().optional().meta({ column: true, rotate: true }),
	roles: z.array(z.enum(["owner", "admin", "member", "billing", "viewer"])).max(5).default([]),
	orgs: z.array(z.object({ id: z.uuid(), name: z.string().min(1).max(60), role: z.enum(["owner", "admin", "member"]) })).max(20).default([]),
	plan: z.union([z.literal("free"), z.literal("pro"), z.literal("enterprise")]).default("free"),
});
export default defineSession({ data });
