import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.p: promises cannot be stored";
export const define = (): unknown => defineSession({ data: z.object({ p: z.promise(z.string()).optional() }) });
