// The DBSC protocol against a scripted client that signs with WebCrypto, over the demo schema, in
// store mode (memory store) and sealed mode, with an injected clock. Each test names the protocol step
// it proves; the wire (headers, cookies, JSON) and the stored record are what is asserted.
import { describe, expect, test } from "bun:test";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { codec, model } from "../../examples/demo/src/generated/session.ts";
import { COOKIE_LIMIT, DBSC_KEY_BYTES, sealedCookieSize } from "../../schema/sealed-size.ts";
import { Keyring } from "../../src/keyring.ts";
import { decodeSealedPlaintext } from "../../src/sealed.ts";
import type { SessionEvent } from "../../src/events.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { createSessions } from "../../examples/demo/src/generated/session.ts";
import { COOKIE, MINUTE, SECOND, fakeClock, newKey, type FakeClock } from "../helpers/harness.ts";
import { dbscApp } from "./app.ts";
import { b64json, DbscClient, newKeyPair, publicJwk, readChallenge, readRegistration, signJws, type Alg, type Handler } from "./client.ts";

const BOUND = `${COOKIE}-dbsc`;

interface World {
	handler: Handler;
	clock: FakeClock;
	store: MemoryStore;
	events: SessionEvent[];
	keyring: Keyring;
	sessions: ReturnType<typeof createSessions>;
	reasons(type: "dbsc_proof_failed" | "dbsc_refused" | "dbsc_skipped"): string[];
}

function world(mode: "store" | "sealed" = "store", dbsc: Parameters<typeof createSessions>[0]["dbsc"] = {}, authorization?: string): World {
	const clock = fakeClock();
	const store = new MemoryStore();
	const events: SessionEvent[] = [];
	const keyring = new Keyring([newKey()]);
	const common = { keys: keyring, now: clock.now, onEvent: (e: SessionEvent) => void events.push(e), dbsc };
	const sessions = mode === "sealed" ? createSessions({ ...common, mode: "sealed", revocations: store }) : createSessions({ ...common, store });
	return {
		handler: dbscApp(sessions, authorization === undefined ? {} : { authorization }),
		clock,
		store,
		events,
		keyring,
		sessions,
		reasons: (type) => events.filter((e) => e.type === type).map((e) => (e as { reason: string }).reason),
	};
}

/** Logs in and registers a key; returns the client, bound. */
async function boundClient(w: World, alg: Alg = "ES256"): Promise<DbscClient> {
	const client = new DbscClient(w.handler, alg);
	const login = await client.login("alice");
	const registered = await client.register(login.headers.get("secure-session-registration"));
	expect(registered.status).toBe(200);
	return client;
}

async function whoami(client: DbscClient): Promise<{ userId: string | null; bound: boolean }> {
	return (await (await client.send("/whoami")).json()) as { userId: string | null; bound: boolean };
}

/** The bound cookie's expiry as signed inside it. */
function boundExpiry(client: DbscClient): number {
	const value = client.jar.get(BOUND) ?? "";
	return Number.parseInt(value.split(".")[1] ?? "", 36);
}

