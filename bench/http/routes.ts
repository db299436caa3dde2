// The route tables of the Bun-side HTTP contenders, shared by the servers (server.ts) and the in-process
// driver (handler.ts), so both run exactly the same per-request code. Two routes each:
//   GET /inc   — read the session, counter + 1, write it back, answer the new counter (creates the session if absent)
//   GET /count — answer the stored counter without changing anything
import { createHmac, timingSafeEqual } from "node:crypto";
import { sessionRoutes } from "sess/adapters/bun";
import { model, type BenchSessions } from "../lib/schema.ts";

type Handler = (request: Request) => Response | Promise<Response>;
/** `/inc` and `/count`, each a GET handler, in `Bun.serve({ routes })` shape. */
export type BenchRoutes = { "/inc": { GET: Handler }; "/count": { GET: Handler } };

const text = { "content-type": "text/plain;charset=utf-8" };

/** sess through its Bun adapter: origin check, load, handler, commit, Cache-Control and Vary. */
export function sessRoutes(sessions: BenchSessions): BenchRoutes {
	return sessionRoutes(sessions, {
		"/inc": {
			GET: (_request, session) => {
				session.counter = session.counter + 1;
				return new Response(String(session.counter), { headers: text });
			},
		},
		"/count": { GET: (_request, session) => new Response(String(session.counter), { headers: text }) },
	}) as unknown as BenchRoutes;
}

/** The floor: a hand-made session, Map<sid, { json, expires }> behind an HMAC-signed id cookie. */
export function floorRoutes(): BenchRoutes {
	const key = crypto.getRandomValues(new Uint8Array(32));
	const map = new Map<string, { json: string; expires: number }>();
	const NAME = "__Host-f=";
	const idleMs = model.expiry.idleMs;
	const mac = (sid: string) => createHmac("sha256", key).update(sid).digest();
	function sidOf(header: string | null): string | null {
		if (header === null) return null;
		const at = header.indexOf(NAME);
		if (at < 0) return null;
		const end = header.indexOf(";", at);
		const value = header.slice(at + NAME.length, end < 0 ? undefined : end);
		const dot = value.indexOf(".");
		if (dot < 0) return null;
		const sid = value.slice(0, dot);
		const given = Buffer.from(value.slice(dot + 1), "base64url");
		const expected = mac(sid);
		return given.length === expected.length && timingSafeEqual(given, expected) ? sid : null;
	}
	function handle(request: Request, change: boolean): Response {
		const now = Date.now();
		let sid = sidOf(request.headers.get("cookie"));
		const entry = sid === null ? undefined : map.get(sid);
		const data = entry !== undefined && entry.expires > now ? (JSON.parse(entry.json) as { counter: number }) : { counter: 0 };
		let setCookie: string | null = null;
		if (sid === null || entry === undefined) {
			if (!change) return new Response("0", { headers: text });
			sid = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
			setCookie = `${NAME}${sid}.${mac(sid).toString("base64url")}; Path=/; Max-Age=${model.expiry.absoluteMs / 1000}; Secure; HttpOnly; SameSite=Lax`;
		}
		if (change) {
			data.counter++;
			map.set(sid, { json: JSON.stringify(data), expires: now + idleMs });
		}
		const headers: Record<string, string> = { ...text };
		if (setCookie !== null) headers["set-cookie"] = setCookie;
		return new Response(String(data.counter), { headers });
	}
	return { "/inc": { GET: (r) => handle(r, true) }, "/count": { GET: (r) => handle(r, false) } };
}

/** The ceiling: no session at all, a fixed Set-Cookie. */
export function bareRoutes(): BenchRoutes {
	const headers = { ...text, "set-cookie": "fixed=1; Path=/" };
	return { "/inc": { GET: () => new Response("1", { headers }) }, "/count": { GET: () => new Response("0", { headers: text }) } };
}
