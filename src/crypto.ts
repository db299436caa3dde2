// The one module allowed to use node:crypto: per-request HMAC there is many times faster than
// awaited Web Crypto, and Bun, Deno and Node all provide it.
import { createHmac } from "node:crypto";
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";

const utf8 = new TextEncoder();

/** HMAC-SHA-256 of a UTF-8 message. */
export function hmacSHA256(key: Uint8Array, message: string): Uint8Array {
	return new Uint8Array(createHmac("sha256", key).update(message).digest());
}

/** SHA-256 of a UTF-8 string. */
export function sha256String(message: string): Uint8Array {
	return sha256(utf8.encode(message));
}

/** Constant-time equality of two byte strings (false on different lengths). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
	return constantTimeEqual(a, b);
}
