import type { Dialect } from "./migrations.ts";

/** `sess.config.ts`: every CLI flag's default, relative to the config file's folder. */
export interface SessConfig {
	/** Module whose default export is `defineSession(...)`; default `schema/session.ts`. */
	schema?: string;
	/** Folder for `session.ts`; default `src/generated`. */
	out?: string;
	/** Dialects to write migrations for; default `["sqlite"]`. */
	dialects?: Dialect[];
	/** Migrations root, one folder per dialect; default `migrations`. */
	migrations?: string;
	/** Lock file path; default `sess.lock.json`. */
	lock?: string;
	/** Module the generated code imports the runtime from; default `sess`. */
	runtimeImport?: string;
	/** Emit `session.js` + `session.d.ts` instead of `session.ts` (also `sess generate --js`); default false. */
	js?: boolean;
}

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
