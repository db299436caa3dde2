import type { FieldModel, StringType, TypeModel } from "../schema/model.ts";
import { countOf } from "../schema/count-noun.ts";
import { lengthProblem } from "../schema/length-problem.ts";
import { patternProblem } from "../schema/pattern-problem.ts";
import { literal } from "./emit-literal.ts";
import { EmitContext, hasString, indent, Locals, pascalName, renderMessage, str, type Message } from "./emit-context.ts";

/**
 * How a failed check ends: `return` the message (validation on write, the reason goes into
 * `InvalidDataError`), or `throw` (a decoded value that no longer fits: the field is reset).
 */
export type Failure = { mode: "return"; prefix: Message } | { mode: "throw" };

/** Options of one check: `wellFormed` strings came through the UTF-8 decoder, so they hold no lone surrogate. */
export interface CheckOptions {
	wellFormed: boolean;
	/** The value was built by the decoder, so its kind is already right (a string read is a string): only bounds are tested. */
	decoded: boolean;
}

/**
 * Statements that end (per `fail`) when the local `x` does not satisfy `type`: the straight-line form of
 * src/validate.ts's `compileCheck`, with the same tests in the same order and the same messages.
 */
export function checkStatements(type: TypeModel, x: string, fail: Failure, options: CheckOptions, ctx: EmitContext, locals: Locals, path: string): string[] {
	const end = (message: Message): string => (fail.mode === "return" ? `return ${renderMessage([...fail.prefix, ...message])};` : `${ctx.use("nestedChanged")}();`);
	const nested = (message: Message): Failure => (fail.mode === "return" ? { mode: "return", prefix: [...fail.prefix, ...message] } : fail);
	const { decoded } = options;
	switch (type.kind) {
		case "string": {
			const lines: string[] = [];
			if (!decoded) lines.push(`if (typeof ${x} !== "string") ${end(["expected a string"])}`);
			stringLevel(type, x, end, options.wellFormed, ctx, locals, path, lines);
			return lines;
		}
		case "int":
		case "float": {
			const lines: string[] = [];
			// A decoded integer is always safe (the reader checks); a decoded float may still be NaN or infinite.
			if (type.kind === "float") {
				const test = decoded ? `!Number.isFinite(${x})` : `typeof ${x} !== "number" || !Number.isFinite(${x})`;
				lines.push(`if (${test}) ${end(["expected a finite number"])}`);
			} else if (!decoded) lines.push(`if (typeof ${x} !== "number" || !Number.isSafeInteger(${x})) ${end(["expected a safe integer"])}`);
			if (type.min !== undefined && type.min !== -Infinity) lines.push(`if (${x} < ${type.min}) ${end([`expected at least ${type.min}`])}`);
			if (type.max !== undefined && type.max !== Infinity) lines.push(`if (${x} > ${type.max}) ${end([`expected at most ${type.max}`])}`);
			return lines;
		}
		case "boolean":
			return decoded ? [] : [`if (typeof ${x} !== "boolean") ${end(["expected a boolean"])}`];
		case "date": {
			const lines = decoded ? [] : [`if (!(${x} instanceof Date) || Number.isNaN(${x}.getTime())) ${end(["expected a valid Date"])}`];
			if (type.min !== undefined && type.min !== -Infinity) lines.push(`if (${x}.getTime() < ${type.min}) ${end([`expected ${new Date(type.min).toISOString()} or later`])}`);
			if (type.max !== undefined && type.max !== Infinity) lines.push(`if (${x}.getTime() > ${type.max}) ${end([`expected ${new Date(type.max).toISOString()} or earlier`])}`);
			return lines;
		}
		case "enum": {
			if (decoded) return []; // the enum reader refuses numbers outside the schema's values
			const list = type.values.map((v) => JSON.stringify(v)).join(" | ");
			if (type.values.length > 0 && type.values.length <= 4) {
				return [`if (${type.values.map((v) => `${x} !== ${JSON.stringify(v)}`).join(" && ")}) ${end([`expected ${list}`])}`];
			}
			const set = ctx.hoist(`enum-set:${path}`, `${constName(path)}_VALUES`, (n) => `const ${n}${ctx.t("ReadonlySet<unknown>")} = new Set(${literal(type.values)});`);
			return [`if (!${set}.has(${x})) ${end([`expected ${list}`])}`];
		}
		case "bigint": {
			const lines: string[] = [];
			if (!decoded) lines.push(`if (typeof ${x} !== "bigint") ${end(["expected a bigint"])}`);
			if (type.min !== undefined) lines.push(`if (${x} < ${BigInt(type.min)}n) ${end([`expected at least ${BigInt(type.min)}`])}`);
			if (type.max !== undefined) lines.push(`if (${x} > ${BigInt(type.max)}n) ${end([`expected at most ${BigInt(type.max)}`])}`);
			return lines;
		}
		case "optional": {
			const inner = checkStatements(type.inner, x, fail, options, ctx, locals, path);
			return inner.length === 0 ? [] : [`if (${x} !== undefined) {`, ...indent(inner), "}"];
		}
		case "tuple": {
			const lines: string[] = [];
			const n = type.items.length;
			if (!decoded) {
				lines.push(`if (!Array.isArray(${x})) ${end(["expected an array (a tuple)"])}`);
				lines.push(`if (${x}.length ${type.rest === undefined ? "!==" : "<"} ${n}) ${end([`expected ${countOf(n, "item")}`])}`);
			}
			type.items.forEach((item, i) => {
				const e = locals.name("item");
				const inner = checkStatements(item, e, nested([`[${i}]: `]), options, ctx, locals, `${path}[${i}]`);
				if (inner.length > 0) lines.push(`const ${e}${ctx.t("unknown")} = ${x}[${i}];`, ...inner);
			});
			if (type.rest !== undefined) {
				const i = locals.name("i");
				const e = locals.name("item");
				const rest = checkStatements(type.rest, e, nested(["[", { expr: i }, "]: "]), options, ctx, locals, `${path}[]`);
				if (rest.length > 0) lines.push(`for (let ${i} = ${n}; ${i} < ${x}.length; ${i}++) {`, `\tconst ${e}${ctx.t("unknown")} = ${x}[${i}];`, ...indent(rest), "}");
			}
			return lines;
		}
		case "nullable": {
			const inner = checkStatements(type.inner, x, fail, options, ctx, locals, path);
			return inner.length === 0 ? [] : [`if (${x} !== null) {`, ...indent(inner), "}"];
		}
		case "array": {
			const lines: string[] = [];
			if (!decoded) lines.push(`if (!Array.isArray(${x})) ${end(["expected an array"])}`);
			if (type.minItems !== undefined && type.minItems > 0) lines.push(`if (${x}.length < ${type.minItems}) ${end([`expected at least ${countOf(type.minItems, "item")}`])}`);
			if (type.maxItems !== undefined && type.maxItems !== Infinity) lines.push(`if (${x}.length > ${type.maxItems}) ${end([`expected at most ${countOf(type.maxItems, "item")}`])}`);
			const i = locals.name("i");
			const e = locals.name("item");
			const element = checkStatements(type.element, e, nested(["[", { expr: i }, "]: "]), options, ctx, locals, `${path}[]`);
			if (element.length > 0) {
				lines.push(`for (let ${i} = 0; ${i} < ${x}.length; ${i}++) {`, `\tconst ${e}${ctx.t("unknown")} = ${x}[${i}];`, ...indent(element), "}");
			}
			return lines;
		}
		case "record": {
			const lines: string[] = [];
			if (!decoded) {
				lines.push(`if (!${ctx.use("isPlainObject")}(${x})) ${end(["expected an object"])}`);
				// Zod's key schema is a string: an enumerable symbol key is refused.
				const sym = locals.name("symbol");
				lines.push(`for (const ${sym} of Object.getOwnPropertySymbols(${x})) if (Object.prototype.propertyIsEnumerable.call(${x}, ${sym})) ${end(["expected string keys"])}`);
			}
			const k = locals.name("key");
			const e = locals.name("item");
			const key = checkStatements(type.key, k, nested(["key ", { expr: `JSON.stringify(${k})` }, ": "]), { ...options, decoded: true }, ctx, locals, `${path}{}`);
			const value = checkStatements(type.value, e, nested(["[", { expr: `JSON.stringify(${k})` }, "]: "]), options, ctx, locals, `${path}{}`);
			if (key.length + value.length > 0) {
				// Zod drops a "__proto__" key (its pollution guard) instead of checking it; the writer skips it too.
				lines.push(`for (const [${k}, ${e}] of Object.entries(${x})) {`, `\tif (${k} === "__proto__") continue;`, ...indent(key), ...indent(value), "}");
			}
			return lines;
		}
		case "object":
		case "union": {
			const fn = checkFunction(type, path, ctx, options.wellFormed);
			if (fail.mode === "throw") return [`if (${fn}(${x}) !== null) ${end([])}`];
			const p = locals.name("problem");
			return [`const ${p} = ${fn}(${x});`, `if (${p} !== null) ${end([{ expr: p }])}`];
		}
		default:
			throw new Error(`the emitter has no check for ${(type as TypeModel).kind} (see emit-support.ts)`);
	}
}

