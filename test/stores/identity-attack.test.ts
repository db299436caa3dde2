// Issue 11 §1 as the attack, through the demo's routes on every engine and in both modes: browsers
// logged in as ann, ANN, Ann, "ann ", " ann", ánn (NFC) and ánn (NFD). On MariaDB's default collation,
// `GET /api/sessions` as ann listed all of them and `revoke-others` logged the other users out.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CookieJar, SECOND } from "../helpers/harness.ts";
import { ENGINES, demoApp, openEngine, skipEngine, type DemoApp, type OpenedEngine } from "./demo-engines.ts";

const LOOK_ALIKES = ["ANN", "Ann", "ann ", " ann", "\u00e1nn", "a\u0301nn", "\u0430nn", "\ufeffann", "ann\u200b"];

async function send(app: DemoApp, jar: CookieJar, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
	const response = await app.handle(jar.request(path, body === undefined ? { method } : { method, body: JSON.stringify(body) }));
	jar.apply(response);
	return { status: response.status, json: await response.json() };
}

for (const engine of ENGINES) {
	for (const mode of ["store", "sealed"] as const) {
		describe.skipIf(await skipEngine(engine))(`identities compare exactly through the demo: ${engine}, ${mode} mode`, () => {
			let opened: OpenedEngine;
			beforeAll(async () => {
				opened = await openEngine(engine);
			});
			afterAll(async () => {
				await opened.close();
			});

			test("logged in as ann and as each look-alike: ann's list and revoke-others touch only ann's sessions", async () => {
				const app = demoApp(opened.store, mode);
				const login = async (userId: string): Promise<CookieJar> => {
					const jar = new CookieJar();
					const res = await send(app, jar, "POST", "/api/login", { userId });
					expect(res).toEqual({ status: 200, json: { userId, role: "user" } });
					return jar;
				};
				const ann = await login("ann");
				const annPhone = await login("ann");
				const others = new Map<string, CookieJar>();
				for (const user of LOOK_ALIKES) others.set(user, await login(user));
				// A revoke ends what was issued before it; keep the logins in earlier milliseconds.
				app.clock.advance(SECOND);

				const listed = await send(app, ann, "GET", "/api/sessions");
				expect(listed.status).toBe(200);
				// Store mode lists ann's two devices; sealed mode knows only the caller's own cookie.
				expect((listed.json as unknown[]).length).toBe(mode === "store" ? 2 : 1);

				const revoked = await send(app, ann, "POST", "/api/sessions/revoke-others");
				expect(revoked.status).toBe(200);
				expect(revoked.json).toEqual({ revoked: mode === "store" ? 1 : 0 });

				// ann's other device is logged out; ann's own is not; every look-alike still is who they were.
				expect(((await send(app, annPhone, "GET", "/api/session")).json as { userId: unknown }).userId).toBeNull();
				expect(((await send(app, ann, "GET", "/api/session")).json as { userId: unknown }).userId).toBe("ann");
				for (const [user, jar] of others) {
					const me = (await send(app, jar, "GET", "/api/session")).json as { userId: unknown };
					expect({ user, now: me.userId }).toEqual({ user, now: user });
					if (mode === "store") expect({ user, listed: ((await send(app, jar, "GET", "/api/sessions")).json as unknown[]).length }).toEqual({ user, listed: 1 });
				}
			});
		});
	}
}
