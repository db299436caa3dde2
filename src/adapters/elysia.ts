import { Elysia, status } from "elysia";
import type { Context, ElysiaCustomStatusResponse } from "elysia";
import { InvalidDataError } from "../errors.ts";
import type { Session } from "../session.ts";
import { closeSession, dbscEndpoint, failureResponse, openSession, type SessionLoader, type WithSessionOptions } from "./exchange.ts";

type ElysiaSet = Context["set"];
type JarCookie = NonNullable<ElysiaSet["cookie"]>[string];

/** The Elysia instance `sessionPlugin` returns: it derives a typed `session` into every route's context. */
export type SessionPlugin<S extends Session<object, object>> = ReturnType<typeof createPlugin<S>>;

/**
 * Elysia plugin: refuse cross-site unsafe requests (403, before any store access), derive the typed
 * `session` into the context, commit what changed after the handler (plain values and Responses
 * alike). An `InvalidDataError` a handler lets escape answers 400 (unless an `onError` of the app
 * registered earlier answers it first); a failing store answers 503 without touching the client's cookie.
 */
export function sessionPlugin<S extends Session<object, object>>(sessions: SessionLoader<S>, options: WithSessionOptions = {}): SessionPlugin<S> {
	return createPlugin(sessions, options);
}

const managerIds = new WeakMap<object, number>();
let lastManagerId = 0;

// Return type left to inference on purpose: `SessionPlugin` is defined from it, since spelling out
// Elysia's seven type parameters by hand would break with every Elysia minor release.
function createPlugin<S extends Session<object, object>>(sessions: SessionLoader<S>, options: WithSessionOptions) {
	let id = managerIds.get(sessions);
	if (id === undefined) managerIds.set(sessions, (id = ++lastManagerId));
	// Name and seed let Elysia install the plugin once per app however many modules `.use()` it:
	// running it twice would load twice and send two cookies.
	return new Elysia({ name: "sess", seed: { id, options } })
		// The DBSC endpoints (a manager with the `dbsc` option) are no route of the app: answered before routing.
		.onRequest(async function answerDbsc({ request }): Promise<Response | undefined> {
			const endpoint = dbscEndpoint(sessions, request);
			return endpoint === null ? undefined : await endpoint;
		})
		.derive({ as: "scoped" }, async function loadSession({ request, set }) {
			const opened = await openSession(sessions, request, options);
			if (!opened.ok) return answerEarly(opened.response.status as 403 | 503, opened.response, set);
			return { session: opened.session };
		})
		// afterHandle, unlike mapResponse, always runs (an earlier mapResponse returning a value skips the rest).
		.onAfterHandle({ as: "scoped" }, async function commitSession({ session, responseValue, set }): Promise<void> {
			// Typed void: the replacement is the route's own response, committed (or the 503), and a
			// Response in the plugin's type would widen every route's 200 type for Eden.
			return (await commitResponse(sessions, session, responseValue, set, options)) as unknown as void;
		})
		// A handler's error skips afterHandle; bad input it let through is the client's fault, not a 500.
		.onError({ as: "scoped" }, function answerInvalidData({ error }): void {
			// Typed void for the same reason as commitSession: a 400 must not widen every route's type for Eden.
			if (error instanceof InvalidDataError) return failureResponse(sessions, error) as unknown as void;
		});
}

/** Commits `session`; returns the response to send instead of the handler's value, or undefined to keep it. */
async function commitResponse<S extends Session<object, object>>(
	sessions: SessionLoader<S>,
	session: S,
	value: unknown,
	set: ElysiaSet,
	options: WithSessionOptions,
): Promise<Response | undefined> {
	if (value instanceof Response) return closeSession(sessions, session, value, options);
	const probe = await closeSession(sessions, session, new Response(null), options);
	// A 400 or 503 from the commit replaces the handler's value; a committed probe only lends its headers.
	if (probe.status !== 200) return probe;
	applyHeaders(probe.headers, set);
	return undefined;
}

/**
 * The same 403 or 503 the other adapters send, as an Elysia status with a text body: it types as
 * `{ 403: string }` for Eden (a Response would spell out a runtime's whole Response interface) and
 * does not run the app's onError hooks, which a thrown status would.
 */
async function answerEarly<const Code extends 403 | 503>(code: Code, response: Response, set: ElysiaSet): Promise<ElysiaCustomStatusResponse<Code, string>> {
	for (const [name, value] of response.headers) set.headers[name] = value;
	return status(code, await response.text());
}


/**
 * Moves what commit put on a probe response into Elysia's `set`. The cookie goes into the cookie jar:
 * Elysia replaces `set.headers["set-cookie"]` with the jar whenever a handler set any jar cookie.
 */
function applyHeaders(probe: Headers, set: ElysiaSet): void {
	// Into the jar object itself: Elysia's cookie proxies keep a reference to it for later writes.
	const jar = (set.cookie ??= {});
	for (const header of probe.getSetCookie()) {
		const [name, cookie] = readSetCookie(header);
		jar[name] = cookie;
	}
	const cacheControl = probe.get("cache-control");
	if (cacheControl !== null) set.headers["cache-control"] = cacheControl;
	if (probe.has("vary")) set.headers["vary"] = withVaryCookie(set.headers["vary"]);
}

function withVaryCookie(vary: string | number | undefined): string {
	if (vary === undefined) return "Cookie";
	const text = String(vary);
	return /(^|,)\s*cookie\s*(,|$)/i.test(text) ? text : `${text}, Cookie`;
}

/** Splits a `Set-Cookie` value that `serializeCookie` wrote into Elysia's jar form. */
function readSetCookie(header: string): [string, JarCookie] {
	const [pair = "", ...attributes] = header.split("; ");
	const eq = pair.indexOf("=");
	const cookie: JarCookie = { value: pair.slice(eq + 1) };
	for (const attribute of attributes) {
		const [key = "", value = ""] = attribute.split("=");
		switch (key.toLowerCase()) {
			case "path":
				cookie.path = value;
				break;
			case "max-age":
				cookie.maxAge = Number(value);
				break;
			case "secure":
				cookie.secure = true;
				break;
			case "httponly":
				cookie.httpOnly = true;
				break;
			case "samesite":
				cookie.sameSite = value.toLowerCase() as "lax" | "strict" | "none";
				break;
			default:
				// Dropping an attribute would weaken the cookie silently; fail loudly instead.
				throw new TypeError(`Unexpected Set-Cookie attribute "${key}".`);
		}
	}
	return [pair.slice(0, eq), cookie];
}
