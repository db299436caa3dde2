import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Device binding: IPs, user agent, fingerprint. */
export const data = z.object({
	ip: z.union([z.ipv4(), z.ipv6()]).optional(),
	network: z.union([z.cidrv4(), z.cidrv6()]).optional(),
	fingerprint: z.hex().length(64).optional(),
	userAgent: z.string().max(512).optional(),
});
export default defineSession({ data });
