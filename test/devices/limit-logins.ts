// Logins of one user as a browser makes them, for the per-user limit race: used in-process and by limit-worker.ts.
import { createSessions, type Sessions } from "../../examples/demo/src/generated/session.ts";
import { model } from "../../examples/demo/src/generated/session.ts";
import { SessError } from "../../src/errors.ts";
import type { Store } from "../../src/store.ts";
import { openStore } from "../../src/stores/open.ts";
import { RedisStore } from "../../src/stores/redis.ts";

/** Where a worker's store lives: a location as `openStore` takes it, and a Redis prefix of the test's own. */
export interface StoreTarget {
	location: string;
	redisPrefix?: string;
}

/** Opens the demo table's store at `target`. */
export async function openTarget(target: StoreTarget): Promise<{ store: Store; close(): Promise<void> }> {
	if (target.redisPrefix !== undefined) {
		const store = new RedisStore(target.location, { table: model.table, prefix: target.redisPrefix });
		return { store, close: () => store.close() };
	}
	return openStore(target.location, model.table);
}

/** A manager under a limit of `max` sessions per userId. */
export function limitedSessions(store: Store, key: string, max: number, policy: "evict" | "refuse"): Sessions {
	// A generous timeout: 50 logins of one user queue on one lock, on a machine shared with other test runs.
	return createSessions({ store, keys: [key], storeTimeout: "30s", maxSessionsPerUser: { field: "userId", max, policy } });
}

/** What one login ended with: the cookie it was given (and the anonymous one it replaced), or the error code. */
export interface LoginOutcome {
	cookie: string | null;
	anonymous: string | null;
	error: string | null;
}

function cookieValue(setCookie: string | null): string | null {
	return setCookie === null ? null : (setCookie.split(";")[0] as string);
}

/**
 * Signs `user` in `count` times at once; every other login first browses anonymously (a cart), so both
 * a fresh login and a login replacing an anonymous session race.
 */
export async function loginMany(sessions: Sessions, user: string, count: number): Promise<LoginOutcome[]> {
	return Promise.all(
		Array.from({ length: count }, async (_, i): Promise<LoginOutcome> => {
			let anonymous: string | null = null;
			try {
				if (i % 2 === 1) {
					const visitor = await sessions.load(new Request("https://app.test/"));
					visitor.cart = [i];
					anonymous = cookieValue(await sessions.commitCookie(visitor));
				}
				const headers: Record<string, string> = anonymous === null ? {} : { cookie: anonymous };
				const session = await sessions.load(new Request("https://app.test/login", { headers }));
				session.userId = user;
				return { cookie: cookieValue(await sessions.commitCookie(session)), anonymous, error: null };
			} catch (error) {
				if (!(error instanceof SessError)) throw error;
				return { cookie: null, anonymous, error: error.code };
			}
		}),
	);
}
