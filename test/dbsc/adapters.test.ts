// Every adapter answers the DBSC endpoints of a manager made with the `dbsc` option, before the app's
// routes: a whole registration and refresh through Bun.serve routes (real HTTP), withSession, Hono,
// Elysia and the Deno.serve handler. A store outage at the refresh endpoint answers 503, as elsewhere.
import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { Hono } from "hono";
import { sessionRoutes } from "../../src/adapters/bun.ts";
import { sessionHandler } from "../../src/adapters/deno.ts";
import { sessionPlugin } from "../../src/adapters/elysia.ts";
import { withSession } from "../../src/adapters/fetch.ts";
import { sessionMiddleware, type SessionEnv } from "../../src/adapters/hono.ts";
import type { Session, Sessions } from "../../examples/demo/src/generated/session.ts";
import { SpyStore, makeSessions } from "../helpers/harness.ts";
import { DbscClient, type Handler } from "./client.ts";

/** The app's own logic, shared by every adapter: log in (registration header), show who is logged in. */
async function login(request: Request, session: Session, sessions: Sessions): Promise<Response> {
	session.userId = await request.text();
	session.role = "user";
	return new Response("ok", { headers: { "secure-session-registration": sessions.dbsc?.register(session) ?? "" } });
}
function whoami(session: Session, sessions: Sessions): Response {
	return Response.json({ userId: session.userId ?? null, bound: sessions.dbsc?.isBound(session) ?? false });
}

const adapters: Record<string, (sessions: Sessions) => Promise<{ handler: Handler; stop(): void }>> = {
	async "Bun.serve routes"(sessions) {
		const server = Bun.serve({
			port: 0,
			hostname: "127.0.0.1",
			routes: sessionRoutes(sessions, {
				"/login": { POST: (request, session) => login(request, session, sessions) },
				"/whoami": (_request, session) => whoami(session, sessions),
			}),
			fetch: () => new Response("not found", { status: 404 }),
		});
		const base = `http://127.0.0.1:${server.port}`;
		return {
			// Over the socket, keeping the request's path, method, headers and body.
			handler: async (request) => {
				const url = new URL(request.url);
				const body = request.method === "GET" ? null : await request.text();
				const headers = new Headers(request.headers);
				headers.set("origin", base);
				return fetch(`${base}${url.pathname}`, { method: request.method, headers, body });
			},
			stop: () => void server.stop(true),
		};
	},
	async withSession(sessions) {
		const app = withSession(sessions, (request, session) => (new URL(request.url).pathname === "/login" ? login(request, session, sessions) : whoami(session, sessions)));
		return { handler: async (request) => app(request), stop: () => undefined };
	},
	async Hono(sessions) {
		const app = new Hono<SessionEnv<Session>>();
		app.use("*", sessionMiddleware(sessions));
		app.post("/login", (c) => login(c.req.raw, c.get("session"), sessions));
		app.get("/whoami", (c) => whoami(c.get("session"), sessions));
		return { handler: async (request) => app.fetch(request), stop: () => undefined };
	},
	async Elysia(sessions) {
		const app = new Elysia()
			.use(sessionPlugin(sessions))
			.post("/login", ({ request, session }) => login(request, session, sessions))
			.get("/whoami", ({ session }) => whoami(session, sessions));
		return { handler: async (request) => app.handle(request), stop: () => undefined };
	},
	async "Deno.serve handler"(sessions) {
		const serve = sessionHandler(sessions, (request, session) => (new URL(request.url).pathname === "/login" ? login(request, session, sessions) : whoami(session, sessions)));
		return { handler: async (request) => serve(request, { remoteAddr: null, completed: Promise.resolve() }), stop: () => undefined };
	},
};

for (const [name, make] of Object.entries(adapters)) {
	describe(name, () => {
		test("registration, refresh (403 then 200) and the bound session, through the adapter", async () => {
			const store = new SpyStore();
			const h = makeSessions({ store, dbsc: {} });
			const { handler, stop } = await make(h.sessions);
			try {
				const client = new DbscClient(handler);
				const response = await client.login("alice");
				expect((await client.register(response.headers.get("secure-session-registration"))).status).toBe(200);
				expect(await (await client.send("/whoami")).json()).toEqual({ userId: "alice", bound: true });
				expect((await client.refresh()).status).toBe(200);
				expect(client.trail.map((r) => r.status)).toEqual([403, 200]);
				expect(h.eventsOf("dbsc_refreshed")).toHaveLength(1);
				// A store outage at the refresh endpoint is a 503 (retry later), never a terminating 4xx.
				store.mode = "throw";
				expect((await client.refreshWith(null)).status).toBe(503);
			} finally {
				stop();
			}
		});
	});
}
