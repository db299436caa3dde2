import type { FieldModel, JSONValue, LiteralValue, Normalizer, StringCheck, StringType, TypeModel } from "./model.ts";
import { materialize } from "./materialize.ts";
import { countOf } from "./count-noun.ts";
import { lengthProblem } from "./length-problem.ts";
import { patternProblem } from "./pattern-problem.ts";

/** Returns `null` when the value satisfies the type, or a short reason (with a path suffix) when not. */
export type Check = (value: unknown) => string | null;

/** Why a value was refused; returned (not thrown) so a union can try its next option cheaply. */
export class Problem {
	constructor(readonly message: string) {}
}

/**
 * Validates and normalises as Zod's `parse` does: returns the value Zod would output (the same
 * object when nothing changed), or a `Problem`.
 */
export type Parse = (value: unknown) => unknown;

/**
 * Compiles a type model into a parser once, so per-request validation is plain `typeof` tests.
 * `wellFormed`: strings are known to be valid Unicode (they came through the UTF-8 decoder), so the
 * lone-surrogate scan is skipped; the codec's decode passes it.
 */
export function compileParse(type: TypeModel, wellFormed = false): Parse {
	switch (type.kind) {
		case "string":
			return compileString(type, wellFormed);
		case "int":
		case "float": {
			const { min = -Infinity, max = Infinity } = type;
			const int = type.kind === "int";
			const what = new Problem(int ? "expected a safe integer" : "expected a finite number");
			const low = new Problem(`expected at least ${min}`);
			const high = new Problem(`expected at most ${max}`);
			return (v) => {
				if (typeof v !== "number" || !(int ? Number.isSafeInteger(v) : Number.isFinite(v))) return what;
				if (v < min) return low;
				if (v > max) return high;
				// An integer is stored as one: -0 comes back as 0 (the only value that does not round-trip as is).
				return int && v === 0 ? 0 : v;
			};
		}
		case "bigint": {
			const min = type.min === undefined ? undefined : BigInt(type.min);
			const max = type.max === undefined ? undefined : BigInt(type.max);
			return (v) => {
				if (typeof v !== "bigint") return new Problem("expected a bigint");
				if (min !== undefined && v < min) return new Problem(`expected at least ${min}`);
				if (max !== undefined && v > max) return new Problem(`expected at most ${max}`);
				return v;
			};
		}
		case "boolean": {
			const what = new Problem("expected a boolean");
			return (v) => (typeof v === "boolean" ? v : what);
		}
		case "date": {
			const { min = -Infinity, max = Infinity } = type;
			return (v) => {
				if (!(v instanceof Date) || Number.isNaN(v.getTime())) return new Problem("expected a valid Date");
				const t = v.getTime();
				if (t < min) return new Problem(`expected ${new Date(min).toISOString()} or later`);
				if (t > max) return new Problem(`expected ${new Date(max).toISOString()} or earlier`);
				return v;
			};
		}
		case "enum": {
			const values = new Set<unknown>(type.values);
			const what = new Problem(`expected ${type.values.map((x) => JSON.stringify(x)).join(" | ")}`);
			return (v) => (values.has(v) ? v : what);
		}
		case "nullable": {
			const inner = compileParse(type.inner, wellFormed);
			return (v) => (v === null ? null : inner(v));
		}
		case "optional": {
			const inner = compileParse(type.inner, wellFormed);
			return (v) => (v === undefined ? undefined : inner(v));
		}
		case "array": {
			const element = compileParse(type.element, wellFormed);
			const { minItems = 0, maxItems = Infinity } = type;
			return (v) => {
				if (!Array.isArray(v)) return new Problem("expected an array");
				if (v.length < minItems) return new Problem(`expected at least ${countOf(minItems, "item")}`);
				if (v.length > maxItems) return new Problem(`expected at most ${countOf(maxItems, "item")}`);
				return parseItems(v, 0, v.length, element, undefined);
			};
		}
		case "tuple": {
			const items = type.items.map((t) => compileParse(t, wellFormed));
			const rest = type.rest === undefined ? undefined : compileParse(type.rest, wellFormed);
			const n = items.length;
			return (v) => {
				if (!Array.isArray(v)) return new Problem("expected an array (a tuple)");
				if (v.length < n) return new Problem(`expected ${countOf(n, "item")}`);
				if (rest === undefined && v.length > n) return new Problem(`expected ${countOf(n, "item")}`);
				return parseItems(v, 0, v.length, rest, items);
			};
		}
		case "record": {
			const value = compileParse(type.value, wellFormed);
			const key = compileParse(type.key, wellFormed);
			return (v) => {
				if (!isPlainObject(v)) return new Problem("expected an object");
				// Zod refuses symbol keys (its key schema is a string) and drops "__proto__" (pollution guard).
				for (const sym of Object.getOwnPropertySymbols(v)) if (Object.prototype.propertyIsEnumerable.call(v, sym)) return new Problem("expected string keys");
				let out: Record<string, unknown> | undefined;
				for (const k of Object.keys(v)) {
					if (k === "__proto__") {
						out ??= withoutProto(v);
						continue;
					}
					const kp = key(k);
					if (kp instanceof Problem) return new Problem(`key ${JSON.stringify(k)}: ${kp.message}`);
					const x = v[k];
					const p = value(x);
					if (p instanceof Problem) return new Problem(`[${JSON.stringify(k)}]: ${p.message}`);
					if (p !== x && out === undefined) out = { ...v };
					if (out !== undefined) out[k] = p;
				}
				return out ?? v;
			};
		}
		case "object":
			return compileObjectParse(type.fields, type.strict === true, wellFormed);
		case "union": {
			const options = type.options.map((o) => compileParse(o, wellFormed));
			const none = new Problem(
				type.discriminator === undefined ? "matches none of the union's options" : `matches none of the variants of "${type.discriminator}"`,
			);
			const discriminator = type.discriminator;
			const tags = discriminator === undefined ? undefined : type.options.map((o) => variantTags(o, discriminator));
			return (v) => {
				for (const o of options) {
					const p = o(v);
					if (!(p instanceof Problem)) return p;
				}
				// The variant the discriminator picks says what is wrong in the user's terms, not "none matched".
				if (discriminator !== undefined && tags !== undefined && isPlainObject(v)) {
					const tag = v[discriminator];
					const i = tags.findIndex((t) => t.includes(tag as LiteralValue));
					const p = i >= 0 ? (options[i] as Parse)(v) : undefined;
					if (p instanceof Problem) return new Problem(`(variant ${JSON.stringify(tag)})${p.message.startsWith("[") || p.message.startsWith(".") ? "" : " "}${p.message}`);
				}
				return none;
			};
		}
	}
}