for (const alg of ["ES256", "RS256"] as const) {
	describe(`registration and refresh, ${alg}`, () => {
		test("login sends Secure-Session-Registration offering ES256 and RS256 with the registration path and a challenge", async () => {
			const w = world();
			const client = new DbscClient(w.handler, alg);
			const login = await client.login("alice");
			const header = login.headers.get("secure-session-registration");
			expect(header).toMatch(/^\(ES256 RS256\);path="\/\.sess\/dbsc";challenge="[A-Za-z0-9._~-]+"$/);
			expect(readRegistration(header).algs).toEqual(["ES256", "RS256"]);
			// Not bound yet: registration has not happened.
			expect(await whoami(client)).toEqual({ userId: "alice", bound: false });
		});

		test("registration: the proof is verified, the key stored with the session, the config answered with the bound cookie", async () => {
			const w = world();
			const client = new DbscClient(w.handler, alg);
			const login = await client.login("alice");
			const response = await client.register(login.headers.get("secure-session-registration"));
			expect(response.status).toBe(200);
			// Committed through the manager: private as well as no-store.
			expect(response.headers.get("cache-control")).toBe("private, no-store");
			expect(response.headers.get("content-type")).toBe("application/json");
			const config = (await response.json()) as Record<string, unknown>;
			expect(config).toEqual({
				session_identifier: client.sessionId,
				refresh_url: "/.sess/dbsc/refresh",
				scope: { origin: "https://app.test", include_site: false, scope_specification: [] },
				credentials: [{ type: "cookie", name: BOUND, attributes: "Path=/; Secure; HttpOnly; SameSite=Lax" }],
				allowed_refresh_initiators: [],
			});
			expect(client.sessionId).toMatch(/^s[A-Za-z0-9_-]{22}$/);
			const bound = response.headers.getSetCookie().find((c) => c.startsWith(`${BOUND}=`));
			expect(bound).toMatch(new RegExp(`^${BOUND}=[^;]+; Path=/; Max-Age=600; Secure; HttpOnly; SameSite=Lax$`));
			// A challenge for the first refresh rides along, as the spec allows on any response.
			expect(readChallenge(response.headers.get("secure-session-challenge")).id).toBe(client.sessionId as string);
			expect(w.events.filter((e) => e.type === "dbsc_registered")).toEqual([{ type: "dbsc_registered", id: expect.any(String), alg }]);
			// The public key is in the stored record, as SPKI, beside the session's data.
			const row = await w.store.get(client.jar.rowId() as string);
			const meta = codec.decodeSession(row?.data as Uint8Array).meta;
			const spki = new Uint8Array(await crypto.subtle.exportKey("spki", (client.keys as CryptoKeyPair).publicKey));
			expect(meta.dbsc).toEqual({ id: client.sessionId as string, alg, key: spki, since: w.clock.now() });
			expect(await whoami(client)).toEqual({ userId: "alice", bound: true });
		});

		test("refresh: 403 with Secure-Session-Challenge, then the signed proof renews the bound cookie", async () => {
			const w = world();
			const client = await boundClient(w, alg);
			w.clock.advance(9 * MINUTE);
			const before = boundExpiry(client);
			const response = await client.refresh();
			expect(client.trail.map((r) => r.status)).toEqual([403, 200]);
			const first = client.trail[0] as Response;
			expect(first.headers.get("secure-session-challenge")).toMatch(new RegExp(`^"[^"]+";id="${client.sessionId}"$`));
			expect(first.headers.get("cache-control")).toBe("no-store");
			expect(response.headers.get("cache-control")).toBe("private, no-store");
			expect(((await response.json()) as { session_identifier: string }).session_identifier).toBe(client.sessionId as string);
			expect(boundExpiry(client)).toBe(before + 9 * MINUTE);
			expect(w.events.filter((e) => e.type === "dbsc_refreshed")).toHaveLength(1);
			w.clock.advance(9 * MINUTE);
			expect(await whoami(client)).toEqual({ userId: "alice", bound: true });
		});

		test("the cached challenge from the last 200 signs the next refresh without a 403", async () => {
			const w = world();
			const client = await boundClient(w, alg);
			const response = await client.refreshWith(await client.refreshProof(client.cached as string));
			expect(response.status).toBe(200);
		});
	});
}

