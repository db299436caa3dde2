// Issue 11 §5, as the attack: with idle and absolute both 4 s, a promotion at +2 s must not keep the user
// logged in at +4.3 s. A privilege change (a `rotate` field such as role, or regenerate()) issues a new ID
// but keeps the absolute deadline and authenticatedAt (ASVS 7.3.2); only an authentication (the identity
// field set, or markAuthenticated()) restarts them. Both modes, every engine.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CookieJar } from "../helpers/harness.ts";
import { ENGINES, type OpenedStore } from "../helpers/engines.ts";
import { freshOptions, MODES, processOf, type Process, visit } from "./modes.ts";

const EXPIRY = { idle: "4s", absolute: "4s" } as const;

for (const engine of ENGINES) {
	describe.skipIf(engine.skip)(`§5 a privilege change is not an authentication, on ${engine.name}`, () => {
		let opened: OpenedStore | undefined;
		beforeAll(async () => {
			opened = await engine.open();
		});
		afterAll(async () => {
			await opened?.close();
		});

		for (const mode of MODES) {
			function setUp(): { p: Process; advance(ms: number): void; t0: number } {
				const options = freshOptions({ expiry: EXPIRY });
				return { p: processOf(mode, (opened as OpenedStore).store, options), advance: (ms) => options.clock.advance(ms), t0: options.clock.now() };
			}
			async function login(p: Process, user: string): Promise<CookieJar> {
				const jar = new CookieJar();
				await visit(p, jar, (s) => {
					s.userId = user;
					s.role = "user";
				});
				return jar;
			}

			test(`${mode} mode: promoted at +2 s, the user is logged out at +4.3 s (the absolute deadline and authenticatedAt are kept)`, async () => {
				const { p, advance, t0 } = setUp();
				const jar = await login(p, `hana-${crypto.randomUUID()}`);
				const copy = jar.clone();
				advance(2000);
				const promoted = await visit(p, jar, (s) => (s.role = "admin"));
				// A new ID all the same: the cookie from before the promotion is dead at once.
				expect(promoted.setCookies).toHaveLength(1);
				expect((await visit(p, copy)).session.userId).toBeUndefined();
				const after = await visit(p, jar);
				expect(after.session.role).toBe("admin");
				expect(after.session.authenticatedAt?.getTime()).toBe(t0);
				expect(after.session.createdAt?.getTime()).toBe(t0);
				expect(after.session.expiresAt?.getTime()).toBe(t0 + 4000);
				advance(2300);
				expect((await visit(p, jar)).session.userId).toBeUndefined();
			});

			test(`${mode} mode: regenerate() keeps the lifetime too; markAuthenticated() restarts it`, async () => {
				const { p, advance, t0 } = setUp();
				const jar = await login(p, `ivan-${crypto.randomUUID()}`);
				const other = jar.clone();
				advance(2000);
				await visit(p, jar, (s) => s.regenerate());
				expect((await visit(p, jar)).session.authenticatedAt?.getTime()).toBe(t0);
				advance(2300);
				expect((await visit(p, jar)).session.userId).toBeUndefined();

				const { p: q, advance: later, t0: start } = setUp();
				const again = await login(q, `ivan-${crypto.randomUUID()}`);
				later(2000);
				await visit(q, again, (s) => s.markAuthenticated());
				later(2300);
				const reauthenticated = await visit(q, again);
				expect(reauthenticated.session.userId).toBeDefined();
				expect(reauthenticated.session.authenticatedAt?.getTime()).toBe(start + 2000);
				expect(reauthenticated.session.expiresAt?.getTime()).toBe(start + 2000 + 4000);
				expect(other.get()).toBeDefined();
			});

			test(`${mode} mode: a login (the identity set) restarts the lifetime of the visitor's session`, async () => {
				const { p, advance, t0 } = setUp();
				const jar = new CookieJar();
				await visit(p, jar, (s) => (s.cart = [1]));
				advance(2000);
				await visit(p, jar, (s) => (s.userId = `jin-${crypto.randomUUID()}`));
				advance(2300);
				const { session } = await visit(p, jar);
				expect(session.userId).toBeDefined();
				expect(session.cart).toEqual([1]);
				expect(session.authenticatedAt?.getTime()).toBe(t0 + 2000);
			});
		}
	});
}
