import type { Awaitable, Store, StoredSession, UpdateScope } from "./store.ts";

/**
 * The key under which an in-process store offers sess's own load and commit its rows without copies. A
 * store's public methods copy rows in and out so that an app can never change a stored session by
 * accident; sess never changes a row it read or wrote (it builds a new one for every write, and decoding
 * copies what it keeps), so for its own per-request read and write the two copies are pure cost. A store
 * may also leave columns a request rarely reads (device record, promoted columns) to be read when first
 * asked for (SQLite does): sess reads a loaded row's `device` and `columns` by field, never by spreading them.
 */
export const SHARED_ROWS: unique symbol = Symbol.for("sess.sharedRows");

/** Row access without copies: the caller treats every row it gets or gives as frozen. */
export interface SharedRows {
	get(id: string): Awaitable<StoredSession | null>;
	update(session: StoredSession, expectedVersion: number, scope?: UpdateScope): Awaitable<boolean>;
}

/** The store's copy-free row access when it has one, else the store itself. */
export function sharedRows(store: Store): SharedRows {
	return (store as Store & { [SHARED_ROWS]?: SharedRows })[SHARED_ROWS] ?? store;
}
