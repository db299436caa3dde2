// Finding 4 of docs/guarantees.md, replayed step by step with an injected clock on every engine: an append
// whose request outlives its cookie's grace. Another tab rotates the session meanwhile, the grace runs out
// and the alias is gone (here a stale copy of the cookie loads after the grace, which deletes it; Redis's
// TTL or prune do the same), so the append's commit finds no session to write to. It used to answer 200
// with the item and drop it; it must not be acknowledged.
import { describe, expect, test } from "bun:test";
import { withSession } from "../../src/adapters/fetch.ts";
import { CookieJar, makeSessions, SECOND, visit, type Harness } from "../helpers/harness.ts";
import { ENGINES } from "../helpers/engines.ts";

const EVERY = 60 * SECOND;
const GRACE = 10 * SECOND;

/** An append whose handler waits for `gate` after loading, so the test runs other requests in between. */
function slowAppend(h: Harness, jar: CookieJar, item: number): { loaded: Promise<void>; release(): void; response: Promise<Response> } {
	let release = (): void => {};
	let loaded = (): void => {};
	const gate = new Promise<void>((resolve) => (release = resolve));
	const isLoaded = new Promise<void>((resolve) => (loaded = resolve));
	const app = withSession(h.sessions, async (_request, session) => {
		session.update("cart", (cart) => [...cart, item]);
		loaded();
		await gate;
		return Response.json({ cart: session.cart });
	}, { csrf: false });
	return { loaded: isLoaded, release, response: app(jar.request("/api/cart", { method: "POST" })) };
}

async function cartOf(h: Harness, jar: CookieJar): Promise<readonly number[]> {
	return (await visit(h, jar)).session.cart;
}

for (const engine of ENGINES) {
	describe.skipIf(engine.skip)(`a commit slower than its cookie's grace, on ${engine.name}`, () => {
		/** Runs the race; `expireAlias` decides whether the retired ID's alias is gone when the append commits. */
		async function race(expireAlias: boolean): Promise<{ status: number; body: string; later: readonly number[]; events: string[] }> {
			const opened = await engine.open();
			try {
				const h = makeSessions({ store: opened.store, rotation: { every: `${EVERY}ms`, grace: `${GRACE}ms` } });
				const jar = new CookieJar();
				await visit(h, jar, (s) => {
					s.cart = [1];
				});
				const stale = jar.clone();
				h.clock.advance(EVERY - SECOND);
				const append = slowAppend(h, jar.clone(), 2);
				await append.loaded;
				// Another tab of the browser: rotation is due, so it retires the cookie the append was sent with.
				h.clock.advance(2 * SECOND);
				const rotated = await visit(h, jar);
				expect(rotated.setCookies).toHaveLength(1);
				h.clock.advance(GRACE + SECOND);
				// Past the grace the old cookie is refused, and its alias deleted on the way.
				if (expireAlias) expect((await visit(h, stale)).session.cart).toEqual([]);
				append.release();
				const response = await append.response;
				const body = await response.text();
				return { status: response.status, body, later: await cartOf(h, jar), events: h.events.map((e) => e.type) };
			} finally {
				await opened.close();
			}
		}

		test("the alias is gone when the append commits: the append is answered 503, never 200 without its item stored", async () => {
			const { status, body, later, events } = await race(true);
			expect(events).toContain("grace_expired");
			expect(events).toContain("write_after_destroy");
			expect({ status, later }).toEqual({ status: 503, later: [1] });
			expect(body).not.toContain("cart");
		});

		test("control: while the alias is still there, the late append follows it to the live session and lands", async () => {
			const { status, body, later } = await race(false);
			expect({ status, later }).toEqual({ status: 200, later: [1, 2] });
			expect(JSON.parse(body as string)).toEqual({ cart: [1, 2] });
		});
	});
}
