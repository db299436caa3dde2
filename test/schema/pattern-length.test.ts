import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as z from "zod";
import { defineSession } from "../../schema/define.ts";
import type { StringType } from "../../schema/model.ts";
import { patternMaxLength } from "../../schema/pattern-length.ts";
import { patternBound } from "../../schema/string-bound.ts";

/** The longest value the model of `schema` admits by its patterns, as the sealed worst case reads it. */
function boundOf(schema: z.ZodType): number {
	const model = defineSession({ data: z.object({ f: schema.optional() }) });
	return patternBound((model.data[0] as { type: StringType }).type);
}

describe("patternMaxLength", () => {
	test.each([
		["^[A-Z]{3}-\\d{4}$", "", 8],
		["^(?:a|bc)$", "", 2],
		["^\\d{2,4}$", "", 4],
		["^(?:ab){2,3}c?$", "", 7],
		["^(?=x)[a-z]{2}$", "", 2],
		["^a|^bc$", "", Infinity], // the first alternative is not pinned to the end
		["^a|bc$", "", Infinity],
		["^[a-z]+$", "", Infinity],
		["^a{2,}$", "", Infinity],
		["^(a)\\1$", "", Infinity],
		["[a-z]{3}", "", Infinity], // unanchored: it matches inside a longer string
		["^[a-z]{3}$", "m", Infinity], // ^ and $ at line breaks
		["^[\\u{1F600}-\\u{1F64F}]{2}$", "u", 2],
		["^\\p{L}{3}$", "u", 3],
		["^a{2}?$", "", 2],
		["^\\x41\\u0042\\cA$", "", 3],
		["^\\u{3}$", "", 3], // without u: "uuu"
		["^\\p{L}$", "", 4], // without u: "p{L}"
		["^[]]x$", "", 3], // an empty class, then "]" and "x": never matches, and 3 bounds that
	])("%s /%s → %d", (source, flags, max) => {
		expect(patternMaxLength(source, flags)).toBe(max);
	});

	test("Zod's own patterns: fixed-precision ISO datetimes and times are bounded, the open ones are not", () => {
		expect(boundOf(z.iso.datetime({ precision: 3 }))).toBe("2024-05-01T10:00:00.000Z".length);
		expect(boundOf(z.iso.datetime({ precision: 0, offset: true }))).toBe("2024-05-01T10:00:00+02:00".length);
		expect(boundOf(z.iso.time({ precision: 0 }))).toBe("10:00:00".length);
		expect(boundOf(z.iso.date())).toBe(10);
		expect(boundOf(z.iso.datetime())).toBe(Infinity);
		expect(boundOf(z.email())).toBe(Infinity);
		expect(boundOf(z.string().regex(/^[A-Z]{2}-\d{4}$/).trim())).toBe(7);
	});

	// Random patterns from a small grammar, and strings each one accepts, made by walking the same tree:
	// no accepted string may be longer (in code points) than the bound.
	type Quantifier = "" | "?" | "*" | "+" | { n: number; m?: number; open?: true };
	type Node = { kind: "char"; c: string } | { kind: "class" } | { kind: "digit" } | { kind: "group"; alts: Item[][] };
	interface Item {
		node: Node;
		q: Quantifier;
	}
	const quantifier: fc.Arbitrary<Quantifier> = fc.oneof(
		fc.constantFrom<"" | "?" | "*" | "+">("", "", "", "?", "*", "+"),
		fc.record({ n: fc.nat(3), m: fc.option(fc.nat(3), { nil: undefined }), open: fc.boolean() }).map((r): Quantifier => (r.open ? { n: r.n, open: true } : r.m === undefined ? { n: r.n } : { n: Math.min(r.n, r.m), m: Math.max(r.n, r.m) })),
	);
	const leaf: fc.Arbitrary<Node> = fc.oneof(fc.constantFrom("a", "b", "-", "é", "😀").map((c): Node => ({ kind: "char", c })), fc.constant<Node>({ kind: "class" }), fc.constant<Node>({ kind: "digit" }));
	const item = (depth: number): fc.Arbitrary<Item> =>
		fc.record({
			node: depth <= 0 ? leaf : fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 1, arbitrary: fc.array(fc.array(item(depth - 1), { maxLength: 3 }), { minLength: 1, maxLength: 3 }).map((alts): Node => ({ kind: "group", alts })) }),
			q: quantifier,
		});

	const render = (x: Item): string => {
		const n = x.node;
		// "😀" in a pattern without u is two units; a quantifier after it would repeat only the second, so it is grouped.
		const body = n.kind === "char" ? (n.c.length > 1 ? `(?:${n.c})` : n.c) : n.kind === "class" ? "[a-c]" : n.kind === "digit" ? "\\d" : `(?:${n.alts.map((a) => a.map(render).join("")).join("|")})`;
		const q = x.q;
		return body + (typeof q === "string" ? q : q.open ? `{${q.n},}` : q.m === undefined ? `{${q.n}}` : `{${q.n},${q.m}}`);
	};
	const sample = (x: Item, pick: () => number): string => {
		const q = x.q;
		const times = q === "" ? 1 : q === "?" ? pick() % 2 : q === "*" ? pick() % 4 : q === "+" ? 1 + (pick() % 3) : q.open ? q.n + (pick() % 3) : q.m === undefined ? q.n : q.n + (pick() % (q.m - q.n + 1));
		let out = "";
		for (let i = 0; i < times; i++) {
			const n = x.node;
			if (n.kind === "char") out += n.c;
			else if (n.kind === "class") out += "abc"[pick() % 3];
			else if (n.kind === "digit") out += String(pick() % 10);
			else out += (n.alts[pick() % n.alts.length] as Item[]).map((y) => sample(y, pick)).join("");
		}
		return out;
	};

	test("no string a random pattern accepts is longer than its bound (property)", () => {
		let bounded = 0;
		fc.assert(
			fc.property(fc.array(item(2), { maxLength: 5 }), fc.boolean(), fc.array(fc.nat(), { minLength: 64, maxLength: 64 }), (seq, unicode, picks) => {
				const source = `^${seq.map(render).join("")}$`;
				const flags = unicode ? "u" : "";
				const bound = patternMaxLength(source, flags);
				let k = 0;
				const pick = () => picks[k++ % picks.length] as number;
				// The same pattern unanchored at either end is never bounded.
				expect(patternMaxLength(source.slice(1), flags)).toBe(Infinity);
				expect(patternMaxLength(source.slice(0, -1), flags)).toBe(Infinity);
				// An unbounded pattern claims nothing (and nested * can make the engine backtrack for minutes).
				if (bound === Infinity) return;
				bounded++;
				const s = seq.map((x) => sample(x, pick)).join("");
				expect(new RegExp(source, flags).test(s)).toBe(true);
				expect([...s].length).toBeLessThanOrEqual(bound);
			}),
			{ numRuns: 2000 },
		);
		// Enough of the patterns must be bounded for the property to say something.
		expect(bounded).toBeGreaterThan(400);
	});
});
