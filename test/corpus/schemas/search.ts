import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Saved search filters. */
export const data = z.object({
	query: z.string().trim().max(200).default(""),
	filters: z.object({ minPrice: z.number().min(0).optional(), maxPrice: z.number().min(0).optional(), tags: z.array(z.string().max(20)).max(10).default([]) }),
	sort: z.enum(["relevance", "price_asc", "price_desc", "newest"]).default("relevance"),
	page: z.int().min(1).max(1000).default(1),
});
export default defineSession({ data });
