// Issue 11 §3, as the attack: the store fails while a user logs out, is promoted (regenerate) or revokes
// their other sessions. A step that cannot be recorded must not look done: the request answers 503 (the
// manager throws StoreUnavailableError, or WriteConflictError for writes refused without end), no
// deletion or new cookie is sent, no "destroyed" / "regenerated" / "revoked" event claims it happened,
// and a store_unavailable event says what failed. Both modes, every engine, each write path, with a
// store that throws, hangs, answers after losing the reply, or refuses writes while reads work.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Session } from "../../examples/demo/src/generated/session.ts";
import { SessError } from "../../src/errors.ts";
import { withSession } from "../../src/adapters/fetch.ts";
import { CookieJar, SpyStore } from "../helpers/harness.ts";
import { ENGINES, type OpenedStore } from "../helpers/engines.ts";
import { freshOptions, MODES, processOf, type Process } from "./modes.ts";

type Failure = "throw" | "hang" | "lost-reply" | "refuse";
const FAILURES: readonly Failure[] = ["throw", "hang", "lost-reply", "refuse"];

interface Path {
	name: string;
	/** What the handler does. */
	act(session: Session, p: Process): Promise<void> | void;
	/** The event that would claim success. */
	claims: string;
	/** The store methods that write on this path, per mode. */
	writes: { store: ("destroy" | "rotate" | "revoke")[]; sealed: ("create" | "update")[] };
	/** Rotate first, so the sealed login's record exists and the write is an update, not a create. */
	rotateFirst: boolean;
}

const PATHS: readonly Path[] = [
	{ name: "logout", act: (s) => s.destroy(), claims: "destroyed", writes: { store: ["destroy"], sealed: ["create", "update"] }, rotateFirst: false },
	{ name: "logout after a rotation", act: (s) => s.destroy(), claims: "destroyed", writes: { store: ["destroy"], sealed: ["create", "update"] }, rotateFirst: true },
	{ name: "promote (regenerate)", act: (s) => void (s.role = "admin"), claims: "regenerated", writes: { store: ["rotate"], sealed: ["create", "update"] }, rotateFirst: false },
	{
		name: "revoke the user's sessions",
		act: async (s, p) => void (await p.sessions.revoke("userId", s.userId as string, { except: s })),
		claims: "revoked",
		writes: { store: ["revoke"], sealed: ["create", "update"] },
		rotateFirst: false,
	},
];

/** A browser logged in as `user`. */
async function login(p: Process, user: string): Promise<CookieJar> {
	const jar = new CookieJar();
	const session = await p.sessions.load(jar.request());
	session.userId = user;
	session.role = "user";
	jar.apply((await p.sessions.commit(session, new Response("ok"))).headers.getSetCookie());
	return jar;
}

for (const engine of ENGINES) {
	describe.skipIf(engine.skip)(`§3 revocation fails closed, on ${engine.name}`, () => {
		// One place per engine for the whole file (each test logs in a user of its own): opening a server table costs.
		let opened: OpenedStore | undefined;
		beforeAll(async () => {
			opened = await engine.open();
		});
		afterAll(async () => {
			await opened?.close();
		});

		for (const mode of MODES) {
			for (const path of PATHS) {
				for (const failure of FAILURES) {
					// "refuse" has nothing to refuse on a store-mode destroy or revoke (they answer nothing).
					if (failure === "refuse" && mode === "store" && path.claims !== "regenerated") continue;
					// A hang is the wrapper's, whatever the engine: shown once, on memory, to keep the suite quick.
					if (failure === "hang" && engine.name !== "memory") continue;
					test(`${mode} mode, ${path.name}, the store ${failure === "lost-reply" ? "loses the reply" : failure + "s"}: 503, no cookie, no claim`, async () => {
						const spy = new SpyStore((opened as OpenedStore).store);
						const options = freshOptions({ rotation: { every: "2s", grace: "1s" }, storeTimeout: failure === "hang" ? "200ms" : "3s" });
						const p = processOf(mode, spy, options);
						const user = `dana-${crypto.randomUUID()}`;
						const jar = await login(p, user);
						const other = await login(p, user);
						if (path.rotateFirst) {
							options.clock.advance(2500);
							const s = await p.sessions.load(jar.request());
							jar.apply((await p.sessions.commit(s, new Response("ok"))).headers.getSetCookie());
						}
						const before = jar.clone();
						spy.mode = failure;
						for (const method of path.writes[mode]) spy.failing.add(method);
						const marker = p.events.length;
						const handler = withSession(p.sessions, async (_request, session) => {
							await path.act(session, p);
							return new Response("done");
						});
						const response = await handler(jar.request("/", { method: "POST", headers: { origin: "https://app.test" } }));
						const after: string[] = p.events.slice(marker).map((e) => e.type);
						spy.mode = "ok";
						/** Whether what the request asked for took effect: the ended cookie (or the other device) no longer loads the user. */
						const tookEffect = async (): Promise<boolean> => (await p.sessions.load((path.claims === "revoked" ? other : before).request())).userId === undefined;
						if (response.status === 200) {
							// Only a write that landed (its reply lost, then read back) may answer 200, and then it truly happened.
							expect(failure).toBe("lost-reply");
							expect(after).toContain(path.claims);
							expect(await tookEffect()).toBe(true);
							return;
						}
						expect(response.status).toBe(503);
						expect(response.headers.get("retry-after")).not.toBeNull();
						expect(response.headers.getSetCookie()).toEqual([]);
						expect(after).not.toContain(path.claims);
						if (failure !== "refuse") expect(after).toContain("store_unavailable");
						if (failure === "lost-reply") return;
						// Nothing happened, and the manager itself throws the typed error the adapters answer with 503.
						expect(await tookEffect()).toBe(false);
						spy.mode = failure;
						const direct = await p.sessions.load(jar.request());
						expect(direct.userId).toBe(user);
						let thrown: unknown;
						try {
							await path.act(direct, p);
							await p.sessions.commitCookie(direct);
						} catch (e) {
							thrown = e;
						}
						expect(thrown).toBeInstanceOf(SessError);
						const code = (thrown as SessError).code;
						if (failure === "refuse") expect(["store_unavailable", "write_conflict"]).toContain(code);
						else expect(code).toBe("store_unavailable");
					});
				}
			}
		}
	});
}
