import type { FieldModel, TypeModel } from "../schema/model.ts";
import { EmitContext, indent, pascalName, str } from "./emit-context.ts";

/** The names of the two top-level interfaces. */
const TOP_LEVEL: Record<string, string> = { data: "SessionData", flash: "FlashData" };

/**
 * TypeScript text for a type model. Every object becomes a named, exported interface (the first time it
 * is seen); nested containers are read-only because stored values are frozen.
 */
export function typeText(type: TypeModel, path: string, ctx: EmitContext): string {
	switch (type.kind) {
		case "string":
			return "string";
		case "int":
		case "float":
			return "number";
		case "boolean":
			return "boolean";
		case "date":
			return "Date";
		case "enum":
			return type.values.length === 0 ? "never" : type.values.map((v) => (typeof v === "string" ? str(v) : String(v))).join(" | ");
		case "nullable":
			return `${wrap(type.inner, path, ctx)} | null`;
		case "array":
			return `readonly ${wrap(type.element, `${path}[]`, ctx)}[]`;
		case "record":
			return `Readonly<Record<string, ${typeText(type.value, `${path}{}`, ctx)}>>`;
		case "object":
			return interfaceFor(type.fields, path, ctx, true);
		case "union":
			return type.options.map((o, i) => wrap(o, `${path}|${i}`, ctx)).join(" | ");
		case "bigint":
			return "bigint";
		case "optional":
			return `${wrap(type.inner, path, ctx)} | undefined`;
		case "tuple": {
			const items = type.items.map((t, i) => typeText(t, `${path}[${i}]`, ctx));
			if (type.rest !== undefined) items.push(`...${wrap(type.rest, `${path}[]`, ctx)}[]`);
			return `readonly [${items.join(", ")}]`;
		}
	}
}

/** Declares `export interface <Name> { … }` for an object scope once; returns its name. */
export function interfaceFor(fields: FieldModel[], path: string, ctx: EmitContext, readonly: boolean, doc?: string): string {
	const base = TOP_LEVEL[path] ?? pascalName(path);
	return ctx.hoistType(`type:${path}`, base, (name) => {
		const rows = fields.map((f) => `${readonly ? "readonly " : ""}${f.name}${f.optional ? "?" : ""}: ${typeText(f.type, `${path}.${f.name}`, ctx)};`);
		const head = doc ?? `/** ${path} */`;
		return [head, rows.length === 0 ? `export interface ${name} {}` : [`export interface ${name} {`, ...indent(rows), "}"].join("\n")].join("\n");
	});
}

function wrap(type: TypeModel, path: string, ctx: EmitContext): string {
	const text = typeText(type, path, ctx);
	const kind: string = type.kind;
	return (type.kind === "enum" && type.values.length > 1) || ["nullable", "union", "array", "optional", "tuple"].includes(kind) ? `(${text})` : text;
}
