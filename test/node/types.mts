// Type-checks a Node consumer against dist/*.d.ts (`tsc -p test/node` after `npm run build`): the
// declarations must resolve and stay precise without bun-types. Never run.
import { Elysia } from "elysia";
import { Hono } from "hono";
import * as z from "zod";
import { createCodec, createSessionManager, Session, StoreUnavailableError, type Lock } from "sess";
import { defineSession } from "sess/schema";
import { sessionHandler } from "sess/adapters/deno";
import { sessionPlugin } from "sess/adapters/elysia";
import { withSession } from "sess/adapters/fetch";
import { sessionMiddleware, type SessionEnv } from "sess/adapters/hono";
import { generate } from "sess/generator";
import { MemoryStore } from "sess/stores/memory";

interface Data {
	visits: number;
}

class AppSession extends Session<Data, object> {
	get visits(): number {
		return this.read("visits");
	}
	set visits(value: number) {
		this.write("visits", value);
	}
}

export async function consumer(lock: Lock): Promise<void> {
	const model = defineSession({ data: z.object({ visits: z.int().default(0) }) });
	const files: { path: string; contents: string }[] = await generate({ model, schemaPath: "s.ts", lock, migrations: {}, config: { schema: "s.ts", out: "gen", dialects: [], migrations: "m", lock: "l.json", runtimeImport: "sess" } });
	void files;
	const sessions = createSessionManager<Data, object, AppSession, never>({ model, codec: createCodec<Data, object>(model, lock), Session: AppSession }, { store: new MemoryStore(), keys: ["k"] });
	const fetchHandler: (request: Request) => Promise<Response> = withSession(sessions, (_request, session) => new Response(String(session.visits + 1)));
	void fetchHandler;
	// @ts-expect-error: visits is a number
	withSession(sessions, (_request, session) => new Response((session.visits = "x")));
	new Hono<SessionEnv<AppSession>>().use(sessionMiddleware(sessions)).get("/", (c) => c.text(String(c.get("session").visits)));
	new Elysia().use(sessionPlugin(sessions)).get("/", ({ session }) => session.visits);
	sessionHandler(sessions, (_request, session, info) => new Response(`${session.visits} ${String(info.remoteAddr)}`));
	void new StoreUnavailableError("load");
}
