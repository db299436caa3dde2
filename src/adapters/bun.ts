import type { BunRequest } from "bun";
import type { Session } from "../session.ts";
import { dbscEndpoint, exchangeNow } from "./exchange.ts";
import type { SessionHandler, SessionLoader, WithSessionOptions } from "./fetch.ts";

type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/** Route table in `Bun.serve({ routes })` shape, whose handlers also receive the session. */
export type SessionRoutes<S, P extends string = string> = {
	[Path in P]: SessionHandler<S, BunRequest<Path>> | Partial<Record<Method, SessionHandler<S, BunRequest<Path>>>>;
};

/** A Bun route handler: a Response when everything ran synchronously (an in-process store), else a promise of one. */
type BunHandler<Path extends string> = (request: BunRequest<Path>) => Response | Promise<Response>;

type BunRoutes<P extends string> = {
	[Path in P]: BunHandler<Path> | Partial<Record<Method, BunHandler<Path>>>;
};

/** Turns session-aware routes into `Bun.serve` routes: each handler gets its typed session, committed after it returns; `options` apply to every route. */
export function sessionRoutes<S extends Session<object, object>, P extends string>(
	sessions: SessionLoader<S>,
	routes: SessionRoutes<S, P>,
	options: WithSessionOptions = {},
): BunRoutes<P> {
	const out: Record<string, unknown> = {};
	for (const [path, route] of Object.entries(routes) as [string, SessionRoutes<S, string>[string]][]) {
		if (typeof route === "function") out[path] = bunHandler(sessions, route, options);
		else {
			const methods: Record<string, unknown> = {};
			for (const [method, handler] of Object.entries(route)) if (handler !== undefined) methods[method] = bunHandler(sessions, handler, options);
			out[path] = methods;
		}
	}
	// The DBSC endpoints, when the manager has them: Bun matches routes before any fallback handler.
	const dbsc = sessions.dbsc;
	if (dbsc !== undefined && dbsc !== null) {
		const post = { POST: (request: Request) => dbscEndpoint(sessions, request) ?? Promise.resolve(new Response(null, { status: 404 })) };
		for (const path of [dbsc.registrationPath, dbsc.refreshPath]) out[path] = post;
	}
	return out as BunRoutes<P>;
}

/** `withSession` for Bun.serve, which takes a Response as well as a promise: no promise when none is needed. */
function bunHandler<S, R extends Request>(sessions: SessionLoader<S>, handler: SessionHandler<S, R>, options: WithSessionOptions): (request: R) => Response | Promise<Response> {
	return function sessionRoute(request: R): Response | Promise<Response> {
		return exchangeNow(sessions, options, handler, request, undefined);
	};
}
