import { describe, expect, test } from "bun:test";
import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { decodeBase64urlIgnorePadding, encodeBase64, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { Keyring, type KeyInput } from "../src/keyring.ts";
import { WeakKeyError } from "../src/errors.ts";
import { hmacSHA256Base64url, hmacSHA256Base64urlInto } from "../src/crypto.ts";
import { failure } from "./helpers/failure.ts";
import { generateSessionToken, hashSessionToken, isSessionToken, tokensEqual, type RandomSource } from "../src/token.ts";

const CONTEXT = "__Host-sid";

function randomBytes(n: number): Uint8Array {
	return crypto.getRandomValues(new Uint8Array(n));
}

/** A key as `sess keygen` prints it: 32 random bytes, base64url. */
function keygen(): string {
	return encodeBase64urlNoPadding(randomBytes(32));
}

/** Asserts the key is refused with weak_key, a pointer to `sess keygen`, and no trace of the secret. */
function expectWeak(secret: KeyInput, message: string): WeakKeyError {
	const e = failure(() => new Keyring([secret]));
	expect(e).toBeInstanceOf(WeakKeyError);
	expect(e.code).toBe("weak_key");
	expect(e.message).toContain(message);
	expect(e.message).toContain("sess keygen");
	const text = typeof secret === "string" ? secret : secret instanceof Uint8Array ? "" : typeof secret.secret === "string" ? secret.secret : "";
	if (text.length > 0) expect(e.message).not.toContain(text.trim());
	return e as WeakKeyError;
}

const ring = new Keyring([keygen()]);
const TOKEN = generateSessionToken();

describe("Keyring.sign() / verify()", () => {
	test("round-trips a value", () => {
		expect(ring.verify(ring.sign(TOKEN, CONTEXT), CONTEXT)).toEqual({ value: TOKEN, keyId: ring.currentKeyId, staleKey: false });
	});

	test("round-trips any value, dots included", () => {
		fc.assert(
			fc.property(fc.string({ minLength: 1, unit: "binary" }), fc.string({ minLength: 1 }), (value, context) => {
				expect(ring.verify(ring.sign(value, context), context)?.value).toBe(value);
			}),
			{ numRuns: 500 },
		);
	});

	test("writes value.kid.mac with a 22-character base64url mac", () => {
		const signed = ring.sign(TOKEN, CONTEXT);
		const match = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{6})\.([A-Za-z0-9_-]{22})$/.exec(signed);
		expect(match).not.toBeNull();
		expect(match?.[1]).toBe(TOKEN);
		expect(match?.[2]).toBe(ring.currentKeyId);
		expect(decodeBase64urlIgnorePadding(match?.[3] ?? "")).toHaveLength(16);
	});

	test("signing is deterministic per key, value and context", () => {
		expect(ring.sign(TOKEN, CONTEXT)).toBe(ring.sign(TOKEN, CONTEXT));
		expect(ring.sign(TOKEN, CONTEXT)).not.toBe(ring.sign(TOKEN, "__Host-other"));
	});

	test("rejects a flip of any bit of any character", () => {
		const signed = ring.sign(TOKEN, CONTEXT);
		const accepted: string[] = [];
		for (let i = 0; i < signed.length; i++) {
			for (let bit = 0; bit < 7; bit++) {
				const flipped = signed.slice(0, i) + String.fromCharCode(signed.charCodeAt(i) ^ (1 << bit)) + signed.slice(i + 1);
				if (ring.verify(flipped, CONTEXT) !== null) accepted.push(`${i}:${bit}`);
			}
		}
		expect(accepted).toEqual([]);
	});

	test("rejects a truncated mac", () => {
		const signed = ring.sign(TOKEN, CONTEXT);
		expect(ring.verify(signed.slice(0, -1), CONTEXT)).toBeNull();
		expect(ring.verify(signed.slice(0, -22), CONTEXT)).toBeNull();
		expect(ring.verify(signed.slice(0, -23), CONTEXT)).toBeNull();
	});

	test("rejects extra bytes after a valid signature", () => {
		const signed = ring.sign(TOKEN, CONTEXT);
		expect(ring.verify(`${signed}A`, CONTEXT)).toBeNull();
		expect(ring.verify(`${signed}=`, CONTEXT)).toBeNull();
		expect(ring.verify(`${signed}.${"A".repeat(22)}`, CONTEXT)).toBeNull();
		expect(ring.verify(`${signed} `, CONTEXT)).toBeNull();
	});

	test("rejects a signature by another key", () => {
		const other = new Keyring([keygen()]);
		expect(ring.verify(other.sign(TOKEN, CONTEXT), CONTEXT)).toBeNull();
	});

	test("rejects another key's mac under this key's id", () => {
		const other = new Keyring([{ id: ring.currentKeyId, secret: keygen() }]);
		const forged = other.sign(TOKEN, CONTEXT);
		expect(forged.split(".")[1]).toBe(ring.currentKeyId);
		expect(ring.verify(forged, CONTEXT)).toBeNull();
	});

	test("rejects a valid signature under a different context (cookie name)", () => {
		const signed = ring.sign(TOKEN, CONTEXT);
		expect(ring.verify(signed, "__Host-csrf")).toBeNull();
		expect(ring.verify(signed, "")).toBeNull();
	});

	test("rejects a valid signature moved onto another value", () => {
		const a = ring.sign("value-a", CONTEXT);
		const b = ring.sign("value-b", CONTEXT);
		const moved = `value-b${a.slice("value-a".length)}`;
		expect(moved).not.toBe(b);
		expect(ring.verify(moved, CONTEXT)).toBeNull();
	});

	test("rejects an unknown key id", () => {
		const signed = ring.sign(TOKEN, CONTEXT);
		const [value, , mac] = signed.split(".");
		expect(ring.verify(`${value}.zzzzzz.${mac}`, CONTEXT)).toBeNull();
		expect(ring.verify(`${value}..${mac}`, CONTEXT)).toBeNull();
	});

	test("rejects an empty string and strings without separators", () => {
		expect(ring.verify("", CONTEXT)).toBeNull();
		expect(ring.verify(TOKEN, CONTEXT)).toBeNull();
		expect(ring.verify(`.${ring.currentKeyId}.${"A".repeat(22)}`, CONTEXT)).toBeNull();
	});

	test("never throws on arbitrary input", () => {
		fc.assert(
			fc.property(fc.string({ unit: "binary" }), (s) => {
				expect(ring.verify(s, CONTEXT)).toBeNull();
			}),
			{ numRuns: 2000 },
		);
	});
});

