// Issue 13 §2: `maxSessionsPerUser` declared in the schema (defineSession), carried by the model into
// the generated module, enforced by the manager; the run-time option overrides it, and `false` turns it off.
import { describe, expect, test } from "bun:test";
import * as z from "zod";
import { codec, model as demoModel, Session, type Sessions } from "../../examples/demo/src/generated/session.ts";
import { generate } from "../../generator/generate.ts";
import { defineSession } from "../../schema/define.ts";
import { ConfigError, SchemaError, SessionLimitError } from "../../src/errors.ts";
import { createSessionManager, type SessionManagerOptions } from "../../src/manager.ts";
import type { SessionModel } from "../../src/index.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { newKey } from "../helpers/harness.ts";

const data = z.object({
	userId: z.string().min(1).max(64).optional().meta({ column: true, identity: true }),
	team: z.string().max(20).optional().meta({ column: true }),
	cart: z.array(z.int()).max(5).default([]),
});

function failure(fn: () => unknown): Error {
	try {
		fn();
	} catch (e) {
		return e as Error;
	}
	throw new Error("did not throw");
}

/** The demo's codec and Session over a model whose schema declared `limit` (what `sess generate` would emit for it). */
function managerWith(limit: SessionModel["maxSessionsPerUser"], options: Partial<SessionManagerOptions> = {}): Sessions {
	const { sealed: _sealed, ...rest } = demoModel;
	const model: SessionModel = { ...rest, sealed: false, ...(limit === undefined ? {} : { maxSessionsPerUser: limit }) };
	return createSessionManager({ model, codec, Session }, { store: new MemoryStore(), keys: [newKey()], ...options }) as Sessions;
}

/** Signs `user` in from a new browser; the cookie, or the error's code. */
async function login(sessions: Sessions, user: string): Promise<string> {
	const s = await sessions.load(new Request("https://app.test/login"));
	s.userId = user;
	try {
		return ((await sessions.commitCookie(s)) as string).split(";")[0] as string;
	} catch (e) {
		if (e instanceof SessionLimitError) return e.code;
		throw e;
	}
}

async function live(sessions: Sessions, cookies: string[], user: string): Promise<number> {
	let n = 0;
	for (const cookie of cookies) if ((await sessions.load(new Request("https://app.test/", { headers: { cookie } }))).userId === user) n++;
	return n;
}

describe("maxSessionsPerUser in defineSession", () => {
	test("a number counts by the identity field with policy evict; an object names policy and field", () => {
		expect(defineSession({ data, maxSessionsPerUser: 3 }).maxSessionsPerUser).toEqual({ field: "userId", max: 3, policy: "evict" });
		expect(defineSession({ data, maxSessionsPerUser: { max: 2, policy: "refuse", field: "team" } }).maxSessionsPerUser).toEqual({ field: "team", max: 2, policy: "refuse" });
		expect("maxSessionsPerUser" in defineSession({ data })).toBe(false);
	});

	test("refused, each with a one-line message: no identity, an unpromoted field, a bad max or policy, sealed", () => {
		const plain = z.object({ userId: z.string().max(64).optional(), cart: z.array(z.int()).max(5).default([]) });
		const cases: [() => unknown, new (...a: never[]) => Error, string][] = [
			[() => defineSession({ data: plain, maxSessionsPerUser: 3 }), SchemaError, "identity"],
			[() => defineSession({ data, maxSessionsPerUser: { max: 3, field: "cart" } }), SchemaError, "data.cart must be promoted"],
			[() => defineSession({ data, maxSessionsPerUser: 0 }), ConfigError, "whole number"],
			[() => defineSession({ data, maxSessionsPerUser: 2.5 }), ConfigError, "whole number"],
			[() => defineSession({ data, maxSessionsPerUser: { max: 3, policy: "kick" as "evict" } }), ConfigError, "\"evict\" or \"refuse\""],
			[() => defineSession({ data, sealed: true, maxSessionsPerUser: 3 }), SchemaError, "sealed"],
		];
		for (const [fn, type, text] of cases) {
			const e = failure(fn);
			expect(e).toBeInstanceOf(type);
			expect(e.message).toContain(text);
			expect(e.message).not.toContain("\n");
		}
	});

	test("sess generate carries the limit in the emitted model, and only when declared", async () => {
		const config = { schema: "schema.ts", out: "gen", dialects: [], migrations: "migrations", lock: "sess.lock.json", runtimeImport: "sess" };
		const emitted = async (model: SessionModel) =>
			(await generate({ model, schemaPath: "schema.ts", lock: null, migrations: {}, config })).find((f) => f.path.endsWith("session.ts"))?.contents ?? "";
		expect(await emitted(defineSession({ data, maxSessionsPerUser: { max: 4, policy: "refuse" } }))).toContain(`maxSessionsPerUser: { field: "userId", max: 4, policy: "refuse" },`);
		expect(await emitted(defineSession({ data }))).not.toContain("maxSessionsPerUser");
	});
});

