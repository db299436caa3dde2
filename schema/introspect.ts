import type { EnumType, FieldModel, FloatType, IntType, JSONValue, LiteralValue, Normalizer, StringCheck, StringPacking, StringType, TypeModel } from "./model.ts";
import { SchemaError } from "./errors.ts";
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
	catchall?: ZodLike;
	element?: ZodLike;
	items?: ZodLike[];
	rest?: ZodLike | null;
	keyType?: ZodLike;
	valueType?: ZodLike;
	entries?: Record<string, string | number>;
	values?: unknown[];
	options?: ZodLike[];
	discriminator?: string;
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
	value?: unknown;
	inclusive?: boolean;
	includes?: string;
	position?: number;
	prefix?: string;
	suffix?: string;
	tx?: (s: string) => string;
	alg?: string;
	hostname?: RegExp;
	protocol?: RegExp;
	normalize?: boolean;
	[key: string]: unknown;
}

/** Deepest nesting of containers under a top-level field; deeper (or recursive) schemas are refused. */
export const MAX_DEPTH = 8;

/** Where the walk is: the path as the user writes it, nesting depth, and whether values here are synthesised. */
interface Walk {
	path: string;
	depth: number;
	seen: Set<ZodLike>;
	/** A fresh session needs a value here: a top-level required field, or a required field of a required object under one. */
	synthesise: boolean;
}

/** Reads the fields of a `z.object` into field models; `path` names the object in errors. */
export function introspectObject(schema: unknown, path: string, options: { allOptional?: boolean } = {}): FieldModel[] {
	const node = asZod(schema, path);
	if (node._zod.def.type !== "object") {
		throw new SchemaError("unsupported_schema", `${path} must be a z.object({...}); got z.${node._zod.def.type}().`);
	}
	refuseChecks(node, path);
	return readFields(node, { path, depth: 0, seen: new Set(), synthesise: options.allOptional !== true }, options.allOptional === true);
}

function readFields(node: ZodLike, walk: Walk, allOptional = false): FieldModel[] {
	const shape = node._zod.def.shape ?? {};
	const fields: FieldModel[] = [];
	for (const name of Object.keys(shape)) {
		const child = shape[name];
		if (child === undefined) continue;
		fields.push(readField(name, child, { ...walk, path: `${walk.path}.${name}` }, allOptional));
	}
	return fields;
}

function readField(name: string, schema: ZodLike, walk: Walk, allOptional: boolean): FieldModel {
	const { path } = walk;
	if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) {
		throw new SchemaError("unsupported_schema", `${path}: field names must be identifiers so accessors can be generated; rename the field.`);
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
				defaultValue = typeof def.defaultValue === "function" ? undefined : def.defaultValue;
				if (typeof def.defaultValue === "function") {
					throw new SchemaError("unsupported_schema", `${path}: a .default(() => ...) computed at parse time cannot be stored in the generated model; pass the value itself.`);
				}
			}
		} else if (def.type === "readonly") {
			// Session values are read-only anyway; the wrapper changes nothing on the wire.
		} else break;
		refuseChecks(node, path);
		const inner = def.innerType;
		if (inner === undefined) break;
		node = inner;
	}
	const isOptional = allOptional || (optional && !hasDefault);
	// Values are synthesised only under a required, default-less, non-null field of a synthesised scope.
	const synthesise = walk.synthesise && !isOptional && !hasDefault && !nullableOuter && !allOptional;
	let type = readType(node, { ...walk, synthesise });
	if (nullableOuter) type = { kind: "nullable", inner: type };
	const field: FieldModel = { name, type, optional: isOptional };
	if (allOptional) {
		// Flash messages are absent until set, whatever the schema says about defaults.
	} else if (hasDefault) {
		field.initial = toJSON(defaultValue, path);
	} else if (!field.optional && walk.synthesise) {
		const initial = emptyValue(type);
		if (initial === undefined) {
			throw new SchemaError(
				"unsupported_schema",
				`${path} needs a .default(...) or .optional(): a fresh session must hold a valid value before your code sets one.`,
			);
		}
		field.initial = initial;
		field.synthesised = true;
	}
	if (meta.column !== undefined && meta.column !== false) field.column = meta.column === true ? snakeCase(name) : meta.column;
	if (meta.rotate === true || meta.identity === true) field.rotate = true;
	if (meta.sensitive === true) field.sensitive = true;
	if (meta.identity === true) field.identity = true;
	if (meta.keepOnUserSwitch === true) field.keepOnUserSwitch = true;
	return field;
}

