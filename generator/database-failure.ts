// What went wrong talking to a database, in words a user can act on: which server (host:port, never the
// password), the driver's reason, and the command that fixes a missing table.
import { SessError, StoreUnavailableError } from "../src/errors.ts";
import { engineOf } from "../src/stores/location.ts";

const ENGINE_NAMES = { sqlite: "SQLite", postgres: "PostgreSQL", mysql: "MySQL", redis: "Redis" } as const;
const DEFAULT_PORTS: Record<string, string> = { postgres: "5432", mysql: "3306", redis: "6379" };

/** `host:port` of a server URL (the default port when none is written). */
export function serverAddress(location: string): string {
	try {
		const url = new URL(location);
		return `${url.hostname || "localhost"}:${url.port || DEFAULT_PORTS[engineOf(location)] || "?"}`;
	} catch {
		return "an unparsable address";
	}
}

/** The location without its password, fit for a message. */
export function redact(location: string): string {
	return location.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

/** Every error in `error`'s cause chain, outermost first. */
function chain(error: unknown): unknown[] {
	const out: unknown[] = [];
	for (let e = error; e !== undefined && e !== null && out.length < 5; e = (e as { cause?: unknown }).cause) out.push(e);
	return out;
}

function codeOf(e: unknown): string {
	const code = (e as { code?: unknown } | null)?.code;
	return typeof code === "string" ? code : "";
}

function messageOf(e: unknown): string {
	return (e instanceof Error ? e.message : String(e)).split("\n")[0]?.replace(/\.$/, "") ?? "";
}

/** The driver's reason a connection failed, or undefined when `error` is not a connection failure. */
export function connectionFailure(error: unknown): string | undefined {
	for (const e of chain(error)) {
		const code = codeOf(e);
		if (/CONNECTION_REFUSED|ECONNREFUSED/.test(code)) return "connection refused";
		if (/CONNECTION_TIMEOUT|ETIMEDOUT|CONNECTION_CLOSED|ECONNRESET|ENOTFOUND|EAI_AGAIN/.test(code)) return `${messageOf(e).toLowerCase()} (${code})`;
		if (refusedLogin(e)) return messageOf(e);
	}
	return undefined;
}

/** The server answered, but refused this user, password or database (Bun.SQL puts the SQLSTATE in errno, pg in code). */
function refusedLogin(e: unknown): boolean {
	const errno = String((e as { errno?: unknown }).errno);
	return /^(28000|28P01|3D000|1044|1045|1049)$/.test(errno) || /^(28000|28P01|3D000)$/.test(codeOf(e));
}

/** Whether `error` says the session table (or the database file) does not exist. */
export function missingTable(error: unknown): boolean {
	return chain(error).some((e) => /no such table|relation ".*" does not exist|Table '.*' doesn't exist|ER_NO_SUCH_TABLE/i.test(`${messageOf(e)} ${codeOf(e)}`));
}

/** A one-line StoreUnavailableError for a server sess could not reach. */
export function unreachable(location: string, reason: string, cause: unknown): SessError {
	const engine = ENGINE_NAMES[engineOf(location)];
	const check = chain(cause).some(refusedLogin) ? "Check the user, password and database name in --db (or SESS_DB); create the database if it is new" : "Check that the server is running and that --db (or SESS_DB) names it";
	return new StoreUnavailableError(`cannot connect to ${engine} at ${serverAddress(location)}: ${reason}. ${check}.`, { cause });
}

/** The error for a database without the session table: run `sess migrate` on it. */
export function notMigrated(location: string, cause?: unknown): SessError {
	return new SessError("not_migrated", `the session table does not exist in ${redact(location)}. Run \`sess migrate --db ${redact(location)}\` first.`, { cause });
}

/** `error` as a one-line SessError when it is a connection failure or a missing table; otherwise itself. */
export function explainDatabaseError(location: string, error: unknown): unknown {
	const reason = connectionFailure(error);
	if (reason !== undefined) return unreachable(location, reason, error);
	if (missingTable(error)) return notMigrated(location, error);
	return error;
}
