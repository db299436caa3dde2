import * as z from "zod";
import { defineSession } from "sess/schema";

export default defineSession({
	data: z.object({
		// Who is logged in: set from empty it is a login (the guest cart stays); another user starts afresh.
		userId: z.string().min(1).max(64).optional().meta({ column: true, identity: true }),
		role: z.enum(["guest", "user", "admin"]).default("guest").meta({ rotate: true }),
		cart: z.array(z.int().min(0)).max(50).default([]),
		// A device preference, not the user's: it stays when another user logs in on this browser.
		theme: z.enum(["light", "dark"]).optional().meta({ keepOnUserSwitch: true }),
	}),
	flash: z.object({
		message: z.string().max(500),
	}),
	// Every field is bounded and none is sensitive, so the demo can also run stateless (SESS_MODE=sealed).
	sealed: true,
});
