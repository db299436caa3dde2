import type { FieldModel, TypeModel } from "../schema/model.ts";
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
			if (!options.wellFormed) lines.push(`if (${ctx.use("LONE_SURROGATE")}.test(${x})) ${end(["contains a lone surrogate (not valid Unicode)"])}`);
			// Code points, as Zod 4 counts them; within bounds in UTF-16 units needs no count.
			if (type.minLength !== undefined && type.minLength > 0) lines.push(`if (${x}.length < ${type.minLength} || (${x}.length < ${type.minLength * 2} && ${ctx.use("codePointLength")}(${x}) < ${type.minLength})) ${end([`expected at least ${type.minLength} characters`])}`);
			if (type.maxLength !== undefined && type.maxLength !== Infinity) lines.push(`if (${x}.length > ${type.maxLength} && ${ctx.use("codePointLength")}(${x}) > ${type.maxLength}) ${end([`expected at most ${type.maxLength} characters`])}`);
			for (const [source, flags] of type.patterns ?? []) {
				const re = new RegExp(source, flags.replace(/g/g, ""));
				const name = ctx.hoist(`pattern:${String(re)}`, `${constName(path)}_PATTERN`, (n) => `const ${n} = ${String(re)};`);
				if (re.sticky) lines.push(`${name}.lastIndex = 0;`);
				lines.push(`if (!${name}.test(${x})) ${end([`does not match ${String(re)}`])}`);
			}
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
		case "date":
			return decoded ? [] : [`if (!(${x} instanceof Date) || Number.isNaN(${x}.getTime())) ${end(["expected a valid Date"])}`];
		case "enum": {
			if (decoded) return []; // the enum reader refuses numbers outside the schema's values
			const list = type.values.map((v) => JSON.stringify(v)).join(" | ");
			if (type.values.length > 0 && type.values.length <= 4) {
				return [`if (${type.values.map((v) => `${x} !== ${JSON.stringify(v)}`).join(" && ")}) ${end([`expected ${list}`])}`];
			}
			const set = ctx.hoist(`enum-set:${path}`, `${constName(path)}_VALUES`, (n) => `const ${n}${ctx.t("ReadonlySet<unknown>")} = new Set(${literal(type.values)});`);
			return [`if (!${set}.has(${x})) ${end([`expected ${list}`])}`];
		}
		case "bigint":
		case "tuple":
		case "optional":
			// Schemas with these kinds get the interpreted codec (see emittable() in emit-session.ts).
			throw new Error(`the emitter does not handle ${type.kind} yet`);

		case "nullable": {
			const inner = checkStatements(type.inner, x, fail, options, ctx, locals, path);
			return inner.length === 0 ? [] : [`if (${x} !== null) {`, ...indent(inner), "}"];
		}
		case "array": {
			const lines: string[] = [];
			if (!decoded) lines.push(`if (!Array.isArray(${x})) ${end(["expected an array"])}`);
			if (type.minItems !== undefined && type.minItems > 0) lines.push(`if (${x}.length < ${type.minItems}) ${end([`expected at least ${type.minItems} items`])}`);
			if (type.maxItems !== undefined && type.maxItems !== Infinity) lines.push(`if (${x}.length > ${type.maxItems}) ${end([`expected at most ${type.maxItems} items`])}`);
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
			if (!decoded) lines.push(`if (!${ctx.use("isPlainObject")}(${x})) ${end(["expected an object"])}`);
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
		else if (type.kind === "union") {
			const options_ = type.options.map((o, i) => `${checkFunction(o, `${path}|${i}`, ctx, wellFormed)}(v) === null`);
			body = [`if (${options_.join(" || ")}) return null;`, `return "matches none of the union's options";`];
		} else body = [...checkStatements(type, "v", { mode: "return", prefix: [] }, options, ctx, locals, path), "return null;"];
		return [`function ${name}(v${ctx.t("unknown")})${ctx.t("string | null")} {`, ...indent(body), "}"].join("\n");
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

/** `data.profile.prefs` → `PROFILE_PREFS` (a module-level constant's name). */
export function constName(path: string): string {
	const p = pascalName(path);
	return p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}
