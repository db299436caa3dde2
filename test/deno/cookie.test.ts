// Cookie parsing and serialization under Deno (bun test runs this folder too).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readCookieValues, serializeCookie } from "sess";

describe("readCookieValues()", () => {
	test("finds the value among other cookies, trimming only spaces and tabs", () => {
		assert.deepEqual(readCookieValues("a=1; __Host-sid=abc.def;\tb=2", "__Host-sid"), ["abc.def"]);
	});

	test("returns every value of a duplicated cookie, so the caller can refuse both", () => {
		assert.deepEqual(readCookieValues("__Host-sid=one; __Host-sid=two", "__Host-sid"), ["one", "two"]);
	});

	test("is case-sensitive and does not read a name with a non-breaking space as the cookie", () => {
		assert.deepEqual(readCookieValues("__host-sid=x; \u00a0__Host-sid=y", "__Host-sid"), []);
	});

	test("unquotes a quoted value", () => {
		assert.deepEqual(readCookieValues('__Host-sid="abc"', "__Host-sid"), ["abc"]);
	});
});

describe("serializeCookie()", () => {
	test("writes the __Host- attributes in a fixed order", () => {
		assert.equal(
			serializeCookie("__Host-sid", "v", { path: "/", maxAge: 60.9, secure: true, httpOnly: true, sameSite: "lax" }),
			"__Host-sid=v; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Lax",
		);
	});

	test("caps Max-Age at 400 days", () => {
		assert.match(serializeCookie("n", "v", { path: "/", maxAge: 1e12, secure: true, httpOnly: true, sameSite: "strict" }), /; Max-Age=34560000;/);
	});
});
