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
	let start = 0;
	while (start < header.length) {
		let end = header.indexOf(";", start);
		if (end < 0) end = header.length;
		// Search within this pair only: scanning the rest of the header for "=" would be quadratic.
		const pair = header.slice(start, end);
		const eq = pair.indexOf("=");
		if (eq > 0 && trimWhitespace(pair.slice(0, eq)) === name) {
			let value = trimWhitespace(pair.slice(eq + 1));
			if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
			found.push(value);
		}
		start = end + 1;
	}
	return found;
}

/**
 * Trims only SP and HTAB, as RFC 6265 does. `String.prototype.trim` would also strip NBSP and other
 * Unicode spaces, reading "\u00a0__Host-sid" (which a sibling subdomain may set) as "__Host-sid".
 */
function trimWhitespace(s: string): string {
	let start = 0;
	let end = s.length;
	while (start < end && (s[start] === " " || s[start] === "\t")) start++;
	while (end > start && (s[end - 1] === " " || s[end - 1] === "\t")) end--;
	return s.slice(start, end);
}

/** Serializes a `Set-Cookie` value; the name and value must already be safe cookie octets. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
	let out = `${name}=${value}; Path=${attributes.path}`;
	if (attributes.maxAge !== undefined) {
		out += `; Max-Age=${Math.max(0, Math.min(MAX_COOKIE_AGE_SECONDS, Math.floor(attributes.maxAge)))}`;
	}
	if (attributes.secure) out += "; Secure";
	if (attributes.httpOnly) out += "; HttpOnly";
	out += `; SameSite=${attributes.sameSite === "lax" ? "Lax" : attributes.sameSite === "strict" ? "Strict" : "None"}`;
	return out;
}

/** The one session cookie value of a request, nothing (no cookie), or why the cookie was rejected. */
export type SessionCookie = { value: string } | { value: null; rejected: "oversized" | "duplicate" | null };

/**
 * Finds the session cookie in a `Cookie` header. Two values mean cookie tossing or a stale jar:
 * trusting either one would be a guess, so both are rejected.
 */
export function readSessionCookie(header: string | null, name: string): SessionCookie {
	if (header === null) return { value: null, rejected: null };
	if (header.length > MAX_COOKIE_HEADER) return { value: null, rejected: "oversized" };
	const values = readCookieValues(header, name);
	if (values.length > 1) return { value: null, rejected: "duplicate" };
	return values.length === 0 ? { value: null, rejected: null } : { value: values[0] as string };
}
