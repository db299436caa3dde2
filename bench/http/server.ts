// The Bun-side HTTP contenders (routes in routes.ts), plus Hono. Prints "READY <port>" once listening on
// 127.0.0.1. Run: bun bench/http/server.ts <kind>
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { MemoryStore as HonoMemoryStore, sessionMiddleware, type Session as HonoSession } from "hono-sessions";
import { MemoryStore } from "sess/stores/memory";
import { SQLiteStore } from "sess/stores/sqlite";
import { migrateDatabase } from "../../generator/database.ts";
import { createBenchSessions, MIGRATIONS, model, newKey } from "../lib/schema.ts";
import { bareRoutes, floorRoutes, sessRoutes, type BenchRoutes } from "./routes.ts";

type Kind = "bare" | "floor" | "sess-sqlite" | "sess-memory" | "sess-sealed" | "hono";
const kind = (process.argv[2] ?? "") as Kind;

function serve(routes: BenchRoutes) {
	return Bun.serve({ hostname: "127.0.0.1", port: 0, routes, fetch: () => new Response("not found", { status: 404 }) });
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
		server = serve(bareRoutes());
		break;
	case "floor":
		server = serve(floorRoutes());
		break;
	case "hono":
		server = honoServer();
		break;
	case "sess-memory":
		server = serve(sessRoutes(createBenchSessions({ store: new MemoryStore(), keys: [newKey()] })));
		break;
	case "sess-sealed":
		server = serve(sessRoutes(createBenchSessions({ mode: "sealed", revocations: new MemoryStore(), keys: [newKey()] })));
		break;
	case "sess-sqlite": {
		const dir = mkdtempSync(join(tmpdir(), "sess-bench-http-"));
		const path = join(dir, "sess.db");
		await migrateDatabase(path, MIGRATIONS);
		const db = new Database(path);
		server = serve(sessRoutes(createBenchSessions({ store: new SQLiteStore(db, { table: model.table }), keys: [newKey()] })));
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
