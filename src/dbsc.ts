import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { parseDuration, type Duration } from "../schema/duration.ts";
import type { SessionMeta } from "./codec-system.ts";
import { readSessionCookie, type CookieAttributes } from "./cookie.ts";
import { checkOrigin, forbiddenResponse } from "./csrf.ts";
import { Challenges } from "./dbsc-challenge.ts";
import { BoundCookie } from "./dbsc-cookie.ts";
import { formatChallenge, formatRegistration, parseItem, parseSkipped, type DbscAlgorithm } from "./dbsc-headers.ts";
import { importProofKey, importStoredKey, parseProof, verifyProof, type DbscProof } from "./dbsc-jws.ts";
import { ConfigError } from "./errors.ts";
import { emit, type EventHook } from "./events.ts";
import type { Keyring } from "./keyring.ts";
import type { CommitOptions } from "./manager-shared.ts";
import { STATE, type Session, type SessionState } from "./session.ts";
import type { Store } from "./store.ts";
import type { StoreCall } from "./store-call.ts";
import { shortSessionId, type RandomSource } from "./token.ts";

/** Device Bound Session Credentials (W3C webappsec-dbsc), server side; the `dbsc` option of a session manager. */
export interface DbscOptions {
	/** The registration endpoint; refresh is `<path>/refresh`. Default `/.sess/dbsc`. */
	path?: string;
	/** Lifetime of the short-lived bound cookie, the most a stolen copy stays usable. Default `10m`. */
	cookieLifetime?: Duration;
	/** Name of the bound cookie; default the session cookie's name plus `-dbsc`. */
	cookieName?: string;
	/**
	 * Sessions that never registered a key (browsers without DBSC, or before registration completes):
	 * `"allow"` (default) loads them as before; `"refuse"` loads none but bound ones.
	 */
	unbound?: "allow" | "refuse";
	/** How long an issued challenge stays usable. Default `2m`. */
	challengeLifetime?: Duration;
	/** Algorithms offered at registration, preferred first. Default ES256, then RS256. */
	algorithms?: readonly DbscAlgorithm[];
	/** The session configuration's `scope.origin`; default the `Origin` of the registration request. */
	origin?: string;
	/** Hosts outside the scope allowed to trigger a refresh (`allowed_refresh_initiators`). Default none. */
	allowedRefreshInitiators?: readonly string[];
	/** Where used challenges are recorded; default the session store (store mode) or the revocations store (sealed). */
	challenges?: Store;
}

/** What the manager hands the DBSC runtime. */
export interface DbscDeps {
	keyring: Keyring;
	clock: () => number;
	random: RandomSource;
	hook: EventHook | undefined;
	call: StoreCall;
	attributes: CookieAttributes;
	sessionCookieName: string;
	store: Store;
}

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

const DEFAULT_ALGORITHMS: readonly DbscAlgorithm[] = ["ES256", "RS256"];
const SESSION_ID_BYTES = 16;
/** Long enough for the requests a page sends while Chromium registers (it does not hold them back). */
const REGISTRATION_GRACE_MS = 10_000;

/** Resolved settings and the per-request gate; built once per manager. */
export class DbscRuntime {
	readonly bound: BoundCookie;
	readonly challenges: Challenges;
	readonly registrationPath: string;
	readonly refreshPath: string;
	readonly algorithms: readonly DbscAlgorithm[];
	/** After registration, how long a request without any bound cookie still loads: never longer than the cookie lifetime. */
	readonly registrationGraceMs: number;
	/** Requests the endpoints load: their bound cookie is due for renewal, so the gate lets them through. */
	private readonly ungated = new WeakSet<object>();
	/** States loaded bound, so commit can clear the bound cookie when logout or regeneration ends the binding. */
	private readonly boundAtLoad = new WeakMap<SessionState, string>();

