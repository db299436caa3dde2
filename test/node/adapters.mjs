// Node ≥ 20 smoke test of the built framework adapters (run `npm run build` first): Hono through
// `app.request`, Elysia through `app.handle`, and the Deno handler called as Deno.serve would.
// Silent on success; a failed assertion exits non-zero.
import assert from "node:assert/strict";
import { Elysia } from "elysia";
import { Hono } from "hono";
import * as z from "zod";
import { createCodec, createSessionManager, Session } from "sess";
import { defineSession } from "sess/schema";
import { sessionHandler } from "sess/adapters/deno";
import { sessionPlugin } from "sess/adapters/elysia";
import { sessionMiddleware } from "sess/adapters/hono";
import { generate } from "sess/generator";
import { MemoryStore } from "sess/stores/memory";

const KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
const model = defineSession({ data: z.object({ visits: z.int().min(0).default(0) }) });
const config = { schema: "schema.ts", out: "gen", dialects: [], migrations: "migrations", lock: "sess.lock.json", runtimeImport: "sess" };
const files = await generate({ model, schemaPath: "schema.ts", lock: null, migrations: {}, config });
const lock = JSON.parse(files.find((f) => f.path === "sess.lock.json").contents);

class AppSession extends Session {
	get visits() {
		return this.read("visits");
	}
	set visits(value) {
		this.write("visits", value);
	}
}

const sessions = createSessionManager({ model, codec: createCodec(model, lock), Session: AppSession }, { store: new MemoryStore(), keys: [KEY] });

/** Two visits with the cookie the first one set: the count must survive, and a cross-site POST gets 403. */
async function check(name, fetchLike) {
	const first = await fetchLike(new Request("https://app.test/count"));
	const cookie = first.headers.getSetCookie()[0]?.split(";")[0];
	assert.ok(cookie?.startsWith("__Host-sid="), `${name}: no session cookie`);
	assert.equal(await first.text(), "1", name);
	const second = await fetchLike(new Request("https://app.test/count", { headers: { cookie } }));
	assert.equal(await second.text(), "2", name);
	const forged = await fetchLike(new Request("https://app.test/count", { method: "POST", headers: { cookie, "sec-fetch-site": "cross-site", origin: "https://evil.test" } }));
	assert.equal(forged.status, 403, name);
	// A value the schema refuses, escaping the handler: 400 from the built adapter (one InvalidDataError class across dist chunks).
	const bad = await fetchLike(new Request("https://app.test/count?bad", { headers: { cookie } }));
	assert.equal(bad.status, 400, name);
	assert.match(await bad.text(), /^Invalid input: data\.visits: /, name);
}

/** The next count, or -1 (which the schema refuses) when the request asks for a bad value. */
function next(request, visits) {
	return new URL(request.url).searchParams.has("bad") ? -1 : visits + 1;
}

// An app's quiet catch-all (Hono's default logs the error's stack); the middleware still answers 400.
const hono = new Hono().onError((_error, c) => c.text("error", 500)).use(sessionMiddleware(sessions)).all("/count", (c) => {
	const session = c.get("session");
	session.visits = next(c.req.raw, session.visits);
	return c.text(String(session.visits));
});
await check("hono", (request) => hono.request(request));

const elysia = new Elysia().use(sessionPlugin(sessions)).all("/count", ({ request, session }) => {
	session.visits = next(request, session.visits);
	return String(session.visits);
});
await check("elysia", (request) => elysia.handle(request));

const deno = sessionHandler(sessions, (request, session, info) => {
	assert.equal(info.remoteAddr.hostname, "127.0.0.1");
	session.visits = next(request, session.visits);
	return new Response(String(session.visits));
});
await check("deno", (request) => deno(request, { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 }, completed: Promise.resolve() }));