function readType(node: ZodLike, walk: Walk): TypeModel {
	const { path, depth } = walk;
	if (depth > MAX_DEPTH) {
		throw new SchemaError("unsupported_schema", `${path}: nesting deeper than ${MAX_DEPTH} levels (or a recursive schema) cannot be stored; flatten the shape or store an id and load the rest.`);
	}
	const def = node._zod.def;
	const checks = checksOf(node);
	switch (def.type) {
		case "string":
			return readString(checks, path);
		case "number":
			return readNumber(checks, path);
		case "bigint":
			return readBigInt(checks, path);
		case "boolean":
			refuseAll(checks, path);
			return { kind: "boolean" };
		case "date":
			return readDate(checks, path);
		case "enum": {
			refuseAll(checks, path);
			return { kind: "enum", values: Object.values(def.entries ?? {}) };
		}
		case "literal": {
			refuseAll(checks, path);
			return literalType(def.values ?? [], path);
		}
		case "array": {
			if (def.element === undefined) throw new SchemaError("unsupported_schema", `${path}: array without element type.`);
			const element = readNested(def.element, `${path}[]`, walk);
			const out: TypeModel = { kind: "array", element };
			for (const c of checks) {
				if (c.check === "max_length" && c.maximum !== undefined) out.maxItems = Math.min(out.maxItems ?? Infinity, c.maximum);
				else if (c.check === "min_length" && c.minimum !== undefined) out.minItems = Math.max(out.minItems ?? 0, c.minimum);
				else if (c.check === "length_equals" && c.length !== undefined) out.minItems = out.maxItems = c.length;
				else refuseCheck(c, path);
			}
			return out;
		}
		case "tuple": {
			refuseAll(checks, path);
			const items = (def.items ?? []).map((item, i) => {
				if (item._zod.def.type === "optional") {
					throw new SchemaError("unsupported_schema", `${path}[${i}]: optional tuple items are not supported; use .nullable() for an item that may be empty.`);
				}
				return readNested(item, `${path}[${i}]`, walk);
			});
			const out: TypeModel = { kind: "tuple", items };
			if (def.rest !== undefined && def.rest !== null) out.rest = readNested(def.rest, `${path}[${items.length}…]`, walk);
			return out;
		}
		case "object": {
			refuseAll(checks, path);
			if (walk.seen.has(node)) throw new SchemaError("unsupported_schema", `${path}: a recursive schema cannot be stored; give it a fixed depth.`);
			const catchall = def.catchall?._zod.def.type;
			if (catchall !== undefined && catchall !== "never") {
				throw new SchemaError("unsupported_schema", `${path}: z.looseObject()/.catchall() would keep keys the schema does not declare, which the codec cannot store; use z.object() (unknown keys are stripped) or a z.record().`);
			}
			walk.seen.add(node);
			const fields = readFields(node, { ...walk, depth: depth + 1 });
			walk.seen.delete(node);
			return catchall === "never" ? { kind: "object", fields, strict: true } : { kind: "object", fields };
		}
		case "record": {
			refuseAll(checks, path);
			if (def.mode === "loose") {
				throw new SchemaError("unsupported_schema", `${path}: z.looseRecord() keeps keys its key schema refuses, which the codec cannot store; use z.record().`);
			}
			const keyDef = def.keyType?._zod.def;
			if (keyDef?.type !== "string") {
				throw new SchemaError("unsupported_schema", `${path}: only z.record(z.string(), ...) is supported (string keys, with bounds and formats); an enum key makes every key required in Zod, so use a z.object() for that.`);
			}
			const key = readType(def.keyType as ZodLike, { ...walk, path: `${path} (key)` }) as StringType;
			if (key.normalize !== undefined || key.before !== undefined) {
				throw new SchemaError("unsupported_schema", `${path} (key): a record key cannot be normalised (.trim(), .toLowerCase(), z.url()); normalise keys in your handler.`);
			}
			if (def.valueType === undefined) throw new SchemaError("unsupported_schema", `${path}: record without value type.`);
			return { kind: "record", key, value: readNested(def.valueType, `${path}[key]`, walk) };
		}
		case "nullable":
			refuseAll(checks, path);
			if (def.innerType === undefined) break;
			return { kind: "nullable", inner: readType(def.innerType, walk) };
		case "optional":
			refuseAll(checks, path);
			if (def.innerType === undefined) break;
			return { kind: "optional", inner: readType(def.innerType, walk) };
		case "readonly":
			if (def.innerType === undefined) break;
			return readType(def.innerType, walk);
		case "union":
			refuseAll(checks, path);
			return readUnion(def, walk);
		case "lazy":
			throw new SchemaError("unsupported_schema", `${path}: z.lazy() (recursion) cannot be stored; session data needs a bounded shape, so give it a fixed depth.`);
		case "pipe":
		case "transform":
			throw new SchemaError(
				"unsupported_schema",
				`${path}: .transform()/.pipe() cannot be reversed for storage, so the stored value would not be the one you parse; store the input type and convert in your handler.`,
			);
		case "default":
		case "prefault":
			throw new SchemaError("unsupported_schema", `${path}: .default() is only supported on object fields, not on array items, tuple items, record values or union options; put it on the field that holds them.`);
		case "function":
			throw new SchemaError("unsupported_schema", `${path}: functions cannot be stored in a session; store the data the function needs.`);
		case "promise":
			throw new SchemaError("unsupported_schema", `${path}: promises cannot be stored in a session; await the value and store it.`);
		case "map":
			throw new SchemaError("unsupported_schema", `${path}: z.map() is not supported; use z.record(z.string(), ...) (string keys) instead.`);
		case "set":
			throw new SchemaError("unsupported_schema", `${path}: z.set() is not supported; use z.array(...) instead.`);
		case "any":
		case "unknown":
			throw new SchemaError("unsupported_schema", `${path}: z.${def.type}() has no shape to validate or encode; declare the shape the value has.`);
	}
	throw new SchemaError("unsupported_schema", `${path}: z.${def.type}() is not supported in session data; use strings, numbers, booleans, dates, enums, arrays, tuples, objects, records or unions.`);
}

