import { problemAt } from "./problem-path.ts";

/** Every code a sess error can carry; stable across releases, safe to branch on. */
export type SessErrorCode =
	| "invalid_config"
	| "weak_key"
	| "unsupported_schema"
	| "invalid_data"
	| "decode_failed"
	| "store_unavailable"
	| "write_conflict"
	| "session_limit"
	| "migration_failed"
	| "not_migrated";

/** Base class of all errors sess throws; `code` is stable, `message` says what to do. */
export class SessError extends Error {
	override name = "SessError";
	readonly code: SessErrorCode;

	constructor(code: SessErrorCode, message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.code = code;
	}
}

/** A setting is missing, malformed, or weakens a secure default without `insecure`. */
export class ConfigError extends SessError {
	override name = "ConfigError";
}

/** A signing key is too short, too regular, or a well-known placeholder. */
export class WeakKeyError extends SessError {
	override name = "WeakKeyError";
	constructor(message: string) {
		super("weak_key", `${message} Generate one with \`npx sess keygen\` (or \`bunx sess keygen\`): 32 random bytes, base64url.`);
	}
}

/** A Zod schema uses a construct the codec cannot store faithfully. */
export class SchemaError extends SessError {
	override name = "SchemaError";
}

/** A value assigned to a session field does not satisfy the schema. */
export class InvalidDataError extends SessError {
	override name = "InvalidDataError";
	/** The field written (`data.cart`), or `data` / `flash` for a whole value; the message names the nested part. */
	readonly path: string;
	constructor(path: string, message: string) {
		super("invalid_data", problemAt(path, message));
		this.path = path;
	}

	/** 400, uncacheable, naming the field and what is wrong with it (never the value); Hono's default error handler answers with it instead of logging a stack. */
	getResponse(): Response {
		return new Response(`Invalid input: ${this.message}. Send a value the session schema accepts.`, {
			status: 400,
			headers: { "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
		});
	}
}

/** Stored or transmitted bytes are not a valid encoding of the schema. */
export class DecodeError extends SessError {
	override name = "DecodeError";
	constructor(message: string) {
		super("decode_failed", message);
	}
}

/** The session store failed or timed out; adapters answer 503 and leave the cookie alone. */
export class StoreUnavailableError extends SessError {
	override name = "StoreUnavailableError";
	constructor(message: string, options?: { cause?: unknown }) {
		super("store_unavailable", message, options);
	}

	/** 503 with Retry-After, uncacheable; Hono's default error handler answers with it instead of logging a stack. */
	getResponse(): Response {
		return retryLater();
	}
}

/** A write lost the compare-and-set race too many times in a row; adapters answer 503 and the client may retry. */
export class WriteConflictError extends SessError {
	override name = "WriteConflictError";
	constructor(message: string) {
		super("write_conflict", message);
	}

	/** 503 with Retry-After, uncacheable; Hono's default error handler answers with it instead of logging a stack. */
	getResponse(): Response {
		return retryLater();
	}
}

/** A login was refused because the user already holds `maxSessionsPerUser.max` live sessions (policy `refuse`). */
export class SessionLimitError extends SessError {
	override name = "SessionLimitError";
	/** The limit in force. */
	readonly max: number;
	constructor(max: number) {
		super("session_limit", `This account is already signed in on ${max} device${max === 1 ? "" : "s"}, the most allowed; sign out of one of them first.`);
		this.max = max;
	}

	/** 409 as JSON (`{ error: "session_limit", message }`), uncacheable: the login was refused, the visitor's session is unchanged. */
	getResponse(): Response {
		return Response.json({ error: this.code, message: this.message }, { status: 409, headers: { "cache-control": "no-store" } });
	}
}

// Frameworks that honour an error's getResponse() (Hono's default onError) answer with it rather than
// printing a stack trace and a 500, so these errors reach the user as one line whatever the app set up.

/** 503 with Retry-After, uncacheable: the store failed or a write lost too many races. */
function retryLater(): Response {
	return new Response("Session store unavailable; try again shortly.", {
		status: 503,
		headers: { "retry-after": "5", "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
	});
}

/**
 * The store's table is missing, or lacks columns the schema's migrations add: found when the store opens,
 * so the app fails at start rather than at its first request. `missing` names the absent columns (empty
 * when the whole table is absent).
 */
export class NotMigratedError extends SessError {
	override name = "NotMigratedError";
	readonly table: string;
	readonly missing: readonly string[];
	constructor(table: string, where: string, migrate: string, missing: readonly string[] = []) {
		super(
			"not_migrated",
			missing.length === 0
				? `the session table "${table}" does not exist in ${where}. Run \`${migrate}\` first.`
				: `the session table "${table}" in ${where} lacks column${missing.length === 1 ? "" : "s"} ${missing.join(", ")}: its migrations are behind the schema. Run \`${migrate}\` first.`,
		);
		this.table = table;
		this.missing = missing;
	}
}

// A bundler may rename a class (WeakKeyError → WeakKeyError2 in dist/), and Node prints an uncaught error under
// its class's name: keep the names the docs use. Object keys survive renaming.
for (const [name, type] of Object.entries({ SessError, ConfigError, WeakKeyError, SchemaError, InvalidDataError, DecodeError, StoreUnavailableError, WriteConflictError, SessionLimitError, NotMigratedError })) {
	Object.defineProperty(type, "name", { value: name });
}
