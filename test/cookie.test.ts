import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MAX_COOKIE_AGE_SECONDS, MAX_COOKIE_HEADER, readCookieValues, serializeCookie, type CookieAttributes } from "../src/cookie.ts";

const NAME = "__Host-sid";

describe("readCookieValues()", () => {
	test("reads the value of the named cookie", () => {
		expect(readCookieValues("theme=dark; __Host-sid=abc.k1.mac; lang=en", NAME)).toEqual(["abc.k1.mac"]);
	});

	test("returns nothing when the cookie is absent", () => {
		expect(readCookieValues("theme=dark; lang=en", NAME)).toEqual([]);
	});

	test("matches the name case-sensitively", () => {
		expect(readCookieValues("__host-sid=a; __HOST-SID=b", NAME)).toEqual([]);
		expect(readCookieValues("__host-sid=a; __Host-sid=b", NAME)).toEqual(["b"]);
	});

	test("matches the whole name, not a suffix or prefix", () => {
		expect(readCookieValues("x__Host-sid=a; __Host-sidx=b; __Host-si=c; Host-sid=d", NAME)).toEqual([]);
	});

	test("trims whitespace around names and values", () => {
		expect(readCookieValues("  __Host-sid  =  v1  ;theme=dark", NAME)).toEqual(["v1"]);
		expect(readCookieValues("a=1;\t__Host-sid=v2\t", NAME)).toEqual(["v2"]);
	});

	test("strips one pair of surrounding double quotes", () => {
		expect(readCookieValues('__Host-sid="quoted"', NAME)).toEqual(["quoted"]);
		expect(readCookieValues('__Host-sid=""', NAME)).toEqual([""]);
	});

	test("keeps a lone or unbalanced quote", () => {
		expect(readCookieValues('__Host-sid="', NAME)).toEqual(['"']);
		expect(readCookieValues('__Host-sid="abc', NAME)).toEqual(['"abc']);
	});

	test("returns every value of a duplicated cookie, in order", () => {
		expect(readCookieValues("__Host-sid=first; theme=dark; __Host-sid=second", NAME)).toEqual(["first", "second"]);
	});

	test("keeps = inside a value", () => {
		expect(readCookieValues("__Host-sid=a=b==", NAME)).toEqual(["a=b=="]);
	});

	test("reads an empty value", () => {
		expect(readCookieValues("__Host-sid=; theme=dark", NAME)).toEqual([""]);
	});

	test("returns nothing for an empty header", () => {
		expect(readCookieValues("", NAME)).toEqual([]);
		expect(readCookieValues(";;; ;", NAME)).toEqual([]);
	});

	test("skips segments without =", () => {
		expect(readCookieValues("__Host-sid; theme=dark", NAME)).toEqual([]);
		expect(readCookieValues("__Host-sid; __Host-sid=ok", NAME)).toEqual(["ok"]);
		expect(readCookieValues("=__Host-sid; __Host-sid", NAME)).toEqual([]);
	});

	test("does not take an = from the next segment", () => {
		expect(readCookieValues("__Host-sid;x=1", NAME)).toEqual([]);
	});

	test("parses a header of exactly 16 KiB", () => {
		const cookie = `${NAME}=v`;
		const header = `${"p".repeat(MAX_COOKIE_HEADER - cookie.length - 2)}; ${cookie}`;
		expect(header).toHaveLength(16 * 1024);
		expect(readCookieValues(header, NAME)).toEqual(["v"]);
	});

	test("ignores a header longer than 16 KiB", () => {
		const cookie = `${NAME}=v`;
		const header = `${"p".repeat(MAX_COOKIE_HEADER - cookie.length - 1)}; ${cookie}`;
		expect(header).toHaveLength(16 * 1024 + 1);
		expect(readCookieValues(header, NAME)).toEqual([]);
	});

	test("never throws and returns only strings, for any header and name", () => {
		fc.assert(
			fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.oneof(fc.constant(NAME), fc.string({ unit: "binary", maxLength: 12 })), (header, name) => {
				const values = readCookieValues(header, name);
				expect(Array.isArray(values)).toBe(true);
				for (const v of values) expect(typeof v).toBe("string");
			}),
			{ numRuns: 3000 },
		);
	});

	test("never throws on headers built from cookie punctuation", () => {
		fc.assert(
			fc.property(fc.array(fc.constantFrom(";", "=", " ", '"', "\t", "a", "__Host-sid"), { maxLength: 60 }), (parts) => {
				const header = parts.join("");
				const values = readCookieValues(header, NAME);
				expect(values.length).toBeLessThanOrEqual(header.split(";").length);
			}),
			{ numRuns: 3000 },
		);
	});

	// RFC 6265: token characters for names, cookie-octets for values (no space, ", comma, ; or \).
	const tokenChar = fc.constantFrom(..."!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
	const octet = fc.constantFrom(..."!#$%&'()*+-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");
	const cookieName = fc.oneof(fc.constantFrom(NAME, "__host-sid", "sid", "theme"), fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 }));
	const cookieValue = fc.string({ unit: octet, maxLength: 30 });

	test("for random name/value pairs, returns exactly the chosen name's values in order", () => {
		fc.assert(
			fc.property(
				fc.array(fc.tuple(cookieName, cookieValue), { minLength: 1, maxLength: 12 }),
				fc.nat(),
				fc.constantFrom("; ", ";", " ;  "),
				(pairs, pick, separator) => {
					const name = (pairs[pick % pairs.length] as [string, string])[0];
					const header = pairs.map(([n, v]) => `${n}=${v}`).join(separator);
					expect(readCookieValues(header, name)).toEqual(pairs.filter(([n]) => n === name).map(([, v]) => v));
				},
			),
			{ numRuns: 3000 },
		);
	});

	test("for random pairs, a name that is not sent yields nothing", () => {
		fc.assert(
			fc.property(fc.array(fc.tuple(cookieName, cookieValue), { maxLength: 12 }), (pairs) => {
				const header = pairs.map(([n, v]) => `${n}=${v}`).join("; ");
				const absent = `${pairs.map(([n]) => n).join("")}-absent`;
				expect(readCookieValues(header, absent)).toEqual([]);
			}),
			{ numRuns: 1000 },
		);
	});
});

