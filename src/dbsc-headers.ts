// The DBSC header fields as RFC 9651 structured fields: only the shapes the protocol uses (a string or
// token item with parameters, lists of them, one inner list of tokens), never a general parser.

/** Signature algorithms a browser may pick for a session key; the order is the server's preference. */
export type DbscAlgorithm = "ES256" | "RS256";

/** Longest header value read; a real one is a few hundred bytes (an RSA proof under 1 KB). */
export const MAX_HEADER_CHARS = 8192;

/** `"…"` with `\` and `"` escaped; throws on characters a structured string cannot hold (never user input here). */
export function sfString(value: string): string {
	if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError("A structured-field string holds printable ASCII only.");
	return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `Secure-Session-Registration: (ES256 RS256);path="…";challenge="…"[;authorization="…"]`. */
export function formatRegistration(algorithms: readonly DbscAlgorithm[], path: string, challenge: string, authorization?: string): string {
	let out = `(${algorithms.join(" ")});path=${sfString(path)};challenge=${sfString(challenge)}`;
	if (authorization !== undefined) out += `;authorization=${sfString(authorization)}`;
	return out;
}

/** `Secure-Session-Challenge: "<challenge>";id="<session identifier>"`. */
export function formatChallenge(challenge: string, sessionId: string): string {
	return `${sfString(challenge)};id=${sfString(sessionId)}`;
}

/** One list member: its bare value (string or token) and its parameters. */
export interface SfMember {
	value: string;
	params: Map<string, string>;
}

/**
 * The value of an item header (`Sec-Secure-Session-Id`, `Secure-Session-Response`), parameters ignored.
 * The spec makes both sf-strings; Chromium 156 sends them bare, so a bare token is read too.
 */
export function parseItem(header: string | null): string | null {
	if (header === null || header.length > MAX_HEADER_CHARS) return null;
	const bare = header.trim();
	// A bare JWS or session id is not always an sf-token (a token cannot start with a digit or "-").
	if (!bare.startsWith('"')) return /^[A-Za-z0-9._~+/=-]+$/.test(bare) ? bare : null;
	const list = parseList(header);
	if (list === null || list.length !== 1) return null;
	return (list[0] as SfMember).value;
}

/** `Secure-Session-Skipped: unreachable;session_identifier="…", …` as reasons with their session ids. */
export function parseSkipped(header: string | null): { reason: string; sessionId: string | null }[] {
	if (header === null || header.length > MAX_HEADER_CHARS) return [];
	return (parseList(header) ?? []).map((m) => ({ reason: m.value, sessionId: m.params.get("session_identifier") ?? null }));
}

const TOKEN = /^[A-Za-z*][A-Za-z0-9:/!#$%&'*+\-.^_`|~]*/;
const KEY = /^[a-z*][a-z0-9_\-.*]*/;

/** A list of string or token items with string/token parameters; null when it is anything else. */
function parseList(input: string): SfMember[] | null {
	const out: SfMember[] = [];
	let rest = input.replace(/^[ \t]+|[ \t]+$/g, "");
	while (rest.length > 0) {
		const item = bareItem(rest);
		if (item === null) return null;
		rest = item.rest;
		const params = new Map<string, string>();
		while (rest.startsWith(";")) {
			rest = rest.slice(1).replace(/^ +/, "");
			const key = KEY.exec(rest);
			if (key === null) return null;
			rest = rest.slice(key[0].length);
			let value = "?1";
			if (rest.startsWith("=")) {
				const v = bareItem(rest.slice(1));
				if (v === null) return null;
				value = v.value;
				rest = v.rest;
			}
			params.set(key[0], value);
		}
		out.push({ value: item.value, params });
		rest = rest.replace(/^[ \t]+/, "");
		if (rest.length === 0) break;
		if (!rest.startsWith(",")) return null;
		rest = rest.slice(1).replace(/^[ \t]+/, "");
		if (rest.length === 0) return null;
	}
	return out;
}

/** A string (`"…"`, escapes `\"` and `\\`) or a token at the start of `s`. */
function bareItem(s: string): { value: string; rest: string } | null {
	if (s.startsWith('"')) {
		let value = "";
		for (let i = 1; i < s.length; i++) {
			const c = s[i] as string;
			if (c === "\\") {
				const next = s[i + 1];
				if (next !== '"' && next !== "\\") return null;
				value += next;
				i++;
			} else if (c === '"') return { value, rest: s.slice(i + 1) };
			else if (c < " " || c > "~") return null;
			else value += c;
		}
		return null;
	}
	// Tokens, and the other bare item types (integer, decimal, boolean, byte sequence) as their text.
	const other = TOKEN.exec(s) ?? /^-?\d{1,15}(?:\.\d{1,3})?/.exec(s) ?? /^\?[01]/.exec(s) ?? /^:[A-Za-z0-9+/=]*:/.exec(s);
	return other === null ? null : { value: other[0], rest: s.slice(other[0].length) };
}
