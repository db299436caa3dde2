import type { Keyring, VerifiedValue } from "./keyring.ts";

/** A verified session cookie: its token, the key that signed it, and the token's stored ID. */
export interface VerifiedCookie extends VerifiedValue {
	id: string;
}

/** What was remembered of a cookie that verified: its key and MAC, never its token. */
interface Seen {
	keyId: string;
	staleKey: boolean;
	/** The MAC's characters as codes, copied out so that no slice of the cookie (the token) stays alive. */
	mac: Uint8Array;
}

/**
 * Checks session cookies (`token.keyId.mac`) under one keyring and context, remembering per stored ID the
 * MAC of each cookie that verified: a browser sends the same cookie on every request, and a cookie equal to
 * one that verified before is compared with it (in constant time) instead of MACed again, the costliest step
 * of a load. A hit is the exact string that verified, since the ID is SHA-256 of the token and the key id and
 * MAC are compared in full; the keyring never changes under a manager. Only IDs and MACs are kept, at most
 * `capacity` of them, so the memo holds nothing a cookie could be rebuilt from.
 */
export class VerifiedCookies {
	private readonly seen = new Map<string, Seen>();

	constructor(
		private readonly keyring: Keyring,
		private readonly context: string,
		private readonly isToken: (value: string) => boolean,
		private readonly idOf: (token: string) => string,
		private readonly capacity = 4096,
	) {}

	/** The cookie's token and ID when its signature verifies and the token has the right shape; otherwise why not. */
	verify(signed: string): VerifiedCookie | "bad_signature" | "malformed" {
		const macStart = signed.lastIndexOf(".");
		const keyStart = macStart > 0 ? signed.lastIndexOf(".", macStart - 1) : -1;
		const token = keyStart > 0 ? signed.slice(0, keyStart) : null;
		// Only a well-formed token is hashed; anything else takes the keyring's own checks, which decide the reason.
		if (token === null || !this.isToken(token)) return this.verifyFully(signed, null);
		const id = this.idOf(token);
		const seen = this.seen.get(id);
		// Another key's signature of the same token (a cookie from before a key rotation) is checked in full.
		if (seen === undefined || macStart - keyStart - 1 !== seen.keyId.length || !signed.startsWith(seen.keyId, keyStart + 1)) return this.verifyFully(signed, id);
		// The same key MACs the same token to the same MAC: any other is forged, with no need to MAC it again.
		if (!sameMac(seen.mac, signed, macStart + 1)) return "bad_signature";
		return { value: token, keyId: seen.keyId, staleKey: seen.staleKey, id };
	}

	/** The full check under the keyring; `id` is the stored ID of the token if it was already worked out. */
	private verifyFully(signed: string, id: string | null): VerifiedCookie | "bad_signature" | "malformed" {
		const verified = this.keyring.verify(signed, this.context);
		if (verified === null) return "bad_signature";
		if (!this.isToken(verified.value)) return "malformed";
		const storedId = id ?? this.idOf(verified.value);
		this.remember(storedId, verified, signed);
		return { value: verified.value, keyId: verified.keyId, staleKey: verified.staleKey, id: storedId };
	}

	private remember(id: string, verified: VerifiedValue, signed: string): void {
		const macStart = signed.lastIndexOf(".") + 1;
		const mac = new Uint8Array(signed.length - macStart);
		for (let i = 0; i < mac.length; i++) mac[i] = signed.charCodeAt(macStart + i);
		// Dropping everything at the cap is enough: a dropped cookie only costs one more full check.
		if (this.seen.size >= this.capacity) this.seen.clear();
		this.seen.set(id, { keyId: verified.keyId, staleKey: verified.staleKey, mac });
	}
}

/**
 * Whether `signed` ends, from `macStart`, in exactly the remembered MAC; constant-time as the keyring's check
 * is: every character is compared, differences are OR-ed together, and nothing branches on them. Read straight
 * from the string (no copy of the presented MAC into bytes first, then a second pass); a character beyond
 * ASCII, which no MAC holds, differs from every remembered code, so it is refused rather than truncated.
 */
function sameMac(mac: Uint8Array, signed: string, macStart: number): boolean {
	const length = signed.length - macStart;
	if (length !== mac.length) return false;
	let diff = 0;
	for (let i = 0; i < length; i++) diff |= signed.charCodeAt(macStart + i) ^ (mac[i] as number);
	return diff === 0;
}
