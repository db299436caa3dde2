// Fuzzing the attacker-facing decoders (ASVS 15.x robustness; CVE-2024-7592 / CVE-2024-52804 parser DoS,
// CVE-2023-26136 prototype pollution class, GHSA-63x4-8g8c-vhww): 10,000 runs per property.
//
// Failing seeds are kept: every property also runs its REGRESSIONS (via fast-check's `examples`), and
// each regression is a plain test() of its own. When fast-check reports a counterexample, add its
// literal input to the matching REGRESSIONS array with a short label.
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readCookieValues } from "../../src/cookie.ts";
import { Keyring } from "../../src/keyring.ts";
import { generateSessionToken, isSessionToken } from "../../src/token.ts";
import type { Session } from "../../examples/demo/src/generated/session.ts";
import { COOKIE, type Harness, SpyStore, makeSessions, newKey } from "../helpers/harness.ts";
import type { MemoryStore } from "../../src/stores/memory.ts";
import { loadRaw, spied, storedJar } from "./support.ts";

const RUNS = { numRuns: 10_000 } as const;
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// ---- (a) load() on any Cookie header ------------------------------------------------------------

let h: Harness<SpyStore>;
/** Genuine cookie values of three stored sessions; session i has cart [i + 1]. */
let genuine: string[];

beforeAll(async () => {
	h = spied({ keys: [{ id: "k1", secret: newKey() }] });
	genuine = [];
	for (let i = 0; i < 3; i++) genuine.push((await storedJar(h, (s) => (s.cart = [i + 1]))).get() ?? "");
});

interface Outcome {
	isNew: boolean;
	cart: readonly number[];
	reads: string[];
	events: string[];
}

async function outcome(header: string): Promise<Outcome> {
	h.store.reset();
	h.events.length = 0;
	const session: Session = await loadRaw(h, header);
	return {
		isNew: session.isNew,
		cart: session.cart,
		reads: [...h.store.calls],
		events: h.events.map((e) => (e.type === "cookie_invalid" ? `cookie_invalid/${e.reason}` : e.type)),
	};
}

/**
 * For a header that holds no genuine value anywhere: load() resolves to an anonymous session without
 * touching the store, and reports at most one cookie_invalid. (Headers that do hold one are the
 * structured property's business, which knows what it built.)
 */
async function checkUnstructured(header: string): Promise<void> {
	const seen = await outcome(header);
	expect(genuine.some((g) => header.includes(g))).toBe(false);
	expect(seen.isNew).toBe(true);
	expect(seen.cart).toEqual([]);
	expect(seen.reads).toEqual([]);
	expect(seen.events.length).toBeLessThanOrEqual(1);
	for (const e of seen.events) expect(e).toMatch(/^cookie_invalid\/(bad_signature|duplicate|oversized)$/);
}

const HEADER_REGRESSIONS: Array<[string, string]> = [
	["the empty string", ""],
	["a lone =", "="],
	["only semicolons", ";;;;"],
	["an empty session cookie", `${COOKIE}=`],
	["a session cookie of one dot", `${COOKIE}=.`],
	["a session cookie of two dots", `${COOKIE}=..`],
	["a lone double quote as the value", `${COOKIE}="`],
	["an empty quoted value", `${COOKIE}=""`],
	["16 KiB of a", "a".repeat(16 * 1024)],
	["16 KiB + 1 of =", "=".repeat(16 * 1024 + 1)],
	["16 KiB of ;", ";".repeat(16 * 1024)],
	["a NUL byte", "\u0000"],
	["a NUL inside the session cookie", `${COOKIE}=\u0000.k1.${"A".repeat(22)}`],
	["a lone surrogate", "\ud800"],
	["a lone surrogate as the session cookie", `${COOKIE}=\udfff`],
	["a nameless session cookie", `=${COOKIE}=x`],
	["a thousand empty session cookies", Array(1000).fill(`${COOKIE}=`).join(";")],
	["a prototype key as a cookie name", "__proto__=1; constructor=2; toString=3"],
	["backslash-quoted value (CPython quadratic-time class)", `${COOKIE}="${'\\"'.repeat(4000)}"`],
];

