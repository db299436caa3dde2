import { shapeOf } from "../schema/lock.ts";
import type { FieldModel, LiteralValue, TypeModel } from "../schema/model.ts";
import { checkFunction, constName } from "./emit-check.ts";
import { EmitContext, indent, Locals, pascalName, str } from "./emit-context.ts";
import { typeText } from "./emit-types.ts";

// Wire types, as in src/wire.ts.
const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const NULL = 3;

/** The wire type a value of this type is written with (inside a tagged field, a nullable field's inner type's). */
export function wireOf(type: TypeModel): number {
	switch (type.kind) {
		case "int":
		case "date":
		case "boolean":
		case "enum":
			return VARINT;
		case "float":
			return FIXED64;
		default:
			return BYTES;
	}
}

/** Statements writing the value in the local or property `x` in packed form: the straight-line `compileValue(...).write`. */
export function writeStatements(type: TypeModel, x: string, ctx: EmitContext, locals: Locals, path: string): string[] {
	switch (type.kind) {
		case "string":
			return type.pack === undefined ? [`w.string(${x});`] : [`${packedCodec(type, ctx)}.write(w, ${x});`];
		case "bigint":
			return [`${ctx.use("writeBigint")}(w, ${x});`];
		case "optional": {
			const at = locals.name("frame");
			return [
				`const ${at} = w.begin();`,
				`if (${x} === undefined) w.byte(0);`,
				"else {",
				"\tw.byte(1);",
				...indent(writeStatements(type.inner, x, ctx, locals, path)),
				"}",
				`w.end(${at});`,
			];
		}
		case "tuple": {
			const at = locals.name("frame");
			const lines = [`const ${at} = w.begin();`];
			type.items.forEach((item, i) => {
				const e = locals.name("item");
				lines.push(`const ${e} = ${x}[${i}];`, ...writeStatements(item, e, ctx, locals, `${path}[${i}]`));
			});
			if (type.rest !== undefined) {
				const i = locals.name("i");
				const e = locals.name("item");
				lines.push(`for (let ${i} = ${type.items.length}; ${i} < ${x}.length; ${i}++) {`, `\tconst ${e} = ${x}[${i}]${ctx.as(typeText(type.rest, `${path}[]`, ctx))};`, ...indent(writeStatements(type.rest, e, ctx, locals, `${path}[]`)), "}");
			}
			lines.push(`w.end(${at});`);
			return lines;
		}
		case "int":
			return [`w.zigzag(${x});`];
		case "float":
			return [`w.float64(${x});`];
		case "date":
			return [`w.zigzag(${x}.getTime());`];
		case "boolean":
			return [`w.byte(${x} === true ? 1 : 0);`];
		case "enum":
			return [`w.varint(${enumValues(type.values, path, ctx)}.indexOf(${x}));`];
		case "nullable": {
			const at = locals.name("frame");
			return [
				`const ${at} = w.begin();`,
				`if (${x} === null) w.byte(0);`,
				"else {",
				"\tw.byte(1);",
				...indent(writeStatements(type.inner, x, ctx, locals, path)),
				"}",
				`w.end(${at});`,
			];
		}
		case "array": {
			const at = locals.name("frame");
			const e = locals.name("item");
			const element = writeStatements(type.element, e, ctx, locals, `${path}[]`);
			return [`const ${at} = w.begin();`, `for (const ${e} of ${x}) {`, ...indent(element), "}", `w.end(${at});`];
		}
		case "record": {
			const at = locals.name("frame");
			const k = locals.name("key");
			const e = locals.name("item");
			const value = writeStatements(type.value, e, ctx, locals, `${path}{}`);
			// Keys in sorted order, so the same record always gives the same bytes.
			return [
				`const ${at} = w.begin();`,
				`for (const ${k} of Object.keys(${x}).sort()) {`,
				`\tif (${k} === "__proto__") continue;`,
				`\tconst ${e} = ${x}[${k}]${ctx.bang};`,
				`\tw.string(${k});`,
				...indent(value),
				"}",
				`w.end(${at});`,
			];
		}
		case "object": {
			const at = locals.name("frame");
			const fn = writeObjectFunction(type.fields, path, ctx);
			return [`const ${at} = w.begin();`, `${fn}(w, ${x});`, `w.end(${at});`];
		}
		case "union": {
			const fn = ctx.hoist(`write:${path}:union`, `write${pascalName(path)}`, (name) => {
				const inner = new Locals();
				const at = inner.name("frame");
				const body = [`const ${at} = w.begin();`];
				// The first option the value satisfies, as the interpreted codec picks it.
				type.options.forEach((option, i) => {
					// Checked as decoded values are (no lone-surrogate scan), as the interpreted codec's writer does.
					const check = checkFunction(option, `${path}|${i}`, ctx, true);
					const o = inner.name("option");
					body.push(
						`${i === 0 ? "if" : "else if"} (${check}(v) === null) {`,
						`\tw.varint(${i});`,
						`\tconst ${o} = v${ctx.as(typeText(option, `${path}|${i}`, ctx))};`,
						...indent(writeStatements(option, o, ctx, inner, `${path}|${i}`)),
						"}",
					);
				});
				body.push(`w.end(${at});`);
				return [`function ${name}(w${ctx.t(ctx.useType("Writer"))}, v${ctx.t(typeText(type, path, ctx))})${ctx.t("void")} {`, ...indent(body), "}"].join("\n");
			});
			return [`${fn}(w, ${x});`];
		}
		default:
			throw new Error(`the emitter has no writer for ${(type as TypeModel).kind} (see emit-support.ts)`);
	}
}

