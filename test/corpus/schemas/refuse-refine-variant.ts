import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.payment (variant \"card\").last4: a .refine()/.superRefine() rule";
export const define = (): unknown => defineSession({ data: z.object({ payment: z.discriminatedUnion("kind", [z.object({ kind: z.literal("card"), last4: z.string().refine((s) => s.length === 4) }), z.object({ kind: z.literal("invoice"), po: z.string() })]).optional() }) });
