import * as z from "zod";
import { InvalidDataError, sessionTimeline } from "sess";
import { sessionRoutes } from "sess/adapters/bun";
import type { Session, Sessions } from "./src/generated/session.ts";
import { renderPage } from "./page.ts";

// The same rules as the session schema and sess's own checks, so the demo answers every bad input
// itself (a JSON 400) instead of leaving it to the adapter: a string must be well-formed Unicode (JSON
// can carry a lone surrogate such as "\ud800"), and userId, a promoted SQL column, must hold no NUL.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const text = (max: number) => z.string().min(1).max(max).refine((s) => !LONE_SURROGATE.test(s), "must be valid Unicode (no lone surrogates)");
const Login = z.object({ userId: text(64).refine((s) => !s.includes("\0"), "must not contain NUL") });
const CartItem = z.object({ item: z.int().min(0) });
const FlashBody = z.object({ message: text(500) });
const RevokeBody = z.object({ handle: text(64) });

function json(body: unknown, status = 200): Response {
	return Response.json(body, { status });
}

function problem(status: number, error: string): Response {
	return json({ error }, status);
}

/** Parses a JSON body against a schema; null plus a 400 response when it does not fit. */
async function readBody<T>(request: Request, schema: z.ZodType<T>): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
	let raw: unknown;
	try {
		raw = await request.json();
	} catch {
		return { ok: false, response: problem(400, "The body must be JSON.") };
	}
	const parsed = schema.safeParse(raw);
	if (!parsed.success) {
		const first = parsed.error.issues[0];
		const where = first === undefined || first.path.length === 0 ? "body" : first.path.join(".");
		return { ok: false, response: problem(400, `${where}: ${first?.message ?? "invalid"}`) };
	}
	return { ok: true, value: parsed.data };
}

/** What `GET /api/session` shows, read after commit; `timeline` only for a stored session. Never the token or its hash. */
function view(session: Session, sessions: Sessions, flash: string | null, now: () => number): Record<string, unknown> {
	const shown: Record<string, unknown> = {
		userId: session.userId ?? null,
		role: session.role,
		cart: session.cart,
		theme: session.theme ?? null,
		flash,
		// Whether the session is bound to a key this browser holds (always false without SESS_DBSC=1).
		bound: sessions.dbsc?.isBound(session) ?? false,
	};
	const t = sessionTimeline(session, sessions.policy);
	if (t !== null) {
		shown.timeline = {
			// The server's clock, so the page counts down against it rather than against a skewed local clock.
			now: new Date(now()).toISOString(),
			created: t.createdAt.toISOString(),
			lastSeen: t.lastSeenAt.toISOString(),
			idleExpires: t.idleExpiresAt.toISOString(),
			absoluteExpires: t.absoluteExpiresAt.toISOString(),
			rotated: t.rotatedAt.toISOString(),
			nextRotation: t.nextRotationAt?.toISOString() ?? null,
		};
	}
	return shown;
}

/** The demo's routes, for `Bun.serve({ routes })`; the session manager (and its clock, `now`) are passed in so tests can use any store and clock. */
export function createDemoRoutes(sessions: Sessions, now: () => number = Date.now) {
	return sessionRoutes(sessions, {
		"/": {
			// Only a stored session gets a token: an anonymous visitor's page view must not create a row.
			GET: (_request, session) => new Response(renderPage(session.isNew ? null : session.csrfToken()), { headers: { "content-type": "text/html; charset=utf-8" } }),
		},
		"/form/logout": {
			POST: async (request, session) => {
				const form = await request.formData().catch(() => null);
				const token = form?.get("_csrf");
				if (!session.verifyCsrfToken(typeof token === "string" ? token : null)) return problem(403, "Missing or wrong CSRF token.");
				session.destroy();
				return new Response(null, { status: 303, headers: { location: "/" } });
			},
		},
		"/api/session": {
			GET: async (_request, session) => {
				// Reading the flash consumes it, so it goes before the commit that writes that down.
				const flash = session.flash.take("message") ?? null;
				// Committed before the answer is written, so the answer shows what this response does: a
				// rotation it makes, the last-seen time it records. The adapter's own commit then has nothing left.
				const cookie = await sessions.commitCookie(session);
				const response = json(view(session, sessions, flash, now));
				if (cookie !== null) response.headers.append("set-cookie", cookie);
				return response;
			},
		},
		"/api/login": {
			POST: async (request, session) => {
				const body = await readBody(request, Login);
				if (!body.ok) return body.response;
				// userId is the identity field: commit issues a new session ID and kills the old one, the lifetime
				// restarts, and a different user on this browser starts from the defaults (the theme stays).
				session.userId = body.value.userId;
				session.role = "user";
				const response = json({ userId: session.userId, role: session.role });
				// With SESS_DBSC=1: ask the browser to bind the new session to a key it keeps (after the writes above).
				const registration = sessions.dbsc?.register(session) ?? null;
				if (registration !== null) response.headers.set("secure-session-registration", registration);
				return response;
			},
		},
		"/api/promote": {
			POST: (_request, session) => {
				if (session.userId === undefined) return problem(403, "Log in first.");
				session.role = "admin";
				return json({ userId: session.userId, role: session.role });
			},
		},
		"/api/cart": {
			POST: async (request, session) => {
				const body = await readBody(request, CartItem);
				if (!body.ok) return body.response;
				try {
					// update(), not assignment: two tabs adding at once both keep their item.
					const item = body.value.item;
					session.update("cart", (cart) => [...cart, item]);
				} catch (e) {
					if (e instanceof InvalidDataError) return problem(400, "The cart is full (50 items at most).");
					throw e;
				}
				return json({ cart: session.cart });
			},
		},
		"/api/flash": {
			POST: async (request, session) => {
				const body = await readBody(request, FlashBody);
				if (!body.ok) return body.response;
				session.flash.set("message", body.value.message);
				return json({ ok: true });
			},
		},
		"/api/logout": {
			POST: (_request, session) => {
				session.destroy();
				return json({ ok: true });
			},
		},
		"/api/sessions": {
			GET: async (_request, session) => {
				if (session.userId === undefined) return problem(401, "Log in first.");
				const list = await sessions.list("userId", session.userId, { current: session });
				return json(list.map((s) => ({
					handle: s.handle, device: s.device, label: s.label, created: s.createdAt.toISOString(), lastSeen: s.lastSeenAt.toISOString(), current: s.current,
				})));
			},
		},
		"/api/sessions/revoke": {
			POST: async (request, session) => {
				if (session.userId === undefined) return problem(401, "Log in first.");
				const body = await readBody(request, RevokeBody);
				if (!body.ok) return body.response;
				// Only the caller's own sessions: another user's handle is "not found", and nothing changes.
				if (!(await sessions.revokeOne("userId", session.userId, body.value.handle))) return problem(404, "No such session of yours.");
				return json({ revoked: 1 });
			},
		},
		"/api/sessions/revoke-others": {
			POST: async (_request, session) => {
				if (session.userId === undefined) return problem(401, "Log in first.");
				const revoked = await sessions.revoke("userId", session.userId, { except: session });
				return json({ revoked });
			},
		},
	});
}

/** Anything outside the route table. */
export function notFound(): Response {
	return problem(404, "Not found.");
}
