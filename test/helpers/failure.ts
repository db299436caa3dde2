import { SessError } from "../../src/errors.ts";

/** Runs `fn`, which must throw a SessError; returns it so the caller can pin code and message. */
export function failure(fn: () => unknown): SessError {
	try {
		fn();
	} catch (e) {
		if (e instanceof SessError) return e;
		throw new Error(`expected a SessError, got ${String(e)}`);
	}
	throw new Error("expected a SessError, nothing was thrown");
}

/** Awaits `promise`, which must reject with a SessError; returns it so the caller can pin code and message. */
export async function rejection(promise: Promise<unknown>): Promise<SessError> {
	try {
		await promise;
	} catch (e) {
		if (e instanceof SessError) return e;
		throw new Error(`expected a SessError, got ${String(e)}`);
	}
	throw new Error("expected a SessError, nothing was thrown");
}