describe("refused proofs", () => {
	test("a replayed challenge: the same proof twice gets 200, then 403 with a new challenge", async () => {
		const w = world();
		const client = await boundClient(w);
		const first = await client.refreshWith(null);
		const proof = await client.refreshProof(readChallenge(first.headers.get("secure-session-challenge")).challenge);
		expect((await client.refreshWith(proof)).status).toBe(200);
		const replay = await client.refreshWith(proof);
		expect(replay.status).toBe(403);
		expect(replay.headers.getSetCookie()).toEqual([]);
		expect(readChallenge(replay.headers.get("secure-session-challenge")).id).toBe(client.sessionId as string);
		expect(w.reasons("dbsc_proof_failed")).toEqual(["replayed_challenge"]);
	});

	test("a stale challenge (older than challengeLifetime) gets 403 and a new one", async () => {
		const w = world("store", { challengeLifetime: "2m" });
		const client = await boundClient(w);
		const first = await client.refreshWith(null);
		const proof = await client.refreshProof(readChallenge(first.headers.get("secure-session-challenge")).challenge);
		w.clock.advance(2 * MINUTE);
		expect((await client.refreshWith(proof)).status).toBe(403);
		expect(w.reasons("dbsc_proof_failed")).toEqual(["stale_challenge"]);
		// One second younger and it would have passed: the bound is the lifetime, not something looser.
		const again = await client.refreshWith(null);
		const fresh = await client.refreshProof(readChallenge(again.headers.get("secure-session-challenge")).challenge);
		w.clock.advance(2 * MINUTE - SECOND);
		expect((await client.refreshWith(fresh)).status).toBe(200);
	});

	test("a challenge issued to another session is refused even when signed by that session's own key", async () => {
		const w = world();
		const alice = await boundClient(w);
		const bob = await boundClient(w);
		const forAlice = readChallenge((await alice.refreshWith(null)).headers.get("secure-session-challenge")).challenge;
		const response = await bob.refreshWith(await bob.refreshProof(forAlice));
		expect(response.status).toBe(403);
		expect(w.reasons("dbsc_proof_failed")).toEqual(["foreign_challenge"]);
		// And Alice's registration challenge cannot register Bob's pending session either.
		const carol = new DbscClient(w.handler);
		const dave = new DbscClient(w.handler);
		const carolHeader = (await carol.login("carol")).headers.get("secure-session-registration");
		const daveHeader = (await dave.login("dave")).headers.get("secure-session-registration");
		const proof = await dave.registrationProof(daveHeader, { jti: readRegistration(carolHeader).challenge });
		expect((await dave.register(daveHeader, proof)).status).toBe(400);
		expect(w.reasons("dbsc_proof_failed")).toEqual(["foreign_challenge", "foreign_challenge"]);
	});

	test('alg "none" is refused at registration and at refresh before any key is used', async () => {
		const w = world();
		const client = new DbscClient(w.handler);
		const header = (await client.login("alice")).headers.get("secure-session-registration");
		const none = `${b64json({ alg: "none", typ: "dbsc+jwt" })}.${b64json({ jti: readRegistration(header).challenge })}.`;
		expect((await client.register(header, none)).status).toBe(400);
		expect(await whoami(client)).toEqual({ userId: "alice", bound: false });
		expect((await client.register(header)).status).toBe(200);
		const challenge = readChallenge((await client.refreshWith(null)).headers.get("secure-session-challenge")).challenge;
		const refreshNone = `${b64json({ alg: "none", typ: "dbsc+jwt" })}.${b64json({ jti: challenge })}.`;
		expect((await client.refreshWith(refreshNone)).status).toBe(401);
		// HS256 (a MAC keyed by whatever the attacker likes) and a lower-case spelling are refused the same way.
		const hs = await signJws("ES256", client.keys as CryptoKeyPair, { alg: "ES256", typ: "dbsc+jwt" }, { jti: challenge });
		const forgedAlg = `${b64json({ alg: "HS256", typ: "dbsc+jwt" })}.${hs.split(".")[1]}.${hs.split(".")[2]}`;
		expect((await client.refreshWith(forgedAlg)).status).toBe(401);
		expect(w.reasons("dbsc_proof_failed")).toEqual(["unsupported_alg", "unsupported_alg", "unsupported_alg"]);
	});

	test("a jwk on refresh is refused (the key is the registered one, never one the request brings)", async () => {
		const w = world();
		const client = await boundClient(w);
		const challenge = readChallenge((await client.refreshWith(null)).headers.get("secure-session-challenge")).challenge;
		const other = await newKeyPair("ES256");
		const proof = await signJws("ES256", other, { alg: "ES256", typ: "dbsc+jwt", jwk: await publicJwk(other) }, { jti: challenge });
		expect((await client.refreshWith(proof)).status).toBe(401);
		// Even with the registered key's own jwk and signature.
		const own = await signJws("ES256", client.keys as CryptoKeyPair, { alg: "ES256", typ: "dbsc+jwt", jwk: await publicJwk(client.keys as CryptoKeyPair) }, { jti: challenge });
		expect((await client.refreshWith(own)).status).toBe(401);
		expect(w.reasons("dbsc_proof_failed")).toEqual(["jwk_on_refresh", "jwk_on_refresh"]);
	});

	test("a proof signed by another key is refused at refresh (401) and at registration (400)", async () => {
		const w = world();
		const client = await boundClient(w);
		const challenge = readChallenge((await client.refreshWith(null)).headers.get("secure-session-challenge")).challenge;
		expect((await client.refreshWith(await client.refreshProof(challenge, await newKeyPair("ES256")))).status).toBe(401);
		// The challenge was not used up by the failed proof: the key holder can still use it.
		expect((await client.refreshWith(await client.refreshProof(challenge))).status).toBe(200);
		const other = new DbscClient(w.handler);
		const header = (await other.login("bob")).headers.get("secure-session-registration");
		const proof = await other.registrationProof(header, { signWith: await newKeyPair("ES256") });
		expect((await other.register(header, proof)).status).toBe(400);
		// An ES256 key under alg RS256 (the algorithm and the key disagree) is no better.
		const mixed = await other.registrationProof(header, { alg: "RS256" });
		expect((await other.register(header, mixed)).status).toBe(400);
		expect(w.reasons("dbsc_proof_failed")).toEqual(["bad_signature", "bad_signature", "bad_jwk"]);
	});

	test("a registration key that is not a point on the curve is refused, and the next request's cookie check is unharmed (Bun 1.4 error-queue leak)", async () => {
		const w = world();
		const bystander = await boundClient(w);
		const client = new DbscClient(w.handler);
		const header = (await client.login("mallory")).headers.get("secure-session-registration");
		const keys = await newKeyPair("ES256");
		const offCurve = { kty: "EC", crv: "P-256", x: "A".repeat(43), y: "A".repeat(43) };
		const proof = await signJws("ES256", keys, { alg: "ES256", typ: "dbsc+jwt", jwk: offCurve }, { jti: readRegistration(header).challenge });
		expect((await client.register(header, proof)).status).toBe(400);
		// Without draining BoringSSL's error queue, this request's HMAC would throw the stale error.
		expect(await whoami(bystander)).toEqual({ userId: "alice", bound: true });
		expect(w.reasons("dbsc_proof_failed")).toEqual(["bad_jwk"]);
	});

	test("a truncated or re-encoded JWS is refused", async () => {
		const w = world();
		const client = await boundClient(w);
		const challenge = readChallenge((await client.refreshWith(null)).headers.get("secure-session-challenge")).challenge;
		const proof = await client.refreshProof(challenge);
		const [h, p, s] = proof.split(".") as [string, string, string];
		const variants = [
			proof.slice(0, -1), // truncated signature
			proof.slice(0, proof.lastIndexOf(".")), // no signature part
			`${h}.${p}.${s}==`, // padded
			`${h}=.${p}.${s}`, // padded header
			`${h}.${p}.${s.replace(/-/g, "+").replace(/_/g, "/")}`, // base64, not base64url (when it differs)
			`${b64json({ typ: "dbsc+jwt", alg: "ES256" })}.${p}.${s}`, // header re-serialized: same claims, other bytes
			`${h}.${encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify({ jti: challenge }, null, 1)))}.${s}`, // payload re-serialized
			`${h}.${p}.${s}.${s}`, // four parts
			` ${proof}x`,
		].filter((v) => v !== proof);
		for (const variant of variants) {
			const response = await client.refreshWith(variant);
			expect({ variant, status: response.status }).toEqual({ variant, status: 401 });
		}
		expect(w.reasons("dbsc_proof_failed").every((r) => r === "malformed" || r === "bad_signature")).toBe(true);
		// The untouched proof still works: none of the variants used the challenge up.
		expect((await client.refreshWith(proof)).status).toBe(200);
	});

	test("registration is refused on a session that is already bound, and register() returns null for it", async () => {
		const w = world();
		const client = await boundClient(w);
		const again = (await (await client.send("/register-again")).json()) as { header: string | null };
		expect(again.header).toBeNull();
		const thief = new DbscClient(w.handler);
		thief.jar.set(COOKIE, client.jar.get() as string);
		thief.jar.set(BOUND, client.jar.get(BOUND) as string);
		const header = `(ES256);path="/.sess/dbsc";challenge="anything"`;
		expect((await thief.register(header)).status).toBe(400);
		expect(w.reasons("dbsc_proof_failed")).toEqual(["already_bound"]);
	});

	test("the authorization parameter is sent and must come back in the proof", async () => {
		const w = world("store", {}, "code-123");
		const client = new DbscClient(w.handler);
		const header = (await client.login("alice")).headers.get("secure-session-registration");
		expect(header).toEndWith(';authorization="code-123"');
		const reg = readRegistration(header);
		const keys = await newKeyPair("ES256");
		const wrong = await signJws("ES256", keys, { alg: "ES256", typ: "dbsc+jwt", jwk: await publicJwk(keys) }, { jti: reg.challenge, authorization: "other" });
		expect((await client.register(header, wrong)).status).toBe(400);
		expect(w.reasons("dbsc_proof_failed")).toEqual(["authorization_mismatch"]);
		expect((await client.register(header)).status).toBe(200);
	});
});

