import type { FieldModel, SessionModel } from "../schema/model.ts";
import type { Lock } from "../schema/lock.ts";
import { objectCheckBody } from "./emit-check.ts";
import { fieldTables } from "./emit-fields.ts";
import { EmitContext, hasPack, indent, Locals, str } from "./emit-context.ts";
import { fieldsLoop, initialValue } from "./emit-decode.ts";
import { numbered, writeObjectFunction } from "./emit-encode.ts";
import { literal } from "./emit-literal.ts";
import { unsupportedPart } from "./emit-support.ts";
import { interfaceFor } from "./emit-types.ts";

/** Inputs of `session.ts`: the model, its lock (wire numbers, baked into the code), and what the header names. */
export interface EmitSessionInput {
	model: SessionModel;
	lock: Lock;
	header: string;
	/** Module the generated code imports the runtime from; `sess` for apps. */
	runtimeImport: string;
}

/** The generated module: `session.ts`, or for `--js` a `session.js` with its `session.d.ts`. */
export type EmittedModule = { ts: string } | { js: string; dts: string };

/** Renders `session.ts`: types, typed accessors, the model, the emitted codec and `createSessions`. */
export function emitSession(input: EmitSessionInput): string {
	return render(input, true).code;
}

/** Renders `session.js` (Node runs it as is) and `session.d.ts` beside it. */
export function emitSessionJs(input: EmitSessionInput): { js: string; dts: string } {
	const { code, types } = render(input, false);
	return { js: code, dts: types };
}

function render({ model, lock, header, runtimeImport }: EmitSessionInput, ts: boolean): { code: string; types: string } {
	const ctx = new EmitContext(lock, ts);
	const flashFields: FieldModel[] = model.flash.map((f) => ({ ...f, optional: true }));
	// Types first, so the top-level interfaces keep their names and every nested object gets one.
	interfaceFor(model.data, "data", ctx, false, "/** Session data as stored and as handlers see it; nested values are read-only, so assign to change them. */");
	interfaceFor(flashFields, "flash", ctx, false, "/** One-shot messages: `session.flash.set(key, value)`, then `session.flash.take(key)` once. */");
	const promoted = model.data.filter((f) => f.column !== undefined).map((f) => str(f.name));

	// A schema using a kind or option the emitter does not compile yet runs on the interpreted codec.
	const unsupported = unsupportedPart(model);
	// As createCodec decides: a schema with a packed string writes format 2, and reads format-1 bytes with plain readers too.
	const packed = hasPack({ kind: "object", fields: model.data }) || hasPack({ kind: "object", fields: model.flash });
	const parts = ["writeData", "readData", "checkData", "writeFlash", "readFlash", "checkFlash", "initial", ...(packed ? ["format: 2", "readDataPlain", "readFlashPlain"] : []), "fields"];
	const codecLines = unsupported === null
		? [
			...topLevel(model.data, "data", ctx, packed),
			...topLevel(flashFields, "flash", ctx, packed),
			...fieldTables(model, ctx),
			"/** A fresh session's data: every field at its initial value. */",
			`function initial()${ctx.t("SessionData")} {`,
			`\treturn ${initialObject(model.data, ctx)};`,
			"}",
			"",
			"/** The compact, versioned binary form of `SessionData`. */",
			`export const codec${ctx.t("SessionCodec<SessionData, FlashData>")} = defineCodec${ts ? "<SessionData, FlashData>" : ""}({ ${parts.join(", ")} });`,
		]
		: [
			"/** Wire numbers from sess.lock.json, which the interpreted codec reads at start-up. */",
			`const lock${ctx.t(ctx.useType("Lock"))} = ${literal(lock)};`,
			"",
			"/** The compact, versioned binary form of `SessionData`. */",
			`export const codec${ctx.t("SessionCodec<SessionData, FlashData>")} = ${ctx.use("createCodec")}${ts ? "<SessionData, FlashData>" : ""}(model, lock);`,
		];
	const runtime = ["createSessionManager", ...(unsupported === null ? ["defineCodec"] : []), "Session as BaseSession", ...ctx.runtime].sort((a, b) => a.localeCompare(b));
	const runtimeTypes = [...(model.sealed ? ["SealedManagerOptions"] : []), "SessionCodec", "SessionManager", "SessionManagerOptions", "SessionModel", ...ctx.runtimeTypes].sort();
	const sealedOptions = model.sealed ? "SessionManagerOptions | SealedManagerOptions" : "SessionManagerOptions";
	const createDoc = model.sealed
		? "/** Creates the session manager for this schema: `{ store, keys }`, or `{ mode: \"sealed\", revocations, keys }` for stateless cookies. */"
		: "/** Creates the session manager for this schema: `{ store, keys }`. Sealed mode needs `sealed: true` in the schema. */";
	const accessors = model.data.flatMap((f) => {
		const t = `SessionData[${str(f.name)}]`;
		return [`get ${f.name}()${ctx.t(t)} {`, `\treturn this.read(${str(f.name)});`, "}", `set ${f.name}(value${ctx.t(t)}) {`, `\tthis.write(${str(f.name)}, value);`, "}"];
	});

	const code = [
		header,
		`import { ${runtime.join(", ")} } from ${str(runtimeImport)};`,
		...(ts ? [`import type { ${[...new Set(runtimeTypes)].join(", ")} } from ${str(runtimeImport)};`] : []),
		"",
		...(ts ? [...ctx.typeDeclarations.flatMap((d) => [d, ""]), "/** Fields promoted to their own SQL column, usable with `list()` and `revoke()`. */", `export type PromotedField = ${promoted.length === 0 ? "never" : promoted.join(" | ")};`, ""] : []),
		"/** The schema as plain data: the manager reads its policy and table from it. */",
		`export const model${ctx.t("SessionModel")} = ${literal(model)};`,
		"",
		unsupported === null
			? "// The codec: straight-line code for this schema, the same bytes as the interpreted `createCodec(model, lock)`."
			: `// The codec: interpreted from the model, because ${unsupported} is not compiled to straight-line code yet.`,
		"",
		...ctx.declarations.flatMap((d) => [d, ""]),
		...codecLines,
		"",
		"/** The session a handler reads and writes: one typed accessor per field. */",
		`export class Session extends BaseSession${ts ? "<SessionData, FlashData>" : ""} {`,
		...indent(accessors),
		"}",
		"",
		...(ts ? ["/** The session manager bound to this schema. */", "export type Sessions = SessionManager<SessionData, Session, PromotedField>;", ""] : []),
		createDoc,
		`export function createSessions(options${ctx.t(sealedOptions)})${ctx.t("Sessions")} {`,
		`\treturn createSessionManager${ts ? "<SessionData, FlashData, Session, PromotedField>" : ""}({ model, codec, Session }, options, createSessions);`,
		"}",
		"",
	].join("\n");

	const types = ts ? "" : [
		header,
		`import type { Session as BaseSession, ${[...new Set(runtimeTypes)].join(", ")} } from ${str(runtimeImport)};`,
		"",
		...ctx.typeDeclarations.flatMap((d) => [d, ""]),
		"/** Fields promoted to their own SQL column, usable with `list()` and `revoke()`. */",
		`export type PromotedField = ${promoted.length === 0 ? "never" : promoted.join(" | ")};`,
		"",
		"/** The schema as plain data. */",
		"export declare const model: SessionModel;",
		"/** The compact, versioned binary form of `SessionData`. */",
		"export declare const codec: SessionCodec<SessionData, FlashData>;",
		"/** The session a handler reads and writes: one typed accessor per field. */",
		"export declare class Session extends BaseSession<SessionData, FlashData> {",
		...indent(model.data.flatMap((f) => [`get ${f.name}(): SessionData[${str(f.name)}];`, `set ${f.name}(value: SessionData[${str(f.name)}]);`])),
		"}",
		"/** The session manager bound to this schema. */",
		"export type Sessions = SessionManager<SessionData, Session, PromotedField>;",
		createDoc,
		`export declare function createSessions(options: ${sealedOptions}): Sessions;`,
		"",
	].join("\n");
	return { code, types };
}

