import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** A CMS editor's open documents and unsaved changes. */
export const data = z.object({
	userId: z.uuid().optional().meta({ column: true, rotate: true }),
	openDocs: z.array(z.object({ id: z.cuid2(), title: z.string().max(120), dirty: z.boolean() })).max(10).default([]),
	clipboard: z.union([z.object({ kind: z.literal("text"), text: z.string().max(1000) }), z.object({ kind: z.literal("block"), blockId: z.nanoid() })]).optional(),
});
export default defineSession({ data });
