// Constant-time comparison (ASVS 11.x; CVE-2016-1000236 cookie-signature `==`, Elysia PR #1646, Paragon IE split
// tokens). Timing assertions are banned on this noisy machine, so the claims are proven structurally:
//
// What these tests prove:
//   1. Every MAC check in `Keyring.verify` and every CSRF check in `verifyCsrfToken` calls
//      `@oslojs/crypto/subtle`'s `constantTimeEqual` with the full expected and full presented bytes, and
//      the verdict is exactly that function's answer: forcing it to say "equal" makes a forged MAC pass,
//      forcing "unequal" makes the genuine one fail. So no second, early-exit comparison (===, startsWith,
//      a prefix loop) decides anything on the secret bytes.
//   2. The source of those functions compares secret-bearing values with no `===`/`==`/`!=`/`!==`,
//      `startsWith`/`endsWith`/`includes`/`localeCompare`/`indexOf`; only lengths, `undefined`, `typeof`
//      and key-object identity are compared directly (a scan over the files as text, with a self-test
//      showing the scan does flag such a comparison).
//   3. The store is only ever asked for SHA-256(token), so a database index lookup never compares bytes
//      an attacker can steer one at a time.
// What they cannot prove:
//   - that `constantTimeEqual` itself runs in constant time on this engine (it is a XOR-accumulate loop
//     with an early exit on length, and the JIT could in theory specialize it);
//   - anything about lengths: a MAC of the wrong length is refused before the comparison, which reveals
//     only the public MAC length (22 characters);
//   - side channels in HMAC computation, TextEncoder or the Map lookup of the (public) key id.
import { afterEach, describe, expect, mock, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as subtle from "@oslojs/crypto/subtle";
import { createCsrfToken, verifyCsrfToken } from "../../src/csrf.ts";
import { Keyring } from "../../src/keyring.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import type { StoredSession } from "../../src/store.ts";
import { hashSessionToken, secureRandom } from "../../src/token.ts";
import { COOKIE, CookieJar, makeSessions, newKey, visit } from "../helpers/harness.ts";
import { loadRaw, sid, storedJar } from "./support.ts";

// Captured before the mock replaces the module's export.
const realConstantTimeEqual = subtle.constantTimeEqual;
let verdict: "real" | "equal" | "unequal" = "real";
const calls: Array<[Uint8Array, Uint8Array]> = [];

// Delegates to the real function unless a test forces a verdict, so other test files that run later in
// the same process see unchanged behaviour.
mock.module("@oslojs/crypto/subtle", () => ({
	...subtle,
	constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
		calls.push([new Uint8Array(a), new Uint8Array(b)]);
		return verdict === "real" ? realConstantTimeEqual(a, b) : verdict === "equal";
	},
}));

