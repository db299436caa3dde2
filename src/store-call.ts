import { InvalidDataError, StoreUnavailableError } from "./errors.ts";
import { emit, type EventHook } from "./events.ts";
import type { Awaitable } from "./store.ts";

/**
 * Runs one store operation. A synchronous store's answer comes back synchronously (failures thrown at
 * once), so a retry loop over an in-process store never yields between its read and its write.
 */
export type StoreCall = <T, A = undefined>(operation: string, fn: (arg: A) => Awaitable<T>, arg?: A) => Awaitable<T>;

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
	// One timer for every call in flight instead of a setTimeout, clearTimeout and Promise.race per call (~7% of
	// a Redis request's client CPU at 16 in flight). All calls share `timeoutMs`, so deadlines come in the order
	// calls start: the timer is armed for the oldest unsettled call, and settled calls leave from the front.
	const pending: Pending[] = [];
	let head = 0;
	let timer: ReturnType<typeof setTimeout> | undefined;
	const arm = (): void => {
		timer = setTimeout(expire, Math.max(0, (pending[head] as Pending).deadline - performance.now()));
	};
	const expire = (): void => {
		timer = undefined;
		const now = performance.now();
		for (; head < pending.length; head++) {
			const p = pending[head] as Pending;
			if (p.done) continue;
			if (p.deadline > now) break;
			p.done = true;
			p.reject(fail(p.operation, new Error(`timed out after ${timeoutMs} ms`)));
		}
		if (head === pending.length) pending.length = head = 0;
		else arm();
	};
	const settle = (p: Pending): void => {
		p.done = true;
		while (head < pending.length && (pending[head] as Pending).done) head++;
		if (head === pending.length) {
			// Nothing in flight: no timer keeps the process alive.
			pending.length = head = 0;
			if (timer !== undefined) clearTimeout(timer);
			timer = undefined;
		} else if (head > 1024 && head * 2 > pending.length) {
			pending.splice(0, head);
			head = 0;
		}
	};
	function bounded<T>(operation: string, result: Promise<T>): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			const p: Pending = { deadline: performance.now() + timeoutMs, operation, reject, done: false };
			pending.push(p);
			if (timer === undefined) arm();
			result.then(
				(value) => {
					if (p.done) return;
					settle(p);
					resolve(value);
				},
				(cause: unknown) => {
					if (p.done) return;
					settle(p);
					reject(fail(operation, cause));
				},
			);
		});
	}
	// `arg` lets a hot caller pass a long-lived function and its argument instead of a new closure per call.
	return function call<T, A = undefined>(operation: string, fn: (arg: A) => Awaitable<T>, arg?: A): Awaitable<T> {
		let result: Awaitable<T>;
		try {
			result = fn(arg as A);
		} catch (cause) {
			throw fail(operation, cause);
		}
		return result instanceof Promise ? bounded(operation, result) : result;
	};
}

/** A store call in flight, until it settles or times out. */
interface Pending {
	deadline: number;
	operation: string;
	reject(error: unknown): void;
	done: boolean;
}