describe("Keyring rotation", () => {
	const oldKey = keygen();
	const newKey = keygen();
	const oldRing = new Keyring([oldKey]);
	const rotated = new Keyring([newKey, oldKey]);

	test("verifies values signed by the old key as stale", () => {
		expect(rotated.verify(oldRing.sign(TOKEN, CONTEXT), CONTEXT)).toEqual({ value: TOKEN, keyId: oldRing.currentKeyId, staleKey: true });
	});

	test("signs with the new key, which is not stale", () => {
		expect(rotated.currentKeyId).toBe(new Keyring([newKey]).currentKeyId);
		expect(rotated.currentKeyId).not.toBe(oldRing.currentKeyId);
		const signed = rotated.sign(TOKEN, CONTEXT);
		expect(signed.split(".")[1]).toBe(rotated.currentKeyId);
		expect(rotated.verify(signed, CONTEXT)).toEqual({ value: TOKEN, keyId: rotated.currentKeyId, staleKey: false });
	});

	test("the old ring cannot verify values signed by the new key", () => {
		expect(oldRing.verify(rotated.sign(TOKEN, CONTEXT), CONTEXT)).toBeNull();
	});

	test("a ring without the old key no longer verifies its values", () => {
		expect(new Keyring([newKey]).verify(oldRing.sign(TOKEN, CONTEXT), CONTEXT)).toBeNull();
	});

	test("key ids are derived from the secret, so they are stable across processes", () => {
		expect(new Keyring([oldKey]).currentKeyId).toBe(oldRing.currentKeyId);
		expect(oldRing.currentKeyId).toMatch(/^[A-Za-z0-9_-]{6}$/);
	});

	test("Keyring.fromString reads a comma-separated list, newest first", () => {
		const fromList = Keyring.fromString(` ${newKey} , ${oldKey},`);
		expect(fromList.currentKeyId).toBe(rotated.currentKeyId);
		expect(fromList.verify(oldRing.sign(TOKEN, CONTEXT), CONTEXT)?.staleKey).toBe(true);
	});

	test("Keyring.fromString of an empty list is refused", () => {
		const e = failure(() => Keyring.fromString(" , "));
		expect(e.code).toBe("weak_key");
		expect(e.message).toContain("No signing key configured.");
	});

	test("keys that are not a list (an unset variable, one string) are refused in one line that says what to pass", () => {
		for (const [input, got] of [[undefined, "nothing (is SESS_KEYS set?)"], ["k1,k2", "one string"]] as const) {
			const e = failure(() => new Keyring(input as never));
			expect(e.code).toBe("invalid_config");
			expect(e.message).toBe(`keys must be a list of keys, newest first, e.g. keys: process.env.SESS_KEYS.split(","), but got ${got}; make one with \`sess keygen\`.`);
		}
	});

	test("an explicit key id is used", () => {
		const named = new Keyring([{ id: "k2026", secret: newKey }]);
		expect(named.currentKeyId).toBe("k2026");
		expect(named.sign("v", CONTEXT)).toStartWith("v.k2026.");
	});

	test("rejects an invalid key id", () => {
		const e = failure(() => new Keyring([{ id: "has.dot", secret: newKey }]));
		expect(e.code).toBe("invalid_config");
		expect(e.message).toContain('key id "has.dot" must match');
	});

	test("rejects duplicate explicit key ids", () => {
		const e = failure(() => new Keyring([{ id: "k1", secret: newKey }, { id: "k1", secret: oldKey }]));
		expect(e.code).toBe("invalid_config");
		expect(e.message).toContain('Two keys share the id "k1"');
	});

	test("rejects the same secret listed twice", () => {
		const e = failure(() => new Keyring([newKey, oldKey, newKey]));
		expect(e.code).toBe("invalid_config");
		expect(e.message).toContain("Two keys share the id");
	});
});

