// A real `Deno.serve({ port: 0 })` round trip through the Deno adapter. bun test also collects this
// folder; there is no Deno.serve under Bun, so the suite is defined only under Deno.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sessionHandler, type ServeHandlerInfo } from "sess/adapters/deno";
import { MemoryStore } from "sess/stores/memory";
import { createSessions } from "../../examples/demo/src/generated/session.ts";
import { CookieJar, newKey } from "../helpers/harness.ts";

/** The slice of Deno's API this test uses, declared so the file also compiles without Deno's types. */
interface DenoServe {
	serve(
		options: { port: number; hostname: string; signal: AbortSignal; onListen(addr: { port: number }): void },
		handler: (request: Request, info: ServeHandlerInfo) => Promise<Response>,
	): { finished: Promise<void> };
}

const deno = (globalThis as unknown as { Deno?: DenoServe }).Deno;

if (deno !== undefined) {
	describe("sessionHandler() under Deno.serve", () => {
		const sessions = createSessions({ store: new MemoryStore(), keys: [newKey()] });
		const controller = new AbortController();
		let origin = "";
		let server: { finished: Promise<void> };
		const remotes: unknown[] = [];

		before(async () => {
			const { promise, resolve } = Promise.withResolvers<void>();
			const handler = sessionHandler(sessions, (request, session, info) => {
				remotes.push(info.remoteAddr);
				const path = new URL(request.url).pathname;
				if (path === "/login" && request.method === "POST") {
					session.userId = "u1";
					session.role = "user";
					return Response.json({ ok: true });
				}
				if (path === "/logout" && request.method === "POST") {
					session.destroy();
					return new Response(null, { status: 204 });
				}
				return Response.json({ userId: session.userId ?? null, role: session.role });
			});
			server = deno.serve(
				{
					port: 0,
					hostname: "127.0.0.1",
					signal: controller.signal,
					onListen(addr) {
						origin = `http://127.0.0.1:${addr.port}`;
						resolve();
					},
				},
				handler,
			);
			await promise;
		});

		after(async () => {
			controller.abort();
			await server.finished;
		});

		/** fetch() over loopback with a browser-like jar; the cookie is `Secure`, which the jar ignores over http. */
		async function send(jar: CookieJar, path: string, init: RequestInit = {}): Promise<Response> {
			const headers = new Headers(init.headers);
			const cookie = jar.header();
			if (cookie !== null) headers.set("cookie", cookie);
			const response = await fetch(`${origin}${path}`, { ...init, headers });
			jar.apply(response);
			return response;
		}

		test("login sets the cookie, the next request sees the session, logout clears it", async () => {
			const jar = new CookieJar();
			const login = await send(jar, "/login", { method: "POST" });
			assert.equal(login.status, 200);
			await login.body?.cancel();
			assert.equal(login.headers.getSetCookie().length, 1);
			assert.equal(login.headers.get("cache-control"), "private, no-store");
			const me = await send(jar, "/me");
			assert.deepEqual(await me.json(), { userId: "u1", role: "user" });
			const logout = await send(jar, "/logout", { method: "POST" });
			assert.equal(logout.status, 204);
			assert.deepEqual(logout.headers.getSetCookie(), ["__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]);
			assert.deepEqual(await (await send(jar, "/me")).json(), { userId: null, role: "guest" });
		});

		test("a cross-site POST gets 403 from the adapter", async () => {
			const forged = await send(new CookieJar(), "/logout", { method: "POST", headers: { "sec-fetch-site": "cross-site", origin: "https://evil.test" } });
			assert.equal(forged.status, 403);
			await forged.body?.cancel();
		});

		test("Deno's connection info reaches the handler", () => {
			assert.ok(remotes.length > 0);
			assert.equal((remotes[0] as { hostname: string }).hostname, "127.0.0.1");
		});
	});
}
