import type { FieldModel, Normalizer, StringType, TypeModel } from "../schema/model.ts";
import { normalizes } from "../schema/validate.ts";
import { checkFunction, constName } from "./emit-check.ts";
import { EmitContext, indent, Locals, pascalName, str } from "./emit-context.ts";
import { initialValue } from "./emit-decode.ts";
import { literal } from "./emit-literal.ts";

/**
 * A module-level function `(v: unknown) => unknown` giving the value a setter stores for `type`: what
 * Zod's parse outputs (trimmed, case-folded, unknown keys stripped, defaults filled, -0 as 0), the same
 * object when nothing changes, and `v` itself when the check refuses it (the setter then reports why).
 * The straight-line form of schema/validate.ts's `compileNormalize`; `undefined` when parsing never
 * changes a value of this type.
 */
export function normalizeFunction(type: TypeModel, path: string, ctx: EmitContext): string | undefined {
	// compileNormalize has one whenever `normalizes(type)`; where it can only return its input (an array of
	// integers: a -0 item is kept, as `!==` sees no change), none is emitted and the setter skips the call.
	if (!normalizes(type) || !alters(type)) return undefined;
	const check = checkFunction(type, path, ctx, false);
	return ctx.hoist(`normalize:${path}`, `normalize${pascalName(path)}`, (name) => {
		if (type.kind === "int") {
			// Only a zero can change (-0 becomes 0): anything else is returned as it is, valid or not, so the
			// check (which the setter runs after this anyway) is needed for a zero alone.
			return [
				`/** ${path} as a setter stores it: Zod's output for a valid value, the value itself for one the check refuses. */`,
				`function ${name}(v${ctx.t("unknown")})${ctx.t("unknown")} {`,
				"\tif (v !== 0) return v;",
				`\treturn ${check}(v) !== null ? v : 0;`,
				"}",
			].join("\n");
		}
		const locals = new Locals();
		const lines: string[] = [];
		const out = outputOf(type, "v", ctx, locals, path, lines);
		return [
			`/** ${path} as a setter stores it: Zod's output for a valid value, the value itself for one the check refuses. */`,
			`function ${name}(v${ctx.t("unknown")})${ctx.t("unknown")} {`,
			`\tif (${check}(v) !== null) return v;`,
			...indent(returning(lines, out)),
			"}",
		].join("\n");
	});
}

/** `lines` then `return out`, the last local folded into the return when it is only returned. */
function returning(lines: string[], out: string): string[] {
	const last = lines[lines.length - 1];
	const prefix = `const ${out} = `;
	if (last !== undefined && last.startsWith(prefix)) return [...lines.slice(0, -1), `return ${last.slice(prefix.length)}`];
	return [...lines, `return ${out};`];
}

/**
 * Appends to `lines` the statements computing Zod's output for `x`, a value the check of `type`
 * accepted, and returns the expression holding it (`x` itself when the type never changes a value).
 * Copies are made only on a change, as `compileParse` makes them, so an unchanged value stays the same
 * object.
 */
