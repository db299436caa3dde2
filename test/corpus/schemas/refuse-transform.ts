import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.name: .transform()/.pipe() cannot be reversed";
export const define = (): unknown => defineSession({ data: z.object({ name: z.string().transform((s) => s.trim()).optional() }) });
