import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** A small schema that can run sealed (stateless cookie). */
export const data = z.object({
	userId: z.uuid().optional().meta({ column: true, rotate: true }),
	role: z.enum(["guest", "user", "admin"]).default("guest").meta({ rotate: true }),
	cartIds: z.array(z.int().min(0).max(999999)).max(20).default([]),
	theme: z.enum(["light", "dark"]).optional(),
	csrf: z.base64url().length(43).optional(),
});
export default defineSession({ data, sealed: true });