function readNested(schema: ZodLike, path: string, walk: Walk): TypeModel {
	// Nothing inside a container is synthesised: a fresh array is empty, a fresh union has no option yet.
	return readType(schema, { ...walk, path, depth: walk.depth + 1, synthesise: false });
}

function readUnion(def: ZodDef, walk: Walk): TypeModel {
	const { path } = walk;
	const raw = def.options ?? [];
	const discriminator = typeof def.discriminator === "string" ? def.discriminator : undefined;
	let nullable = false;
	let optional = false;
	const options: TypeModel[] = [];
	raw.forEach((o, i) => {
		const t = o._zod.def.type;
		if (t === "null") nullable = true;
		else if (t === "undefined") optional = true;
		else options.push(readNested(o, `${path} (${variantName(o, discriminator, i)})`, walk));
	});
	let out: TypeModel;
	if (options.length > 0 && options.every((o) => o.kind === "enum")) {
		out = { kind: "enum", values: [...new Set(options.flatMap((o) => (o as EnumType).values))] };
	} else if (options.length === 1) {
		out = options[0] as TypeModel;
	} else {
		out = discriminator === undefined ? { kind: "union", options } : { kind: "union", options, discriminator };
	}
	if (nullable) out = { kind: "nullable", inner: out };
	if (optional) out = { kind: "optional", inner: out };
	return out;
}

/** `variant "card"` for a discriminated union's option, `option 2` for a plain union's. */
function variantName(option: ZodLike, discriminator: string | undefined, index: number): string {
	if (discriminator !== undefined) {
		const literal = option._zod.def.shape?.[discriminator]?._zod.def;
		const values = literal?.type === "literal" ? literal.values : literal?.type === "enum" ? Object.values(literal.entries ?? {}) : undefined;
		if (values !== undefined && values.length > 0) return `variant ${values.map((v) => JSON.stringify(v)).join("|")}`;
	}
	return `option ${index + 1}`;
}

