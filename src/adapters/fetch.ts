import type { Session } from "../session.ts";
import { exchange, type SessionLoader, type WithSessionOptions } from "./exchange.ts";

export { isStoreFailure, storeUnavailableResponse, type SessionLoader, type WithSessionOptions } from "./exchange.ts";

/** A fetch handler that also receives the request's session. */
export type SessionHandler<S, R extends Request = Request> = (request: R, session: S) => Response | Promise<Response>;

/**
 * Wraps a handler: refuse cross-site unsafe requests (403, before any store access), load the
 * session, run the handler, commit what changed. An `InvalidDataError` the handler lets escape
 * answers 400; a failing store answers 503 without touching the client's cookie, so nobody is logged
 * out by an outage.
 */
export function withSession<S extends Session<object, object>, R extends Request = Request>(
	sessions: SessionLoader<S>,
	handler: SessionHandler<S, R>,
	options: WithSessionOptions = {},
): (request: R) => Promise<Response> {
	return function sessionHandler(request: R): Promise<Response> {
		return exchange(sessions, options, handler, request, undefined);
	};
}
