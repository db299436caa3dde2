import { describe, expect, test } from "bun:test";
import { Keyring } from "../src/keyring.ts";
import { generateSessionToken, hashSessionToken, isSessionToken } from "../src/token.ts";
import { VerifiedCookies } from "../src/verified-cookies.ts";
import { COOKIE, newKey } from "./helpers/harness.ts";

const OLD = { id: "old", secret: newKey() };
const NEW = { id: "new", secret: newKey() };

function cookies(capacity?: number): VerifiedCookies {
	return new VerifiedCookies(new Keyring([NEW, OLD]), COOKIE, isSessionToken, hashSessionToken, capacity);
}

/** Every single-bit flip of every character from `from` to the end of `value`. */
function flips(value: string, from: number): string[] {
	const out: string[] = [];
	for (let i = from; i < value.length; i++) {
		for (let bit = 0; bit < 8; bit++) out.push(value.slice(0, i) + String.fromCharCode(value.charCodeAt(i) ^ (1 << bit)) + value.slice(i + 1));
	}
	return out;
}

describe("VerifiedCookies", () => {
	test("a cookie verifies alike the first time and every time after, with its token's stored ID", () => {
		const v = cookies();
		const token = generateSessionToken();
		const signed = new Keyring([NEW]).sign(token, COOKIE);
		const expected = { value: token, keyId: "new", staleKey: false, id: hashSessionToken(token) };
		expect(v.verify(signed)).toEqual(expected);
		expect(v.verify(signed)).toEqual(expected);
	});

	test("once a cookie verified, every bit flipped in its key id or MAC is still a bad signature", () => {
		const v = cookies();
		const token = generateSessionToken();
		const signed = new Keyring([NEW]).sign(token, COOKIE);
		expect(typeof v.verify(signed)).toBe("object");
		const accepted = flips(signed, token.length + 1).filter((f) => v.verify(f) !== "bad_signature");
		expect(accepted).toEqual([]);
		// The genuine cookie still loads after all those attempts.
		expect(v.verify(signed)).toEqual({ value: token, keyId: "new", staleKey: false, id: hashSessionToken(token) });
	});

	test("once a cookie verified, a MAC character beyond ASCII whose low byte is the genuine character is refused, not truncated", () => {
		const v = cookies();
		const token = generateSessionToken();
		const signed = new Keyring([NEW]).sign(token, COOKIE);
		expect(typeof v.verify(signed)).toBe("object");
		const macStart = signed.lastIndexOf(".") + 1;
		for (const i of [macStart, macStart + 10, signed.length - 1]) {
			for (const high of [0x100, 0x8000, 0xff00]) {
				const forged = signed.slice(0, i) + String.fromCharCode(signed.charCodeAt(i) | high) + signed.slice(i + 1);
				expect(v.verify(forged)).toBe("bad_signature");
			}
		}
		expect(v.verify(signed)).toEqual({ value: token, keyId: "new", staleKey: false, id: hashSessionToken(token) });
	});

	test("a MAC of another context (cookie name) or another token is refused, seen or not", () => {
		const v = cookies();
		const token = generateSessionToken();
		const ring = new Keyring([NEW]);
		const signed = ring.sign(token, COOKIE);
		const mac = signed.slice(signed.lastIndexOf(".") + 1);
		const otherContext = ring.sign(token, "other");
		const otherMac = ring.sign(generateSessionToken(), COOKIE);
		for (const forged of [otherContext, `${token}.new.${otherMac.slice(otherMac.lastIndexOf(".") + 1)}`]) expect(v.verify(forged)).toBe("bad_signature");
		expect(typeof v.verify(signed)).toBe("object");
		for (const forged of [otherContext, `${token}.new.${otherMac.slice(otherMac.lastIndexOf(".") + 1)}`, `${token}.new.${mac}x`, `${token}.new.${mac.slice(1)}`]) {
			expect(v.verify(forged)).toBe("bad_signature");
		}
	});

	test("the same token signed by the old key and then by the new one verifies under each, stale only under the old", () => {
		const v = cookies();
		const token = generateSessionToken();
		const old = new Keyring([OLD]).sign(token, COOKIE);
		const renewed = new Keyring([NEW]).sign(token, COOKIE);
		for (let i = 0; i < 2; i++) {
			expect(v.verify(old)).toEqual({ value: token, keyId: "old", staleKey: true, id: hashSessionToken(token) });
			expect(v.verify(renewed)).toEqual({ value: token, keyId: "new", staleKey: false, id: hashSessionToken(token) });
		}
	});

	test("a cookie signed by a key the ring does not hold is a bad signature, even for a token seen under a held key", () => {
		const v = cookies();
		const token = generateSessionToken();
		expect(typeof v.verify(new Keyring([NEW]).sign(token, COOKIE))).toBe("object");
		expect(v.verify(new Keyring([{ id: "new", secret: newKey() }]).sign(token, COOKIE))).toBe("bad_signature");
		expect(v.verify(new Keyring([{ id: "gone", secret: newKey() }]).sign(token, COOKIE))).toBe("bad_signature");
	});

	test("a genuine signature over something that is not a token is malformed", () => {
		expect(cookies().verify(new Keyring([NEW]).sign("not-a-token", COOKIE))).toBe("malformed");
	});

	test("past its capacity it forgets, and a forgotten cookie verifies in full again", () => {
		const v = cookies(2);
		const ring = new Keyring([NEW]);
		const tokens = [0, 1, 2, 3, 4].map(() => generateSessionToken());
		for (const token of [...tokens, ...tokens]) expect(v.verify(ring.sign(token, COOKIE))).toEqual({ value: token, keyId: "new", staleKey: false, id: hashSessionToken(token) });
		const first = ring.sign(tokens[0] as string, COOKIE);
		expect(v.verify(`${first.slice(0, -1)}${first.endsWith("A") ? "B" : "A"}`)).toBe("bad_signature");
	});
});
