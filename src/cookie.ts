import type { SameSite } from "../schema/model.ts";

/** Attributes of a `Set-Cookie` header the session layer writes. */
export interface CookieAttributes {
	maxAge?: number;
	path: string;
	secure: boolean;
	httpOnly: boolean;
	sameSite: SameSite;
}

/** Browsers cap cookie lifetime at 400 days (RFC 6265bis); a longer Max-Age would be silently cut. */
export const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60;
/** Larger `Cookie` headers are not parsed at all: no browser sends one, and parsing costs time. */
export const MAX_COOKIE_HEADER = 16 * 1024;

/**
 * Every value sent under exactly `name` (case-sensitive: `__host-sid` is not `__Host-sid`).
 * More than one value means a duplicated cookie, which the caller treats as hostile.
 */
export function readCookieValues(header: string, name: string): string[] {
	const found: string[] = [];
	if (header.length > MAX_COOKIE_HEADER) return found;
	for (let eq = findPair(header, name, 0); eq >= 0; eq = findPair(header, name, pairEnd(header, eq) + 1)) found.push(valueAt(header, eq));
	return found;
}

/**
 * The index of the `=` of the first `name=…` pair at or after `from`, or -1. Jumps between occurrences of
 * `name` (a native search) instead of walking every pair; only a matching value is ever copied out.
 */
function findPair(header: string, name: string, from: number): number {
	// Bounded by the length too: an empty name is "found" at every index, the end included.
	for (let at = header.indexOf(name, from); at >= 0 && at < header.length; at = header.indexOf(name, at + 1)) {
		// It names a pair only at the pair's start: nothing but blanks back to the previous `;` (or the start),
		// and the name begins after them (a name that starts with a blank never matches, as blanks are skipped).
		if (isBlank(header.charCodeAt(at))) continue;
		let before = at;
		while (before > 0 && isBlank(header.charCodeAt(before - 1))) before--;
		if (before > 0 && header.charCodeAt(before - 1) !== SEMICOLON) continue;
		const end = pairEnd(header, at);
		const eq = skipBlanks(header, at + name.length, end);
		if (eq < end && header.charCodeAt(eq) === EQUALS) return eq;
	}
	return -1;
}

function pairEnd(header: string, from: number): number {
	const end = header.indexOf(";", from);
	return end < 0 ? header.length : end;
}

/** The value after the `=` at `eq`: blanks trimmed, one pair of double quotes removed. */
function valueAt(header: string, eq: number): string {
	const end = pairEnd(header, eq);
	const from = skipBlanks(header, eq + 1, end);
	let to = end;
	while (to > from && isBlank(header.charCodeAt(to - 1))) to--;
	const quoted = to - from >= 2 && header.charCodeAt(from) === QUOTE && header.charCodeAt(to - 1) === QUOTE;
	return quoted ? header.slice(from + 1, to - 1) : header.slice(from, to);
}

const EQUALS = 0x3d;
const SEMICOLON = 0x3b;
const QUOTE = 0x22;

/**
 * Only SP and HTAB count as blanks, as in RFC 6265. `String.prototype.trim` would also strip NBSP and
 * other Unicode spaces, reading "\u00a0__Host-sid" (which a sibling subdomain may set) as "__Host-sid".
 */
function isBlank(c: number): boolean {
	return c === 0x20 || c === 0x09;
}

function skipBlanks(s: string, from: number, end: number): number {
	while (from < end && isBlank(s.charCodeAt(from))) from++;
	return from;
}

/** Serializes a `Set-Cookie` value; the name and value must already be safe cookie octets. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
	const out = `${name}=${value}; Path=${attributes.path}`;
	return attributes.maxAge === undefined ? out + attributeTail(attributes) : out + maxAgeAttribute(attributes.maxAge) + attributeTail(attributes);
}

/**
 * `serializeCookie` for one cookie name and fixed attributes, with a `Max-Age` per call: the constant parts
 * are built once (a session cookie is written on every new ID, and by sealed mode on every change).
 */
export function cookieWriter(name: string, attributes: Omit<CookieAttributes, "maxAge">): (value: string, maxAge: number, valueEnd?: string) => string {
	const head = `${name}=`;
	const path = `; Path=${attributes.path}`;
	const tail = attributeTail(attributes);
	// One template, so the line is built in one step: chained `+` made a new string per part (7 per cookie
	// against 4). A value in two parts (`valueEnd`) is joined in the same step.
	return (value, maxAge, valueEnd = "") => `${head}${value}${valueEnd}${path}; Max-Age=${maxAgeSeconds(maxAge)}${tail}`;
}

function maxAgeAttribute(maxAge: number): string {
	return `; Max-Age=${maxAgeSeconds(maxAge)}`;
}

function maxAgeSeconds(maxAge: number): number {
	return Math.max(0, Math.min(MAX_COOKIE_AGE_SECONDS, Math.floor(maxAge)));
}

/** Everything after `Max-Age`, in the order `serializeCookie` has always written it. */
function attributeTail(attributes: Omit<CookieAttributes, "maxAge">): string {
	let out = "";
	if (attributes.secure) out += "; Secure";
	if (attributes.httpOnly) out += "; HttpOnly";
	return `${out}; SameSite=${attributes.sameSite === "lax" ? "Lax" : attributes.sameSite === "strict" ? "Strict" : "None"}`;
}

/** The one session cookie value of a request, nothing (no cookie), or why the cookie was rejected. */
export type SessionCookie = { value: string } | { value: null; rejected: "oversized" | "duplicate" | null };

/**
 * Finds the session cookie in a `Cookie` header. Two values mean cookie tossing or a stale jar:
 * trusting either one would be a guess, so both are rejected.
 */
export function readSessionCookie(header: string | null, name: string): SessionCookie {
	const value = sessionCookieValue(header, name);
	return typeof value === "string" ? { value } : value;
}

/** No usable session cookie: none was sent (`rejected: null`), or why the one sent was rejected. */
export type NoSessionCookie = { readonly value: null; readonly rejected: "oversized" | "duplicate" | null };

/** `readSessionCookie` for the per-request load: the value itself, so a request with a cookie allocates no answer object. */
export function sessionCookieValue(header: string | null, name: string): string | NoSessionCookie {
	if (header === null) return NO_COOKIE;
	if (header.length > MAX_COOKIE_HEADER) return OVERSIZED;
	const eq = findPair(header, name, 0);
	if (eq < 0) return NO_COOKIE;
	if (findPair(header, name, pairEnd(header, eq) + 1) >= 0) return DUPLICATE;
	return valueAt(header, eq);
}

// Shared, frozen answers: most requests without a session cookie need no object of their own.
const NO_COOKIE: NoSessionCookie = Object.freeze({ value: null, rejected: null });
const OVERSIZED: NoSessionCookie = Object.freeze({ value: null, rejected: "oversized" });
const DUPLICATE: NoSessionCookie = Object.freeze({ value: null, rejected: "duplicate" });
