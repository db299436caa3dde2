import { checkOrigin, forbiddenResponse, type OriginCheckOptions } from "../csrf.ts";
import { InvalidDataError, SessionLimitError, StoreUnavailableError, WriteConflictError } from "../errors.ts";
import type { SessionEvent } from "../events.ts";
import type { CommitOptions } from "../manager-shared.ts";
import type { RequestLike } from "../manager.ts";
import { FAST_PATH, type FastPath } from "../fast-path.ts";

// The one request sequence every adapter runs: origin check → load → handler → commit, and the
// answers for what can go wrong on the way (403, 400, 503). Adapters only translate their framework's
// request and response shapes; a fix here reaches Bun.serve, fetch, Hono, Elysia and Deno.serve at once.

/** The calls an adapter needs from a session manager. */
export interface SessionLoader<S> {
	load(request: RequestLike): Promise<S>;
	commit(session: S, response: Response, options?: CommitOptions): Promise<Response>;
	/** Passes an event to the manager's `onEvent` hook; adapters report the bad input they answer with 400. */
	report?(event: SessionEvent): void;
	/** The DBSC endpoints of a manager made with the `dbsc` option; every adapter answers them before anything else. */
	readonly dbsc?: { readonly registrationPath: string; readonly refreshPath: string; handle(request: Request): Promise<Response> | null } | null;
	/** load and commit without their promises, when the manager has them (sess's own managers do). */
	readonly [FAST_PATH]?: FastPath<S>;
}

/** Per-route choices of the adapters. */
export interface WithSessionOptions extends CommitOptions {
	/**
	 * The cross-site check on unsafe methods (on by default): `false` turns it off for a route that
	 * must accept cross-site posts (a payment provider's callback, say).
	 */
	csrf?: OriginCheckOptions | false;
}

/** A handler given the request, its session and whatever else the server passes (Deno's connection info). */
export type ExchangeHandler<S, R, X> = (request: R, session: S, extra: X) => Response | Promise<Response>;

/**
 * Runs the whole sequence for one request: refuse cross-site unsafe requests (403, before any store
 * access), load the session, run the handler, commit what changed. Bad input the handler let through
 * answers 400; a failing store answers 503 without touching the client's cookie, so nobody is logged
 * out by an outage. A handler that throws anything else commits nothing, and the error propagates.
 */
export function exchange<S, R extends Request, X>(
	sessions: SessionLoader<S>,
	options: WithSessionOptions,
	handler: ExchangeHandler<S, R, X>,
	request: R,
	extra: X,
): Promise<Response> {
	try {
		const answer = exchangeNow(sessions, options, handler, request, extra);
		return answer instanceof Promise ? answer : Promise.resolve(answer);
	} catch (e) {
		return Promise.reject(e);
	}
}

/**
 * `exchange` for servers that take a Response as well as a promise of one (Bun.serve, Deno.serve): over a
 * synchronous store and handler the whole request runs without a promise. The app's own errors are thrown
 * (or rejected) as they come.
 */
export function exchangeNow<S, R extends Request, X>(
	sessions: SessionLoader<S>,
	options: WithSessionOptions,
	handler: ExchangeHandler<S, R, X>,
	request: R,
	extra: X,
): Response | Promise<Response> {
	const endpoint = dbscEndpoint(sessions, request);
	if (endpoint !== null) return endpoint;
	if (options.csrf !== false && checkOrigin(request, options.csrf) !== null) return forbiddenResponse();
	const fast = sessions[FAST_PATH];
	if (fast === undefined) return exchangeAsync(sessions, options, handler, request, extra);
	let session: S;
	try {
		const loaded = fast.load(request);
		if (loaded instanceof Promise) return respondLater(sessions, fast, options, handler, request, extra, loaded);
		session = loaded;
	} catch (e) {
		return failureResponse(sessions, e);
	}
	return respond(sessions, fast, options, handler, request, extra, session);
}

// The asynchronous continuations live in functions of their own: a closure written inside exchangeNow,
// respond or commitNow would make JavaScriptCore allocate a scope object on every call, synchronous ones included.

function respondLater<S, R extends Request, X>(
	sessions: SessionLoader<S>,
	fast: FastPath<S>,
	options: WithSessionOptions,
	handler: ExchangeHandler<S, R, X>,
	request: R,
	extra: X,
	loaded: Promise<S>,
): Promise<Response> {
	return loaded.then((s) => respond(sessions, fast, options, handler, request, extra, s), (e: unknown) => failureResponse(sessions, e));
}

function commitLater<S>(sessions: SessionLoader<S>, fast: FastPath<S>, session: S, answered: Promise<Response>, options: WithSessionOptions): Promise<Response> {
	return answered.then((r) => commitNow(sessions, fast, session, r, options), (e: unknown) => failureResponse(sessions, e));
}