describe("fuzz (a): load() on any Cookie header resolves, never throws", () => {
	for (const [label, header] of HEADER_REGRESSIONS) {
		test(`regression: load() with ${label} is an anonymous session without a store read`, async () => {
			await checkUnstructured(header);
		});
	}

	test("property: any printable-ASCII header (fc.string) gives an anonymous session without a store read", async () => {
		await fc.assert(
			fc.asyncProperty(fc.string({ maxLength: 300 }), checkUnstructured),
			{ ...RUNS, examples: HEADER_REGRESSIONS.map(([, s]) => [s] as [string]) },
		);
	});

	test("property: any ASCII header with control characters (binary-ascii) gives an anonymous session without a store read", async () => {
		await fc.assert(
			fc.asyncProperty(fc.string({ unit: "binary-ascii", maxLength: 300 }), checkUnstructured),
			{ ...RUNS, examples: HEADER_REGRESSIONS.map(([, s]) => [s] as [string]) },
		);
	});

	test("property: any full-Unicode header (binary, lone surrogates included) gives an anonymous session without a store read", async () => {
		await fc.assert(
			fc.asyncProperty(fc.string({ unit: "binary", maxLength: 300 }), checkUnstructured),
			{ ...RUNS, examples: HEADER_REGRESSIONS.map(([, s]) => [s] as [string]) },
		);
	});
});

// Structured headers: `name=value` pieces mixing the genuine cookies, mutations of them, look-alike
// names, nameless pairs, dots, base64url and control characters. The generator knows what it built,
// so the expected outcome comes from the construction, not from re-parsing.

type Value = { kind: "genuine"; index: number; wrap: "none" | "quotes" | "spaces" } | { kind: "bad"; text: string } | { kind: "mutant"; index: number; at: number; by: string; how: "replace" | "cut" | "append" };
type Piece = { kind: "session"; name: string; value: Value } | { kind: "decoy"; name: string; value: string } | { kind: "junk"; text: string };
interface Structured {
	pieces: Piece[];
	separator: string;
}

// SP/HTAB padding is RFC whitespace: still the session cookie. (NBSP and other Unicode spaces are not
// generated here: they are the subject of the BUG tests in cookie-tricks.test.ts.)
const SESSION_NAMES = [COOKIE, ` ${COOKIE}`, `${COOKIE} `, `\t${COOKIE}`, `${COOKIE}\t`];
const DECOY_NAMES = ["__host-sid", "__HOST-sid", "__Host-SID", "__Host-sid2", "x__Host-sid", "Host-sid", "%5F%5FHost-sid", "..Host-sid", "", "=__Host-sid", "\u0085__Host-sid", "a", "__proto__"];
const CHAOS = [...BASE64URL, ".", "=", '"', " ", "\t", "\u0000", "\u0001", "\u000b", "\u007f", "\u0080", "\u00a0", "\u00ff", "é", "\u2028", "\ud800"];

const chaos = fc.string({ unit: fc.constantFrom(...CHAOS), maxLength: 80 }).filter((s) => !s.includes("Host-sid"));
const valueArb: fc.Arbitrary<Value> = fc.oneof(
	fc.record({ kind: fc.constant("genuine" as const), index: fc.integer({ min: 0, max: 2 }), wrap: fc.constantFrom("none" as const, "quotes" as const, "spaces" as const) }),
	fc.record({ kind: fc.constant("bad" as const), text: chaos }),
	fc.record({
		kind: fc.constant("mutant" as const),
		index: fc.integer({ min: 0, max: 2 }),
		at: fc.nat(),
		by: fc.constantFrom(...BASE64URL, "."),
		how: fc.constantFrom("replace" as const, "cut" as const, "append" as const),
	}),
);
const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
	fc.record({ kind: fc.constant("session" as const), name: fc.constantFrom(...SESSION_NAMES), value: valueArb }),
	fc.record({ kind: fc.constant("decoy" as const), name: fc.constantFrom(...DECOY_NAMES), value: fc.oneof(chaos, fc.integer({ min: 0, max: 2 }).map((i) => `#${i}`)) }),
	fc.record({ kind: fc.constant("junk" as const), text: chaos }),
);
const structuredArb: fc.Arbitrary<Structured> = fc.record({ pieces: fc.array(pieceArb, { maxLength: 8 }), separator: fc.constantFrom("; ", ";", " ; ", ";\t") });

/** The value text for a piece; a mutant never equals its genuine value, even after SP/HTAB trimming. */
function render(v: Value): string {
	if (v.kind === "bad") return v.text;
	const g = genuine[v.index] as string;
	if (v.kind === "genuine") return v.wrap === "quotes" ? `"${g}"` : v.wrap === "spaces" ? `  ${g}\t` : g;
	const at = v.at % g.length;
	if (v.how === "cut") return g.slice(0, at);
	if (v.how === "append") return g + v.by;
	const by = v.by === g[at] ? (v.by === "A" ? "B" : "A") : v.by;
	return g.slice(0, at) + by + g.slice(at + 1);
}

