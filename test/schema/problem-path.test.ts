import { describe, expect, test } from "bun:test";
import * as fc from "fast-check";
import * as z from "zod";
import { createCodec } from "sess";
import { defineSession } from "sess/schema";
import { InvalidDataError } from "../../schema/errors.ts";
import { problemAt } from "../../schema/problem-path.ts";
import { createLock, updateLock } from "../../generator/lock.ts";

describe("problemAt: a nested problem names the field as the user writes it", () => {
	test.each([
		["data", ".cart: [1]: expected at least 0", "data.cart[1]: expected at least 0"],
		["data.cart", "[0]: .sku: expected a string", "data.cart[0].sku: expected a string"],
		["data.payment", '(variant "card").last4: expected 4 characters', 'data.payment (variant "card").last4: expected 4 characters'],
		["data", '.payment: (variant "card") expected an object', 'data.payment (variant "card"): expected an object'],
		["data", '.prefs: key "toolong": expected at most 3 characters', 'data.prefs (key "toolong"): expected at most 3 characters'],
		["data", '.prefs: ["dark mode"]: .on: expected a boolean', 'data.prefs["dark mode"].on: expected a boolean'],
		["data", ".admin: is not a field of the schema", "data.admin: is not a field of the schema"],
		["data", "expected an object", "data: expected an object"],
		["store", "the postgres server refused a value as invalid data (22P05)", "store: the postgres server refused a value as invalid data (22P05)"],
	])("%s + %s", (path, problem, message) => {
		expect(problemAt(path, problem)).toBe(message);
		expect(new InvalidDataError(path, problem).message).toBe(message);
	});

	test("a reason that does not start with a path segment is kept whole after one `: `", () => {
		const reason = fc.string().filter((s) => !/^[.[(]|^key /.test(s));
		fc.assert(fc.property(reason, (r) => problemAt("data.x", r) === `data.x: ${r}`));
	});

	test("segments built inside out as the validators build them come out joined, in order", () => {
		const segment = fc.oneof(
			fc.stringMatching(/^[a-z][A-Za-z0-9]{0,8}$/).map((n) => ({ built: `.${n}: `, shown: `.${n}` })),
			fc.nat(999).map((i) => ({ built: `[${i}]: `, shown: `[${i}]` })),
			fc.string({ maxLength: 6 }).map((k) => ({ built: `[${JSON.stringify(k)}]: `, shown: `[${JSON.stringify(k)}]` })),
		);
		fc.assert(
			fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
				const problem = segments.map((s) => s.built).join("") + "expected a string";
				return problemAt("data", problem) === `data${segments.map((s) => s.shown).join("")}: expected a string`;
			}),
		);
	});
});

describe("what a handler sees when it writes a nested value the schema refuses", () => {
	const model = defineSession({
		data: z.object({
			cart: z.array(z.object({ sku: z.string().max(32), qty: z.int().min(1).max(99) })).max(50).default([]),
			payment: z
				.discriminatedUnion("kind", [z.object({ kind: z.literal("card"), last4: z.string().length(4) }), z.object({ kind: z.literal("invoice"), po: z.string().max(20) })])
				.optional(),
		}),
	});
	const codec = createCodec(model, updateLock(model, createLock()));
	const messageOf = (data: unknown): string => {
		try {
			codec.encode(data as never);
		} catch (e) {
			if (e instanceof InvalidDataError) return e.message;
			throw e;
		}
		throw new Error("encoded");
	};

	test("an array item's field", () => {
		expect(messageOf({ cart: [{ sku: "a", qty: 1 }, { sku: "b", qty: 0 }] })).toBe("data.cart[1].qty: expected at least 1");
	});

	test("a discriminated union's variant", () => {
		expect(messageOf({ cart: [], payment: { kind: "card", last4: "12" } })).toBe('data.payment (variant "card").last4: expected exactly 4 characters');
	});
});
