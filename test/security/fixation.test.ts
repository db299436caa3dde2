// Session fixation (ASVS 7.2.4; CVE-2022-25896 passport, CVE-2023-29019 @fastify/passport):
// an attacker plants a cookie in the victim's browser before login and hopes to share the session after.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { model } from "../../examples/demo/src/generated/session.ts";
import { migrateDatabase } from "../../generator/database.ts";
import { SQLiteStore } from "../../src/stores/sqlite.ts";
import { hashSessionToken } from "../../src/token.ts";
import { Browser } from "../helpers/demo-process.ts";
import { COOKIE, CookieJar, MINUTE, SECOND, makeSessions, newKey, visit, type Harness } from "../helpers/harness.ts";
import { cookieValue, login, rowIdOf, signWith, startTempDemo, storedJar, type TempDemo } from "./support.ts";

/** A 43-character token the attacker picked (well-formed, never issued by the server). */
const CHOSEN = "attackerChosenTokenAAAAAAAAAAAAAAAAAAAAAAAA".slice(0, 43);

/** What the attacker's copy of the cookie shows after the victim logged in. */
async function attackerView(h: Harness, attacker: CookieJar) {
	const { session, setCookies } = await visit(h, attacker);
	return { isNew: session.isNew, data: session.toJSON(), setCookies };
}

describe("fixation: a cookie planted before login (in process)", () => {
	test("an attacker's valid anonymous session planted before login never becomes the logged-in ID", async () => {
		const h = makeSessions();
		const attacker = await storedJar(h, (s) => (s.theme = "light"));
		const victim = attacker.clone();
		await login(h, victim, "victim");
		expect(victim.token()).not.toBe(attacker.token());
		// The planted ID is gone from the store, not merely unused.
		expect(h.store.get(attacker.rowId() ?? "")).toBeNull();
		const row = h.store.get(victim.rowId() ?? "");
		expect(row?.columns.user_id).toBe("victim");
		expect(h.eventsOf("regenerated")).toHaveLength(1);
	});

	test("the planted cookie sees nothing of the victim's session after login: no user, role, cart or flash", async () => {
		const h = makeSessions();
		const attacker = await storedJar(h, (s) => (s.theme = "light"));
		const victim = attacker.clone();
		await login(h, victim, "victim");
		await visit(h, victim, (s) => {
			s.cart = [42];
			s.flash.set("message", "welcome back");
		});
		expect(await attackerView(h, attacker)).toEqual({ isNew: true, data: { role: "guest", cart: [] }, setCookies: [] });
		expect(h.eventsOf("unknown_id")).toEqual([{ type: "unknown_id", id: (attacker.rowId() ?? "").slice(0, 12) }]);
		// The victim still has everything, flash included: the attacker's visit consumed nothing.
		const { session } = await visit(h, victim, (s) => expect(s.flash.take("message")).toBe("welcome back"));
		expect(session.toJSON()).toEqual({ userId: "victim", role: "user", cart: [42], theme: "light" });
	});

	test("what the attacker writes through the planted cookie after login lands in a new session, never the victim's", async () => {
		const h = makeSessions();
		const attacker = await storedJar(h);
		const victim = attacker.clone();
		await login(h, victim, "victim");
		const { setCookies } = await visit(h, attacker, (s) => (s.cart = [666]));
		expect(setCookies).toHaveLength(1);
		expect(attacker.rowId()).not.toBe(victim.rowId());
		expect((await visit(h, victim)).session.cart).toEqual([1, 2, 3]);
		expect(await h.sessions.list("userId", "victim")).toHaveLength(1);
	});

	test("the victim's session list after login shows only the victim's own session, not the planted one", async () => {
		const h = makeSessions();
		const attacker = await storedJar(h);
		const victim = attacker.clone();
		await login(h, victim, "victim");
		await visit(h, attacker);
		const { session } = await visit(h, victim);
		const list = await h.sessions.list("userId", "victim", { current: session });
		expect(list.map((s) => s.current)).toEqual([true]);
	});

	test("an attacker-chosen token signed with the app's own key is never adopted, not even by a write before login", async () => {
		const h = makeSessions();
		const planted = new CookieJar();
		planted.set(COOKIE, signWith(h.keys, CHOSEN));
		const victim = planted.clone();
		let loadedAsNew: boolean | undefined;
		const { setCookies } = await visit(h, victim, (s) => {
			loadedAsNew = s.isNew;
			s.cart = [1];
		});
		expect(loadedAsNew).toBe(true);
		expect(setCookies).toHaveLength(1);
		expect(victim.token()).not.toBe(CHOSEN);
		expect(h.store.get(hashSessionToken(CHOSEN))).toBeNull();
		expect(h.eventsOf("unknown_id")).toEqual([{ type: "unknown_id", id: hashSessionToken(CHOSEN).slice(0, 12) }]);
	});

	test("an attacker-chosen token signed with the app's own key never becomes the logged-in ID", async () => {
		const h = makeSessions();
		const planted = new CookieJar();
		planted.set(COOKIE, signWith(h.keys, CHOSEN));
		const victim = planted.clone();
		await login(h, victim, "victim");
		expect(victim.token()).not.toBe(CHOSEN);
		expect(h.store.get(hashSessionToken(CHOSEN))).toBeNull();
		expect(await attackerView(h, planted)).toEqual({ isNew: true, data: { role: "guest", cart: [] }, setCookies: [] });
	});

	test("a well-formed cookie signed with the attacker's own key is never adopted at login", async () => {
		const h = makeSessions();
		const planted = new CookieJar();
		planted.set(COOKIE, signWith([newKey()], CHOSEN));
		const victim = planted.clone();
		await login(h, victim, "victim");
		expect(victim.token()).not.toBe(CHOSEN);
		expect(h.store.get(hashSessionToken(CHOSEN))).toBeNull();
		expect(h.eventsOf("cookie_invalid")).toEqual([{ type: "cookie_invalid", reason: "bad_signature" }]);
		expect((await attackerView(h, planted)).isNew).toBe(true);
	});

	test("an unsigned raw token planted as the cookie is never adopted at login", async () => {
		const h = makeSessions();
		const planted = new CookieJar();
		planted.set(COOKIE, CHOSEN);
		const victim = planted.clone();
		await login(h, victim, "victim");
		expect(victim.token()).not.toBe(CHOSEN);
		expect(h.store.get(hashSessionToken(CHOSEN))).toBeNull();
		expect(h.store.size).toBe(1);
		expect((await attackerView(h, planted)).isNew).toBe(true);
	});

	test("a planted cookie kept alive as a rotation grace alias dies the moment the victim logs in", async () => {
		const h = makeSessions();
		const attacker = await storedJar(h);
		const victim = attacker.clone();
		h.clock.advance(15 * MINUTE);
		await visit(h, victim); // periodic rotation: the victim moves on, the planted ID becomes a 30 s alias
		expect(victim.token()).not.toBe(attacker.token());
		expect((await visit(h, attacker)).session.isNew).toBe(false); // the alias still works (control)
		h.clock.advance(5 * SECOND);
		await login(h, victim, "victim");
		expect(await attackerView(h, attacker)).toEqual({ isNew: true, data: { role: "guest", cart: [] }, setCookies: [] });
		expect(h.store.size).toBe(1);
	});
});

