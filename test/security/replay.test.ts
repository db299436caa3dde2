// Replay of a stolen or stale cookie (ASVS 7.4.1 termination, 7.4.2/7.4.5 revocation, 7.3.1/7.3.2 timeouts;
// CVE-2024-31999 @fastify/secure-session, iron-session#530): once a session ends, its cookie is dead at
// once, and replaying it never brings the row back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Browser } from "../helpers/demo-process.ts";
import type { MemoryStore } from "../../src/stores/memory.ts";
import { CookieJar, HOUR, MINUTE, SECOND, makeSessions, visit, type Harness } from "../helpers/harness.ts";
import { cookieValue, login, rowIdOf, startTempDemo, storedJar, type TempDemo } from "./support.ts";

/**
 * Replays `stolen` twice: once read-only, once writing. Returns what the thief saw and checks the
 * write went to a brand-new row (new token, none of the old data), never to `deadRowId`. Afterwards
 * the old ID has no row at all, or (`"expired alias"`) only the retired alias row exactly as rotation
 * left it: past its deadline, pointing at its successor, holding no data, never touched or rewritten.
 */
async function replay(h: Harness<MemoryStore>, stolen: CookieJar, deadRowId: string, afterwards: "gone" | "expired alias" = "gone") {
	const before = h.store.get(deadRowId);
	const thief = stolen.clone();
	const read = await visit(h, thief);
	const view = { isNew: read.session.isNew, data: read.session.toJSON(), setCookies: read.setCookies };
	const write = await visit(h, thief, (s) => (s.cart = [...s.cart, 666]));
	expect(write.setCookies).toHaveLength(1);
	expect(thief.rowId()).not.toBe(deadRowId);
	expect(thief.token()).not.toBe(stolen.token());
	if (afterwards === "gone") expect(h.store.get(deadRowId)).toBeNull();
	else {
		expect(before).not.toBeNull();
		expect(h.store.get(deadRowId)).toEqual(before);
		expect(before?.successorId).not.toBeNull();
		expect(before?.data).toEqual(new Uint8Array(0));
		expect(before?.idleExpiresAt).toBeLessThanOrEqual(h.clock.now());
	}
	expect(write.session.toJSON()).toEqual({ role: "guest", cart: [666] });
	return view;
}

const DEAD: Awaited<ReturnType<typeof replay>> = { isNew: true, data: { role: "guest", cart: [] }, setCookies: [] };

