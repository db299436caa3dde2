// Where sess's time goes: each phase of a request timed on its own (µs per call, median of several
// batches), then the cheaper alternatives a fix would use, measured side by side in the same process.
// Run: bun bench/profile.ts   (≈ 40 s; prints Markdown). For a sampled view: bun --cpu-prof bench/inproc/worker.ts sess-sealed inc 3 1
// then bun bench/lib/cpuprofile.ts CPU.*.cpuprofile.
import { Database } from "bun:sqlite";
import { createHash, randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeBase64urlIgnorePadding, decodeHex, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import type { Store } from "sess";
import { MemoryStore } from "sess/stores/memory";
import { SQLiteStore } from "sess/stores/sqlite";
import { migrateDatabase } from "../generator/database.ts";
import { readSessionCookie } from "../src/cookie.ts";
import { Keyring } from "../src/keyring.ts";
import { Revocations } from "../src/revocation.ts";
import { decodeSealedPlaintext, encodeSealedPlaintext } from "../src/sealed.ts";
import { createStoreCall } from "../src/store-call.ts";
import { hashSessionToken } from "../src/token.ts";
import { Writer } from "../src/wire.ts";
import { median, sig, table } from "./lib/stats.ts";
import { codec, cookiePair, createBenchSessions, FOREIGN_COOKIES, MIGRATIONS, model, newKey, SAMPLE } from "./lib/schema.ts";

const BATCH_MS = Number(process.env["PROFILE_BATCH_MS"] ?? 120);
const BATCHES = 5;

/** µs per call of `fn`: BATCHES timed batches of ~BATCH_MS each, median. */
async function time(fn: () => unknown): Promise<number> {
	// Warm-up and calibration.
	let n = 0;
	const t0 = performance.now();
	while (performance.now() - t0 < 60) {
		const r = fn();
		if (r instanceof Promise) await r;
		n++;
	}
	const perBatch = Math.max(50, Math.round((n / 60) * BATCH_MS));
	const out: number[] = [];
	for (let b = 0; b < BATCHES; b++) {
		const s = performance.now();
		for (let i = 0; i < perBatch; i++) {
			const r = fn();
			if (r instanceof Promise) await r;
		}
		out.push(((performance.now() - s) * 1000) / perBatch);
	}
	return median(out);
}

const lines: string[] = [];
const rows: string[][] = [];
async function phase(group: string, name: string, fn: () => unknown, note = ""): Promise<number> {
	const us = await time(fn);
	rows.push([group, name, sig(us), note]);
	return us;
}

const dir = mkdtempSync(join(tmpdir(), "sess-bench-prof-"));
try {
	const keyring = new Keyring([newKey()]);
	const name = model.cookie.name;

	// ---------------------------------------------------------------- server-side (memory, SQLite)
	for (const kind of ["memory", "sqlite"] as const) {
		let db: Database | null = null;
		let store: MemoryStore | SQLiteStore;
		if (kind === "memory") store = new MemoryStore();
		else {
			const path = join(dir, "p.db");
			await migrateDatabase(path, MIGRATIONS);
			db = new Database(path);
			store = new SQLiteStore(db, { table: model.table });
		}
		const sessions = createBenchSessions({ store, keys: keyring });
		const s0 = await sessions.load({ headers: new Headers() });
		Object.assign(s0, SAMPLE);
		const set = await sessions.commitCookie(s0);
		if (set === null) throw new Error("no cookie");
		const header = `${FOREIGN_COOKIES}; ${cookiePair(set)}`;
		const request = { headers: new Headers({ cookie: header }) };
		const g = kind === "memory" ? "sess MemoryStore" : "sess SQLiteStore";
		const whole = await phase(g, "**whole request** (load → counter + 1 → commitCookie)", async () => {
			const s = await sessions.load(request);
			s.counter = s.counter + 1;
			await sessions.commitCookie(s);
		});
		const value = (readSessionCookie(header, name) as { value: string }).value;
		const token = (keyring.verify(value, name) as { value: string }).value;
		const id = hashSessionToken(token);
		const row = await store.get(id);
		if (row === null) throw new Error("no row");
		const decoded = codec.decodeSession(row.data);
		let parts = 0;
		parts += await phase(g, "new Headers({ cookie }) (the caller's)", () => new Headers({ cookie: header }));
		parts += await phase(g, "readSessionCookie", () => readSessionCookie(header, name));
		parts += await phase(g, "keyring.verify (HMAC-SHA-256 + TextEncoder×2 + constant-time compare)", () => keyring.verify(value, name));
		parts += await phase(g, "hashSessionToken (SHA-256 + hex)", () => hashSessionToken(token));
		parts += await phase(g, kind === "memory" ? "store.get (copies the row)" : "store.get (SELECT 10 columns + row mapping)", () => store.get(id));
		parts += await phase(g, "codec.decodeSession", () => codec.decodeSession(row.data));
		parts += await phase(g, "codec.encodeTrusted", () => codec.encodeTrusted(decoded.data, undefined, decoded.meta));
		let v = row.version;
		// The scope commit uses for a data write between touches: version and data only.
		const scope = { times: false, columns: false };
		parts += await phase(g, kind === "memory" ? "store.update (copy + index upkeep)" : "store.update (UPDATE version, data WHERE id, version, successor_id IS NULL; one commit)", () => {
			const next = { ...row, version: v + 1, data: row.data };
			if (!(store as Store).update(next, v, scope)) throw new Error("cas");
			v++;
		});
		const call = createStoreCall(5000, undefined);
		parts += await phase(g, "store-call wrapper around a synchronous answer (×2 per request)", async () => {
			await call("load", () => 1);
			await call("commit", () => 1);
		});
		rows.push([g, "sum of the phases above", sig(parts), `the rest of the whole request (${sig(whole - parts)} µs) is Session/state objects, validation, deepFreeze, buildRow`]);
		if (db !== null) {
			(store as SQLiteStore).close();
			db.close();
		}
	}

	// ---------------------------------------------------------------- sealed
	{
		const revStore = new MemoryStore();
		const sessions = createBenchSessions({ mode: "sealed", revocations: revStore, keys: keyring });
		const s0 = await sessions.load({ headers: new Headers() });
		Object.assign(s0, SAMPLE);
		const set = await sessions.commitCookie(s0);
		if (set === null) throw new Error("no cookie");
		let header = `${FOREIGN_COOKIES}; ${cookiePair(set)}`;
		const g = "sess sealed";
		const whole = await phase(g, "**whole request** (load → counter + 1 → commitCookie)", async () => {
			const s = await sessions.load({ headers: new Headers({ cookie: header }) });
			s.counter = s.counter + 1;
			const next = await sessions.commitCookie(s);
			if (next !== null) header = `${FOREIGN_COOKIES}; ${cookiePair(next)}`;
		});
		const value = (readSessionCookie(header, name) as { value: string }).value;
		const opened = keyring.open(value, name);
		if (opened === null) throw new Error("not opened");
		const plain = decodeSealedPlaintext(opened.bytes);
		if (plain === null) throw new Error("no plaintext");
		const revocations = new Revocations(revStore, createStoreCall(5000, undefined));
		const sid = encodeHexLowerCase(plain.header.sid);
		const decoded = codec.decodeSession(plain.codecBytes);
		const codecBytes = codec.encodeTrusted(decoded.data, undefined, decoded.meta);
		const plaintext = encodeSealedPlaintext(plain.header, codecBytes);
		let parts = 0;
		parts += await phase(g, "new Headers({ cookie }) (the caller's)", () => new Headers({ cookie: header }));
		parts += await phase(g, "readSessionCookie", () => readSessionCookie(header, name));
		parts += await phase(g, "keyring.open (@oslojs base64url decode + AES-256-GCM open)", () => keyring.open(value, name));
		parts += await phase(g, "decodeSealedPlaintext (4 timestamps through the BigInt zigzag path)", () => decodeSealedPlaintext(opened.bytes));
		parts += await phase(g, "encodeHexLowerCase(sid) at load + decodeHex at commit", () => decodeHex(encodeHexLowerCase(plain.header.sid)));
		parts += await phase(g, "revocation checks: deniedFrom(sid) + notBefore(user_id) (2 × SHA-256 + hex + 2 store gets)", async () => {
			await revocations.deniedFrom(sid);
			await revocations.notBefore("user_id", SAMPLE.userId ?? null);
		});
		parts += await phase(g, "codec.decodeSession", () => codec.decodeSession(plain.codecBytes));
		parts += await phase(g, "codec.encodeTrusted", () => codec.encodeTrusted(decoded.data, undefined, decoded.meta));
		parts += await phase(g, "encodeSealedPlaintext", () => encodeSealedPlaintext(plain.header, codecBytes));
		parts += await phase(g, "keyring.seal (random IV + AES-256-GCM + @oslojs base64url encode)", () => keyring.seal(plaintext, name, (b) => randomFillSync(b)));
		rows.push([g, "sum of the phases above", sig(parts), `rest of the whole request: ${sig(whole - parts)} µs`]);
	}

	lines.push("### Where the time goes (µs per call, median of 5 batches)", "", table(["path", "phase", "µs", "note"], rows), "");

	// ---------------------------------------------------------------- alternatives, side by side
	const alt: string[][] = [];
	async function pair(what: string, current: () => unknown, alternative: () => unknown, altName: string): Promise<void> {
		const a = await time(current);
		const b = await time(alternative);
		alt.push([what, sig(a), altName, sig(b), sig(a - b)]);
	}
	const token = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
	await pair("SHA-256 of the token → hex (src/token.ts hashSessionToken; src/revocation.ts keys)", () => hashSessionToken(token), () => createHash("sha256").update(token).digest("hex"), "createHash(…).digest(\"hex\") in one step (no Uint8Array copy, no JS hex)");
	await pair("Object.freeze of a decoded 5-item array (src/codec-value.ts, every load; src/session.ts deepFreeze on write)", () => Object.freeze([3, 14, 15, 92, 65]), () => [3, 14, 15, 92, 65], "a plain array (JSC moves frozen arrays off its fast storage)");
	await pair("new Writer() (src/wire.ts: 128-byte buffer + DataView over .buffer; encode makes 2–3)", () => new Writer(), () => new Uint8Array(128), "the buffer alone, DataView made on the first float64");
	const sealedText = keyring.seal(crypto.getRandomValues(new Uint8Array(94)), "x", (b) => randomFillSync(b));
	const body = sealedText.slice(sealedText.indexOf(".") + 1);
	await pair("base64url decode of a sealed cookie (src/keyring.ts open)", () => decodeBase64urlIgnorePadding(body), () => Buffer.from(body, "base64url"), "Buffer.from(s, \"base64url\")");
	const bytes = decodeBase64urlIgnorePadding(body);
	await pair("base64url encode of a sealed cookie (src/keyring.ts seal)", () => encodeBase64urlNoPadding(bytes), () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64url"), "Buffer#toString(\"base64url\")");
	const sid16 = crypto.getRandomValues(new Uint8Array(16));
	await pair("hex of the 16-byte sealed id (src/sealed-manager.ts)", () => encodeHexLowerCase(sid16), () => Buffer.from(sid16.buffer, sid16.byteOffset, 16).toString("hex"), "Buffer#toString(\"hex\")");
	const now = Date.now();
	await pair("zigzag varint of 4 ms timestamps (src/wire.ts Writer.zigzag, > 2^30 → BigInt)", () => {
		const w = new Writer();
		for (let i = 0; i < 4; i++) w.zigzag(now + i);
		return w.finish();
	}, () => {
		const w = new Writer();
		// Non-negative safe integers: zigzag is 2v, written with division instead of BigInt.
		for (let i = 0; i < 4; i++) w.varint(2 * (now + i));
		return w.finish();
	}, "2·v through Writer.varint (no BigInt)");
	const ctx = "__Host-sid";
	const CTX_BYTES = new TextEncoder().encode(ctx);
	await pair("TextEncoder for the AAD / MAC input (src/keyring.ts, per call)", () => new TextEncoder().encode(ctx), () => CTX_BYTES, "encode once per keyring");
	const call = createStoreCall(5000, undefined);
	await pair("store call on a synchronous store (src/store-call.ts)", async () => call("load", () => 1), () => 1, "no await when the store answered synchronously");

	// SQLite: sess's UPDATE vs one that writes only what a data write changes.
	{
		const path = join(dir, "u.db");
		await migrateDatabase(path, MIGRATIONS);
		const db = new Database(path);
		db.run("PRAGMA journal_mode = WAL");
		db.run("PRAGMA synchronous = NORMAL");
		const ins = db.prepare(`INSERT INTO sessions (id, successor_id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at, user_id) VALUES (?,?,?,?,?,?,?,?,?,?)`);
		const data = codec.encode({ ...SAMPLE, counter: 1 });
		const ids = Array.from({ length: 256 }, () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex"));
		const t = Date.now();
		for (const id of ids) ins.run(id, null, 1, data, t, t, t, t + 1_800_000, t + 43_200_000, "user-12345");
		const full = db.prepare(`UPDATE "sessions" SET "version" = ?, "data" = ?, "created_at" = ?, "rotated_at" = ?, "last_seen_at" = ?, "idle_expires_at" = ?, "absolute_expires_at" = ?, "user_id" = ? WHERE "id" = ? AND "version" = ? AND "successor_id" IS NULL`);
		const narrow = db.prepare(`UPDATE "sessions" SET "version" = ?, "data" = ?, "last_seen_at" = ? WHERE "id" = ? AND "version" = ? AND "successor_id" IS NULL`);
		const selectAll = db.prepare(`SELECT "id", "successor_id", "version", "data", "created_at", "rotated_at", "last_seen_at", "idle_expires_at", "absolute_expires_at", "user_id" FROM "sessions" WHERE "id" = ?`);
		const selectFloor = db.prepare(`SELECT data, version FROM sessions WHERE id = ?`);
		const versions = new Map(ids.map((id) => [id, 1]));
		let i = 0;
		await pair("UPDATE of every column on a data write (src/stores/sqlite.ts before 3ced16b)", () => {
			const id = ids[i++ & 255] as string;
			const v = versions.get(id) as number;
			const n = Date.now();
			full.run(v + 1, data, t, t, n, n + 1_800_000, t + 43_200_000, "user-12345", id, v);
			versions.set(id, v + 1);
		}, () => {
			const id = ids[i++ & 255] as string;
			const v = versions.get(id) as number;
			narrow.run(v + 1, data, Date.now(), id, v);
			versions.set(id, v + 1);
		}, "UPDATE version, data, last_seen_at only (what the scoped UPDATE does between touches, plus last_seen_at)");
		await pair("SELECT on load (src/stores/sqlite.ts)", () => selectAll.get(ids[i++ & 255] as string), () => selectFloor.get(ids[i++ & 255] as string), "the floor's SELECT data, version");
		db.close();
	}
	lines.push("### Cheaper alternatives, measured side by side (µs per call)", "", table(["what", "now µs", "alternative", "alt µs", "saved µs"], alt), "");
	process.stdout.write(`${lines.join("\n")}\n`);
} finally {
	rmSync(dir, { recursive: true, force: true });
}
