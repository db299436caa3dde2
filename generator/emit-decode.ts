import { shapeOf } from "../schema/lock.ts";
import type { FieldModel, JSONValue, TypeModel } from "../schema/model.ts";
import { checkFunction, checkStatements, constName } from "./emit-check.ts";
import { EmitContext, hasPack, indent, Locals, pascalName, str } from "./emit-context.ts";
import { enumValues, numbered, packedCodec, wireOf } from "./emit-encode.ts";
import { literal } from "./emit-literal.ts";

/**
 * `checked`: the value is validated while it is read (a value that no longer fits throws `DecodeError`,
 * and the enclosing top-level field is reset). `raw`: read only, as the interpreted codec reads a union's
 * option before checking the union as a whole (objects still check their own fields, as `readObject` does).
 */
export type ReadMode = "checked" | "raw";

const PRIMITIVE_TS: Partial<Record<TypeModel["kind"], string>> = { string: "string", int: "number", float: "number", bigint: "bigint", boolean: "boolean", date: "Date" };

/** Statements declaring `const x` read from `r` in packed form: the straight-line `compileValue(...).read` (+ its check). */
export function readStatements(type: TypeModel, x: string, mode: ReadMode, ctx: EmitContext, locals: Locals, path: string): string[] {
	const checked = (lines: string[]): string[] =>
		mode === "checked" ? [...lines, ...checkStatements(type, x, { mode: "throw" }, { wellFormed: true, decoded: true }, ctx, locals, path)] : lines;
	switch (type.kind) {
		case "string":
			// Format-1 bytes (ctx.plain) hold every string as UTF-8.
			if (type.pack === undefined || ctx.plain) return checked([`const ${x} = r.string();`]);
			return checked([`const ${x} = ${packedCodec(type, ctx)}.read(r)${ctx.as("string")};`]);
		case "bigint":
			return checked([`const ${x} = ${ctx.use("readBigint")}(r);`]);
		case "int":
			return checked([`const ${x} = r.zigzag();`]);
		case "float":
			return checked([`const ${x} = r.float64();`]);
		case "boolean":
			return [`const ${x} = ${ctx.use("readBoolean")}(r);`];
		case "date":
			return checked([`const ${x} = ${ctx.use("readDate")}(r);`]);
		case "enum":
			return [`const ${x} = ${ctx.use("readEnum")}(r, ${enumValues(type.values, path, ctx)});`];
		default:
			return [`const ${x} = ${readFunction(type, mode, ctx, path)}(r);`];
	}
}

