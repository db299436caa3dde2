// In-process contenders: one request's session work, from the Cookie header to the Set-Cookie value.
// Every contender keeps POOL sessions (one logged-in session each, same data), serves them round-robin,
// and follows the Set-Cookie it issues as a browser would, so the next request on that session carries it.
//
// Write op ("inc"): parse Cookie → verify/open → load → read `role` → counter + 1 → commit → Set-Cookie.
// Read-only op ("read"): the same without the change; the store must not be written.
import { Database } from "bun:sqlite";
import { createCipheriv, createDecipheriv, createHmac, randomFillSync, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { CookieStore, MemoryStore as HonoMemoryStore, sessionMiddleware, type Session as HonoSession } from "hono-sessions";
import { getIronSession, webCookies } from "iron-session";
import { MemoryStore } from "sess/stores/memory";
import { SQLiteStore } from "sess/stores/sqlite";
import { migrateDatabase } from "../../generator/database.ts";
import { betterSqliteSessionStore, cookieSession, countWrites, expressSession, mockRequest, runMiddleware, type ExpressStore } from "../lib/peers.ts";
import { codec, cookiePair, createBenchSessions, FOREIGN_COOKIES, lastPerName, MIGRATIONS, model, newKey, SAMPLE, type BenchSessions } from "../lib/schema.ts";

/** Sessions per contender, served round-robin. */
export const POOL = 256;
const TTL_S = model.expiry.absoluteMs / 1000;

export type Mode = "inc" | "read";

export interface Contender {
	/** One request on session `slot`. */
	op(slot: number): Promise<void> | void;
	/** The counter stored for `slot`, read back through the contender's own path (null: this contender keeps no counter). */
	counter(slot: number): Promise<number | null>;
	/** Bytes of the session's cookie(s) as the browser sends them (`name=value`, joined by "; "). */
	cookieBytes(): number;
	/** Bytes of the Set-Cookie header value(s) of the last write (0 when none is sent). */
	setCookieBytes(): number;
	/** Store writes so far (for the read-only check), when the contender has a store. */
	writes?(): number;
	notes: string;
	close?(): void | Promise<void>;
}

export interface ContenderSpec {
	label: string;
	/** Which modes it runs in. */
	modes: readonly Mode[];
	/** A floor (bold in tables). */
	floor?: boolean;
	make(mode: Mode): Promise<Contender>;
}

const tempDirs: string[] = [];
function tempDir(): string {
	const dir = mkdtempSync(join(tmpdir(), "sess-bench-"));
	tempDirs.push(dir);
	return dir;
}
export function removeTempDirs(): void {
	for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}

/** The per-slot cookie header a browser would send: foreign cookies + the session cookie pair(s). */
function jar(pairs: string[]): { header: string; pairs: string[] } {
	return { header: `${FOREIGN_COOKIES}; ${pairs.join("; ")}`, pairs };
}

function pairsBytes(pairs: string[]): number {
	return Buffer.byteLength(pairs.join("; "));
}

// ---------------------------------------------------------------- sess

/** A slot's cookies and the request-like object that carries them (made when they change, as a server's request arrives made). */
type SessSlot = { header: string; pairs: string[]; request: { headers: { get(name: string): string } } };

function sessSlot(pairs: string[]): SessSlot {
	const { header } = jar(pairs);
	return { header, pairs, request: { headers: { get: () => header } } };
}

async function sessContender(sessions: BenchSessions, mode: Mode, notes: string, writes?: () => number): Promise<Contender> {
	const slots: SessSlot[] = [];
	let lastSet = 0;
	for (let i = 0; i < POOL; i++) {
		const s = await sessions.load({ headers: new Headers() });
		s.userId = SAMPLE.userId;
		s.role = SAMPLE.role;
		s.cart = SAMPLE.cart;
		s.theme = SAMPLE.theme;
		const set = await sessions.commitCookie(s);
		if (set === null) throw new Error("sess: login issued no cookie");
		slots.push(sessSlot([cookiePair(set)]));
	}
	return {
		notes,
		async op(slot) {
			// The raw header string, as the floors get it: a server has its request's headers already.
			const session = await sessions.load((slots[slot] as SessSlot).request);
			if (session.isNew) throw new Error("sess: the session did not load");
			if (session.role !== "user") throw new Error("sess: wrong role");
			if (mode === "inc") session.counter = session.counter + 1;
			const set = await sessions.commitCookie(session);
			if (set !== null) {
				slots[slot] = sessSlot([cookiePair(set)]);
				lastSet = set.length;
			}
		},
		async counter(slot) {
			return (await sessions.load({ headers: new Headers({ cookie: (slots[slot] as { header: string }).header }) })).counter;
		},
		cookieBytes: () => pairsBytes((slots[0] as { pairs: string[] }).pairs),
		setCookieBytes: () => lastSet,
		...(writes === undefined ? {} : { writes }),
	};
}

const SESS_WRITES = ["create", "update", "touch", "rotate", "destroy", "revoke", "prune"];

const sessMemory: ContenderSpec = {
	label: "sess MemoryStore",
	modes: ["inc", "read"],
	async make(mode) {
		const store = new MemoryStore();
		const sessions = createBenchSessions({ store, keys: [newKey()] });
		const c = await sessContender(sessions, mode, "createSessions({ store: new MemoryStore() }); load → commitCookie");
		const counted = countWrites(store, SESS_WRITES);
		return { ...c, writes: counted.counts };
	},
};

async function sqliteFile(): Promise<string> {
	const path = join(tempDir(), "sess.db");
	await migrateDatabase(path, MIGRATIONS);
	return path;
}

const sessSQLite: ContenderSpec = {
	label: "sess SQLiteStore",
	modes: ["inc", "read"],
	async make(mode) {
		const db = new Database(await sqliteFile());
		const store = new SQLiteStore(db, { table: model.table });
		const sessions = createBenchSessions({ store, keys: [newKey()] });
		const c = await sessContender(sessions, mode, "bun:sqlite temp file, WAL, synchronous=NORMAL; load → commitCookie");
		const counted = countWrites(store, SESS_WRITES);
		return { ...c, writes: counted.counts, close: () => db.close() };
	},
};

const sessSealed: ContenderSpec = {
	label: "sess sealed (AES-256-GCM cookie)",
	modes: ["inc", "read"],
	async make(mode) {
		const revocations = new MemoryStore();
		const sessions = createBenchSessions({ mode: "sealed", revocations, keys: [newKey()] });
		const c = await sessContender(sessions, mode, "mode: \"sealed\", revocations: MemoryStore (checked on every load)");
		const counted = countWrites(revocations, SESS_WRITES);
		return { ...c, writes: counted.counts };
	},
};

// ---------------------------------------------------------------- floors

const FLOOR_COOKIE = "__Host-f";
const FLOOR_ATTRS = `; Path=/; Max-Age=${TTL_S}; Secure; HttpOnly; SameSite=Lax`;

/** The session cookie's value from a Cookie header by `indexOf` (the cheapest correct-enough lookup). */
function floorCookie(header: string): string {
	const at = header.indexOf(`${FLOOR_COOKIE}=`);
	if (at < 0) throw new Error("floor: no cookie");
	const start = at + FLOOR_COOKIE.length + 1;
	const end = header.indexOf(";", start);
	return end < 0 ? header.slice(start) : header.slice(start, end);
}

/** A sealed sess cookie for SAMPLE and its AES-GCM plaintext: the floors work on the same bytes. */
async function sealedSample(): Promise<{ value: string; plaintextBytes: number }> {
	const sessions = createBenchSessions({ mode: "sealed", revocations: new MemoryStore(), keys: [newKey()] });
	const s = await sessions.load({ headers: new Headers() });
	Object.assign(s, { userId: SAMPLE.userId, role: SAMPLE.role, cart: SAMPLE.cart, theme: SAMPLE.theme });
	const set = await sessions.commitCookie(s);
	if (set === null) throw new Error("no sealed cookie");
	const value = cookiePair(set).slice(cookiePair(set).indexOf("=") + 1);
	const body = value.slice(value.indexOf(".") + 1);
	// iv (12) + ciphertext + tag (16)
	return { value, plaintextBytes: Buffer.from(body, "base64url").length - 28 };
}

const floorHmac: ContenderSpec = {
	label: "FLOOR node:crypto HMAC-SHA-256 verify + sign",
	modes: ["inc"],
	floor: true,
	async make() {
		const key = crypto.getRandomValues(new Uint8Array(32));
		const { value: token } = await sealedSample();
		const mac = (payload: string) => createHmac("sha256", key).update(payload).digest();
		const signed = `${token}.${mac(token).toString("base64url")}`;
		const header = jar([`${FLOOR_COOKIE}=${signed}`]).header;
		let lastSet = 0;
		return {
			notes: `the sealed sess cookie's value (${token.length} chars) as payload; indexOf cookie lookup, createHmac + timingSafeEqual, re-sign, Set-Cookie string`,
			op() {
				const value = floorCookie(header);
				const dot = value.lastIndexOf(".");
				const payload = value.slice(0, dot);
				const given = Buffer.from(value.slice(dot + 1), "base64url");
				const expected = mac(payload);
				if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("floor: bad mac");
				const set = `${FLOOR_COOKIE}=${payload}.${mac(payload).toString("base64url")}${FLOOR_ATTRS}`;
				lastSet = set.length;
			},
			counter: async () => null,
			cookieBytes: () => Buffer.byteLength(`${FLOOR_COOKIE}=${signed}`),
			setCookieBytes: () => lastSet,
		};
	},
};

const floorAesGcm: ContenderSpec = {
	label: "FLOOR node:crypto AES-256-GCM open + seal",
	modes: ["inc"],
	floor: true,
	async make() {
		const key = crypto.getRandomValues(new Uint8Array(32));
		const aad = Buffer.from(FLOOR_COOKIE);
		const { plaintextBytes } = await sealedSample();
		const plaintext = crypto.getRandomValues(new Uint8Array(plaintextBytes));
		const seal = (bytes: Uint8Array): string => {
			const iv = randomFillSync(Buffer.alloc(12));
			const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
			c.setAAD(aad);
			return Buffer.concat([iv, c.update(bytes), c.final(), c.getAuthTag()]).toString("base64url");
		};
		const header = jar([`${FLOOR_COOKIE}=${seal(plaintext)}`]).header;
		let lastSet = 0;
		return {
			notes: `${plaintextBytes} plaintext bytes (the sealed sess cookie's); createDecipheriv + createCipheriv, Buffer base64url, Set-Cookie string`,
			op() {
				const sealed = Buffer.from(floorCookie(header), "base64url");
				const d = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12), { authTagLength: 16 });
				d.setAAD(aad);
				d.setAuthTag(sealed.subarray(sealed.length - 16));
				const opened = Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
				const set = `${FLOOR_COOKIE}=${seal(opened)}${FLOOR_ATTRS}`;
				lastSet = set.length;
			},
			counter: async () => null,
			cookieBytes: () => Buffer.byteLength(floorCookie(header)) + FLOOR_COOKIE.length + 1,
			setCookieBytes: () => lastSet,
		};
	},
};

