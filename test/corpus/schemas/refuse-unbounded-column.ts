import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.nick: a promoted string needs a known maximum length";
export const define = (): unknown => defineSession({ data: z.object({ nick: z.string().optional().meta({ column: true }) }) });