describe("maxSessionsPerUser from the schema, in the manager", () => {
	test("evict: the schema's limit holds with no run-time option", async () => {
		const sessions = managerWith({ field: "userId", max: 2, policy: "evict" });
		const cookies = [await login(sessions, "ann"), await login(sessions, "ann"), await login(sessions, "ann")];
		expect(await live(sessions, cookies, "ann")).toBe(2);
		expect(await sessions.list("userId", "ann")).toHaveLength(2);
	});

	test("refuse: the third login fails with SessionLimitError", async () => {
		const sessions = managerWith({ field: "userId", max: 2, policy: "refuse" });
		const outcomes = [await login(sessions, "ann"), await login(sessions, "ann"), await login(sessions, "ann")];
		expect(outcomes[2]).toBe("session_limit");
		expect(await live(sessions, outcomes.slice(0, 2), "ann")).toBe(2);
	});

	test("the run-time option overrides the schema's: max, policy, or off with false", async () => {
		const declared = { field: "userId", max: 1, policy: "refuse" } as const;
		const raised = managerWith(declared, { maxSessionsPerUser: { max: 3 } });
		const three = [await login(raised, "ann"), await login(raised, "ann"), await login(raised, "ann"), await login(raised, "ann")];
		// max from the option, policy (refuse) still the schema's.
		expect(three[3]).toBe("session_limit");
		expect(await live(raised, three.slice(0, 3), "ann")).toBe(3);

		const evicting = managerWith(declared, { maxSessionsPerUser: { max: 1, policy: "evict" } });
		const two = [await login(evicting, "bob"), await login(evicting, "bob")];
		expect(two).not.toContain("session_limit");
		expect(await live(evicting, two, "bob")).toBe(1);

		const off = managerWith(declared, { maxSessionsPerUser: false });
		const many = [await login(off, "cy"), await login(off, "cy"), await login(off, "cy")];
		expect(await live(off, many, "cy")).toBe(3);
	});

	test("a run-time limit without a field counts by the identity field", async () => {
		const sessions = managerWith(undefined, { maxSessionsPerUser: { max: 1, policy: "refuse" } });
		expect(await login(sessions, "ann")).not.toBe("session_limit");
		expect(await login(sessions, "ann")).toBe("session_limit");
	});

	test("a store without admit() is refused at start-up when the schema declares a limit", () => {
		const bare = { get: () => null, create() {}, update: () => false, touch() {}, rotate: () => false, destroy() {}, list: () => [], revoke: () => 0, prune: () => 0 };
		expect(() => managerWith({ field: "userId", max: 2, policy: "evict" }, { store: bare })).toThrow(ConfigError);
		expect(() => managerWith({ field: "userId", max: 2, policy: "evict" }, { store: bare, maxSessionsPerUser: false })).not.toThrow();
	});
});