function literalType(values: unknown[], path: string): TypeModel {
	let nullable = false;
	const kept: LiteralValue[] = [];
	for (const v of values) {
		if (v === null) nullable = true;
		else if (typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) kept.push(v);
		else {
			throw new SchemaError("unsupported_schema", `${path}: only string, number, boolean and null literals can be stored; got ${typeof v}.`);
		}
	}
	const out: TypeModel = { kind: "enum", values: kept };
	return nullable ? { kind: "nullable", inner: out } : out;
}

function checksOf(node: ZodLike): CheckDef[] {
	const def = node._zod.def;
	const checks = (def.checks ?? []).map((c) => c._zod.def as unknown as CheckDef);
	// A format schema (z.email()) is its own first check.
	if (def.check !== undefined) checks.unshift(def as unknown as CheckDef);
	return checks;
}

/** Refuses `.refine()`-like checks on a wrapper or container, which would otherwise be dropped. */
function refuseChecks(node: ZodLike, path: string): void {
	for (const c of checksOf(node)) refuseCheck(c, path);
}

function refuseAll(checks: CheckDef[], path: string): void {
	for (const c of checks) refuseCheck(c, path);
}

function refuseCheck(c: CheckDef, path: string): never {
	if (c.check === "custom") {
		throw new SchemaError(
			"unsupported_schema",
			`${path}: a .refine()/.superRefine() rule cannot be checked by the generated code, and sess will not skip a rule you wrote; express it with bounds, formats, enums or a discriminated union, or check it in your handler before assigning.`,
		);
	}
	if (c.check === "multiple_of") {
		throw new SchemaError("unsupported_schema", `${path}: .multipleOf()/.step() is not supported; store the quotient as an integer with bounds instead.`);
	}
	if (c.check === "overwrite") {
		throw new SchemaError("unsupported_schema", `${path}: this normalising step (.slugify() or a custom one) cannot be repeated by the generated code; normalise in your handler, or use .trim(), .toLowerCase(), .toUpperCase() or .normalize().`);
	}
	const what = c.check === "string_format" ? `the ${c.format ?? "custom"} format` : `the check ${describeCheck(c.check)}`;
	throw new SchemaError("unsupported_schema", `${path}: ${what} is not supported here; use bounds, enums or a regex pattern (.regex(...)), and check the rest in your handler.`);
}

function describeCheck(check: string): string {
	const names: Record<string, string> = {
		max_length: ".max()", min_length: ".min()", length_equals: ".length()", greater_than: ".min()/.gt()", less_than: ".max()/.lt()",
		number_format: "a number format", bigint_format: "a bigint format", max_size: ".max() (size)", min_size: ".min() (size)", mime_type: ".mime()",
	};
	return names[check] ?? `.${check}()`;
}

/** Formats whose check Zod implements as code: mirrored by schema/validate.ts, not read as a pattern. */
const CODE_FORMATS = new Set(["ipv6", "cidrv6", "base64", "base64url", "jwt"]);
/** Formats whose check is exactly their pattern. */
const PATTERN_FORMATS = new Set([
	"guid", "uuid", "email", "emoji", "nanoid", "cuid", "cuid2", "ulid", "xid", "ksuid", "datetime", "date", "time", "duration",
	"ipv4", "mac", "cidrv4", "e164", "regex", "lowercase", "uppercase", "hex", "hostname", "domain",
]);
const PACKINGS: Record<string, StringPacking> = { uuid: "uuid", guid: "uuid", hex: "hex", base64: "base64", base64url: "base64url", datetime: "datetime", date: "date" };

