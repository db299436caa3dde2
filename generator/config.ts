import type { SessConfig } from "../schema/config.ts";
import type { Dialect } from "./migrations.ts";

// Declared in schema/ (what sess.config.ts imports sits on the bottom floor, with defineSession).
export type { SessConfig } from "../schema/config.ts";

/** Every setting resolved to a value. */
export type ResolvedConfig = Required<Omit<SessConfig, "js">> & Pick<SessConfig, "js">;

/** The defaults a missing config or flag falls back to. */
export const DEFAULT_CONFIG: ResolvedConfig = {
	schema: "schema/session.ts",
	out: "src/generated",
	dialects: ["sqlite"],
	migrations: "migrations",
	lock: "sess.lock.json",
	runtimeImport: "sess",
	js: false,
};

export const DIALECTS: readonly Dialect[] = ["sqlite", "postgres", "mysql"];
