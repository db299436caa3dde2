// The DBSC wire formats on their own: structured-field headers, the proof JWS, and the binding in the
// codec's system frame. Open-ended inputs get fast-check properties: nothing a client sends throws,
// and no edit of a valid proof verifies.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { codec, model } from "../../examples/demo/src/generated/session.ts";
import demoLock from "../../examples/demo/sess.lock.json";
import type { Lock } from "../../schema/lock.ts";
import { createCodec } from "../../src/codec.ts";
import { formatChallenge, formatRegistration, parseItem, parseSkipped, sfString } from "../../src/dbsc-headers.ts";
import { importProofKey, parseProof, verifyProof, type DbscProof } from "../../src/dbsc-jws.ts";
import { b64json, newKeyPair, publicJwk, signJws } from "./client.ts";

describe("structured-field headers", () => {
	test("the registration and challenge headers, byte for byte, with escapes", () => {
		expect(formatRegistration(["ES256", "RS256"], "/.sess/dbsc", "c1")).toBe('(ES256 RS256);path="/.sess/dbsc";challenge="c1"');
		expect(formatRegistration(["ES256"], "/r", "c", 'a"b\\c')).toBe('(ES256);path="/r";challenge="c";authorization="a\\"b\\\\c"');
		expect(formatChallenge("new challenge", "my session")).toBe('"new challenge";id="my session"');
		expect(() => sfString("é")).toThrow(TypeError);
	});

	test("Sec-Secure-Session-Id and Secure-Session-Response: quoted (the spec) and bare (Chromium 156)", () => {
		expect(parseItem('"session-id"')).toBe("session-id");
		expect(parseItem('"session-id";x=1')).toBe("session-id");
		expect(parseItem("session-id")).toBe("session-id");
		expect(parseItem(" eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJjIn0.c2ln ")).toBe("eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJjIn0.c2ln");
		for (const bad of [null, "", '"a", "b"', '"unterminated', "a b", "a;b", "x".repeat(9000), '"\u0001"']) expect(parseItem(bad)).toBeNull();
	});

	test("Secure-Session-Skipped: the spec's example, and anything else reads as no reasons, never an exception", () => {
		expect(parseSkipped('unreachable;session_identifier="123", quota_exceeded;session_identifier="456"')).toEqual([
			{ reason: "unreachable", sessionId: "123" },
			{ reason: "quota_exceeded", sessionId: "456" },
		]);
		expect(parseSkipped("server_error")).toEqual([{ reason: "server_error", sessionId: null }]);
		expect(parseSkipped("unreachable,")).toEqual([]);
		fc.assert(
			fc.property(fc.string({ maxLength: 200 }), (s) => {
				expect(Array.isArray(parseSkipped(s))).toBe(true);
				const item = parseItem(s);
				expect(item === null || typeof item === "string").toBe(true);
			}),
			{ numRuns: 5000 },
		);
	});

	test("any printable ASCII string survives sfString then parseItem", () => {
		fc.assert(
			fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 100 }), (s) => {
				expect(parseItem(sfString(s))).toBe(s);
			}),
			{ numRuns: 2000 },
		);
	});
});