function readString(checks: CheckDef[], path: string): StringType {
	let out: StringType = { kind: "string" };
	let checked = false;
	for (const c of checks) {
		if (c.check === "overwrite" || (c.check === "string_format" && c.format === "url")) {
			const n = c.check === "overwrite" ? normalizerOf(c, path) : urlNormalizer(c);
			// Zod runs checks in order: a normaliser after a check starts a new level over the checked value.
			if (checked) {
				out = { kind: "string", before: out };
				checked = false;
			}
			(out.normalize ??= []).push(n);
			if (c.format === "url") (out.formats ??= []).push("url");
			continue;
		}
		checked = true;
		if (c.check === "string_format" && c.format !== undefined && c.format !== "regex") (out.formats ??= []).push(c.format);
		if (c.check === "max_length" && c.maximum !== undefined) out.maxLength = Math.min(out.maxLength ?? Infinity, c.maximum);
		else if (c.check === "min_length" && c.minimum !== undefined) out.minLength = Math.max(out.minLength ?? 0, c.minimum);
		else if (c.check === "length_equals" && c.length !== undefined) {
			out.minLength = Math.max(out.minLength ?? 0, c.length);
			out.maxLength = Math.min(out.maxLength ?? Infinity, c.length);
		} else if (c.check === "string_format" && c.format === "includes" && c.includes !== undefined) {
			const check: StringCheck = { check: "includes", value: c.includes };
			if (typeof c.position === "number") check.position = c.position;
			(out.checks ??= []).push(check);
		} else if (c.check === "string_format" && c.format === "starts_with" && c.prefix !== undefined) {
			(out.checks ??= []).push({ check: "startsWith", value: c.prefix });
		} else if (c.check === "string_format" && c.format === "ends_with" && c.suffix !== undefined) {
			(out.checks ??= []).push({ check: "endsWith", value: c.suffix });
		} else if (c.check === "string_format" && CODE_FORMATS.has(c.format ?? "")) {
			const format = c.format as "ipv6" | "cidrv6" | "base64" | "base64url" | "jwt";
			(out.checks ??= []).push(format === "jwt" && typeof c.alg === "string" ? { check: "jwt", alg: c.alg } : { check: format } as StringCheck);
			if (PACKINGS[format] !== undefined) out.pack = PACKINGS[format];
		} else if (c.check === "string_format" && PATTERN_FORMATS.has(c.format ?? "") && c.pattern instanceof RegExp) {
			// Zod resets lastIndex before each test, so a g flag changes nothing; y (sticky) does, and is kept.
			const flags = c.pattern.flags.replace("g", "");
			(out.patterns ??= []).push(c.format === "regex" ? [c.pattern.source, flags] : [c.pattern.source, flags, c.format as string]);
			const pack = PACKINGS[c.format ?? ""];
			if (pack !== undefined) out.pack = pack;
		} else refuseCheck(c, path);
	}
	return out;
}

function urlNormalizer(c: CheckDef): Normalizer {
	const n: Extract<Normalizer, { op: "url" }> = { op: "url" };
	if (c.hostname instanceof RegExp) n.hostname = [c.hostname.source, c.hostname.flags];
	if (c.protocol instanceof RegExp) {
		n.protocol = [c.protocol.source, c.protocol.flags];
		if (c.protocol.source === "^https?$") n.httpGuard = true;
	}
	if ("normalize" in c) n.normalize = c.normalize === true;
	return n;
}

const PROBES = [" Ab\u00e9e\u0301\uFB01 ", "\tİß x\u212B\n"];
const NORMALIZERS: [Normalizer, (s: string) => string][] = [
	[{ op: "trim" }, (s) => s.trim()],
	[{ op: "lower" }, (s) => s.toLowerCase()],
	[{ op: "upper" }, (s) => s.toUpperCase()],
	[{ op: "unicode", form: "NFC" }, (s) => s.normalize("NFC")],
	[{ op: "unicode", form: "NFD" }, (s) => s.normalize("NFD")],
	[{ op: "unicode", form: "NFKC" }, (s) => s.normalize("NFKC")],
	[{ op: "unicode", form: "NFKD" }, (s) => s.normalize("NFKD")],
];

/** Tells `.trim()`, `.toLowerCase()`, `.toUpperCase()` and `.normalize(form)` apart by what they do to probe strings. */
function normalizerOf(c: CheckDef, path: string): Normalizer {
	const tx = c.tx;
	if (typeof tx === "function") {
		for (const [n, f] of NORMALIZERS) if (PROBES.every((p) => safeApply(tx, p) === f(p))) return n;
	}
	return refuseCheck(c, path);
}

