import * as z from "zod";
import { defineSession } from "../../../schema/define.ts";

/** Every Zod 4 string format. */
export const data = z.object({
	uuid: z.uuid().optional(),
	guid: z.guid().optional(),
	email: z.email().optional(),
	url: z.url().optional(),
	ulid: z.ulid().optional(),
	cuid: z.cuid().optional(),
	cuid2: z.cuid2().optional(),
	nanoid: z.nanoid().optional(),
	date: z.iso.date().optional(),
	datetime: z.iso.datetime().optional(),
	time: z.iso.time().optional(),
	duration: z.iso.duration().optional(),
	ipv4: z.ipv4().optional(),
	ipv6: z.ipv6().optional(),
	cidrv4: z.cidrv4().optional(),
	cidrv6: z.cidrv6().optional(),
	base64: z.base64().optional(),
	base64url: z.base64url().optional(),
	hex: z.hex().optional(),
	e164: z.e164().optional(),
	jwt: z.jwt().optional(),
	emoji: z.emoji().optional(),
	regex: z.string().regex(/^[A-Z]{3}-\d{3}$/).optional(),
});
export default defineSession({ data });
