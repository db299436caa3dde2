// The adapter conformance cases (test/adapters/conformance.ts) against a real `Deno.serve({ port: 0 })`
// through the Deno adapter. bun test also collects this folder; there is no Deno.serve under Bun, so
// the suite is defined only under Deno.
import { after, before, describe, test } from "node:test";
import { sessionHandler, type ServeHandlerInfo } from "sess/adapters/deno";
import { conformanceCases, conformanceHarness, dispatch, type AdapterFixture } from "../adapters/conformance.ts";

/** The slice of Deno's API this test uses, declared so the file also compiles without Deno's types. */
interface DenoServe {
	serve(
		options: { port: number; hostname: string; signal: AbortSignal; onListen(addr: { port: number }): void; onError(error: unknown): Response },
		handler: (request: Request, info: ServeHandlerInfo) => Promise<Response>,
	): { finished: Promise<void> };
}

const deno = (globalThis as unknown as { Deno?: DenoServe }).Deno;

if (deno !== undefined) {
	describe("adapter conformance: Deno.serve sessionHandler", () => {
		const h = conformanceHarness();
		const controller = new AbortController();
		let origin = "";
		let server: { finished: Promise<void> };
		const f: AdapterFixture = {
			h,
			async send(jar, path, init = {}) {
				const request = jar.request(path, init);
				const response = await fetch(`${origin}${path}`, { method: request.method, headers: request.headers, body: init.body ?? null });
				jar.apply(response);
				return response;
			},
		};

		before(async () => {
			const { promise, resolve } = Promise.withResolvers<void>();
			server = deno.serve(
				{
					port: 0,
					hostname: "127.0.0.1",
					signal: controller.signal,
					onListen(addr) {
						origin = `http://127.0.0.1:${addr.port}`;
						resolve();
					},
					// Deno's default logs the stack; a server's own answer to a handler bug.
					onError: () => new Response("handler failed", { status: 500 }),
				},
				sessionHandler(h.sessions, (request, session) => dispatch(request, session)),
			);
			await promise;
		});

		after(async () => {
			controller.abort();
			await server.finished;
		});

		for (const c of conformanceCases) test(c.name, () => c.run(f));
	});
}