function build(s: Structured): string {
	return s.pieces
		.map((p) => {
			if (p.kind === "junk") return p.text;
			if (p.kind === "decoy") return `${p.name}=${/^#\d$/.test(p.value) ? genuine[Number(p.value.slice(1))] : p.value}`;
			return `${p.name}=${render(p.value)}`;
		})
		.join(s.separator);
}

function expected(s: Structured): Outcome {
	const session = s.pieces.filter((p): p is Extract<Piece, { kind: "session" }> => p.kind === "session");
	if (session.length === 0) return { isNew: true, cart: [], reads: [], events: [] };
	if (session.length > 1) return { isNew: true, cart: [], reads: [], events: ["cookie_invalid/duplicate"] };
	const only = (session[0] as Extract<Piece, { kind: "session" }>).value;
	if (only.kind === "genuine") return { isNew: false, cart: [only.index + 1], reads: ["get"], events: [] };
	return { isNew: true, cart: [], reads: [], events: ["cookie_invalid/bad_signature"] };
}

async function checkStructured(s: Structured): Promise<void> {
	expect(await outcome(build(s))).toEqual(expected(s));
}

const STRUCTURED_REGRESSIONS: Array<[string, Structured]> = [
	["nothing at all", { pieces: [], separator: "; " }],
	["one genuine cookie", { pieces: [{ kind: "session", name: COOKIE, value: { kind: "genuine", index: 0, wrap: "none" } }], separator: "; " }],
	["a quoted genuine cookie behind a nameless =__Host-sid pair", { pieces: [{ kind: "decoy", name: "=__Host-sid", value: "#1" }, { kind: "session", name: COOKIE, value: { kind: "genuine", index: 1, wrap: "quotes" } }], separator: ";" }],
	["the same genuine cookie twice", { pieces: [0, 1].map(() => ({ kind: "session", name: COOKIE, value: { kind: "genuine", index: 2, wrap: "none" } }) as Piece), separator: "; " }],
	["a genuine cookie under a look-alike name only", { pieces: [{ kind: "decoy", name: "__host-sid", value: "#0" }], separator: "; " }],
	["a genuine cookie with one character appended", { pieces: [{ kind: "session", name: COOKIE, value: { kind: "mutant", index: 0, at: 0, by: "A", how: "append" } }], separator: "; " }],
	["an empty pair between two genuine-looking pieces", { pieces: [{ kind: "junk", text: "" }, { kind: "session", name: `\t${COOKIE}`, value: { kind: "genuine", index: 1, wrap: "spaces" } }, { kind: "junk", text: "=" }], separator: " ; " }],
];

describe("fuzz (a): load() on structured Cookie headers matches what the header holds", () => {
	for (const [label, s] of STRUCTURED_REGRESSIONS) {
		test(`regression: ${label}`, async () => {
			await checkStructured(s);
		});
	}

	test("property: exactly one genuine session cookie loads its session with one read; none is anonymous without a read; two or more are a duplicate", async () => {
		await fc.assert(fc.asyncProperty(structuredArb, checkStructured), { ...RUNS, examples: STRUCTURED_REGRESSIONS.map(([, s]) => [s] as [Structured]) });
	});
});

// ---- (b) readCookieValues ----------------------------------------------------------------------

function checkReader(header: string, name: string): void {
	const values = readCookieValues(header, name);
	expect(Array.isArray(values)).toBe(true);
	if (header.length > 16 * 1024) expect(values).toEqual([]);
	// Never more values than pairs, and every value is text the header holds.
	expect(values.length).toBeLessThanOrEqual(header.split(";").length);
	for (const v of values) {
		expect(typeof v).toBe("string");
		expect(header.includes(v)).toBe(true);
	}
}

describe("fuzz (b): readCookieValues never throws", () => {
	for (const [label, header] of HEADER_REGRESSIONS) {
		test(`regression: readCookieValues with ${label}`, () => {
			checkReader(header, COOKIE);
		});
	}

	test("property: for any header and any name it returns substrings of the header, at most one per pair", () => {
		fc.assert(
			fc.property(fc.string({ unit: "binary", maxLength: 400 }), fc.oneof(fc.constant(COOKIE), fc.string({ unit: "binary", maxLength: 20 })), checkReader),
			{ ...RUNS, examples: HEADER_REGRESSIONS.map(([, s]) => [s, COOKIE] as [string, string]) },
		);
	});
});

