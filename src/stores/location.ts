/** The URL schemes a location may use; a bare path is a SQLite file. */
export const KNOWN_SCHEMES = ["postgres://", "postgresql://", "mysql://", "mariadb://", "redis://", "rediss://", "redis-cluster://", "sqlite://", "file:"];

/** The scheme of a location that has one sess does not know (`mongodb:`), else undefined; never read as a file name. */
export function unknownScheme(location: string): string | undefined {
	const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(location)?.[1];
	return scheme !== undefined && !KNOWN_SCHEMES.some((k) => k.toLowerCase().startsWith(scheme.toLowerCase())) ? scheme : undefined;
}

/** The engines a location string can name. */
export type Engine = "sqlite" | "postgres" | "mysql" | "redis";

/**
 * Which engine `SESS_DB` / `--db` names: a `postgres://`, `mysql://` (`mariadb://`), `redis://` or
 * `redis-cluster://host:port[,host:port…]` URL, else a SQLite path.
 */
export function engineOf(location: string): Engine {
	if (/^rediss?(-cluster)?:\/\//i.test(location)) return "redis";
	if (/^postgres(ql)?:\/\//i.test(location)) return "postgres";
	if (/^(mysql|mariadb):\/\//i.test(location)) return "mysql";
	return "sqlite";
}

/** The file path of a SQLite location (`sqlite://file.db`, `file:file.db` or a bare path). */
export function sqlitePath(location: string): string {
	return location.replace(/^sqlite:\/\//i, "").replace(/^file:/i, "");
}
