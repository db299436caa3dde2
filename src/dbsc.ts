import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { checkOrigin, forbiddenResponse } from "./csrf.ts";
import type { DbscRuntime } from "./dbsc-runtime.ts";
import { formatChallenge, formatRegistration, parseItem } from "./dbsc-headers.ts";
import { importProofKey, importStoredKey, parseProof, verifyProof, type DbscProof } from "./dbsc-jws.ts";
import { emit } from "./events.ts";
import type { CommitOptions } from "./manager-shared.ts";
import { STATE, type Session } from "./session.ts";
import { shortSessionId, type RandomSource } from "./token.ts";

// Device Bound Session Credentials (W3C webappsec-dbsc), server side: the registration header and the
// registration and refresh endpoints, as Web Request → Response functions over a session manager.

export type { DbscOptions } from "./dbsc-runtime.ts";

/** The two calls the endpoints need from a session manager. */
export interface DbscManager<S> {
	load(request: Request): Promise<S>;
	commit(session: S, response: Response, options?: CommitOptions): Promise<Response>;
}

/** The DBSC side of a session manager: the registration header, the two endpoints, and whether a session is bound. */
export interface Dbsc<S> {
	/** The registration endpoint's path. */
	readonly registrationPath: string;
	/** The refresh endpoint's path. */
	readonly refreshPath: string;
	/**
	 * Starts binding `session` to a key of this browser: returns the `Secure-Session-Registration`
	 * header value to send on this response (call it after the login's writes), or null when the
	 * session is already bound.
	 */
	register(session: S, options?: { authorization?: string }): string | null;
	/** Whether the session's cookie is bound to a key the browser holds. */
	isBound(session: S): boolean;
	/** Answers a request to either endpoint, or returns null for any other path. */
	handle(request: Request): Promise<Response> | null;
	/** The registration endpoint: checks the proof, stores the public key, sets the bound cookie. */
	registration(request: Request): Promise<Response>;
	/** The refresh endpoint: challenges (403), checks the proof, renews the bound cookie. */
	refresh(request: Request): Promise<Response>;
}

const SESSION_ID_BYTES = 16;

