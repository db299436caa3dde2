import type { Context, MiddlewareHandler } from "hono";
import type { Session } from "../session.ts";
import { closeSession, failureResponse, isAnswered, openSession, type SessionLoader, type WithSessionOptions } from "./exchange.ts";

/** Hono's `Env` for apps using the middleware: `new Hono<SessionEnv<Session>>()` types `c.get("session")`. */
export interface SessionEnv<S> {
	Variables: { session: S };
}

/**
 * Hono middleware: refuse cross-site unsafe requests (403, before any store access), load the
 * session into `c.get("session")`, run the rest of the chain, commit what changed onto `c.res`. An
 * `InvalidDataError` a handler lets escape answers 400 (unless the app's `onError` answered it with
 * something other than a 5xx), with no stack trace in the log even without an `onError`; a failing
 * store answers 503 without touching the client's cookie.
 */
export function sessionMiddleware<S extends Session<object, object>>(
	sessions: SessionLoader<S>,
	options: WithSessionOptions = {},
): MiddlewareHandler<SessionEnv<S>> {
	return async function loadAndCommitSession(c, next): Promise<Response | void> {
		const opened = await openSession(sessions, c.req.raw, options);
		if (!opened.ok) return opened.response;
		c.set("session", opened.session);
		await next();
		// Hono hands a handler's error to app.onError before this middleware resumes; a handler that
		// threw commits nothing, as with withSession.
		if (c.error !== undefined) {
			if (!isAnswered(c.error)) return;
			// Hono's default onError answered with the error's getResponse(); an app's onError that
			// answered a session error with a 5xx of its own is overridden with the one-line answer.
			const answer = failureResponse(sessions, c.error);
			if (c.res.status >= 500 && answer.status !== c.res.status) replaceResponse(c, answer);
			return;
		}
		const response = c.res;
		const committed = await closeSession(sessions, opened.session, response, options);
		if (committed !== response) replaceResponse(c, committed);
	};
}

/**
 * Hono's `c.res` setter copies the old response's headers (Set-Cookie included) onto the new one;
 * clearing it first keeps a 503 free of the handler's cookies and a copied response as committed.
 */
function replaceResponse(c: Context, response: Response): void {
	c.res = undefined;
	c.res = response;
}
