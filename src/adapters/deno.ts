import type { Session } from "../session.ts";
import { exchange, type SessionLoader, type WithSessionOptions } from "./exchange.ts";

/** What `Deno.serve` passes a handler besides the request, declared structurally so no Deno types are needed to compile this. */
export interface ServeHandlerInfo {
	readonly remoteAddr: unknown;
	readonly completed: Promise<void>;
}

/** A `Deno.serve` handler that also receives the request's session; `info` is Deno's, passed through. */
export type DenoSessionHandler<S, I = ServeHandlerInfo> = (request: Request, session: S, info: I) => Response | Promise<Response>;

/**
 * Turns a session-aware handler into a `Deno.serve` handler: `Deno.serve(sessionHandler(sessions,
 * (request, session, info) => …))`. Same sequence as `withSession`: 403 for cross-site unsafe
 * requests, 400 for an escaping `InvalidDataError`, 503 when the store fails, the commit after the
 * handler returns.
 */
export function sessionHandler<S extends Session<object, object>, I = ServeHandlerInfo>(
	sessions: SessionLoader<S>,
	handler: DenoSessionHandler<S, I>,
	options: WithSessionOptions = {},
): (request: Request, info: I) => Promise<Response> {
	return function denoSessionHandler(request: Request, info: I): Promise<Response> {
		return exchange(sessions, options, handler, request, info);
	};
}
