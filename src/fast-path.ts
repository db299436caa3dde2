import type { CommitOptions } from "./manager-shared.ts";
import type { RequestLike } from "./manager-core.ts";
import type { Awaitable } from "./store.ts";

/**
 * The key of a manager's load and commit as they run inside: synchronous (no promise, no microtask)
 * as long as the store answers synchronously. The adapters use it so that a request over an in-process
 * store and a synchronous handler costs no promise at all; the public `load` and `commit` wrap it.
 */
export const FAST_PATH: unique symbol = Symbol.for("sess.fastPath");

/** `load` and `commit` without the promise wrapping; each throws (or rejects) as its public twin rejects. */
export interface FastPath<S> {
	load(request: RequestLike): Awaitable<S>;
	commit(session: S, response: Response, options?: CommitOptions): Awaitable<Response>;
}