/** `writeData` / `readData` / `checkData` (or the flash ones) for a top-level scope. */
function topLevel(fields: FieldModel[], scope: "data" | "flash", ctx: EmitContext, packed: boolean): string[] {
	const type = scope === "data" ? "SessionData" : "FlashData";
	const Name = scope === "data" ? "Data" : "Flash";
	writeObjectFunction(fields, scope, ctx, type);
	const checkLocals = new Locals();
	const check = [
		`/** \`null\` when the value is a valid ${type}, else why not. */`,
		`function check${Name}(v${ctx.t("unknown")})${ctx.t("string | null")} {`,
		...indent(objectCheckBody(fields, scope, ctx, checkLocals, { wellFormed: false, decoded: false })),
		"}",
	];
	const reader = (plain: boolean): string[] => {
		ctx.plain = plain;
		const loop = fieldsLoop(fields, scope, "top", ctx, new Locals(), scope === "data" ? "" : "flash.", scope === "data" ? "after" : "-1", scope === "data");
		ctx.plain = false;
		// No field that can be reset (an empty scope): the parameter is named unused (tsc --noUnusedParameters).
		const resets = loop.some((l) => l.includes("resets.push")) ? "resets" : "_resets";
		const params = `r${ctx.t(ctx.useType("Reader"))}, ${resets}${ctx.t("string[]")}${scope === "data" ? `, after${ctx.t("number")}` : ""}`;
		return [
			plain
				? `/** Reads the ${scope} fields of format-1 bytes, written before the schema packed its strings (they are plain UTF-8 there). */`
				: `/** Reads the ${scope} fields; a field whose stored value no longer fits is reset (named in \`resets\`). */`,
			`function read${Name}${plain ? "Plain" : ""}(${params})${ctx.t("Record<string, unknown>")} {`,
			...indent([...loop, "return out;"]),
			"}",
			"",
		];
	};
	return [...check, "", ...reader(false), ...(packed ? reader(true) : [])];
}

/** The object `initial()` returns: fields with an initial value, in field-number order (as `createCodec`'s). */
function initialObject(fields: FieldModel[], ctx: EmitContext): string {
	const entries = numbered(fields, "data", ctx)
		.filter(({ field }) => field.initial !== undefined)
		// A frozen array literal types as an array: a tuple's initial value is asserted to be the tuple.
		.map(({ field }) => `${field.name}: ${initialValue(field, `data.${field.name}`, ctx)}${JSON.stringify(field.type).includes('"kind":"tuple"') ? ctx.as(`SessionData[${str(field.name)}]`) : ""}`);
	return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
}