describe("races and load", () => {
	test("20 parallel refreshes of one session, each with its own challenge, all succeed", async () => {
		const w = world();
		const client = await boundClient(w);
		const challenges = await Promise.all(Array.from({ length: 20 }, () => client.refreshWith(null)));
		expect(challenges.map((r) => r.status)).toEqual(Array(20).fill(403));
		const proofs = await Promise.all(challenges.map((r) => client.refreshProof(readChallenge(r.headers.get("secure-session-challenge")).challenge)));
		const rowsBefore = w.store.size;
		const answers = await Promise.all(proofs.map((p) => client.refreshWith(p)));
		expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
		// Issuing the 20 challenges wrote nothing; each use wrote one marker that expires with its challenge.
		expect(w.store.size - rowsBefore).toBe(20);
		w.clock.advance(2 * MINUTE);
		// The 20 markers, and the registration challenge's.
		expect(await w.sessions.prune()).toBe(21);
		expect(await whoami(client)).toEqual({ userId: "alice", bound: true });
	});

	test("20 parallel refreshes with one proof: exactly one succeeds, the rest are told to sign a new challenge", async () => {
		const w = world();
		const client = await boundClient(w);
		const challenge = readChallenge((await client.refreshWith(null)).headers.get("secure-session-challenge")).challenge;
		const proof = await client.refreshProof(challenge);
		const answers = await Promise.all(Array.from({ length: 20 }, () => client.refreshWith(proof)));
		expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
		expect(answers.filter((r) => r.status === 403)).toHaveLength(19);
		expect(w.reasons("dbsc_proof_failed")).toEqual(Array(19).fill("replayed_challenge"));
	});

	test("a browser refreshing once a second for ten minutes leaves at most one challenge lifetime of markers behind", async () => {
		const w = world("store", { cookieLifetime: "4s", challengeLifetime: "30s" });
		const client = await boundClient(w);
		const base = w.store.size;
		let most = 0;
		for (let i = 0; i < 600; i++) {
			w.clock.advance(SECOND);
			expect((await client.refresh()).status).toBe(200);
			if (i % 10 === 0) await w.sessions.prune();
			most = Math.max(most, w.store.size - base);
		}
		// 30 s of markers at one a second, plus the ten between prunes.
		expect(most).toBeLessThanOrEqual(41);
		expect(await whoami(client)).toEqual({ userId: "alice", bound: true });
	});
});

