// The error classes live in schema/ (the bottom floor, which must not import the runtime); runtime
// modules keep importing them from here.
export {
	ConfigError,
	DecodeError,
	InvalidDataError,
	SchemaError,
	SessError,
	StoreUnavailableError,
	WeakKeyError,
	WriteConflictError,
	SessionLimitError,
	NotMigratedError,
	type SessErrorCode,
} from "../schema/errors.ts";

/**
 * Restarts an error's stack at the caller of `fn` (a constructor or entry point), so that a start-up
 * mistake left uncaught makes the runtime show the app's line, not sess internals.
 */
export function fromCaller<E extends Error>(error: E, fn: Function): E {
	Error.captureStackTrace(error, fn);
	return error;
}
