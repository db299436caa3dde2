import { decodeBase64IgnorePadding, decodeBase64urlIgnorePadding, decodeHex, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { AES_GCM_IV_BYTES, bytesEqual, hmacSHA256, hmacSHA256Base64url, hmacSHA256Base64urlInto, importAESKey, openAESGCMBase64url, sealAESGCMBase64url, type AESKey } from "./crypto.ts";
import { ConfigError, WeakKeyError } from "./errors.ts";

/** A secret as configured: an encoded string (base64url, base64 or hex) or raw bytes, with an optional id. */
export type KeyInput = string | Uint8Array | { id?: string; secret: string | Uint8Array };

/** A verified signed value: the payload, which key signed it, and whether that key is no longer the newest. */
export interface VerifiedValue {
	value: string;
	keyId: string;
	staleKey: boolean;
}

interface Key {
	id: string;
	/** HMAC-SHA-256 under the derived signing key, truncated to `MAC_BYTES`, as base64url. */
	sign: (message: string) => string;
	/** The same MAC as ASCII codes into a buffer, for `verify`. */
	signInto: (message: string, out: Uint8Array) => void;
	/** A separate key for sealed cookies: one secret never serves two algorithms (imported once, not per cookie). */
	sealing: AESKey;
	/** `id.`, which starts every value this key seals (made once, not per cookie). */
	sealPrefix: string;
}

/** An opened sealed value: the plaintext and which key sealed it. */
export interface OpenedValue {
	bytes: Uint8Array;
	keyId: string;
	staleKey: boolean;
}

/** 32 bytes, as OWASP and NIST ask for HMAC-SHA-256 keys. */
export const MIN_KEY_BYTES = 32;
/** Signature bytes kept in the cookie: 128 bits is beyond forgery reach and keeps cookies short. */
const MAC_BYTES = 16;
const MAC_CHARS = 22;
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;

// Strings that tutorials and templates ship as secrets; seen in real deployments.
const PLACEHOLDERS = ["your-very-secure-secret-key", "keyboard cat", "changeme", "supersecret", "development", "test", "default", "todo"];
// Words that give away a human-made secret; a random 43-character key holds one by chance ~1 in 10^7 times.
const TELLTALE_WORDS = ["secret", "password", "passwd", "changeme", "example", "placeholder", "keyboard", "sessionkey"];

const utf8 = new TextEncoder();

/** The newest key signs; every key verifies, so keys rotate without logging anyone out. */
export class Keyring {
	private readonly keys: Key[];
	private readonly byId: Map<string, Key>;
	/** UTF-8 of each context (cookie name) used as AAD, encoded once. */
	private readonly aads = new Map<string, Uint8Array>();

	/** Keys newest first; throws `WeakKeyError` on a short, regular or placeholder key. */
	constructor(inputs: readonly KeyInput[]) {
		// JavaScript callers (and an unset environment variable) reach here without the type's help.
		if (!Array.isArray(inputs)) {
			const got = inputs === undefined ? "nothing (is SESS_KEYS set?)" : typeof inputs === "string" ? "one string" : typeof inputs;
			throw new ConfigError("invalid_config", `keys must be a list of keys, newest first, e.g. keys: process.env.SESS_KEYS.split(","), but got ${got}; make one with \`sess keygen\`.`);
		}
		if (inputs.length === 0) throw new WeakKeyError("No signing key configured. Is SESS_KEYS set and non-empty?");
		this.keys = inputs.map((input, i) => {
			const { id, secret } = typeof input === "string" || input instanceof Uint8Array ? { id: undefined, secret: input } : input;
			const bytes = readKeyBytes(secret, i);
			const signing = hmacSHA256(bytes, "sess/v1/cookie-signature");
			const sealing = importAESKey(hmacSHA256(bytes, "sess/v1/cookie-seal-aes-256-gcm"));
			const keyId = id ?? encodeBase64urlNoPadding(hmacSHA256(bytes, "sess/v1/key-id")).slice(0, 6);
			if (!KEY_ID.test(keyId)) throw new ConfigError("invalid_config", `key id "${keyId}" must match ${KEY_ID}.`);
			return { id: keyId, sign: hmacSHA256Base64url(signing, MAC_BYTES), signInto: hmacSHA256Base64urlInto(signing, MAC_BYTES), sealing, sealPrefix: `${keyId}.` };
		});
		this.byId = new Map();
		for (const key of this.keys) {
			if (this.byId.has(key.id)) throw new ConfigError("invalid_config", `Two keys share the id "${key.id}"; remove the duplicate.`);
			this.byId.set(key.id, key);
		}
	}

	private aad(context: string): Uint8Array {
		let aad = this.aads.get(context);
		if (aad === undefined) this.aads.set(context, (aad = utf8.encode(context)));
		return aad;
	}

	/** Reads a comma-separated list such as the `SESS_KEYS` environment variable. */
	static fromString(list: string): Keyring {
		return new Keyring(list.split(",").map((s) => s.trim()).filter((s) => s.length > 0));
	}

	/** Id of the key that signs new values. */
	get currentKeyId(): string {
		return (this.keys[0] as Key).id;
	}

	/** `value.keyId.mac`; `context` binds the signature to its use (the cookie name). */
	sign(value: string, context: string): string {
		const key = this.keys[0] as Key;
		return `${value}.${key.id}.${mac(key, value, context)}`;
	}

	/** `keyId.base64url(iv ‖ AES-256-GCM(bytes) ‖ tag)` under the newest key; `context` (the cookie name) is authenticated. */
	seal(bytes: Uint8Array, context: string, random: (b: Uint8Array<ArrayBuffer>) => void): string {
		return this.sealPrefix + this.sealBody(bytes, context, random);
	}

	/** What every value `seal` makes now starts with: the newest key's `keyId.` (a constant of the keyring). */
	get sealPrefix(): string {
		return (this.keys[0] as Key).sealPrefix;
	}

	/** `seal` without `sealPrefix`: for a caller that writes both into a longer string in one step (a Set-Cookie line). */
	sealBody(bytes: Uint8Array, context: string, random: (b: Uint8Array<ArrayBuffer>) => void): string {
		const key = this.keys[0] as Key;
		// A fresh random nonce per cookie, never a counter: processes sharing a key cannot coordinate one.
		// Drawn into one reused array (sealing is synchronous; the cipher copies it in).
		random(NONCE);
		return sealAESGCMBase64url(key.sealing, NONCE, bytes, this.aad(context));
	}

	/** Opens a value this ring sealed; null for anything else (tampered, truncated, other key or context). */
	open(value: string, context: string): OpenedValue | null {
		const bytes = this.openBytes(value, context);
		if (bytes === null) return null;
		const older = this.olderKeyId(value);
		return { bytes, keyId: older ?? (this.keys[0] as Key).id, staleKey: older !== null };
	}

	/** `open` without the answer object (the sealed per-request path): the plaintext, or null. */
	openBytes(value: string, context: string): Uint8Array | null {
		const dot = value.indexOf(".");
		if (dot <= 0) return null;
		// Nearly every cookie is under the newest key: compared in place, without slicing out its id.
		const newest = this.keys[0] as Key;
		const key = dot === newest.id.length && value.startsWith(newest.id) ? newest : this.byId.get(value.slice(0, dot));
		if (key === undefined) return null;
		// The body's alphabet, spelling and length are checked where it is decoded.
		return openAESGCMBase64url(key.sealing, value.slice(dot + 1), this.aad(context));
	}

	/** The id of the key a value that `openBytes` opened was sealed under, when it is not the newest; null when it is. */
	olderKeyId(value: string): string | null {
		const dot = value.indexOf(".");
		const newest = (this.keys[0] as Key).id;
		return dot === newest.length && value.startsWith(newest) ? null : value.slice(0, dot);
	}

	/** Returns the payload of a value this ring signed, or null for anything else. */
	verify(signed: string, context: string): VerifiedValue | null {
		const macStart = signed.lastIndexOf(".");
		if (macStart < 0 || signed.length - macStart - 1 !== MAC_CHARS) return null;
		const idStart = signed.lastIndexOf(".", macStart - 1);
		if (idStart <= 0) return null;
		const key = this.byId.get(signed.slice(idStart + 1, macStart));
		if (key === undefined) return null;
		const value = signed.slice(0, idStart);
		// Both MACs as ASCII bytes in two reused buffers, the expected one written there directly (no string,
		// no TextEncoder array per request); a character beyond ASCII, which no MAC holds, is refused rather
		// than truncated into a byte.
		key.signInto(macInput(value, context), EXPECTED_MAC);
		if (asciiInto(signed, macStart + 1, GIVEN_MAC)) return null;
		if (!bytesEqual(EXPECTED_MAC, GIVEN_MAC)) return null;
		return { value, keyId: key.id, staleKey: key !== this.keys[0] };
	}
}

const NONCE = new Uint8Array(AES_GCM_IV_BYTES);

/** Scratch for `verify`'s comparison: MACs are checked one at a time, synchronously. */
const EXPECTED_MAC = new Uint8Array(MAC_CHARS);
const GIVEN_MAC = new Uint8Array(MAC_CHARS);

/** Copies `out.length` characters of `text` from `from` into `out`; non-zero when one of them is not ASCII. */
function asciiInto(text: string, from: number, out: Uint8Array): number {
	let high = 0;
	for (let i = 0; i < out.length; i++) {
		const c = text.charCodeAt(from + i);
		high |= c & ~0x7f;
		out[i] = c;
	}
	return high;
}

function mac(key: Key, value: string, context: string): string {
	return key.sign(macInput(value, context));
}

/** What is signed: the NUL separator keeps (context, value) pairs unambiguous. */
function macInput(value: string, context: string): string {
	return `${context}\u0000${value}`;
}

/** Decodes and vets one configured secret; `index` names it in errors, the secret itself never appears. */
export function readKeyBytes(secret: string | Uint8Array, index: number): Uint8Array {
	const which = `Key #${index + 1}`;
	if (secret instanceof Uint8Array) {
		if (secret.length < MIN_KEY_BYTES) throw new WeakKeyError(`${which} has ${secret.length} bytes; at least ${MIN_KEY_BYTES} are required.`);
		if (!looksRandom(secret)) throw new WeakKeyError(`${which} is too regular to be random.`);
		return secret;
	}
	const normalized = secret.trim().toLowerCase().replace(/[^a-z0-9]+/g, "");
	if (
		PLACEHOLDERS.some((p) => normalized === p.replace(/[^a-z0-9]+/g, "")) ||
		TELLTALE_WORDS.some((w) => normalized.includes(w))
	) {
		throw new WeakKeyError(`${which} is a well-known placeholder or a made-up phrase, not a random secret.`);
	}
	const bytes = decodeSecret(secret.trim());
	if (bytes === null) {
		throw new WeakKeyError(`${which} is not an encoded random key (base64url, base64 or hex of at least ${MIN_KEY_BYTES} bytes).`);
	}
	if (bytes.length < MIN_KEY_BYTES) {
		throw new WeakKeyError(`${which} decodes to ${bytes.length} bytes; at least ${MIN_KEY_BYTES} are required.`);
	}
	if (!looksRandom(bytes) || !variedEnough(secret.trim())) {
		throw new WeakKeyError(`${which} is too regular to be random.`);
	}
	return bytes;
}

function decodeSecret(s: string): Uint8Array | null {
	try {
		// Even-length all-hex text is hex: read as base64 it would claim 50% more bytes than it holds.
		if (/^[0-9a-fA-F]+$/.test(s) && s.length % 2 === 0) return decodeHex(s);
		if (/^[A-Za-z0-9_-]+$/.test(s)) return decodeBase64urlIgnorePadding(s);
		if (/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return decodeBase64IgnorePadding(s.replace(/=+$/, ""));
	} catch {
		return null;
	}
	return null;
}

/** 32 random bytes almost always hold 25+ distinct values; text or repeats hold far fewer. */
function looksRandom(bytes: Uint8Array): boolean {
	return new Set(bytes).size >= Math.min(16, Math.floor(bytes.length / 2));
}

/**
 * Character entropy of the encoded text. Over 300,000 random keys the lowest seen was 4.16 bits per
 * character for base64url (3.39 for hex); repeated phrases sit near 3.1–3.4, below the thresholds.
 * A random base64 key also mixes cases (one without upper or lower case: ~4 in 10^10), a phrase rarely does.
 */
function variedEnough(s: string): boolean {
	const hex = /^[0-9a-fA-F]+$/.test(s);
	if (!hex && !(/[a-z]/.test(s) && /[A-Z]/.test(s))) return false;
	const counts = new Map<string, number>();
	for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
	let bits = 0;
	for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
	return bits >= (hex ? 3.0 : 3.5);
}
