// The Bun-side HTTP contenders. Every server answers two routes on 127.0.0.1:
//   GET /inc   — read the session, counter + 1, write it back, answer the new counter (creates the session if absent)
//   GET /count — answer the stored counter without changing anything
// and prints "READY <port>" once listening. Run: bun bench/http/server.ts <kind>
import { Database } from "bun:sqlite";
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { MemoryStore as HonoMemoryStore, sessionMiddleware, type Session as HonoSession } from "hono-sessions";
import { sessionRoutes } from "sess/adapters/bun";
import { MemoryStore } from "sess/stores/memory";
import { SQLiteStore } from "sess/stores/sqlite";
import { migrateDatabase } from "../../generator/database.ts";
import { createBenchSessions, MIGRATIONS, model, newKey, type BenchSessions } from "../lib/schema.ts";

type Kind = "bare" | "floor" | "sess-sqlite" | "sess-memory" | "sess-sealed" | "hono";
const kind = (process.argv[2] ?? "") as Kind;
const text = { "content-type": "text/plain;charset=utf-8" };

function sessServer(sessions: BenchSessions) {
	return Bun.serve({
		hostname: "127.0.0.1",
		port: 0,
		routes: sessionRoutes(sessions, {
			"/inc": {
				GET: (_request, session) => {
					session.counter = session.counter + 1;
					return new Response(String(session.counter), { headers: text });
				},
			},
			"/count": { GET: (_request, session) => new Response(String(session.counter), { headers: text }) },
		}),
		fetch: () => new Response("not found", { status: 404 }),
	});
}

/** The floor: a hand-made session, Map<sid, { json, expires }> behind an HMAC-signed id cookie. */
function floorServer() {
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
	return Bun.serve({
		hostname: "127.0.0.1",
		port: 0,
		routes: { "/inc": { GET: (r) => handle(r, true) }, "/count": { GET: (r) => handle(r, false) } },
		fetch: () => new Response("not found", { status: 404 }),
	});
}

/** The ceiling: no session at all, a fixed Set-Cookie. */
function bareServer() {
	const headers = { ...text, "set-cookie": "fixed=1; Path=/" };
	return Bun.serve({
		hostname: "127.0.0.1",
		port: 0,
		routes: { "/inc": { GET: () => new Response("1", { headers }) }, "/count": { GET: () => new Response("0", { headers: text }) } },
		fetch: () => new Response("not found", { status: 404 }),
	});
}

function honoServer() {
	const app = new Hono<{ Variables: { session: HonoSession<{ counter: number }> } }>();
	app.use(sessionMiddleware({
		store: new HonoMemoryStore(),
		encryptionKey: newKey() + newKey(),
		expireAfterSeconds: model.expiry.idleMs / 1000,
		sessionCookieName: "hs",
		cookieOptions: { sameSite: "Lax", path: "/", httpOnly: true },
	}));
	app.get("/inc", (c) => {
		const s = c.get("session");
		const n = (s.get("counter") ?? 0) + 1;
		s.set("counter", n);
		return c.text(String(n));
	});
	app.get("/count", (c) => c.text(String(c.get("session").get("counter") ?? 0)));
	return Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
}

let cleanup = (): void => {};
let server: ReturnType<typeof Bun.serve>;
switch (kind) {
	case "bare":
		server = bareServer();
		break;
	case "floor":
		server = floorServer();
		break;
	case "hono":
		server = honoServer();
		break;
	case "sess-memory":
		server = sessServer(createBenchSessions({ store: new MemoryStore(), keys: [newKey()] }));
		break;
	case "sess-sealed":
		server = sessServer(createBenchSessions({ mode: "sealed", revocations: new MemoryStore(), keys: [newKey()] }));
		break;
	case "sess-sqlite": {
		const dir = mkdtempSync(join(tmpdir(), "sess-bench-http-"));
		const path = join(dir, "sess.db");
		await migrateDatabase(path, MIGRATIONS);
		const db = new Database(path);
		server = sessServer(createBenchSessions({ store: new SQLiteStore(db, { table: model.table }), keys: [newKey()] }));
		cleanup = () => {
			db.close();
			rmSync(dir, { recursive: true, force: true });
		};
		break;
	}
	default:
		throw new Error(`unknown server kind "${kind}"`);
}

function stop(): void {
	void server.stop(true);
	cleanup();
	process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdout.write(`READY ${server.port}\n`);