function outputOf(type: TypeModel, x: string, ctx: EmitContext, locals: Locals, path: string, lines: string[]): string {
	if (!alters(type)) return x;
	switch (type.kind) {
		case "string": {
			const ops = stringOps(type);
			if (ops.length === 0) return x;
			const n = locals.name("normalized");
			lines.push(`let ${n} = ${x}${ctx.as("string")};`);
			for (const op of ops) lines.push(`${n} = ${normalizerCall(op, n, ctx, path)};`);
			return n;
		}
		case "int": {
			// An integer is stored as one: -0 comes back as 0.
			const n = locals.name("int");
			lines.push(`const ${n} = ${x} === 0 ? 0 : ${x};`);
			return n;
		}
		case "nullable":
		case "optional": {
			const absent = type.kind === "nullable" ? "null" : "undefined";
			const inner: string[] = [];
			const e = outputOf(type.inner, x, ctx, locals, path, inner);
			if (e === x) return x;
			const n = locals.name("value");
			lines.push(`let ${n}${ctx.t("unknown")} = ${x};`, `if (${x} !== ${absent}) {`, ...indent(inner), `\t${n} = ${e};`, "}");
			return n;
		}
		case "array":
		case "tuple": {
			const a = locals.name("items");
			const copy = locals.name("copy");
			lines.push(`const ${a} = ${x}${ctx.as("readonly unknown[]")};`, `let ${copy}${ctx.t("unknown[] | undefined")};`);
			// Each changed item replaces its slot in a copy made at the first change (compileParse's parseItems).
			const item = (t: TypeModel, e: string, index: string, p: string): string[] => {
				const body: string[] = [];
				const out = outputOf(t, e, ctx, locals, p, body);
				return [`const ${e}${ctx.t("unknown")} = ${a}[${index}];`, ...body, `if (${out} !== ${e} && ${copy} === undefined) ${copy} = ${a}.slice();`, `if (${copy} !== undefined) ${copy}[${index}] = ${out};`];
			};
			const loop = (t: TypeModel, from: number, p: string): void => {
				if (!alters(t)) return;
				const i = locals.name("i");
				lines.push(`for (let ${i} = ${from}; ${i} < ${a}.length; ${i}++) {`, ...indent(item(t, locals.name("item"), i, p)), "}");
			};
			if (type.kind === "array") loop(type.element, 0, `${path}[]`);
			else {
				type.items.forEach((t, i) => {
					if (alters(t)) lines.push(...item(t, locals.name("item"), String(i), `${path}[${i}]`));
				});
				if (type.rest !== undefined) loop(type.rest, type.items.length, `${path}[]`);
			}
			const n = locals.name("array");
			lines.push(`const ${n} = ${copy} ?? ${a};`);
			return n;
		}
		case "record": {
			const o = locals.name("entries");
			const copy = locals.name("copy");
			const k = locals.name("key");
			const e = locals.name("item");
			const body: string[] = [];
			const out = outputOf(type.value, e, ctx, locals, `${path}{}`, body);
			const n = locals.name("record");
			lines.push(
				`const ${o} = ${x}${ctx.as("Record<string, unknown>")};`,
				`let ${copy}${ctx.t("Record<string, unknown> | undefined")};`,
				`for (const ${k} of Object.keys(${o})) {`,
				// Zod drops a "__proto__" key (its pollution guard).
				`\tif (${k} === "__proto__") {`,
				`\t\t${copy} ??= ${ctx.use("withoutProto")}(${o});`,
				"\t\tcontinue;",
				"\t}",
				...(out === e ? [] : [
					`\tconst ${e} = ${o}[${k}];`,
					...indent(body),
					`\tif (${out} !== ${e} && ${copy} === undefined) ${copy} = { ...${o} };`,
					`\tif (${copy} !== undefined) ${copy}[${k}] = ${out};`,
				]),
				"}",
				`const ${n} = ${copy} ?? ${o};`,
			);
			return n;
		}
		case "object":
		case "union": {
			const n = locals.name("value");
			lines.push(`const ${n} = ${outputFunction(type, path, ctx)}(${x});`);
			return n;
		}
		default:
			return x;
	}
}

/** A module-level function giving Zod's output for a valid value of an object or union type. */
function outputFunction(type: Extract<TypeModel, { kind: "object" | "union" }>, path: string, ctx: EmitContext): string {
	return ctx.hoist(`normalized:${path}`, `normalized${pascalName(path)}`, (name) => {
		const locals = new Locals();
		const body = type.kind === "object" ? objectOutput(type.fields, path, ctx, locals) : unionOutput(type, path, ctx);
		return [`/** Zod's output for a valid ${path}. */`, `function ${name}(v${ctx.t("unknown")})${ctx.t("unknown")} {`, ...indent(body), "}"].join("\n");
	});
}

/**
 * An object as compileObjectParse outputs it: a plain copy of the known fields when the value is not a
 * plain object, has unknown keys (stripped), lacks a field with a default (filled) or a field changed.
 */
