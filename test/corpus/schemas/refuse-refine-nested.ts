import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.profile: a .refine()/.superRefine() rule";
export const define = (): unknown => defineSession({ data: z.object({ profile: z.object({ age: z.int() }).refine((p) => p.age > 17).optional() }) });
