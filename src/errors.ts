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
