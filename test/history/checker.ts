// A pure checker over a recorded history of demo requests. It trusts only what was on the wire and
// the real-time order of requests: A precedes B only when A completed before B was invoked; requests
// that overlap may have taken effect in either order, so no rule below orders them.
//
// Identity of a session: every cart item is unique in a run, carts only grow, and login and
// promotion carry the data over (regeneration keeps data, changes the ID). So the first item of a
// cart (the "lineage") names one session for its whole life, through rotations and regenerations;
// the driver starts every session with an anonymous append so that logged-in sessions have one.
import type { History, Op } from "./history.ts";

/** The five guarantees, as the issue names them. */
export type ViolationClass = "a" | "b" | "c" | "d" | "e";

export const VIOLATION_CLASSES: Record<ViolationClass, string> = {
	a: "acknowledged cart append missing from a later read of that session",
	b: "served after an acknowledged logout or revoke",
	c: "periodic rotation logged out a client that followed the protocol",
	d: "a client saw an older state than one it had already seen",
	e: "served to a cookie that was never issued for that session",
};

export interface Violation {
	class: ViolationClass;
	message: string;
	/** The operations that show it, in the order they matter. */
	ops: Op[];
}

export interface CheckReport {
	operations: number;
	violations: Violation[];
	/** Logged-out answers the checker accepted, and why (so an excuse that hides too much is visible). */
	excused: { revokedByDevice: number; lateForGrace: number };
	/** Requests answered 5xx or lost on the network: not acknowledged, so not held to any guarantee. */
	errors: number;
	/** How much of each guarantee the history exercised (a run that never rotated proves little about (c)). */
	coverage: {
		/** Acknowledged appends, each held against every later answer of its session. */
		appends: number;
		/** Of those, appends that completed a grace or more after their cookie's rotation began (finding 4's race; held to (a) all the same). */
		lateAppends: number;
		/** Revoke-others requests that overlapped a rotation of the very cookie they were sent with (finding 1's race). */
		revokesDuringOwnRotation: number;
		/** Periodic rotations seen: a request answered from its session (not a fresh one) with a new cookie, not a login or promotion. */
		rotations: number;
		/** Client requests served logged in although another request was rotating (or had rotated) the cookie they sent. */
		overlappedRotation: number;
		/** Sessions ended by an acknowledged logout or revoke, and later requests that carried one of their cookies. */
		endings: number;
		probesAfterEnd: number;
		/** Requests with a cookie the servers never issued. */
		neverIssued: number;
	};
}

/** What a response shows about the session that served it. */
interface Seen {
	userId?: string | null;
	cart?: readonly number[];
	flash?: string | null;
	/** true: served a logged-in session; false: served a logged-out one; undefined: the answer does not say. */
	loggedIn?: boolean;
}

