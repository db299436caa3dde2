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

/** A short, non-reversible label for events and logs: never the token, never the full stored ID. */
export function shortSessionId(storedId: string): string {
	return storedId.slice(0, 12);
}
