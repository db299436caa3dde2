import { KNOWN_SCHEMES, unknownScheme } from "../database-scheme.ts";
import { fail, str, usage, type Flags } from "./io.ts";

/** `--db` (or `SESS_DB`): missing is a usage error, and so is a scheme sess does not know (never taken for a file name). */
export function readDatabaseFlag(flags: Flags, command: string, forms: string): string {
	const db = str(flags, "db") ?? process.env.SESS_DB;
	if (db === undefined || db === "") usage(`${command} needs a database. Pass --db <${forms}> or set SESS_DB.`);
	const scheme = unknownScheme(db);
	if (scheme !== undefined) {
		const known = KNOWN_SCHEMES.filter((k) => k !== "postgresql://" && k !== "rediss://" && k !== "file:").join(", ");
		fail(`--db uses the scheme "${scheme}", which sess does not know. Use a SQLite file path or one of ${known}.`, "unknown_scheme", 2);
	}
	return db;
}
