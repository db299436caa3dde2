import { parseDuration, type Duration } from "../schema/duration.ts";
import type { SessionMeta } from "./codec-system.ts";
import { readSessionCookie, type CookieAttributes } from "./cookie.ts";
import { Challenges } from "./dbsc-challenge.ts";
import { BoundCookie } from "./dbsc-cookie.ts";
import { parseSkipped, type DbscAlgorithm } from "./dbsc-headers.ts";
import { ConfigError } from "./errors.ts";
import { emit, type EventHook } from "./events.ts";
import type { Keyring } from "./keyring.ts";
import type { SessionState } from "./session.ts";
import type { Store } from "./store.ts";
import type { StoreCall } from "./store-call.ts";
import { shortSessionId, type RandomSource } from "./token.ts";

// The DBSC settings resolved once per manager, and what load() and commit() ask of them: the gate
// that admits a bound session only with a fresh bound cookie, and the bound cookie's removal when a
// binding ends. The endpoints live in dbsc.ts.

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

const DEFAULT_ALGORITHMS: readonly DbscAlgorithm[] = ["ES256", "RS256"];
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
