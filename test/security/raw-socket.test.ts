// Hostile bytes on the wire (ASVS 15/16 robustness; CVE-2024-7592/CVE-2024-52804 parser DoS class): hand-written
// HTTP/1.1 requests over plain TCP to the real demo server, so nothing is sanitized by a client library.
// For each: the server answers (Bun's own 400/431 for malformed headers, or 200 anonymous), never 500,
// sets no session for the malformed input, stores no row, and a normal request afterwards still works.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Browser } from "../helpers/demo-process.ts";
import { COOKIE } from "../helpers/harness.ts";
import { cookieValue, startTempDemo, type TempDemo } from "./support.ts";

interface RawResponse {
	status: number;
	setCookies: string[];
	body: string;
}

/** Sends `request` on a fresh TCP connection and reads until the server closes it (5 s guard). */
function exchange(port: number, request: Uint8Array): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const chunks: Uint8Array[] = [];
		let settled = false;
		const finish = (error?: unknown) => {
			if (settled) return;
			settled = true;
			clearTimeout(guard);
			if (error !== undefined) return reject(error);
			const text = Buffer.concat(chunks).toString("latin1");
			const split = text.indexOf("\r\n\r\n");
			const head = (split < 0 ? text : text.slice(0, split)).split("\r\n");
			const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? "")?.[1] ?? "0");
			const setCookies = head.filter((l) => /^set-cookie:/i.test(l)).map((l) => l.slice(l.indexOf(":") + 1).trim());
			resolve({ status, setCookies, body: split < 0 ? "" : text.slice(split + 4) });
		};
		// Not a sleep: only fails the test if the server never answers or never closes.
		const guard = setTimeout(() => finish(new Error("no complete answer within 5 s")), 5000);
		void Bun.connect({
			hostname: "127.0.0.1",
			port,
			socket: {
				open(socket) {
					socket.write(request);
				},
				data(_socket, data) {
					chunks.push(new Uint8Array(data));
				},
				close() {
					finish();
				},
				error(_socket, error) {
					finish(error);
				},
			},
		}).catch(finish);
	});
}

