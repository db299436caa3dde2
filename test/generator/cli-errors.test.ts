// Every failure a user can cause prints exactly one line, `sess: <what happened>. <what to do>. [code]`,
// and exits 1 (a failed task) or 2 (usage): never a stack trace. Each case pins the whole line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { HELP } from "../../generator/cli/help.ts";
import { applyMigrations, type MigrationTarget } from "../../generator/migrate.ts";
import { SessError } from "../../src/errors.ts";
import { openStore } from "../../src/stores/open.ts";
import { SQLiteStore } from "../../src/stores/sqlite.ts";
import { runDemoToExit } from "../helpers/demo-process.ts";
import { rejection } from "../helpers/failure.ts";
import { T0, evolve } from "./migration-fixtures.ts";

const root = join(import.meta.dir, "..", "..");
// Inside the repository, so `sess init`'s schema resolves `sess/schema` and `zod`.
const project = join(root, ".tmp", `cli-errors-${process.pid}`);

async function sess(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
	const proc = Bun.spawn([process.execPath, join(root, "generator", "cli.ts"), ...args], { cwd: project, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
	const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
	return { code, stdout, stderr };
}

/** A TCP port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as { port: number };
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

beforeAll(async () => {
	mkdirSync(project, { recursive: true });
	// A new user's project: sess init, then sess generate (SQLite migrations only, the default).
	expect((await sess(["init"])).code).toBe(0);
	expect((await sess(["generate"])).code).toBe(0);
}, 30_000);
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("sess generate --js and the app's module type", () => {
	const config = (out: string) => `export default { schema: "schema/session.ts", out: ${JSON.stringify(out)}, dialects: ["sqlite"], migrations: "migrations" };\n`;

	test("into the project root beside a package.json that is not \"type\": \"module\": refused in one line, nothing written", async () => {
		const dir = join(project, "root-out");
		mkdirSync(join(dir, "schema"), { recursive: true });
		writeFileSync(join(dir, "schema", "session.ts"), 'import * as z from "zod";\nimport { defineSession } from "sess/schema";\nexport default defineSession({ data: z.object({ n: z.int().default(0) }) });\n');
		writeFileSync(join(dir, "sess.config.ts"), config("."));
		try {
			for (const pkg of [{ name: "app", type: "commonjs" }, { name: "app" }]) {
				writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
				const { code, stdout, stderr } = await sess(["generate", "--js", "--config", join(dir, "sess.config.ts")]);
				expect(stderr).toBe('sess: out: "." puts session.js beside package.json, which does not say "type": "module", so Node would load it as CommonJS. Add "type": "module" to package.json, or set out: in sess.config.ts to a folder of its own (sess then marks that folder as ES modules). [invalid_config]\n');
				expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
				expect(existsSync(join(dir, "session.js"))).toBe(false);
			}
			writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", type: "module" }));
			expect((await sess(["generate", "--js", "--config", join(dir, "sess.config.ts")])).code).toBe(0);
			expect(existsSync(join(dir, "session.js"))).toBe(true);
			expect(JSON.parse(await Bun.file(join(dir, "package.json")).text())).toEqual({ name: "app", type: "module" });
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	test("a package.json of the app's own in the output folder is never written over", async () => {
		const dir = join(project, "foreign-out");
		mkdirSync(join(dir, "schema"), { recursive: true });
		mkdirSync(join(dir, "gen"), { recursive: true });
		writeFileSync(join(dir, "schema", "session.ts"), 'import * as z from "zod";\nimport { defineSession } from "sess/schema";\nexport default defineSession({ data: z.object({ n: z.int().default(0) }) });\n');
		writeFileSync(join(dir, "sess.config.ts"), config("gen"));
		writeFileSync(join(dir, "gen", "package.json"), '{ "name": "mine" }\n');
		try {
			const { code, stderr } = await sess(["generate", "--js", "--config", join(dir, "sess.config.ts")]);
			expect(stderr).toBe('sess: gen/package.json exists and is not the one `sess generate --js` writes; the generated modules need their folder to be "type": "module". Set out: in sess.config.ts to a folder of their own. [invalid_config]\n');
			expect(code).toBe(1);
			expect(await Bun.file(join(dir, "gen", "package.json")).text()).toBe('{ "name": "mine" }\n');
			expect(existsSync(join(dir, "gen", "session.js"))).toBe(false);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe("sess usage errors exit 2 with one line", () => {
	test("an unknown URL scheme is refused, naming the schemes sess knows, and creates no file", async () => {
		for (const command of ["migrate", "prune"]) {
			const { code, stdout, stderr } = await sess([command, "--db", "mongodb://app:secret@db.example/app"]);
			expect(stderr).toBe('sess: --db uses the scheme "mongodb:", which sess does not know. Use a SQLite file path or one of postgres://, mysql://, mariadb://, redis://, redis-cluster://, sqlite://. [unknown_scheme]\n');
			expect(code).toBe(2);
			expect(stdout).toBe("");
		}
		expect(existsSync(join(project, "mongodb:"))).toBe(false);
	});

	test("an unknown command, an unknown option, a missing value and a missing --db", async () => {
		const cases: Array<[string[], string]> = [
			[["frobnicate"], 'sess: unknown command "frobnicate". Run `sess --help` to see the commands. [usage]\n'],
			[["generate", "--frob"], "sess: unknown option --frob for sess generate. Run `sess generate --help` for its options. [usage]\n"],
			[["generate", "stray"], 'sess: unexpected argument "stray" for sess generate. Run `sess generate --help` for its options. [usage]\n'],
			[["migrate", "--db"], "sess: --db needs a value. Run `sess migrate --help` for its options. [usage]\n"],
			[["migrate"], "sess: migrate needs a database. Pass --db <sqlite path | postgres://… | mysql://…> or set SESS_DB. [usage]\n"],
			[["prune", "--db", "x.db", "--limit", "lots"], 'sess: --limit must be a positive number, not "lots". Pass a count such as --limit 10000, or leave it out to prune everything expired. [usage]\n'],
			[["generate", "--dialect", "oracle"], 'sess: unknown dialect "oracle". Use sqlite, postgres, mysql (comma-separated for several). [usage]\n'],
		];
		for (const [args, line] of cases) {
			const { code, stderr } = await sess(args, { SESS_DB: "" });
			expect(stderr).toBe(line);
			expect(code).toBe(2);
		}
		// Seven CLI processes one after another: past Bun's 5 s default on a loaded machine.
	}, 30_000);

	test("-h and --help print each command's help and exit 0", async () => {
		for (const command of ["init", "generate", "migrate", "prune", "doctor", "keygen"]) {
			for (const flag of ["-h", "--help"]) {
				const { code, stdout, stderr } = await sess([command, flag]);
				expect({ command, flag, code, stderr }).toEqual({ command, flag, code: 0, stderr: "" });
				expect(stdout).toBe(`${HELP[command]}\n`);
			}
		}
	}, 30_000);
});

describe("sess failures exit 1 with one line", () => {
	test("migrate --db postgres://… when only SQLite migrations were generated says to generate them", async () => {
		const { code, stderr } = await sess(["migrate", "--db", "postgres://app@127.0.0.1:1/app"]);
		expect(stderr).toBe(
			'sess: there are no postgres migrations in migrations/postgres (this project generates sqlite). Run `sess generate --dialect postgres`, and add "postgres" to dialects in sess.config.ts to keep them current. [no_migrations]\n',
		);
		expect(code).toBe(1);
	});

	test("a server that is down is named by host:port with the driver's reason (migrate on PostgreSQL and MySQL)", async () => {
		expect((await sess(["generate", "--dialect", "sqlite,postgres,mysql"])).code).toBe(0);
		const port = await closedPort();
		for (const [scheme, name] of [["postgres", "PostgreSQL"], ["mysql", "MySQL"]] as const) {
			const { code, stderr } = await sess(["migrate", "--db", `${scheme}://app:secret@127.0.0.1:${port}/app`]);
			expect(stderr).toBe(`sess: cannot connect to ${name} at 127.0.0.1:${port}: connection refused. Check that the server is running and that --db (or SESS_DB) names it. [store_unavailable]\n`);
			expect(code).toBe(1);
		}
	}, 30_000);

	test("prune against PostgreSQL or Redis that is down: one line naming the server", async () => {
		const port = await closedPort();
		const pg = await sess(["prune", "--db", `postgres://app@127.0.0.1:${port}/app`]);
		expect(pg.stderr).toBe(`sess: cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused. Check that the server is running and that --db (or SESS_DB) names it. [store_unavailable]\n`);
		expect(pg.code).toBe(1);
		const redis = await sess(["prune", "--db", `redis://127.0.0.1:${port}`]);
		expect(redis.stderr).toMatch(new RegExp(`^sess: cannot connect to Redis at 127\\.0\\.0\\.1:${port}: [^\\n]+\\. Check that the server is running and that --db \\(or SESS_DB\\) names it\\. \\[store_unavailable\\]\\n$`));
		expect(redis.code).toBe(1);
	}, 30_000);

	test("prune --db nope.db creates no file and says to run sess migrate", async () => {
		const { code, stderr } = await sess(["prune", "--db", "nope.db"]);
		expect(stderr).toBe("sess: nope.db does not exist. Run `sess migrate --db nope.db` to create it, or check the path. [not_migrated]\n");
		expect(code).toBe(1);
		expect(existsSync(join(project, "nope.db"))).toBe(false);
	});

	test("prune on a SQLite file without the session table says to run sess migrate", async () => {
		new Database(join(project, "empty.db")).close();
		const { code, stderr } = await sess(["prune", "--db", "empty.db"]);
		expect(stderr).toBe('sess: the session table "sessions" does not exist in empty.db. Run `sess migrate --db empty.db` first. [not_migrated]\n');
		expect(code).toBe(1);
	});

	test("a schema module that does not load is one line naming it", async () => {
		writeFileSync(join(project, "broken.ts"), "export default {;\n");
		const { code, stderr } = await sess(["generate", "--schema", "broken.ts"]);
		expect(stderr).toMatch(/^sess: cannot load the schema module broken\.ts: [^\n]+\. Fix the module \(rerun with SESS_DEBUG=1 for the full error\)\. \[schema_load_failed\]\n$/);
		expect(code).toBe(1);
	});

	test("generate --check names the stale files on one line", async () => {
		writeFileSync(join(project, "schema", "session.ts"), (await Bun.file(join(project, "schema", "session.ts")).text()).replace('"admin"]', '"admin", "owner"]'));
		const { code, stderr } = await sess(["generate", "--check"]);
		expect(stderr).toBe("sess: generated files are stale: src/generated/session.ts, sess.lock.json. Run `sess generate` and commit the result. [stale]\n");
		expect(code).toBe(1);
	});
});

describe("a database that was never migrated fails at start, not at the first request", () => {
	test("openStore on a missing SQLite file: not_migrated, and no file is created", async () => {
		const path = join(project, "never.db");
		const error = await rejection(openStore(path, { name: "sessions", columns: [] }));
		expect(error.code).toBe("not_migrated");
		expect(error.message).toBe(`${path} does not exist. Run \`sess migrate --db ${path}\` to create it with the session table.`);
		expect(existsSync(path)).toBe(false);
	});

	test("openStore on a URL with an unknown scheme: invalid_config naming it, never a SQLite file named mongodb:", async () => {
		const error = await rejection(openStore("mongodb://127.0.0.1/app", { name: "sessions", columns: [] }));
		expect(error.code).toBe("invalid_config");
		expect(error.message).toBe('the store location uses the scheme "mongodb:", which sess does not know (it is never taken for a SQLite file). Use a SQLite file path or a postgres://, mysql://, mariadb://, redis:// or redis-cluster:// URL.');
		expect(existsSync(join(process.cwd(), "mongodb:"))).toBe(false);
	});

	test("a SQLiteStore over a database without the table: not_migrated naming the command", async () => {
		const path = join(project, "bare.db");
		new Database(path).close();
		const error = await rejection(openStore(path, { name: "sessions", columns: [] }));
		expect(error.message).toBe(`the session table "sessions" does not exist in ${path}. Run \`sess migrate --db ${path}\` first.`);
		const memory = new Database(":memory:");
		expect(() => new SQLiteStore(memory, { table: { name: "sessions", columns: [] } })).toThrow(SessError);
		memory.close();
	});
});

describe("MySQL's note that DDL cannot be rolled back", () => {
	/** A MySQL target whose `failAt`-th statement fails (counting from 1); the rest succeed. */
	function failingMySQL(failAt: number): MigrationTarget {
		let n = 0;
		const connection = {
			query: async (text: string) => (/GET_LOCK/.test(text) ? [{ got: 1 }] : []),
			exec: async (text: string) => {
				if (/^\s*(CREATE|ALTER)/.test(text) && !/IF NOT EXISTS/i.test(text) && ++n === failAt) throw new Error("Duplicate key name 'sessions_user_id_idx'");
			},
		};
		return { dialect: "mysql", ...connection, transaction: (fn) => fn(connection) };
	}

	test("appears only when a statement had already run", async () => {
		const [folder] = await evolve("mysql", { name: "sessions", columns: [{ name: "user_id", field: "userId", type: "text", maxLength: 64 }] });
		const first = await applyMigrations(failingMySQL(1), folder ?? { files: new Map() }).catch((e: SessError) => e);
		expect((first as SessError).message).toBe("Applying mysql migrations failed in 0000_init.sql: Duplicate key name 'sessions_user_id_idx'. Fix the database or the migration, then run the migrator again.");
		const later = await applyMigrations(failingMySQL(2), folder ?? { files: new Map() }).catch((e: SessError) => e);
		expect((later as SessError).message).toBe(
			"Applying mysql migrations failed in 0000_init.sql: Duplicate key name 'sessions_user_id_idx'. MySQL cannot roll back DDL, and 1 statement(s) had already run: check the table before retrying. Fix the database or the migration, then run the migrator again.",
		);
		expect(T0).toBeGreaterThan(0);
	});
});

describe("the demo's start-up failures are one line", () => {
	test("a busy port", async () => {
		const holder = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
		try {
			const { code, stderr } = await runDemoToExit({ PORT: String(holder.port), SESS_DB: join(project, "demo-busy.db") });
			expect(stderr).toBe(`demo: port ${holder.port} on 127.0.0.1 is already in use. Stop the other server, or start the demo on another port (PORT=3001 npm run demo). [port_in_use]\n`);
			expect(code).toBe(1);
		} finally {
			holder.stop(true);
		}
	}, 30_000);

	test("SESS_INSECURE=1 under NODE_ENV=production is refused", async () => {
		const { code, stderr } = await runDemoToExit({ SESS_INSECURE: "1", NODE_ENV: "production", SESS_DB: join(project, "demo-prod.db") });
		expect(stderr).toBe(
			"demo: insecureDevelopmentCookies (SESS_INSECURE=1) is refused when NODE_ENV=production: it drops Secure and __Host- from the session cookie. Remove it and serve over HTTPS. [invalid_config]\n",
		);
		expect(code).toBe(1);
	}, 30_000);
});