function failLater<S>(sessions: SessionLoader<S>, pending: Promise<Response>): Promise<Response> {
	return pending.catch((e: unknown) => failureResponse(sessions, e));
}

/** Runs the handler on a loaded session and commits what it answered. */
function respond<S, R extends Request, X>(
	sessions: SessionLoader<S>,
	fast: FastPath<S>,
	options: WithSessionOptions,
	handler: ExchangeHandler<S, R, X>,
	request: R,
	extra: X,
	session: S,
): Response | Promise<Response> {
	let response: Response;
	try {
		// Most handlers answer synchronously: awaiting a plain Response would only cost a microtask.
		const answered = handler(request, session, extra);
		if (answered instanceof Promise) return commitLater(sessions, fast, session, answered, options);
		response = answered;
	} catch (e) {
		return failureResponse(sessions, e);
	}
	return commitNow(sessions, fast, session, response, options);
}

function commitNow<S>(sessions: SessionLoader<S>, fast: FastPath<S>, session: S, response: Response, options: WithSessionOptions): Response | Promise<Response> {
	try {
		const committed = fast.commit(session, response, options);
		return committed instanceof Promise ? failLater(sessions, committed) : committed;
	} catch (e) {
		return failureResponse(sessions, e);
	}
}

/** The sequence over a loader without a fast path (one made by hand, say). */
async function exchangeAsync<S, R extends Request, X>(
	sessions: SessionLoader<S>,
	options: WithSessionOptions,
	handler: ExchangeHandler<S, R, X>,
	request: R,
	extra: X,
): Promise<Response> {
	try {
		const session = await sessions.load(request);
		const answered = handler(request, session, extra);
		const response = answered instanceof Promise ? await answered : answered;
		return await sessions.commit(session, response, options);
	} catch (e) {
		return failureResponse(sessions, e);
	}
}

/** The request's session, or the response to send instead of running the handler. */
export type Opened<S> = { ok: true; session: S } | { ok: false; response: Response };

/** The first half of `exchange`, for middleware that runs the handler itself (Hono, Elysia). */
export async function openSession<S>(sessions: SessionLoader<S>, request: Request, options: WithSessionOptions): Promise<Opened<S>> {
	const endpoint = dbscEndpoint(sessions, request);
	if (endpoint !== null) return { ok: false, response: await endpoint };
	if (options.csrf !== false && checkOrigin(request, options.csrf) !== null) return { ok: false, response: forbiddenResponse() };
	try {
		return { ok: true, session: await sessions.load(request) };
	} catch (e) {
		return { ok: false, response: failureResponse(sessions, e) };
	}
}

/**
 * The answer of a DBSC endpoint (registration or refresh), or null for any other request. The
 * endpoints do their own origin check; their store failures answer 503 like any other.
 */
export function dbscEndpoint<S>(sessions: SessionLoader<S>, request: Request): Promise<Response> | null {
	const dbsc = sessions.dbsc;
	if (dbsc === undefined || dbsc === null) return null;
	const answer = dbsc.handle(request);
	return answer === null ? null : failLater(sessions, answer);
}

/** The second half of `exchange`: the committed response, or the 400/503 that replaces it. */
export async function closeSession<S>(sessions: SessionLoader<S>, session: S, response: Response, options: WithSessionOptions): Promise<Response> {
	try {
		return await sessions.commit(session, response, options);
	} catch (e) {
		return failureResponse(sessions, e);
	}
}

/**
 * The answer to an error from load, the handler or commit: 400 (plus an `invalid_data` event) for a
 * value the schema or the store refused, 409 for a login over `maxSessionsPerUser` (policy `refuse`),
 * 503 for a store failure. Anything else is the app's bug and
 * is rethrown.
 */
export function failureResponse(sessions: SessionLoader<unknown>, e: unknown): Response {
	if (!isAnswered(e)) throw e;
	if (e instanceof InvalidDataError) sessions.report?.({ type: "invalid_data", path: e.path, reason: e.message });
	return e.getResponse();
}

/** Whether an error is one sess answers itself (400, 409 or 503) rather than the app's bug. */
export function isAnswered(e: unknown): e is InvalidDataError | SessionLimitError | StoreUnavailableError | WriteConflictError {
	return e instanceof InvalidDataError || e instanceof SessionLimitError || isStoreFailure(e);
}

/** Whether an error means "try again later" (the store failed or a write lost too many races), which adapters answer with 503. */
export function isStoreFailure(e: unknown): e is StoreUnavailableError | WriteConflictError {
	return e instanceof StoreUnavailableError || e instanceof WriteConflictError;
}

/** 503 with Retry-After, uncacheable: the store failed or a write lost too many races. */
export function storeUnavailableResponse(): Response {
	return new StoreUnavailableError("").getResponse();
}

