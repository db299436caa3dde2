// Issue 11 §6, as the attack: logged in as Carol with a cart and a private flash message, the same browser
// logs in as Dave (POST /api/login) and must not see Carol's cart or flash. A visitor's guest cart does
// carry into their login; a field marked keepOnUserSwitch (the demo's theme) carries over a switch.
// Through the demo's own routes, in both modes, on every engine; and the rule at the Session level.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as z from "zod";
import { createDemoRoutes } from "../../examples/demo/app.ts";
import { defineSession } from "../../schema/define.ts";
import { SchemaError } from "../../src/errors.ts";
import { CookieJar, ORIGIN } from "../helpers/harness.ts";
import { ENGINES, type OpenedStore } from "../helpers/engines.ts";
import { freshOptions, MODES, processOf, visit } from "./modes.ts";

type Handler = (request: Request) => Promise<Response>;
type Routes = Record<string, Record<string, Handler>>;

/** Calls a demo route as the browser `jar`, applying its cookies; returns the JSON body. */
async function call(routes: Routes, jar: CookieJar, method: "GET" | "POST", path: string, body?: unknown): Promise<Record<string, unknown>> {
	const handler = routes[path]?.[method];
	if (handler === undefined) throw new Error(`no route ${method} ${path}`);
	const init: RequestInit = { method, headers: { origin: ORIGIN, "content-type": "application/json" } };
	if (body !== undefined) init.body = JSON.stringify(body);
	const response = await handler(jar.request(path, init));
	jar.apply(response);
	expect(response.status).toBe(200);
	return (await response.json()) as Record<string, unknown>;
}

for (const engine of ENGINES) {
	describe.skipIf(engine.skip)(`§6 switching users on one browser, on ${engine.name}`, () => {
		let opened: OpenedStore | undefined;
		beforeAll(async () => {
			opened = await engine.open();
		});
		afterAll(async () => {
			await opened?.close();
		});

		for (const mode of MODES) {
			test(`${mode} mode, the demo: Carol's cart and private flash do not pass to Dave on the same browser; the theme (keepOnUserSwitch) does`, async () => {
				const p = processOf(mode, (opened as OpenedStore).store, freshOptions());
				const routes = createDemoRoutes(p.sessions) as unknown as Routes;
				const jar = new CookieJar();
				const carol = `carol-${crypto.randomUUID()}`;
				await call(routes, jar, "POST", "/api/login", { userId: carol });
				await call(routes, jar, "POST", "/api/cart", { item: 7 });
				await call(routes, jar, "POST", "/api/flash", { message: "for Carol only" });
				await visit(p, jar, (s) => (s.theme = "dark"));
				const carolsCookie = jar.clone();
				const dave = `dave-${crypto.randomUUID()}`;
				expect(await call(routes, jar, "POST", "/api/login", { userId: dave })).toEqual({ userId: dave, role: "user" });
				const seen = await call(routes, jar, "GET", "/api/session");
				expect(seen).toMatchObject({ userId: dave, role: "user", cart: [], theme: "dark", flash: null });
				// The switch is an authentication: Carol's cookie is dead, not shared with Dave.
				expect((await visit(p, carolsCookie)).session.userId).toBeUndefined();
			});

			test(`${mode} mode, the demo: a visitor's guest cart stays through login`, async () => {
				const p = processOf(mode, (opened as OpenedStore).store, freshOptions());
				const routes = createDemoRoutes(p.sessions) as unknown as Routes;
				const jar = new CookieJar();
				await call(routes, jar, "POST", "/api/cart", { item: 3 });
				await call(routes, jar, "POST", "/api/flash", { message: "welcome" });
				const erin = `erin-${crypto.randomUUID()}`;
				await call(routes, jar, "POST", "/api/login", { userId: erin });
				expect(await call(routes, jar, "GET", "/api/session")).toMatchObject({ userId: erin, cart: [3], flash: "welcome" });
			});

			test(`${mode} mode: leaving the identity empty (user → nobody) also starts from the defaults, so nothing reaches the next login`, async () => {
				const p = processOf(mode, (opened as OpenedStore).store, freshOptions());
				const jar = new CookieJar();
				await visit(p, jar, (s) => {
					s.userId = `finn-${crypto.randomUUID()}`;
					s.role = "admin";
					s.cart = [1, 2];
				});
				await visit(p, jar, (s) => (s.userId = undefined));
				const { session: next } = await visit(p, jar, (s) => (s.userId = `gia-${crypto.randomUUID()}`));
				expect(next.cart).toEqual([]);
				expect(next.role).toBe("guest");
			});
		}
	});
}

describe("§6 the identity flag in the schema", () => {
	test("two identity fields are refused, with the fix in the message", () => {
		expect(() =>
			defineSession({ data: z.object({ a: z.string().optional().meta({ identity: true }), b: z.string().optional().meta({ identity: true }) }) }),
		).toThrow(SchemaError);
	});

	test("identity implies rotate, and keepOnUserSwitch is recorded in the model", () => {
		const model = defineSession({
			data: z.object({ who: z.string().max(9).optional().meta({ identity: true }), lang: z.string().max(5).default("en").meta({ keepOnUserSwitch: true }) }),
		});
		expect(model.data.find((f) => f.name === "who")).toMatchObject({ identity: true, rotate: true });
		expect(model.data.find((f) => f.name === "lang")).toMatchObject({ keepOnUserSwitch: true });
	});

	test("identity and keepOnUserSwitch apply to top-level fields only", () => {
		expect(() => defineSession({ data: z.object({ o: z.object({ who: z.string().max(5).optional().meta({ identity: true }) }).optional() }) })).toThrow(
			"identity and keepOnUserSwitch apply to top-level fields only",
		);
	});
});
