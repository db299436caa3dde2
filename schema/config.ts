/** A SQL dialect sess writes migrations for. */
export type Dialect = "sqlite" | "postgres" | "mysql";

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
