// Issue 11 §3b, as the attack: device 2 logs in and device 1 calls revoke-others in the same millisecond.
// A clock that never moves makes every tie happen: issuance and revocation share one timestamp. A revoke
// must end every session issued before it whatever the clock's resolution, while the device that asked
// keeps working (it is issued a cookie ordered after the revocation). Both modes, every engine.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CookieJar } from "../helpers/harness.ts";
import { ENGINES, type OpenedStore } from "../helpers/engines.ts";
import { freshOptions, MODES, processOf, type Process, visit } from "./modes.ts";

async function login(p: Process, user: string): Promise<CookieJar> {
	const jar = new CookieJar();
	await visit(p, jar, (s) => {
		s.userId = user;
		s.role = "user";
	});
	return jar;
}

for (const engine of ENGINES) {
	describe.skipIf(engine.skip)(`§3b a revoke wins within its millisecond, on ${engine.name}`, () => {
		let opened: OpenedStore | undefined;
		beforeAll(async () => {
			opened = await engine.open();
		});
		afterAll(async () => {
			await opened?.close();
		});

		for (const mode of MODES) {
			test(`${mode} mode: device 2 logs in and device 1 revokes the others in the same millisecond; device 2 is out, device 1 stays`, async () => {
				const options = freshOptions();
				const frozen = options.clock.now();
				const p = processOf(mode, (opened as OpenedStore).store, { ...options, now: () => frozen });
				const user = `erin-${crypto.randomUUID()}`;
				const one = await login(p, user);
				const two = await login(p, user);
				const oneBefore = one.clone();
				expect((await visit(p, two)).session.userId).toBe(user);
				await visit(p, one, async (s) => {
					await p.sessions.revoke("userId", user, { except: s });
				});
				expect((await visit(p, two)).session.userId).toBeUndefined();
				expect((await visit(p, one)).session.userId).toBe(user);
				// Sealed: the asking device's own cookie from before the revoke is as old as device 2's, so it is out
				// too (the device carries on with the cookie issued after the mark). Store mode: the same token is
				// the same kept row, so a copy is that same session, as before the revoke.
				expect((await visit(p, oneBefore)).session.userId).toBe(mode === "sealed" ? undefined : user);
			});

			test(`${mode} mode: revoke-all in the same millisecond as a login ends that login too`, async () => {
				const options = freshOptions();
				const frozen = options.clock.now();
				const p = processOf(mode, (opened as OpenedStore).store, { ...options, now: () => frozen });
				const user = `finn-${crypto.randomUUID()}`;
				const jar = await login(p, user);
				await p.sessions.revoke("userId", user);
				expect((await visit(p, jar)).session.userId).toBeUndefined();
			});

			test(`${mode} mode: a new login in the millisecond of a revoke of that user stays in; a revoke after it, in the same millisecond, ends it`, async () => {
				const options = freshOptions();
				const frozen = options.clock.now();
				const p = processOf(mode, (opened as OpenedStore).store, { ...options, now: () => frozen });
				const user = `hal-${crypto.randomUUID()}`;
				const before = await login(p, user);
				await p.sessions.revoke("userId", user);
				expect((await visit(p, before)).session.userId).toBeUndefined();
				const after = await login(p, user);
				expect((await visit(p, after)).session.userId).toBe(user);
				expect((await visit(p, after)).session.userId).toBe(user);
				// Twice more in the same millisecond: each revoke ends the login made before it, each login after it stays.
				for (let i = 0; i < 2; i++) {
					await p.sessions.revoke("userId", user);
					expect((await visit(p, after)).session.userId).toBeUndefined();
					const again = await login(p, user);
					expect((await visit(p, again)).session.userId).toBe(user);
				}
			});

			test(`${mode} mode: a second revoke of the same user ends the logins made since the first (the mark moves on every engine)`, async () => {
				const options = freshOptions();
				const p = processOf(mode, (opened as OpenedStore).store, options);
				const user = `gus-${crypto.randomUUID()}`;
				await p.sessions.revoke("userId", user);
				options.clock.advance(60_000);
				const jar = await login(p, user);
				options.clock.advance(60_000);
				expect((await visit(p, jar)).session.userId).toBe(user);
				await p.sessions.revoke("userId", user);
				options.clock.advance(1);
				expect((await visit(p, jar)).session.userId).toBeUndefined();
			});
		}
	});
}