const refSignedJson: ContenderSpec = {
	label: "REF hand-made signed-JSON cookie (node:crypto HMAC)",
	modes: ["inc"],
	floor: true,
	async make() {
		const key = crypto.getRandomValues(new Uint8Array(32));
		const mac = (payload: string) => createHmac("sha256", key).update(payload).digest();
		const sign = (data: unknown) => {
			const payload = Buffer.from(JSON.stringify(data)).toString("base64url");
			return `${payload}.${mac(payload).toString("base64url")}`;
		};
		const headers = Array.from({ length: POOL }, () => jar([`${FLOOR_COOKIE}=${sign(SAMPLE)}`]).header);
		let lastSet = 0;
		const open = (header: string): { role: string; counter: number } => {
			const value = floorCookie(header);
			const dot = value.lastIndexOf(".");
			const payload = value.slice(0, dot);
			const given = Buffer.from(value.slice(dot + 1), "base64url");
			const expected = mac(payload);
			if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("ref: bad mac");
			return JSON.parse(Buffer.from(payload, "base64url").toString()) as { role: string; counter: number };
		};
		return {
			notes: "the minimal stateless session: verify, base64url + JSON.parse, counter + 1, JSON.stringify + base64url, sign, Set-Cookie; no expiry, no rotation, not encrypted",
			op(slot) {
				const data = open(headers[slot] as string);
				if (data.role !== "user") throw new Error("ref: wrong role");
				data.counter++;
				const set = `${FLOOR_COOKIE}=${sign(data)}${FLOOR_ATTRS}`;
				headers[slot] = jar([cookiePair(set)]).header;
				lastSet = set.length;
			},
			counter: async (slot) => open(headers[slot] as string).counter,
			cookieBytes: () => Buffer.byteLength(headers[0]?.slice(FOREIGN_COOKIES.length + 2) ?? ""),
			setCookieBytes: () => lastSet,
		};
	},
};

