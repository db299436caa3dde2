import type { FieldModel, FloatType, IntType, JSONValue, TypeModel } from "./model.ts";
import { SchemaError } from "../src/errors.ts";
import { readFieldMeta, type FieldMeta } from "./meta.ts";

/** Structural view of a Zod 4 schema: only what introspection reads. */
interface ZodLike {
	_zod: { def: ZodDef };
}

interface ZodDef {
	type: string;
	checks?: ZodLike[];
	check?: string;
	format?: string;
	pattern?: RegExp;
	innerType?: ZodLike;
	defaultValue?: unknown;
	shape?: Record<string, ZodLike>;
	element?: ZodLike;
	keyType?: ZodLike;
	valueType?: ZodLike;
	entries?: Record<string, string | number>;
	values?: unknown[];
	options?: ZodLike[];
	getter?: () => ZodLike;
	[key: string]: unknown;
}

/** A check's own def, e.g. `{ check: "max_length", maximum: 50 }`. */
interface CheckDef {
	check: string;
	format?: string;
	pattern?: RegExp;
	minimum?: number;
	maximum?: number;
	length?: number;
	value?: number;
	inclusive?: boolean;
}

const MAX_DEPTH = 8;

/** Reads the fields of a `z.object` into field models; `path` names the object in errors. */
export function introspectObject(schema: unknown, path: string, options: { allOptional?: boolean } = {}): FieldModel[] {
	const node = asZod(schema, path);
	if (node._zod.def.type !== "object") {
		throw new SchemaError("unsupported_schema", `${path} must be a z.object({...}); got z.${node._zod.def.type}().`);
	}
	return readFields(node, path, new Set(), 0, options.allOptional === true);
}

function readFields(node: ZodLike, path: string, seen: Set<ZodLike>, depth: number, allOptional = false): FieldModel[] {
	const shape = node._zod.def.shape ?? {};
	const fields: FieldModel[] = [];
	for (const name of Object.keys(shape)) {
		const child = shape[name];
		if (child === undefined) continue;
		fields.push(readField(name, child, `${path}.${name}`, seen, depth, allOptional));
	}
	return fields;
}

function readField(name: string, schema: ZodLike, path: string, seen: Set<ZodLike>, depth: number, allOptional: boolean): FieldModel {
	if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) {
		throw new SchemaError("unsupported_schema", `${path}: field names must be identifiers so accessors can be generated.`);
	}
	const meta: FieldMeta = {};
	let optional = false;
	let nullableOuter = false;
	let hasDefault = false;
	let defaultValue: unknown;
	let node = schema;
	// Wrappers do not inherit `.meta()`, so metadata is collected from every layer while unwrapping.
	for (;;) {
		Object.assign(meta, readFieldMeta(node));
		const def = node._zod.def;
		if (def.type === "optional") optional = true;
		else if (def.type === "nullable") nullableOuter = true;
		else if (def.type === "default" || def.type === "prefault") {
			if (!hasDefault) {
				hasDefault = true;
				defaultValue = def.defaultValue;
			}
		} else if (def.type === "readonly") {
			// Session values are read-only anyway; the wrapper changes nothing on the wire.
		} else break;
		const inner = def.innerType;
		if (inner === undefined) break;
		node = inner;
	}
	let type = readType(node, path, seen, depth);
	if (nullableOuter) type = { kind: "nullable", inner: type };
	const field: FieldModel = { name, type, optional: allOptional || (optional && !hasDefault) };
	if (allOptional) {
		// Flash messages are absent until set, whatever the schema says about defaults.
	} else if (hasDefault) {
		field.initial = toJSON(defaultValue, path);
	} else if (!field.optional) {
		const initial = emptyValue(type);
		if (initial === undefined) {
			throw new SchemaError(
				"unsupported_schema",
				`${path} needs a .default(...) or .optional(): a fresh session must satisfy the schema before anything is set.`,
			);
		}
		field.initial = initial;
	}
	if (meta.column !== undefined && meta.column !== false) field.column = meta.column === true ? snakeCase(name) : meta.column;
	if (meta.rotate === true || meta.identity === true) field.rotate = true;
	if (meta.sensitive === true) field.sensitive = true;
	if (meta.identity === true) field.identity = true;
	if (meta.keepOnUserSwitch === true) field.keepOnUserSwitch = true;
	return field;
}