describe("the proof JWS", () => {
	test("Chromium's shapes parse: registration with jwk in the header, refresh without", async () => {
		const keys = await newKeyPair("ES256");
		const reg = parseProof(await signJws("ES256", keys, { alg: "ES256", typ: "dbsc+jwt", jwk: await publicJwk(keys) }, { jti: "c", authorization: "a" })) as DbscProof;
		expect({ alg: reg.alg, jti: reg.jti, authorization: reg.authorization, jwk: reg.jwk?.kty, bytes: reg.signature.length }).toEqual({ alg: "ES256", jti: "c", authorization: "a", jwk: "EC", bytes: 64 });
		const imported = await importProofKey("ES256", reg.jwk as Record<string, unknown>);
		expect(imported?.spki.length).toBe(91);
		expect(await verifyProof(reg, imported?.key as CryptoKey)).toBe(true);
	});

	test("refused shapes: alg none/HS256/lower case, wrong typ, non-object parts, a private key in the jwk, a short RSA modulus", async () => {
		const sig = "AAAA";
		const shape = (header: unknown, payload: unknown = { jti: "c" }) => parseProof(`${b64json(header)}.${b64json(payload)}.${sig}`);
		expect(shape({ alg: "none", typ: "dbsc+jwt" })).toBe("unsupported_alg");
		expect(shape({ alg: "HS256", typ: "dbsc+jwt" })).toBe("unsupported_alg");
		expect(shape({ alg: "es256", typ: "dbsc+jwt" })).toBe("unsupported_alg");
		expect(shape({ alg: "ES256", typ: "JWT" })).toBe("bad_typ");
		expect(shape({ alg: "ES256", typ: "dbsc+jwt" }, ["c"])).toBe("malformed");
		expect(shape({ alg: "ES256", typ: "dbsc+jwt" }, { jti: 1 })).toBe("malformed");
		expect(shape({ alg: "ES256", typ: "dbsc+jwt", jwk: "key" })).toBe("bad_jwk");
		expect(shape(["ES256"])).toBe("malformed");
		const keys = await newKeyPair("ES256");
		const full = await crypto.subtle.exportKey("jwk", keys.privateKey);
		expect(await importProofKey("ES256", full as Record<string, unknown>)).toBeNull();
		const small = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
		expect(await importProofKey("RS256", await publicJwk(small))).toBeNull();
		// A point not on the curve.
		expect(await importProofKey("ES256", { kty: "EC", crv: "P-256", x: "A".repeat(43), y: "A".repeat(43) })).toBeNull();
	});

	test("property: parseProof never throws, and no single-character edit of a valid proof verifies", async () => {
		const keys = await newKeyPair("ES256");
		const proof = await signJws("ES256", keys, { alg: "ES256", typ: "dbsc+jwt" }, { jti: "challenge" });
		fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => void parseProof(s)), { numRuns: 5000 });
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
		await fc.assert(
			fc.asyncProperty(fc.nat({ max: proof.length - 1 }), fc.constantFrom(...alphabet), async (at, c) => {
				const edited = proof.slice(0, at) + c + proof.slice(at + 1);
				if (edited === proof) return;
				const parsed = parseProof(edited);
				if (typeof parsed === "string") return;
				expect(await verifyProof(parsed, keys.publicKey)).toBe(false);
			}),
			{ numRuns: 400 },
		);
	});
});

describe("the binding in the codec's system frame", () => {
	test("pending and bound bindings round-trip next to the data (emitted and interpreted codecs write the same bytes), and an unbound session encodes as before", () => {
		const data = codec.initial();
		const interpreted = createCodec<object, object>(model, demoLock as Lock);
		expect(codec.encodeTrusted(data, undefined, {})).toEqual(codec.encodeTrusted(data, undefined, undefined));
		fc.assert(
			fc.property(
				fc.string({ minLength: 1, maxLength: 40 }),
				fc.option(fc.record({ alg: fc.constantFrom("ES256" as const, "RS256" as const), key: fc.uint8Array({ minLength: 1, maxLength: 600 }), since: fc.nat() }), { nil: undefined }),
				(id, bound) => {
					const dbsc = bound === undefined ? { id } : { id, ...bound };
					const bytes = codec.encodeTrusted(data, undefined, { dbsc });
					expect(interpreted.encodeTrusted(data, undefined, { dbsc })).toEqual(bytes);
					expect(interpreted.decodeSession(bytes).meta.dbsc).toEqual(dbsc);
					const decoded = codec.decodeSession(bytes);
					expect(decoded.meta.dbsc).toEqual(dbsc);
					expect(decoded.data).toEqual(data);
				},
			),
			{ numRuns: 2000 },
		);
	});
});