/**
 * A module-level function `(v: unknown) => string | null` checking one object or union type; decoded
 * variants (no lone-surrogate scan) get their own name only when the type holds strings.
 */
export function checkFunction(type: TypeModel, path: string, ctx: EmitContext, wellFormed: boolean): string {
	const variant = wellFormed && hasString(type) ? "Decoded" : "";
	const orNull = type.kind === "nullable" ? "OrNull" : "";
	return ctx.hoist(`check:${path}:${type.kind}:${variant}`, `check${pascalName(path)}${orNull}${variant}`, (name) => {
		const locals = new Locals();
		const options = { wellFormed, decoded: false };
		let body: string[];
		if (type.kind === "object") body = objectCheckBody(type.fields, path, ctx, locals, options, type.strict === true, true);
		else if (type.kind === "union") body = unionCheckBody(type, path, ctx, wellFormed); else body = [...checkStatements(type, "v", { mode: "return", prefix: [] }, options, ctx, locals, path), "return null;"];
		// A field's own check (the typed setters run it) says so; nested object checks read for themselves.
		const doc = type.kind === "object" || type.kind === "union" ? [] : [`/** \`null\` when the value fits ${path}, else why not. */`];
		return [...doc, `function ${name}(v${ctx.t("unknown")})${ctx.t("string | null")} {`, ...indent(body), "}"].join("\n");
	});
}

