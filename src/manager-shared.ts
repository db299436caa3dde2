import type { FieldModel, SessionModel } from "../schema/model.ts";
import { parseDuration, type Duration } from "../schema/duration.ts";
import { serializeCookie, type CookieAttributes } from "./cookie.ts";
import type { DbscOptions } from "./dbsc-runtime.ts";
import { ConfigError, InvalidDataError } from "./errors.ts";
import type { EventHook } from "./events.ts";
import type { RequestLike } from "./manager-core.ts";
import { anonymityTest, resolvePolicy, type AnonymityTest, type ExpiryOverrides, type SessionPolicy } from "./expiry.ts";
import { Keyring, type KeyInput } from "./keyring.ts";
import type { SessionRuntime } from "./session.ts";
import { createStoreCall, type StoreCall } from "./store-call.ts";
import { secureRandom, type RandomSource } from "./token.ts";
import type { FieldChecks } from "./codec.ts";
import { promotedTextCheck, promotedTextFields } from "./promoted-text.ts";
import { compileCheck, compileNormalize, type Check } from "../schema/validate.ts";

/** Settings both modes share; the schema's policy is the default for each. */
export interface CommonOptions {
	/** Newest first; the first signs (or seals), all verify. Strings are base64url/base64/hex secrets. */
	keys: Keyring | readonly KeyInput[];
	/** Overrides of the schema's expiry policy (e.g. from environment variables); `anonymousIdle` for sessions nobody is signed in to. */
	expiry?: ExpiryOverrides;
	/** Overrides of the schema's rotation policy. */
	rotation?: { every?: Duration; grace?: Duration };
	/** Longest a store call may take before `load()` fails closed with `StoreUnavailableError`; default 5 s. */
	storeTimeout?: Duration;
	/** The clock, in milliseconds since the epoch; injected in tests. */
	now?: () => number;
	/** The randomness behind new tokens; injected in tests. */
	random?: RandomSource;
	/** Receives security and lifecycle events. */
	onEvent?: EventHook;
	/**
	 * Local plain-HTTP development with non-browser clients (curl, Python): drops `Secure` and the `__Host-`
	 * prefix (`__Host-sid` becomes `sid`), as the schema's `cookie.insecure` does, but chosen at run time
	 * (the demo's `SESS_INSECURE=1`). Refused with `ConfigError` when `NODE_ENV` is `production`.
	 */
	insecureDevelopmentCookies?: boolean;
	/** Device Bound Session Credentials: a stolen cookie stops working once the short-lived bound cookie expires. */
	dbsc?: DbscOptions;
	/** What "your devices" records beyond the User-Agent and client hints sess reads itself. */
	device?: DeviceOptions;
}

/** The app's share of a session's device record, read from the request whenever the session gets a new ID. */
export interface DeviceOptions {
	/** A name for the device (from a header your client sends, say); cut to 64 characters. */
	label?: (request: RequestLike) => string | null | undefined;
	/**
	 * Opt-in: the client's IP address (Bun: `server.requestIP(request)?.address`). sess stores only its
	 * network, IPv4 /24 or IPv6 /48: enough to tell "home" from "abroad", not to find a household.
	 */
	address?: (request: RequestLike) => string | null | undefined;
}

/** Per-response choices at commit. */
export interface CommitOptions {
	/** `"allow"` leaves caching headers to the app for this route (for pages that show nothing of the session). */
	cache?: "private" | "allow";
}

/** Everything a manager resolves once from the model and the options. */
export interface ManagerBase {
	keyring: Keyring;
	policy: SessionPolicy;
	/** Whether nobody is signed in to a session; null when the policy has no shorter anonymous idle, so nothing needs to ask. */
	anonymous: AnonymityTest | null;
	clock: () => number;
	random: RandomSource;
	hook: EventHook | undefined;
	call: StoreCall;
	/** The same bounds as `call`, without events: for a write that may lose a benign race. */
	quietCall: StoreCall;
	runtime: SessionRuntime;
	cookieName: string;
	attributes: CookieAttributes;
	blankCookie: string;
	/** Field name → promoted column name. */
	columnOf: ReadonlyMap<string, string>;
	/**
	 * The column of a promoted field, or a TypeError for any other name. With `value` (list, revoke), an
	 * `InvalidDataError` when no session could hold it, so every engine and mode answers a bad value alike
	 * (PostgreSQL would refuse NUL; the others would silently match nothing).
	 */
	columnName(field: string, value?: unknown): string;
}

/**
 * Resolves options and model into the pieces both managers use; `initial` makes a fresh session's data.
 * `fields`: the setters' checks the generated module emitted (`codec.fields`); without them they are compiled from the model.
 */