function readType(node: ZodLike, path: string, seen: Set<ZodLike>, depth: number): TypeModel {
	if (depth > MAX_DEPTH) {
		throw new SchemaError("unsupported_schema", `${path}: nesting deeper than ${MAX_DEPTH} levels (or recursion) is not supported.`);
	}
	const def = node._zod.def;
	const checks = (def.checks ?? []).map((c) => c._zod.def as unknown as CheckDef);
	if (def.check !== undefined) checks.unshift(def as unknown as CheckDef);
	switch (def.type) {
		case "string":
			return readString(checks, path);
		case "number":
			return readNumber(checks, path);
		case "boolean":
			rejectChecks(checks, path);
			return { kind: "boolean" };
		case "date":
			rejectChecks(checks, path);
			return { kind: "date" };
		case "enum": {
			const values = Object.values(def.entries ?? {});
			if (!values.every((v): v is string => typeof v === "string")) {
				throw new SchemaError("unsupported_schema", `${path}: only string enums are supported.`);
			}
			return { kind: "enum", values };
		}
		case "literal": {
			const values = def.values ?? [];
			if (!values.every((v): v is string => typeof v === "string")) {
				throw new SchemaError("unsupported_schema", `${path}: only string literals are supported; use z.int() or z.boolean() for others.`);
			}
			return { kind: "enum", values };
		}
		case "array": {
			if (def.element === undefined) throw new SchemaError("unsupported_schema", `${path}: array without element type.`);
			const element = readNested(def.element, `${path}[]`, seen, depth);
			const out: TypeModel = { kind: "array", element };
			for (const c of checks) {
				if (c.check === "max_length" && c.maximum !== undefined) out.maxItems = c.maximum;
				else if (c.check === "min_length" && c.minimum !== undefined) out.minItems = c.minimum;
				else if (c.check === "length_equals" && c.length !== undefined) out.minItems = out.maxItems = c.length;
				else unsupportedCheck(c, path);
			}
			return out;
		}
		case "object": {
			if (seen.has(node)) throw new SchemaError("unsupported_schema", `${path}: recursive schemas are not supported.`);
			seen.add(node);
			const fields = readFields(node, path, seen, depth + 1);
			seen.delete(node);
			return { kind: "object", fields };
		}
		case "record": {
			const key = def.keyType === undefined ? undefined : readType(def.keyType, `${path}{key}`, seen, depth);
			if (key?.kind !== "string") throw new SchemaError("unsupported_schema", `${path}: only z.record(z.string(), ...) is supported (string keys, bounds and formats allowed).`);
			if (def.valueType === undefined) throw new SchemaError("unsupported_schema", `${path}: record without value type.`);
			return { kind: "record", key, value: readNested(def.valueType, `${path}{}`, seen, depth) };
		}
		case "nullable":
			if (def.innerType === undefined) break;
			return { kind: "nullable", inner: readType(def.innerType, path, seen, depth) };
		case "union": {
			const options = (def.options ?? []).map((o, i) => readNested(o, `${path}|${i}`, seen, depth));
			if (options.every((o) => o.kind === "enum")) {
				return { kind: "enum", values: [...new Set(options.flatMap((o) => (o.kind === "enum" ? o.values : [])))] };
			}
			return { kind: "union", options };
		}
		case "lazy":
			throw new SchemaError("unsupported_schema", `${path}: z.lazy() (recursion) is not supported; session data must have a bounded shape.`);
		case "pipe":
		case "transform":
			throw new SchemaError("unsupported_schema", `${path}: transforms and pipes cannot be reversed for storage; store the input type and convert in your handler.`);
		case "optional":
		case "default":
		case "prefault":
			throw new SchemaError("unsupported_schema", `${path}: .optional()/.default() are only allowed on object fields, not inside arrays, records or unions.`);
	}
	throw new SchemaError("unsupported_schema", `${path}: z.${def.type}() is not supported in session data.`);
}

function readNested(schema: ZodLike, path: string, seen: Set<ZodLike>, depth: number): TypeModel {
	return readType(schema, path, seen, depth + 1);
}

function readString(checks: CheckDef[], path: string): TypeModel {
	const out: TypeModel = { kind: "string" };
	for (const c of checks) {
		if (c.check === "max_length" && c.maximum !== undefined) out.maxLength = Math.min(out.maxLength ?? Infinity, c.maximum);
		else if (c.check === "min_length" && c.minimum !== undefined) out.minLength = Math.max(out.minLength ?? 0, c.minimum);
		else if (c.check === "length_equals" && c.length !== undefined) out.minLength = out.maxLength = c.length;
		else if (c.check === "string_format" && c.pattern instanceof RegExp) {
			(out.patterns ??= []).push([c.pattern.source, c.pattern.flags.replace("g", "")]);
		} else unsupportedCheck(c, path);
	}
	return out;
}

