import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.slug: this normalising step";
export const define = (): unknown => defineSession({ data: z.object({ slug: z.string().slugify().optional() }) });
