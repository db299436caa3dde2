// Schemas the emitted-vs-interpreted differential test runs over, beside the demo and test/corpus.
// Each exercises kinds and edge cases of the codec: nesting, unions whose options overlap, records,
// nullables at every level, dates in initial values, patterns, and evolution (retyped and dropped fields).
import * as z from "zod";
import { defineSession } from "../../schema/define.ts";
import type { SessionModel } from "../../schema/model.ts";

export interface TestSchema {
	name: string;
	model: SessionModel;
	/** The Zod object of the data, for benchmarks that compare with Zod. */
	zod?: z.ZodType;
	/** An earlier version of the schema: its bytes must decode the same way through both codecs. */
	before?: SessionModel;
}

const richData = z.strictObject({
	name: z.string().min(1).max(20).default("anon"),
	email: z.email().optional(),
	count: z.int().min(-1000).max(1000).default(0),
	big: z.int().optional(),
	score: z.number().min(0).max(1).default(0),
	ratio: z.number().optional(),
	active: z.boolean().default(false),
	role: z.enum(["guest", "user", "admin", "owner", "billing", "support"]).default("guest"),
	mode: z.literal(["on", "off"]).optional(),
	seen: z.date().optional(),
	tags: z.array(z.string().max(8)).max(5).default([]),
	points: z.array(z.int().min(0).max(1_000_000)).min(1).max(10).default([0]),
	profile: z.strictObject({
		city: z.string().max(30).default(""),
		zip: z.int().min(0).max(99_999).optional(),
		prefs: z.strictObject({ dark: z.boolean().default(false), lang: z.enum(["en", "fr"]).optional() }),
	}),
	scores: z.record(z.string().max(12), z.int()).default({}),
	nick: z.string().max(10).nullable().default(null),
	maybe: z.array(z.int().nullable()).max(4).default([]),
	value: z.union([z.string().max(5), z.int(), z.boolean()]).optional(),
	items: z.array(z.strictObject({ id: z.int().min(1).default(1), label: z.string().max(10).optional() })).max(3).default([]),
	shape: z.union([z.strictObject({ r: z.number().min(0).default(0) }), z.strictObject({ w: z.int().default(0), h: z.int().default(0) })]).optional(),
	when: z.date().nullable().optional(),
});
const rich = defineSession({
	data: richData,
	flash: z.strictObject({ message: z.string().max(500), level: z.enum(["info", "error"]) }),
});

const nestedData = z.object({
	born: z.date().default(new Date(1_000)),
	history: z.array(z.object({ at: z.date().default(new Date(5)), path: z.string().regex(/^\/[a-z0-9/]*$/).max(40).default("/") })).max(4).default([]),
	matrix: z.array(z.array(z.number().nullable()).max(3)).max(3).default([[1, null]]),
	byTeam: z.record(z.string().regex(/^[a-z]{1,8}$/), z.record(z.string().max(4), z.boolean())).default({ core: { ro: true } }),
	pair: z.object({ left: z.object({ n: z.int().default(1) }), right: z.object({ n: z.int().default(2) }).nullable() }),
	unions: z.array(z.union([z.string().max(3), z.array(z.int()).max(2)]).nullable()).max(3).default([]),
});
const nested = defineSession({
	data: nestedData,
});

// Options that overlap: a value written as the first option may be accepted by the second only.
const overlappingData = z.object({
	code: z.union([z.string().max(3), z.string().max(8)]).optional(),
	num: z.union([z.int().min(0).max(9), z.number()]).optional(),
	obj: z.union([z.strictObject({ a: z.int().default(0), b: z.int().default(0) }), z.strictObject({ a: z.int().default(0) })]).optional(),
	list: z.array(z.union([z.int().max(5), z.int().min(3)])).max(4).default([]),
});
const overlapping = defineSession({
	data: overlappingData,
});

const beforeData = z.object({
	plan: z.enum(["free", "pro", "team", "legacy"]).default("free"),
	seats: z.int().min(1).default(1),
	note: z.string().max(50).optional(),
	gone: z.boolean().default(false),
	limits: z.object({ daily: z.int().default(10), monthly: z.int().optional() }),
	tags: z.array(z.string()).max(5).default([]),
});
const before = defineSession({
	data: beforeData,
});
const afterData = z.object({
	plan: z.enum(["free", "pro", "team"]).default("free"), // "legacy" dropped: its wire number is a hole
	seats: z.string().max(4).default("1"), // retyped: old bytes reset the field
	note: z.string().max(10).optional(), // tighter bound: longer stored notes reset
	limits: z.object({ daily: z.int().min(5).default(10), monthly: z.string().optional() }), // nested retype
	tags: z.array(z.string().max(3)).max(2).default([]),
	added: z.int().default(7),
});
const after = defineSession({
	data: afterData,
});

export const TEST_SCHEMAS: TestSchema[] = [
	{ name: "rich", model: rich, zod: richData },
	{ name: "nested", model: nested, zod: nestedData },
	{ name: "overlapping unions", model: overlapping, zod: overlappingData },
	{ name: "evolved", model: after, before, zod: afterData },
	{ name: "empty", model: defineSession({ data: z.object({}) }) },
];
