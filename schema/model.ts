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
	| BigIntType
	| BooleanType
	| EnumType
	| DateType
	| ArrayType
	| TupleType
	| ObjectType
	| RecordType
	| NullableType
	| OptionalType
	| UnionType;

/**
 * A UTF-8 string. Validation runs in Zod's order: `before` (checks and normalisers written earlier in
 * the chain), then `normalize` in order, then this level's bounds, patterns and checks on the result.
 */
export interface StringType {
	kind: "string";
	/** Bounds in Unicode code points, as Zod 4 counts them. */
	minLength?: number;
	maxLength?: number;
	/**
	 * Regular expressions from Zod checks, as `[source, flags]`, plus the format's name when the pattern is a
	 * format's (`email`, `uuid`…), so a failure names the format; `lastIndex` is reset before each test.
	 */
	patterns?: ([string, string] | [string, string, string])[];
	/** Names of the Zod formats checked at this level (`uuid`, `email`, …): informative, the patterns and checks do the work. */
	formats?: string[];
	/** Checks Zod runs as code rather than a pattern. */
	checks?: StringCheck[];
	/** Normalisers applied before this level's checks; the stored value is the normalised one. */
	normalize?: Normalizer[];
	/** The part of the chain written before the first normaliser of `normalize`. */
	before?: StringType;
	/** How the codec packs the value (format 2); absent: UTF-8. */
	pack?: StringPacking;
}

/** A string check Zod implements in code; the validator mirrors Zod's function for each. */
export type StringCheck =
	| { check: "includes"; value: string; position?: number }
	| { check: "startsWith"; value: string }
	| { check: "endsWith"; value: string }
	| { check: "ipv6" }
	| { check: "cidrv6" }
	| { check: "base64" }
	| { check: "base64url" }
	| { check: "jwt"; alg?: string };

/** A normalising step (`.trim()`, `.toLowerCase()`, `.toUpperCase()`, `.normalize(form)`, and `z.url()`, which trims and checks). */
export type Normalizer =
	| { op: "trim" }
	| { op: "lower" }
	| { op: "upper" }
	| { op: "unicode"; form: "NFC" | "NFD" | "NFKC" | "NFKD" }
	| {
			op: "url";
			hostname?: [string, string];
			protocol?: [string, string];
			/** Present when the schema set it: then the URL parser's result is used (and `true` stores its `href`). */
			normalize?: boolean;
			/** `z.httpUrl()`: without `normalize`, `http(s):` must be followed by `//`. */
			httpGuard?: boolean;
	  };

/** A packed string form, chosen from the string's format. */
export type StringPacking = "uuid" | "hex" | "base64" | "base64url" | "datetime" | "date";

/** A `z.bigint()`, any size (zigzag varint on the wire); bounds as decimal strings so the model stays JSON. */
export interface BigIntType {
	kind: "bigint";
	min?: string;
	max?: string;
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

/** A literal value of an enum or literal union. */
export type LiteralValue = string | number | boolean;

/** A closed set of values (`z.enum`, `z.literal`, unions of literals); the wire holds the value's index in the lock. */
export interface EnumType {
	kind: "enum";
	values: LiteralValue[];
}

/** A `Date`, stored as integer milliseconds since the epoch; bounds in milliseconds, inclusive. */
export interface DateType {
	kind: "date";
	min?: number;
	max?: number;
}

export interface ArrayType {
	kind: "array";
	element: TypeModel;
	minItems?: number;
	maxItems?: number;
}

/** A `z.tuple([...], rest?)`: fixed items, then any number of `rest` values. */
export interface TupleType {
	kind: "tuple";
	items: TypeModel[];
	rest?: TypeModel;
}

/** An object; unknown keys are stripped on assignment (Zod's default) unless `strict` refuses them. */
export interface ObjectType {
	kind: "object";
	fields: FieldModel[];
	strict?: boolean;
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

/** `.optional()` where there is no field to leave out: an array item, tuple item, record value or union option. */
export interface OptionalType {
	kind: "optional";
	inner: TypeModel;
}

/** A union; the codec writes the index of the first option that accepts the value. */
export interface UnionType {
	kind: "union";
	options: TypeModel[];
	/** For `z.discriminatedUnion`: the key whose literal picks the option. */
	discriminator?: string;
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
	/**
	 * `initial` was made up by sess (the type's empty value) for a fresh session, not declared with
	 * `.default(...)`. Without this flag `initial` is the schema's default, and an absent value becomes it on
	 * assignment, as Zod fills it; with it, an absent value is refused, as Zod refuses it.
	 */
	synthesised?: true;
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

/** JSON-compatible value; in `initial`, dates are `{ "$date": ms }` and bigints `{ "$bigint": "decimal" }`. */
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
	/** The shorter idle timeout of sessions nobody is signed in to; absent: `idleMs`. */
	anonymousIdleMs?: number;
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

/** What a login beyond the per-user limit does: end the least recently seen session, or fail. */
export type SessionLimitPolicy = "evict" | "refuse";

/** At most `max` live sessions hold one value of the promoted `field` (one user's devices). */
export interface SessionLimitModel {
	field: string;
	max: number;
	policy: SessionLimitPolicy;
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
	/** The per-user session limit (store mode); absent: none unless given at run time. */
	maxSessionsPerUser?: SessionLimitModel;
}
