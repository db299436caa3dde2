// The sess and express-session contenders every store benchmark drives the same way: SLOTS logged-in sessions,
// each op loading one, changing the cart and saving it, with the cookie work each library does per request.
import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import type { Duration } from "../../schema/duration.ts";
import type { Store } from "../../src/store.ts";
import type { RedisClient } from "bun";
import { codec, createSessions, model } from "../../examples/demo/src/generated/session.ts";
import type { Op } from "./timed.ts";

/** Independent sessions per contender: one per worker of the widest concurrency. */
export const SLOTS = 16;
/** The demo's absolute lifetime; every store gets the same TTL. */
export const TTL_MS = model.expiry.absoluteMs;
/** Other cookies a real browser sends alongside, so cookie lookup is not measured on a lone cookie. */
export const FOREIGN_COOKIES = "theme=dark; _ga=GA1.2.1234567890.1700000000";

// Peers are untyped CommonJS, loaded as express-session loads them.

export const require = createRequire(import.meta.url);
const requireFromSession = createRequire(require.resolve("express-session"));

export type Callback<T> = (err: unknown, value?: T) => void;
export interface ExpressStore {
	get(sid: string, cb: Callback<Record<string, unknown> | null>): void;
	set(sid: string, sess: object, cb: Callback<unknown>): void;
	createSession(req: { sessionID: string; sessionStore: ExpressStore }, sess: Record<string, unknown>): ExpressSession;
}
export interface ExpressSession {
	cookie: { data: Record<string, unknown> };
	touch(): void;
	[field: string]: unknown;
}
export interface ExpressSessionModule {
	Store: new () => ExpressStore;
	Cookie: new (options: Record<string, unknown>) => object;
}
export const expressSession = require("express-session") as ExpressSessionModule;
// The exact copies express-session itself uses for the cookie envelope.
const signature = requireFromSession("cookie-signature") as { sign(v: string, s: string): string; unsign(v: string, s: string): string | false };
const cookieLib = requireFromSession("cookie") as { parse(h: string): Record<string, string | undefined>; serialize(n: string, v: string, o: object): string };

export interface Contender {
	/** Row label. */
	label: string;
	/** One op per session slot. */
	ops: Op[];
	/** Reads slot 0 back through the contender's own path and returns its cart, to prove writes land. */
	readCart(): Promise<unknown>;
}

/** The demo's sessions on `store`, with SLOTS logged-in sessions created the way a login would. */
export async function sessContender(store: Store, label: string, storeTimeout?: Duration): Promise<Contender> {
	const sessions = createSessions({ store, keys: [randomBytes(32).toString("base64url")], ...(storeTimeout === undefined ? {} : { storeTimeout }) });
	const requests: { headers: Headers }[] = [];
	for (let slot = 0; slot < SLOTS; slot++) {
		const session = await sessions.load({ headers: new Headers() });
		session.userId = `user-${slot}`;
		session.role = "user";
		session.cart = [1, 2, 3];
		const setCookie = await sessions.commitCookie(session);
		if (setCookie === null) throw new Error("login commit issued no cookie");
		const pair = setCookie.slice(0, setCookie.indexOf(";"));
		requests.push({ headers: new Headers({ cookie: `${FOREIGN_COOKIES}; ${pair}` }) });
	}
	const opFor = (request: { headers: Headers }): Op => async (i) => {
		const session = await sessions.load(request);
		// A fresh session here would mean the cookie stopped resolving and each commit creates a row instead.
		if (session.isNew) throw new Error("sess: the benchmark session did not load");
		session.cart = [i % 50];
		await sessions.commitCookie(session);
	};
	return {
		label,
		ops: requests.map(opFor),
		readCart: async () => (await sessions.load(requests[0] as { headers: Headers })).cart,
	};
}

const FLOOR_BASE64 = Array.from({ length: 50 }, (_, n) => Buffer.from(codec.encode({ userId: "user-0", role: "user", cart: [n] })).toString("base64"));

/** The Redis floor: a bare GET + SET EX of a session-sized value on Bun's client, straight to the node that holds each key. */
export async function floorContender(clientFor: (key: string) => RedisClient, prefix: string): Promise<Contender> {
	const ttl = String(Math.ceil(TTL_MS / 1000));
	const keys = Array.from({ length: SLOTS }, (_, slot) => `${prefix}floor:${slot}`);
	for (const key of keys) await clientFor(key).send("SET", [key, FLOOR_BASE64[0] as string, "EX", ttl]);
	return {
		label: "Bun RedisClient GET + SET EX",
		ops: keys.map((key) => {
			const client = clientFor(key);
			return async (i) => {
				if ((await client.get(key)) === null) throw new Error("floor key missing");
				await client.send("SET", [key, FLOOR_BASE64[i % 50] as string, "EX", ttl]);
			};
		}),
		readCart: async () => codec.decode(Uint8Array.fromBase64((await clientFor(keys[0] as string).get(keys[0] as string)) ?? "")).cart,
	};
}

/** express-session's per-request work around a Store: cookie parse + unsign, get, inflate + hash, modify, touch, re-hash, set, sign + serialize. */
export async function expressContender(store: ExpressStore, label: string): Promise<Contender> {
	const secret = randomBytes(32).toString("base64url");
	const name = "connect.sid";
	const headers: string[] = [];
	const sids: string[] = [];
	for (let slot = 0; slot < SLOTS; slot++) {
		const sid = randomBytes(24).toString("base64url");
		const cookie = new expressSession.Cookie({ maxAge: TTL_MS, secure: true, httpOnly: true, sameSite: "lax", path: "/" });
		await promisify<unknown>((cb) => store.set(sid, { cookie, userId: `user-${slot}`, role: "user", cart: [1, 2, 3] }, cb));
		headers.push(`${FOREIGN_COOKIES}; ${cookieLib.serialize(name, `s:${signature.sign(sid, secret)}`, {})}`);
		sids.push(sid);
	}
	const opFor = (header: string): Op => async (i) => {
		const raw = cookieLib.parse(header)[name];
		const sid = raw !== undefined && raw.startsWith("s:") ? signature.unsign(raw.slice(2), secret) : false;
		if (sid === false) throw new Error(`${label}: bad cookie`);
		const stored = await promisify<Record<string, unknown> | null>((cb) => store.get(sid, cb));
		if (stored === null || stored === undefined) throw new Error(`${label}: the benchmark session did not load`);
		const req = { sessionID: sid, sessionStore: store };
		const session = store.createSession(req, stored);
		const originalHash = hashSession(session);
		session["cart"] = [i % 50];
		session.touch();
		if (hashSession(session) === originalHash) throw new Error(`${label}: no change to save`);
		await promisify<unknown>((cb) => store.set(sid, session, cb));
		// express-session re-sends the cookie on every modified request when the cookie has an expiry.
		cookieLib.serialize(name, `s:${signature.sign(sid, secret)}`, session.cookie.data);
	};
	return {
		label,
		ops: headers.map(opFor),
		readCart: async () => (await promisify<Record<string, unknown> | null>((cb) => store.get(sids[0] as string, cb)))?.["cart"],
	};
}

/** express-session's private hash(): sha1 of the JSON without the cookie, computed on load and before save. */
function hashSession(sess: object): string {
	const str = JSON.stringify(sess, function (this: unknown, key, val: unknown) {
		return this === sess && key === "cookie" ? undefined : val;
	});
	return createHash("sha1").update(str, "utf8").digest("hex");
}

export function promisify<T>(start: (cb: Callback<T>) => void): Promise<T | undefined> {
	return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));
}