/** A hand-made session id cookie: 32 random bytes base64url + "." + HMAC-SHA-256 base64url. */
function hmacSid(key: Uint8Array): { sid: string; value: string } {
	const sid = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
	return { sid, value: `${sid}.${createHmac("sha256", key).update(sid).digest("base64url")}` };
}

function verifySid(key: Uint8Array, value: string): string {
	const dot = value.indexOf(".");
	const sid = value.slice(0, dot);
	const given = Buffer.from(value.slice(dot + 1), "base64url");
	const expected = createHmac("sha256", key).update(sid).digest();
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("floor: bad sid mac");
	return sid;
}

const floorMap: ContenderSpec = {
	label: "FLOOR Map + HMAC sid",
	modes: ["inc", "read"],
	floor: true,
	async make(mode) {
		const key = crypto.getRandomValues(new Uint8Array(32));
		const map = new Map<string, { json: string; expires: number }>();
		const headers: string[] = [];
		const sids: string[] = [];
		let writes = 0;
		for (let i = 0; i < POOL; i++) {
			const { sid, value } = hmacSid(key);
			map.set(sid, { json: JSON.stringify(SAMPLE), expires: Date.now() + model.expiry.idleMs });
			headers.push(jar([`${FLOOR_COOKIE}=${value}`]).header);
			sids.push(sid);
		}
		return {
			notes: "Map<sid, { json, expires }>; indexOf cookie lookup, HMAC verify, JSON.parse / JSON.stringify, no Set-Cookie (the id does not change)",
			op(slot) {
				const sid = verifySid(key, floorCookie(headers[slot] as string));
				const entry = map.get(sid);
				const now = Date.now();
				if (entry === undefined || entry.expires <= now) throw new Error("floor: no session");
				const data = JSON.parse(entry.json) as { role: string; counter: number };
				if (data.role !== "user") throw new Error("floor: wrong role");
				if (mode === "read") return;
				data.counter++;
				map.set(sid, { json: JSON.stringify(data), expires: now + model.expiry.idleMs });
				writes++;
			},
			counter: async (slot) => (JSON.parse((map.get(sids[slot] as string) as { json: string }).json) as { counter: number }).counter,
			cookieBytes: () => Buffer.byteLength(headers[0]?.slice(FOREIGN_COOKIES.length + 2) ?? ""),
			setCookieBytes: () => 0,
			writes: () => (mode === "read" ? writes : 0),
		};
	},
};

