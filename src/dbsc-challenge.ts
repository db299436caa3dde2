import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { sha256Hex } from "./crypto.ts";
import type { Keyring } from "./keyring.ts";
import type { Store, StoredSession } from "./store.ts";
import type { StoreCall } from "./store-call.ts";
import { ROUTE_TAG_CHARS, type RandomSource } from "./token.ts";

/** What a challenge is for: registering a key, or proving it again at refresh. */
export type ChallengePurpose = "register" | "refresh";

/** Why a challenge was refused. */
export type ChallengeFailure = "forged_challenge" | "foreign_challenge" | "stale_challenge" | "replayed_challenge";

/** A short digest of the registration's `authorization` (empty when none was sent). */
function digest(authorization: string | undefined): string {
	return authorization === undefined ? "" : sha256Hex(`sess/dbsc-authorization/${authorization}`).slice(0, 16);
}

/** Signature context: a challenge can never pass for a cookie, nor a cookie for a challenge. */
const CONTEXT = "sess/dbsc-challenge";
const NONCE_BYTES = 16;
const PURPOSE = { register: "g", refresh: "f" } as const;

/**
 * Challenges are signed, not stored: issuing one (every refresh's first 403) writes nothing. The
 * signature covers purpose, session identifier, issue time and a nonce, so a challenge is only good
 * for the session it was issued to and only while young. Single use is the one thing that needs
 * state: `consume` records a used challenge as a row that expires with it.
 */
export class Challenges {
	constructor(
		private readonly keyring: Keyring,
		private readonly random: RandomSource,
		/** How long an issued challenge stays usable; proofs race, so every challenge of that window is accepted once. */
		readonly lifetimeMs: number,
	) {}

	/** A new challenge for `sessionId`; `authorization` (registration only) is bound in, so the proof must echo it. */
	issue(purpose: ChallengePurpose, sessionId: string, now: number, authorization?: string): string {
		const nonce = new Uint8Array(NONCE_BYTES);
		this.random(nonce);
		return this.keyring.sign(`${PURPOSE[purpose]}.${sessionId}.${now.toString(36)}.${encodeBase64urlNoPadding(nonce)}.${digest(authorization)}`, CONTEXT);
	}

	/** Null when `challenge` is one this server issued for `sessionId` and `purpose` within the lifetime; otherwise why not. */
	check(challenge: string, purpose: ChallengePurpose, sessionId: string, now: number, authorization?: string): ChallengeFailure | "authorization_mismatch" | null {
		const verified = this.keyring.verify(challenge, CONTEXT);
		if (verified === null) return "forged_challenge";
		const parts = verified.value.split(".");
		if (parts.length !== 5 || parts[0] !== PURPOSE[purpose]) return "forged_challenge";
		if (parts[1] !== sessionId) return "foreign_challenge";
		if (parts[4] !== digest(authorization)) return "authorization_mismatch";
		const issuedAt = Number.parseInt(parts[2] as string, 36);
		// A challenge "from the future" beyond a little clock skew between servers is as bad as an old one.
		if (!Number.isSafeInteger(issuedAt) || now - issuedAt >= this.lifetimeMs || issuedAt - now > 5000) return "stale_challenge";
		return null;
	}

	/** The moment a checked challenge stops being accepted (and its used-marker may go). */
	expiresAt(challenge: string): number {
		const value = challenge.split(".")[2] ?? "";
		return Number.parseInt(value, 36) + this.lifetimeMs;
	}

	/**
	 * Marks a checked challenge used; false when it already was. The marker is created with the
	 * store's insert-if-absent, so of two racing proofs over one challenge exactly one wins, across
	 * processes too. The marker expires with the challenge: a session refreshing once a second keeps
	 * at most one lifetime's worth of markers, and `prune()` (or Redis itself) removes the rest.
	 */
	async consume(store: Store, call: StoreCall, challenge: string, now: number): Promise<boolean> {
		const until = this.expiresAt(challenge);
		const hash = sha256Hex(`sess/dbsc-used/${challenge}`);
		const marker: StoredSession = {
			// A store that routes rows by a tag in the ID (RedisSpreadStore) gets one: the hash's first digits spread markers too.
			id: store.routeBy === undefined ? hash : `${hash.slice(0, ROUTE_TAG_CHARS)}.${hash}`, successorId: null, version: 1, data: new Uint8Array(0),
			createdAt: now, rotatedAt: now, lastSeenAt: now, idleExpiresAt: until, absoluteExpiresAt: until, columns: {},
		};
		try {
			// Not through `call`: a collision is the expected answer to a replay, not an outage to report.
			await store.create(marker);
			return true;
		} catch (e) {
			// A collision means used; an outage must not pass for one, so it is told apart by reading back.
			const existing = await call("commit", () => store.get(marker.id));
			if (existing !== null) return false;
			throw e;
		}
	}
}
