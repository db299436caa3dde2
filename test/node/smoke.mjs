// Node ≥ 20 smoke test of the built package: `sess` resolves through package.json "exports" to
// dist/ (run `npm run build` first). Silent on success; a failed assertion exits non-zero.
// Login → cookie → load → rotate → logout over Request/Response, a store outage, and sealed mode.
import assert from "node:assert/strict";
import * as z from "zod";
import { createCodec, createSessionManager, Session } from "sess";
import { defineSession } from "sess/schema";
import { withSession } from "sess/adapters/fetch";
import { generate } from "sess/generator";
import { MemoryStore } from "sess/stores/memory";

const ORIGIN = "https://app.test";
const MINUTE = 60_000;
const KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

const data = z.object({
	userId: z.string().min(1).max(64).optional().meta({ column: true, rotate: true }),
	theme: z.enum(["light", "dark"]).default("light"),
});

/** What `sess generate` writes, done in memory: the lock from the generator, then codec and Session class. */
async function compile(definition) {
	const model = defineSession(definition);
	const config = { schema: "schema.ts", out: "gen", dialects: [], migrations: "migrations", lock: "sess.lock.json", runtimeImport: "sess" };
	const files = await generate({ model, schemaPath: "schema.ts", lock: null, migrations: {}, config });
	const lock = JSON.parse(files.find((f) => f.path === "sess.lock.json").contents);
	class AppSession extends Session {
		get userId() {
			return this.read("userId");
		}
		set userId(value) {
			this.write("userId", value);
		}
		get theme() {
			return this.read("theme");
		}
		set theme(value) {
			this.write("theme", value);
		}
	}
	return { model, codec: createCodec(model, lock), Session: AppSession };
}

/** A browser's cookie jar for one origin. */
function createJar() {
	let cookie = null;
	return {
		request(path, init = {}) {
			const headers = new Headers(init.headers);
			if (cookie !== null) headers.set("cookie", cookie);
			return new Request(new URL(path, ORIGIN), { ...init, headers });
		},
		apply(response) {
			for (const header of response.headers.getSetCookie()) {
				const pair = header.split(";")[0];
				cookie = /Max-Age=0(;|$)/.test(header) ? null : pair;
			}
		},
		get value() {
			return cookie;
		},
		clone() {
			const copy = createJar();
			if (cookie !== null) copy.apply(new Response(null, { headers: { "set-cookie": cookie } }));
			return copy;
		},
	};
}

function app(sessions) {
	return withSession(sessions, async (request, session) => {
		const path = new URL(request.url).pathname;
		if (path === "/login") session.userId = (await request.json()).userId;
		else if (path === "/theme") session.theme = "dark";
		else if (path === "/logout") session.destroy();
		return Response.json({ userId: session.userId ?? null, theme: session.theme });
	});
}

async function send(handler, jar, path, init) {
	const response = await handler(jar.request(path, init));
	jar.apply(response);
	return response;
}

const schema = await compile({ data });
let now = Date.UTC(2030, 0, 1);
const store = new MemoryStore();
const handler = app(createSessionManager(schema, { store, keys: [KEY], now: () => now }));

// Login: a rotate field changes, so a new ID and a __Host- cookie, uncacheable.
const jar = createJar();
const login = await send(handler, jar, "/login", { method: "POST", body: JSON.stringify({ userId: "u1" }) });
assert.equal(login.status, 200);
assert.match(login.headers.getSetCookie()[0], /^__Host-sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=43200; Secure; HttpOnly; SameSite=Lax$/);
assert.equal(login.headers.get("cache-control"), "private, no-store");
assert.equal(store.size, 1);

// Load: the cookie brings the session back; reading sends no cookie.
const me = await send(handler, jar, "/me");
assert.deepEqual(await me.json(), { userId: "u1", theme: "light" });
assert.deepEqual(me.headers.getSetCookie(), []);

// Rotate: after 15 minutes a new cookie; the old one still works for the 30 s grace window, then dies.
const old = jar.clone();
now += 15 * MINUTE;
const rotated = await send(handler, jar, "/theme", { method: "POST" });
assert.equal(rotated.headers.getSetCookie().length, 1);
assert.notEqual(jar.value, old.value);
now += 29_000;
assert.deepEqual(await (await send(handler, old.clone(), "/me")).json(), { userId: "u1", theme: "dark" });
now += 1_000;
assert.deepEqual(await (await send(handler, old, "/me")).json(), { userId: null, theme: "light" });

// A cross-site POST is refused before the store is read.
const forged = await send(handler, jar, "/logout", { method: "POST", headers: { "sec-fetch-site": "cross-site", origin: "https://evil.test" } });
assert.equal(forged.status, 403);

// Logout: the row goes at once and the cookie is cleared.
const stolen = jar.clone();
const logout = await send(handler, jar, "/logout", { method: "POST" });
assert.deepEqual(logout.headers.getSetCookie(), ["__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]);
assert.equal(store.size, 0);
assert.deepEqual(await (await send(handler, stolen, "/me")).json(), { userId: null, theme: "light" });

// A failing store answers 503 and leaves the cookie alone: StoreUnavailableError thrown in one
// built module is recognised in another, so dist/ holds one copy of each class.
const down = new MemoryStore();
down.get = () => {
	throw new Error("connection refused");
};
const outage = await app(createSessionManager(schema, { store: down, keys: [KEY] }))(stolen.request("/me"));
assert.equal(outage.status, 503);
assert.deepEqual(outage.headers.getSetCookie(), []);

// Sealed mode: the session in an AES-256-GCM cookie, MemoryStore holding only revocations.
const sealedSchema = await compile({ data, sealed: true });
const revocations = new MemoryStore();
const sealed = app(createSessionManager(sealedSchema, { mode: "sealed", revocations, keys: [KEY] }));
const device = createJar();
await send(sealed, device, "/login", { method: "POST", body: JSON.stringify({ userId: "visible-user" }) });
assert.doesNotMatch(device.value, /visible-user/);
assert.equal(revocations.size, 0);
assert.deepEqual(await (await send(sealed, device, "/me")).json(), { userId: "visible-user", theme: "light" });
const copy = device.clone();
await send(sealed, device, "/logout", { method: "POST" });
assert.equal(device.value, null);
assert.equal(revocations.size, 1);
assert.deepEqual(await (await send(sealed, copy, "/me")).json(), { userId: null, theme: "light" });
