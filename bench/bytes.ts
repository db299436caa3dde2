// Bytes: the cookie each library sends and what it stores, for the same session data.
// Run alone: bun bench/bytes.ts (prints JSON); bench/run.ts formats it.
import { createHmac } from "node:crypto";
import { Hono } from "hono";
import { CookieStore, MemoryStore as HonoMemoryStore, sessionMiddleware } from "hono-sessions";
import { getIronSession, webCookies } from "iron-session";
import { MemoryStore } from "sess/stores/memory";
import { cookieSession, expressSession, mockRequest, runMiddleware } from "./lib/peers.ts";
import { STATE } from "../src/session.ts";
import { cookiePair, createBenchSessions, lastPerName, model, newKey, SAMPLE, type BenchData } from "./lib/schema.ts";

export interface BytesRow {
	data: string;
	system: string;
	/** Bytes of the session cookie value(s) (what depends on the library), summed over its cookies. */
	cookieValue: number;
	/** Bytes of `name=value` as the browser sends it (all of the library's cookies, joined by "; "). */
	cookieSent: number;
	/** Bytes of the Set-Cookie header value(s). */
	setCookie: number;
	/** Bytes the server stores for the session's data (null: nothing stored). */
	stored: number | null;
	notes: string;
}

const DATASETS: { name: string; data: BenchData }[] = [
	{ name: "typical (user, role, counter, 5-item cart, theme)", data: { ...SAMPLE, counter: 42 } },
	{ name: "full cart (50 items)", data: { ...SAMPLE, counter: 42, cart: Array.from({ length: 50 }, (_, i) => i * 2) } },
];

function valueBytes(pairs: string[]): number {
	return pairs.reduce((t, p) => t + Buffer.byteLength(p.slice(p.indexOf("=") + 1)), 0);
}
function row(data: string, system: string, setCookies: string[], stored: number | null, notes: string): BytesRow {
	setCookies = lastPerName(setCookies);
	const pairs = setCookies.map(cookiePair);
	return {
		data, system, cookieValue: valueBytes(pairs), cookieSent: Buffer.byteLength(pairs.join("; ")),
		setCookie: setCookies.reduce((t, s) => t + Buffer.byteLength(s), 0), stored, notes,
	};
}

export async function measureBytes(): Promise<BytesRow[]> {
	const rows: BytesRow[] = [];
	for (const { name, data } of DATASETS) {
		const json = JSON.stringify(data);

		// sess, server-side: the cookie is a signed random token; the store keeps the codec bytes.
		const store = new MemoryStore();
		const server = createBenchSessions({ store, keys: [newKey()] });
		const s1 = await server.load({ headers: new Headers() });
		Object.assign(s1, data);
		const set1 = await server.commitCookie(s1);
		const storedRow = s1[STATE].row === null ? null : store.get(s1[STATE].row.id);
		if (storedRow === null) throw new Error("sess: no row stored");
		rows.push(row(name, "sess (server-side)", set1 === null ? [] : [set1], storedRow.data.length, "signed 256-bit token; store holds the binary codec bytes"));

		// sess, sealed: the codec bytes + a 45-byte header, AES-256-GCM, base64url.
		const sealed = createBenchSessions({ mode: "sealed", revocations: new MemoryStore(), keys: [newKey()] });
		const s2 = await sealed.load({ headers: new Headers() });
		Object.assign(s2, data);
		const set2 = await sealed.commitCookie(s2);
		rows.push(row(name, "sess sealed", set2 === null ? [] : [set2], null, "nothing stored (revocations only on logout)"));

		// iron-session 9.
		const headers = new Headers();
		const iron = await getIronSession<Record<string, unknown>>(webCookies(new Request("https://app.test/"), headers), {
			password: newKey() + newKey(), cookieName: "iron", ttl: model.expiry.absoluteMs / 1000,
			cookieOptions: { secure: true, httpOnly: true, sameSite: "lax", path: "/" },
		});
		Object.assign(iron, data);
		await iron.save();
		rows.push(row(name, "iron-session 9", headers.getSetCookie(), null, "iron seal of JSON (AES-256-CBC + HMAC-SHA-256, salts, IV, expiry)"));

		// JSON, the plain baselines.
		const key = crypto.getRandomValues(new Uint8Array(32));
		const b64 = Buffer.from(json).toString("base64url");
		const signed = `${b64}.${createHmac("sha256", key).update(b64).digest("base64url")}`;
		rows.push(row(name, "JSON (signed, base64url, HMAC-SHA-256)", [`__Host-json=${signed}`], Buffer.byteLength(json), "JSON.stringify of the same data; as a cookie: base64url + full 32-byte MAC"));

		// express-session: signed id cookie; the store keeps JSON with its cookie envelope.
		const memory = new expressSession.MemoryStore();
		const mw = expressSession({ store: memory, secret: newKey(), resave: false, saveUninitialized: false, cookie: { secure: true, httpOnly: true, sameSite: "lax", maxAge: model.expiry.absoluteMs } });
		let sidE = "";
		const resE = await runMiddleware(mw, mockRequest(""), (req, res) => {
			Object.assign(req.session as object, data);
			sidE = (req as unknown as { sessionID: string }).sessionID;
			res.end();
		});
		const storedE = (memory as unknown as { sessions: Record<string, string | undefined> }).sessions[sidE] ?? "";
		rows.push(row(name, "express-session", resE.setCookies(), Buffer.byteLength(storedE), "s:<24-byte id>.<HMAC-SHA-256>, URI-encoded; store: JSON incl. cookie envelope"));

		// hono-sessions: MemoryStore (iron-sealed id) and CookieStore (iron-sealed JSON).
		for (const kind of ["memory", "cookie"] as const) {
			const app = new Hono();
			const honoStore = kind === "memory" ? new HonoMemoryStore() : new CookieStore();
			app.use(sessionMiddleware({ store: honoStore, encryptionKey: newKey() + newKey(), expireAfterSeconds: model.expiry.idleMs / 1000, sessionCookieName: "hs", cookieOptions: { sameSite: "Lax", path: "/", httpOnly: true, secure: true } }));
			app.get("/", (c) => {
				const s = (c as unknown as { get(k: "session"): { set(k: string, v: unknown): void } }).get("session");
				for (const [k, v] of Object.entries(data)) s.set(k, v);
				return c.text("ok");
			});
			const res = await app.fetch(new Request("https://app.test/"));
			let stored: number | null = null;
			if (kind === "memory") {
				const entries = [...(honoStore as unknown as { data: Map<string, unknown> }).data.values()];
				stored = entries.length === 1 ? Buffer.byteLength(JSON.stringify(entries[0])) : null;
			}
			rows.push(row(name, `hono-sessions ${kind === "memory" ? "MemoryStore" : "CookieStore"}`, res.headers.getSetCookie(), stored, kind === "memory" ? "iron-sealed UUID; store holds the object (JSON size shown)" : "iron-sealed JSON with its metadata"));
		}

		// cookie-session: base64 JSON + a keygrip signature cookie.
		const cs = cookieSession({ name: "session", keys: [newKey()], secure: true, httpOnly: true, sameSite: "lax", maxAge: model.expiry.absoluteMs });
		const resC = await runMiddleware(cs, mockRequest(""), (req, res) => {
			Object.assign(req.session as object, data);
			res.end();
		});
		rows.push(row(name, "cookie-session", resC.setCookies(), null, "base64 JSON + .sig cookie (HMAC-SHA1)"));
	}
	return rows;
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(await measureBytes())}\n`);