describe("replay after the session ends (in process)", () => {
	test("after logout (destroy) a copy of the cookie is dead at once and replaying it never resurrects the row", async () => {
		const h = makeSessions();
		const victim = new CookieJar();
		await login(h, victim, "victim");
		const stolen = victim.clone();
		const id = victim.rowId() ?? "";
		await visit(h, victim, (s) => s.destroy());
		expect(await replay(h, stolen, id)).toEqual(DEAD);
		expect(h.eventsOf("unknown_id").map((e) => e.id)).toContain(id.slice(0, 12));
		expect(await h.sessions.list("userId", "victim")).toEqual([]);
	});

	test("after revoke-others, the other devices' cookies are dead at once; the device that revoked keeps working", async () => {
		const h = makeSessions();
		const laptop = new CookieJar();
		const stolenPhone = new CookieJar();
		await login(h, laptop, "victim");
		await login(h, stolenPhone, "victim");
		const phoneId = stolenPhone.rowId() ?? "";
		const { session } = await visit(h, laptop);
		expect(await h.sessions.revoke("userId", "victim", { except: session })).toBe(1);
		expect(await replay(h, stolenPhone, phoneId)).toEqual(DEAD);
		expect((await visit(h, laptop)).session.userId).toBe("victim");
	});

	test("after an admin revokes every session of a user, every cookie of that user is dead, grace aliases included", async () => {
		const h = makeSessions();
		const a = new CookieJar();
		const b = new CookieJar();
		await login(h, a, "victim");
		await login(h, b, "victim");
		const preRotation = a.clone();
		h.clock.advance(15 * MINUTE);
		await visit(h, a); // periodic rotation: preRotation is now a 30 s grace alias
		expect((await visit(h, preRotation.clone())).session.userId).toBe("victim"); // control: the alias works
		expect(await h.sessions.revoke("userId", "victim")).toBe(2);
		expect(h.store.size).toBe(0);
		for (const jar of [a, b, preRotation]) expect(await replay(h, jar, jar.rowId() ?? "")).toEqual(DEAD);
	});

	test("after login (rotate field userId changes) the pre-login cookie is dead at once", async () => {
		const h = makeSessions();
		const jar = await storedJar(h);
		const before = jar.clone();
		await login(h, jar, "victim");
		expect(await replay(h, before, before.rowId() ?? "")).toEqual(DEAD);
	});

	test("after a privilege change (rotate field role changes) the lower-privilege cookie is dead at once", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await login(h, jar, "victim");
		const userLevel = jar.clone();
		const { setCookies } = await visit(h, jar, (s) => (s.role = "admin"));
		expect(setCookies).toHaveLength(1);
		expect(await replay(h, userLevel, userLevel.rowId() ?? "")).toEqual(DEAD);
		expect((await visit(h, jar)).session.role).toBe("admin");
	});

	test("after regenerate() the old cookie is dead at once, even within the rotation grace period", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await login(h, jar, "victim");
		const old = jar.clone();
		await visit(h, jar, (s) => s.regenerate());
		h.clock.advance(1 * SECOND);
		expect(await replay(h, old, old.rowId() ?? "")).toEqual(DEAD);
	});

	test("after periodic rotation the old cookie still works 1 ms before the 30 s grace ends, and is dead at 30 s", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await login(h, jar, "victim");
		const old = jar.clone();
		h.clock.advance(15 * MINUTE);
		expect((await visit(h, jar)).setCookies).toHaveLength(1);
		h.clock.advance(30 * SECOND - 1);
		const during = await visit(h, old.clone());
		expect({ isNew: during.session.isNew, userId: during.session.userId, setCookies: during.setCookies }).toEqual({ isNew: false, userId: "victim", setCookies: [] });
		h.clock.advance(1);
		expect(await replay(h, old, old.rowId() ?? "", "gone")).toEqual(DEAD);
		// The first replay meets the dead alias and deletes it; the second finds nothing at all.
		expect(h.eventsOf("grace_expired").map((e) => e.id)).toEqual([(old.rowId() ?? "").slice(0, 12)]);
		expect(h.eventsOf("unknown_id").map((e) => e.id)).toContain((old.rowId() ?? "").slice(0, 12));
		expect((await visit(h, jar)).session.userId).toBe("victim");
		expect(h.store.get(old.rowId() ?? "")).toBeNull();
		expect(await h.sessions.prune()).toBe(0);
	});

	test("a cookie used during grace is never re-issued a fresh ID: the thief holding it cannot outlive the grace period", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await login(h, jar, "victim");
		const thief = jar.clone();
		h.clock.advance(15 * MINUTE);
		await visit(h, jar);
		const issued: string[] = [];
		for (let i = 0; i < 29; i++) {
			h.clock.advance(SECOND);
			issued.push(...(await visit(h, thief, (s) => (s.theme = i % 2 === 0 ? "dark" : "light"))).setCookies);
		}
		expect(issued).toEqual([]);
		h.clock.advance(SECOND);
		expect((await visit(h, thief)).session.isNew).toBe(true);
	});

	test("after 30 idle minutes a copied cookie is dead and the row is deleted", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await login(h, jar, "victim");
		const id = jar.rowId() ?? "";
		expect(h.store.get(id)?.idleExpiresAt).toBe(h.clock.now() + 30 * MINUTE);
		h.clock.advance(30 * MINUTE);
		expect(await replay(h, jar, id)).toEqual(DEAD);
		expect(h.eventsOf("idle_expired")).toEqual([{ type: "idle_expired", id: id.slice(0, 12) }]);
	});

	test("after the 12 h absolute lifetime a stolen cookie is dead even though the user stayed active", async () => {
		const h = makeSessions();
		const jar = new CookieJar();
		await login(h, jar, "victim");
		for (let t = 0; t < 12 * HOUR - 10 * MINUTE; t += 10 * MINUTE) {
			h.clock.advance(10 * MINUTE);
			expect((await visit(h, jar)).session.userId).toBe("victim");
		}
		const stolen = jar.clone();
		const id = jar.rowId() ?? "";
		h.clock.advance(10 * MINUTE);
		expect(await replay(h, stolen, id)).toEqual(DEAD);
		expect(h.eventsOf("absolute_expired")).toEqual([{ type: "absolute_expired", id: id.slice(0, 12) }]);
	});
});

describe("replay against the running demo over HTTP", () => {
	let app: TempDemo;
	beforeAll(async () => {
		app = await startTempDemo();
	});
	afterAll(async () => {
		await app.stop();
	});

	const anonymousView = { userId: null, role: "guest", cart: [], theme: null, flash: null, bound: false };

	test("after logout over HTTP, a copied cookie gets the anonymous view, and SQLite holds no row for it, even after a write", async () => {
		const victim = new Browser();
		await victim.send(app.base, "POST", "/api/login", { userId: "replay-victim" });
		const thief = victim.clone();
		const id = rowIdOf(cookieValue(victim.cookie ?? ""));
		expect((await victim.send(app.base, "POST", "/api/logout")).status).toBe(200);
		expect((await thief.send(app.base, "GET", "/api/session")).json).toEqual(anonymousView);
		expect(thief.setCookies).toEqual([]);
		expect((await thief.send(app.base, "POST", "/api/cart", { item: 6 })).json).toEqual({ cart: [6] });
		expect(thief.setCookies).toHaveLength(1);
		expect(rowIdOf(cookieValue(thief.cookie ?? ""))).not.toBe(id);
		expect(app.rows(`id = '${id}'`)).toBe(0);
		expect(app.rows("user_id = 'replay-victim'")).toBe(0);
	});

	test("after revoke-others over HTTP, the other device's cookie is dead and its row gone", async () => {
		const laptop = new Browser();
		const phone = new Browser();
		await laptop.send(app.base, "POST", "/api/login", { userId: "two-devices" });
		await phone.send(app.base, "POST", "/api/login", { userId: "two-devices" });
		const phoneId = rowIdOf(cookieValue(phone.cookie ?? ""));
		expect((await laptop.send(app.base, "POST", "/api/sessions/revoke-others")).json).toEqual({ revoked: 1 });
		expect((await phone.send(app.base, "GET", "/api/session")).json).toEqual(anonymousView);
		expect(app.rows(`id = '${phoneId}'`)).toBe(0);
		expect(app.rows("user_id = 'two-devices'")).toBe(1);
	});
});