/** A module-level reader of one nested value (its frame included), per path and mode. */
function readFunction(type: TypeModel, mode: ReadMode, ctx: EmitContext, path: string): string {
	const suffix = mode === "raw" && type.kind !== "object" ? "Raw" : "";
	const objectMode = type.kind === "object" && mode === "raw" ? "Open" : "";
	const orNull = type.kind === "nullable" ? "OrNull" : type.kind === "optional" ? "OrUndefined" : "";
	// Readers of format-1 bytes differ only where a packed string is read.
	const plain = ctx.plain && hasPack(type) ? "Plain" : "";
	// A nullable value and the value inside it share a path (and the lock's enum numbers), not a function.
	return ctx.hoist(`read:${path}:${type.kind}:${mode}:${plain}`, `read${pascalName(path)}${orNull}${suffix}${objectMode}${plain}`, (name) => {
		const locals = new Locals();
		let body: string[];
		let returns = "unknown";
		switch (type.kind) {
			case "nullable":
			case "optional": {
				const value = locals.name("value");
				body = [
					"const flag = r.byte();",
					`if (flag > 1) throw new ${ctx.use("DecodeError")}("bad null flag");`,
					`let ${value}${ctx.t("unknown")} = ${type.kind === "nullable" ? "null" : "undefined"};`,
					"if (flag === 1) {",
					...indent(readStatements(type.inner, "inner", mode, ctx, locals, path)),
					`\t${value} = inner;`,
					"}",
					`if (!r.done) throw new ${ctx.use("DecodeError")}("trailing bytes");`,
					`return ${value};`,
				];
				break;
			}
			case "array": {
				const e = locals.name("item");
				const element = PRIMITIVE_TS[type.element.kind] ?? "unknown";
				body = [`const out${ctx.t(`${element}[]`)} = [];`, "while (!r.done) {", ...indent(readStatements(type.element, e, mode, ctx, locals, `${path}[]`)), `\tout.push(${e});`, "}"];
				if (mode === "checked") {
					if (type.minItems !== undefined && type.minItems > 0) body.push(`if (out.length < ${type.minItems}) ${ctx.use("nestedChanged")}();`);
					if (type.maxItems !== undefined && type.maxItems !== Infinity) body.push(`if (out.length > ${type.maxItems}) ${ctx.use("nestedChanged")}();`);
				}
				body.push("return out;");
				returns = `${element}[]`;
				break;
			}
			case "tuple": {
				body = [`const out${ctx.t("unknown[]")} = [];`];
				type.items.forEach((item, i) => {
					const e = locals.name("item");
					body.push(...readStatements(item, e, mode, ctx, locals, `${path}[${i}]`), `out.push(${e});`);
				});
				if (type.rest !== undefined) {
					const e = locals.name("item");
					body.push("while (!r.done) {", ...indent(readStatements(type.rest, e, mode, ctx, locals, `${path}[]`)), `\tout.push(${e});`, "}");
				} else body.push(`if (!r.done) throw new ${ctx.use("DecodeError")}("trailing bytes");`);
				body.push("return out;");
				returns = "unknown[]";
				break;
			}
			case "record": {
				const k = locals.name("key");
				const e = locals.name("item");
				const keyChecks = mode === "checked" ? checkStatements(type.key, k, { mode: "throw" }, { wellFormed: true, decoded: true }, ctx, locals, `${path}{}`) : [];
				body = [
					// No prototype while keys are added, so a "__proto__" key stays data; copied to a plain object at the end.
					`const out${ctx.t("Record<string, unknown>")} = Object.create(null);`,
					`let previous${ctx.t("string | undefined")};`,
					"while (!r.done) {",
					`\tconst ${k} = r.string();`,
					`\tif (previous !== undefined && ${k} <= previous) throw new ${ctx.use("DecodeError")}("record keys out of order");`,
					`\tprevious = ${k};`,
					...indent(keyChecks),
					...indent(readStatements(type.value, e, mode, ctx, locals, `${path}{}`)),
					`\tout[${k}] = ${e};`,
					"}",
					"return { ...out };",
				];
				returns = "Record<string, unknown>";
				break;
			}
			case "object":
				body = [...fieldsLoop(type.fields, path, "nested", ctx, locals), ...(mode === "checked" ? requiredPresent(type.fields, ctx) : []), "return out;"];
				returns = "Record<string, unknown>";
				break;
			case "union": {
				const cases = type.options.flatMap((option, i) => {
					const o = locals.name("option");
					return [`case ${i}: {`, ...indent(readStatements(option, o, "raw", ctx, locals, `${path}|${i}`)), `\tvalue = ${o};`, "\tbreak;", "}"];
				});
				body = [
					`let value${ctx.t("unknown")};`,
					"switch (r.varint()) {",
					...indent(cases),
					"\tdefault:",
					`\t\tthrow new ${ctx.use("DecodeError")}("union branch out of range");`,
					"}",
					`if (!r.done) throw new ${ctx.use("DecodeError")}("trailing bytes");`,
				];
				// The option is read as written; the value then only has to satisfy one of the options, as in the interpreted codec.
				if (mode === "checked") body.push(`if (${checkFunction(type, path, ctx, true)}(value) !== null) ${ctx.use("nestedChanged")}();`);
				body.push("return value;");
				break;
			}
			default:
				throw new Error(`no reader for ${type.kind}`);
		}
		return [
			`function ${name}(r${ctx.t(ctx.useType("Reader"))})${ctx.t(returns)} {`,
			"\tconst outer = r.enter();",
			"\ttry {",
			...indent(body, 2),
			"\t} finally {",
			"\t\tr.leave(outer);",
			"\t}",
			"}",
		].join("\n");
	});
}

/** In checked mode, a nested object missing a required field (one with no initial value) no longer fits. */
function requiredPresent(fields: FieldModel[], ctx: EmitContext): string[] {
	return fields.filter((f) => !f.optional && f.initial === undefined).map((f) => `if (!(${str(f.name)} in out)) ${ctx.use("nestedChanged")}();`);
}

/**
 * The tagged-field loop of one object scope (`readObject`): fields in increasing number order, unknown
 * numbers skipped. `top` (data, flash): a field that no longer fits is reset and named in `resets`;
 * `nested`: it makes the whole value throw, and the top-level field holding it is reset.
 */