// ---- (c) token decoding --------------------------------------------------------------------------

const ring = new Keyring([{ id: "k1", secret: newKey() }, { id: "k0", secret: newKey() }]);
const olderOnly = new Keyring([{ id: "k0", secret: newKey() }]);

function checkTokenShape(s: string): void {
	const accepted = isSessionToken(s);
	const shape = s.length === 43 && [...s].every((c) => BASE64URL.includes(c));
	expect(accepted).toBe(shape);
}

/** verify(s) accepts s only if s is exactly what sign() produces for the payload it returns. */
function checkVerifySound(s: string, context: string): void {
	const verified = ring.verify(s, context);
	if (verified !== null) expect(ring.sign(verified.value, context)).toBe(s);
}

const TOKEN_REGRESSIONS: Array<[string, string]> = [
	["the empty string", ""],
	["42 characters", "A".repeat(42)],
	["44 characters", "A".repeat(44)],
	["43 characters with a dot", `${"A".repeat(42)}.`],
	["43 characters with base64 +", `${"A".repeat(42)}+`],
	["43 characters with padding", `${"A".repeat(42)}=`],
	["a lone surrogate", "\ud800"],
	["43 non-ASCII letters", "é".repeat(43)],
];

const VERIFY_REGRESSIONS: Array<[string, string]> = [
	["the empty string", ""],
	["one dot", "."],
	["only dots", "....."],
	["a key id and 22 dots", `.k1.${".".repeat(22)}`],
	["an empty payload with a well-formed tail", `.k1.${"A".repeat(22)}`],
	["a NUL payload", `\u0000.k1.${"A".repeat(22)}`],
];

describe("fuzz (c): token shape and signatures", () => {
	for (const [label, s] of TOKEN_REGRESSIONS) {
		test(`regression: isSessionToken with ${label}`, () => {
			checkTokenShape(s);
		});
	}

	test("property: isSessionToken never throws and accepts exactly 43 base64url characters", () => {
		fc.assert(fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), fc.string({ unit: fc.constantFrom(...BASE64URL, ".", "=", "+"), minLength: 40, maxLength: 46 })), checkTokenShape), {
			...RUNS,
			examples: TOKEN_REGRESSIONS.map(([, s]) => [s] as [string]),
		});
	});

	test("property: every token generateSessionToken makes from any 32 bytes is accepted", () => {
		fc.assert(
			fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
				expect(isSessionToken(generateSessionToken((b) => b.set(bytes)))).toBe(true);
			}),
			RUNS,
		);
	});

	for (const [label, s] of VERIFY_REGRESSIONS) {
		test(`regression: Keyring.verify with ${label} accepts only what sign produced`, () => {
			checkVerifySound(s, COOKIE);
		});
	}

	test("regression: the empty payload signs to '.kid.mac', which verify refuses (safe: no session token is empty)", () => {
		expect(ring.verify(ring.sign("", COOKIE), COOKIE)).toBeNull();
	});

	test("property: Keyring.verify never throws on any string and context, and accepts only what sign produced", () => {
		fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 120 }), fc.oneof(fc.constant(COOKIE), fc.string({ maxLength: 12 })), checkVerifySound), {
			...RUNS,
			examples: VERIFY_REGRESSIONS.map(([, s]) => [s, COOKIE] as [string, string]),
		});
	});

	test("property: any edit of a signed value (insert, delete, replace anywhere) is refused unless it restores the original", () => {
		const edit = fc.record({ at: fc.nat(), how: fc.constantFrom("insert", "delete", "replace"), ch: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) });
		fc.assert(
			fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 60 }), fc.array(edit, { minLength: 1, maxLength: 4 }), (payload, edits) => {
				const signed = ring.sign(payload, COOKIE);
				let s = signed;
				for (const e of edits) {
					const at = e.at % (s.length + 1);
					s = e.how === "insert" ? s.slice(0, at) + e.ch + s.slice(at) : e.how === "delete" ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + e.ch + s.slice(at + 1);
				}
				const verified = ring.verify(s, COOKIE);
				if (s === signed) expect(verified?.value).toBe(payload);
				else expect(verified).toBeNull();
			}),
			RUNS,
		);
	});

	test("property: every non-empty payload round-trips under its own context, and fails under any other context or a ring without the key", () => {
		fc.assert(
			fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 80 }), fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (payload, context, other) => {
				const signed = ring.sign(payload, context);
				expect(ring.verify(signed, context)).toEqual({ value: payload, keyId: "k1", staleKey: false });
				if (other !== context) expect(ring.verify(signed, other)).toBeNull();
				expect(olderOnly.verify(signed, context)).toBeNull();
			}),
			RUNS,
		);
	});
});

