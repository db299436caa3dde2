import type { StringType } from "./model.ts";
import { patternMaxLength } from "./pattern-length.ts";

/** Lengths, in characters, that a format's own pattern fixes: Zod refuses anything longer, so sess adds no check. */
const PATTERN_BOUNDS: Readonly<Record<string, number>> = {
	uuid: 36, guid: 36, ulid: 26, xid: 20, ksuid: 27, nanoid: 21, e164: 16, ipv4: 15, cidrv4: 18, date: 10,
};

/** RFC 5321's limit on a deliverable address. Zod's email pattern sets none: where sess relies on it, sess enforces it. */
const EMAIL_BOUND = 254;

/**
 * The levels of a string's chain, outermost first (a level per run of checks between normalisers). A stored
 * value passes the checks of every one of them, those written before a normaliser too.
 */
function levels(type: StringType): StringType[] {
	const out: StringType[] = [];
	for (let level: StringType | undefined = type; level !== undefined; level = level.before) out.push(level);
	return out;
}

/**
 * The longest value a string field stores, in code points, as Zod's own checks bound it: the smallest
 * `.max()` or pattern-fixed length over every level. Undefined when nothing bounds it.
 */
export function enforcedBound(type: StringType): number | undefined {
	let bound = Infinity;
	for (const level of levels(type)) {
		bound = Math.min(bound, level.maxLength ?? Infinity);
		for (const f of level.formats ?? []) bound = Math.min(bound, PATTERN_BOUNDS[f] ?? Infinity);
	}
	return bound === Infinity ? undefined : bound;
}

/**
 * The longest value the string's patterns admit (`.regex(/^[A-Z]{3}$/)`, `z.iso.datetime({ precision: 3 })`),
 * over every level; Infinity when none bounds it. Only the sealed worst case uses it: a column's width stays
 * what `.max()` and the format say, so a schema's migrations do not change with it.
 */
export function patternBound(type: StringType): number {
	let bound = Infinity;
	for (const level of levels(type)) for (const [source, flags] of level.patterns ?? []) bound = Math.min(bound, patternMaxLength(source, flags));
	return bound;
}

/**
 * `enforcedBound`, or for an email 254 when that is smaller: the bound a column or a sealed cookie relies on,
 * once it is the field's own maximum.
 */
export function stringBound(type: StringType): number | undefined {
	const enforced = enforcedBound(type);
	return isEmail(type) ? Math.min(enforced ?? Infinity, EMAIL_BOUND) : enforced;
}

/** Makes an email's RFC limit the field's own maximum where no smaller bound holds already. */
export function enforceStringBound(type: StringType): void {
	if (isEmail(type) && (enforcedBound(type) ?? Infinity) > EMAIL_BOUND) type.maxLength = EMAIL_BOUND;
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

/** Whether a level of the chain checks a format that `test` accepts. */
export function hasFormat(type: StringType, test: (format: string) => boolean): boolean {
	return levels(type).some((level) => (level.formats ?? []).some(test));
}