describe("Keyring key strength", () => {
	test("refuses an empty key list", () => {
		const e = failure(() => new Keyring([]));
		expect(e).toBeInstanceOf(WeakKeyError);
		expect(e.code).toBe("weak_key");
		expect(e.message).toContain("No signing key configured.");
		expect(e.message).toContain("sess keygen");
	});

	test("refuses base64url of 16 random bytes", () => {
		expectWeak(encodeBase64urlNoPadding(randomBytes(16)), "decodes to 16 bytes; at least 32 are required.");
	});

	test("refuses hex of 31 random bytes", () => {
		expectWeak(encodeHexLowerCase(randomBytes(31)), "decodes to 31 bytes; at least 32 are required.");
	});

	// Hex shorter than 64 characters once fell through to base64url, so hex of 22–30 bytes with a
	// length divisible by 4 decoded as 33–45 "bytes" and was accepted.
	test("refuses hex of 30 random bytes", () => {
		expectWeak(encodeHexLowerCase(randomBytes(30)), "decodes to 30 bytes; at least 32 are required.");
	});

	test("refuses hex of 24 random bytes", () => {
		expectWeak(encodeHexLowerCase(randomBytes(24)), "decodes to 24 bytes; at least 32 are required.");
	});

	test.each([["your-very-secure-secret-key"], ["keyboard cat"], ["changeme"], ["  Your_Secret_Key  "]])("refuses the placeholder %p", (secret) => {
		expectWeak(secret, "placeholder");
	});

	test('refuses "a" repeated 64 times', () => {
		expectWeak("a".repeat(64), "is too regular to be random.");
	});

	test("refuses a 64-character lowercase-only phrase made of one repeated phrase", () => {
		const phrase = "correcthorsebatterystaple".repeat(3).slice(0, 64);
		expect(phrase).toHaveLength(64);
		expectWeak(phrase, "is too regular to be random.");
	});

	// Ordinary English text has ~4.1 bits of character entropy, above the 3.5 threshold alone.
	test("refuses a 64-character lowercase-only English phrase", () => {
		const phrase = "thequickbrownfoxjumpsoverthelazydogandthenrunsfarawayintothewood";
		expect(phrase).toHaveLength(64);
		expectWeak(phrase, "is too regular to be random.");
		expectWeak(phrase.toUpperCase(), "is too regular to be random.");
	});

	test("refuses the lowercase alphabet repeated to 64 characters", () => {
		expectWeak("abcdefghijklmnopqrstuvwxyz".repeat(3).slice(0, 64), "is too regular to be random.");
	});

	test("refuses a passphrase with spaces", () => {
		expectWeak("correct horse battery staple correct horse battery staple", "is not an encoded random key");
	});

	test("refuses 31 random raw bytes", () => {
		expectWeak(randomBytes(31), "has 31 bytes; at least 32 are required.");
	});

	test("refuses 32 raw zero bytes", () => {
		expectWeak(new Uint8Array(32), "is too regular to be random.");
	});

	test("names the offending key by position", () => {
		expectWeak({ secret: "changeme" }, "Key #1");
		const e = failure(() => new Keyring([keygen(), "changeme"]));
		expect(e.message).toContain("Key #2");
	});

	test("accepts a sess keygen key (32 random bytes, base64url)", () => {
		const key = keygen();
		expect(key).toHaveLength(43);
		expect(new Keyring([key]).currentKeyId).toMatch(/^[A-Za-z0-9_-]{6}$/);
	});

	// About 1 in 9,000 `sess keygen` outputs has no digit and no -_; a character-class rule refused those.
	test("accepts a sess keygen key that happens to contain only letters", () => {
		const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
		const pick = randomBytes(43);
		// The 43rd character carries 2 data bits; A, Q, g, w leave the 4 padding bits zero.
		const key = [...pick.subarray(0, 42)].map((b) => letters[b % 52]).join("") + "AQgw"[(pick[42] ?? 0) % 4];
		const bytes = decodeBase64urlIgnorePadding(key);
		expect(bytes).toHaveLength(32);
		expect(encodeBase64urlNoPadding(bytes)).toBe(key);
		expect(new Keyring([key]).currentKeyId).toMatch(/^[A-Za-z0-9_-]{6}$/);
	});

	test("accepts 64 random hex characters", () => {
		const key = encodeHexLowerCase(randomBytes(32));
		expect(new Keyring([key]).currentKeyId).toMatch(/^[A-Za-z0-9_-]{6}$/);
		expect(new Keyring([key.toUpperCase()]).currentKeyId).toBe(new Keyring([key]).currentKeyId);
	});

	test("accepts standard base64 with + / and = padding", () => {
		let key = "";
		while (!/[+/]/.test(key)) key = encodeBase64(randomBytes(32));
		expect(key).toEndWith("=");
		const ring = new Keyring([key]);
		expect(ring.verify(ring.sign("v", CONTEXT), CONTEXT)?.value).toBe("v");
	});

	test("base64 and base64url of the same bytes are the same key", () => {
		const bytes = randomBytes(32);
		expect(new Keyring([encodeBase64(bytes)]).currentKeyId).toBe(new Keyring([encodeBase64urlNoPadding(bytes)]).currentKeyId);
	});

	test("accepts 32 random raw bytes, the same key as their base64url", () => {
		const bytes = randomBytes(32);
		expect(new Keyring([bytes]).currentKeyId).toBe(new Keyring([encodeBase64urlNoPadding(bytes)]).currentKeyId);
	});

	test("accepts a key with surrounding whitespace", () => {
		const key = keygen();
		expect(new Keyring([`  ${key}\n`]).currentKeyId).toBe(new Keyring([key]).currentKeyId);
	});
});