const floorSqlite: ContenderSpec = {
	label: "FLOOR bun:sqlite prepared SELECT + UPDATE",
	modes: ["inc"],
	floor: true,
	async make() {
		const db = new Database(await sqliteFile());
		db.run("PRAGMA journal_mode = WAL");
		db.run("PRAGMA synchronous = NORMAL");
		const insert = db.prepare(`INSERT INTO sessions (id, successor_id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at, user_id) VALUES (?,?,?,?,?,?,?,?,?,?)`);
		const select = db.prepare(`SELECT data, version FROM sessions WHERE id = ?`);
		const update = db.prepare(`UPDATE sessions SET data = ?, version = ? WHERE id = ?`);
		// The same bytes sess stores for this data, a few counters' worth so every UPDATE changes the row.
		const bytes = Array.from({ length: 64 }, (_, n) => codec.encode({ ...SAMPLE, counter: n }));
		const ids: string[] = [];
		const now = Date.now();
		for (let i = 0; i < POOL; i++) {
			const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
			insert.run(id, null, 1, bytes[0] as Uint8Array, now, now, now, now + model.expiry.idleMs, now + model.expiry.absoluteMs, SAMPLE.userId ?? null);
			ids.push(id);
		}
		let n = 0;
		return {
			notes: `the sess table and row bytes (${(bytes[0] as Uint8Array).length} B); SELECT data, version WHERE id = ? then UPDATE data, version; no cookie, no codec`,
			op(slot) {
				const id = ids[slot] as string;
				const row = select.get(id) as { data: Uint8Array; version: number } | null;
				if (row === null) throw new Error("floor: row missing");
				update.run(bytes[n++ & 63] as Uint8Array, row.version + 1, id);
			},
			counter: async () => null,
			cookieBytes: () => 0,
			setCookieBytes: () => 0,
			close: () => db.close(),
		};
	},
};

