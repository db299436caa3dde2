// The checker's self-test: a hand-written clean history passes, and each seeded fault is caught as
// the violation class it belongs to. Overlapping requests must never be ordered.
import { describe, expect, test } from "bun:test";
import { checkHistory, type ViolationClass } from "./checker.ts";
import type { History, Op } from "./history.ts";

const GRACE = 10;

type Spec = Partial<Op> & Pick<Op, "id" | "client" | "kind" | "inv" | "comp">;

function op(spec: Spec): Op {
	return { user: spec.client === 2 ? "u1" : "u0", process: 0, role: "client", sent: null, belief: null, status: 200, body: { ok: true }, set: [], ...spec };
}

const view = (userId: string | null, cart: number[], flash: string | null = null) => ({ userId, role: userId === null ? "guest" : "user", cart, theme: null, flash });

/**
 * Two devices of u0 (clients 0 and 1) and one client of u1 (client 2). Client 0 logs in, appends from
 * two tabs at once, rotates while a tab still sends the old cookie, is revoked by client 1, logs in
 * again and logs out; old cookies are replayed and a forged cookie is tried.
 */
function clean(): Op[] {
	return [
		op({ id: 1, client: 0, kind: "append", item: 1, inv: 0, comp: 1, body: { cart: [1] }, set: ["s=A1"] }),
		op({ id: 2, client: 0, kind: "login", sent: "s=A1", inv: 2, comp: 3, body: { userId: "u0", role: "user" }, set: ["s=A2"] }),
		op({ id: 3, client: 0, kind: "read", sent: "s=A2", belief: 2, inv: 4, comp: 5, body: view("u0", [1]) }),
		op({ id: 4, client: 0, kind: "append", item: 2, sent: "s=A2", belief: 2, inv: 6, comp: 7, body: { cart: [1, 2] } }),
		// A second tab, overlapping #4: it loaded the session before #4 landed.
		op({ id: 5, client: 0, kind: "append", item: 3, sent: "s=A2", belief: 2, inv: 6.5, comp: 8, body: { cart: [1, 3] } }),
		// Periodic rotation: A2 → A3; a tab that sent A2 meanwhile is still served (grace).
		op({ id: 6, client: 0, kind: "read", sent: "s=A2", belief: 2, inv: 9, comp: 10, body: view("u0", [1, 2, 3]), set: ["s=A3"] }),
		op({ id: 7, client: 0, kind: "read", sent: "s=A2", belief: 2, inv: 9.5, comp: 11, body: view("u0", [1, 2, 3]) }),
		op({ id: 8, client: 0, kind: "flash", message: "m8", sent: "s=A3", belief: 2, inv: 12, comp: 13 }),
		op({ id: 9, client: 0, kind: "read", sent: "s=A3", belief: 2, inv: 14, comp: 15, body: view("u0", [1, 2, 3], "m8") }),
		op({ id: 10, client: 1, kind: "append", item: 10, inv: 0, comp: 1, body: { cart: [10] }, set: ["s=B1"] }),
		op({ id: 11, client: 1, kind: "login", sent: "s=B1", inv: 2, comp: 3, body: { userId: "u0", role: "user" }, set: ["s=B2"] }),
		op({ id: 12, client: 1, kind: "read", sent: "s=B2", belief: 11, inv: 4, comp: 5, body: view("u0", [10]) }),
		op({ id: 13, client: 1, kind: "revoke", sent: "s=B2", belief: 11, inv: 20, comp: 21, body: { revoked: 1 } }),
		op({ id: 14, client: 0, kind: "read", sent: "s=A3", belief: 2, inv: 22, comp: 23, body: view(null, []) }),
		op({ id: 15, client: 0, kind: "read", role: "replay", sent: "s=A2", inv: 22, comp: 23, body: view(null, []) }),
		op({ id: 16, client: 0, kind: "append", item: 16, sent: "s=A3", inv: 24, comp: 25, body: { cart: [16] }, set: ["s=A4"] }),
		op({ id: 17, client: 0, kind: "login", sent: "s=A4", inv: 26, comp: 27, body: { userId: "u0", role: "user" }, set: ["s=A5"] }),
		op({ id: 18, client: 0, kind: "read", sent: "s=A5", belief: 17, inv: 28, comp: 29, body: view("u0", [16]) }),
		op({ id: 19, client: 0, kind: "logout", sent: "s=A5", belief: 17, inv: 30, comp: 31, set: [null] }),
		op({ id: 20, client: 0, kind: "read", role: "replay", sent: "s=A5", inv: 32, comp: 33, body: view(null, []) }),
		op({ id: 21, client: 2, kind: "read", role: "forged", sent: "s=forged", inv: 1, comp: 2, body: view(null, []) }),
		op({ id: 22, client: 2, kind: "append", item: 22, inv: 3, comp: 4, body: { cart: [22] }, set: ["s=C1"] }),
		op({ id: 23, client: 2, kind: "read", sent: "s=C1", inv: 5, comp: 6, body: view(null, [22]) }),
	];
}