function safeApply(tx: (s: string) => string, s: string): string | undefined {
	try {
		return tx(s);
	} catch {
		return undefined;
	}
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
		} else if (c.check === "number_format" && c.format === "float32") {
			[min, max] = [Math.max(min, -FLOAT32_MAX), Math.min(max, FLOAT32_MAX)];
		} else if (c.check === "number_format" && c.format === "float64") {
			// Every finite double: nothing to add.
		} else if (c.check === "greater_than" && typeof c.value === "number") {
			const v = c.inclusive === true ? (int ? Math.ceil(c.value) : c.value) : int ? Math.floor(c.value) + 1 : nextAfter(c.value, Infinity);
			min = Math.max(min, v);
		} else if (c.check === "less_than" && typeof c.value === "number") {
			const v = c.inclusive === true ? (int ? Math.floor(c.value) : c.value) : int ? Math.ceil(c.value) - 1 : nextAfter(c.value, -Infinity);
			max = Math.min(max, v);
		} else refuseCheck(c, path);
	}
	const out: { kind: "int" | "float"; min?: number; max?: number } = { kind: int ? "int" : "float" };
	if (Number.isFinite(min)) out.min = min;
	if (Number.isFinite(max)) out.max = max;
	return out;
}

const INT_FORMATS = new Set(["safeint", "int32", "uint32"]);
const FLOAT32_MAX = 3.4028234663852886e38;

function readBigInt(checks: CheckDef[], path: string): TypeModel {
	let min: bigint | undefined;
	let max: bigint | undefined;
	for (const c of checks) {
		if (c.check === "bigint_format" && (c.format === "int64" || c.format === "uint64")) {
			const [lo, hi] = c.format === "int64" ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
			min = min === undefined || lo > min ? lo : min;
			max = max === undefined || hi < max ? hi : max;
		} else if (c.check === "greater_than" && typeof c.value === "bigint") {
			const v = c.inclusive === true ? c.value : c.value + 1n;
			min = min === undefined || v > min ? v : min;
		} else if (c.check === "less_than" && typeof c.value === "bigint") {
			const v = c.inclusive === true ? c.value : c.value - 1n;
			max = max === undefined || v < max ? v : max;
		} else refuseCheck(c, path);
	}
	const out: TypeModel = { kind: "bigint" };
	if (min !== undefined) out.min = String(min);
	if (max !== undefined) out.max = String(max);
	return out;
}

function readDate(checks: CheckDef[], path: string): TypeModel {
	const out: { kind: "date"; min?: number; max?: number } = { kind: "date" };
	for (const c of checks) {
		const v = c.value instanceof Date ? c.value.getTime() : typeof c.value === "number" ? c.value : undefined;
		if (c.check === "greater_than" && v !== undefined) out.min = Math.max(out.min ?? -Infinity, c.inclusive === true ? v : v + 1);
		else if (c.check === "less_than" && v !== undefined) out.max = Math.min(out.max ?? Infinity, c.inclusive === true ? v : v - 1);
		else refuseCheck(c, path);
	}
	return out;
}

/** The adjacent double towards `direction`, so an exclusive float bound becomes an exact inclusive one. */
function nextAfter(x: number, direction: number): number {
	if (Number.isNaN(x) || x === direction) return x;
	if (x === 0) return direction > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
	const f = new Float64Array([x]);
	const bits = new BigInt64Array(f.buffer);
	bits[0] = (bits[0] as bigint) + ((x < direction) === (x > 0) ? 1n : -1n);
	return f[0] as number;
}

function asZod(value: unknown, path: string): ZodLike {
	if (typeof value !== "object" || value === null || !("_zod" in value)) {
		throw new SchemaError("unsupported_schema", `${path} must be a Zod 4 schema (import * as z from "zod").`);
	}
	return value as ZodLike;
}

/** The value a synthesised field starts with, if its type has a natural empty (or only one value). */
function emptyValue(type: TypeModel): JSONValue | undefined {
	switch (type.kind) {
		case "nullable":
			return null;
		case "array":
			return (type.minItems ?? 0) === 0 ? [] : undefined;
		case "record":
			return {};
		case "enum":
			return type.values.length === 1 ? (type.values[0] as LiteralValue) : undefined;
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
	if (typeof value === "bigint") return { $bigint: String(value) };
	if (value === null || typeof value === "string" || typeof value === "boolean") return value;
	if (typeof value === "number" && Number.isFinite(value)) return value;
	if (Array.isArray(value)) return value.map((v) => toJSON(v, path));
	if (typeof value === "object") {
		const out: { [key: string]: JSONValue } = {};
		for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJSON(v, path);
		return out;
	}
	throw new SchemaError("unsupported_schema", `${path}: the default value must be plain data (JSON, Date or bigint).`);
}

/** `userId` → `user_id`, the SQL column name a promoted field gets unless it names its own. */
export function snakeCase(name: string): string {
	return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}