describe("fixation: the attacker wins the periodic rotation race", () => {
	test("an attacker who took the rotated ID still loses the session when the victim logs in through the grace alias", async () => {
		const h = makeSessions();
		const attacker = await storedJar(h);
		const victim = attacker.clone();
		h.clock.advance(15 * MINUTE);
		await visit(h, attacker); // the attacker's request rotates first and holds the new ID
		expect(attacker.token()).not.toBe(victim.token());
		h.clock.advance(5 * SECOND);
		await login(h, victim, "victim"); // through the old ID, now a grace alias of the attacker's
		expect(victim.token()).not.toBe(attacker.token());
		expect(await attackerView(h, attacker)).toEqual({ isNew: true, data: { role: "guest", cart: [] }, setCookies: [] });
		expect((await visit(h, victim)).session.userId).toBe("victim");
		expect(h.store.size).toBe(1);
	});
});

describe("fixation: grace aliases in SQLite", () => {
	const dirs: string[] = [];
	afterAll(() => {
		for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
	});

	test("with the SQLite store, a planted cookie kept alive as a grace alias also dies at login", async () => {
		const dir = mkdtempSync(join(tmpdir(), "sess-fix-"));
		dirs.push(dir);
		const file = join(dir, "s.db");
		await migrateDatabase(file, join(import.meta.dir, "..", "..", "examples", "demo", "migrations"));
		const db = new Database(file);
		try {
			const h = makeSessions({ store: new SQLiteStore(db, { table: model.table }) });
			const attacker = await storedJar(h);
			const victim = attacker.clone();
			h.clock.advance(15 * MINUTE);
			await visit(h, victim);
			h.clock.advance(5 * SECOND);
			await login(h, victim, "victim");
			expect((await visit(h, attacker)).session.isNew).toBe(true);
			const ids = (db.query("SELECT id FROM sessions").all() as { id: string }[]).map((r) => r.id);
			expect(ids).toEqual([victim.rowId() ?? ""]);
		} finally {
			db.close();
		}
	});
});