const floorVerifySelect: ContenderSpec = {
	label: "FLOOR HMAC verify + bun:sqlite prepared SELECT",
	modes: ["read"],
	floor: true,
	async make() {
		const key = crypto.getRandomValues(new Uint8Array(32));
		const db = new Database(await sqliteFile());
		db.run("PRAGMA journal_mode = WAL");
		db.run("PRAGMA synchronous = NORMAL");
		const insert = db.prepare(`INSERT INTO sessions (id, successor_id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at, user_id) VALUES (?,?,?,?,?,?,?,?,?,?)`);
		// The deadlines too: a session store must refuse an expired session on every load (idle and absolute),
		// as sess does and as the Map floor does with its one deadline.
		const select = db.prepare(`SELECT data, version, idle_expires_at, absolute_expires_at FROM sessions WHERE id = ?`);
		const data = codec.encode(SAMPLE);
		const headers: string[] = [];
		const now = Date.now();
		for (let i = 0; i < POOL; i++) {
			const { sid, value } = hmacSid(key);
			insert.run(sid, null, 1, data, now, now, now, now + model.expiry.idleMs, now + model.expiry.absoluteMs, SAMPLE.userId ?? null);
			headers.push(jar([`${FLOOR_COOKIE}=${value}`]).header);
		}
		return {
			notes: "indexOf cookie lookup, HMAC verify of the id, SELECT data, version and the two deadlines WHERE id = ?, expiry check; no codec",
			op(slot) {
				const sid = verifySid(key, floorCookie(headers[slot] as string));
				const row = select.get(sid) as { idle_expires_at: number; absolute_expires_at: number } | null;
				const now = Date.now();
				if (row === null || now >= row.idle_expires_at || now >= row.absolute_expires_at) throw new Error("floor: no live session");
			},
			counter: async () => null,
			cookieBytes: () => Buffer.byteLength(headers[0]?.slice(FOREIGN_COOKIES.length + 2) ?? ""),
			setCookieBytes: () => 0,
			writes: () => 0,
			close: () => db.close(),
		};
	},
};

// ---------------------------------------------------------------- peers

type IronData = { userId?: string; role?: string; counter?: number; cart?: number[]; theme?: string };

const iron: ContenderSpec = {
	label: "iron-session 9 getIronSession(webCookies)",
	modes: ["inc"],
	async make(mode) {
		const options = {
			password: newKey() + newKey(),
			cookieName: "iron",
			ttl: TTL_S,
			cookieOptions: { secure: true, httpOnly: true, sameSite: "lax" as const, path: "/" },
		};
		const slots: { header: string; pairs: string[] }[] = [];
		let lastSet = 0;
		const request = (header: string) => new Request("https://app.test/inc", { headers: { cookie: header } });
		const run = async (header: string, change: (s: IronData) => void): Promise<string | null> => {
			const headers = new Headers();
			const session = await getIronSession<IronData>(webCookies(request(header), headers), options);
			change(session);
			if (mode === "inc" || header === "") await session.save();
			const set = headers.get("set-cookie");
			return set;
		};
		for (let i = 0; i < POOL; i++) {
			const set = await run("", (s) => Object.assign(s, SAMPLE));
			if (set === null) throw new Error("iron: no cookie");
			slots.push(jar([cookiePair(set)]));
		}
		return {
			notes: "new Request + Headers per op (its web API); iron seal (AES-256-CBC + HMAC-SHA-256 via Web Crypto, PBKDF2-derived keys)",
			async op(slot) {
				const set = await run((slots[slot] as { header: string }).header, (s) => {
					if (s.role !== "user") throw new Error("iron: wrong role");
					s.counter = (s.counter ?? 0) + 1;
				});
				if (set !== null) {
					slots[slot] = jar([cookiePair(set)]);
					lastSet = set.length;
				}
			},
			async counter(slot) {
				let n = 0;
				const headers = new Headers();
				const s = await getIronSession<IronData>(webCookies(request((slots[slot] as { header: string }).header), headers), options);
				n = s.counter ?? 0;
				return n;
			},
			cookieBytes: () => pairsBytes((slots[0] as { pairs: string[] }).pairs),
			setCookieBytes: () => lastSet,
		};
	},
};

