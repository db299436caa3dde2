import { describe, expect, test } from "bun:test";
import * as z from "zod";
import { defineSession, type SessionDefinitionInput } from "../../schema/define.ts";
import type { Duration } from "../../schema/duration.ts";
import type { FieldModel, SessionModel, TypeModel } from "../../schema/model.ts";
import type { SessError, SessErrorCode } from "../../src/errors.ts";
import { failure } from "../helpers/failure.ts";

function expectError(fn: () => unknown, code: SessErrorCode, message: string | RegExp): SessError {
	const e = failure(fn);
	expect(e.code).toBe(code);
	if (typeof message === "string") expect(e.message).toContain(message);
	else expect(e.message).toMatch(message);
	return e;
}

const empty = z.object({});

function define(input: Partial<SessionDefinitionInput>): SessionModel {
	return defineSession({ data: empty, ...input });
}

/** The model of the only field of `data`. */
function only(shape: Record<string, z.ZodType>): FieldModel {
	const model = defineSession({ data: z.object(shape) });
	expect(model.data).toHaveLength(1);
	return model.data[0] as FieldModel;
}

function typeOf(schema: z.ZodType): TypeModel {
	return only({ f: schema }).type;
}

describe("defineSession()", () => {
	describe("defaults", () => {
		test("an empty schema gets the documented policy", () => {
			expect(define({})).toEqual({
				modelVersion: 1,
				data: [],
				flash: [],
				expiry: { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 },
				rotation: { everyMs: 15 * 60_000, graceMs: 30_000 },
				cookie: { name: "__Host-sid", sameSite: "lax", insecure: false },
				table: { name: "sessions", columns: [] },
				sealed: false,
			});
		});

		test("rejects data that is not a z.object", () => {
			expectError(() => defineSession({ data: z.string() }), "unsupported_schema", "data must be a z.object({...}); got z.string().");
		});

		test("rejects data that is not a Zod schema at all", () => {
			expectError(() => defineSession({ data: { userId: "string" } }), "unsupported_schema", "data must be a Zod 4 schema");
		});
	});

	describe("durations", () => {
		test.each([
			["1500ms", 1500],
			["2s", 2000],
			["30m", 1_800_000],
			["12h", 43_200_000],
			["1.5h", 5_400_000],
			[" 45 m ", 2_700_000],
			[90_000, 90_000],
		] as const)("accepts idle %p as %p ms", (idle, ms) => {
			expect(define({ expiry: { idle: idle as Duration, absolute: "1d" } }).expiry).toEqual({ idleMs: ms, absoluteMs: 86_400_000 });
		});

		test("accepts rotation durations as strings and numbers", () => {
			expect(define({ rotation: { every: "2s", grace: 1500 } }).rotation).toEqual({ everyMs: 2000, graceMs: 1500 });
		});

		test.each([
			["30 minutes"],
			["-5m"],
			["1e3ms"],
			["5"],
			["m"],
			[""],
			["12H"],
			[-1],
			[1.5],
			[Number.NaN],
			[Number.POSITIVE_INFINITY],
			["99999999999999d"],
		] as const)("rejects idle %p", (idle) => {
			const e = expectError(() => define({ expiry: { idle: idle as never } }), "invalid_config", "expiry.idle:");
			expect(e.message).toContain(`"${String(idle)}" is not a duration`);
		});

		test("names the setting that holds the bad duration", () => {
			expectError(() => define({ rotation: { grace: "soon" as never } }), "invalid_config", 'rotation.grace: "soon" is not a duration');
		});

		test("rejects a zero idle timeout", () => {
			expectError(() => define({ expiry: { idle: 0 } }), "invalid_config", "expiry.idle and expiry.absolute must be positive.");
		});

		test("rejects a zero rotation interval", () => {
			expectError(() => define({ rotation: { every: 0, grace: 0 } }), "invalid_config", "rotation.every must be positive.");
		});

		test("accepts idle equal to absolute", () => {
			expect(define({ expiry: { idle: "1h", absolute: "60m" } }).expiry).toEqual({ idleMs: 3_600_000, absoluteMs: 3_600_000 });
		});

		test("rejects idle longer than absolute", () => {
			expectError(() => define({ expiry: { idle: "13h" } }), "invalid_config", "expiry.idle must not exceed expiry.absolute.");
		});

		test("accepts grace just under every", () => {
			expect(define({ rotation: { every: "1m", grace: "59s" } }).rotation).toEqual({ everyMs: 60_000, graceMs: 59_000 });
		});

		test("rejects grace equal to every", () => {
			expectError(() => define({ rotation: { every: "1m", grace: "60s" } }), "invalid_config", "rotation.grace must be shorter than rotation.every.");
		});

		test("rejects grace longer than every", () => {
			expectError(() => define({ rotation: { every: "10s", grace: "30s" } }), "invalid_config", "rotation.grace must be shorter than rotation.every.");
		});
	});

	describe("cookie", () => {
		test("accepts a custom __Host- name and strict SameSite", () => {
			expect(define({ cookie: { name: "__Host-app", sameSite: "strict" } }).cookie).toEqual({ name: "__Host-app", sameSite: "strict", insecure: false });
		});

		test("rejects a name without __Host- when not insecure", () => {
			expectError(() => define({ cookie: { name: "sid" } }), "invalid_config", 'cookie.name "sid" must start with "__Host-"');
		});

		test("rejects a __Secure- name (it does not pin Path=/ and the host)", () => {
			expectError(() => define({ cookie: { name: "__Secure-sid" } }), "invalid_config", 'must start with "__Host-"');
		});

		test("rejects a lower-case __host- name (browsers only honour the exact prefix)", () => {
			expectError(() => define({ cookie: { name: "__host-sid" } }), "invalid_config", 'must start with "__Host-"');
		});

		test("insecure defaults the name to sid", () => {
			expect(define({ cookie: { insecure: true } }).cookie).toEqual({ name: "sid", sameSite: "lax", insecure: true });
		});

		test("rejects insecure with a __Host- name", () => {
			expectError(() => define({ cookie: { insecure: true, name: "__Host-sid" } }), "invalid_config", "the __Host-/__Secure- prefixes need Secure");
		});

		test("rejects insecure with a __host- name in any case", () => {
			expectError(() => define({ cookie: { insecure: true, name: "__HOST-sid" } }), "invalid_config", "the __Host-/__Secure- prefixes need Secure");
		});

		test("accepts SameSite none over HTTPS", () => {
			expect(define({ cookie: { sameSite: "none" } }).cookie).toEqual({ name: "__Host-sid", sameSite: "none", insecure: false });
		});

		test("rejects insecure with SameSite none", () => {
			expectError(() => define({ cookie: { insecure: true, sameSite: "none" } }), "invalid_config", 'cookie.sameSite "none" requires Secure');
		});

		test("rejects an unknown SameSite value", () => {
			expectError(() => define({ cookie: { sameSite: "loose" as never } }), "invalid_config", 'cookie.sameSite must be "lax", "strict" or "none".');
		});

		test("rejects a cookie name that is not an RFC 6265 token", () => {
			expectError(() => define({ cookie: { name: "__Host-s id" } }), "invalid_config", 'cookie.name "__Host-s id" is not a valid cookie name');
		});
	});

	describe("table", () => {
		test("accepts a custom snake_case table name", () => {
			expect(define({ table: "app_sessions" }).table).toEqual({ name: "app_sessions", columns: [] });
		});

		test("rejects a table name that is not a plain SQL identifier", () => {
			expectError(() => define({ table: "Sessions; DROP" }), "invalid_config", 'table "Sessions; DROP" must match');
		});
	});

	describe(".meta() flags", () => {
		const flags = { column: true, rotate: true, sensitive: true } as const;

		test("reads meta placed before .optional()", () => {
			expect(only({ userId: z.string().max(64).meta(flags).optional() })).toEqual({
				name: "userId",
				type: { kind: "string", maxLength: 64 },
				optional: true,
				column: "user_id",
				rotate: true,
				sensitive: true,
			});
		});

		test("reads meta placed after .optional()", () => {
			expect(only({ userId: z.string().max(64).optional().meta(flags) })).toEqual({
				name: "userId",
				type: { kind: "string", maxLength: 64 },
				optional: true,
				column: "user_id",
				rotate: true,
				sensitive: true,
			});
		});

		test("reads meta placed before .default()", () => {
			expect(only({ role: z.enum(["a", "bb"]).meta({ column: "role_col", rotate: true }).default("a") })).toEqual({
				name: "role",
				type: { kind: "enum", values: ["a", "bb"] },
				optional: false,
				initial: "a",
				column: "role_col",
				rotate: true,
			});
		});

		test("reads meta placed after .default()", () => {
			expect(only({ role: z.enum(["a", "bb"]).default("a").meta({ column: "role_col", rotate: true }) })).toEqual({
				name: "role",
				type: { kind: "enum", values: ["a", "bb"] },
				optional: false,
				initial: "a",
				column: "role_col",
				rotate: true,
			});
		});

		test("keeps meta placed before a later check", () => {
			expect(only({ s: z.string().meta({ sensitive: true }).max(5).optional() })).toEqual({
				name: "s",
				type: { kind: "string", maxLength: 5 },
				optional: true,
				sensitive: true,
			});
		});

		test("a field without meta carries no flags", () => {
			const field = only({ s: z.string().max(5).optional() });
			expect(field).toEqual({ name: "s", type: { kind: "string", maxLength: 5 }, optional: true });
			expect("column" in field || "rotate" in field || "sensitive" in field).toBe(false);
		});

		test("column: false and rotate: false set nothing", () => {
			expect(only({ s: z.string().max(5).optional().meta({ column: false, rotate: false, sensitive: false }) })).toEqual({
				name: "s",
				type: { kind: "string", maxLength: 5 },
				optional: true,
			});
		});

		test("rejects column on a field of a nested object", () => {
			expectError(
				() => defineSession({ data: z.object({ device: z.object({ os: z.string().max(9).default("").meta({ column: true }) }) }) }),
				"unsupported_schema",
				"data.device.os: column and rotate apply to top-level fields only.",
			);
		});

		test("rejects rotate on a field of a nested object", () => {
			expectError(
				() => defineSession({ data: z.object({ device: z.object({ os: z.string().default("").meta({ rotate: true }) }) }) }),
				"unsupported_schema",
				"data.device.os: column and rotate apply to top-level fields only.",
			);
		});

		// Flags inside nullable objects, array elements, record values and union options were once ignored.
		test("rejects column on a field of a nullable nested object", () => {
			expectError(
				() => defineSession({ data: z.object({ device: z.object({ os: z.string().max(9).default("").meta({ column: true }) }).nullable().default(null) }) }),
				"unsupported_schema",
				"column and rotate apply to top-level fields only.",
			);
		});

		test("rejects rotate on a field of an array element object", () => {
			expectError(
				() => defineSession({ data: z.object({ items: z.array(z.object({ id: z.int().default(0).meta({ rotate: true }) })).default([]) }) }),
				"unsupported_schema",
				"column and rotate apply to top-level fields only.",
			);
		});

		test("sensitive is allowed on nested fields", () => {
			const field = only({ device: z.object({ os: z.string().default("").meta({ sensitive: true }) }) });
			expect(field.type).toEqual({ kind: "object", fields: [{ name: "os", type: { kind: "string" }, optional: false, initial: "", sensitive: true }] });
		});
	});

	describe("columns", () => {
		test("names a promoted field in snake_case", () => {
			const model = defineSession({ data: z.object({ userId: z.string().max(64).optional().meta({ column: true }) }) });
			expect(model.data[0]?.column).toBe("user_id");
			expect(model.table.columns).toEqual([{ name: "user_id", field: "userId", type: "text", maxLength: 64 }]);
		});

		test("snake-cases acronyms and digits", () => {
			const model = defineSession({
				data: z.object({
					tenantID: z.int().optional().meta({ column: true }),
					area51Code: z.int().optional().meta({ column: true }),
				}),
			});
			expect(model.table.columns.map((c) => c.name)).toEqual(["tenant_id", "area51_code"]);
		});

		test("uses a custom column name", () => {
			const model = defineSession({ data: z.object({ userId: z.string().max(64).optional().meta({ column: "uid" }) }) });
			expect(model.table.columns).toEqual([{ name: "uid", field: "userId", type: "text", maxLength: 64 }]);
		});

		test("maps enums, ints, booleans and nullable strings to column types", () => {
			const model = defineSession({
				data: z.object({
					role: z.enum(["guest", "admin"]).default("guest").meta({ column: true }),
					tenant: z.int().optional().meta({ column: true }),
					staff: z.boolean().default(false).meta({ column: true }),
					email: z.string().max(255).nullable().default(null).meta({ column: true }),
				}),
			});
			expect(model.table.columns).toEqual([
				{ name: "role", field: "role", type: "text", maxLength: 5 },
				{ name: "tenant", field: "tenant", type: "integer" },
				{ name: "staff", field: "staff", type: "boolean" },
				{ name: "email", field: "email", type: "text", maxLength: 255 },
			]);
		});

		test("rejects an invalid custom column name", () => {
			expectError(
				() => defineSession({ data: z.object({ userId: z.string().max(64).optional().meta({ column: "User Id" }) }) }),
				"unsupported_schema",
				'data.userId: column name "User Id" must match',
			);
		});

		test("rejects an empty custom column name", () => {
			expectError(
				() => defineSession({ data: z.object({ userId: z.string().max(64).optional().meta({ column: "" }) }) }),
				"unsupported_schema",
				'data.userId: column name "" must match',
			);
		});

		test("rejects a column that collides with the fixed id column", () => {
			expectError(
				() => defineSession({ data: z.object({ userId: z.string().max(64).optional().meta({ column: "id" }) }) }),
				"unsupported_schema",
				'data.userId: column name "id" is already taken',
			);
		});

		test("rejects a field whose snake_case name collides with a fixed column", () => {
			expectError(
				() => defineSession({ data: z.object({ rotatedAt: z.int().optional().meta({ column: true }) }) }),
				"unsupported_schema",
				'data.rotatedAt: column name "rotated_at" is already taken',
			);
		});

		test("rejects two fields promoted to the same column", () => {
			expectError(
				() =>
					defineSession({
						data: z.object({
							userId: z.string().max(64).optional().meta({ column: true }),
							user_id: z.string().max(64).optional().meta({ column: true }),
						}),
					}),
				"unsupported_schema",
				'data.user_id: column name "user_id" is already taken',
			);
		});

		test("rejects a promoted string without a max length", () => {
			expectError(
				() => defineSession({ data: z.object({ email: z.string().optional().meta({ column: true }) }) }),
				"unsupported_schema",
				"data.email: a promoted string needs a known maximum length so every dialect can index it; add .max(n) with n ≤ 255",
			);
		});

		test("accepts a promoted string with max 255", () => {
			const model = defineSession({ data: z.object({ email: z.string().max(255).optional().meta({ column: true }) }) });
			expect(model.table.columns).toEqual([{ name: "email", field: "email", type: "text", maxLength: 255 }]);
		});

		test("a promoted string takes its bound from a format that fixes one", () => {
			const model = defineSession({ data: z.object({ ip: z.ipv4().optional().meta({ column: true }), key: z.nanoid().optional().meta({ column: true }), phone: z.e164().optional().meta({ column: true }) }) });
			expect(model.table.columns.map((c) => [c.name, c.maxLength])).toEqual([["ip", 15], ["key", 21], ["phone", 16]]);
		});

		test("rejects a promoted string with max 256", () => {
			expectError(
				() => defineSession({ data: z.object({ email: z.string().max(256).optional().meta({ column: true }) }) }),
				"unsupported_schema",
				"data.email: a promoted string needs a known maximum length so every dialect can index it; add .max(n) with n ≤ 255",
			);
		});

		test("rejects a promoted object", () => {
			expectError(
				() => defineSession({ data: z.object({ gear: z.object({ os: z.string().default("") }).meta({ column: true }) }) }),
				"unsupported_schema",
				"data.gear: only strings, enums and literal unions, integers and booleans can be promoted to columns",
			);
		});

		test("rejects a promoted float", () => {
			expectError(
				() => defineSession({ data: z.object({ score: z.number().optional().meta({ column: true }) }) }),
				"unsupported_schema",
				"data.score: only strings, enums and literal unions, integers and booleans can be promoted to columns",
			);
		});
	});

	describe("unsupported constructs", () => {
		test.each([
			["z.promise", () => z.promise(z.string()).optional(), "data.f: promises cannot be stored in a session; await the value and store it."],
			["z.map", () => z.map(z.string(), z.string()).optional(), "data.f: z.map() is not supported; use z.record(z.string(), ...)"],
			["z.set", () => z.set(z.string()).optional(), "data.f: z.set() is not supported; use z.array(...) instead."],
			["z.symbol", () => z.symbol().optional(), "data.f: z.symbol() is not supported in session data;"],
			["z.any", () => z.any(), "data.f: z.any() has no shape to validate or encode"],
			["z.unknown", () => z.unknown(), "data.f: z.unknown() has no shape to validate or encode"],
			["z.record with enum keys", () => z.record(z.enum(["a"]), z.int()), "data.f: only z.record(z.string(), ...) is supported"],
			[".transform()", () => z.string().transform((s) => s.length).optional(), "data.f: .transform()/.pipe() cannot be reversed for storage"],
			[".pipe()", () => z.string().pipe(z.string().max(3)).optional(), "data.f: .transform()/.pipe() cannot be reversed for storage"],
			[".refine()", () => z.string().refine((s) => s.length > 2).optional(), "data.f: a .refine()/.superRefine() rule cannot be checked by the generated code"],
			[".superRefine() on an object", () => z.object({ a: z.int() }).superRefine(() => undefined).optional(), "data.f: a .refine()/.superRefine() rule"],
			[".refine() outside .optional()", () => z.object({ a: z.int() }).optional().refine(() => true), "data.f: a .refine()/.superRefine() rule"],
			[".slugify()", () => z.string().slugify().optional(), "data.f: this normalising step (.slugify() or a custom one)"],
			[".multipleOf()", () => z.int().multipleOf(5).optional(), "data.f: .multipleOf()/.step() is not supported"],
			["z.looseObject", () => z.looseObject({ a: z.int() }).optional(), "data.f: z.looseObject()/.catchall() would keep keys"],
			["a default inside an array", () => z.array(z.string().default("x")).default([]), "data.f[]: .default() is only supported on object fields"],
			["an optional tuple item", () => z.tuple([z.string(), z.int().optional()]).optional(), "data.f[1]: optional tuple items are not supported"],
			["a required string without a default", () => z.string(), "data.f needs a .default(...) or .optional()"],
			["a required int without a default", () => z.int(), "data.f needs a .default(...) or .optional()"],
			["a required array with min 1 and no default", () => z.array(z.int()).min(1), "data.f needs a .default(...) or .optional()"],
		] as const)("rejects %s", (_label, make, message) => {
			expectError(() => defineSession({ data: z.object({ f: make() }) }), "unsupported_schema", message);
		});

		test("rejects a function schema", () => {
			const fn = (z as unknown as { function(): { optional(): z.ZodType } }).function();
			expectError(() => defineSession({ data: z.object({ f: fn.optional() }) }), "unsupported_schema", "data.f: functions cannot be stored in a session");
		});

		test("names the full path of a construct nested in objects and arrays", () => {
			expectError(
				() => defineSession({ data: z.object({ prefs: z.object({ list: z.array(z.symbol()).default([]) }) }) }),
				"unsupported_schema",
				"data.prefs.list[]: z.symbol() is not supported in session data",
			);
		});

		test("names a discriminated union's variant by its literal, never by an index", () => {
			const e = expectError(
				() =>
					defineSession({
						data: z.object({
							payment: z
								.discriminatedUnion("kind", [
									z.object({ kind: z.literal("card"), last4: z.string().length(4).refine((s) => /^\d+$/.test(s)) }),
									z.object({ kind: z.literal("invoice"), po: z.string().max(20) }),
								])
								.optional(),
						}),
					}),
				"unsupported_schema",
				'data.payment (variant "card").last4: a .refine()/.superRefine() rule',
			);
			expect(e.message).not.toContain("|");
			expect(e.message).not.toContain("custom");
		});

		test("names a plain union's option by its position", () => {
			expectError(
				() => defineSession({ data: z.object({ v: z.union([z.string(), z.object({ a: z.symbol() })]).optional() }) }),
				"unsupported_schema",
				"data.v (option 2).a: z.symbol() is not supported",
			);
		});

		test("names flash paths with flash.", () => {
			expectError(
				() => defineSession({ data: empty, flash: z.object({ m: z.map(z.string(), z.string()) }) }),
				"unsupported_schema",
				"flash.m: z.map() is not supported",
			);
		});

		test("rejects z.lazy recursion", () => {
			const Node: z.ZodType = z.object({ children: z.array(z.lazy(() => Node)).default([]) });
			expectError(
				() => defineSession({ data: z.object({ tree: Node.optional() }) }),
				"unsupported_schema",
				"data.tree.children[]: z.lazy() (recursion) cannot be stored",
			);
		});

		test("rejects getter recursion", () => {
			const Node = z.object({
				name: z.string().default(""),
				get next(): z.ZodOptional<typeof Node> {
					return Node.optional();
				},
			});
			expectError(() => defineSession({ data: z.object({ tree: Node.optional() }) }), "unsupported_schema", "data.tree.next: a recursive schema cannot be stored");
		});

		test("rejects nesting deeper than 8 levels", () => {
			let deep: z.ZodType = z.int().optional();
			for (let i = 0; i < 10; i++) deep = z.object({ n: deep }).optional();
			expectError(() => defineSession({ data: z.object({ d: deep }) }), "unsupported_schema", "nesting deeper than 8 levels");
		});

		test("accepts nesting of 8 levels", () => {
			let deep: z.ZodType = z.int().optional();
			for (let i = 0; i < 7; i++) deep = z.object({ n: deep }).optional();
			expect(defineSession({ data: z.object({ d: deep }) }).data).toHaveLength(1);
		});

		test("rejects a field name that is not an identifier", () => {
			expectError(() => defineSession({ data: z.object({ "user-id": z.string().optional() }) }), "unsupported_schema", "data.user-id: field names must be identifiers");
		});
	});

	describe("reserved names", () => {
		test.each([["flash"], ["destroy"], ["regenerate"], ["isNew"], ["toJSON"], ["expiresAt"]])("rejects a data field named %s", (name) => {
			expectError(
				() => defineSession({ data: z.object({ [name]: z.string().optional() }) }),
				"unsupported_schema",
				`data.${name}: the name is used by the generated Session class; rename the field.`,
			);
		});

		test("accepts a name that merely starts with a reserved one", () => {
			expect(only({ flashMessage: z.string().optional() }).name).toBe("flashMessage");
		});
	});

	describe("defaults and initial values", () => {
		test("rejects a default longer than its own max", () => {
			expectError(
				() => defineSession({ data: z.object({ s: z.string().max(3).default("toolong") }) }),
				"unsupported_schema",
				"the default does not satisfy the field's own schema (expected at most 3 characters).",
			);
		});

		test("rejects a default outside its own enum", () => {
			expectError(
				() => defineSession({ data: z.object({ role: z.enum(["a", "b"]).default("c" as never) }) }),
				"unsupported_schema",
				'the default does not satisfy the field\'s own schema (expected "a" | "b").',
			);
		});

		test("rejects a nested default that violates the nested field's schema", () => {
			expectError(
				() => defineSession({ data: z.object({ o: z.object({ a: z.string().max(1).default("xx") }) }) }),
				"unsupported_schema",
				"the default does not satisfy the field's own schema (.a: expected at most 1 character).",
			);
		});

		test("names the field of a bad default as data.<field>, like every other schema error", () => {
			expectError(() => defineSession({ data: z.object({ s: z.string().max(3).default("toolong") }) }), "unsupported_schema", /^data\.s: /);
		});

		test("accepts a default that satisfies its schema", () => {
			expect(only({ s: z.string().max(3).default("abc") })).toEqual({ name: "s", type: { kind: "string", maxLength: 3 }, optional: false, initial: "abc" });
		});

		test("rejects a default that is not plain data", () => {
			expectError(() => defineSession({ data: z.object({ n: z.number().default(Number.NaN) }) }), "unsupported_schema", "data.n: the default value must be plain data (JSON, Date or bigint).");
		});

		test("stores a Date default as {$date}", () => {
			expect(only({ d: z.date().default(new Date(1_700_000_000_000)) })).toEqual({ name: "d", type: { kind: "date" }, optional: false, initial: { $date: 1_700_000_000_000 } });
		});

		test("a required nullable starts as null", () => {
			expect(only({ n: z.string().nullable() })).toEqual({ name: "n", type: { kind: "nullable", inner: { kind: "string" } }, optional: false, initial: null, synthesised: true });
		});

		test("a required object starts with its fields' initials", () => {
			expect(only({ o: z.object({ a: z.int().default(2), b: z.string().optional(), c: z.array(z.int()) }) })).toEqual({
				name: "o",
				type: {
					kind: "object",
					fields: [
						{ name: "a", type: { kind: "int" }, optional: false, initial: 2 },
						{ name: "b", type: { kind: "string" }, optional: true },
						{ name: "c", type: { kind: "array", element: { kind: "int" } }, optional: false, initial: [], synthesised: true },
					],
				},
				optional: false,
				initial: { a: 2, c: [] },
				synthesised: true,
			});
		});

		test("rejects a required object with a field that has no initial", () => {
			expectError(() => defineSession({ data: z.object({ o: z.object({ a: z.int() }) }) }), "unsupported_schema", "data.o.a needs a .default(...) or .optional()");
		});

		test("flash fields are all optional and have no initial, whatever the schema says", () => {
			const model = defineSession({ data: empty, flash: z.object({ message: z.string().max(500).default("hi"), count: z.int() }) });
			expect(model.flash).toEqual([
				{ name: "message", type: { kind: "string", maxLength: 500 }, optional: true },
				{ name: "count", type: { kind: "int" }, optional: true },
			]);
		});

		test(".default() under .optional() still makes the field required with an initial", () => {
			expect(only({ s: z.string().default("x").optional() })).toEqual({ name: "s", type: { kind: "string" }, optional: false, initial: "x" });
		});
	});

	describe("type models", () => {
		test("string bounds", () => {
			expect(typeOf(z.string().min(2).max(10).optional())).toEqual({ kind: "string", minLength: 2, maxLength: 10 });
		});

		test("the tighter of repeated string bounds wins", () => {
			expect(typeOf(z.string().max(10).max(4).min(1).min(2).optional())).toEqual({ kind: "string", minLength: 2, maxLength: 4 });
		});

		test("string exact length", () => {
			expect(typeOf(z.string().length(5).optional())).toEqual({ kind: "string", minLength: 5, maxLength: 5 });
		});

		test("z.email() becomes a pattern that accepts addresses and rejects others", () => {
			const type = typeOf(z.email().optional());
			expect(type.kind).toBe("string");
			const patterns = type.kind === "string" ? (type.patterns ?? []) : [];
			expect(patterns).toHaveLength(1);
			const [source, flags] = patterns[0] ?? ["", ""];
			expect(source).toBe(z.regexes.email.source);
			const re = new RegExp(source, flags);
			expect(re.test("ada@example.com")).toBe(true);
			expect(re.test("not an email")).toBe(false);
		});

		test("z.uuid() becomes a pattern", () => {
			const type = typeOf(z.uuid().optional());
			const [source, flags] = (type.kind === "string" ? type.patterns?.[0] : undefined) ?? ["", ""];
			expect(new RegExp(source, flags).test("3b241101-e2bb-4255-8caf-4136c566a962")).toBe(true);
			expect(new RegExp(source, flags).test("3b241101-e2bb-4255-8caf-4136c566a96")).toBe(false);
		});

		test("a regex keeps its flags except g", () => {
			expect(typeOf(z.string().regex(/^a+$/gi).optional())).toEqual({ kind: "string", patterns: [["^a+$", "i"]] });
		});

		test("int bounds", () => {
			expect(typeOf(z.int().min(-5).max(10).optional())).toEqual({ kind: "int", min: -5, max: 10 });
		});

		test("exclusive int bounds become the next integers", () => {
			expect(typeOf(z.int().gt(0).lt(10).optional())).toEqual({ kind: "int", min: 1, max: 9 });
		});

		test("z.int32() and z.uint32() carry their ranges", () => {
			expect(typeOf(z.int32().optional())).toEqual({ kind: "int", min: -(2 ** 31), max: 2 ** 31 - 1 });
			expect(typeOf(z.uint32().optional())).toEqual({ kind: "int", min: 0, max: 2 ** 32 - 1 });
		});

		test("z.number().int() is an int", () => {
			expect(typeOf(z.number().int().nonnegative().optional())).toEqual({ kind: "int", min: 0 });
		});

		// A bound declared before .int() used to be nudged as a float (min 5e-324).
		test("z.number().positive().int() has integer bound min 1", () => {
			expect(typeOf(z.number().positive().int().optional())).toEqual({ kind: "int", min: 1 });
		});

		test("float bounds", () => {
			expect(typeOf(z.number().min(0.5).max(2.5).optional())).toEqual({ kind: "float", min: 0.5, max: 2.5 });
		});

		test("an exclusive float lower bound is the next double up", () => {
			expect(typeOf(z.number().gt(1).optional())).toEqual({ kind: "float", min: 1 + Number.EPSILON });
			expect(typeOf(z.number().positive().optional())).toEqual({ kind: "float", min: Number.MIN_VALUE });
		});

		// x ± EPSILON·|x| is not the adjacent double next to a power of two (the spacing halves below it).
		test("an exclusive float upper bound is the next double down", () => {
			expect(typeOf(z.number().lt(1).optional())).toEqual({ kind: "float", max: 1 - 2 ** -53 });
			expect(typeOf(z.number().gt(-1).optional())).toEqual({ kind: "float", min: -1 + 2 ** -53 });
			expect(typeOf(z.number().negative().optional())).toEqual({ kind: "float", max: -Number.MIN_VALUE });
		});

		test("an exclusive float bound admits exactly what Zod admits at the edge", () => {
			const schema = z.number().lt(0.1);
			const type = typeOf(schema.optional());
			const max = type.kind === "float" ? (type.max ?? Number.NaN) : Number.NaN;
			expect(max < 0.1).toBe(true);
			expect(schema.safeParse(max).success).toBe(true);
			// The next double up from max is 0.1 itself, which Zod rejects.
			const f = new Float64Array([max]);
			const bits = new BigInt64Array(f.buffer);
			bits[0] = (bits[0] as bigint) + 1n;
			expect(f[0]).toBe(0.1);
		});

		test("boolean, date", () => {
			expect(typeOf(z.boolean().optional())).toEqual({ kind: "boolean" });
			expect(typeOf(z.date().optional())).toEqual({ kind: "date" });
		});

		test("enum", () => {
			expect(typeOf(z.enum(["guest", "user"]).optional())).toEqual({ kind: "enum", values: ["guest", "user"] });
		});

		test("string literals become enums", () => {
			expect(typeOf(z.literal("on").optional())).toEqual({ kind: "enum", values: ["on"] });
			expect(typeOf(z.literal(["a", "b"]).optional())).toEqual({ kind: "enum", values: ["a", "b"] });
		});

		test("a union of enums and literals merges into one enum", () => {
			expect(typeOf(z.union([z.enum(["a", "b"]), z.literal("c"), z.literal("a")]).optional())).toEqual({ kind: "enum", values: ["a", "b", "c"] });
		});

		test("array bounds", () => {
			expect(typeOf(z.array(z.int()).min(1).max(5).default([1]))).toEqual({ kind: "array", element: { kind: "int" }, minItems: 1, maxItems: 5 });
			expect(typeOf(z.array(z.string()).length(2).optional())).toEqual({ kind: "array", element: { kind: "string" }, minItems: 2, maxItems: 2 });
		});

		test("nested object", () => {
			expect(typeOf(z.object({ os: z.string().max(9).optional(), n: z.int().default(0) }).optional())).toEqual({
				kind: "object",
				fields: [
					{ name: "os", type: { kind: "string", maxLength: 9 }, optional: true },
					{ name: "n", type: { kind: "int" }, optional: false, initial: 0 },
				],
			});
		});

		test("record", () => {
			expect(typeOf(z.record(z.string(), z.int().min(0)).optional())).toEqual({ kind: "record", key: { kind: "string" }, value: { kind: "int", min: 0 } });
		});

		test("record key bounds and formats are kept", () => {
			expect(typeOf(z.record(z.string().min(1).max(3).regex(/^[a-z]+$/), z.boolean()).optional())).toEqual({
				kind: "record",
				key: { kind: "string", minLength: 1, maxLength: 3, patterns: [["^[a-z]+$", ""]] },
				value: { kind: "boolean" },
			});
		});

		test("rejects a record key check the codec cannot verify", () => {
			expectError(() => defineSession({ data: z.object({ r: z.record(z.string().trim(), z.int()).optional() }) }), "unsupported_schema", "data.r (key): a record key cannot be normalised");
		});

		test("nullable, outside and inside an array", () => {
			expect(typeOf(z.string().nullable().optional())).toEqual({ kind: "nullable", inner: { kind: "string" } });
			expect(typeOf(z.array(z.int().nullable()).optional())).toEqual({ kind: "array", element: { kind: "nullable", inner: { kind: "int" } } });
		});

		test("union", () => {
			expect(typeOf(z.union([z.string().max(3), z.int(), z.boolean()]).optional())).toEqual({
				kind: "union",
				options: [{ kind: "string", maxLength: 3 }, { kind: "int" }, { kind: "boolean" }],
			});
		});

		test(".readonly() changes nothing", () => {
			expect(typeOf(z.array(z.int()).readonly().optional())).toEqual({ kind: "array", element: { kind: "int" } });
		});
	});

	describe("JSON", () => {
		test("the model survives a JSON round trip unchanged", () => {
			const model = defineSession({
				data: z.object({
					userId: z.string().min(1).max(64).optional().meta({ column: true, rotate: true }),
					email: z.email().optional().meta({ sensitive: true }),
					role: z.enum(["guest", "admin"]).default("guest"),
					score: z.number().gt(0).lt(1).default(0.5),
					seen: z.date().default(new Date(86_400_000)),
					cart: z.array(z.int().min(0)).max(50).default([1, 2]),
					prefs: z.object({ dark: z.boolean().default(false), tags: z.record(z.string(), z.string()).default({ a: "b" }) }),
					nick: z.string().nullable().default(null),
					value: z.union([z.string(), z.int()]).optional(),
				}),
				flash: z.object({ message: z.string().max(500) }),
				expiry: { idle: "10m", absolute: "1d" },
				cookie: { sameSite: "strict" },
				table: "app_sessions",
			});
			const copy: unknown = JSON.parse(JSON.stringify(model));
			expect(copy).toEqual(model);
			expect(JSON.stringify(copy)).toBe(JSON.stringify(model));
		});

		test("the model holds no functions, RegExps, Dates or undefined values", () => {
			const model = defineSession({
				data: z.object({ e: z.email().optional(), d: z.date().default(new Date(0)), s: z.string().regex(/x/).optional() }),
			});
			const bad: string[] = [];
			const walk = (v: unknown, path: string): void => {
				if (v === undefined || typeof v === "function" || v instanceof RegExp || v instanceof Date) bad.push(path);
				else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
				else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
			};
			walk(model, "model");
			expect(bad).toEqual([]);
		});
	});
});