/** The discriminator values an option of a discriminated union accepts (empty when it is not an object). */
function variantTags(option: TypeModel, discriminator: string): readonly LiteralValue[] {
	if (option.kind !== "object") return [];
	const field = option.fields.find((f) => f.name === discriminator);
	return field?.type.kind === "enum" ? field.type.values : [];
}

/** Parses `v[from..to)`: tuple `items` first, then `each`; copies the array only when an item changed. */
function parseItems(v: unknown[], from: number, to: number, each: Parse | undefined, items: Parse[] | undefined): unknown {
	let out: unknown[] | undefined;
	for (let i = from; i < to; i++) {
		const parse = items !== undefined && i < items.length ? (items[i] as Parse) : (each as Parse);
		const x = v[i];
		const p = parse(x);
		if (p instanceof Problem) return new Problem(`[${i}]: ${p.message}`);
		if (p !== x && out === undefined) out = v.slice();
		if (out !== undefined) out[i] = p;
	}
	return out ?? v;
}

/** Parses an object: fills `.default()`s, strips unknown keys (Zod's default) or refuses them when strict. */
export function compileObjectParse(fields: FieldModel[], strict: boolean, wellFormed = false): Parse {
	const compiled = fields.map((f) => ({
		name: f.name,
		optional: f.optional,
		// Zod fills a default for an absent value, so the parse does too (a fresh copy each time).
		fill: f.synthesised !== true && f.initial !== undefined ? (() => materialize(f.initial as JSONValue)) : undefined,
		parse: compileParse(f.type, wellFormed),
	}));
	const known = new Set(fields.map((f) => f.name));
	return (input) => {
		// Zod takes any non-array object here (a class instance too) and outputs a plain one.
		if (!isObjectLike(input)) return new Problem("expected an object");
		const v = input;
		let out: Record<string, unknown> | undefined = isPlainObject(v) ? undefined : copyKnown(v, known);
		for (const f of compiled) {
			let x = v[f.name];
			if (x === undefined) {
				if (f.fill !== undefined) x = f.fill();
				else if (f.optional) continue;
				else return new Problem(`.${f.name}: is required`);
			}
			const p = f.parse(x);
			if (p instanceof Problem) return new Problem(`.${f.name}: ${p.message}`);
			if (p !== v[f.name] && out === undefined) out = copyKnown(v, known);
			if (out !== undefined) out[f.name] = p;
		}
		for (const k of Object.keys(v)) {
			if (known.has(k)) continue;
			if (strict) return new Problem(`.${k}: is not a field of the schema`);
			// Zod strips unknown keys from a z.object; so does the stored value.
			out ??= copyKnown(v, known);
		}
		return out ?? v;
	};
}

