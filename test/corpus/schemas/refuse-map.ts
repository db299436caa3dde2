import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.m: z.map() is not supported";
export const define = (): unknown => defineSession({ data: z.object({ m: z.map(z.string(), z.int()).optional() }) });