describe("the bound cookie", () => {
	test("a copied cookie stops loading the session once the bound cookie's lifetime passes; the key holder keeps working", async () => {
		const w = world("store", { cookieLifetime: "10m" });
		const owner = await boundClient(w);
		const thief = new DbscClient(w.handler);
		for (const [name, cookie] of owner.jar.cookies) thief.jar.set(name, cookie.value);
		// Within the lifetime the copy works: that window is what DBSC leaves to a thief.
		expect(await whoami(thief)).toEqual({ userId: "alice", bound: true });
		w.clock.advance(10 * MINUTE);
		expect(await whoami(thief)).toEqual({ userId: null, bound: false });
		expect(w.reasons("dbsc_refused")).toEqual(["expired"]);
		// Without the key the thief cannot refresh: no proof gets past, with any key.
		thief.sessionId = owner.sessionId;
		thief.keys = await newKeyPair("ES256");
		expect((await thief.refresh()).status).toBe(401);
		expect(await whoami(thief)).toEqual({ userId: null, bound: false });
		// Editing the expiry inside the cookie breaks its signature.
		const [value = "", ...rest] = (thief.jar.get(BOUND) as string).split(".");
		thief.jar.set(BOUND, [value, (Date.UTC(2040, 0) as number).toString(36), ...rest.slice(1)].join("."));
		expect(await whoami(thief)).toEqual({ userId: null, bound: false });
		// The owner's browser refreshes and carries on.
		expect((await owner.refresh()).status).toBe(200);
		expect(await whoami(owner)).toEqual({ userId: "alice", bound: true });
		expect(w.reasons("dbsc_refused")).toEqual(["expired", "expired", "forged"]);
	});

	test("for 10 s after registration a request with no bound cookie at all still loads (requests sent while registering); a wrong one never does", async () => {
		const w = world();
		const client = await boundClient(w);
		const inFlight = new DbscClient(w.handler);
		inFlight.jar.set(COOKIE, client.jar.get() as string);
		w.clock.advance(10 * SECOND - 1);
		expect(await whoami(inFlight)).toEqual({ userId: "alice", bound: true });
		inFlight.jar.set(BOUND, "s.forged.cookie");
		expect(await whoami(inFlight)).toEqual({ userId: null, bound: false });
		inFlight.jar.cookies.delete(BOUND);
		w.clock.advance(1);
		expect(await whoami(inFlight)).toEqual({ userId: null, bound: false });
		expect(w.reasons("dbsc_refused")).toEqual(["forged", "missing"]);
		// Never longer than the bound cookie's lifetime.
		const short = world("store", { cookieLifetime: "2s" });
		const quick = await boundClient(short);
		quick.jar.cookies.delete(BOUND);
		short.clock.advance(2 * SECOND);
		expect(await whoami(quick)).toEqual({ userId: null, bound: false });
	});

	test("a bound cookie of another session does not vouch for this one", async () => {
		const w = world();
		const alice = await boundClient(w);
		const bob = await boundClient(w);
		alice.jar.set(BOUND, bob.jar.get(BOUND) as string);
		expect(await whoami(alice)).toEqual({ userId: null, bound: false });
		expect(w.reasons("dbsc_refused")).toEqual(["foreign"]);
	});

	test("Secure-Session-Skipped is reported as an event and never admits a request without the bound cookie", async () => {
		const w = world();
		const client = await boundClient(w);
		w.clock.advance(10 * MINUTE);
		const response = await client.send("/whoami", { headers: { "secure-session-skipped": `unreachable;session_identifier="${client.sessionId}", quota_exceeded;session_identifier="other"` } });
		expect(await response.json()).toEqual({ userId: null, bound: false });
		expect(w.events.filter((e) => e.type === "dbsc_skipped")).toEqual([{ type: "dbsc_skipped", id: expect.any(String), reason: "unreachable" }]);
	});

	test('unbound: "allow" (default) keeps sessions of browsers without DBSC; "refuse" loads only bound ones', async () => {
		const allow = world();
		const plain = new DbscClient(allow.handler);
		await plain.login("alice");
		expect(await whoami(plain)).toEqual({ userId: "alice", bound: false });
		const refuse = world("store", { unbound: "refuse" });
		const strict = new DbscClient(refuse.handler);
		const login = await strict.login("alice");
		expect(await whoami(strict)).toEqual({ userId: null, bound: false });
		expect(refuse.reasons("dbsc_refused")).toEqual(["unbound"]);
		// Registration still reaches the pending session, and then it loads.
		expect((await strict.register(login.headers.get("secure-session-registration"))).status).toBe(200);
		expect(await whoami(strict)).toEqual({ userId: "alice", bound: true });
	});
});

