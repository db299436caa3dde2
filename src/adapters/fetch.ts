import { checkOrigin, forbiddenResponse, type OriginCheckOptions } from "../csrf.ts";
import { StoreUnavailableError, WriteConflictError } from "../errors.ts";
import type { CommitOptions } from "../manager-shared.ts";
import type { RequestLike } from "../manager.ts";
import type { Session } from "../session.ts";

/** The two calls an adapter needs from a session manager. */
export interface SessionLoader<S> {
	load(request: RequestLike): Promise<S>;
	commit(session: S, response: Response, options?: CommitOptions): Promise<Response>;
}

/** A fetch handler that also receives the request's session. */
export type SessionHandler<S, R extends Request = Request> = (request: R, session: S) => Response | Promise<Response>;

/** Per-route choices of the wrappers. */
export interface WithSessionOptions extends CommitOptions {
	/**
	 * The cross-site check on unsafe methods (on by default): `false` turns it off for a route that
	 * must accept cross-site posts (a payment provider's callback, say).
	 */
	csrf?: OriginCheckOptions | false;
}

/**
 * Wraps a handler: refuse cross-site unsafe requests (403, before any store access), load the
 * session, run the handler, commit what changed. A failing store answers 503 without touching the
 * client's cookie, so nobody is logged out by an outage.
 */
export function withSession<S extends Session<object, object>, R extends Request = Request>(
	sessions: SessionLoader<S>,
	handler: SessionHandler<S, R>,
	options: WithSessionOptions = {},
): (request: R) => Promise<Response> {
	const csrf = options.csrf;
	return async function sessionHandler(request: R): Promise<Response> {
		if (csrf !== false && checkOrigin(request, csrf) !== null) return forbiddenResponse();
		try {
			const session = await sessions.load(request);
			// Most handlers answer synchronously: awaiting a plain Response would only cost a microtask.
			const answered = handler(request, session);
			const response = answered instanceof Promise ? await answered : answered;
			return await sessions.commit(session, response, options);
		} catch (e) {
			if (isStoreFailure(e)) return storeUnavailableResponse();
			throw e;
		}
	};
}

/** Whether an error means "try again later" (the store failed or a write lost too many races), which adapters answer with 503. */
export function isStoreFailure(e: unknown): boolean {
	return e instanceof StoreUnavailableError || e instanceof WriteConflictError;
}

/** 503 with Retry-After, uncacheable: the store failed or a write lost too many races. */
export function storeUnavailableResponse(): Response {
	return new Response("Session store unavailable; try again shortly.", {
		status: 503,
		headers: { "retry-after": "5", "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
	});
}
