import type { FieldModel, SessionModel, TypeModel } from "./model.ts";
import { enforcedBound, hasFormat, isAscii, patternBound } from "./string-bound.ts";

/** Browsers keep cookies up to 4096 bytes (name, value and attributes: RFC 6265 §6.1); larger ones vanish silently. */
export const COOKIE_LIMIT = 4096;

// Fixed costs, in bytes, at their worst.
const TAG = 3; // a field tag varint, with room for numbers the lock hands out over years
const LENGTH = 3; // a frame length varint up to 2 MiB
const INT = 8; // a zigzag safe integer
const ENUM = 3; // an enum's wire index, with room for retired values
const SEALED_HEADER = 1 + 16 + 5 * INT + 5; // version, lineage, created, since, issued, last seen, absolute deadline, generation (deltas are no longer than the times)
const AEAD = 12 + 16; // GCM nonce and tag
const KEY_ID = 16 + 1; // key id and its dot
const ATTRIBUTES = "; Path=/; Max-Age=34560000; Secure; HttpOnly; SameSite=Strict".length;
const SYSTEM_META = TAG + 32 + LENGTH + TAG + INT; // CSRF secret, authentication time

/**
 * The largest public key (SPKI DER) a DBSC registration can store, per algorithm: a P-256 point, and an
 * RSA key of 8192 bits (the largest `importProofKey` takes: 1,024-byte modulus, 8-byte exponent).
 */
export const DBSC_KEY_BYTES = { ES256: 91, RS256: 1068 } as const;
/** The DBSC binding in the system frame: frame, identifier (`s` + 22 characters), algorithm, key, bound-since. */
function dbscBindingBytes(keyBytes: number): number {
	return TAG + LENGTH + (TAG + LENGTH + 23) + (TAG + 1) + (TAG + LENGTH + keyBytes) + (TAG + INT);
}

/** One field's worst case, or the reason it has none. */
export interface FieldSize {
	path: string;
	bytes: number;
}

/**
 * The worst-case sealed cookie for a model, and the fields without a bound (empty when all are bounded).
 * `dbscKeyBytes`: the largest device key a DBSC binding may carry in the cookie (sealed mode with `dbsc`).
 */
export function sealedCookieSize(model: SessionModel, dbscKeyBytes?: number): { bytes: number; unbounded: string[]; fields: FieldSize[] } {
	const unbounded: string[] = [];
	const sizes = (scope: "data" | "flash") => model[scope].map((f) => ({ path: `${scope}.${f.name}`, bytes: fieldBytes(f, `${scope}.${f.name}`, unbounded) }));
	// Flash fields are listed too: a long message is as likely as any data field to be what does not fit.
	const fields = [...sizes("data"), ...sizes("flash")];
	const system = SYSTEM_META + (dbscKeyBytes === undefined ? 0 : dbscBindingBytes(dbscKeyBytes));
	const codec = 1 + TAG + LENGTH + system + TAG + LENGTH + fields.reduce((sum, f) => sum + f.bytes, 0);
	const value = KEY_ID + Math.ceil(((AEAD + SEALED_HEADER + codec) * 4) / 3);
	return { bytes: model.cookie.name.length + 1 + value + ATTRIBUTES, unbounded, fields };
}

function fieldBytes(field: FieldModel, path: string, unbounded: string[]): number {
	return TAG + typeBytes(field.type, path, unbounded);
}

function typeBytes(type: TypeModel, path: string, unbounded: string[]): number {
	switch (type.kind) {
		case "string": {
			const max = Math.min(enforcedBound(type) ?? Infinity, patternBound(type));
			if (max === Infinity) {
				// An ISO time's fraction of a second has no length unless the schema fixes its precision.
				const iso = hasFormat(type, (f) => f === "datetime" || f === "time");
				unbounded.push(`${path} (${iso ? "ISO time without { precision } or .max()" : "string without .max()"})`);
				return 0;
			}
			// Up to 4 UTF-8 bytes per code point (Zod counts code points), one for an ASCII-only format; plus a packed form's flag.
			return LENGTH + (type.pack === undefined ? 0 : 1) + max * (isAscii(type) ? 1 : 4);
		}
		case "bigint": {
			if (type.min === undefined || type.max === undefined) {
				unbounded.push(`${path} (bigint without .min() and .max())`);
				return 0;
			}
			const magnitude = [BigInt(type.min), BigInt(type.max)].map((v) => (v < 0n ? -v : v)).reduce((a, b) => (a > b ? a : b));
			return LENGTH + Math.ceil((magnitude.toString(2).length + 1) / 7);
		}
		case "int":
		case "date":
		case "float":
			return INT;
		case "boolean":
			return 1;
		case "enum":
			return ENUM;
		case "nullable":
		case "optional":
			return LENGTH + 1 + typeBytes(type.inner, path, unbounded);
		case "tuple": {
			if (type.rest !== undefined) {
				unbounded.push(`${path} (tuple with a rest element)`);
				return 0;
			}
			return LENGTH + type.items.reduce((sum, t, i) => sum + typeBytes(t, `${path}[${i}]`, unbounded), 0);
		}
		case "array":
			if (type.maxItems === undefined) {
				unbounded.push(`${path} (array without .max())`);
				return 0;
			}
			return LENGTH + type.maxItems * typeBytes(type.element, `${path}[]`, unbounded);
		case "record":
			unbounded.push(`${path} (records have no entry bound)`);
			return 0;
		case "object":
			return LENGTH + type.fields.reduce((sum, f) => sum + fieldBytes(f, `${path}.${f.name}`, unbounded), 0);
		case "union":
			return LENGTH + TAG + Math.max(0, ...type.options.map((o, i) => typeBytes(o, `${path} (option ${i + 1})`, unbounded)));
	}
}