afterEach(() => {
	verdict = "real";
	calls.length = 0;
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function ring(): Keyring {
	return new Keyring([{ id: "k1", secret: newKey() }]);
}

function randomMac(): string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const bytes = crypto.getRandomValues(new Uint8Array(22));
	return Array.from(bytes, (b) => alphabet[b % 64]).join("");
}

describe("MAC checks go through constantTimeEqual", () => {
	test("every verify that reaches a known key id calls constantTimeEqual once, with the full expected and the full presented MAC", () => {
		const r = ring();
		const signed = r.sign("payload", COOKIE);
		const [value, kid, mac] = signed.split(".") as [string, string, string];
		const presented = [mac, ...Array.from({ length: 200 }, randomMac)];
		const verdicts = presented.map((m) => r.verify(`${value}.${kid}.${m}`, COOKIE) !== null);
		expect(verdicts).toEqual([true, ...Array(200).fill(false)]);
		expect(calls).toHaveLength(201);
		expect(calls.map(([expected]) => text(expected))).toEqual(Array(201).fill(mac));
		expect(calls.map(([, given]) => text(given))).toEqual(presented);
	});

	test("the verdict is constantTimeEqual's: forced to say 'unequal', the genuine signature is refused", () => {
		const r = ring();
		const signed = r.sign("payload", COOKIE);
		expect(r.verify(signed, COOKIE)).not.toBeNull(); // control
		verdict = "unequal";
		expect(r.verify(signed, COOKIE)).toBeNull();
	});

	test("no second comparison backs it up: forced to say 'equal', a forged MAC of the right shape is accepted", () => {
		const r = ring();
		const [value, kid] = r.sign("payload", COOKIE).split(".") as [string, string, string];
		const forged = `${value}.${kid}.${randomMac()}`;
		expect(r.verify(forged, COOKIE)).toBeNull(); // control
		verdict = "equal";
		expect(r.verify(forged, COOKIE)?.value).toBe("payload");
	});

	test("load() with a forged cookie reaches the MAC check through constantTimeEqual, end to end", async () => {
		const h = makeSessions({ keys: [{ id: "k1", secret: newKey() }] });
		const jar = await storedJar(h);
		const [token, kid] = (jar.get() ?? "").split(".") as [string, string, string];
		const mac = randomMac();
		calls.length = 0;
		const session = await loadRaw(h, sid(`${token}.${kid}.${mac}`));
		expect(session.isNew).toBe(true);
		expect(calls.map(([, given]) => text(given))).toEqual([mac]);
	});

	test("a forged cookie accepted by a lying constantTimeEqual loads the session: the manager trusts only that verdict", async () => {
		const h = makeSessions({ keys: [{ id: "k1", secret: newKey() }] });
		const jar = await storedJar(h);
		const [token, kid] = (jar.get() ?? "").split(".") as [string, string, string];
		verdict = "equal";
		const session = await loadRaw(h, sid(`${token}.${kid}.${randomMac()}`));
		expect(session.isNew).toBe(false);
		expect(session.cart).toEqual([1, 2, 3]);
	});
});

describe("CSRF checks go through constantTimeEqual", () => {
	function secret(): Uint8Array {
		const s = new Uint8Array(32);
		crypto.getRandomValues(s);
		return s;
	}

	test("verifyCsrfToken compares the unmasked token with the secret through constantTimeEqual, in full", () => {
		const s = secret();
		const token = createCsrfToken(s, secureRandom);
		expect(verifyCsrfToken(s, token)).toBe(true);
		expect(calls).toHaveLength(1);
		const [unmasked, given] = calls[0] as [Uint8Array, Uint8Array];
		expect([...unmasked]).toEqual([...s]);
		expect([...given]).toEqual([...s]);
	});

	test("forced 'unequal', a genuine CSRF token is refused", () => {
		const s = secret();
		const token = createCsrfToken(s, secureRandom);
		verdict = "unequal";
		expect(verifyCsrfToken(s, token)).toBe(false);
	});

	test("forced 'equal', a CSRF token of another session is accepted: no second comparison backs it up", () => {
		const s = secret();
		const other = createCsrfToken(secret(), secureRandom);
		expect(verifyCsrfToken(s, other)).toBe(false); // control
		verdict = "equal";
		expect(verifyCsrfToken(s, other)).toBe(true);
	});
});

describe("the store never compares tokens", () => {
	test("every store read is keyed by SHA-256(token), never by the token or the cookie value", async () => {
		const asked: string[] = [];
		class Recording extends MemoryStore {
			override get(id: string): StoredSession | null {
				asked.push(id);
				return super.get(id);
			}
		}
		const h = makeSessions({ store: new Recording() });
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.cart = [1]));
		await visit(h, jar);
		const unknown = new CookieJar();
		unknown.set(COOKIE, new Keyring(h.keys).sign("A".repeat(43), COOKIE));
		await visit(h, unknown);
		expect(asked).toEqual([hashSessionToken(jar.token() ?? ""), hashSessionToken("A".repeat(43))]);
		for (const id of asked) expect(id).toMatch(/^[0-9a-f]{64}$/);
	});
});

// ---- Source scan ---------------------------------------------------------------------------------

const root = join(import.meta.dir, "..", "..");

/** The body of the first function or method whose header matches `header`, by brace matching. */
function bodyOf(source: string, header: RegExp): string {
	const match = header.exec(source);
	if (match === null) throw new Error(`no function matching ${header}`);
	const open = source.indexOf("{", match.index + match[0].length - 1);
	let depth = 0;
	for (let i = open; i < source.length; i++) {
		if (source[i] === "{") depth++;
		else if (source[i] === "}" && --depth === 0) return source.slice(open + 1, i);
	}
	throw new Error(`unbalanced braces after ${header}`);
}

