// The session timeline the demo page draws: `GET /api/session` answers after its commit, so the times it
// shows are the ones the response carries (a rotation it made, a last-seen time it wrote), and it never
// shows the token or its hash. A fake clock moves time; nothing sleeps.
import { describe, expect, test } from "bun:test";
import { createDemoRoutes } from "../../examples/demo/app.ts";
import { createSessions } from "../../examples/demo/src/generated/session.ts";
import { hashSessionToken } from "../../src/token.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import type { Duration } from "../../src/index.ts";
import { fakeClock, newKey } from "../helpers/harness.ts";
import { Browser } from "../helpers/demo-process.ts";

type Routes = Record<string, Record<string, (request: Request) => Promise<Response>>>;
interface Timeline { now: string; created: string; lastSeen: string; idleExpires: string; absoluteExpires: string; rotated: string; nextRotation: string | null }

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The demo's routes over a memory store (or sealed cookies) with a fake clock, served on a loopback port. */
function demo(mode: "store" | "sealed", overrides: { expiry?: { idle: Duration; absolute: Duration }; rotation?: { every: Duration; grace: Duration } } = {}) {
	const clock = fakeClock();
	const common = { keys: [newKey()], now: clock.now, insecureDevelopmentCookies: true, ...overrides };
	const sessions = mode === "sealed" ? createSessions({ ...common, mode: "sealed", revocations: new MemoryStore() }) : createSessions({ ...common, store: new MemoryStore() });
	const routes = createDemoRoutes(sessions, clock.now) as unknown as Routes;
	const server = Bun.serve({ hostname: "127.0.0.1", port: 0, development: false, fetch: (r) => (routes[new URL(r.url).pathname]?.[r.method] ?? (() => new Response("no", { status: 404 })))(r) });
	return { clock, base: `http://127.0.0.1:${server.port}`, stop: () => void server.stop(true) };
}

async function timelineOf(b: Browser, base: string): Promise<{ timeline: Timeline | undefined; body: string; setCookies: string[] }> {
	const res = await b.send(base, "GET", "/api/session");
	return { timeline: (res.json as { timeline?: Timeline }).timeline, body: JSON.stringify(res.json), setCookies: b.setCookies };
}

for (const mode of ["store", "sealed"] as const) {
	describe(`demo session timeline (${mode})`, () => {
		test("an anonymous visitor has no timeline; a login shows created, last seen, both deadlines and the next rotation", async () => {
			const d = demo(mode);
			try {
				const b = new Browser();
				expect((await timelineOf(b, d.base)).timeline).toBeUndefined();
				const t0 = d.clock.now();
				await b.send(d.base, "POST", "/api/login", { userId: "alice" });
				expect((await timelineOf(b, d.base)).timeline).toEqual({
					now: iso(t0), created: iso(t0), lastSeen: iso(t0), idleExpires: iso(t0 + 30 * MIN), absoluteExpires: iso(t0 + 12 * 60 * MIN), rotated: iso(t0), nextRotation: iso(t0 + 15 * MIN),
				});
			} finally {
				d.stop();
			}
		});

		test("a read after the touch interval shows the new last-seen time and idle deadline it wrote", async () => {
			const d = demo(mode);
			try {
				const b = new Browser();
				const t0 = d.clock.now();
				await b.send(d.base, "POST", "/api/login", { userId: "alice" });
				d.clock.advance(5 * MIN);
				const after = (await timelineOf(b, d.base)).timeline;
				expect(after).toMatchObject({ created: iso(t0), lastSeen: iso(t0 + 5 * MIN), idleExpires: iso(t0 + 35 * MIN), rotated: iso(t0) });
				// What the page was shown is what the server keeps: the next read (no touch due) agrees.
				d.clock.advance(1000);
				expect((await timelineOf(b, d.base)).timeline).toMatchObject({ lastSeen: iso(t0 + 5 * MIN), idleExpires: iso(t0 + 35 * MIN) });
			} finally {
				d.stop();
			}
		});

		test("the read that rotates the ID shows the rotation, sets the new cookie, and the next rotation moves on", async () => {
			const d = demo(mode);
			try {
				const b = new Browser();
				const t0 = d.clock.now();
				await b.send(d.base, "POST", "/api/login", { userId: "alice" });
				const before = b.cookie;
				d.clock.advance(15 * MIN);
				const { timeline, setCookies } = await timelineOf(b, d.base);
				expect(setCookies).toHaveLength(1);
				expect(b.cookie).not.toBe(before);
				expect(timeline).toMatchObject({ created: iso(t0), rotated: iso(t0 + 15 * MIN), nextRotation: iso(t0 + 30 * MIN), idleExpires: iso(t0 + 45 * MIN) });
			} finally {
				d.stop();
			}
		});

		test("no next rotation when the session ends before it", async () => {
			const d = demo(mode, { expiry: { idle: "20m", absolute: "40m" }, rotation: { every: "1h", grace: "30s" } });
			try {
				const b = new Browser();
				await b.send(d.base, "POST", "/api/login", { userId: "alice" });
				expect((await timelineOf(b, d.base)).timeline?.nextRotation).toBeNull();
			} finally {
				d.stop();
			}
		});
	});
}

test("the session view holds no token and no hash of it (store mode)", async () => {
	const d = demo("store");
	try {
		const b = new Browser();
		await b.send(d.base, "POST", "/api/login", { userId: "alice" });
		await b.send(d.base, "POST", "/api/cart", { item: 3 });
		const token = (b.cookie ?? "").replace(/^sid=/, "").split(".")[0] as string;
		expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
		const { body } = await timelineOf(b, d.base);
		const sessions = JSON.stringify((await b.send(d.base, "GET", "/api/sessions")).json);
		const hash = hashSessionToken(token);
		for (const shown of [body, sessions]) {
			expect(shown).not.toContain(token);
			expect(shown).not.toContain(hash);
			// Not even the short prefix the events use.
			expect(shown).not.toContain(hash.slice(0, 8));
		}
	} finally {
		d.stop();
	}
});
