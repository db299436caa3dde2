import { decodeBase64url, drainCryptoErrors } from "./crypto.ts";
import type { DbscAlgorithm } from "./dbsc-headers.ts";

/** A DBSC proof (`typ: "dbsc+jwt"`) split and decoded, its signature not yet checked. */
export interface DbscProof {
	alg: DbscAlgorithm;
	/** The header's `jwk`: present on registration, absent on refresh. */
	jwk: Record<string, unknown> | undefined;
	/** The challenge the proof signs. */
	jti: string;
	authorization: string | undefined;
	signingInput: Uint8Array<ArrayBuffer>;
	signature: Uint8Array<ArrayBuffer>;
}

/** Why a proof was refused, as events report it. */
export type ProofFailure =
	| "malformed"
	| "unsupported_alg"
	| "bad_typ"
	| "jwk_missing"
	| "jwk_on_refresh"
	| "bad_jwk"
	| "alg_mismatch"
	| "bad_signature";

/** Longest proof read: an RS256 registration with a 4096-bit key is under 2 KB. */
const MAX_PROOF_CHARS = 8192;
const utf8 = new TextEncoder();
const text = new TextDecoder("utf-8", { fatal: true });

/**
 * Splits a compact JWS and reads the fields DBSC uses. Only `ES256` and `RS256` pass: `none` and every
 * other algorithm are refused before any key is touched. Base64url must be canonical and unpadded,
 * so a re-encoded proof (padding, other alphabet, stray bits) is refused rather than re-read.
 */
export function parseProof(compact: string): DbscProof | ProofFailure {
	if (compact.length > MAX_PROOF_CHARS) return "malformed";
	const parts = compact.split(".");
	if (parts.length !== 3) return "malformed";
	const [h, p, s] = parts as [string, string, string];
	const header = readJson(h);
	if (header === null) return "malformed";
	// The algorithm first: `none` (with its empty signature) is named for what it is.
	if (header.alg !== "ES256" && header.alg !== "RS256") return "unsupported_alg";
	if (header.typ !== "dbsc+jwt") return "bad_typ";
	const payload = readJson(p);
	const signature = decodeBase64url(s);
	if (payload === null || signature === null || signature.length === 0) return "malformed";
	if (typeof payload.jti !== "string" || payload.jti.length === 0) return "malformed";
	if (payload.authorization !== undefined && typeof payload.authorization !== "string") return "malformed";
	const jwk = header.jwk;
	if (jwk !== undefined && (typeof jwk !== "object" || jwk === null || Array.isArray(jwk))) return "bad_jwk";
	return {
		alg: header.alg,
		jwk: jwk as Record<string, unknown> | undefined,
		jti: payload.jti,
		authorization: payload.authorization as string | undefined,
		signingInput: utf8.encode(`${h}.${p}`),
		signature: signature as Uint8Array<ArrayBuffer>,
	};
}

function readJson(part: string): Record<string, unknown> | null {
	const bytes = decodeBase64url(part);
	if (bytes === null) return null;
	try {
		const value: unknown = JSON.parse(text.decode(bytes));
		return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
	} catch {
		return null;
	}
}

const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/**
 * The public key of a registration proof's `jwk`, checked against its `alg` (P-256 for ES256, RSA of
 * 2048 to 8192 bits for RS256), and its SPKI bytes to store. Only the public members are imported.
 */
export async function importProofKey(alg: DbscAlgorithm, jwk: Record<string, unknown>): Promise<{ key: CryptoKey; spki: Uint8Array } | null> {
	let clean: JsonWebKey;
	if (alg === "ES256") {
		if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !coordinate(jwk.x) || !coordinate(jwk.y) || jwk.d !== undefined) return null;
		clean = { kty: "EC", crv: "P-256", x: jwk.x as string, y: jwk.y as string };
	} else {
		if (jwk.kty !== "RSA" || typeof jwk.n !== "string" || typeof jwk.e !== "string" || jwk.d !== undefined) return null;
		const n = decodeBase64url(jwk.n);
		const e = decodeBase64url(jwk.e);
		if (n === null || e === null || n.length < 256 || n.length > 1024 || n[0] === 0 || e.length === 0 || e.length > 8) return null;
		clean = { kty: "RSA", n: jwk.n, e: jwk.e };
	}
	try {
		const key = await crypto.subtle.importKey("jwk", clean, alg === "ES256" ? ECDSA : RSA, true, ["verify"]);
		return { key, spki: new Uint8Array(await crypto.subtle.exportKey("spki", key)) };
	} catch {
		// Not a point on the curve, or a modulus WebCrypto will not take.
		drainCryptoErrors();
		return null;
	}
}

function coordinate(value: unknown): boolean {
	return typeof value === "string" && decodeBase64url(value)?.length === 32;
}

/** Imported stored keys, by SPKI: a refresh per session per few minutes would otherwise re-parse DER each time. */
const imported = new Map<string, Promise<CryptoKey>>();
const IMPORTED_CACHED = 1024;

/** The verification key from stored SPKI bytes; null if they do not import (a corrupt record). */
export async function importStoredKey(alg: DbscAlgorithm, spki: Uint8Array): Promise<CryptoKey | null> {
	try {
		return await importCached(alg, spki);
	} catch {
		drainCryptoErrors();
		return null;
	}
}

function importCached(alg: DbscAlgorithm, spki: Uint8Array): Promise<CryptoKey> {
	const id = `${alg}:${String.fromCharCode(...spki)}`;
	let key = imported.get(id);
	if (key === undefined) {
		// Cleared rather than evicted one by one: the bound is what matters, and re-importing is cheap.
		if (imported.size >= IMPORTED_CACHED) imported.clear();
		key = crypto.subtle.importKey("spki", spki as Uint8Array<ArrayBuffer>, alg === "ES256" ? ECDSA : RSA, false, ["verify"]);
		imported.set(id, key);
		key.catch(() => void imported.delete(id));
	}
	return key;
}

/** Checks the signature: ES256 as JOSE's raw 64-byte `r ‖ s` (a DER signature is refused), RS256 as PKCS #1 v1.5. */
export async function verifyProof(proof: DbscProof, key: CryptoKey): Promise<boolean> {
	try {
		if (proof.alg === "ES256") {
			if (proof.signature.length !== 64) return false;
			return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, proof.signature, proof.signingInput);
		}
		return await crypto.subtle.verify(RSA, key, proof.signature, proof.signingInput);
	} catch {
		return false;
	}
}
