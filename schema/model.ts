/**
 * The session model: plain, JSON-serialisable data describing a session schema.
 * The generator, the codec runtime and the stores all read this and nothing else,
 * so a model can be embedded in generated code without importing Zod at run time.
 */

/** A value type, as the codec and validators understand it. */
export type TypeModel =
	| StringType
	| IntType
	| FloatType
	| BooleanType
	| EnumType
	| DateType
	| ArrayType
	| ObjectType
	| RecordType
	| NullableType
	| UnionType;

/** A UTF-8 string with optional length bounds (in UTF-16 code units, as Zod counts) and pattern. */
export interface StringType {
	kind: "string";
	minLength?: number;
	maxLength?: number;
	/** Regular expressions from Zod checks (formats included), as `[source, flags]`. */
	patterns?: [string, string][];
}

/** A safe integer (`z.int()` or `z.number().int()`). */
export interface IntType {
	kind: "int";
	min?: number;
	max?: number;
}

/** A finite float64. */
export interface FloatType {
	kind: "float";
	min?: number;
	max?: number;
}

export interface BooleanType {
	kind: "boolean";
}

/** A closed set of string values (`z.enum`, `z.literal` of strings). */
export interface EnumType {
	kind: "enum";
	values: string[];
}

/** A `Date`, stored as integer milliseconds since the epoch. */
export interface DateType {
	kind: "date";
}

export interface ArrayType {
	kind: "array";
	element: TypeModel;
	minItems?: number;
	maxItems?: number;
}

export interface ObjectType {
	kind: "object";
	fields: FieldModel[];
}

/** A string-keyed record. */
export interface RecordType {
	kind: "record";
	key: StringType;
	value: TypeModel;
}

export interface NullableType {
	kind: "nullable";
	inner: TypeModel;
}

/** A union of distinct types; the codec writes the index of the branch. */
export interface UnionType {
	kind: "union";
	options: TypeModel[];
}

/** One named field of an object (the session data, flash data, or a nested object). */
export interface FieldModel {
	name: string;
	type: TypeModel;
	/** An optional field may be absent (`undefined`). */
	optional: boolean;
	/**
	 * What a fresh session holds, and what a field reset by schema evolution becomes.
	 * Absent means `undefined` (only allowed for optional fields).
	 */
	initial?: JSONValue;
	/** Promoted to its own indexed SQL column (top-level data fields only). */
	column?: string;
	/** Changing this field regenerates the session ID on commit. */
	rotate?: boolean;
	/** Must never be placed in a client-side cookie. */
	sensitive?: boolean;
	/** Names who is logged in: changing it is an authentication (and implies `rotate`). */
	identity?: boolean;
	/** Kept when the identity changes from one user to another. */
	keepOnUserSwitch?: boolean;
}

/** JSON-compatible value; dates in `initial` are stored as `{ "$date": ms }`. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

export type SameSite = "lax" | "strict" | "none";

export interface CookiePolicy {
	name: string;
	sameSite: SameSite;
	/** Plain-HTTP local development only: drops `Secure` and the `__Host-` prefix. */
	insecure: boolean;
}

export interface ExpiryPolicy {
	idleMs: number;
	absoluteMs: number;
}

export interface RotationPolicy {
	everyMs: number;
	graceMs: number;
}

/** A promoted SQL column and the field it mirrors. */
export interface ColumnModel {
	name: string;
	field: string;
	type: "text" | "integer" | "boolean";
	/** For text columns: the longest value, so MySQL can index a VARCHAR. */
	maxLength?: number;
}

export interface TableModel {
	name: string;
	columns: ColumnModel[];
}

/** Everything `defineSession` declares, as plain data. */
export interface SessionModel {
	modelVersion: 1;
	data: FieldModel[];
	flash: FieldModel[];
	expiry: ExpiryPolicy;
	rotation: RotationPolicy;
	cookie: CookiePolicy;
	table: TableModel;
	/** The schema may run in sealed (stateless cookie) mode: no sensitive fields, worst case ≤ 4096 bytes. */
	sealed: boolean;
}
