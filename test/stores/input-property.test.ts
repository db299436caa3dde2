// Issue 11 §4 as a property: arbitrary JSON strings (every code point, lone surrogates, NUL, strings
// far over every limit) sent through every demo route, on every engine. Never a 500 or a 503 (a 503
// would let anyone fake an outage), every 400 is the demo's own JSON answer (its checks and sess's
// agree), and whatever was accepted reads back identically from the store on the next request.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CookieJar } from "../helpers/harness.ts";
import { ENGINES, demoApp, openEngine, skipEngine, type DemoApp, type Engine, type OpenedEngine } from "./demo-engines.ts";

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const codePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));
const tricky = fc.constantFrom("\0", "\ud800", "\udfff", "\udc00\ud800", "\ud83d\ude00", " ", "\u00e1", "a\u0301", "\ufeff", "\u200b", "\\", '"', "\n", "\r\n", "%00", "\u2028");
const piece = fc.oneof(codeUnit, codePoint, tricky, fc.string({ maxLength: 4 }));
/** Short strings around the 64-character userId limit, mid-length around the 500-character flash limit, and very long ones. */
const anyString = fc.oneof(
	{ weight: 6, arbitrary: fc.array(piece, { maxLength: 70 }).map((a) => a.join("")) },
	{ weight: 2, arbitrary: fc.array(piece, { minLength: 120, maxLength: 520 }).map((a) => a.join("")) },
	{ weight: 1, arbitrary: fc.tuple(piece, fc.integer({ min: 5_000, max: 200_000 })).map(([p, n]) => p.repeat(n).slice(0, n)) },
);

// Per engine and mode; with 6 runs of the six routes each the whole file stays within seconds per engine.
const RUNS = Number(process.env["SESS_PROPERTY_RUNS"] ?? 40);

interface Answer {
	status: number;
	json: Record<string, unknown>;
}

async function send(app: DemoApp, jar: CookieJar, method: string, path: string, body?: string): Promise<Answer> {
	const response = await app.handle(jar.request(path, body === undefined ? { method } : { method, body }));
	jar.apply(response);
	const what = `${method} ${path} → ${response.status}`;
	// Neither a server error nor an outage signal, whatever the input.
	expect({ what, status: response.status >= 500 }).toEqual({ what, status: false });
	// Every answer is the demo's JSON, a 400 included: the adapter's fallback (plain text) never had to step in.
	expect({ what, type: response.headers.get("content-type") }).toEqual({ what, type: "application/json;charset=utf-8" });
	return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** A 200, or the demo's 400 with a message. */
function okOrRefused(answer: Answer): boolean {
	if (answer.status === 400) expect(typeof answer.json["error"]).toBe("string");
	else expect(answer.status).toBe(200);
	return answer.status === 200;
}

const CASES: [Engine, "store" | "sealed"][] = [...ENGINES.map((e) => [e, "store"] as [Engine, "store"]), ["memory", "sealed"], ["postgres", "sealed"]];

for (const [engine, mode] of CASES) {
	describe.skipIf(await skipEngine(engine))(`demo routes take any JSON string: ${engine}, ${mode} mode`, () => {
		let opened: OpenedEngine;
		beforeAll(async () => {
			opened = await openEngine(engine);
		});
		afterAll(async () => {
			await opened.close();
		});

		test("no 500, no 503, the demo answers every refusal, and what was stored reads back identically", async () => {
			const app = demoApp(opened.store, mode);
			await fc.assert(
				fc.asyncProperty(anyString, async (s) => {
					const jar = new CookieJar();
					const value = JSON.stringify(s);
					const loggedIn = okOrRefused(await send(app, jar, "POST", "/api/login", `{"userId":${value}}`));
					if (loggedIn) {
						// The next request loads from the store (or the cookie): the identity is the same string.
						expect((await send(app, jar, "GET", "/api/session")).json["userId"]).toBe(s);
						const listed = await send(app, jar, "GET", "/api/sessions");
						expect(listed.json).toHaveLength(1);
					}
					const flashed = okOrRefused(await send(app, jar, "POST", "/api/flash", `{"message":${value}}`));
					if (flashed) expect((await send(app, jar, "GET", "/api/session")).json["flash"]).toBe(s);
					expect((await send(app, jar, "POST", "/api/cart", `{"item":${value}}`)).status).toBe(400);
					// The string itself as the body: JSON or not, an answer of the demo's.
					okOrRefused(await send(app, jar, "POST", "/api/login", s));
					const user = (await send(app, jar, "GET", "/api/session")).json["userId"];
					expect((await send(app, jar, "POST", "/api/sessions/revoke-others")).status).toBe(user === null ? 401 : 200);
					expect((await send(app, jar, "POST", "/api/logout")).status).toBe(200);
				}),
				{ numRuns: RUNS },
			);
		}, 60_000);
	});
}
