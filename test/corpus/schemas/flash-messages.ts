import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Flash messages of several kinds. */
export const data = z.object({ visits: z.int().min(0).default(0) });
export default defineSession({
	data,
	flash: z.object({
		notice: z.string().max(200),
		error: z.object({ code: z.enum(["E_AUTH", "E_FORM"]), fields: z.array(z.string().max(20)).max(5) }),
		undo: z.tuple([z.string().max(20), z.uuid()]),
	}),
});
