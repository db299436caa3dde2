// Issue 11 §2, as the attack: a cookie copied before a rotation must die with the login it belongs to.
// Every cookie that descends from one login (rotations, grace re-issues, resealing under a new key) is
// ended by logout, regenerate() and revoke; a superseded cookie never starts a rotation of its own (no
// fork). Run in both modes, on every engine, through one process and through two processes that share
// only the store (a second client on the same table or prefix).
import { afterEach, describe, expect, test } from "bun:test";
import { CookieJar, newKey, SECOND } from "../helpers/harness.ts";
import { ENGINES, type OpenedStore } from "../helpers/engines.ts";
import { freshOptions, MODES, processOf, type Mode, type Process, type ProcessOptions, visit } from "./modes.ts";

const ROTATION = { every: "2s", grace: "1800ms" } as const;

/** What a replayed cookie gets: whether it loads the user, and whether whatever it is then issued does. */
async function replay(p: Process, jar: CookieJar): Promise<{ userId: string | undefined; issuedLoadsUser: boolean }> {
	const { session } = await visit(p, jar, (s) => (s.cart = [...s.cart, 9]));
	const again = await visit(p, jar);
	return { userId: session.userId, issuedLoadsUser: again.session.userId !== undefined };
}

for (const engine of ENGINES) {
	describe.skipIf(engine.skip)(`§2 a logout ends the whole login, on ${engine.name}`, () => {
		let opened: OpenedStore | undefined;
		afterEach(async () => {
			await opened?.close();
			opened = undefined;
		});

		for (const mode of MODES) {
			for (const processes of [1, 2] as const) {
				const where = `${mode} mode, ${processes === 1 ? "one process" : "two processes"}`;
				/** Process one, and process two (the same one when `processes` is 1). */
				async function setUp(options: Partial<ProcessOptions> = {}): Promise<{ one: Process; two: Process; options: ProcessOptions }> {
					opened = await engine.open();
					const all = freshOptions({ rotation: ROTATION, ...options });
					const one = processOf(mode as Mode, opened.store, all);
					const two = processes === 1 ? one : processOf(mode as Mode, opened.another(), all);
					return { one, two, options: all };
				}

				async function loggedIn(p: Process): Promise<CookieJar> {
					const jar = new CookieJar();
					const { setCookies } = await visit(p, jar, (s) => {
						s.userId = "carol";
						s.role = "user";
					});
					expect(setCookies).toHaveLength(1);
					return jar;
				}

				test(`${where}: copy the cookie, let it rotate, log out with the new one; the copy is dead inside and after the grace`, async () => {
					const { one, two, options } = await setUp();
					const jar = await loggedIn(one);
					const copy = jar.clone();
					options.clock.advance(2100);
					expect((await visit(two, jar)).setCookies).toHaveLength(1);
					expect(jar.get()).not.toBe(copy.get());
					const logout = await visit(one, jar, (s) => s.destroy());
					expect(logout.setCookies).toHaveLength(1);
					expect(logout.setCookies[0]).toContain("Max-Age=0");
					options.clock.advance(100);
					const inside = copy.clone();
					expect(await replay(two, inside)).toEqual({ userId: undefined, issuedLoadsUser: false });
					options.clock.advance(2 * SECOND);
					expect(await replay(one, copy.clone())).toEqual({ userId: undefined, issuedLoadsUser: false });
				});

				test(`${where}: a copy replayed inside the grace loads but forks nothing; after logout neither it nor what it was issued loads`, async () => {
					const { one, two, options } = await setUp();
					const jar = await loggedIn(one);
					const copy = jar.clone();
					options.clock.advance(2100);
					expect((await visit(one, jar)).setCookies).toHaveLength(1);
					options.clock.advance(100);
					const before = two.events.length;
					const { session } = await visit(two, copy, (s) => (s.cart = [4]));
					expect(session.userId).toBe("carol");
					// The superseded cookie started no rotation of its own.
					expect(two.events.slice(before).map((e) => e.type)).not.toContain("rotated");
					// Even well past rotation.every, it never rotates: it only lives out its grace.
					options.clock.advance(1500);
					const late = await visit(two, copy.clone());
					expect(late.setCookies.filter((c) => !c.includes("Max-Age=0"))).toEqual([]);
					await visit(one, jar, (s) => s.destroy());
					expect((await visit(two, copy.clone())).session.userId).toBeUndefined();
					options.clock.advance(5 * SECOND);
					expect((await visit(one, copy.clone())).session.userId).toBeUndefined();
				});

				test(`${where}: regenerate() (a privilege change) after a rotation ends the copy taken before it`, async () => {
					const { one, two, options } = await setUp();
					const jar = await loggedIn(one);
					const copy = jar.clone();
					options.clock.advance(2100);
					await visit(one, jar);
					await visit(two, jar, (s) => (s.role = "admin"));
					options.clock.advance(100);
					expect(await replay(one, copy.clone())).toEqual({ userId: undefined, issuedLoadsUser: false });
					expect((await visit(two, jar)).session.role).toBe("admin");
				});

				test(`${where}: revoke of the user after a rotation ends the copy taken before it`, async () => {
					const { one, two, options } = await setUp();
					const jar = await loggedIn(one);
					const copy = jar.clone();
					options.clock.advance(2100);
					await visit(one, jar);
					options.clock.advance(10);
					await two.sessions.revoke("userId", "carol");
					options.clock.advance(10);
					expect(await replay(one, copy.clone())).toEqual({ userId: undefined, issuedLoadsUser: false });
					expect((await visit(two, jar)).session.userId).toBeUndefined();
				});

				test(`${where}: a cookie resealed (re-signed) under a new key is the same login: logout with it ends the old-key copy`, async () => {
					const { one, options } = await setUp();
					const jar = await loggedIn(one);
					const copy = jar.clone();
					opened = opened as OpenedStore;
					const rekeyed = processOf(mode, processes === 1 ? opened.store : opened.another(), { ...options, keys: [newKey(), ...options.keys] });
					const resigned = await visit(rekeyed, jar);
					expect(resigned.setCookies).toHaveLength(1);
					expect(jar.get()).not.toBe(copy.get());
					await visit(rekeyed, jar, (s) => s.destroy());
					expect(await replay(rekeyed, copy.clone())).toEqual({ userId: undefined, issuedLoadsUser: false });
					expect(await replay(one, copy.clone())).toEqual({ userId: undefined, issuedLoadsUser: false });
				});
			}
		}
	});
}
