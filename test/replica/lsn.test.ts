// WAL positions as PostgreSQL prints them (`hi/lo`, hex, no padding) order like the log only as numbers.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { formatLsn, parseLsn } from "../../src/stores/postgres-replay.ts";

test("a WAL position parses to a number that orders like the log, where the text does not", () => {
	expect(parseLsn("0/16B3748")).toBe(0x16b3748n);
	expect(parseLsn("1/0")).toBeGreaterThan(parseLsn("0/FFFFFFFF"));
	// As text "0/9" sorts after "0/10"; as positions it comes first.
	expect(parseLsn("0/9")).toBeLessThan(parseLsn("0/10"));
	expect(parseLsn("a/b")).toBe(parseLsn("A/B"));
});

test("format and parse round-trip over the whole 64-bit range", () => {
	fc.assert(
		fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (lsn) => {
			expect(parseLsn(formatLsn(lsn))).toBe(lsn);
		}),
	);
});

test("text that is no WAL position is refused, naming the expected form", () => {
	for (const bad of ["", "0", "0/", "/1", "0/1/2", "0/G", "123456789/0", " 0/1"]) {
		expect(() => parseLsn(bad)).toThrow(/is not a PostgreSQL WAL position \(like 0\/16B3748\)/);
	}
});