	constructor(
		readonly options: DbscOptions,
		readonly deps: DbscDeps,
	) {
		const path = options.path ?? "/.sess/dbsc";
		if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(path) || path.endsWith("/")) {
			throw new ConfigError("invalid_config", `dbsc.path: "${path}" must be an absolute URL path without a trailing slash, such as "/.sess/dbsc".`);
		}
		this.registrationPath = path;
		this.refreshPath = `${path}/refresh`;
		const name = options.cookieName ?? `${deps.sessionCookieName}-dbsc`;
		if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || name === deps.sessionCookieName) {
			throw new ConfigError("invalid_config", `dbsc.cookieName: "${name}" must be a cookie name other than the session cookie's.`);
		}
		const lifetime = parseDuration(options.cookieLifetime ?? "10m", "dbsc.cookieLifetime");
		if (lifetime < 1000) throw new ConfigError("invalid_config", "dbsc.cookieLifetime must be at least 1s.");
		this.bound = new BoundCookie(deps.keyring, name, deps.attributes, lifetime);
		this.registrationGraceMs = Math.min(REGISTRATION_GRACE_MS, lifetime);
		this.challenges = new Challenges(deps.keyring, deps.random, parseDuration(options.challengeLifetime ?? "2m", "dbsc.challengeLifetime"));
		this.algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
		if (this.algorithms.length === 0 || this.algorithms.some((a) => a !== "ES256" && a !== "RS256")) {
			throw new ConfigError("invalid_config", `dbsc.algorithms: name one or both of "ES256" and "RS256".`);
		}
	}

	/**
	 * The gate `load()` applies to a decoded session: a bound session loads only with a fresh bound
	 * cookie of its own, whatever else the request says (a `Secure-Session-Skipped` header is reported,
	 * never trusted: a thief can send one too).
	 */
	admits(request: { headers: { get(name: string): string | null } }, meta: SessionMeta, storedId: string): boolean {
		if (this.ungated.has(request)) return true;
		const binding = meta.dbsc;
		if (binding?.key === undefined) {
			if (this.options.unbound !== "refuse") return true;
			emit(this.deps.hook, { type: "dbsc_refused", id: shortSessionId(storedId), reason: "unbound" });
			return false;
		}
		const cookie = readSessionCookie(request.headers.get("cookie"), this.bound.name);
		const now = this.deps.clock();
		const problem = this.bound.check(cookie.value, binding.id, now);
		if (problem === null) return true;
		// Requests the browser sent while it was registering carry no bound cookie yet. Whoever could copy
		// cookies in these seconds would have copied the fresh bound cookie too, so this opens nothing new.
		if (problem === "missing" && binding.since !== undefined && now - binding.since >= 0 && now - binding.since < this.registrationGraceMs) return true;
		for (const skipped of parseSkipped(request.headers.get("secure-session-skipped"))) {
			if (skipped.sessionId === null || skipped.sessionId === binding.id) emit(this.deps.hook, { type: "dbsc_skipped", id: shortSessionId(storedId), reason: skipped.reason });
		}
		emit(this.deps.hook, { type: "dbsc_refused", id: shortSessionId(storedId), reason: problem });
		return false;
	}

	/** Remembers that a loaded state was bound. */
	track(state: SessionState): void {
		const id = state.meta.dbsc?.key === undefined ? undefined : state.meta.dbsc.id;
		if (id !== undefined) this.boundAtLoad.set(state, id);
	}

	/** After commit: a binding that logout or regeneration ended takes its bound cookie with it. */
	finish(state: SessionState, response: Response): Response {
		const was = this.boundAtLoad.get(state);
		if (was === undefined || (!state.destroyed && state.meta.dbsc?.id === was)) return response;
		return appendHeader(response, "set-cookie", this.bound.clear());
	}

	/** Marks a request as an endpoint's own before it is loaded. */
	ungate(request: Request): void {
		this.ungated.add(request);
	}
}

/** Builds the runtime for a manager, or null when DBSC is off. */
export function createDbscRuntime(options: DbscOptions | undefined, deps: DbscDeps): DbscRuntime | null {
	return options === undefined ? null : new DbscRuntime(options, deps);
}

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

/** Appends a header, copying a response whose headers are immutable. */
function appendHeader(response: Response, name: string, value: string): Response {
	try {
		response.headers.append(name, value);
		return response;
	} catch {
		const copy = new Response(response.body, response);
		copy.headers.append(name, value);
		return copy;
	}
}
