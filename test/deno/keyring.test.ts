// Signing keys and session tokens under Deno (bun test runs this folder too).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { generateSessionToken, hashSessionToken, Keyring, tokensEqual, WeakKeyError } from "sess";
import { newKey } from "../helpers/harness.ts";

const CONTEXT = "__Host-sid";

describe("Keyring", () => {
	test("sign() then verify() round-trips a token with the current key", () => {
		const ring = new Keyring([newKey()]);
		const token = generateSessionToken();
		assert.deepEqual(ring.verify(ring.sign(token, CONTEXT), CONTEXT), { value: token, keyId: ring.currentKeyId, staleKey: false });
	});

	test("a flipped MAC, another context or another key does not verify", () => {
		const ring = new Keyring([newKey()]);
		const signed = ring.sign(generateSessionToken(), CONTEXT);
		const flipped = signed.slice(0, -1) + (signed.endsWith("A") ? "B" : "A");
		assert.equal(ring.verify(flipped, CONTEXT), null);
		assert.equal(ring.verify(signed, "__Host-other"), null);
		assert.equal(new Keyring([newKey()]).verify(signed, CONTEXT), null);
	});

	// On Bun the MAC comes from Bun.CryptoHasher, elsewhere from node:crypto: both must match this oracle.
	test("the MAC is HMAC-SHA-256 under the derived key, cut to 16 bytes, whichever runtime computes it", () => {
		const secret = "q3Jx9vT2mB8sL1kP0aZeYcW7nRfHuD4oGi5tE6jNVbM";
		const keyBytes = Buffer.from(secret, "base64url");
		const signing = createHmac("sha256", keyBytes).update("sess/v1/cookie-signature").digest();
		const ring = new Keyring([secret]);
		for (const value of ["", "a", generateSessionToken(), "ünï€😀".repeat(9)]) {
			const mac = createHmac("sha256", signing).update(`${CONTEXT}\u0000${value}`).digest().subarray(0, 16).toString("base64url");
			assert.equal(ring.sign(value, CONTEXT), `${value}.${ring.currentKeyId}.${mac}`);
		}
	});

	test("a value signed by the previous key verifies as stale after rotation", () => {
		const old = newKey();
		const signed = new Keyring([old]).sign("value", CONTEXT);
		assert.equal(new Keyring([newKey(), old]).verify(signed, CONTEXT)?.staleKey, true);
	});

	test("placeholders, short keys and phrases are refused with WeakKeyError", () => {
		for (const key of ["keyboard cat", "your-secret-key", encodeBase64urlNoPadding(new Uint8Array(16).fill(7)), "thisisaverylongpassphrasethatisnotrandomatall"]) {
			assert.throws(() => new Keyring([key]), (e: unknown) => e instanceof WeakKeyError && e.code === "weak_key");
		}
	});
});

describe("session tokens", () => {
	test("are 43 base64url characters (256 bits) and never repeat", () => {
		const a = generateSessionToken();
		assert.match(a, /^[A-Za-z0-9_-]{43}$/);
		assert.notEqual(a, generateSessionToken());
	});

	test("are stored as their hex SHA-256 and compared in constant time", () => {
		const token = generateSessionToken();
		assert.match(hashSessionToken(token), /^[0-9a-f]{64}$/);
		assert.equal(tokensEqual(token, token), true);
		assert.equal(tokensEqual(token, generateSessionToken()), false);
	});
});
