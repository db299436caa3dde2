import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.s: z.set() is not supported";
export const define = (): unknown => defineSession({ data: z.object({ s: z.set(z.string()).optional() }) });
