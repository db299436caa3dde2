import { InvalidDataError, StoreUnavailableError } from "./errors.ts";
import { emit, type EventHook } from "./events.ts";
import type { Awaitable } from "./store.ts";

/**
 * Runs one store operation. A synchronous store's answer comes back synchronously (failures thrown at
 * once), so a retry loop over an in-process store never yields between its read and its write.
 */
export type StoreCall = <T>(operation: string, fn: () => Awaitable<T>) => Awaitable<T>;

/**
 * Bounds every store call by `timeoutMs` and turns any failure into `StoreUnavailableError` plus an
 * event, so callers fail closed instead of mistaking an outage for "no session". A value the store
 * refused as invalid data (`InvalidDataError`, from the store's own error mapping) is no outage: it
 * passes through for the adapters to answer 400, so nobody can fake a 503 with a crafted string.
 */
export function createStoreCall(timeoutMs: number, hook: EventHook | undefined): StoreCall {
	const fail = (operation: string, cause: unknown): StoreUnavailableError | InvalidDataError => {
		if (cause instanceof InvalidDataError) return cause;
		const reason = cause instanceof Error ? cause.message : String(cause);
		emit(hook, { type: "store_unavailable", operation, reason });
		return new StoreUnavailableError(`Session store failed during ${operation} (${reason}); answer 503 and retry later.`, { cause });
	};
	async function bounded<T>(operation: string, result: Promise<T>): Promise<T> {
		let timer: ReturnType<typeof setTimeout> | undefined;
		try {
			return await Promise.race([
				result,
				new Promise<never>((_, reject) => {
					timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
				}),
			]);
		} catch (cause) {
			throw fail(operation, cause);
		} finally {
			if (timer !== undefined) clearTimeout(timer);
		}
	}
	return function call<T>(operation: string, fn: () => Awaitable<T>): Awaitable<T> {
		let result: Awaitable<T>;
		try {
			result = fn();
		} catch (cause) {
			throw fail(operation, cause);
		}
		return result instanceof Promise ? bounded(operation, result) : result;
	};
}