describe("fixation: against the running demo over HTTP", () => {
	let app: TempDemo;
	beforeAll(async () => {
		app = await startTempDemo();
	});
	afterAll(async () => {
		await app.stop();
	});

	/** A browser whose jar holds `value` as the session cookie before it ever visits. */
	function planted(value: string): Browser {
		const b = new Browser();
		b.cookie = `${COOKIE}=${value}`;
		return b;
	}

	test("a planted anonymous demo session never becomes the logged-in ID, and sees nothing after login (HTTP)", async () => {
		const attacker = new Browser();
		await attacker.send(app.base, "POST", "/api/cart", { item: 13 });
		const plantedValue = cookieValue(attacker.cookie ?? "");
		const victim = planted(plantedValue);
		const login = await victim.send(app.base, "POST", "/api/login", { userId: "victim" });
		expect(login.status).toBe(200);
		expect(victim.setCookies).toHaveLength(1);
		const victimValue = cookieValue(victim.cookie ?? "");
		expect(victimValue.split(".")[0]).not.toBe(plantedValue.split(".")[0]);
		const seen = await attacker.send(app.base, "GET", "/api/session");
		expect(seen.json).toEqual({ userId: null, role: "guest", cart: [], theme: null, flash: null, bound: false });
		expect(attacker.setCookies).toEqual([]);
		expect(app.rows(`id = '${rowIdOf(plantedValue)}'`)).toBe(0);
		expect(app.rows("user_id = 'victim'")).toBe(1);
		expect(app.rows(`id = '${rowIdOf(victimValue)}' AND user_id = 'victim'`)).toBe(1);
	});

	test("a planted cookie signed with the demo's key but unknown to the store is never adopted (HTTP)", async () => {
		const chosen = CHOSEN.slice(0, 42) + "B";
		const victim = planted(signWith([app.key], chosen));
		expect((await victim.send(app.base, "POST", "/api/login", { userId: "victim2" })).status).toBe(200);
		expect(cookieValue(victim.cookie ?? "").split(".")[0]).not.toBe(chosen);
		expect(app.rows(`id = '${hashSessionToken(chosen)}'`)).toBe(0);
		const seen = await planted(signWith([app.key], chosen)).send(app.base, "GET", "/api/session");
		expect((seen.json as { userId: unknown }).userId).toBeNull();
	});

	test("a planted unsigned raw token is never adopted (HTTP)", async () => {
		const chosen = CHOSEN.slice(0, 42) + "C";
		const victim = planted(chosen);
		expect((await victim.send(app.base, "POST", "/api/login", { userId: "victim3" })).status).toBe(200);
		expect(cookieValue(victim.cookie ?? "").split(".")[0]).not.toBe(chosen);
		expect(app.rows(`id = '${hashSessionToken(chosen)}'`)).toBe(0);
		expect(app.rows("user_id = 'victim3'")).toBe(1);
	});

	test("a privilege change (promote to admin) issues a new ID; the user-level cookie cannot reach the admin session (HTTP)", async () => {
		const b = new Browser();
		await b.send(app.base, "POST", "/api/login", { userId: "mallory" });
		const userLevel = planted(cookieValue(b.cookie ?? ""));
		expect((await b.send(app.base, "POST", "/api/promote")).json).toEqual({ userId: "mallory", role: "admin" });
		expect(b.setCookies).toHaveLength(1);
		const seen = await userLevel.send(app.base, "GET", "/api/session");
		expect(seen.json).toEqual({ userId: null, role: "guest", cart: [], theme: null, flash: null, bound: false });
		expect(((await b.send(app.base, "GET", "/api/session")).json as { role: unknown }).role).toBe("admin");
	});
});