/** Operands that carry no secret: lengths, constants, undefined/null, typeof tests, key-object identity. */
const HARMLESS = [
	/^(undefined|null|true|false)$/,
	/^-?\d+$/,
	/^[A-Z][A-Z0-9_]*( \* \d+)?$/,
	/\.length\b/,
	/^typeof \w+$/,
	/^"(string|number|object|undefined|boolean)"$/,
	/^(key|this\.keys\[\d+\])$/,
];

/** Problems in one function body: a direct comparison or a string-search method on secret-bearing values. */
function scan(body: string): string[] {
	const problems: string[] = [];
	const code = body.replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
	const op = /(===|!==|==|!=)/g;
	for (let m = op.exec(code); m !== null; m = op.exec(code)) {
		const before = code.slice(0, m.index);
		const after = code.slice(m.index + m[0].length);
		const lhs = (before.split(/\|\||&&|[(;,{}?!]|\breturn\b|\bif\b/).pop() ?? "").trim();
		const rhs = (after.split(/\|\||&&|[);,{}?]/)[0] ?? "").trim();
		if (!HARMLESS.some((re) => re.test(lhs)) && !HARMLESS.some((re) => re.test(rhs))) problems.push(`${lhs} ${m[0]} ${rhs}`);
	}
	for (const m of code.matchAll(/\.(startsWith|endsWith|includes|localeCompare|equals|compare)\(/g)) problems.push(`.${m[1]}(…)`);
	for (const m of code.matchAll(/\.(indexOf|lastIndexOf)\(([^,)]*)/g)) if (m[2]?.trim() !== '"."') problems.push(`.${m[1]}(${m[2]}…)`);
	return problems;
}

function read(file: string): string {
	return readFileSync(join(root, file), "utf8");
}

describe("source scan: MACs, tokens and CSRF secrets are never compared with === or string search", () => {
	const targets: Array<[string, string, RegExp]> = [
		["Keyring.verify", "src/keyring.ts", /\n\tverify\(signed: string, context: string\)[^{]*\{/],
		["verifyCsrfToken", "src/csrf.ts", /export function verifyCsrfToken\([^)]*\)[^{]*\{/],
		["tokensEqual", "src/token.ts", /export function tokensEqual\([^)]*\)[^{]*\{/],
		["bytesEqual", "src/crypto.ts", /export function bytesEqual\([^)]*\)[^{]*\{/],
	];
	for (const [name, file, header] of targets) {
		test(`${name} (${file}) compares secret bytes only through the constant-time helper`, () => {
			const body = bodyOf(read(file), header);
			expect(body).toMatch(name === "bytesEqual" ? /\bconstantTimeEqual\(/ : /\bbytesEqual\(/);
			expect(scan(body)).toEqual([]);
		});
	}

	test("the scan reads the real comparisons (not an empty body): Keyring.verify has its length, undefined and key-identity checks", () => {
		const body = bodyOf(read("src/keyring.ts"), /\n\tverify\(signed: string, context: string\)[^{]*\{/);
		expect((body.match(/===|!==|==|!=/g) ?? []).length).toBeGreaterThanOrEqual(3);
	});

	test("self-test: the scan flags a MAC compared with ===, !=, startsWith or a prefix search", () => {
		const bad = [
			"if (expected !== signed.slice(macStart + 1)) return null;",
			"if (signed.slice(macStart + 1) == expected) return value;",
			"if (!signed.endsWith(expected)) return null;",
			"if (!signed.slice(macStart + 1).startsWith(expected)) return null;",
			"return encodeBase64urlNoPadding(unmasked) === encodeBase64urlNoPadding(secret);",
			"if (signed.indexOf(expected) < 0) return null;",
		];
		expect(bad.map((line) => ({ line, flagged: scan(line).length > 0 }))).toEqual(bad.map((line) => ({ line, flagged: true })));
		// And it leaves the harmless shapes alone.
		expect(scan('if (key === undefined || typeof token !== "string" || token.length !== 86) return null; return key !== this.keys[0];')).toEqual([]);
	});
});
