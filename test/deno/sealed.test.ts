// Sealed (stateless) mode under Deno (bun test runs this folder too): the session travels in an
// AES-256-GCM cookie, and MemoryStore holds only revocations.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MemoryStore } from "sess/stores/memory";
import { createSessions, type Session, type Sessions } from "../../examples/demo/src/generated/session.ts";
import { CookieJar, MINUTE, fakeClock, newKey, type FakeClock } from "../helpers/harness.ts";

interface Sealed {
	sessions: Sessions;
	revocations: MemoryStore;
	clock: FakeClock;
}

function sealed(): Sealed {
	const clock = fakeClock();
	const revocations = new MemoryStore();
	return { sessions: createSessions({ mode: "sealed", revocations, keys: [newKey()], now: clock.now }), revocations, clock };
}

async function visit(h: Sealed, jar: CookieJar, fn: (s: Session) => unknown = () => undefined): Promise<{ session: Session; setCookies: string[] }> {
	const session = await h.sessions.load(jar.request());
	await fn(session);
	const setCookies = (await h.sessions.commit(session, new Response("ok"))).headers.getSetCookie();
	jar.apply(setCookies);
	return { session, setCookies };
}

describe("sealed mode", () => {
	test("data travels in an encrypted cookie and the revocation store holds nothing", async () => {
		const h = sealed();
		const jar = new CookieJar();
		const { setCookies } = await visit(h, jar, (s) => (s.userId = "visible-user"));
		assert.equal(setCookies.length, 1);
		assert.doesNotMatch(setCookies[0] ?? "", /visible-user/);
		assert.equal((await visit(h, jar)).session.userId, "visible-user");
		assert.equal(h.revocations.size, 0);
	});

	test("a tampered cookie is a fresh session", async () => {
		const h = sealed();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.cart = [1]));
		const value = jar.get() ?? "";
		jar.set("__Host-sid", value.slice(0, -2) + (value.endsWith("AA") ? "BB" : "AA"));
		assert.equal((await visit(h, jar)).session.isNew, true);
	});

	test("logout denies the old cookie through the revocation store", async () => {
		const h = sealed();
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.userId = "u1"));
		const copy = jar.clone();
		const logout = await visit(h, jar, (s) => s.destroy());
		assert.deepEqual(logout.setCookies, ["__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"]);
		assert.equal(h.revocations.size, 1);
		assert.equal((await visit(h, copy)).session.isNew, true);
	});

	test("revoke-others logs the user out on other devices and re-issues the kept one's cookie", async () => {
		const h = sealed();
		const phone = new CookieJar();
		const laptop = new CookieJar();
		await visit(h, phone, (s) => (s.userId = "u1"));
		await visit(h, laptop, (s) => (s.userId = "u1"));
		h.clock.advance(1 * MINUTE);
		const { setCookies } = await visit(h, laptop, async (s) => {
			await h.sessions.revoke("userId", "u1", { except: s });
		});
		assert.equal(setCookies.length, 1);
		h.clock.advance(1 * MINUTE);
		assert.equal((await visit(h, phone)).session.userId, undefined);
		assert.equal((await visit(h, laptop)).session.userId, "u1");
	});
});
