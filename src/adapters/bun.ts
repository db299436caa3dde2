import type { BunRequest } from "bun";
import type { Session } from "../session.ts";
import { dbscEndpoint } from "./exchange.ts";
import { withSession, type SessionHandler, type SessionLoader, type WithSessionOptions } from "./fetch.ts";

type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/** Route table in `Bun.serve({ routes })` shape, whose handlers also receive the session. */
export type SessionRoutes<S, P extends string = string> = {
	[Path in P]: SessionHandler<S, BunRequest<Path>> | Partial<Record<Method, SessionHandler<S, BunRequest<Path>>>>;
};

type BunRoutes<P extends string> = {
	[Path in P]: ((request: BunRequest<Path>) => Promise<Response>) | Partial<Record<Method, (request: BunRequest<Path>) => Promise<Response>>>;
};

/** Turns session-aware routes into `Bun.serve` routes: each handler gets its typed session, committed after it returns; `options` apply to every route. */
export function sessionRoutes<S extends Session<object, object>, P extends string>(
	sessions: SessionLoader<S>,
	routes: SessionRoutes<S, P>,
	options: WithSessionOptions = {},
): BunRoutes<P> {
	const out: Record<string, unknown> = {};
	for (const [path, route] of Object.entries(routes) as [string, SessionRoutes<S, string>[string]][]) {
		if (typeof route === "function") out[path] = withSession(sessions, route, options);
		else {
			const methods: Record<string, unknown> = {};
			for (const [method, handler] of Object.entries(route)) if (handler !== undefined) methods[method] = withSession(sessions, handler, options);
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
