// Type-level tests: `tsc --noEmit -p .` enforces them (an unused @ts-expect-error is itself an error);
// the function holding them never runs.
import { describe, expect, expectTypeOf, test } from "bun:test";
import { createSessions, type Session, type SessionData, type Sessions } from "../examples/demo/src/generated/session.ts";
import { sessionRoutes } from "../src/adapters/bun.ts";
import { withSession } from "../src/adapters/fetch.ts";
import type { SessionInfo } from "../src/manager.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { newKey } from "./helpers/harness.ts";

async function typeChecks(session: Session, sessions: Sessions): Promise<void> {
	// Reading: each field has its schema's type.
	expectTypeOf(session.role).toEqualTypeOf<"guest" | "user" | "admin">();
	expectTypeOf(session.cart).toEqualTypeOf<readonly number[]>();
	expectTypeOf(session.userId).toEqualTypeOf<string | undefined>();
	expectTypeOf(session.theme).toEqualTypeOf<"light" | "dark" | undefined>();
	expectTypeOf(session.flash.take("message")).toEqualTypeOf<string | undefined>();
	expectTypeOf(session.toJSON()).toEqualTypeOf<SessionData>();
	expectTypeOf(session.isNew).toEqualTypeOf<boolean>();
	expectTypeOf(session.expiresAt).toEqualTypeOf<Date | null>();

	// Writing what the schema allows compiles.
	session.role = "admin";
	const r: "guest" | "user" | "admin" = session.role;
	session.cart = [...session.cart, 1];
	session.userId = "u1";
	session.userId = undefined;
	session.theme = "dark";
	session.theme = undefined;
	session.flash.set("message", "Saved");
	session.regenerate();
	session.destroy();

	// Anything else does not.
	// @ts-expect-error: no such field
	session.nope;
	// @ts-expect-error: no such field to assign either
	session.nope = 1;
	// @ts-expect-error: not one of the enum's values
	session.role = "root";
	// @ts-expect-error: role is required (it has a default), so it cannot be cleared
	session.role = undefined;
	// @ts-expect-error: cart holds numbers
	session.cart = ["x"];
	// @ts-expect-error: userId is a string
	session.userId = 5;
	// @ts-expect-error: theme is an enum
	session.theme = "blue";
	// @ts-expect-error: cart is read-only: assign a new array instead
	session.cart.push(1);
	// @ts-expect-error: not a flash field
	session.flash.set("nope", "x");
	// @ts-expect-error: message is a string
	session.flash.set("message", 1);
	// @ts-expect-error: not a flash field
	session.flash.take("nope");

	// list() and revoke() take promoted fields only, with their value type.
	const listed = await sessions.list("userId", "u1", { current: session });
	expectTypeOf(listed).toEqualTypeOf<SessionInfo[]>();
	expectTypeOf(await sessions.revoke("userId", "u1", { except: session })).toEqualTypeOf<number>();
	// @ts-expect-error: cart is not a promoted column
	await sessions.list("cart", [1]);
	// @ts-expect-error: theme is not promoted either
	await sessions.revoke("theme", "dark");
	// @ts-expect-error: userId values are strings
	await sessions.list("userId", 5);

	// load() gives the generated Session; commit() takes it back.
	expectTypeOf(sessions.load(new Request("https://app.test/"))).resolves.toEqualTypeOf<Session>();
	expectTypeOf(sessions.commitCookie).parameter(0).toEqualTypeOf<Session>();

	// Adapters hand handlers the typed session.
	withSession(sessions, (_request, s) => {
		expectTypeOf(s).toEqualTypeOf<Session>();
		return new Response(s.role);
	});
	// @ts-expect-error: a handler must return a Response
	withSession(sessions, () => "ok");
	sessionRoutes(sessions, {
		"/users/:id": {
			GET: (request, s) => {
				expectTypeOf(request.params.id).toEqualTypeOf<string>();
				// @ts-expect-error: the route has no :other parameter
				void request.params.other;
				return new Response(s.role);
			},
		},
	});

	// createSessions() wants a store and keys.
	// @ts-expect-error: keys are required
	createSessions({ store: new MemoryStore() });
	// @ts-expect-error: durations are checked
	createSessions({ store: new MemoryStore(), keys: [newKey()], expiry: { idle: "30 minutes" } });
	void r;
}

describe("generated Session types", () => {
	test("the type checks compile and are never run", () => {
		expect(typeof typeChecks).toBe("function");
		const sessions = createSessions({ store: new MemoryStore(), keys: [newKey()] });
		expectTypeOf(sessions).toEqualTypeOf<Sessions>();
		expect(sessions.policy.idleMs).toBe(30 * 60_000);
	});
});
