import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** A uuid user id promoted to a column, rotating the session on change (the example). */
export const data = z.object({
	userId: z.uuid().optional().meta({ column: true, rotate: true }),
	email: z.email().optional().meta({ column: true }),
	ulid: z.ulid().optional().meta({ column: "request_ulid" }),
});
export default defineSession({ data });
