import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { bytesEqual, sha256Hex } from "./crypto.ts";

/** Fills a buffer with cryptographically secure random bytes; injectable for tests. */
export type RandomSource = (bytes: Uint8Array<ArrayBuffer>) => void;

/** 32 bytes: 256 bits, twice the 128 that OWASP ASVS 7.2.3 requires. */
export const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The platform CSPRNG. */
export const secureRandom: RandomSource = (bytes) => {
	crypto.getRandomValues(bytes);
};

/** Creates a new session token (base64url, 43 characters). */
export function generateSessionToken(random: RandomSource = secureRandom): string {
	const bytes = new Uint8Array(TOKEN_BYTES);
	random(bytes);
	return encodeBase64urlNoPadding(bytes);
}

/** True when a string has the exact shape of a session token; checked before any hashing. */
export function isSessionToken(value: string): boolean {
	return TOKEN_PATTERN.test(value);
}

/** The store key for a token: hex SHA-256, so a leaked table cannot be replayed as cookies. */
export function hashSessionToken(token: string): string {
	return sha256Hex(token);
}

/** Constant-time comparison of two tokens. */
export function tokensEqual(a: string, b: string): boolean {
	const enc = new TextEncoder();
	return bytesEqual(enc.encode(a), enc.encode(b));
}

/**
 * Route tags: a store that spreads one table over shards (RedisSpreadStore) finds a row's shard from its
 * ID alone. The token then starts with a 3-hex-digit tag (12 bits) and the stored ID is `<tag>.<hash>`:
 * a user's tag is a hash of the user's value of the store's route column, never the value itself; an
 * anonymous session's tag is random. The 43 random characters after the tag keep all 256 bits.
 */
export const ROUTE_TAG_CHARS = 3;
const ROUTED_TOKEN_PATTERN = /^[0-9a-f]{3}[A-Za-z0-9_-]{43}$/;
const ROUTED_ID_PATTERN = /^([0-9a-f]{3})\./;

/** True when a string has the exact shape of a routed token (tag, then a token). */
export function isRoutedSessionToken(value: string): boolean {
	return ROUTED_TOKEN_PATTERN.test(value);
}

/** The stored ID of a routed token: its tag in clear (the store's shard), a dot, the hash of the whole token. */
export function hashRoutedSessionToken(token: string): string {
	return `${token.slice(0, ROUTE_TAG_CHARS)}.${sha256Hex(token)}`;
}

/** The route tag a stored ID carries, or null for an ID without one. */
export function routeTagOf(storedId: string): string | null {
	return ROUTED_ID_PATTERN.exec(storedId)?.[1] ?? null;
}

/**
 * The tag of a column value: 12 bits of SHA-256 over the column and the typed value (so "5" and 5
 * differ), in hex. Many users share a tag; the cookie shows which of 4096 groups its user is in, no more.
 */
export function routeTagFor(column: string, value: string | number | boolean): string {
	const typed = typeof value === "string" ? `s:${value}` : typeof value === "number" ? `n:${String(value)}` : `b:${String(value)}`;
	return sha256Hex(`${column}\u0000${typed}`).slice(0, ROUTE_TAG_CHARS);
}

/** A random tag, for a session nobody is signed in to: anonymous rows spread over every shard. */
export function randomRouteTag(random: RandomSource = secureRandom): string {
	const bytes = new Uint8Array(2);
	random(bytes);
	return (((bytes[0] as number) << 8) | (bytes[1] as number)).toString(16).padStart(4, "0").slice(1);
}

/** A short, non-reversible label for events and logs: never the token, never the full stored ID. */
export function shortSessionId(storedId: string): string {
	// A routed ID's tag is the user's group, not the session's: the label comes from the hash after it.
	return storedId.charCodeAt(ROUTE_TAG_CHARS) === 46 ? storedId.slice(ROUTE_TAG_CHARS + 1, ROUTE_TAG_CHARS + 13) : storedId.slice(0, 12);
}
