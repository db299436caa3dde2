// Issue 11 §4: NUL in a promoted text column is refused at assignment, the same way on every engine and
// in both modes (PostgreSQL cannot store it; the others would have), and an app without input checks of
// its own still answers 400 through the adapter, never 500 or 503.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSessions } from "../../examples/demo/src/generated/session.ts";
import { withSession } from "../../src/adapters/fetch.ts";
import { InvalidDataError } from "../../src/errors.ts";
import type { SessionEvent } from "../../src/events.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { CookieJar, newKey, SpyStore } from "../helpers/harness.ts";
import { ENGINES, openEngine, skipEngine, type OpenedEngine } from "./demo-engines.ts";

describe("a promoted text field refuses NUL at assignment", () => {
	for (const mode of ["store", "sealed"] as const) {
		test(`${mode} mode: userId = "a\\0b" throws InvalidDataError and leaves the field as it was; an unpromoted string keeps its NUL`, async () => {
			const store = new MemoryStore();
			const sessions = mode === "sealed" ? createSessions({ keys: [newKey()], mode: "sealed", revocations: store }) : createSessions({ keys: [newKey()], store });
			const session = await sessions.load(new CookieJar().request());
			session.userId = "ann";
			let error: unknown;
			try {
				session.userId = "a\u0000b";
			} catch (e) {
				error = e;
			}
			expect(error).toBeInstanceOf(InvalidDataError);
			expect((error as InvalidDataError).path).toBe("data.userId");
			expect((error as InvalidDataError).message).toBe("data.userId: contains NUL (U+0000), which a promoted text column cannot hold");
			expect(session.userId).toBe("ann");
			// Flash messages are not columns: NUL is data like any other there, and reads back as sent.
			session.flash.set("message", "a\u0000b");
			const jar = new CookieJar();
			jar.apply(await sessions.commit(session, new Response("ok")));
			const again = await sessions.load(jar.request());
			expect(again.userId).toBe("ann");
			expect(again.flash.take("message")).toBe("a\u0000b");
		});
	}
});

for (const engine of ENGINES) {
	describe.skipIf(await skipEngine(engine))(`an app without input checks, on ${engine}`, () => {
		let opened: OpenedEngine;
		beforeAll(async () => {
			opened = await openEngine(engine);
		});
		afterAll(async () => {
			await opened.close();
		});

		test("list() and revoke() of a value no session can hold (NUL, too long) refuse it alike, in both modes, before any store call", async () => {
			for (const mode of ["store", "sealed"] as const) {
				const store = new SpyStore(opened.store);
				const sessions = mode === "sealed" ? createSessions({ keys: [newKey()], mode: "sealed", revocations: store }) : createSessions({ keys: [newKey()], store });
				for (const value of ["a\u0000b", "x".repeat(65)]) {
					await expect(sessions.list("userId", value)).rejects.toBeInstanceOf(InvalidDataError);
					await expect(sessions.revoke("userId", value)).rejects.toBeInstanceOf(InvalidDataError);
				}
				expect({ mode, calls: store.calls }).toEqual({ mode, calls: [] });
			}
		});

		test('a login as "a\\u0000b" answers 400 with an invalid_data event, stores nothing and reports no outage', async () => {
			const events: SessionEvent[] = [];
			const store = new SpyStore(opened.store);
			const sessions = createSessions({ keys: [newKey()], store, onEvent: (e) => void events.push(e) });
			const app = withSession(sessions, async (request, session) => {
				session.userId = ((await request.json()) as { userId: string }).userId;
				return Response.json({ ok: true });
			});
			const response = await app(new CookieJar().request("/login", { method: "POST", body: JSON.stringify({ userId: "a\u0000b" }) }));
			expect(response.status).toBe(400);
			expect(await response.text()).toBe("Invalid input: data.userId: contains NUL (U+0000), which a promoted text column cannot hold. Send a value the session schema accepts.");
			expect(response.headers.getSetCookie()).toEqual([]);
			expect(events).toEqual([{ type: "invalid_data", path: "data.userId", reason: "data.userId: contains NUL (U+0000), which a promoted text column cannot hold" }]);
			expect(store.calls).toEqual([]);
		});
	});
}
