// The whole pipeline against deliberately broken stores: the real demo routes and session manager over a
// MemoryStore with one fault each, driven by the same workload. The checker must name each fault's class;
// the unbroken store is the control and must pass.
import { describe, expect, test } from "bun:test";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { Keyring } from "../../src/keyring.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import type { ColumnValue, StoredSession } from "../../src/store.ts";
import { createDemoRoutes, notFound } from "../../examples/demo/app.ts";
import { createSessions, model } from "../../examples/demo/src/generated/session.ts";
import { checkHistory, type ViolationClass } from "./checker.ts";
import { runWorkload } from "./driver.ts";

// In-process requests take a millisecond or so: rotate often, so sessions rotate many times in a run.
const EVERY_MS = 60;
const GRACE_MS = 50;

/** Acknowledges one write in four without storing it. */
class LosesWrites extends MemoryStore {
	private n = 0;
	override update(session: StoredSession, expectedVersion: number): boolean {
		if (++this.n % 4 === 0 && this.get(session.id)?.version === expectedVersion) return true;
		return super.update(session, expectedVersion);
	}
}

/** Logout deletes nothing. */
class KeepsDestroyed extends MemoryStore {
	override destroy(): void {}
}

/** Revoke reports success and ends nobody. */
class IgnoresRevoke extends MemoryStore {
	override revoke(column: string, value: ColumnValue, exceptId?: string): number {
		return this.list(column, value).filter((r) => r.id !== exceptId).length;
	}
}

/** Periodic rotation kills the old ID at once, as if there were no grace. */
class NoGrace extends MemoryStore {
	override rotate(id: string, expectedVersion: number, next: StoredSession): boolean {
		return super.rotate(id, expectedVersion, next, null);
	}
}

/** An ID it does not know finds the newest session instead (a broken index). */
class GuessesUnknown extends MemoryStore {
	private newest: string | null = null;
	override create(session: StoredSession): void {
		super.create(session);
		this.newest = session.id;
	}
	override get(id: string): StoredSession | null {
		return super.get(id) ?? (this.newest === null ? null : super.get(this.newest));
	}
}

async function run(store: MemoryStore, tabs = 3): Promise<ViolationClass[]> {
	const keys = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
	const keyring = Keyring.fromString(keys);
	const sessions = createSessions({ store, keys: keyring, rotation: { every: EVERY_MS, grace: GRACE_MS } });
	// Two servers on one store, as two processes would be.
	const servers = [0, 1].map(() => Bun.serve({ hostname: "127.0.0.1", port: 0, routes: createDemoRoutes(sessions), fetch: notFound, development: false }));
	try {
		const name = model.cookie.name;
		const history = await runWorkload({
			bases: servers.map((s) => `http://127.0.0.1:${s.port}`), users: 2, devicesPerUser: 2, tabs, durationMs: 2500, graceMs: GRACE_MS,
			// Half tampered, half validly signed tokens that no session has.
			forge: (issued) => (issued !== null && Math.random() < 0.5 ? `${issued.slice(0, -3)}AAA` : `${name}=${keyring.sign(encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32))), name)}`),
			seed: 7,
		});
		return [...new Set(checkHistory(history).violations.map((v) => v.class))].sort();
	} finally {
		for (const s of servers) s.stop(true);
	}
}

/**
 * Runs the workload over fresh faulty stores until every expected class shows, at most four times: whether
 * a fault is observed depends on how requests interleave, and a loaded machine serves fewer of them in a run.
 * The control runs once and must be clean; a checker that cannot see a fault still fails all four runs.
 */
async function findsAll(make: () => MemoryStore, expected: ViolationClass[], tabs?: number): Promise<ViolationClass[]> {
	const found = new Set<ViolationClass>();
	for (let attempt = 0; attempt < 4 && !expected.every((c) => found.has(c)); attempt++) {
		for (const c of await run(make(), tabs)) found.add(c);
	}
	return [...found].sort();
}

describe("the checker finds injected store faults end to end", () => {
	test("control: an unbroken store shows no violation", async () => {
		expect(await run(new MemoryStore())).toEqual([]);
	}, 20_000);
	test("acknowledged writes that were not stored: lost appends (a) and older states (d)", async () => {
		const found = await findsAll(() => new LosesWrites(), ["a", "d"]);
		expect(found).toContain("a");
		expect(found).toContain("d");
	}, 60_000);
	test("a logout that deletes nothing: served after logout (b)", async () => {
		expect(await findsAll(() => new KeepsDestroyed(), ["b"])).toContain("b");
	}, 60_000);
	test("a revoke that ends nobody: served after revoke (b)", async () => {
		expect(await findsAll(() => new IgnoresRevoke(), ["b"])).toContain("b");
	}, 60_000);
	test("rotation without grace: protocol-following tabs logged out (c)", async () => {
		// More tabs, so that more requests still carry the cookie a rotation just retired.
		expect(await findsAll(() => new NoGrace(), ["c"], 8)).toContain("c");
	}, 60_000);
	test("an unknown ID served the newest session: never-issued cookies served (e)", async () => {
		expect(await findsAll(() => new GuessesUnknown(), ["e"])).toContain("e");
	}, 60_000);
});