describe("the end of a binding", () => {
	async function ended(w: World, client: DbscClient): Promise<void> {
		const response = await client.refreshWith(null);
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ session_identifier: client.sessionId, continue: false });
		expect(w.events.at(-1)?.type).toBe("dbsc_ended");
	}

	test("logout clears the bound cookie and the next refresh answers continue: false", async () => {
		const w = world();
		const client = await boundClient(w);
		const logout = await client.send("/logout", { method: "POST" });
		expect(logout.headers.getSetCookie()).toContain(`${BOUND}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`);
		expect(client.jar.get(BOUND)).toBeUndefined();
		await ended(w, client);
	});

	test("regenerate() ends the binding: the new ID is unbound and the old binding's refresh ends", async () => {
		const w = world();
		const client = await boundClient(w);
		const response = await client.send("/regenerate", { method: "POST" });
		expect(await response.json()).toEqual({ userId: "alice", bound: false });
		expect(client.jar.get(BOUND)).toBeUndefined();
		await ended(w, client);
	});

	test("revoke ends the binding", async () => {
		const w = world();
		const client = await boundClient(w);
		expect(await w.sessions.revoke("userId", "alice")).toBe(1);
		await ended(w, client);
	});

	test("expiry ends the binding", async () => {
		const w = world("store", { cookieLifetime: "1h" });
		const client = await boundClient(w);
		w.clock.advance(w.sessions.policy.idleMs);
		await ended(w, client);
	});

	test("rotation carries the binding over to the new ID", async () => {
		const w = world("store", { cookieLifetime: "1h" });
		const client = await boundClient(w);
		const before = client.jar.get();
		w.clock.advance(w.sessions.policy.rotation.everyMs);
		expect(await whoami(client)).toEqual({ userId: "alice", bound: true });
		expect(client.jar.get()).not.toBe(before);
		expect(w.events.some((e) => e.type === "rotated")).toBe(true);
		expect((await client.refresh()).status).toBe(200);
		expect(await whoami(client)).toEqual({ userId: "alice", bound: true });
	});
});

