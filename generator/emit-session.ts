import type { FieldModel, SessionModel, TypeModel } from "../schema/model.ts";
import type { Lock } from "../schema/lock.ts";

/** Inputs of `session.ts`: the model, its lock, and what the header names. */
export interface EmitSessionInput {
	model: SessionModel;
	lock: Lock;
	header: string;
	/** Module the generated code imports the runtime from; `sess` for apps. */
	runtimeImport: string;
}

/** Renders `session.ts`: types, typed accessors, the embedded model and lock, codec and `createSessions`. */
export function emitSession({ model, lock, header, runtimeImport }: EmitSessionInput): string {
	const promoted = model.data.filter((f) => f.column !== undefined).map((f) => JSON.stringify(f.name));
	const lines: string[] = [
		header,
		`import { Session as BaseSession, createCodec, createSessionManager } from ${JSON.stringify(runtimeImport)};`,
		`import type { Lock, SealedManagerOptions, SessionCodec, SessionManager, SessionManagerOptions, SessionModel } from ${JSON.stringify(runtimeImport)};`,
		"",
		"/** Session data as stored and as handlers see it; nested values are read-only, so assign to change them. */",
		`export interface SessionData ${objectBody(model.data, "")}`,
		"",
		"/** One-shot messages: `session.flash.set(key, value)`, then `session.flash.take(key)` once. */",
		`export interface FlashData ${objectBody(model.flash.map((f) => ({ ...f, optional: true })), "")}`,
		"",
		"/** Fields promoted to their own SQL column, usable with `list()` and `revoke()`. */",
		`export type PromotedField = ${promoted.length === 0 ? "never" : promoted.join(" | ")};`,
		"",
		"/** The schema as plain data, read by the codec, the stores and the manager. */",
		`export const model: SessionModel = ${JSON.stringify(model, null, "\t")};`,
		"",
		"/** Wire numbers from sess.lock.json, so old bytes keep decoding after the schema changes. */",
		`export const lock: Lock = ${JSON.stringify(lock, null, "\t")};`,
		"",
		"/** The compact, versioned binary form of `SessionData`. */",
		"export const codec: SessionCodec<SessionData, FlashData> = createCodec<SessionData, FlashData>(model, lock);",
		"",
		"/** The session a handler reads and writes: one typed accessor per field. */",
		"export class Session extends BaseSession<SessionData, FlashData> {",
	];
	for (const field of model.data) {
		const t = `SessionData[${JSON.stringify(field.name)}]`;
		const key = JSON.stringify(field.name);
		lines.push(
			`\tget ${field.name}(): ${t} {`,
			`\t\treturn this.read(${key});`,
			"\t}",
			`\tset ${field.name}(value: ${t}) {`,
			`\t\tthis.write(${key}, value);`,
			"\t}",
		);
	}
	lines.push(
		"}",
		"",
		"/** The session manager bound to this schema. */",
		"export type Sessions = SessionManager<SessionData, Session, PromotedField>;",
		"",
		"/** Creates the session manager for this schema: `{ store, keys }`, or `{ mode: \"sealed\", revocations, keys }` for stateless cookies. */",
		"export function createSessions(options: SessionManagerOptions | SealedManagerOptions): Sessions {",
		"\treturn createSessionManager<SessionData, FlashData, Session, PromotedField>({ model, codec, Session }, options);",
		"}",
		"",
	);
	return lines.join("\n");
}

function objectBody(fields: FieldModel[], indent: string, readonly = false): string {
	if (fields.length === 0) return "{}";
	const inner = `${indent}\t`;
	const rows = fields.map((f) => `${inner}${readonly ? "readonly " : ""}${f.name}${f.optional ? "?" : ""}: ${typeText(f.type, inner)};`);
	return `{\n${rows.join("\n")}\n${indent}}`;
}

/** TypeScript text for a type model; nested containers are read-only because stored values are frozen. */
export function typeText(type: TypeModel, indent: string): string {
	switch (type.kind) {
		case "string":
			return "string";
		case "int":
		case "float":
			return "number";
		case "bigint":
			return "bigint";
		case "boolean":
			return "boolean";
		case "date":
			return "Date";
		case "enum":
			return type.values.map((v) => JSON.stringify(v)).join(" | ");
		case "nullable":
			return `${wrap(type.inner, indent)} | null`;
		case "optional":
			return `${wrap(type.inner, indent)} | undefined`;
		case "tuple":
			return `readonly [${[...type.items.map((t) => typeText(t, indent)), ...(type.rest === undefined ? [] : [`...${wrap(type.rest, indent)}[]`])].join(", ")}]`;
		case "array":
			return `readonly ${wrap(type.element, indent)}[]`;
		case "record":
			return `Readonly<Record<string, ${typeText(type.value, indent)}>>`;
		case "object":
			return objectBody(type.fields, indent, true);
		case "union":
			return type.options.map((o) => wrap(o, indent)).join(" | ");
	}
}

function wrap(type: TypeModel, indent: string): string {
	const text = typeText(type, indent);
	return type.kind === "enum" && type.values.length > 1 || type.kind === "nullable" || type.kind === "optional" || type.kind === "union" || type.kind === "tuple" ? `(${text})` : text;
}