function readNumber(checks: CheckDef[], path: string): IntType | FloatType {
	// The integer format decides how exclusive bounds round, whatever order the checks came in.
	const int = checks.some((c) => c.check === "number_format" && INT_FORMATS.has(c.format ?? ""));
	let min = -Infinity;
	let max = Infinity;
	for (const c of checks) {
		if (c.check === "number_format" && INT_FORMATS.has(c.format ?? "")) {
			if (c.format === "int32") [min, max] = [Math.max(min, -(2 ** 31)), Math.min(max, 2 ** 31 - 1)];
			if (c.format === "uint32") [min, max] = [Math.max(min, 0), Math.min(max, 2 ** 32 - 1)];
		} else if (c.check === "greater_than" && c.value !== undefined) {
			const v = c.inclusive === true ? (int ? Math.ceil(c.value) : c.value) : int ? Math.floor(c.value) + 1 : nextAfter(c.value, Infinity);
			min = Math.max(min, v);
		} else if (c.check === "less_than" && c.value !== undefined) {
			const v = c.inclusive === true ? (int ? Math.floor(c.value) : c.value) : int ? Math.ceil(c.value) - 1 : nextAfter(c.value, -Infinity);
			max = Math.min(max, v);
		} else unsupportedCheck(c, path);
	}
	const out: { kind: "int" | "float"; min?: number; max?: number } = { kind: int ? "int" : "float" };
	if (Number.isFinite(min)) out.min = min;
	if (Number.isFinite(max)) out.max = max;
	return out;
}

const INT_FORMATS = new Set(["safeint", "int32", "uint32"]);

/** The adjacent double towards `direction`, so an exclusive float bound becomes an exact inclusive one. */
function nextAfter(x: number, direction: number): number {
	if (Number.isNaN(x) || x === direction) return x;
	if (x === 0) return direction > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
	const f = new Float64Array([x]);
	const bits = new BigInt64Array(f.buffer);
	bits[0] = (bits[0] as bigint) + ((x < direction) === (x > 0) ? 1n : -1n);
	return f[0] as number;
}

function rejectChecks(checks: CheckDef[], path: string): void {
	for (const c of checks) unsupportedCheck(c, path);
}

function unsupportedCheck(c: CheckDef, path: string): never {
	throw new SchemaError(
		"unsupported_schema",
		`${path}: the check "${c.check}${c.format === undefined ? "" : `:${c.format}`}" cannot be verified by the generated codec; use bounds, enums or regex formats, and check the rest in your handler.`,
	);
}

function asZod(value: unknown, path: string): ZodLike {
	if (typeof value !== "object" || value === null || !("_zod" in value)) {
		throw new SchemaError("unsupported_schema", `${path} must be a Zod 4 schema.`);
	}
	return value as ZodLike;
}

/** The value a required field without an explicit default starts with, if it has a natural empty. */
function emptyValue(type: TypeModel): JSONValue | undefined {
	switch (type.kind) {
		case "nullable":
			return null;
		case "array":
			return (type.minItems ?? 0) === 0 ? [] : undefined;
		case "record":
			return {};
		case "object": {
			const out: { [key: string]: JSONValue } = {};
			for (const f of type.fields) {
				if (f.initial !== undefined) out[f.name] = f.initial;
				else if (!f.optional) return undefined;
			}
			return out;
		}
		default:
			return undefined;
	}
}

function toJSON(value: unknown, path: string): JSONValue {
	if (value instanceof Date) return { $date: value.getTime() };
	if (value === null || typeof value === "string" || typeof value === "boolean") return value;
	if (typeof value === "number" && Number.isFinite(value)) return value;
	if (Array.isArray(value)) return value.map((v) => toJSON(v, path));
	if (typeof value === "object") {
		const out: { [key: string]: JSONValue } = {};
		for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJSON(v, path);
		return out;
	}
	throw new SchemaError("unsupported_schema", `${path}: the default value must be plain data (JSON or Date).`);
}

/** `userId` → `user_id`, the SQL column name a promoted field gets unless it names its own. */
export function snakeCase(name: string): string {
	return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}