/** The endpoints and helpers over one manager. */
export function createDbsc<S extends Session<object, object>>(runtime: DbscRuntime, manager: DbscManager<S>): Dbsc<S> {
	const { bound, challenges, deps, options } = runtime;
	const { hook, clock, random } = deps;

	function config(request: Request, id: string): Record<string, unknown> {
		const origin = options.origin ?? originOf(request);
		return {
			session_identifier: id,
			refresh_url: runtime.refreshPath,
			scope: { ...(origin === null ? {} : { origin }), include_site: false, scope_specification: [] },
			credentials: [{ type: "cookie", name: bound.name, attributes: bound.describe() }],
			allowed_refresh_initiators: [...(options.allowedRefreshInitiators ?? [])],
		};
	}

	function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
		return new Response(body === null ? null : JSON.stringify(body), {
			status,
			headers: { "cache-control": "no-store", ...(body === null ? {} : { "content-type": "application/json" }), ...headers },
		});
	}

	function failed(step: "registration" | "refresh", id: string | null, reason: string): void {
		emit(hook, { type: "dbsc_proof_failed", id, step, reason });
	}

	/** 403 with a new challenge: the browser signs it and retries (a few times at most). */
	function challenge(id: string): Response {
		return answer(403, null, { "secure-session-challenge": formatChallenge(challenges.issue("refresh", id, clock()), id) });
	}

	/** `continue: false`: the browser drops its DBSC session; the bound cookie goes too. */
	function end(id: string, storedId: string | null): Response {
		emit(hook, { type: "dbsc_ended", id: storedId });
		return answer(200, { session_identifier: id, continue: false }, { "set-cookie": bound.clear() });
	}

	async function registration(request: Request): Promise<Response> {
		runtime.ungate(request);
		const session = await manager.load(request);
		const state = session[STATE];
		const storedId = state.row === null ? null : shortSessionId(state.row.id);
		const binding = state.meta.dbsc;
		if (storedId === null || binding === undefined || binding.key !== undefined) {
			failed("registration", storedId, binding?.key !== undefined ? "already_bound" : "no_pending_session");
			return answer(400, { error: "No session is waiting for a device key." });
		}
		const proof = readProof(request);
		if (typeof proof === "string") {
			failed("registration", storedId, proof);
			return answer(400, { error: "The proof was refused." });
		}
		const problem = !runtime.algorithms.includes(proof.alg)
			? "unsupported_alg"
			: proof.jwk === undefined
				? "jwk_missing"
				: challenges.check(proof.jti, "register", binding.id, clock(), proof.authorization);
		if (problem !== null) {
			failed("registration", storedId, problem);
			return answer(400, { error: "The proof was refused." });
		}
		const key = await importProofKey(proof.alg, proof.jwk as Record<string, unknown>);
		if (key === null || !(await verifyProof(proof, key.key))) {
			failed("registration", storedId, key === null ? "bad_jwk" : "bad_signature");
			return answer(400, { error: "The proof was refused." });
		}
		if (!(await challenges.consume(options.challenges ?? deps.store, deps.call, proof.jti, clock()))) {
			failed("registration", storedId, "replayed_challenge");
			return answer(400, { error: "The proof was refused." });
		}
		state.meta = { ...state.meta, dbsc: { id: binding.id, alg: proof.alg, key: key.spki, since: clock() } };
		state.metaDirty = true;
		emit(hook, { type: "dbsc_registered", id: storedId, alg: proof.alg });
		const now = clock();
		const response = answer(200, config(request, binding.id), {
			"set-cookie": bound.issue(binding.id, now),
			"secure-session-challenge": formatChallenge(challenges.issue("refresh", binding.id, now), binding.id),
		});
		return manager.commit(session, response);
	}

	async function refresh(request: Request): Promise<Response> {
		const id = parseItem(request.headers.get("sec-secure-session-id"));
		if (id === null) return answer(400, { error: "Not a DBSC refresh: Sec-Secure-Session-Id is missing." });
		runtime.ungate(request);
		const session = await manager.load(request);
		const state = session[STATE];
		const binding = state.meta.dbsc;
		const storedId = state.row === null ? null : shortSessionId(state.row.id);
		// Logged out, revoked, expired, regenerated, or someone else's identifier: end the browser's DBSC session.
		if (storedId === null || binding?.key === undefined || binding.alg === undefined || binding.id !== id) return end(id, storedId);
		const header = request.headers.get("secure-session-response");
		if (header === null) return challenge(id);
		const proof = readProof(request);
		if (typeof proof === "string" || proof.alg !== binding.alg || proof.jwk !== undefined) {
			failed("refresh", storedId, typeof proof === "string" ? proof : proof.jwk !== undefined ? "jwk_on_refresh" : "alg_mismatch");
			return answer(401, { error: "The proof was refused." });
		}
		const stale = challenges.check(proof.jti, "refresh", id, clock());
		if (stale !== null) {
			// Proofs race and browsers resend cached ones: a fresh challenge lets the key holder try again.
			failed("refresh", storedId, stale);
			return challenge(id);
		}
		const key = await importStoredKey(binding.alg, binding.key);
		if (key === null || !(await verifyProof(proof, key))) {
			failed("refresh", storedId, "bad_signature");
			return answer(401, { error: "The proof was refused." });
		}
		if (!(await challenges.consume(options.challenges ?? deps.store, deps.call, proof.jti, clock()))) {
			failed("refresh", storedId, "replayed_challenge");
			return challenge(id);
		}
		emit(hook, { type: "dbsc_refreshed", id: storedId });
		const now = clock();
		const response = answer(200, config(request, id), {
			"set-cookie": bound.issue(id, now),
			"secure-session-challenge": formatChallenge(challenges.issue("refresh", id, now), id),
		});
		return manager.commit(session, response);
	}

	return {
		registrationPath: runtime.registrationPath,
		refreshPath: runtime.refreshPath,
		register(session, opts) {
			const state = session[STATE];
			if (state.meta.dbsc?.key !== undefined) return null;
			const id = state.meta.dbsc?.id ?? newSessionId(random);
			if (state.meta.dbsc === undefined) {
				state.meta = { ...state.meta, dbsc: { id } };
				state.metaDirty = true;
			}
			const authorization = opts?.authorization;
			return formatRegistration(runtime.algorithms, runtime.registrationPath, challenges.issue("register", id, clock(), authorization), authorization);
		},
		isBound(session) {
			return session[STATE].meta.dbsc?.key !== undefined;
		},
		handle(request) {
			if (request.method !== "POST") return null;
			const path = new URL(request.url).pathname;
			if (path !== runtime.registrationPath && path !== runtime.refreshPath) return null;
			// Chromium sends Origin and Sec-Fetch-Site on both requests; a cross-site post is nobody's refresh.
			if (checkOrigin(request) !== null) return Promise.resolve(forbiddenResponse());
			return path === runtime.registrationPath ? registration(request) : refresh(request);
		},
		registration,
		refresh,
	};
}

function readProof(request: Request): DbscProof | string {
	const value = parseItem(request.headers.get("secure-session-response"));
	return value === null ? "malformed" : parseProof(value);
}

/** A random DBSC session identifier; starts with a letter, so it is also a structured-field token. */
function newSessionId(random: RandomSource): string {
	const bytes = new Uint8Array(SESSION_ID_BYTES);
	random(bytes);
	return `s${encodeBase64urlNoPadding(bytes)}`;
}

function originOf(request: Request): string | null {
	const origin = request.headers.get("origin");
	if (origin === null || origin === "null") return null;
	try {
		return new URL(origin).origin;
	} catch {
		return null;
	}
}

