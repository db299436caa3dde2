import { StoreUnavailableError } from "./errors.ts";
import { emit, type EventHook } from "./events.ts";
import type { Awaitable } from "./store.ts";

/** Runs one store operation; synchronous answers pass straight through. */
export type StoreCall = <T>(operation: string, fn: () => Awaitable<T>) => Promise<T>;

/**
 * Bounds every store call by `timeoutMs` and turns any failure into `StoreUnavailableError` plus an
 * event, so callers fail closed instead of mistaking an outage for "no session".
 */
export function createStoreCall(timeoutMs: number, hook: EventHook | undefined): StoreCall {
	return async function call<T>(operation: string, fn: () => Awaitable<T>): Promise<T> {
		let timer: ReturnType<typeof setTimeout> | undefined;
		try {
			const result = fn();
			if (!(result instanceof Promise)) return result;
			return await Promise.race([
				result,
				new Promise<never>((_, reject) => {
					timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
				}),
			]);
		} catch (cause) {
			const reason = cause instanceof Error ? cause.message : String(cause);
			emit(hook, { type: "store_unavailable", operation, reason });
			throw new StoreUnavailableError(`Session store failed during ${operation} (${reason}); answer 503 and retry later.`, { cause });
		} finally {
			if (timer !== undefined) clearTimeout(timer);
		}
	};
}
