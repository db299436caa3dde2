// Instructions per call of each step of a sealed request (callgrind, like bench/instructions.ts): where the
// sealed load + commit spends what the AES-256-GCM floor does not. Each part runs in its own process.
//
//   bun bench/sealed-parts.ts                 # every part (a few minutes of CPU)
//   bun bench/sealed-parts.ts whole open seal # some of them
//
// A part runs a pool of 256 sealed sessions round-robin, as the in-process benchmark does; the whole
// request follows the cookies it sets, the single steps repeat on the first request's intermediate values.
// Windows of 2000 and 12000 calls: with 1000 and 3000 a garbage collection landing in one window moved the
// whole request by ±20k instructions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "sess/stores/memory";
import { readSessionCookie, serializeCookie } from "../src/cookie.ts";
import { Keyring } from "../src/keyring.ts";
import { Revocations } from "../src/revocation.ts";
import { decodeSealedPlaintext, encodeSealedPlaintext } from "../src/sealed.ts";
import { createStoreCall } from "../src/store-call.ts";
import { countWindows } from "./lib/callgrind.ts";
import { sig, table } from "./lib/stats.ts";
import { codec, cookiePair, createBenchSessions, FOREIGN_COOKIES, newKey, SAMPLE } from "./lib/schema.ts";

const POOL = 256;
const WARM = 20000;
const SMALL = 2000;
const LARGE = 12000;

type Part = () => unknown;

async function parts(): Promise<Record<string, { what: string; run: Part }>> {
	const key = newKey();
	const revStore = new MemoryStore();
	const sessions = createBenchSessions({ mode: "sealed", revocations: revStore, keys: [key] });
	const keyring = new Keyring([key]);
	const name = "__Host-sid";
	const headers: string[] = [];
	for (let i = 0; i < POOL; i++) {
		const s = await sessions.load({ headers: new Headers() });
		Object.assign(s, SAMPLE);
		const set = await sessions.commitCookie(s);
		if (set === null) throw new Error("no cookie");
		headers.push(`${FOREIGN_COOKIES}; ${cookiePair(set)}`);
	}
	const cookieName = (headers[0] as string).slice(FOREIGN_COOKIES.length + 2).split("=")[0] as string;
	if (cookieName !== name) throw new Error(`cookie name ${cookieName}`);
	let slot = 0;
	const next = (): number => (slot = (slot + 1) % POOL);
	const value = (readSessionCookie(headers[0] as string, name) as { value: string }).value;
	const opened = keyring.open(value, name);
	if (opened === null) throw new Error("the bench keyring does not open the manager's cookie");
	const plain = decodeSealedPlaintext(opened.bytes);
	if (plain === null) throw new Error("no plaintext");
	const revocations = new Revocations(revStore, createStoreCall(5000, undefined), createStoreCall(5000, undefined));
	const decoded = codec.decodeSession(plain.codecBytes);
	const codecBytes = codec.encodeTrusted(decoded.data, undefined, decoded.meta);
	const plaintext = encodeSealedPlaintext(plain.header, codecBytes).slice();
	const random = (b: Uint8Array<ArrayBuffer>) => crypto.getRandomValues(b);
	const request = (i: number) => ({ headers: { get: () => headers[i] as string } });
	return {
		whole: {
			what: "whole request: load → counter + 1 → commitCookie",
			run: async () => {
				const i = next();
				const s = await sessions.load(request(i));
				s.counter = s.counter + 1;
				const set = await sessions.commitCookie(s);
				if (set !== null) headers[i] = `${FOREIGN_COOKIES}; ${cookiePair(set)}`;
			},
		},
		read: {
			what: "read-only request: load → read role → commitCookie",
			run: async () => {
				const s = await sessions.load(request(next()));
				if (s.role !== "user") throw new Error("role");
				await sessions.commitCookie(s);
			},
		},
		load: { what: "load only", run: () => sessions.load(request(next())) },
		cookie: { what: "readSessionCookie", run: () => readSessionCookie(headers[next()] as string, name) },
		open: { what: "keyring.open (base64url + AES-GCM open)", run: () => keyring.open(value, name) },
		header: { what: "decodeSealedPlaintext", run: () => decodeSealedPlaintext(opened.bytes) },
		revocation: {
			what: "revocations.lineage + notBefore",
			run: () => {
				revocations.lineage("00112233445566778899aabbccddeeff");
				return revocations.notBefore("user_id", SAMPLE.userId ?? null);
			},
		},
		decode: { what: "codec.decodeSession", run: () => codec.decodeSession(plain.codecBytes) },
		encode: { what: "codec.encodeTrusted", run: () => codec.encodeTrusted(decoded.data, undefined, decoded.meta) },
		plaintext: { what: "encodeSealedPlaintext", run: () => encodeSealedPlaintext(plain.header, codecBytes) },
		seal: { what: "keyring.seal (IV + AES-GCM seal + base64url)", run: () => keyring.seal(plaintext, name, random) },
		setcookie: { what: "serializeCookie", run: () => serializeCookie(name, value, { path: "/", secure: true, httpOnly: true, sameSite: "lax", maxAge: 2592000 }) },
	};
}

async function child(id: string): Promise<void> {
	const part = (await parts())[id];
	if (part === undefined) throw new Error(`unknown part ${id}`);
	const lines = console[Symbol.asyncIterator]();
	const run = async (n: number) => {
		for (let i = 0; i < n; i++) {
			const r = part.run();
			if (r instanceof Promise) await r;
		}
	};
	await run(WARM);
	process.stdout.write("WARM\n");
	for (const n of [SMALL, LARGE]) {
		await lines.next();
		await run(n);
		process.stdout.write("DONE\n");
	}
	await lines.next();
	process.exit(0);
}

async function count(dir: string, id: string): Promise<number> {
	const out = join(dir, id);
	const [a, b] = await countWindows({ command: [process.execPath, import.meta.path, "--child", id], out, label: id });
	return (b - a) / (LARGE - SMALL);
}

if (process.argv[2] === "--child") {
	await child(process.argv[3] ?? "");
} else {
	const all = await parts();
	const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(all);
	const dir = mkdtempSync(join(tmpdir(), "sess-parts-"));
	try {
		const rows: string[][] = [];
		for (const id of wanted) {
			process.stderr.write(`callgrind: ${id}\n`);
			rows.push([id, all[id]?.what ?? "?", sig((await count(dir, id)) / 1000)]);
		}
		process.stdout.write(`Sealed request, instructions per call (callgrind; ${WARM} warm-up calls, then ${SMALL} vs ${LARGE})\n\n`);
		process.stdout.write(`${table(["part", "what", "kIr/call"], rows)}\n`);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
	process.exit(0);
}
