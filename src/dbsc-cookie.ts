import type { CookieAttributes } from "./cookie.ts";
import { serializeCookie } from "./cookie.ts";
import type { Keyring } from "./keyring.ts";

/**
 * The short-lived cookie DBSC keeps fresh: `<session identifier>.<expiry>` signed under the keyring.
 * The expiry inside is what counts (a thief's client ignores Max-Age); the signature ties the cookie
 * to one binding, so a bound cookie of one session cannot vouch for another.
 */
export class BoundCookie {
	constructor(
		private readonly keyring: Keyring,
		readonly name: string,
		private readonly attributes: CookieAttributes,
		readonly lifetimeMs: number,
	) {}

	/** `Set-Cookie` for a cookie good until `now + lifetime`. */
	issue(sessionId: string, now: number): string {
		const value = this.keyring.sign(`${sessionId}.${(now + this.lifetimeMs).toString(36)}`, this.name);
		return serializeCookie(this.name, value, { ...this.attributes, maxAge: this.lifetimeMs / 1000 });
	}

	/** `Set-Cookie` that removes it (logout, regeneration). */
	clear(): string {
		return serializeCookie(this.name, "", { ...this.attributes, maxAge: 0 });
	}

	/** Why `value` does not vouch for `sessionId` at `now`, or null when it does. */
	check(value: string | null, sessionId: string, now: number): "missing" | "forged" | "foreign" | "expired" | null {
		if (value === null) return "missing";
		const verified = this.keyring.verify(value, this.name);
		if (verified === null) return "forged";
		const dot = verified.value.lastIndexOf(".");
		if (verified.value.slice(0, dot) !== sessionId) return "foreign";
		const until = Number.parseInt(verified.value.slice(dot + 1), 36);
		return Number.isSafeInteger(until) && now < until ? null : "expired";
	}

	/** The attributes as the session configuration's `credentials[].attributes` names them (what Chromium matches). */
	describe(): string {
		const line = serializeCookie(this.name, "", this.attributes);
		return line.slice(line.indexOf(";") + 2);
	}
}