/** A copy of a record without its own `__proto__` key (Zod drops it: its pollution guard). */
export function withoutProto(v: Record<string, unknown>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const k of Object.keys(v)) if (k !== "__proto__") out[k] = v[k];
	return out;
}

/** A plain copy of an object's known fields that are not `undefined`, in its key order (what Zod outputs for a z.object). */
export function copyKnown(v: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const k of Object.keys(v)) if (known.has(k) && v[k] !== undefined) out[k] = v[k];
	return out;
}

/** Compiles a checker: `null` when the value is one Zod accepts, else the reason. */
export function compileCheck(type: TypeModel, wellFormed = false): Check {
	const parse = compileParse(type, wellFormed);
	return (v) => {
		const p = parse(v);
		return p instanceof Problem ? p.message : null;
	};
}

/**
 * The normaliser of a type, or `undefined` when parsing never changes a value (no `.trim()`-like
 * step, no object to strip or fill): on assignment the stored value is what Zod would output.
 */
export function compileNormalize(type: TypeModel): ((value: unknown) => unknown) | undefined {
	if (!normalizes(type)) return undefined;
	const parse = compileParse(type);
	return (v) => {
		const p = parse(v);
		return p instanceof Problem ? v : p;
	};
}

/** Whether parsing can output something other than its input. */
export function normalizes(type: TypeModel): boolean {
	switch (type.kind) {
		case "string":
			return type.normalize !== undefined || type.before !== undefined;
		case "object":
			return true;
		case "int":
			// -0 becomes 0.
			return true;
		case "nullable":
		case "optional":
			return normalizes(type.inner);
		case "array":
			return normalizes(type.element);
		case "tuple":
			return type.items.some(normalizes) || (type.rest !== undefined && normalizes(type.rest));
		case "record":
			return normalizes(type.value);
		case "union":
			return type.options.some(normalizes);
		default:
			return false;
	}
}