describe("sealed mode", () => {
	test("the device key counts in the 4096-byte worst case: the demo schema offers ES256 only, and refuses RS256 named outright", async () => {
		const w = world("sealed");
		const login = await new DbscClient(w.handler).login("alice");
		expect(readRegistration(login.headers.get("secure-session-registration")).algs).toEqual(["ES256"]);
		// The demo's worst case is 3873 bytes; with a P-256 key 4069, with an 8192-bit RSA key 5372.
		expect(sealedCookieSize(model).bytes + 196).toBe(sealedCookieSize(model, DBSC_KEY_BYTES.ES256).bytes);
		expect(sealedCookieSize(model, DBSC_KEY_BYTES.ES256).bytes).toBeLessThanOrEqual(COOKIE_LIMIT);
		expect(() => world("sealed", { algorithms: ["ES256", "RS256"] })).toThrow(/with RS256 the worst-case sealed cookie is 5372 bytes, over the 4096/);
		// Store mode keeps the key in the row: both are offered.
		const stored = await new DbscClient(world("store").handler).login("alice");
		expect(readRegistration(stored.headers.get("secure-session-registration")).algs).toEqual(["ES256", "RS256"]);
	});

	test("the key travels inside the sealed cookie; refresh, replay and logout behave as in store mode", async () => {
		const w = world("sealed");
		const client = await boundClient(w);
		const opened = w.keyring.open(client.jar.get() as string, COOKIE);
		const plain = decodeSealedPlaintext(opened?.bytes as Uint8Array);
		const meta = codec.decodeSession(plain?.codecBytes as Uint8Array).meta;
		const spki = new Uint8Array(await crypto.subtle.exportKey("spki", (client.keys as CryptoKeyPair).publicKey));
		expect(meta.dbsc).toEqual({ id: client.sessionId as string, alg: "ES256", key: spki, since: w.clock.now() });
		expect(await whoami(client)).toEqual({ userId: "alice", bound: true });

		w.clock.advance(10 * MINUTE);
		const thief = new DbscClient(w.handler);
		for (const [name, cookie] of client.jar.cookies) thief.jar.set(name, cookie.value);
		expect(await whoami(thief)).toEqual({ userId: null, bound: false });

		const challenge = readChallenge((await client.refreshWith(null)).headers.get("secure-session-challenge")).challenge;
		const proof = await client.refreshProof(challenge);
		expect((await client.refreshWith(proof)).status).toBe(200);
		// Used challenges are recorded in the revocations store, so a replay fails here too.
		expect((await client.refreshWith(proof)).status).toBe(403);
		expect(await whoami(client)).toEqual({ userId: "alice", bound: true });

		await client.send("/logout", { method: "POST" });
		const end = await client.refreshWith(null);
		expect(await end.json()).toEqual({ session_identifier: client.sessionId, continue: false });
	});
});