/**
 * The body of an object check: every field valid, required ones present; unknown keys refused when
 * `strict` (the top level, z.strictObject), else ignored, as Zod strips them (the writer drops them).
 */
export function objectCheckBody(fields: FieldModel[], path: string, ctx: EmitContext, locals: Locals, options: CheckOptions, strict = true, fillsDefaults = false): string[] {
	// Nested, Zod takes any non-array object (a class instance too); the top level takes plain objects.
	const lines = fillsDefaults || !strict
		? [`if (!${ctx.use("isObjectLike")}(v)) return "expected an object";`]
		: [`if (!${ctx.use("isPlainObject")}(v)) return "expected an object";`];
	for (const f of fields) {
		const x = locals.name(f.name);
		const inner = checkStatements(f.type, x, { mode: "return", prefix: [`.${f.name}: `] }, options, ctx, locals, `${path}.${f.name}`);
		lines.push(`const ${x} = v.${f.name};`);
		// A nested field with a .default() may be absent: Zod fills it, and so does decoding.
		if (f.optional || (fillsDefaults && f.initial !== undefined && f.synthesised !== true)) {
			if (inner.length > 0) lines.push(`if (${x} !== undefined) {`, ...indent(inner), "}");
		} else lines.push(`if (${x} === undefined) return ${str(`.${f.name}: is required`)};`, ...inner);
	}
	if (!strict) return [...lines, "return null;"];
	const known = ctx.hoist(`fields:${path}`, `${constName(path)}_FIELDS`, (n) => `const ${n}${ctx.t("ReadonlySet<string>")} = new Set(${literal(fields.map((f) => f.name))});`);
	const k = locals.name("key");
	lines.push(`for (const ${k} of Object.keys(v)) if (!${known}.has(${k})) return \`.\${${k}}: is not a field of the schema\`;`, "return null;");
	return lines;
}

/**
 * A union accepts what its first accepting option accepts. When none does, a discriminated union names
 * the problem of the variant its discriminator picks (`(variant "card").last4: …`), as schema/validate.ts does.
 */
function unionCheckBody(type: Extract<TypeModel, { kind: "union" }>, path: string, ctx: EmitContext, wellFormed: boolean): string[] {
	const fns = type.options.map((o, i) => checkFunction(o, `${path}|${i}`, ctx, wellFormed));
	const body = fns.length === 0 ? [] : [`if (${fns.map((fn) => `${fn}(v) === null`).join(" || ")}) return null;`];
	const discriminator = type.discriminator;
	if (discriminator === undefined) return [...body, `return "matches none of the union's options";`];
	const seen = new Set<string>();
	const picks: string[] = [];
	type.options.forEach((option, i) => {
		if (option.kind !== "object") return;
		const field = option.fields.find((f) => f.name === discriminator);
		if (field?.type.kind !== "enum") return;
		for (const tag of field.type.values) {
			const key = `${typeof tag}:${String(tag)}`;
			if (seen.has(key)) continue; // the first variant that lists a tag is the one it picks
			seen.add(key);
			const lead = `(variant ${JSON.stringify(tag)})`;
			picks.push(
				`if (tag === ${JSON.stringify(tag)}) {`,
				`\tconst problem = ${fns[i]}(v);`,
				`\tif (problem !== null) return ${str(lead)} + (problem.startsWith("[") || problem.startsWith(".") ? "" : " ") + problem;`,
				"}",
			);
		}
	});
	if (picks.length > 0) body.push(`if (${ctx.use("isPlainObject")}(v)) {`, `\tconst tag = v[${str(discriminator)}];`, ...indent(picks), "}");
	return [...body, `return ${str(`matches none of the variants of "${discriminator}"`)};`];
}

