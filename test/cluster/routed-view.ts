// The Store conformance suite speaks plain IDs (hex SHA-256 of a name); a routed store takes only IDs
// that carry their tag. This view gives each plain ID the tag the manager would mint for its row (the
// tag of its user, the predecessor's for a rotation with grace, else one drawn from the ID) and maps
// every ID in and out, so the unchanged suite runs against the real spread layout: cross-tag logins,
// rows moved between users by update(), directories and all.
import type { AdmitResult, ColumnValue, SessionLimit, Store, StoredSession, UpdateScope } from "../../src/store.ts";
import { sha256Hex } from "../../src/crypto.ts";
import { routeTagFor } from "../../src/token.ts";
import type { RedisSpreadStore } from "../../src/stores/redis-spread.ts";

/** The spread store behind plain IDs; `routed(id)` is the ID the store holds (for key-level checks). */
export function routedView(store: RedisSpreadStore): Store & { routed(id: string): string } {
	const routedOf = new Map<string, string>();
	const column = store.routeBy;

	/** The routed ID of a plain one: known, or placed by `tag` (else a tag drawn from the ID itself). */
	const to = (id: string, tag?: string): string => {
		let r = routedOf.get(id);
		if (r === undefined) {
			r = `${tag ?? sha256Hex(id).slice(0, 3)}.${id}`;
			routedOf.set(id, r);
		}
		return r;
	};
	const from = (id: string): string => id.slice(4);
	const userTag = (row: StoredSession): string | undefined => {
		const v = row.columns[column] ?? null;
		return v === null ? undefined : routeTagFor(column, v);
	};
	const rowIn = (row: StoredSession, tag?: string): StoredSession => ({ ...row, id: to(row.id, tag ?? userTag(row)), successorId: row.successorId === null ? null : to(row.successorId) });
	const rowOut = (row: StoredSession): StoredSession => ({ ...row, id: from(row.id), successorId: row.successorId === null ? null : from(row.successorId) });

	return {
		routeBy: column,
		routed: (id) => to(id),
		async get(id) {
			const row = await store.get(to(id));
			return row === null ? null : rowOut(row);
		},
		create: (s) => store.create(rowIn(s)),
		update: (s: StoredSession, v: number, scope?: UpdateScope) => store.update(rowIn(s), v, scope),
		touch: (id, l, i) => store.touch(to(id), l, i),
		rotate(id: string, v: number, next: StoredSession, graceUntil: number | null) {
			const old = to(id);
			// As the manager mints: a rotation with grace keeps its predecessor's tag, a regeneration takes its user's.
			return store.rotate(old, v, rowIn(next, graceUntil === null ? undefined : old.slice(0, 3)), graceUntil);
		},
		async admit(next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number): Promise<AdmitResult> {
			const result = await store.admit(rowIn(next), replaces === null ? null : { id: to(replaces.id), version: replaces.version }, limit, now);
			return result.status === "admitted" ? { status: "admitted", evicted: result.evicted.map(from) } : result;
		},
		destroy: (id) => store.destroy(to(id)),
		list: async (c: string, v: ColumnValue) => (await store.list(c, v)).map(rowOut),
		revoke: (c: string, v: ColumnValue, exceptId?: string) => store.revoke(c, v, exceptId === undefined ? undefined : to(exceptId)),
		prune: (now: number, limit?: number) => store.prune(now, limit),
		withPruneLock: (fn) => store.withPruneLock(fn),
	};
}