/** Checks a whole top-level object: every field valid, no unknown keys (they would be dropped silently on the wire). */
export function compileObjectCheck(fields: FieldModel[], wellFormed = false): Check {
	const parse = compileObjectParse(fields.map((f) => ({ ...f, synthesised: true as const })), true, wellFormed);
	return (v) => {
		const p = parse(v);
		return p instanceof Problem ? p.message : null;
	};
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function compileString(type: StringType, wellFormed: boolean): Parse {
	const before = type.before === undefined ? undefined : compileString(type.before, wellFormed);
	const normalizers = (type.normalize ?? []).map(compileNormalizer);
	const { minLength = 0, maxLength = Infinity } = type;
	const patterns = (type.patterns ?? []).map(([source, flags, format]) => ({ re: new RegExp(source, flags), problem: new Problem(patternProblem(source, flags, format)) }));
	const checks = (type.checks ?? []).map(compileStringCheck);
	const what = new Problem("expected a string");
	const lone = new Problem("contains a lone surrogate (not valid Unicode)");
	const short = new Problem(lengthProblem("short", minLength, maxLength));
	const long = new Problem(lengthProblem("long", minLength, maxLength));
	return (v) => {
		if (typeof v !== "string") return what;
		let s = v;
		if (before !== undefined) {
			const p = before(s);
			if (p instanceof Problem) return p;
			s = p as string;
		} else if (!wellFormed && LONE_SURROGATE.test(s)) return lone;
		for (const n of normalizers) {
			const p = n(s);
			if (p instanceof Problem) return p;
			s = p;
		}
		// Zod 4 counts code points; a string within bounds in UTF-16 units needs no count.
		const units = s.length;
		if (units > maxLength && codePointLength(s) > maxLength) return long;
		if (units < minLength || (units < minLength * 2 && codePointLength(s) < minLength)) return short;
		for (const p of patterns) {
			p.re.lastIndex = 0;
			if (!p.re.test(s)) return p.problem;
		}
		for (const c of checks) {
			const problem = c(s);
			if (problem !== null) return new Problem(problem);
		}
		return s;
	};
}

/** Code points of a string, as Zod's length checks count them (a lone surrogate counts as one). */
export function codePointLength(s: string): number {
	let count = s.length;
	for (let i = 0; i < s.length - 1; i++) {
		if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
			count--;
			i++;
		}
	}
	return count;
}

function compileNormalizer(n: Normalizer): (s: string) => string | Problem {
	switch (n.op) {
		case "trim":
			return (s) => s.trim();
		case "lower":
			return (s) => s.toLowerCase();
		case "upper":
			return (s) => s.toUpperCase();
		case "unicode":
			return (s) => s.normalize(n.form);
		case "url":
			return compileUrl(n);
	}
}

const TAB_OR_NEWLINE = /[\t\n\r]/g;

/** `z.url()` as a function generated code calls: the normalised URL, or the reason it is refused. */
export function urlNormalizer(n: Extract<Normalizer, { op: "url" }>): (s: string) => string | { readonly message: string } {
	return compileUrl(n);
}