/** `writeObject` for one object scope: present fields in field-number order, each after its tag. */
export function writeObjectFunction(fields: FieldModel[], path: string, ctx: EmitContext, typeName?: string): string {
	return ctx.hoist(`write:${path}`, path === "data" ? "writeData" : path === "flash" ? "writeFlash" : `write${pascalName(path)}`, (name) => {
		const locals = new Locals();
		const body: string[] = [];
		for (const f of numbered(fields, path, ctx)) {
			const x = locals.name(f.field.name);
			const inner = f.field.type.kind === "nullable" ? f.field.type.inner : f.field.type;
			const tag = (f.number << 3) | wireOf(inner);
			const write = [`w.${tag < 0x80 ? "byte" : "varint"}(${tag}); // ${f.field.name}: field ${f.number}, ${shapeOf(f.field.type, true)}`, ...writeStatements(inner, x, ctx, locals, `${path}.${f.field.name}`)];
			body.push(`const ${x} = v.${f.field.name};`);
			if (f.field.type.kind === "nullable") {
				const nullTag = (f.number << 3) | NULL;
				body.push(`if (${x} === null) w.${nullTag < 0x80 ? "byte" : "varint"}(${nullTag});`, `else if (${x} !== undefined) {`, ...indent(write), "}");
			} else body.push(`if (${x} !== undefined) {`, ...indent(write), "}");
		}
		const type = typeName ?? typeText({ kind: "object", fields }, path, ctx);
		// A scope with no fields writes nothing: its parameters are named unused (tsc --noUnusedParameters).
		const [w, v] = body.length === 0 ? ["_w", "_v"] : ["w", "v"];
		return [`function ${name}(${w}${ctx.t(ctx.useType("Writer"))}, ${v}${ctx.t(path === "flash" ? `Partial<${type}>` : type)})${ctx.t("void")} {`, ...indent(body), "}"].join("\n");
	});
}

/** The fields of a scope with their lock numbers, in number order (the order they are written and read in). */
export function numbered(fields: FieldModel[], path: string, ctx: EmitContext): { field: FieldModel; number: number }[] {
	const scope = ctx.lock.scopes[path];
	return fields
		.map((field) => {
			const entry = scope?.fields[field.name];
			if (entry === undefined) throw new Error(`sess.lock.json has no number for "${path}.${field.name}"`);
			return { field, number: entry.number };
		})
		.sort((a, b) => a.number - b.number);
}

/**
 * The codec of a packed string (codec format 2): the runtime's writer and reader of the format, which
 * write only a value whose packed form gives back the same string.
 */
export function packedCodec(type: Extract<TypeModel, { kind: "string" }>, ctx: EmitContext): string {
	const fixed = type.minLength !== undefined && type.minLength === type.maxLength ? type.minLength : undefined;
	const key = `${type.pack}:${fixed ?? ""}`;
	return ctx.hoist(`packed:${key}`, `PACKED_${String(type.pack).toUpperCase()}${fixed === undefined ? "" : `_${fixed}`}`, (name) => `const ${name} = ${ctx.use("packedString")}(${str(String(type.pack))}${fixed === undefined ? "" : `, ${fixed}`});`);
}

/** The enum's values in wire order, from the lock; values dropped from the schema since are holes. */
export function enumValues(values: readonly LiteralValue[], path: string, ctx: EmitContext): string {
	return ctx.hoist(`enum:${path}`, constName(path), (name) => {
		const wire = ctx.lock.enums[path];
		if (wire === undefined) throw new Error(`sess.lock.json has no values for enum "${path}"`);
		return `/** Wire numbers of ${path} (sess.lock.json); a value dropped from the schema keeps its number as a hole. */\nconst ${name} = [${wire.map((v) => (values.includes(v) ? JSON.stringify(v) : "undefined")).join(", ")}]${ctx.as("const")};`;
	});
}