/** `GET /api/session` with the given raw Cookie field bytes (latin-1 string: one char per byte), plus extra header lines. */
function getSession(cookieField: string | null, extraLines: string[] = []): Uint8Array {
	const lines = ["GET /api/session HTTP/1.1", "Host: 127.0.0.1", "Connection: close", ...extraLines];
	if (cookieField !== null) lines.push(`Cookie: ${cookieField}`);
	return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

/** Every byte value from..to, as a latin-1 string. */
function bytes(from: number, to: number): string {
	return String.fromCharCode(...Array.from({ length: to - from + 1 }, (_, i) => from + i));
}

let app: TempDemo;
let genuine: string;
let other: string;

beforeAll(async () => {
	app = await startTempDemo();
	const owner = new Browser();
	await owner.send(app.base, "POST", "/api/login", { userId: "raw-owner" });
	genuine = cookieValue(owner.cookie ?? "");
	const second = new Browser();
	await second.send(app.base, "POST", "/api/login", { userId: "raw-other" });
	other = cookieValue(second.cookie ?? "");
});

afterAll(async () => {
	await app.stop();
});

/** What a request shows an observer: status, whose session answered, and cookies set. */
async function observe(request: Uint8Array): Promise<{ status: number; userId: unknown; setCookies: string[] }> {
	const res = await exchange(app.port, request);
	const userId = res.status === 200 ? (JSON.parse(res.body) as { userId: unknown }).userId : "(no session body)";
	return { status: res.status, userId, setCookies: res.setCookies };
}

/** Runs one malformed request and checks the server is unharmed: same row count, still serving, still the same process. */
async function attack(request: Uint8Array): Promise<{ status: number; userId: unknown; setCookies: string[] }> {
	const rowsBefore = app.rows();
	const seen = await observe(request);
	expect(seen.status).not.toBe(500);
	expect(app.rows()).toBe(rowsBefore);
	// A follow-up normal request on a new connection is answered by the same, living process.
	expect(await observe(getSession(`${COOKIE}=${genuine}`))).toEqual({ status: 200, userId: "raw-owner", setCookies: [] });
	expect(app.demo.proc.exitCode).toBeNull();
	return seen;
}

const ANONYMOUS = { status: 200, userId: null, setCookies: [] };
const REFUSED_400 = { status: 400, userId: "(no session body)", setCookies: [] };
const REFUSED_431 = { status: 431, userId: "(no session body)", setCookies: [] };

describe("raw HTTP/1.1 over TCP against the running demo", () => {
	test("a hand-written request with the genuine cookie loads its session (control)", async () => {
		expect(await attack(getSession(`${COOKIE}=${genuine}`))).toEqual({ status: 200, userId: "raw-owner", setCookies: [] });
	});

	test("a request without a Cookie field is anonymous (control)", async () => {
		expect(await attack(getSession(null))).toEqual(ANONYMOUS);
	});

	test("a 32 KiB Cookie header is refused by Bun with 431 before sess runs", async () => {
		expect(await attack(getSession(`pad=${"x".repeat(32 * 1024)}; ${COOKIE}=${genuine}`))).toEqual(REFUSED_431);
	});

	test("a 100 KiB Cookie header is refused by Bun with 431 before sess runs", async () => {
		expect(await attack(getSession(`pad=${"x".repeat(100 * 1024)}; ${COOKIE}=${genuine}`))).toEqual(REFUSED_431);
	});

	test("a 15 KiB Cookie header just under the limits still loads the genuine cookie at its end (nothing truncated into another value)", async () => {
		expect(await attack(getSession(`pad=${"x".repeat(15 * 1024)}; ${COOKIE}=${genuine}`))).toEqual({ status: 200, userId: "raw-owner", setCookies: [] });
	});

	test("UTF-8 bytes inside the session cookie value: 200 anonymous, no Set-Cookie", async () => {
		const utf8 = Buffer.from("é☃😀", "utf8").toString("latin1");
		expect(await attack(getSession(`${COOKIE}=${genuine.slice(0, 30)}${utf8}${genuine.slice(30)}`))).toEqual(ANONYMOUS);
	});

	test("UTF-8 bytes in another cookie next to the genuine one do not disturb it", async () => {
		const utf8 = Buffer.from("thème=☃", "utf8").toString("latin1");
		expect(await attack(getSession(`${utf8}; ${COOKIE}=${genuine}`))).toEqual({ status: 200, userId: "raw-owner", setCookies: [] });
	});

	test("every raw byte 0x80–0xFF as the session cookie value: 200 anonymous, no Set-Cookie", async () => {
		expect(await attack(getSession(`${COOKIE}=${bytes(0x80, 0xff)}`))).toEqual(ANONYMOUS);
	});

	test("raw bytes 0x80–0xFF spliced into the genuine value: 200 anonymous, no Set-Cookie", async () => {
		expect(await attack(getSession(`${COOKIE}=${genuine}${bytes(0x80, 0xff)}`))).toEqual(ANONYMOUS);
	});

	test("a NUL byte inside the cookie value is refused by Bun with 400", async () => {
		expect(await attack(getSession(`${COOKIE}=${genuine.slice(0, 10)}\u0000${genuine.slice(10)}`))).toEqual(REFUSED_400);
	});

	test("a 0x01 control byte inside the cookie value is refused by Bun with 400", async () => {
		expect(await attack(getSession(`${COOKIE}=${genuine.slice(0, 10)}\u0001${genuine.slice(10)}`))).toEqual(REFUSED_400);
	});

	test("a DEL (0x7f) inside the genuine value passes Bun but is not the session: 200 anonymous", async () => {
		expect(await attack(getSession(`${COOKIE}=${genuine.slice(0, 10)}\u007f${genuine.slice(10)}`))).toEqual(ANONYMOUS);
	});

	test("a DEL (0x7f) after the genuine value is not the session either: 200 anonymous", async () => {
		expect(await attack(getSession(`${COOKIE}=${genuine}\u007f`))).toEqual(ANONYMOUS);
	});

	test("a bare CR inside the cookie value is refused by Bun with 400", async () => {
		expect(await attack(getSession(`${COOKIE}=${genuine.slice(0, 10)}\r${genuine.slice(10)}`))).toEqual(REFUSED_400);
	});

	test("an obs-fold continuation line cannot smuggle a session cookie: refused with 400", async () => {
		expect(await attack(getSession(`a=1\r\n ${COOKIE}=${genuine}`))).toEqual(REFUSED_400);
	});

	test("two Cookie header lines carrying two different valid sessions: 200 anonymous (duplicate), neither user", async () => {
		expect(await attack(getSession(`${COOKIE}=${other}`, [`Cookie: ${COOKIE}=${genuine}`]))).toEqual(ANONYMOUS);
	});

	// Bun decodes header bytes as latin-1, so the byte 0xA0 reaches sess as U+00A0, which must not be trimmed.
	// See cookie-tricks.test.ts for why a browser-planted name like this matters.
	test("a cookie named 0xA0 + __Host-sid (not a __Host- cookie to a browser) is not read as the session over TCP", async () => {
		expect(await attack(getSession(`\u00a0${COOKIE}=${genuine}`))).toEqual(ANONYMOUS);
	});
});
