// SESS_INSECURE=1: local plain-HTTP development with clients that never send a Secure cookie to
// http://127.0.0.1 (Python's cookie jars, curl's with some options). The cookie loses Secure and the
// __Host- prefix, and nothing else; NODE_ENV=production refuses it; `sess doctor` reports it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { createSessions } from "../../examples/demo/src/generated/session.ts";
import { auditSession } from "../../generator/doctor.ts";
import demoModel from "../../examples/demo/schema/session.ts";
import { ConfigError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { Browser, startDemo, type DemoProcess } from "../helpers/demo-process.ts";

const dir = mkdtempSync(join(tmpdir(), "sess-insecure-"));
const key = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the demo with SESS_INSECURE=1", () => {
	let demo: DemoProcess;
	beforeAll(async () => {
		demo = await startDemo({ SESS_DB: join(dir, "insecure.db"), SESS_KEYS: key, SESS_INSECURE: "1" });
	}, 30_000);
	afterAll(async () => demo?.stop());

	test("sets `sid` without Secure (still HttpOnly, Path=/, SameSite=Lax), and a client that drops Secure cookies keeps its session", async () => {
		const client = new Browser();
		expect((await client.send(demo.base, "POST", "/api/login", { userId: "ada" })).status).toBe(200);
		const [cookie] = client.setCookies;
		expect(cookie).toMatch(/^sid=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
		// What Python's jar does over http://: a Secure cookie would never come back. This one does.
		expect(cookie).not.toMatch(/Secure|__Host-/);
		expect(((await client.send(demo.base, "GET", "/api/session")).json as { userId: unknown }).userId).toBe("ada");
	});
});

describe("insecureDevelopmentCookies", () => {
	const options = { store: new MemoryStore(), keys: [key], insecureDevelopmentCookies: true };

	test("is refused with ConfigError when NODE_ENV=production", () => {
		const before = process.env.NODE_ENV;
		process.env.NODE_ENV = "production";
		try {
			expect(() => createSessions(options)).toThrow(ConfigError);
		} finally {
			if (before === undefined) delete process.env.NODE_ENV;
			else process.env.NODE_ENV = before;
		}
		expect(() => createSessions(options)).not.toThrow();
	});

	test("sess doctor warns while SESS_INSECURE=1 is set, and errors with NODE_ENV=production", () => {
		const cookie = (env: Record<string, string>) => auditSession(demoModel, key, env).filter((f) => f.topic === "cookie" && /SESS_INSECURE/.test(f.message));
		expect(cookie({})).toEqual([]);
		expect(cookie({ SESS_INSECURE: "1" }).map((f) => f.level)).toEqual(["warn"]);
		expect(cookie({ SESS_INSECURE: "1", NODE_ENV: "production" }).map((f) => f.level)).toEqual(["error"]);
	});
});
