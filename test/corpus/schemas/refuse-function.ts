import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.cb: functions cannot be stored";
export const define = (): unknown => defineSession({ data: z.object({ cb: (z as unknown as { function(): { optional(): z.ZodType } }).function().optional() }) });