describe("the endpoints", () => {
	test("a refresh without Sec-Secure-Session-Id is 400; GET and other paths fall through to the app", async () => {
		const w = world();
		const client = await boundClient(w);
		expect((await client.refreshWith(null, null)).status).toBe(400);
		expect(w.sessions.dbsc?.handle(new Request("https://app.test/.sess/dbsc/refresh"))).toBeNull();
		expect(w.sessions.dbsc?.handle(new Request("https://app.test/other", { method: "POST" }))).toBeNull();
	});

	test("a cross-site post to either endpoint is refused before any session is loaded", async () => {
		const w = world();
		const client = await boundClient(w);
		const response = await client.send("/.sess/dbsc/refresh", {
			method: "POST",
			headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site", "sec-secure-session-id": client.sessionId as string },
		});
		expect(response.status).toBe(403);
		expect(response.headers.get("secure-session-challenge")).toBeNull();
	});

	test("bad options are refused with a message that says what to write", () => {
		expect(() => world("store", { path: "sess/dbsc" })).toThrow(/must be an absolute URL path/);
		expect(() => world("store", { cookieName: COOKIE })).toThrow(/other than the session cookie/);
		expect(() => world("store", { algorithms: [] })).toThrow(/ES256/);
		expect(() => world("store", { cookieLifetime: "soon" as "1m" })).toThrow(/dbsc.cookieLifetime/);
	});
});
