import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Refused: the message names the field as the user writes it, says why, and what to write instead. */
export const refused = "data.tree.children[]: z.lazy() (recursion) cannot be stored";
export const define = (): unknown => defineSession({ data: (() => {
	const Node: z.ZodType = z.object({ children: z.array(z.lazy(() => Node)).default([]) });
	return z.object({ tree: Node.optional() });
})() });