/**
 * The checks of one level of a string's chain, in schema/validate.ts's order: the earlier level
 * (`before`) or the lone-surrogate scan, the normalisers, then bounds, patterns and code checks on the
 * normalised value. Returns the local holding that value (`x` itself when nothing normalises).
 */
function stringLevel(type: StringType, x: string, end: (message: Message) => string, wellFormed: boolean, ctx: EmitContext, locals: Locals, path: string, lines: string[]): string {
	let s = x;
	if (type.before !== undefined) s = stringLevel(type.before, x, end, wellFormed, ctx, locals, path, lines);
	else if (!wellFormed) lines.push(`if (${ctx.use("LONE_SURROGATE")}.test(${x})) ${end(["contains a lone surrogate (not valid Unicode)"])}`);
	const normalizers = type.normalize ?? [];
	if (normalizers.length > 0) {
		const n = locals.name("normalized");
		lines.push(`let ${n} = ${s};`);
		for (const op of normalizers) {
			switch (op.op) {
				case "trim":
					lines.push(`${n} = ${n}.trim();`);
					break;
				case "lower":
					lines.push(`${n} = ${n}.toLowerCase();`);
					break;
				case "upper":
					lines.push(`${n} = ${n}.toUpperCase();`);
					break;
				case "unicode":
					lines.push(`${n} = ${n}.normalize(${str(op.form)});`);
					break;
				case "url": {
					const fn = ctx.hoist(`url:${JSON.stringify(op)}`, `${constName(path)}_URL`, (name) => `const ${name} = ${ctx.use("urlNormalizer")}(${literal(op)});`);
					const u = locals.name("url");
					lines.push(`const ${u} = ${fn}(${n});`, `if (typeof ${u} !== "string") ${end([{ expr: `${u}.message` }])}`, `${n} = ${u};`);
					break;
				}
			}
		}
		s = n;
	}
	// Code points, as Zod 4 counts them; within bounds in UTF-16 units needs no count.
	if (type.maxLength !== undefined && type.maxLength !== Infinity) lines.push(`if (${s}.length > ${type.maxLength} && ${ctx.use("codePointLength")}(${s}) > ${type.maxLength}) ${end([lengthProblem("long", type.minLength ?? 0, type.maxLength)])}`);
	if (type.minLength !== undefined && type.minLength > 0) lines.push(`if (${s}.length < ${type.minLength} || (${s}.length < ${type.minLength * 2} && ${ctx.use("codePointLength")}(${s}) < ${type.minLength})) ${end([lengthProblem("short", type.minLength, type.maxLength ?? Infinity)])}`);
	for (const [source, flags, format] of type.patterns ?? []) {
		const re = new RegExp(source, flags.replace(/g/g, ""));
		const name = ctx.hoist(`pattern:${String(re)}`, `${constName(path)}_PATTERN`, (n) => `const ${n} = ${String(re)};`);
		if (re.sticky) lines.push(`${name}.lastIndex = 0;`);
		lines.push(`if (!${name}.test(${s})) ${end([patternProblem(source, flags, format)])}`);
	}
	for (const c of type.checks ?? []) {
		switch (c.check) {
			case "includes":
				lines.push(`if (!${s}.includes(${str(c.value)}${c.position === undefined ? "" : `, ${c.position}`})) ${end([`expected to include ${JSON.stringify(c.value)}`])}`);
				break;
			case "startsWith":
				lines.push(`if (!${s}.startsWith(${str(c.value)})) ${end([`expected to start with ${JSON.stringify(c.value)}`])}`);
				break;
			case "endsWith":
				lines.push(`if (!${s}.endsWith(${str(c.value)})) ${end([`expected to end with ${JSON.stringify(c.value)}`])}`);
				break;
			case "ipv6":
				lines.push(`if (!${ctx.use("isValidIPv6")}(${s})) ${end(["expected an IPv6 address"])}`);
				break;
			case "cidrv6":
				lines.push(`if (!${ctx.use("isValidCIDRv6")}(${s})) ${end(["expected an IPv6 CIDR block"])}`);
				break;
			case "base64":
				lines.push(`if (!${ctx.use("isValidBase64")}(${s})) ${end(["expected base64"])}`);
				break;
			case "base64url":
				lines.push(`if (!${ctx.use("isValidBase64URL")}(${s})) ${end(["expected base64url"])}`);
				break;
			case "jwt":
				lines.push(`if (!${ctx.use("isValidJWT")}(${s}, ${c.alg === undefined ? "undefined" : str(c.alg)})) ${end(["expected a JWT"])}`);
				break;
		}
	}
	return s;
}

/** `data.profile.prefs` → `PROFILE_PREFS` (a module-level constant's name). */
export function constName(path: string): string {
	const p = pascalName(path);
	return p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}