describe("serializeCookie()", () => {
	const defaults: CookieAttributes = { maxAge: 3600, path: "/", secure: true, httpOnly: true, sameSite: "lax" };

	test("writes the secure defaults", () => {
		expect(serializeCookie(NAME, "v", defaults)).toBe("__Host-sid=v; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax");
	});

	test("never writes a Domain attribute (which a __Host- cookie must not have)", () => {
		expect(serializeCookie(NAME, "v", defaults)).not.toContain("Domain");
	});

	test("omits Max-Age for a session cookie", () => {
		expect(serializeCookie(NAME, "v", { path: "/", secure: true, httpOnly: true, sameSite: "lax" })).toBe("__Host-sid=v; Path=/; Secure; HttpOnly; SameSite=Lax");
	});

	test("omits Secure and HttpOnly when asked (insecure development)", () => {
		expect(serializeCookie("sid", "v", { ...defaults, secure: false, httpOnly: false })).toBe("sid=v; Path=/; Max-Age=3600; SameSite=Lax");
	});

	test("spells Strict and None", () => {
		expect(serializeCookie(NAME, "v", { ...defaults, sameSite: "strict" })).toBe("__Host-sid=v; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Strict");
		expect(serializeCookie(NAME, "v", { ...defaults, sameSite: "none" })).toBe("__Host-sid=v; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=None");
	});

	test("caps Max-Age at 400 days", () => {
		expect(MAX_COOKIE_AGE_SECONDS).toBe(34_560_000);
		expect(serializeCookie(NAME, "v", { ...defaults, maxAge: 10 * 365 * 86_400 })).toBe("__Host-sid=v; Path=/; Max-Age=34560000; Secure; HttpOnly; SameSite=Lax");
		expect(serializeCookie(NAME, "v", { ...defaults, maxAge: Number.POSITIVE_INFINITY })).toContain("; Max-Age=34560000;");
	});

	test("keeps a Max-Age of exactly 400 days and just under", () => {
		expect(serializeCookie(NAME, "v", { ...defaults, maxAge: 34_560_000 })).toContain("; Max-Age=34560000;");
		expect(serializeCookie(NAME, "v", { ...defaults, maxAge: 34_559_999 })).toContain("; Max-Age=34559999;");
	});

	test("floors a fractional Max-Age", () => {
		expect(serializeCookie(NAME, "v", { ...defaults, maxAge: 59.999 })).toContain("; Max-Age=59;");
		expect(serializeCookie(NAME, "v", { ...defaults, maxAge: 0.5 })).toContain("; Max-Age=0;");
	});

	test("writes a negative Max-Age as 0 (expire now)", () => {
		expect(serializeCookie(NAME, "", { ...defaults, maxAge: -5 })).toBe("__Host-sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax");
		expect(serializeCookie(NAME, "", { ...defaults, maxAge: -0.5 })).toContain("; Max-Age=0;");
	});

	test("writes the given path and value verbatim", () => {
		expect(serializeCookie("sid", "a.b.c", { ...defaults, path: "/app" })).toBe("sid=a.b.c; Path=/app; Max-Age=3600; Secure; HttpOnly; SameSite=Lax");
	});

	test("what serializeCookie writes, readCookieValues reads back", () => {
		fc.assert(
			fc.property(fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), maxLength: 80 }), (value) => {
				const setCookie = serializeCookie(NAME, value, defaults);
				const pair = setCookie.slice(0, setCookie.indexOf(";"));
				expect(readCookieValues(`theme=dark; ${pair}`, NAME)).toEqual([value]);
			}),
			{ numRuns: 500 },
		);
	});
});
