import type { StringType } from "./model.ts";
import { patternMaxLength } from "./pattern-length.ts";

/** Lengths, in characters, that a format's own pattern fixes: Zod refuses anything longer, so sess adds no check. */
const PATTERN_BOUNDS: Readonly<Record<string, number>> = {
	uuid: 36, guid: 36, ulid: 26, xid: 20, ksuid: 27, nanoid: 21, e164: 16, ipv4: 15, cidrv4: 18, date: 10,
};

/** RFC 5321's limit on a deliverable address. Zod's email pattern sets none: where sess relies on it, sess enforces it. */
export const EMAIL_BOUND = 254;

/**
 * The longest value a string field stores, in code points, as Zod's own checks bound it: the smallest
 * `.max()` or pattern-fixed length over every level of the chain (a stored value also passes the checks
 * written before a normaliser). Undefined when nothing bounds it.
 */
export function enforcedBound(type: StringType): number | undefined {
	let bound = type.maxLength;
	for (const f of type.formats ?? []) {
		const b = PATTERN_BOUNDS[f];
		if (b !== undefined) bound = Math.min(bound ?? Infinity, b);
	}
	if (type.before !== undefined) {
		const inner = enforcedBound(type.before);
		if (inner !== undefined) bound = Math.min(bound ?? Infinity, inner);
	}
	return bound;
}

/**
 * The longest value the string's patterns admit (`.regex(/^[A-Z]{3}$/)`, `z.iso.datetime({ precision: 3 })`),
 * over every level of the chain; Infinity when none bounds it. Only the sealed worst case uses it: a column's
 * width stays what `.max()` and the format say, so a schema's migrations do not change with it.
 */
export function patternBound(type: StringType): number {
	let bound = Infinity;
	for (const [source, flags] of type.patterns ?? []) bound = Math.min(bound, patternMaxLength(source, flags));
	return type.before === undefined ? bound : Math.min(bound, patternBound(type.before));
}

/**
 * `enforcedBound`, or for an email 254 when that is smaller: the bound a column or a sealed cookie relies on,
 * once it is the field's own maximum.
 */
export function stringBound(type: StringType): number | undefined {
	const enforced = enforcedBound(type);
	return isEmail(type) ? Math.min(enforced ?? Infinity, EMAIL_BOUND) : enforced;
}

/** Makes `stringBound` the field's own maximum where Zod's checks would not hold it (an email's RFC limit). */
export function enforceStringBound(type: StringType): void {
	const bound = stringBound(type);
	if (bound !== undefined && bound < (enforcedBound(type) ?? Infinity)) type.maxLength = bound;
}

/** Formats whose Zod check admits ASCII text only (the sealed worst case counts one byte per character, not four). */
const ASCII_FORMATS: ReadonlySet<string> = new Set([
	...Object.keys(PATTERN_BOUNDS), "email", "datetime", "time", "duration", "cuid", "cuid2", "hex", "base64", "base64url",
]);

/** Whether every value the string stores is ASCII: some level of its chain checks an ASCII-only format. */
export function isAscii(type: StringType): boolean {
	return hasFormat(type, (f) => ASCII_FORMATS.has(f));
}

function isEmail(type: StringType): boolean {
	return hasFormat(type, (f) => f === "email");
}

/** Whether a level of the chain checks a format that `test` accepts (the stored value passes every level). */
export function hasFormat(type: StringType, test: (format: string) => boolean): boolean {
	return (type.formats ?? []).some(test) || (type.before !== undefined && hasFormat(type.before, test));
}
