import type { Context, MiddlewareHandler } from "hono";
import { checkOrigin, forbiddenResponse } from "../csrf.ts";
import type { Session } from "../session.ts";
import { isStoreFailure, storeUnavailableResponse, type SessionLoader, type WithSessionOptions } from "./fetch.ts";

/** Hono's `Env` for apps using the middleware: `new Hono<SessionEnv<Session>>()` types `c.get("session")`. */
export interface SessionEnv<S> {
	Variables: { session: S };
}

/**
 * Hono middleware: refuse cross-site unsafe requests (403, before any store access), load the
 * session into `c.get("session")`, run the rest of the chain, commit what changed onto `c.res`. A
 * failing store answers 503 without touching the client's cookie, so nobody is logged out by an outage.
 */
export function sessionMiddleware<S extends Session<object, object>>(
	sessions: SessionLoader<S>,
	options: WithSessionOptions = {},
): MiddlewareHandler<SessionEnv<S>> {
	const csrf = options.csrf;
	return async function loadAndCommitSession(c, next): Promise<Response | void> {
		if (csrf !== false && checkOrigin(c.req.raw, csrf) !== null) return forbiddenResponse();
		let session: S;
		try {
			session = await sessions.load(c.req.raw);
		} catch (e) {
			if (isStoreFailure(e)) return storeUnavailableResponse();
			throw e;
		}
		c.set("session", session);
		await next();
		// A handler that threw (answered by app.onError) commits nothing, as with withSession.
		if (c.error !== undefined) return;
		try {
			const response = c.res;
			const committed = await sessions.commit(session, response, options);
			if (committed !== response) replaceResponse(c, committed);
		} catch (e) {
			if (!isStoreFailure(e)) throw e;
			replaceResponse(c, storeUnavailableResponse());
		}
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