describe("generateSessionToken()", () => {
	test("is 43 base64url characters carrying 256 bits", () => {
		const token = generateSessionToken();
		expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(decodeBase64urlIgnorePadding(token)).toHaveLength(32);
		expect(isSessionToken(token)).toBe(true);
	});

	test("never repeats over 10,000 draws", () => {
		const seen = new Set<string>();
		for (let i = 0; i < 10_000; i++) seen.add(generateSessionToken());
		expect(seen.size).toBe(10_000);
	});

	test("draws every byte: no position is constant over 200 tokens", () => {
		const tokens = Array.from({ length: 200 }, () => decodeBase64urlIgnorePadding(generateSessionToken()));
		const constant = Array.from({ length: 32 }, (_, i) => i).filter((i) => tokens.every((t) => t[i] === tokens[0]?.[i]));
		expect(constant).toEqual([]);
	});

	test("uses the injected random source", () => {
		const calls: number[] = [];
		const source: RandomSource = (bytes) => {
			calls.push(bytes.length);
			bytes.fill(0xfb);
		};
		expect(generateSessionToken(source)).toBe(encodeBase64urlNoPadding(new Uint8Array(32).fill(0xfb)));
		expect(generateSessionToken(source)).toBe(encodeBase64urlNoPadding(new Uint8Array(32).fill(0xfb)));
		expect(calls).toEqual([32, 32]);
	});

	test("different injected bytes give a different token", () => {
		const counter: RandomSource = (bytes) => {
			bytes.forEach((_, i) => {
				bytes[i] = i;
			});
		};
		expect(generateSessionToken(counter)).toBe(encodeBase64urlNoPadding(Uint8Array.from({ length: 32 }, (_, i) => i)));
		expect(generateSessionToken(counter)).not.toBe(generateSessionToken((b) => b.fill(0)));
	});
});

