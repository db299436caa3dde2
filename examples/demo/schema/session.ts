import * as z from "zod";
import { defineSession } from "sess/schema";

export default defineSession({
	data: z.object({
		userId: z.string().min(1).max(64).optional().meta({ column: true, rotate: true }),
		role: z.enum(["guest", "user", "admin"]).default("guest").meta({ rotate: true }),
		cart: z.array(z.int().min(0)).max(50).default([]),
		theme: z.enum(["light", "dark"]).optional(),
	}),
	flash: z.object({
		message: z.string().max(500),
	}),
	// Every field is bounded and none is sensitive, so the demo can also run stateless (SESS_MODE=sealed).
	sealed: true,
});
