// Where sess's time goes: each phase of a request timed on its own (µs per call, median of several
// batches), then the fixes already applied (the old way, rebuilt here, against what src/ does now) and
// the alternatives still open, measured side by side in the same process.
// Run: bun bench/profile.ts   (≈ 1 min; prints Markdown). For a sampled view: bun --cpu-prof bench/inproc/worker.ts sess-sealed inc 3 1
// then bun bench/lib/cpuprofile.ts CPU.*.cpuprofile.
import { Database } from "bun:sqlite";
import { createDecipheriv, createHash, createHmac, randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeHex as osloDecodeHex, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import type { Store } from "sess";
import { MemoryStore } from "sess/stores/memory";
import { SQLiteStore } from "sess/stores/sqlite";
import { migrateDatabase } from "../generator/database.ts";
import { readSessionCookie } from "../src/cookie.ts";
import { bytesEqual, decodeBase64url, decodeHex, encodeBase64url, encodeHex, hmacSHA256Base64url, openAESGCM, sealAESGCM, sha256Hex } from "../src/crypto.ts";
import { Keyring } from "../src/keyring.ts";
import { Revocations } from "../src/revocation.ts";
import { decodeSealedPlaintext, encodeSealedPlaintext } from "../src/sealed.ts";
import type { StoredSession } from "../src/store.ts";
import { createStoreCall } from "../src/store-call.ts";
import { hashSessionToken } from "../src/token.ts";
import { Reader, scratchWriter, Writer } from "../src/wire.ts";
import { median, sig, table } from "./lib/stats.ts";
import { codec, cookiePair, createBenchSessions, FOREIGN_COOKIES, MIGRATIONS, model, newKey, SAMPLE } from "./lib/schema.ts";

const BATCH_MS = Number(process.env["PROFILE_BATCH_MS"] ?? 120);
/** Long enough for the JIT to finish compiling the measured path: with 60 ms the whole request varied 2× between runs. */
const WARM_MS = Number(process.env["PROFILE_WARM_MS"] ?? 400);
const BATCHES = 5;

/** µs per call of `fn`: BATCHES timed batches of ~BATCH_MS each, median. */
async function time(fn: () => unknown): Promise<number> {
	// Warm-up and calibration.
	let n = 0;
	const t0 = performance.now();
	while (performance.now() - t0 < WARM_MS) {
		const r = fn();
		if (r instanceof Promise) await r;
		n++;
	}
	const perBatch = Math.max(50, Math.round((n / WARM_MS) * BATCH_MS));
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

/** Rebuilt old ways must compute what the code computes, or the comparison says nothing. */
function same(what: string, a: unknown, b: unknown): void {
	const text = (v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : JSON.stringify(v));
	if (text(a) !== text(b)) throw new Error(`${what}: the rebuilt old way and the current code disagree`);
}

// src/crypto.ts picks ES2026's native base64/hex where the runtime has them (Bun does), Buffer elsewhere:
// the labels name the path this run actually takes.
const NATIVE = typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64 === "function";
const B64_DECODE = NATIVE ? "Uint8Array.fromBase64" : "Buffer.from (no native base64 here)";
const B64_ENCODE = NATIVE ? "Uint8Array#toBase64" : "Buffer#toString (no native base64 here)";
const HEX_DECODE = NATIVE ? "Uint8Array.fromHex" : "Buffer.from(hex)";

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
		// load() reads only headers.get("cookie"): a server that already holds the header hands it over as it is,
		// as the in-process benchmark does. What building a Headers would add is in the second table.
		const request = { headers: { get: () => header } };
		const g = kind === "memory" ? "sess MemoryStore" : "sess SQLiteStore";
		const whole = await phase(g, "**whole request** (load → counter + 1 → commitCookie)", async () => {
			const s = await sessions.load(request);
			s.counter = s.counter + 1;
			await sessions.commitCookie(s);
		}, "request = { headers: { get: () => header } }; no Headers object built");
		const value = (readSessionCookie(header, name) as { value: string }).value;
		const token = (keyring.verify(value, name) as { value: string }).value;
		const id = hashSessionToken(token);
		const row = await store.get(id);
		if (row === null) throw new Error("no row");
		const decoded = codec.decodeSession(row.data);
		let parts = 0;
		parts += await phase(g, "readSessionCookie", () => readSessionCookie(header, name));
		parts += await phase(g, "keyring.verify (keyed HMAC-SHA-256 via a Bun.CryptoHasher copy + 2 UTF-8 encodes + constant-time compare)", () => keyring.verify(value, name));
		parts += await phase(g, "hashSessionToken (Bun.SHA256.hash → hex)", () => hashSessionToken(token));
		parts += await phase(g, kind === "memory" ? "store.get (copies the row out: data.slice + columns spread)" : "store.get (prepared SELECT of 10 columns + row mapping)", () => store.get(id));
		parts += await phase(g, "codec.decodeSession (nothing frozen; short ASCII read byte by byte)", () => codec.decodeSession(row.data));
		parts += await phase(g, "codec.encodeTrusted (shared scratch writer, frames in place, one copy out)", () => codec.encodeTrusted(decoded.data, undefined, decoded.meta));
		let v = row.version;
		// The scope commit uses for a data write between touches: version and data only.
		const scope = { times: false, columns: false };
		parts += await phase(g, kind === "memory" ? "store.update (version check + copy in; indexes untouched when the promoted columns are unchanged)" : "store.update (UPDATE version, data WHERE id, version, successor_id IS NULL; 4 bound parameters, one commit)", () => {
			const next = { ...row, version: v + 1, data: row.data };
			if (!(store as Store).update(next, v, scope)) throw new Error("cas");
			v++;
		});
		const call = createStoreCall(5000, undefined);
		// A synchronous store's answer comes back synchronously and load/commit await only a Promise.
		parts += await phase(g, "store-call wrapper around a synchronous answer (×2 per request, not awaited)", () => {
			call("load", () => 1);
			return call("commit", () => 1);
		});
		rows.push([g, "sum of the phases above", sig(parts), `the rest of the whole request (${sig(whole - parts)} µs) is the async frames of load and commit, Session and state objects, the counter's check and copy-on-write of data, buildRow`]);
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
		// The getter reads `header` when called, so each request sees the cookie the previous one set.
		const request = { headers: { get: () => header } };
		const g = "sess sealed";
		const whole = await phase(g, "**whole request** (load → counter + 1 → commitCookie)", async () => {
			const s = await sessions.load(request);
			s.counter = s.counter + 1;
			const next = await sessions.commitCookie(s);
			if (next !== null) header = `${FOREIGN_COOKIES}; ${cookiePair(next)}`;
		}, "request = { headers: { get: () => header } }; no Headers object built");
		const value = (readSessionCookie(header, name) as { value: string }).value;
		const opened = keyring.open(value, name);
		if (opened === null) throw new Error("not opened");
		const plain = decodeSealedPlaintext(opened.bytes);
		if (plain === null) throw new Error("no plaintext");
		const revocations = new Revocations(revStore, createStoreCall(5000, undefined), createStoreCall(5000, undefined));
		const sid = encodeHex(plain.header.lineage);
		const decoded = codec.decodeSession(plain.codecBytes);
		const codecBytes = codec.encodeTrusted(decoded.data, undefined, decoded.meta);
		const plaintext = encodeSealedPlaintext(plain.header, codecBytes).slice();
		let parts = 0;
		parts += await phase(g, "readSessionCookie", () => readSessionCookie(header, name));
		parts += await phase(g, `keyring.open (2 shape regexes + ${B64_DECODE} + canonical re-encode check + AES-256-GCM open over copied slices)`, () => keyring.open(value, name));
		parts += await phase(g, "decodeSealedPlaintext (16-byte lineage + generation + 5 ms timestamps as plain varints, no BigInt; codec bytes sliced out)", () => decodeSealedPlaintext(opened.bytes));
		// encodeHex of the lineage runs at load (row id, lineage key) and again in seal's asRow.
		parts += await phase(g, "encodeHex(lineage) ×3 (row id at load and seal, lineage key at load; src/crypto.ts: lookup table)", () => {
			encodeHex(plain.header.lineage);
			encodeHex(plain.header.lineage);
			return encodeHex(plain.header.lineage);
		});
		parts += await phase(g, "revocation checks: lineage(lineage) + notBefore(user_id) (1 Bun.SHA256 hex + 1 cached key + 2 MemoryStore gets, no await)", () => {
			revocations.lineage(sid);
			return revocations.notBefore("user_id", SAMPLE.userId ?? null);
		});
		parts += await phase(g, "codec.decodeSession (nothing frozen; short ASCII read byte by byte)", () => codec.decodeSession(plain.codecBytes));
		parts += await phase(g, "codec.encodeTrusted (shared scratch writer, frames in place, one copy out)", () => codec.encodeTrusted(decoded.data, undefined, decoded.meta));
		parts += await phase(g, "encodeSealedPlaintext (shared scratch writer, generation + 5 zigzag timestamps, one copy out)", () => encodeSealedPlaintext(plain.header, codecBytes));
		parts += await phase(g, `keyring.seal (random IV + AES-256-GCM + ${B64_ENCODE})`, () => keyring.seal(plaintext, name, (b) => randomFillSync(b)));
		rows.push([g, "sum of the phases above", sig(parts), `the rest of the whole request (${sig(whole - parts)} µs) is the async frames of load and commit, Session and state objects, columnsOf and asRow (×2 each), serializeCookie`]);
	}

	lines.push("### Where the time goes (µs per call, median of 5 batches)", "", table(["path", "phase", "µs", "note"], rows), "");

	// ---------------------------------------------------------------- applied fixes and open alternatives, side by side
	// An applied row rebuilds the old way (as src/ had it before the fix) against what src/ does now; an open
	// row sets what src/ does now against a candidate. The "saved" column is baseline minus alternative.
	const alt: string[][] = [];
	async function pair(what: string, baseName: string, baseline: () => unknown, altName: string, alternative: () => unknown): Promise<void> {
		const a = await time(baseline);
		const b = await time(alternative);
		alt.push([what, baseName, sig(a), altName, sig(b), sig(a - b)]);
	}
	const utf8 = new TextEncoder();
	const ctx = "__Host-sid";

	// The caller's side of load(): it used to need a Headers (a fetch Request's), now anything with headers.get.
	const cookieHeader = `${FOREIGN_COOKIES}; ${ctx}=${"x".repeat(64)}`;
	await pair("Cookie header handed to load() (src/manager.ts RequestLike)", "before: new Headers({ cookie }).get", () => new Headers({ cookie: cookieHeader }).get("cookie"), "{ headers: { get: () => header } } literal (applied)", () => ({ headers: { get: () => cookieHeader } }).headers.get());

	const token = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
	same("SHA-256 hex", createHash("sha256").update(token).digest("hex"), hashSessionToken(token));
	await pair("SHA-256 of the token → hex (src/token.ts hashSessionToken, src/crypto.ts sha256Hex)", "before: node:crypto createHash(…).digest(\"hex\")", () => createHash("sha256").update(token).digest("hex"), "Bun.SHA256.hash(msg, \"hex\") (applied)", () => hashSessionToken(token));

	const macKey = crypto.getRandomValues(new Uint8Array(32));
	const macInput = `${ctx}\u0000${token}`;
	const sign = hmacSHA256Base64url(macKey, 16);
	const oldSign = (message: string) => createHmac("sha256", macKey).update(message).digest().subarray(0, 16).toString("base64url");
	same("HMAC-SHA-256", oldSign(macInput), sign(macInput));
	await pair("HMAC-SHA-256 → 16 bytes base64url (src/crypto.ts hmacSHA256Base64url, every verify and sign)", "before: node:crypto createHmac per call, digest().subarray → base64url", () => oldSign(macInput), "keyed Bun.CryptoHasher made once per key, copied per message, digest text cut and masked (applied)", () => sign(macInput));

	const expectedMac = sign(macInput);
	const gotMac = sign(macInput);
	await pair("UTF-8 of the two MACs in keyring.verify", "before: new TextEncoder() per call", () => {
		const enc = new TextEncoder();
		return bytesEqual(enc.encode(expectedMac), enc.encode(gotMac));
	}, "one module-level TextEncoder (applied)", () => bytesEqual(utf8.encode(expectedMac), utf8.encode(gotMac)));
	const aads = new Map([[ctx, utf8.encode(ctx)]]);
	await pair("UTF-8 of the AAD in keyring.seal / open", "before: new TextEncoder().encode(context) per call", () => new TextEncoder().encode(ctx), "encoded once per context, Map lookup (applied)", () => aads.get(ctx));

	const cart = [3, 14, 15, 92, 65];
	await pair("a decoded 5-item array (src/codec-value.ts; src/session.ts read() freezes on first read)", "before: Object.freeze at decode", () => {
		const out: number[] = [];
		for (const x of cart) out.push(x);
		return Object.freeze(out);
	}, "none until first read (applied; codec.decode() still deep-freezes)", () => {
		const out: number[] = [];
		for (const x of cart) out.push(x);
		return out;
	});

	// The sample session's shape (string, enum, int, a 5-int array frame, enum), written both ways with the current
	// Writer methods, so only the change measured differs: a Writer per encode and per frame, against one shared writer.
	const writeFields = (w: Writer, frame: (w: Writer, body: (f: Writer) => void) => void): Uint8Array => {
		w.byte(1);
		w.varint((1 << 3) | 2);
		w.string("user-12345");
		w.varint((2 << 3) | 0);
		w.varint(1);
		w.varint((3 << 3) | 0);
		w.zigzag(7);
		w.varint((4 << 3) | 2);
		frame(w, (f) => {
			for (const x of cart) f.zigzag(x);
		});
		w.varint((5 << 3) | 0);
		w.varint(1);
		return w.finish();
	};
	const oldFrame = (w: Writer, body: (f: Writer) => void) => {
		const inner = new Writer();
		body(inner);
		w.bytes(inner.finish());
	};
	const inPlace = (w: Writer, body: (f: Writer) => void) => w.frame(body);
	same("codec writer", writeFields(new Writer(), oldFrame), writeFields(scratchWriter(), inPlace));
	await pair("codec encode of the sample's shape (src/wire.ts, src/codec.ts, src/sealed.ts)", "before: new Writer() per encode and per frame (body copied into its parent)", () => writeFields(new Writer(), oldFrame), "shared scratch writer, frames written in place (applied)", () => writeFields(scratchWriter(), inPlace));

	const userId = "user-12345";
	const strBuf = new Uint8Array(128);
	const strWriter = new Writer();
	await pair("short ASCII string write, \"user-12345\" (src/wire.ts Writer.string)", "before: TextEncoder.encodeInto over a subarray", () => {
		const { written } = utf8.encodeInto(userId, strBuf.subarray(1, 1 + userId.length * 3));
		strBuf[0] = written;
		return written;
	}, "copied byte by byte (applied)", () => {
		strWriter.reset();
		strWriter.string(userId);
		return strWriter.length;
	});
	strWriter.reset();
	strWriter.string(userId);
	const strBytes = strWriter.finish();
	const strReader = new Reader(strBytes);
	const fatal = new TextDecoder("utf-8", { fatal: true });
	await pair("short ASCII string read, \"user-12345\" (src/wire.ts Reader.string)", "before: fatal TextDecoder over a subarray", () => fatal.decode(strBytes.subarray(1, 1 + (strBytes[0] as number))), "read byte by byte (applied)", () => {
		strReader.pos = 0;
		return strReader.string();
	});

	// Both loops copied from src/wire.ts putVarint (before and after), over a plain buffer: the Writer's reserve()
	// would weigh the same on both sides and hide the loop, which is all that changed.
	const varBuf = new Uint8Array(64);
	const stamps = Array.from({ length: 4 }, (_, i) => 2 * (Date.now() + i * 1_800_000));
	const putDivide = (): number => {
		let at = 0;
		for (let v of stamps) {
			while (v >= 0x80) {
				varBuf[at++] = (v % 0x80) | 0x80;
				v = Math.floor(v / 0x80);
			}
			varBuf[at++] = v;
		}
		return at;
	};
	const putShift = (): number => {
		let at = 0;
		for (let v of stamps) {
			while (v >= 0x80000000) {
				varBuf[at++] = (v % 0x80) | 0x80;
				v = Math.floor(v / 0x80);
			}
			while (v >= 0x80) {
				varBuf[at++] = (v & 0x7f) | 0x80;
				v >>>= 7;
			}
			varBuf[at++] = v;
		}
		return at;
	};
	const divided = varBuf.slice(0, putDivide());
	same("varint", divided, varBuf.slice(0, putShift()));
	await pair("varints of 4 zigzagged ms timestamps (src/wire.ts Writer.putVarint; sealed header, authenticatedAt)", "before: % and Math.floor for every 7 bits", putDivide, "integer shifts once below 2^31 (applied)", putShift);

	const sealedText = keyring.seal(crypto.getRandomValues(new Uint8Array(94)), "x", (b) => randomFillSync(b));
	const body = sealedText.slice(sealedText.indexOf(".") + 1);
	// src/crypto.ts decodeBase64url before native codecs: the same shape check and canonical check, through Buffer.
	const decodeWithBuffer = (text: string): Uint8Array | null => {
		if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
		const decoded = Buffer.from(text, "base64url");
		if (decoded.toString("base64url") !== text) return null;
		return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
	};
	same("base64url decode", decodeWithBuffer(body), decodeBase64url(body));
	await pair("strict base64url decode of a sealed cookie (src/crypto.ts decodeBase64url, keyring.open)", "before: Buffer.from + Buffer#toString canonical check", () => decodeWithBuffer(body), `${B64_DECODE} + ${B64_ENCODE} canonical check (applied)`, () => decodeBase64url(body));
	const bytes = decodeBase64url(body) as Uint8Array;
	const encodeWithBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64url");
	same("base64url encode", encodeWithBuffer(bytes), encodeBase64url(bytes));
	await pair("base64url encode of a sealed cookie (src/crypto.ts encodeBase64url, keyring.seal)", "before: Buffer view over .buffer, toString(\"base64url\")", () => encodeWithBuffer(bytes), `${B64_ENCODE} (applied)`, () => encodeBase64url(bytes));

	const sid16 = crypto.getRandomValues(new Uint8Array(16));
	same("hex", osloDecodeHex(encodeHexLowerCase(sid16)), decodeHex(encodeHex(sid16)));
	await pair("hex of the 16-byte sealed id, there and back (src/sealed-manager.ts)", "before: @oslojs encodeHexLowerCase + decodeHex", () => osloDecodeHex(encodeHexLowerCase(sid16)), `src/crypto.ts encodeHex (lookup table) + decodeHex (${HEX_DECODE}) (applied)`, () => decodeHex(encodeHex(sid16)));

	const gcmKey = crypto.getRandomValues(new Uint8Array(32));
	const aad = utf8.encode(ctx);
	const gcmSealed = sealAESGCM(gcmKey, crypto.getRandomValues(new Uint8Array(12)), crypto.getRandomValues(new Uint8Array(94)), aad);
	// src/crypto.ts openAESGCM before the change: views into the sealed bytes instead of copies.
	const openWithViews = (sealed: Uint8Array): Uint8Array | null => {
		try {
			const decipher = createDecipheriv("aes-256-gcm", gcmKey, sealed.subarray(0, 12), { authTagLength: 16 });
			decipher.setAAD(aad);
			decipher.setAuthTag(sealed.subarray(sealed.length - 16));
			const head = decipher.update(sealed.subarray(12, sealed.length - 16));
			const tail = decipher.final();
			const out = new Uint8Array(head.length + tail.length);
			out.set(head);
			out.set(tail, head.length);
			return out;
		} catch {
			return null;
		}
	};
	same("AES-256-GCM open", openWithViews(gcmSealed), openAESGCM(gcmKey, gcmSealed, aad));
	await pair("AES-256-GCM open of a 94-byte plaintext (src/crypto.ts openAESGCM)", "before: subarray views of IV, tag and ciphertext", () => openWithViews(gcmSealed), "slice copies; no concat when final() is empty (applied)", () => openAESGCM(gcmKey, gcmSealed, aad));

	// src/revocation.ts notBeforeKey, before and after the cache (the current key function is not exported).
	const notBeforeKeys = new Map<string, string>();
	const hashEachTime = () => sha256Hex(`sess/not-before/user_id/${JSON.stringify(SAMPLE.userId)}`);
	const cached = () => {
		const input = `sess/not-before/user_id/${JSON.stringify(SAMPLE.userId)}`;
		let key = notBeforeKeys.get(input);
		if (key === undefined) notBeforeKeys.set(input, (key = sha256Hex(input)));
		return key;
	};
	same("not-before key", hashEachTime(), cached());
	await pair("not-before row key of a signed-in user (src/revocation.ts notBeforeKey, every sealed load)", "before: sha256Hex per load", hashEachTime, "bounded Map of recent keys (applied)", cached);

	const call = createStoreCall(5000, undefined);
	await pair("store call on a synchronous store (src/manager.ts, src/commit.ts, src/revocation.ts)", "before: awaited", async () => await call("load", () => 1), "not awaited when the answer is not a Promise (applied)", () => call("load", () => 1));

	// Still open.
	const stringsEqual = (a: string, b: string): boolean => {
		if (a.length !== b.length) return false;
		let diff = 0;
		for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
		return diff === 0;
	};
	await pair("constant-time MAC compare in keyring.verify (src/keyring.ts)", "now: 2 × TextEncoder.encode + @oslojs constantTimeEqual", () => bytesEqual(utf8.encode(expectedMac), utf8.encode(gotMac)), "XOR over the 22 char codes, no encoding (open)", () => stringsEqual(expectedMac, gotMac));
	const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	// Canonical unpadded base64url: with 2 or 3 characters in the last group, the last one's low 4 or 2 bits are unused and must be 0.
	const canonicalTail = (text: string): boolean => {
		const rest = text.length % 4;
		return rest === 0 || (B64URL.indexOf(text.charAt(text.length - 1)) & (rest === 2 ? 0x0f : 0x03)) === 0;
	};
	same("canonical check", encodeBase64url(bytes) === body, canonicalTail(body));
	await pair("canonical-spelling check after decoding (src/crypto.ts decodeBase64url)", `now: re-encode (${B64_ENCODE}) and compare`, () => encodeBase64url(bytes) === body, "unused bits of the last character (open)", () => canonicalTail(body));
	{
		const mem = new MemoryStore();
		const t = Date.now();
		const stored: StoredSession = {
			id: hashSessionToken(token), successorId: null, version: 1, data: codec.encode({ ...SAMPLE, counter: 1 }), createdAt: t, rotatedAt: t,
			lastSeenAt: t, idleExpiresAt: t + 1_800_000, absoluteExpiresAt: t + 43_200_000, columns: { user_id: "user-12345" },
		};
		mem.create(stored);
		const plainMap = new Map([[stored.id, stored]]);
		await pair("MemoryStore.get (src/stores/memory.ts)", "now: a copy of the row (data.slice + columns spread)", () => mem.get(stored.id), "the stored row itself (open; kept: callers must not mutate what the store holds)", () => plainMap.get(stored.id));
	}

	// SQLite: sess's UPDATE before and after 3ced16b, and its SELECT against the floor's.
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
		const scoped = db.prepare(`UPDATE "sessions" SET "version" = ?, "data" = ? WHERE "id" = ? AND "version" = ? AND "successor_id" IS NULL`);
		const selectAll = db.prepare(`SELECT "id", "successor_id", "version", "data", "created_at", "rotated_at", "last_seen_at", "idle_expires_at", "absolute_expires_at", "user_id" FROM "sessions" WHERE "id" = ?`);
		const selectFloor = db.prepare(`SELECT data, version FROM sessions WHERE id = ?`);
		const versions = new Map(ids.map((id) => [id, 1]));
		let i = 0;
		await pair("SQLite UPDATE on a data write between touches (src/stores/sqlite.ts)", "before 3ced16b: every column", () => {
			const id = ids[i++ & 255] as string;
			const v = versions.get(id) as number;
			const n = Date.now();
			full.run(v + 1, data, t, t, n, n + 1_800_000, t + 43_200_000, "user-12345", id, v);
			versions.set(id, v + 1);
		}, "version and data only, the scoped UPDATE (applied)", () => {
			const id = ids[i++ & 255] as string;
			const v = versions.get(id) as number;
			scoped.run(v + 1, data, id, v);
			versions.set(id, v + 1);
		});
		await pair("SQLite SELECT on load (src/stores/sqlite.ts)", "now: all 10 columns", () => selectAll.get(ids[i++ & 255] as string), "the floor's SELECT data, version (open; load needs the successor, deadlines and times)", () => selectFloor.get(ids[i++ & 255] as string));
		db.close();
	}
	lines.push(
		"### Applied fixes (before → now) and open alternatives (now → candidate), side by side (µs per call)",
		"",
		table(["what", "baseline", "µs", "alternative", "alt µs", "saved µs"], alt),
		"",
	);
	process.stdout.write(`${lines.join("\n")}\n`);
} finally {
	rmSync(dir, { recursive: true, force: true });
}
