// The smallest app with DBSC on: log in (sending the registration header), show who is logged in and
// whether the session is bound, log out, regenerate. The DBSC endpoints are answered before the app.
import { withSession } from "../../src/adapters/fetch.ts";
import type { Sessions } from "../../examples/demo/src/generated/session.ts";
import type { Handler } from "./client.ts";

export function dbscApp(sessions: Sessions, options: { authorization?: string } = {}): Handler {
	const dbsc = sessions.dbsc;
	if (dbsc === null) throw new Error("the manager was made without the dbsc option");
	const app = withSession(sessions, async (request, session) => {
		const path = new URL(request.url).pathname;
		if (path === "/login") {
			session.userId = await request.text();
			session.role = "user";
			const header = dbsc.register(session, options.authorization === undefined ? undefined : { authorization: options.authorization });
			return new Response("ok", { headers: header === null ? {} : { "secure-session-registration": header } });
		}
		if (path === "/logout") session.destroy();
		if (path === "/regenerate") session.regenerate();
		if (path === "/register-again") {
			const header = dbsc.register(session);
			return Response.json({ header });
		}
		return Response.json({ userId: session.userId ?? null, bound: dbsc.isBound(session) });
	});
	return (request) => dbsc.handle(request) ?? app(request);
}
