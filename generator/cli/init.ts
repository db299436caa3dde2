import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { out, paint, type Flags } from "./io.ts";

const SCHEMA = `import * as z from "zod";
import { defineSession } from "sess/schema";

export default defineSession({
	data: z.object({
		// Who is logged in: an indexed column (list and revoke a user's sessions); setting it is a login (new ID, fresh lifetime).
		userId: z.string().min(1).max(64).optional().meta({ column: true, identity: true }),
		role: z.enum(["guest", "user", "admin"]).default("guest").meta({ rotate: true }),
	}),
	flash: z.object({ message: z.string().max(500) }),
	expiry: { idle: "30m", absolute: "12h" },
	rotation: { every: "15m", grace: "30s" },
});
`;

const CONFIG = `import type { SessConfig } from "sess";

export default {
	schema: "schema/session.ts",
	out: "src/generated",
	dialects: ["sqlite"],
	migrations: "migrations",
} satisfies SessConfig;
`;

// drizzle-kit reads sess's folder and records into sess's table (the one `sess migrate` uses), so the two
// tools agree on what is applied; the app's own drizzle migrations keep their table and are never mixed in.
const DRIZZLE_CONFIG = `// drizzle-kit settings for sess's migrations (written by \`sess init\`): the same folders and the same
// table as \`sess migrate\`, so either tool can apply them and each sees what the other applied.
//   SESS_DB=app.db npx drizzle-kit migrate --config drizzle.sess.config.ts
// (No import from drizzle-kit: an app that only serves sessions need not install it to typecheck.)

const db = process.env.SESS_DB ?? "app.db";
const dialect = /^postgres(ql)?:\\/\\//i.test(db) ? "postgresql" : /^(mysql|mariadb):\\/\\//i.test(db) ? "mysql" : "sqlite";

export default {
	dialect,
	out: \`migrations/\${dialect === "postgresql" ? "postgres" : dialect}\`,
	dbCredentials: { url: dialect === "sqlite" ? db.replace(/^sqlite:\\/\\//i, "") : db.replace(/^mariadb:/i, "mysql:") },
	migrations: { table: "__sess_migrations", schema: "drizzle" },
};
`;

const IGNORE = ".sess-dev-key";

/** `sess init`: a starter schema, a config, drizzle-kit's config for sess's migrations and a `.gitignore` line; existing files are kept unless `--force`. */
export async function runInit(flags: Flags): Promise<void> {
	const force = flags.force === true;
	for (const [path, contents] of [["schema/session.ts", SCHEMA], ["sess.config.ts", CONFIG], ["drizzle.sess.config.ts", DRIZZLE_CONFIG]] as const) {
		if (existsSync(path) && !force) {
			out(`${paint("kept ", "yellow")} ${path} (exists; --force overwrites)`);
			continue;
		}
		await mkdir(dirname(path), { recursive: true });
		await writeFile(path, contents);
		out(`${paint("wrote", "green")} ${path}`);
	}
	const gitignore = join(".gitignore");
	const current = existsSync(gitignore) ? await readFile(gitignore, "utf8") : "";
	if (!current.split("\n").includes(IGNORE)) {
		await appendFile(gitignore, `${current === "" || current.endsWith("\n") ? "" : "\n"}# sess: development signing key, never commit\n${IGNORE}\n`);
		out(`${paint("added", "green")} ${IGNORE} to .gitignore`);
	}
	// Under Node the next steps are npx ones; migrate uses a driver from the app's folder there.
	// `bunx sess` runs this file with Node (its #! line) but tells it so in npm_config_user_agent.
	out(typeof Bun === "undefined" && process.env["npm_config_user_agent"]?.startsWith("bun/") !== true
		? "Next: `npx sess generate` (`--js` without a TypeScript build), then `npx sess migrate --db app.db` (on Node: node:sqlite, or better-sqlite3, pg or mysql2 installed here), and `npx sess keygen` for SESS_KEYS."
		: "Next: `bunx sess generate`, then `bunx sess migrate --db app.db`, and `bunx sess keygen` for SESS_KEYS.");
}