function objectOutput(fields: FieldModel[], path: string, ctx: EmitContext, locals: Locals): string[] {
	const known = ctx.hoist(`fields:${path}`, `${constName(path)}_FIELDS`, (n) => `const ${n}${ctx.t("ReadonlySet<string>")} = new Set(${literal(fields.map((f) => f.name))});`);
	const copyKnown = ctx.use("copyKnown");
	const o = locals.name("object");
	const copy = locals.name("copy");
	const lines = [
		`const ${o} = v${ctx.as("Record<string, unknown>")};`,
		`let ${copy}${ctx.t("Record<string, unknown> | undefined")} = ${ctx.use("isPlainObject")}(${o}) ? undefined : ${copyKnown}(${o}, ${known});`,
	];
	for (const f of fields) {
		const fills = f.synthesised !== true && f.initial !== undefined;
		if (!fills && !alters(f.type)) continue;
		const x = locals.name(f.name);
		const present: string[] = [];
		const out = outputOf(f.type, x, ctx, locals, `${path}.${f.name}`, present);
		lines.push(`const ${x} = ${o}.${f.name};`);
		const change = out === x ? [] : [...present, `if (${out} !== ${x} && ${copy} === undefined) ${copy} = ${copyKnown}(${o}, ${known});`, `if (${copy} !== undefined) ${copy}.${f.name} = ${out};`];
		if (!fills) {
			// A required field is present in a valid value; an optional one may be absent.
			lines.push(...(f.optional ? [`if (${x} !== undefined) {`, ...indent(change), "}"] : change));
			continue;
		}
		// An absent field gets its default, itself parsed (as compileObjectParse parses the filled value).
		const initial = locals.name(`${f.name}Initial`);
		const filled: string[] = [];
		const fill = outputOf(f.type, initial, ctx, locals, `${path}.${f.name}`, filled);
		lines.push(
			`if (${x} === undefined) {`,
			`\tconst ${initial}${ctx.t("unknown")} = ${initialValue(f, `${path}.${f.name}`, ctx)};`,
			...indent(filled),
			`\t${copy} ??= ${copyKnown}(${o}, ${known});`,
			`\t${copy}.${f.name} = ${fill};`,
			...(change.length === 0 ? ["}"] : ["} else {", ...indent(change), "}"]),
		);
	}
	const k = locals.name("key");
	lines.push(
		// Zod strips unknown keys from a z.object; so does the stored value.
		`if (${copy} === undefined) for (const ${k} of Object.keys(${o})) if (!${known}.has(${k})) {`,
		`\t${copy} = ${copyKnown}(${o}, ${known});`,
		"\tbreak;",
		"}",
		`return ${copy} ?? ${o};`,
	);
	return lines;
}

/** A union outputs what its first accepting option outputs. */
function unionOutput(type: Extract<TypeModel, { kind: "union" }>, path: string, ctx: EmitContext): string[] {
	const lines: string[] = [];
	type.options.forEach((option, i) => {
		const check = checkFunction(option, `${path}|${i}`, ctx, false);
		const locals = new Locals();
		const body: string[] = [];
		const out = outputOf(option, "v", ctx, locals, `${path}|${i}`, body);
		const block = returning(body, out);
		if (block.length === 1) lines.push(`if (${check}(v) === null) ${block[0]}`);
		else lines.push(`if (${check}(v) === null) {`, ...indent(block), "}");
	});
	return [...lines, "return v;"];
}

/**
 * Whether the output for a valid value of `type` can be a different value (`normalizes`, less a string
 * chain with no normaliser and a container none of whose items can trigger a copy).
 */
function alters(type: TypeModel): boolean {
	switch (type.kind) {
		case "int":
			return true;
		case "nullable":
		case "optional":
			return alters(type.inner);
		case "union":
			return type.options.some(alters);
		default:
			return triggers(type);
	}
}

/**
 * Whether the output can be `!==` the value, which makes a container copy itself. An integer cannot
 * (-0 and 0 are `===`): it only rides along, written as 0 into a copy something else made, as
 * compileParse writes every item once a copy exists. Any record can (parsing drops an own `__proto__` key).
 */
function triggers(type: TypeModel): boolean {
	switch (type.kind) {
		case "string":
			return stringOps(type).length > 0;
		case "nullable":
		case "optional":
			return triggers(type.inner);
		case "array":
			return triggers(type.element);
		case "tuple":
			return type.items.some(triggers) || (type.rest !== undefined && triggers(type.rest));
		case "record":
		case "object":
			return true;
		case "union":
			return type.options.some(triggers);
		default:
			return false;
	}
}

/** The normalisers of a string's chain in the order parse applies them: the earliest level first. */
function stringOps(type: StringType): Normalizer[] {
	return [...(type.before === undefined ? [] : stringOps(type.before)), ...(type.normalize ?? [])];
}

function normalizerCall(op: Normalizer, s: string, ctx: EmitContext, path: string): string {
	switch (op.op) {
		case "trim":
			return `${s}.trim()`;
		case "lower":
			return `${s}.toLowerCase()`;
		case "upper":
			return `${s}.toUpperCase()`;
		case "unicode":
			return `${s}.normalize(${str(op.form)})`;
		case "url": {
			// The same hoisted normaliser the check uses; for a value it accepted, it returns the string.
			const fn = ctx.hoist(`url:${JSON.stringify(op)}`, `${constName(path)}_URL`, (name) => `const ${name} = ${ctx.use("urlNormalizer")}(${literal(op)});`);
			return `${fn}(${s})${ctx.as("string")}`;
		}
	}
}
