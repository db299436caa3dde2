// What a `--db` / `SESS_DB` value names, without opening anything: shared by the Bun migrator
// (generator/database.ts) and the Node one (generator/cli/node-database.ts), so Node never loads `bun:sqlite`.
import { ConfigError } from "../src/errors.ts";
import { engineOf, unknownScheme } from "../src/stores/location.ts";
import type { Dialect } from "./migrations.ts";

export { KNOWN_SCHEMES, unknownScheme } from "../src/stores/location.ts";

/** Which SQL dialect a `--db` / `SESS_DB` value names (Redis has no migrations; an unknown scheme is refused). */
export function dialectOf(db: string): Dialect {
	const scheme = unknownScheme(db);
	if (scheme !== undefined) throw new ConfigError("invalid_config", `sess does not know the database scheme "${scheme}". Use a SQLite path (or sqlite://), postgres://, mysql:// (mariadb://) or redis://.`);
	const engine = engineOf(db);
	if (engine === "redis") throw new ConfigError("invalid_config", "Redis needs no migrations; `sess migrate` applies to SQLite, PostgreSQL and MySQL.");
	return engine;
}