/** express-session's middleware over a store, with mock req/res; `resave: false, saveUninitialized: false` (its recommended settings). */
async function expressContender(store: ExpressStore, mode: Mode, notes: string, close?: () => void): Promise<Contender> {
	const secret = newKey();
	const mw = expressSession({
		store, secret, name: "connect.sid", resave: false, saveUninitialized: false,
		cookie: { secure: true, httpOnly: true, sameSite: "lax", path: "/", maxAge: model.expiry.absoluteMs },
	});
	const slots: { header: string; pairs: string[] }[] = [];
	let lastSet = 0;
	for (let i = 0; i < POOL; i++) {
		const res = await runMiddleware(mw, mockRequest(FOREIGN_COOKIES), (req, r) => {
			Object.assign(req.session as object, SAMPLE);
			r.end();
		});
		const set = res.setCookies()[0];
		if (set === undefined) throw new Error("express-session: login issued no cookie");
		slots.push(jar([cookiePair(set)]));
	}
	const counted = countWrites(store, ["set", "touch", "destroy"]);
	return {
		notes,
		async op(slot) {
			const res = await runMiddleware(mw, mockRequest((slots[slot] as { header: string }).header), (req, r) => {
				const s = req.session as Record<string, unknown>;
				if (s["role"] !== "user") throw new Error("express-session: the session did not load");
				if (mode === "inc") s["counter"] = (s["counter"] as number) + 1;
				r.end();
			});
			const set = res.setCookies()[0];
			if (set !== undefined) {
				slots[slot] = jar([cookiePair(set)]);
				lastSet = set.length;
			}
		},
		async counter(slot) {
			let n = -1;
			await runMiddleware(mw, mockRequest((slots[slot] as { header: string }).header), (req, r) => {
				n = (req.session as Record<string, unknown>)["counter"] as number;
				r.end();
			});
			return n;
		},
		cookieBytes: () => pairsBytes((slots[0] as { pairs: string[] }).pairs),
		setCookieBytes: () => lastSet,
		writes: counted.counts,
		...(close === undefined ? {} : { close }),
	};
}

const expressMemory: ContenderSpec = {
	label: "express-session 1.19 MemoryStore",
	modes: ["inc", "read"],
	async make(mode) {
		return expressContender(new expressSession.MemoryStore(), mode, "real middleware, mock req/res; MemoryStore (JSON strings, setImmediate callbacks); resave: false");
	},
};

const expressSqlite: ContenderSpec = {
	label: "express-session + better-sqlite3-session-store",
	modes: ["inc", "read"],
	async make(mode) {
		const peer = betterSqliteSessionStore(join(tempDir(), "peer.db"));
		return expressContender(peer.store, mode, "real middleware, mock req/res; better-sqlite3-session-store 0.1.0 on bun:sqlite (strict), WAL, synchronous=NORMAL", () => peer.close());
	},
};