// ---- (d) a stored row holding random bytes ------------------------------------------------------

describe("fuzz (d): load() on a stored row whose data is random bytes", () => {
	let dh: Harness<MemoryStore>;
	let cookie: string;
	let rowId: string;
	let valid: Uint8Array;

	beforeAll(async () => {
		dh = makeSessions();
		const jar = await storedJar(dh, (s) => {
			s.userId = "fuzz";
			s.cart = [1, 2, 3];
			s.theme = "dark";
			s.flash.set("message", "hello");
		});
		cookie = jar.header() ?? "";
		rowId = jar.rowId() ?? "";
		valid = dh.store.get(rowId)?.data ?? new Uint8Array(0);
	});

	function fitsSchema(s: Session): boolean {
		const data = s.toJSON() as unknown as Record<string, unknown>;
		const cart = data.cart;
		return (
			["guest", "user", "admin"].includes(data.role as string) &&
			Array.isArray(cart) &&
			cart.length <= 50 &&
			cart.every((n) => Number.isInteger(n) && (n as number) >= 0) &&
			(data.userId === undefined || (typeof data.userId === "string" && data.userId.length >= 1 && data.userId.length <= 64)) &&
			(data.theme === undefined || data.theme === "light" || data.theme === "dark") &&
			Object.keys(data).every((k) => ["userId", "role", "cart", "theme"].includes(k))
		);
	}

	async function checkRow(bytes: Uint8Array): Promise<void> {
		const row = dh.store.get(rowId);
		expect(row).not.toBeNull();
		if (row === null) return;
		expect(await dh.store.update({ ...row, data: bytes, version: row.version + 1 }, row.version)).toBe(true);
		dh.events.length = 0;
		const session = await dh.sessions.load({ headers: new Headers({ cookie }) });
		const resets = dh.eventsOf("decode_reset");
		if (resets.length > 0) {
			expect(resets).toHaveLength(1);
			expect(session.isNew).toBe(true);
			expect(session.toJSON()).toEqual({ role: "guest", cart: [] });
		} else {
			expect(session.isNew).toBe(false);
			expect(fitsSchema(session)).toBe(true);
		}
		// Whatever happened, the row is still there, untouched (decode_reset leaves it for the next commit).
		expect(dh.store.get(rowId)?.data).toEqual(bytes);
	}

	const ROW_REGRESSIONS: Array<[string, number[]]> = [
		["no bytes", []],
		["a zero byte", [0]],
		["the format byte alone", [1]],
		["the format byte and 0xFF runs", [1, 255, 255, 255]],
		["an unknown format byte", [2, 0, 0]],
		["a varint that never ends", [1, ...Array(64).fill(0x80)]],
		["a length prefix far beyond the data", [1, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]],
	];

	for (const [label, bytes] of ROW_REGRESSIONS) {
		test(`regression: a row holding ${label} loads as a session or a fresh one with decode_reset`, async () => {
			await checkRow(new Uint8Array(bytes));
		});
	}

	test("regression: the row as the codec wrote it loads (control)", async () => {
		await checkRow(valid);
		expect(dh.eventsOf("decode_reset")).toEqual([]);
	});

	test("property: any bytes, format-byte-led bytes, or edits of a valid encoding load as a session or a fresh one with decode_reset, never an exception", async () => {
		const edited = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }).map((edits) => {
			const b = new Uint8Array(valid);
			for (const e of edits) b[e.at % b.length] = e.byte;
			return b;
		});
		const truncated = fc.nat().map((n) => valid.slice(0, n % (valid.length + 1)));
		await fc.assert(
			fc.asyncProperty(
				fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Uint8Array.of(1, ...b)), edited, truncated),
				checkRow,
			),
			{ ...RUNS, examples: ROW_REGRESSIONS.map(([, b]) => [new Uint8Array(b)] as [Uint8Array]) },
		);
	});
});
