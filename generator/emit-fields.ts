import type { FieldModel, SessionModel } from "../schema/model.ts";
import { NUL_IN_TEXT_COLUMN } from "../src/promoted-text.ts";
import { checkFunction } from "./emit-check.ts";
import { EmitContext, indent, pascalName, str } from "./emit-context.ts";
import { normalizeFunction } from "./emit-normalize.ts";

/**
 * The module-level `fields` constant: per field, the check and (when Zod rewrites assigned values) the
 * normaliser that the typed setters and `flash.set` run, as emitted functions, so the manager compiles
 * nothing from the model (compileFieldChecks in src/manager-shared.ts is the interpreted form, and the reference).
 */
export function fieldTables(model: SessionModel, ctx: EmitContext): string[] {
	const textColumns = new Set(model.table.columns.filter((c) => c.type === "text").map((c) => c.field));
	const checks = (fields: FieldModel[], scope: string): string[] => fields.map((f) => {
		const path = `${scope}.${f.name}`;
		const check = checkFunction(f.type, path, ctx, false);
		return `[${str(f.name)}, ${textColumns.has(f.name) && scope === "data" ? columnCheck(check, path, ctx) : check}]`;
	});
	const normalizers = (fields: FieldModel[], scope: string): string[] => fields.flatMap((f) => {
		const fn = normalizeFunction(f.type, `${scope}.${f.name}`, ctx);
		return fn === undefined ? [] : [`[${str(f.name)}, ${fn}]`];
	});
	const map = (entries: string[]): string => (entries.length === 0 ? "new Map()" : `new Map([\n${indent(entries, 2).map((e) => `${e},`).join("\n")}\n\t])`);
	return [
		"/** What the typed setters and `flash.set` run on an assigned value, per field: the normaliser (Zod's output), then the check. */",
		`const fields${ctx.t(ctx.useType("FieldChecks"))} = {`,
		`\tdata: ${map(checks(model.data, "data"))},`,
		`\tdataNormalizers: ${map(normalizers(model.data, "data"))},`,
		`\tflash: ${map(checks(model.flash, "flash"))},`,
		`\tflashNormalizers: ${map(normalizers(model.flash, "flash"))},`,
		"};",
		"",
	];
}

/** A promoted text column's check: the field's, then no NUL (as src/promoted-text.ts adds it). */
function columnCheck(check: string, path: string, ctx: EmitContext): string {
	return ctx.hoist(`column-check:${path}`, `check${pascalName(path)}Column`, (name) => [
		`/** ${path} is a promoted text column: no NUL, which PostgreSQL cannot hold. */`,
		`function ${name}(v${ctx.t("unknown")})${ctx.t("string | null")} {`,
		`\tconst problem = ${check}(v);`,
		"\tif (problem !== null) return problem;",
		`\treturn typeof v === "string" && v.includes("\\0") ? ${str(NUL_IN_TEXT_COLUMN)} : null;`,
		"}",
	].join("\n"));
}