export function createManagerBase(model: SessionModel, options: CommonOptions, initial: () => Record<string, unknown>, fields?: FieldChecks): ManagerBase {
	const keyring = options.keys instanceof Keyring ? options.keys : new Keyring(options.keys);
	const clock = options.now ?? Date.now;
	const random = options.random ?? secureRandom;
	const hook = options.onEvent;
	const devCookies = options.insecureDevelopmentCookies === true && !model.cookie.insecure;
	if (devCookies) refuseInProduction(model.cookie.sameSite);
	const attributes: CookieAttributes = { path: "/", secure: !model.cookie.insecure && !devCookies, httpOnly: true, sameSite: model.cookie.sameSite };
	// The __Host-/__Secure- prefixes require Secure: browsers drop such a cookie without it.
	const cookieName = devCookies ? model.cookie.name.replace(/^__(Host|Secure)-/i, "") : model.cookie.name;
	const columnOf = new Map(model.table.columns.map((c) => [c.field, c.name]));
	const timeoutMs = parseDuration(options.storeTimeout ?? "5s", "storeTimeout");
	const setters = fields ?? compileFieldChecks(model);
	const checks = setters.data;
	const policy = resolvePolicy(model, options);
	return {
		keyring,
		policy,
		anonymous: policy.anonymousIdleMs < policy.idleMs ? anonymityTest(model) : null,
		clock,
		random,
		hook,
		call: createStoreCall(timeoutMs, hook),
		quietCall: createStoreCall(timeoutMs, undefined),
		runtime: {
			checks,
			setters: new Map(model.data.map((f) => [f.name, {
				check: checks.get(f.name) as Check,
				normalize: setters.dataNormalizers.get(f.name),
				optional: f.optional,
				rotate: f.rotate === true,
				identity: f.identity === true,
			}])),
			flashChecks: setters.flash,
			flashNormalizers: setters.flashNormalizers,
			keepOnUserSwitch: new Set(model.data.filter((f) => f.keepOnUserSwitch === true).map((f) => f.name)),
			initial,
			now: clock,
			random,
		},
		cookieName,
		attributes,
		blankCookie: serializeCookie(cookieName, "", { ...attributes, maxAge: 0 }),
		columnOf,
		columnName(field, ...value) {
			const column = columnOf.get(field);
			if (column === undefined) throw new TypeError(`"${field}" is not a promoted column.`);
			const problem = value.length === 0 ? null : (checks.get(field)?.(value[0]) ?? null);
			if (problem !== null) throw new InvalidDataError(`data.${field}`, problem);
			return column;
		},
	};
}

/** `insecureDevelopmentCookies` is for development only: never with NODE_ENV=production, nor with SameSite=None. */
function refuseInProduction(sameSite: string): void {
	let env: string | undefined;
	try {
		env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.["NODE_ENV"];
	} catch {
		// A runtime that forbids reading the environment (Deno without --allow-env) is not known to be production.
	}
	if (env === "production") {
		throw new ConfigError("invalid_config", "insecureDevelopmentCookies (SESS_INSECURE=1) is refused when NODE_ENV=production: it drops Secure and __Host- from the session cookie. Remove it and serve over HTTPS.");
	}
	if (sameSite === "none") throw new ConfigError("invalid_config", "insecureDevelopmentCookies cannot be used with cookie.sameSite \"none\", which requires Secure; use lax in development.");
}

/**
 * Adds the cookie and, for a response that sets it or was built from a stored session, `Cache-Control:
 * private, no-store` and `Vary: Cookie`, so no shared cache stores or replays someone's session.
 */
export function decorateResponse(response: Response, cookie: string | null, fromSession: boolean, options?: CommitOptions): Response {
	const isPrivate = options?.cache !== "allow" && (cookie !== null || fromSession);
	if (cookie === null && !isPrivate) return response;
	try {
		addSessionHeaders(response.headers, cookie, isPrivate);
		return response;
	} catch {
		// Immutable headers (e.g. Response.redirect): the first write throws, so copy and write again.
		const copy = new Response(response.body, response);
		addSessionHeaders(copy.headers, cookie, isPrivate);
		return copy;
	}
}

function addSessionHeaders(headers: Headers, cookie: string | null, isPrivate: boolean): void {
	if (cookie !== null) headers.append("set-cookie", cookie);
	if (!isPrivate) return;
	headers.set("cache-control", "private, no-store");
	const vary = headers.get("vary");
	// Without a Vary, append is set without the search for one to replace (~40 ns less on Bun).
	if (vary === null || !/(^|,)\s*cookie\s*(,|$)/i.test(vary)) headers.append("vary", "Cookie");
}

/**
 * The setters' checks and normalisers compiled from the model at start-up: for a codec that brings none
 * (`createCodec`, a hand-made one), and the reference the emitted ones are tested against.
 */
export function compileFieldChecks(model: SessionModel): FieldChecks {
	const textColumns = promotedTextFields(model);
	return {
		data: new Map(model.data.map((f) => [f.name, textColumns.has(f.name) ? promotedTextCheck(compileCheck(f.type)) : compileCheck(f.type)])),
		dataNormalizers: normalizersOf(model.data),
		flash: new Map(model.flash.map((f) => [f.name, compileCheck(f.type)])),
		flashNormalizers: normalizersOf(model.flash),
	};
}

/** The fields whose assigned values Zod would rewrite, with the rewrite. */
function normalizersOf(fields: FieldModel[]): Map<string, (value: unknown) => unknown> {
	const out = new Map<string, (value: unknown) => unknown>();
	for (const f of fields) {
		const normalize = compileNormalize(f.type);
		if (normalize !== undefined) out.set(f.name, normalize);
	}
	return out;
}