/** Zod's `z.url()` check, which also replaces the value with its trimmed form (or the parsed `href`). */
function compileUrl(n: Extract<Normalizer, { op: "url" }>): (s: string) => string | Problem {
	const hostname = n.hostname === undefined ? undefined : new RegExp(n.hostname[0], n.hostname[1]);
	const protocol = n.protocol === undefined ? undefined : new RegExp(n.protocol[0], n.protocol[1]);
	const plain = n.normalize === undefined && hostname === undefined && protocol === undefined;
	const bad = new Problem("expected a URL");
	return (s) => {
		const trimmed = s.trim();
		if (plain) return canParseURL(trimmed) ? trimmed.replace(TAB_OR_NEWLINE, "") : bad;
		if (n.normalize !== true && n.httpGuard === true && !/^https?:\/\//i.test(trimmed)) return bad;
		const url = parseURL(trimmed);
		if (url === undefined) return bad;
		if (hostname !== undefined) {
			hostname.lastIndex = 0;
			if (!hostname.test(url.hostname)) return new Problem("expected a URL with an allowed hostname");
		}
		if (protocol !== undefined) {
			protocol.lastIndex = 0;
			if (!protocol.test(url.protocol.endsWith(":") ? url.protocol.slice(0, -1) : url.protocol)) {
				return new Problem("expected a URL with an allowed protocol");
			}
		}
		return n.normalize === true ? url.href : trimmed.replace(TAB_OR_NEWLINE, "");
	};
}

function canParseURL(input: string): boolean {
	if (typeof URL.canParse === "function") return URL.canParse(input);
	return parseURL(input) !== undefined;
}

function parseURL(input: string): URL | undefined {
	try {
		const parse = (URL as unknown as { parse?: (s: string) => URL | null }).parse;
		if (typeof parse === "function") return parse(input) ?? undefined;
		return new URL(input);
	} catch {
		return undefined;
	}
}

function compileStringCheck(c: StringCheck): (s: string) => string | null {
	switch (c.check) {
		case "includes":
			return (s) => (s.includes(c.value, c.position) ? null : `expected to include ${JSON.stringify(c.value)}`);
		case "startsWith":
			return (s) => (s.startsWith(c.value) ? null : `expected to start with ${JSON.stringify(c.value)}`);
		case "endsWith":
			return (s) => (s.endsWith(c.value) ? null : `expected to end with ${JSON.stringify(c.value)}`);
		case "ipv6":
			return (s) => (isValidIPv6(s) ? null : "expected an IPv6 address");
		case "cidrv6":
			return (s) => (isValidCIDRv6(s) ? null : "expected an IPv6 CIDR block");
		case "base64":
			return (s) => (isValidBase64(s) ? null : "expected base64");
		case "base64url":
			return (s) => (isValidBase64URL(s) ? null : "expected base64url");
		case "jwt":
			return (s) => (isValidJWT(s, c.alg) ? null : "expected a JWT");
	}
}

// The functions below mirror Zod 4's own (zod/v4/core/schemas.js), which are code, not patterns;
// test/schema/formats.test.ts proves them equal to Zod's on generated inputs.

const IPV6_ALPHABET = /^[0-9a-fA-F:.]+$/;

/** Zod's IPv6 rule. */
export function isValidIPv6(value: string): boolean {
	return IPV6_ALPHABET.test(value) && canParseURL(`http://[${value}]`);
}

/** Zod's IPv6 CIDR rule. */
export function isValidCIDRv6(value: string): boolean {
	const parts = value.split("/");
	if (parts.length !== 2) return false;
	const [address, prefix] = parts as [string, string];
	if (!prefix) return false;
	const n = Number(prefix);
	if (`${n}` !== prefix || n < 0 || n > 128) return false;
	return isValidIPv6(address);
}

/** Zod's base64 rule: padded, no whitespace, accepted by `atob`. */
export function isValidBase64(data: string): boolean {
	if (data === "") return true;
	if (/\s/.test(data)) return false;
	if (data.length % 4 !== 0) return false;
	try {
		atob(data);
		return true;
	} catch {
		return false;
	}
}

const BASE64URL_CHARSET = /^[A-Za-z0-9_-]*$/;

/** Zod's base64url rule: URL alphabet, valid once padded. */
export function isValidBase64URL(data: string): boolean {
	if (!BASE64URL_CHARSET.test(data)) return false;
	const base64 = data.replace(/[-_]/g, (c) => (c === "-" ? "+" : "/"));
	return isValidBase64(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
}

/** Zod's JWT rule (a header naming its algorithm). */
export function isValidJWT(token: string, algorithm: string | undefined): boolean {
	try {
		const parts = token.split(".");
		if (parts.length !== 3) return false;
		const [header] = parts;
		if (!header) return false;
		const parsed = JSON.parse(atob(header));
		if ("typ" in parsed && parsed?.typ !== "JWT") return false;
		if (!parsed.alg) return false;
		if (algorithm && (!("alg" in parsed) || parsed.alg !== algorithm)) return false;
		return true;
	} catch {
		return false;
	}
}

/** What Zod takes for a z.object: any non-array object (a class instance too). */
export function isObjectLike(v: unknown): v is Record<string, unknown> {
	return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A plain object literal (not an array, Date, Map or class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
	if (typeof v !== "object" || v === null) return false;
	const proto = Object.getPrototypeOf(v);
	return proto === Object.prototype || proto === null;
}