/** The clean history with the ops of `changes` replaced (same id) and `extra` appended. */
function seeded(changes: Spec[], extra: Spec[] = []): History {
	const ops = clean().map((o) => {
		const change = changes.find((c) => c.id === o.id);
		return change === undefined ? o : op({ ...o, ...change });
	});
	return { ops: [...ops, ...extra.map(op)], graceMs: GRACE };
}

const classes = (h: History): ViolationClass[] => [...new Set(checkHistory(h).violations.map((v) => v.class))].sort();

describe("history checker", () => {
	test("the clean history passes, with every op counted", () => {
		const report = checkHistory({ ops: clean(), graceMs: GRACE });
		expect(report.violations).toEqual([]);
		expect(report.operations).toBe(23);
		expect(report.excused).toEqual({ revokedByDevice: 1, lateForGrace: 0 });
	});

	describe("(a) lost append", () => {
		test("an acknowledged item missing from a later read of the session is caught", () => {
			expect(classes(seeded([{ id: 9, client: 0, kind: "read", inv: 14, comp: 15, body: view("u0", [1, 3], "m8") }]))).toContain("a");
		});
		test("seen by another client's replay, it is still caught", () => {
			expect(classes(seeded([], [{ id: 30, client: 0, kind: "read", role: "replay", sent: "s=A3", inv: 16, comp: 17, body: view("u0", [1, 3]) }]))).toEqual(["a"]);
		});
		test("an acknowledgement whose answer lacks the item is caught", () => {
			expect(classes(seeded([{ id: 4, client: 0, kind: "append", inv: 6, comp: 7, body: { cart: [1] } }]))).toContain("a");
		});
		// Finding 4 of docs/guarantees.md, once excused: a write acknowledged after its cookie's grace ran out must have landed too.
		test("an append that completed a grace after its cookie's rotation began is counted, and caught if lost", () => {
			const report = checkHistory(seeded([
				{ id: 4, client: 0, kind: "append", inv: 6, comp: 9 + GRACE + 1, body: { cart: [1, 2] } },
				{ id: 6, client: 0, kind: "read", inv: 9, comp: 10, body: view("u0", [1, 3]), set: ["s=A3"] },
				{ id: 7, client: 0, kind: "read", inv: 9.5, comp: 11, body: view("u0", [1, 3]) },
				{ id: 9, client: 0, kind: "read", inv: 9 + GRACE + 2, comp: 9 + GRACE + 3, body: view("u0", [1, 3], "m8") },
			]));
			expect(report.violations.map((v) => v.class)).toContain("a");
			expect(report.coverage.lateAppends).toBe(1);
		});
		test("a revoke that overlaps a rotation of the cookie it was sent with is counted (finding 1's race)", () => {
			const report = checkHistory(seeded([], [{ id: 30, client: 0, kind: "revoke", sent: "s=A2", belief: 2, inv: 9.2, comp: 10.5, status: 503, body: "unavailable" }]));
			expect(report.violations).toEqual([]);
			expect(report.coverage.revokesDuringOwnRotation).toBe(1);
			expect(checkHistory({ ops: clean(), graceMs: GRACE }).coverage.revokesDuringOwnRotation).toBe(0);
		});
		test("a read that overlaps the append may miss it", () => {
			expect(classes(seeded([], [{ id: 30, client: 0, kind: "read", sent: "s=A2", belief: 2, inv: 6.8, comp: 7.5, body: view("u0", [1]) }]))).toEqual([]);
		});
	});

	describe("(b) served after logout or revoke", () => {
		test("a replayed cookie served after the logout was acknowledged is caught", () => {
			expect(classes(seeded([{ id: 20, client: 0, kind: "read", inv: 32, comp: 33, body: view("u0", [16]) }]))).toEqual(["b"]);
		});
		test("a revoked device's old cookie served after the revoke was acknowledged is caught", () => {
			expect(classes(seeded([{ id: 15, client: 0, kind: "read", inv: 22, comp: 23, body: view("u0", [1, 2, 3]) }]))).toEqual(["b"]);
		});
		test("a cart-less answer (promote) to a cookie of the ended session is caught", () => {
			expect(classes(seeded([], [{ id: 30, client: 0, kind: "promote", role: "replay", sent: "s=A5", inv: 32, comp: 33, body: { userId: "u0", role: "admin" } }]))).toEqual(["b"]);
		});
		test("the cookie a login was sent with, served after the login was acknowledged, is caught", () => {
			expect(classes(seeded([], [{ id: 30, client: 0, kind: "read", role: "replay", sent: "s=A1", inv: 4, comp: 5, body: view(null, [1]) }]))).toEqual(["b"]);
		});
		test("a request that overlaps the logout may still be served", () => {
			expect(classes(seeded([], [{ id: 30, client: 0, kind: "read", role: "replay", sent: "s=A5", inv: 30.5, comp: 32, body: view("u0", [16]) }]))).toEqual([]);
		});
	});

	describe("(c) rotation logged a client out", () => {
		test("logged out with no revoke and no late request is caught", () => {
			expect(classes(seeded([{ id: 13, client: 1, kind: "list", inv: 20, comp: 21, body: [] }]))).toEqual(["c"]);
		});
		test("a tab that sent the rotated-away cookie within the grace and was logged out is caught", () => {
			expect(classes(seeded([{ id: 7, client: 0, kind: "read", inv: 9.5, comp: 11, body: view(null, []) }]))).toEqual(["c"]);
		});
		test("a tab that completed after the grace ran out is excused, and counted", () => {
			const h = seeded([{ id: 7, client: 0, kind: "read", inv: 9.5, comp: 9 + GRACE + 0.5, body: view(null, []) }]);
			const report = checkHistory(h);
			expect(report.violations).toEqual([]);
			expect(report.excused.lateForGrace).toBe(1);
		});
	});

	describe("(d) older state", () => {
		test("a later read missing an item an earlier read showed is caught (the append was never acknowledged)", () => {
			expect(classes(seeded([
				{ id: 5, client: 0, kind: "append", inv: 6.5, comp: 8, status: 0, body: "network error" },
				{ id: 9, client: 0, kind: "read", inv: 14, comp: 15, body: view("u0", [1, 2], "m8") },
			]))).toEqual(["d"]);
		});
		test("a session seen logged in and later seen logged out is caught", () => {
			expect(classes(seeded([{ id: 9, client: 0, kind: "read", inv: 14, comp: 15, body: view(null, [1, 2, 3]) }]))).toContain("d");
		});
		test("a flash message shown again after a completed read consumed it is caught", () => {
			expect(classes(seeded([], [{ id: 30, client: 0, kind: "read", sent: "s=A3", belief: 2, inv: 16, comp: 17, body: view("u0", [1, 2, 3], "m8") }]))).toEqual(["d"]);
		});
		test("two overlapping reads may both show the flash message", () => {
			expect(classes(seeded([], [{ id: 30, client: 0, kind: "read", sent: "s=A3", belief: 2, inv: 14.5, comp: 16, body: view("u0", [1, 2, 3], "m8") }]))).toEqual([]);
		});
		test("two reads that show one cart in different orders are caught", () => {
			expect(classes(seeded([{ id: 9, client: 0, kind: "read", inv: 14, comp: 15, body: view("u0", [1, 3, 2], "m8") }]))).toEqual(["d"]);
		});
	});

	describe("(e) never issued", () => {
		test("a forged cookie served a session is caught", () => {
			expect(classes(seeded([{ id: 21, client: 2, kind: "read", inv: 1, comp: 2, body: view("u1", []) }]))).toEqual(["e"]);
		});
		test("a client served another client's items is caught", () => {
			expect(classes(seeded([{ id: 23, client: 2, kind: "read", inv: 5, comp: 6, body: view(null, [22, 2]) }]))).toContain("e");
		});
		test("a client served another user is caught", () => {
			expect(classes(seeded([{ id: 23, client: 2, kind: "read", inv: 5, comp: 6, body: view("u0", [22]) }]))).toEqual(["e"]);
		});
	});
});