describe("isSessionToken()", () => {
	test("rejects strings of the wrong length or alphabet", () => {
		const token = generateSessionToken();
		expect(isSessionToken(token.slice(1))).toBe(false);
		expect(isSessionToken(`${token}A`)).toBe(false);
		expect(isSessionToken(`${token.slice(1)}+`)).toBe(false);
		expect(isSessionToken(`${token.slice(1)}=`)).toBe(false);
		expect(isSessionToken(`${token}\n`)).toBe(false);
	});
});

describe("MAC (node:crypto oracle)", () => {
	// Under Bun the library signs through Bun.CryptoHasher; the oracle is node:crypto's HMAC, cut to 16 bytes.
	test("sign() appends the truncated HMAC-SHA-256 of context NUL value under the derived key, for any value and context", () => {
		const secret = keygen();
		const signing = createHmac("sha256", Buffer.from(secret, "base64url")).update("sess/v1/cookie-signature").digest();
		const ring = new Keyring([secret]);
		fc.assert(
			fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme", maxLength: 40 }), (value, context) => {
				const mac = createHmac("sha256", signing).update(`${context}\u0000${value}`).digest().subarray(0, 16).toString("base64url");
				expect(ring.sign(value, context)).toBe(`${value}.${ring.currentKeyId}.${mac}`);
			}),
			{ numRuns: 500 },
		);
	});

	test("verify() recomputes the same MAC into bytes: it accepts every value sign() made, under any context, and nothing signed under another context", () => {
		const ring = new Keyring([keygen()]);
		fc.assert(
			fc.property(fc.string({ unit: "grapheme", minLength: 1 }), fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ maxLength: 40 }), (value, context, other) => {
				expect(ring.verify(ring.sign(value, context), context)?.value).toBe(value);
				if (other !== context) expect(ring.verify(ring.sign(value, other), context)).toBeNull();
			}),
			{ numRuns: 500 },
		);
	});

	test("the MAC written into a buffer is the MAC sign() writes, for every truncation length", () => {
		const key = randomBytes(32);
		for (let bytes = 1; bytes <= 32; bytes++) {
			const asText = hmacSHA256Base64url(key, bytes);
			const into = hmacSHA256Base64urlInto(key, bytes);
			const expected = createHmac("sha256", key).update(`m${bytes}`).digest().subarray(0, bytes).toString("base64url");
			const out = new Uint8Array(expected.length);
			into(`m${bytes}`, out);
			expect(new TextDecoder().decode(out)).toBe(expected);
			expect(asText(`m${bytes}`)).toBe(expected);
		}
	});
});

describe("hashSessionToken()", () => {
	test("is the lower-case hex SHA-256 of the token (node:crypto oracle)", () => {
		fc.assert(
			fc.property(fc.oneof(fc.constant(generateSessionToken()), fc.string({ unit: "grapheme" })), (token) => {
				expect(hashSessionToken(token)).toBe(createHash("sha256").update(token, "utf8").digest("hex"));
			}),
			{ numRuns: 500 },
		);
	});

	test("known vector", () => {
		expect(hashSessionToken("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		expect(hashSessionToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	});

	test("differs for tokens that differ in one character", () => {
		const token = generateSessionToken();
		const other = (token[0] === "A" ? "B" : "A") + token.slice(1);
		expect(hashSessionToken(other)).not.toBe(hashSessionToken(token));
		expect(hashSessionToken(token)).toMatch(/^[0-9a-f]{64}$/);
	});
});

describe("tokensEqual()", () => {
	test("is true for equal tokens", () => {
		const token = generateSessionToken();
		expect(tokensEqual(token, `${token}`)).toBe(true);
	});

	test("is false for a one-character difference, a prefix and different lengths", () => {
		const token = generateSessionToken();
		const other = token.slice(0, 42) + (token[42] === "A" ? "B" : "A");
		expect(tokensEqual(token, other)).toBe(false);
		expect(tokensEqual(token, token.slice(0, 42))).toBe(false);
		expect(tokensEqual(token, `${token}A`)).toBe(false);
		expect(tokensEqual("", token)).toBe(false);
	});

	test("agrees with === on arbitrary strings", () => {
		fc.assert(
			fc.property(fc.string(), fc.string(), (a, b) => {
				expect(tokensEqual(a, b)).toBe(a === b);
				expect(tokensEqual(a, a)).toBe(true);
			}),
			{ numRuns: 1000 },
		);
	});
});
