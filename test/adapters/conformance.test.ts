// The adapter conformance cases (./conformance.ts) against Bun.serve, withSession, Hono and Elysia;
// Deno.serve runs the same cases in test/deno/conformance.test.ts.
import { afterAll, beforeAll, describe, test } from "bun:test";
import { Elysia } from "elysia";
import { Hono } from "hono";
import type { Session } from "../../examples/demo/src/generated/session.ts";
import { sessionRoutes } from "../../src/adapters/bun.ts";
import { sessionPlugin } from "../../src/adapters/elysia.ts";
import { withSession } from "../../src/adapters/fetch.ts";
import { sessionMiddleware, type SessionEnv } from "../../src/adapters/hono.ts";
import type { CookieJar } from "../helpers/harness.ts";
import { conformanceCases, conformanceHarness, dispatch, type AdapterFixture } from "./conformance.ts";

type Handle = (request: Request) => Response | Promise<Response>;

/** A fixture over an in-process entry point; a rejected promise is what a server would answer 500. */
function inProcess(build: (f: AdapterFixture["h"]) => Handle): () => AdapterFixture {
	return () => {
		const h = conformanceHarness();
		const handle = build(h);
		return {
			h,
			async send(jar: CookieJar, path: string, init?: RequestInit) {
				let response: Response;
				try {
					response = await handle(jar.request(path, init));
				} catch {
					response = new Response("handler failed", { status: 500 });
				}
				jar.apply(response);
				return response;
			},
		};
	};
}

const fixtures: [string, () => AdapterFixture | Promise<AdapterFixture>][] = [
	["withSession (fetch)", inProcess((h) => withSession(h.sessions, dispatch))],
	[
		"Hono sessionMiddleware",
		inProcess((h) => {
			const app = new Hono<SessionEnv<Session>>();
			// An app's catch-all 500 (quiet, unlike Hono's default that logs the stack).
			app.onError(() => new Response("handler failed", { status: 500 }));
			app.use(sessionMiddleware(h.sessions));
			app.all("*", (c) => dispatch(c.req.raw, c.get("session")));
			return (request) => app.request(request);
		}),
	],
	[
		"Elysia sessionPlugin",
		inProcess((h) => {
			const app = new Elysia()
				.use(sessionPlugin(h.sessions))
				.all("*", ({ request, session }) => dispatch(request, session))
				// Registered after the plugin, as an app's catch-all usually is.
				.onError(() => new Response("handler failed", { status: 500 }));
			return (request) => app.handle(request);
		}),
	],
];

for (const [name, make] of fixtures) {
	describe(`adapter conformance: ${name}`, () => {
		let f: AdapterFixture;
		beforeAll(async () => {
			f = await make();
		});
		for (const c of conformanceCases) test(c.name, () => c.run(f));
	});
}

describe("adapter conformance: Bun.serve sessionRoutes", () => {
	let f: AdapterFixture;
	let server: ReturnType<typeof Bun.serve>;
	beforeAll(() => {
		const h = conformanceHarness();
		const route = { GET: (request: Request, session: Session) => dispatch(request, session), POST: (request: Request, session: Session) => dispatch(request, session) };
		server = Bun.serve({
			port: 0,
			hostname: "127.0.0.1",
			routes: sessionRoutes(h.sessions, { "/login": route, "/flash": route, "/theme-then-fail": route, "/logout": route, "/me": route }),
			// Bun's default error page would print the stack; a server's own answer to a handler bug.
			error: () => new Response("handler failed", { status: 500 }),
		});
		f = {
			h,
			async send(jar, path, init = {}) {
				// Over loopback the URL is http://127.0.0.1:port; the jar's request carries the cookie and headers.
				const request = jar.request(path, init);
				const response = await fetch(new URL(path, server.url), { method: request.method, headers: request.headers, body: init.body ?? null });
				jar.apply(response);
				return response;
			},
		};
	});
	afterAll(async () => {
		await server.stop(true);
	});
	for (const c of conformanceCases) test(c.name, () => c.run(f));
});
