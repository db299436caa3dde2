// What a `--db` / `SESS_DB` value names, without opening anything: shared by the Bun migrator
// (generator/database.ts) and the Node one (generator/cli/node-database.ts), so Node never loads `bun:sqlite`.
import { ConfigError } from "../src/errors.ts";
import { engineOf } from "../src/stores/location.ts";
import type { Dialect } from "./migrations.ts";

/** The URL schemes a `--db` / `SESS_DB` value may use; a bare path is a SQLite file. */
export const KNOWN_SCHEMES = ["postgres://", "postgresql://", "mysql://", "mariadb://", "redis://", "rediss://", "redis-cluster://", "sqlite://", "file:"];

/** The scheme of a location that has one sess does not know (`mongodb:`), else undefined; never read as a file name. */
export function unknownScheme(db: string): string | undefined {
	const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(db)?.[1];
	return scheme !== undefined && !KNOWN_SCHEMES.some((k) => k.toLowerCase().startsWith(scheme.toLowerCase())) ? scheme : undefined;
}

/** Which SQL dialect a `--db` / `SESS_DB` value names (Redis has no migrations; an unknown scheme is refused). */
export function dialectOf(db: string): Dialect {
	const scheme = unknownScheme(db);
	if (scheme !== undefined) throw new ConfigError("invalid_config", `sess does not know the database scheme "${scheme}". Use a SQLite path (or sqlite://), postgres://, mysql:// (mariadb://) or redis://.`);
	const engine = engineOf(db);
	if (engine === "redis") throw new ConfigError("invalid_config", "Redis needs no migrations; `sess migrate` applies to SQLite, PostgreSQL and MySQL.");
	return engine;
}