function record(body: unknown): Record<string, unknown> | null {
	return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

function cartOf(value: unknown): number[] | undefined {
	return Array.isArray(value) && value.every((v) => typeof v === "number") ? (value as number[]) : undefined;
}

const seenCache = new WeakMap<Op, Seen>();

/** Reads what an op's answer shows, from the demo's route contracts (examples/demo/app.ts). */
export function seen(op: Op): Seen {
	let s = seenCache.get(op);
	if (s === undefined) {
		s = readAnswer(op);
		seenCache.set(op, s);
	}
	return s;
}

function readAnswer(op: Op): Seen {
	const body = record(op.body);
	switch (op.kind) {
		case "read": {
			if (op.status !== 200 || body === null) return {};
			const userId = typeof body.userId === "string" ? body.userId : null;
			const out: Seen = { userId, loggedIn: userId !== null, flash: typeof body.flash === "string" ? body.flash : null };
			const cart = cartOf(body.cart);
			if (cart !== undefined) out.cart = cart;
			return out;
		}
		case "append": {
			const cart = op.status === 200 ? cartOf(body?.cart) : undefined;
			return cart === undefined ? {} : { cart };
		}
		case "login":
			return op.status === 200 && typeof body?.userId === "string" ? { userId: body.userId, loggedIn: true } : {};
		case "promote":
			if (op.status === 200 && typeof body?.userId === "string") return { userId: body.userId, loggedIn: true };
			return op.status === 403 ? { loggedIn: false } : {};
		case "revoke":
		case "list":
			if (op.status === 200) return { loggedIn: true };
			return op.status === 401 ? { loggedIn: false } : {};
		default:
			return {};
	}
}

/** The session an answer came from, named by its first cart item; undefined when the answer shows no cart items. */
export function lineageOf(op: Op): number | undefined {
	return seen(op).cart?.[0];
}

/** Whether the answer is what a brand-new anonymous session gives (what a dead or unknown cookie must get). */
function servedFresh(op: Op, s: Seen): boolean | undefined {
	switch (op.kind) {
		case "read":
			return s.cart === undefined ? undefined : s.userId === null && s.cart.length === 0 && s.flash === null;
		case "append":
			return s.cart === undefined ? undefined : s.cart.length === 1 && s.cart[0] === op.item;
		case "promote":
		case "revoke":
		case "list":
			return s.loggedIn === undefined ? undefined : !s.loggedIn;
		default:
			return undefined;
	}
}

/** Appends to a map of lists. */
function add<K, V>(map: Map<K, V[]>, key: K, value: V): void {
	const list = map.get(key);
	if (list === undefined) map.set(key, [value]);
	else list.push(value);
}

const precedes = (a: Op, b: Op): boolean => a.comp < b.inv;
/** Server and driver share the machine clock; this absorbs rounding of the server's millisecond clock. */
const CLOCK_SLACK_MS = 2;

/** Checks a history against the five guarantees; pure, deterministic, independent of the driver. */
export function checkHistory(history: History): CheckReport {
	const ops = [...history.ops].sort((x, y) => x.inv - y.inv || x.id - y.id);
	const views = new Map<Op, Seen>(ops.map((op) => [op, seen(op)]));
	const view = (op: Op): Seen => views.get(op) as Seen;
	const violations: Violation[] = [];
	const excused = { revokedByDevice: 0, lateForGrace: 0 };
	const errors = ops.filter((op) => op.status === 0 || op.status >= 500).length;

	// Facts gathered once.
	const issued = new Set<string>();
	for (const op of ops) for (const c of op.set) if (c !== null) issued.add(c);
	const appendOf = new Map<number, Op>();
	for (const op of ops) if (op.kind === "append" && op.item !== undefined) appendOf.set(op.item, op);
	const byLineage = new Map<number, Op[]>();
	for (const op of ops) {
		const m = lineageOf(op);
		if (m === undefined) continue;
		add(byLineage, m, op);
	}
	// Which session each cookie belongs to, from answers that show it. A cookie sent on an append that
	// got a fresh session proves nothing about that cookie, so only received cookies and non-fresh answers count.
	const cookieLineage = new Map<string, number>();
	for (const op of ops) {
		const m = lineageOf(op);
		if (m === undefined) continue;
		for (const c of op.set) if (c !== null) cookieLineage.set(c, m);
		const fresh = servedFresh(op, view(op));
		if (op.sent !== null && fresh === false && op.role === "client") cookieLineage.set(op.sent, m);
	}

	const coverage = { appends: 0, lateAppends: 0, revokesDuringOwnRotation: 0, rotations: 0, overlappedRotation: 0, endings: 0, probesAfterEnd: 0, neverIssued: 0 };
	coverage.appends = ops.filter((op) => op.kind === "append" && op.status === 200).length;
	coverage.neverIssued = ops.filter((op) => op.sent !== null && !issued.has(op.sent)).length;
	const rotationOf = new Map<string, Op>();
	for (const op of ops) {
		if (op.role !== "client" || op.sent === null || op.kind === "login" || op.kind === "promote") continue;
		if (!op.set.some((c) => c !== null && c !== op.sent) || servedFresh(op, view(op)) !== false) continue;
		coverage.rotations++;
		if (!rotationOf.has(op.sent)) rotationOf.set(op.sent, op);
	}
	for (const op of ops) {
		const r = op.sent === null ? undefined : rotationOf.get(op.sent);
		if (op.role === "client" && r !== undefined && r !== op && r.inv < op.comp && view(op).loggedIn === true) coverage.overlappedRotation++;
	}

	// A request may reach the server after the grace of the cookie it sent has run out (the cookie's
	// rotation began at least a grace before it completed). Nothing excuses an acknowledged write then:
	// these are counted to show the race was run, and checked like every other.
	const rotationsOf = new Map<string, Op[]>();
	for (const op of ops) {
		if (op.role !== "client" || op.sent === null || !op.set.some((c) => c !== null && c !== op.sent)) continue;
		add(rotationsOf, `${op.client} ${op.sent}`, op);
	}
	const rotationsOfSent = (op: Op): Op[] => (op.sent === null ? [] : (rotationsOf.get(`${op.client} ${op.sent}`) ?? []).filter((r) => r !== op));
	coverage.lateAppends = ops.filter((op) => op.kind === "append" && op.status === 200 && rotationsOfSent(op).some((r) => r.inv + history.graceMs <= op.comp + CLOCK_SLACK_MS)).length;
	coverage.revokesDuringOwnRotation = ops.filter((op) => op.kind === "revoke" && op.role === "client" && rotationsOfSent(op).some((r) => r.inv < op.comp && op.inv < r.comp)).length;

	checkAppends(ops, view, byLineage, violations, history.mode === "sealed");
	checkEnded(ops, view, byLineage, cookieLineage, violations, coverage);
	checkRotation(ops, view, history.graceMs, violations, excused);
	checkMonotonic(ops, view, violations);
	checkIssued(ops, view, issued, appendOf, violations);

	return { operations: ops.length, violations, excused, errors, coverage };
}

/** (a) Every acknowledged append is in its own answer and in every later answer of that session. */
function checkAppends(ops: Op[], view: (op: Op) => Seen, byLineage: Map<number, Op[]>, out: Violation[], clientsOnly: boolean): void {
	for (const a of ops) {
		if (a.kind !== "append" || a.status !== 200 || a.item === undefined) continue;
		const cart = view(a).cart;
		if (cart === undefined || !cart.includes(a.item)) {
			out.push({ class: "a", message: `append of ${a.item} was acknowledged without the item in its answer`, ops: [a] });
			continue;
		}
		const m = cart[0] as number;
		for (const later of byLineage.get(m) ?? []) {
			if (!precedes(a, later) || (clientsOnly && later.role !== "client")) continue;
			if (!(view(later).cart ?? []).includes(a.item)) {
				out.push({ class: "a", message: `item ${a.item} (acknowledged) is missing from a later answer of session ${m}`, ops: [a, later] });
				break;
			}
		}
	}
}

/** The earliest acknowledged end of a session: a logout or a revoke. */
interface Ending {
	lineage: number;
	by: Op;
	/** The op that showed which session it was. */
	witness: Op;
}

/** (b) After a logout or revoke is acknowledged, no later request with any cookie of that session is served it. */
function checkEnded(ops: Op[], view: (op: Op) => Seen, byLineage: Map<number, Op[]>, cookieLineage: Map<string, number>, out: Violation[], coverage: CheckReport["coverage"]): void {
	const endings = new Map<number, Ending>();
	const end = (lineage: number, by: Op, witness: Op): void => {
		const known = endings.get(lineage);
		if (known === undefined || by.comp < known.by.comp) endings.set(lineage, { lineage, by, witness });
	};
	const byClient = new Map<number, Op[]>();
	const loggedInByUser = new Map<string, Op[]>();
	for (const op of ops) {
		if (op.role !== "client") continue;
		add(byClient, op.client, op);
		const s = view(op);
		if (lineageOf(op) !== undefined && s.loggedIn === true && s.userId === op.user) add(loggedInByUser, op.user, op);
	}
	for (const op of ops) {
		if (op.status !== 200 || op.role !== "client") continue;
		if (op.kind === "logout" && op.sent !== null) {
			// The session a logout ends is the one the client's last answer before it showed,
			// when that answer was a read of the logged-in session the logout was sent for.
			let witness: Op | undefined;
			for (const other of byClient.get(op.client) ?? []) {
				if (!precedes(other, op) || lineageOf(other) === undefined) continue;
				if (witness === undefined || other.comp > witness.comp) witness = other;
			}
			if (witness !== undefined && witness.kind === "read" && view(witness).loggedIn === true) end(lineageOf(witness) as number, op, witness);
		}
		if (op.kind === "revoke") {
			// Every other device of the user that a completed answer showed logged in before the revoke began.
			for (const other of loggedInByUser.get(op.user) ?? []) {
				if (other.client !== op.client && precedes(other, op)) end(lineageOf(other) as number, op, other);
			}
		}
	}
	const flag = (e: Ending, later: Op, how: string): void => {
		out.push({ class: "b", message: `session ${e.lineage} ${how} after ${e.by.kind} #${e.by.id} was acknowledged`, ops: [e.witness, e.by, later] });
	};
	coverage.endings = endings.size;
	// Requests that carried a cookie of an ended session after the end: what (b) was tested on.
	for (const op of ops) {
		if (op.sent === null) continue;
		const m = cookieLineage.get(op.sent);
		const e = m === undefined ? undefined : endings.get(m);
		if (e !== undefined && precedes(e.by, op)) coverage.probesAfterEnd++;
	}
	for (const e of endings.values()) {
		for (const later of byLineage.get(e.lineage) ?? []) if (precedes(e.by, later)) flag(e, later, "was served");
	}
	// Login and promotion regenerate: the cookie they were sent with dies when they are acknowledged
	// (session fixation), while the session lives on under the new cookie. Promoting an admin changes
	// nothing, so its new cookie (if any) is a periodic rotation, and the old one keeps its grace.
	const regeneratedBy = new Map<string, Op>();
	const roleBefore = (g: Op): unknown => {
		let latest: Op | undefined;
		for (const op of byClient.get(g.client) ?? []) if (op.kind === "read" && op.status === 200 && precedes(op, g) && (latest === undefined || op.comp > latest.comp)) latest = op;
		return latest === undefined ? undefined : (latest.body as Record<string, unknown>).role;
	};
	for (const op of ops) {
		if ((op.kind !== "login" && op.kind !== "promote") || op.status !== 200 || op.role !== "client" || op.sent === null) continue;
		if (!op.set.some((c) => c !== null && c !== op.sent)) continue;
		if (op.kind === "promote" && roleBefore(op) !== "user") continue;
		const known = regeneratedBy.get(op.sent);
		if (known === undefined || op.comp < known.comp) regeneratedBy.set(op.sent, op);
	}
	for (const later of ops) {
		const g = later.sent === null ? undefined : regeneratedBy.get(later.sent);
		if (g === undefined || !precedes(g, later)) continue;
		coverage.probesAfterEnd++;
		if (servedFresh(later, view(later)) === false) {
			out.push({ class: "b", message: `the cookie ${g.kind} #${g.id} was sent with was served after the ${g.kind} was acknowledged (it must die at once)`, ops: [g, later] });
		}
	}
	// Answers without a cart (promote, revoke, list) are matched by the cookie they sent.
	for (const later of ops) {
		if (later.sent === null || lineageOf(later) !== undefined || view(later).loggedIn !== true) continue;
		const m = cookieLineage.get(later.sent);
		const e = m === undefined ? undefined : endings.get(m);
		if (e !== undefined && precedes(e.by, later)) flag(e, later, "was served logged in to a cookie of it");
	}
}

/** (c) A protocol-following client is never logged out except by a revoke or a request that outlived the grace. */
function checkRotation(ops: Op[], view: (op: Op) => Seen, graceMs: number, out: Violation[], excused: CheckReport["excused"]): void {
	// For each cookie a client sent, the earliest invocation of a request that sent it and got a newer cookie (its rotation).
	const rotatedAt = new Map<string, Op[]>();
	for (const op of ops) {
		if (op.role !== "client" || op.sent === null) continue;
		if (!op.set.some((c) => c !== null && c !== op.sent)) continue;
		const key = `${op.client} ${op.sent}`;
		add(rotatedAt, key, op);
	}
	/** Whether `op` may have reached the server after the grace of the cookie it sent had run out. */
	const late = (op: Op): boolean => {
		if (op.sent === null) return false;
		return (rotatedAt.get(`${op.client} ${op.sent}`) ?? []).some((r) => r !== op && r.inv + graceMs <= op.comp + CLOCK_SLACK_MS);
	};
	const loginOf = new Map<number, Op>();
	for (const op of ops) if (op.kind === "login") loginOf.set(op.id, op);
	// Per login (client's belief), the earliest invocation of a request that was late for a grace.
	const firstLate = new Map<string, number>();
	const revokes = new Map<string, Op[]>();
	for (const op of ops) {
		if (op.kind === "revoke" && op.role === "client") add(revokes, op.user, op);
		if (op.role !== "client" || op.belief === null || !late(op)) continue;
		const key = `${op.client} ${op.belief}`;
		firstLate.set(key, Math.min(firstLate.get(key) ?? Infinity, op.inv));
	}
	for (const op of ops) {
		if (op.role !== "client" || op.belief === null || view(op).loggedIn !== false) continue;
		// A revoke by another device excuses it only if it could have reached this login: it began before
		// this answer completed and ended after the login began.
		const login = loginOf.get(op.belief);
		const since = login === undefined ? -Infinity : login.inv;
		if ((revokes.get(op.user) ?? []).some((r) => r.client !== op.client && r.inv < op.comp && r.comp > since)) {
			excused.revokedByDevice++;
			continue;
		}
		// A request of this login that was late for a grace may have left the client with a dead or fresh cookie.
		if ((firstLate.get(`${op.client} ${op.belief}`) ?? Infinity) <= op.inv) {
			excused.lateForGrace++;
			continue;
		}
		out.push({ class: "c", message: `client ${op.client} (logged in by #${op.belief}) was answered as logged out by ${op.kind} #${op.id}`, ops: [...ops.filter((p) => p.id === op.belief), op] });
	}
}

/** (d) Per client: a later answer of a session shows at least what an earlier answer of it showed. */
function checkMonotonic(ops: Op[], view: (op: Op) => Seen, out: Violation[]): void {
	const groups = new Map<string, Op[]>();
	for (const op of ops) {
		const m = lineageOf(op);
		if (op.role !== "client" || m === undefined) continue;
		const key = `${op.client} ${m}`;
		add(groups, key, op);
	}
	for (const list of groups.values()) {
		for (const later of list) {
			const now = view(later);
			const cart = now.cart as readonly number[];
			const has = new Set(cart);
			for (const earlier of list) {
				if (!precedes(earlier, later)) continue;
				const then = view(earlier);
				const thenCart = then.cart as readonly number[];
				const missing = thenCart.filter((i) => !has.has(i));
				// Two reads are exact states, so the earlier is a prefix; an append's answer is the state it loaded plus its item.
				const prefix = earlier.kind !== "read" || later.kind !== "read" || thenCart.every((v, i) => cart[i] === v);
				const lostLogin = then.userId !== undefined && then.userId !== null && now.userId === null;
				// A read consumes the flash message it shows (messages are unique), so showing it again is going back.
				const flashAgain = earlier.kind === "read" && later.kind === "read" && typeof then.flash === "string" && now.flash === then.flash;
				if (missing.length > 0 || !prefix || lostLogin || flashAgain) {
					const what = missing.length > 0 ? `items ${missing.join(",")} seen earlier are gone` : !prefix ? "the cart was reordered" : lostLogin ? "its login was gone" : `flash ${then.flash} came back after it was read`;
					out.push({ class: "d", message: `client ${later.client}: session ${lineageOf(later)} went back (${what})`, ops: [earlier, later] });
					break;
				}
			}
		}
	}
}

/** (e) A never-issued cookie gets a fresh session; no answer shows another client's session, user or unknown data. */
function checkIssued(ops: Op[], view: (op: Op) => Seen, issued: Set<string>, appendOf: Map<number, Op>, out: Violation[]): void {
	for (const op of ops) {
		const s = view(op);
		if (op.sent !== null && !issued.has(op.sent) && servedFresh(op, s) === false) {
			out.push({ class: "e", message: `${op.kind} #${op.id} with a never-issued cookie was served a session`, ops: [op] });
			continue;
		}
		if (s.userId !== undefined && s.userId !== null && s.userId !== op.user) {
			out.push({ class: "e", message: `client ${op.client} (user ${op.user}) was served user ${s.userId}`, ops: [op] });
			continue;
		}
		for (const item of s.cart ?? []) {
			const source = appendOf.get(item);
			if (source === undefined || source.inv > op.comp) {
				out.push({ class: "e", message: `${op.kind} #${op.id} shows item ${item}, which no earlier request appended`, ops: [op] });
				break;
			}
			if (source.client !== op.client) {
				out.push({ class: "e", message: `client ${op.client} was served item ${item} of client ${source.client}'s session`, ops: [source, op] });
				break;
			}
		}
	}
}

/** A violation with its history excerpt, one op per line, for test output and reports. */
export function formatViolation(v: Violation, t0 = 0): string {
	const lines = v.ops.map((op) => {
		const cookie = (c: string | null): string => (c === null ? "-" : `…${c.slice(-8)}`);
		const set = op.set.length === 0 ? "" : ` set=[${op.set.map(cookie).join(",")}]`;
		return `    #${op.id} c${op.client}/${op.role} p${op.process} ${op.kind}${op.item === undefined ? "" : ` ${op.item}`} [${(op.inv - t0).toFixed(1)}, ${(op.comp - t0).toFixed(1)}] ms sent=${cookie(op.sent)} -> ${op.status} ${JSON.stringify(op.body)}${set}`;
	});
	return `  (${v.class}) ${v.message}\n${lines.join("\n")}`;
}
