import type { FieldModel, TypeModel } from "../schema/model.ts";

/** Returns `null` when the value satisfies the type, or a short reason (with a path suffix) when not. */
export type Check = (value: unknown) => string | null;

/**
 * Compiles a type model into a checker once, so per-request validation is plain `typeof` tests.
 * `wellFormed`: strings are known to be valid Unicode (they came through the UTF-8 decoder), so the
 * lone-surrogate scan is skipped; the codec's decode passes it.
 */
export function compileCheck(type: TypeModel, wellFormed = false): Check {
	switch (type.kind) {
		case "string": {
			const { minLength = 0, maxLength = Infinity } = type;
			// Without g/y a RegExp keeps no lastIndex, so `test` gives the same answer every time.
			const patterns = (type.patterns ?? []).map(([source, flags]) => new RegExp(source, flags.replace(/[gy]/g, "")));
			return (v) => {
				if (typeof v !== "string") return "expected a string";
				if (!wellFormed && LONE_SURROGATE.test(v)) return "contains a lone surrogate (not valid Unicode)";
				if (v.length < minLength) return `expected at least ${minLength} characters`;
				if (v.length > maxLength) return `expected at most ${maxLength} characters`;
				for (const p of patterns) if (!p.test(v)) return `does not match ${p}`;
				return null;
			};
		}
		case "int":
		case "float": {
			const { min = -Infinity, max = Infinity } = type;
			const int = type.kind === "int";
			return (v) => {
				if (typeof v !== "number" || !(int ? Number.isSafeInteger(v) : Number.isFinite(v))) {
					return int ? "expected a safe integer" : "expected a finite number";
				}
				if (v < min) return `expected at least ${min}`;
				if (v > max) return `expected at most ${max}`;
				return null;
			};
		}
		case "boolean":
			return (v) => (typeof v === "boolean" ? null : "expected a boolean");
		case "date":
			return (v) => (v instanceof Date && !Number.isNaN(v.getTime()) ? null : "expected a valid Date");
		case "enum": {
			const values = new Set(type.values);
			const list = type.values.map((x) => JSON.stringify(x)).join(" | ");
			return (v) => (typeof v === "string" && values.has(v) ? null : `expected ${list}`);
		}
		case "nullable": {
			const inner = compileCheck(type.inner, wellFormed);
			return (v) => (v === null ? null : inner(v));
		}
		case "array": {
			const element = compileCheck(type.element, wellFormed);
			const { minItems = 0, maxItems = Infinity } = type;
			return (v) => {
				if (!Array.isArray(v)) return "expected an array";
				if (v.length < minItems) return `expected at least ${minItems} items`;
				if (v.length > maxItems) return `expected at most ${maxItems} items`;
				for (let i = 0; i < v.length; i++) {
					const problem = element(v[i]);
					if (problem !== null) return `[${i}]: ${problem}`;
				}
				return null;
			};
		}
		case "record": {
			const value = compileCheck(type.value, wellFormed);
			const key = compileCheck(type.key, wellFormed);
			return (v) => {
				if (!isPlainObject(v)) return "expected an object";
				for (const [k, x] of Object.entries(v)) {
					const keyProblem = key(k);
					if (keyProblem !== null) return `key ${JSON.stringify(k)}: ${keyProblem}`;
					const problem = value(x);
					if (problem !== null) return `[${JSON.stringify(k)}]: ${problem}`;
				}
				return null;
			};
		}
		case "object":
			return compileObjectCheck(type.fields, wellFormed);
		case "union": {
			const options = type.options.map((o) => compileCheck(o, wellFormed));
			return (v) => (options.some((o) => o(v) === null) ? null : "matches none of the union's options");
		}
	}
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks a whole object: every field valid, no unknown keys (they would be dropped silently on the wire). */
export function compileObjectCheck(fields: FieldModel[], wellFormed = false): Check {
	const checks = fields.map((f) => [f.name, f.optional, compileCheck(f.type, wellFormed)] as const);
	const known = new Set(fields.map((f) => f.name));
	return (v) => {
		if (!isPlainObject(v)) return "expected an object";
		for (const [name, optional, check] of checks) {
			const x = v[name];
			if (x === undefined) {
				if (optional) continue;
				return `.${name}: is required`;
			}
			const problem = check(x);
			if (problem !== null) return `.${name}: ${problem}`;
		}
		for (const k of Object.keys(v)) if (!known.has(k)) return `.${k}: is not a field of the schema`;
		return null;
	};
}

/** A plain object literal (not an array, Date, Map or class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
	if (typeof v !== "object" || v === null) return false;
	const proto = Object.getPrototypeOf(v);
	return proto === Object.prototype || proto === null;
}
