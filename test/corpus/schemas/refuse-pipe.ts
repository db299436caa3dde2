import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.n: .transform()/.pipe() cannot be reversed";
export const define = (): unknown => defineSession({ data: z.object({ n: z.string().pipe(z.coerce.number()).optional() }) });