export function fieldsLoop(fields: FieldModel[], path: string, kind: "top" | "nested", ctx: EmitContext, locals: Locals, prefix = "", after = "-1", fill = true): string[] {
	const cases: string[] = [];
	for (const { field, number } of numbered(fields, path, ctx)) {
		const inner = field.type.kind === "nullable" ? field.type.inner : field.type;
		const wire = wireOf(inner);
		const x = locals.name(field.name);
		const read = [
			`if (wire !== ${wire}) ${ctx.use("wireMismatch")}();`,
			...readStatements(inner, x, "checked", ctx, locals, `${path}.${field.name}`),
			`out.${field.name} = ${x};`,
			"continue;",
		];
		cases.push(`case ${number}: { // ${field.name}: ${shapeOf(field.type, true)}`);
		if (field.type.kind === "nullable") cases.push("\tif (wire === 3) {", `\t\tout.${field.name} = null;`, "\t\tcontinue;", "\t}");
		if (kind === "nested") cases.push(...indent(read));
		else {
			cases.push("\tconst at = r.pos;", "\ttry {", ...indent(read, 2), "\t} catch (e) {", `\t\t${ctx.use("skipDamaged")}(r, at, wire, e);`, "\t}", `\tresets.push(${str(prefix + field.name)});`, "\tcontinue;");
		}
		cases.push("}");
	}
	const names = new Set(fields.map((f) => f.name));
	for (const [number, entry] of Object.entries(ctx.lock.scopes[path]?.retired ?? {})) {
		if (!names.has(entry.name)) continue;
		// The field still exists under a new shape: bytes of the old shape reset it.
		cases.push(`case ${number}: // ${entry.name} before it became ${shapeOf(fields.find((f) => f.name === entry.name)?.type ?? { kind: "boolean" }, true)}`);
		if (kind === "nested") cases.push(`\t${ctx.use("nestedChanged")}();`);
		else cases.push(`\tresets.push(${str(prefix + entry.name)});`, "\tbreak;");
	}
	const loop = [
		`const out${ctx.t("Record<string, unknown>")} = {};`,
		`let last = ${after};`,
		"while (!r.done) {",
		"\tconst tag = r.varint();",
		"\tconst n = Math.floor(tag / 8);",
		"\tconst wire = tag % 8;",
		`\tif (n <= last) throw new ${ctx.use("DecodeError")}("fields out of order");`,
		"\tlast = n;",
	];
	if (cases.length > 0) loop.push("\tswitch (n) {", ...indent(cases, 2), "\t}");
	loop.push("\tr.skip(wire);", "}");
	if (fill) {
		for (const { field } of numbered(fields, path, ctx)) {
			if (field.initial === undefined) continue;
			loop.push(`if (!(${str(field.name)} in out)) out.${field.name} = ${initialValue(field, `${path}.${field.name}`, ctx)};`);
		}
	}
	return loop;
}

/**
 * A field's initial value as the interpreted codec builds it (`materialize`): shared and frozen, or
 * built fresh each time when it holds a Date (a Date cannot be frozen).
 */
export function initialValue(field: FieldModel, path: string, ctx: EmitContext): string {
	if (field.initial === undefined) return "undefined";
	const value = revive(field.initial);
	const text = literal(value, 1);
	if (!isContainer(value) || JSON.stringify(field.type).includes('"kind":"date"')) return text;
	return ctx.hoist(`initial:${path}`, `${constName(path)}_INITIAL`, (name) => `const ${name} = ${text};`);
}

/** The runtime value of a model's JSON `initial` (`{ "$date": ms }` and `{ "$bigint": "…" }` revived), frozen as the codec shares it. */
function revive(value: JSONValue): unknown {
	if (Array.isArray(value)) return Object.freeze(value.map(revive));
	if (value === null || typeof value !== "object") return value;
	const keys = Object.keys(value);
	if (keys.length === 1 && keys[0] === "$date") return new Date(value.$date as number);
	if (keys.length === 1 && keys[0] === "$bigint") return BigInt(value.$bigint as string);
	return Object.freeze(Object.fromEntries(keys.map((k) => [k, revive(value[k] as JSONValue)])));
}

function isContainer(value: unknown): boolean {
	return typeof value === "object" && value !== null && !(value instanceof Date);
}