function honoContender(kind: "memory" | "cookie"): ContenderSpec {
	return {
		label: kind === "memory" ? "hono-sessions 0.8 MemoryStore (app.fetch)" : "hono-sessions 0.8 CookieStore (app.fetch)",
		modes: ["inc"],
		async make(mode) {
			const app = new Hono<{ Variables: { session: HonoSession<IronData> } }>();
			app.use(sessionMiddleware({
				store: kind === "memory" ? new HonoMemoryStore() : new CookieStore(),
				encryptionKey: newKey() + newKey(),
				expireAfterSeconds: model.expiry.idleMs / 1000,
				sessionCookieName: "hs",
				cookieOptions: { sameSite: "Lax", path: "/", httpOnly: true, secure: true },
			}));
			app.get("/login", (c) => {
				const s = c.get("session");
				for (const [k, v] of Object.entries(SAMPLE)) s.set(k as keyof IronData, v as never);
				return c.text("ok");
			});
			app.get("/inc", (c) => {
				const s = c.get("session");
				if (s.get("role") !== "user") throw new Error("hono-sessions: the session did not load");
				const n = ((s.get("counter") as number | undefined) ?? 0) + (mode === "inc" ? 1 : 0);
				if (mode === "inc") s.set("counter", n);
				return c.text(String(n));
			});
			const slots: { header: string; pairs: string[] }[] = [];
			let lastSet = 0;
			for (let i = 0; i < POOL; i++) {
				const res = await app.fetch(new Request("https://app.test/login", { headers: { cookie: FOREIGN_COOKIES } }));
				const set = lastPerName(res.headers.getSetCookie())[0];
				if (set === undefined) throw new Error("hono-sessions: login issued no cookie");
				slots.push(jar([cookiePair(set)]));
			}
			const fetchSlot = async (slot: number) => app.fetch(new Request("https://app.test/inc", { headers: { cookie: (slots[slot] as { header: string }).header } }));
			return {
				notes: kind === "memory"
					? "Hono app.fetch (routing + Response included); MemoryStore, session-id cookie iron-sealed (encryptionKey set, as recommended)"
					: "Hono app.fetch (routing + Response included); CookieStore: iron-sealed JSON in the cookie",
				async op(slot) {
					const res = await fetchSlot(slot);
					if (res.status !== 200) throw new Error(`hono-sessions: ${res.status} ${await res.text()}`);
					await res.text();
					const set = lastPerName(res.headers.getSetCookie())[0];
					if (set !== undefined) {
						slots[slot] = jar([cookiePair(set)]);
						lastSet = set.length;
					}
				},
				async counter(slot) {
					const res = await app.fetch(new Request("https://app.test/inc", { headers: { cookie: (slots[slot] as { header: string }).header } }));
					// In "inc" mode reading through /inc would add one; the route returns the value it stored.
					const n = Number(await res.text());
					const set = lastPerName(res.headers.getSetCookie())[0];
					if (set !== undefined) slots[slot] = jar([cookiePair(set)]);
					return mode === "inc" ? n - 1 : n;
				},
				cookieBytes: () => pairsBytes((slots[0] as { pairs: string[] }).pairs),
				setCookieBytes: () => lastSet,
			};
		},
	};
}

const cookieSessionSpec: ContenderSpec = {
	label: "cookie-session 2 (keygrip HMAC-SHA1)",
	modes: ["inc"],
	async make(mode) {
		const mw = cookieSession({ name: "session", keys: [newKey()], secure: true, httpOnly: true, sameSite: "lax", maxAge: model.expiry.absoluteMs });
		const slots: { header: string; pairs: string[] }[] = [];
		let lastSet = 0;
		const run = (header: string, change: (s: Record<string, unknown>) => void) =>
			runMiddleware(mw, mockRequest(header), (req, res) => {
				change(req.session as Record<string, unknown>);
				res.end();
			});
		for (let i = 0; i < POOL; i++) {
			const res = await run(FOREIGN_COOKIES, (s) => Object.assign(s, SAMPLE));
			const sets = res.setCookies();
			if (sets.length !== 2) throw new Error("cookie-session: login issued no cookie");
			slots.push(jar(sets.map(cookiePair)));
		}
		return {
			notes: "real middleware, mock req/res; two cookies (base64 JSON + .sig)",
			async op(slot) {
				const res = await run((slots[slot] as { header: string }).header, (s) => {
					if (s["role"] !== "user") throw new Error("cookie-session: the session did not load");
					if (mode === "inc") s["counter"] = (s["counter"] as number) + 1;
				});
				const sets = res.setCookies();
				if (sets.length > 0) {
					slots[slot] = jar(sets.map(cookiePair));
					lastSet = sets.reduce((t, s) => t + s.length, 0);
				}
			},
			async counter(slot) {
				let n = -1;
				await run((slots[slot] as { header: string }).header, (s) => {
					n = s["counter"] as number;
				});
				return n;
			},
			cookieBytes: () => pairsBytes((slots[0] as { pairs: string[] }).pairs),
			setCookieBytes: () => lastSet,
		};
	},
};

export const CONTENDERS: Record<string, ContenderSpec> = {
	"floor-hmac": floorHmac,
	"floor-aes": floorAesGcm,
	"ref-signed-json": refSignedJson,
	"floor-map": floorMap,
	"floor-sqlite": floorSqlite,
	"floor-verify-select": floorVerifySelect,
	"sess-memory": sessMemory,
	"sess-sqlite": sessSQLite,
	"sess-sealed": sessSealed,
	iron,
	"express-memory": expressMemory,
	"express-sqlite": expressSqlite,
	"hono-memory": honoContender("memory"),
	"hono-cookie": honoContender("cookie"),
	"cookie-session": cookieSessionSpec,
};
