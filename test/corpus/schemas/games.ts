import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** A game lobby: player, team and scores. */
export const data = z.object({
	player: z.object({ nick: z.string().normalize().min(2).max(16), avatar: z.emoji().optional() }).optional(),
	team: z.union([z.literal("red"), z.literal("blue")]).nullable().default(null),
	scores: z.array(z.tuple([z.int(), z.int()])).max(10).default([]),
	highScore: z.bigint().min(0n).default(0n),
});
export default defineSession({ data });
