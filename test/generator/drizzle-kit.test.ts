// sess migrate and the real drizzle-kit 0.31 CLI (`drizzle-kit migrate`, run by Node as users run it)
// agree on what is applied, on SQLite, PostgreSQL and MySQL: either after the other is a no-op, a database
// holding the app's own earlier drizzle migrations gets the session table, and a second sess migration
// applied by either is seen as applied by the other.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase } from "../../generator/database.ts";
import type { Dialect } from "../../generator/migrations.ts";
import type { TableModel } from "../../schema/model.ts";
import { createScratchDatabase, type ScratchDatabase } from "../helpers/scratch-database.ts";
import { requireUrl, serverUrl, skipWithout } from "../helpers/sql-servers.ts";
import { evolve, T0, writeFolder } from "./migration-fixtures.ts";

const root = join(import.meta.dir, "..", "..");
const v1: TableModel = { name: "sessions", columns: [{ name: "user_id", field: "userId", type: "text", maxLength: 64 }] };
const v2: TableModel = { name: "sessions", columns: [...v1.columns, { name: "role", field: "role", type: "text", maxLength: 5 }] };
const DAY = 86_400_000;
// Each drizzle-kit run is a Node process start (1–4 s on a busy machine); a test runs up to five.
const SLOW = { timeout: 60_000 };

/** The app's own drizzle-kit migration, a day older than sess's first: one table of its own. */
function writeAppMigrations(dir: string, dialect: Dialect): void {
	const folder = join(dir, "drizzle");
	mkdirSync(join(folder, "meta"), { recursive: true });
	writeFileSync(join(folder, "0000_app.sql"), "CREATE TABLE app_users (id int PRIMARY KEY);\n");
	const journal = { version: "7", dialect: dialect === "postgres" ? "postgresql" : dialect, entries: [{ idx: 0, version: "7", when: T0 - DAY, tag: "0000_app", breakpoints: true }] };
	writeFileSync(join(folder, "meta", "_journal.json"), JSON.stringify(journal));
}

/** A drizzle config with drizzle-kit's defaults (table `__drizzle_migrations`), as an app has for its own folder. */
function writeDefaultConfig(dir: string, name: string, out: string): void {
	writeFileSync(
		join(dir, name),
		`const db = process.env.SESS_DB!;
const dialect = /^postgres/.test(db) ? "postgresql" : /^mysql/.test(db) ? "mysql" : "sqlite";
export default { dialect, out: ${JSON.stringify(out)}, dbCredentials: { url: db } };
`,
	);
}

/** `drizzle-kit migrate --config <config>` under Node with SESS_DB set; its exit code and output. */
async function drizzleKit(dir: string, config: string, db: string): Promise<{ code: number; output: string }> {
	const proc = Bun.spawn(["node", join(root, "node_modules", "drizzle-kit", "bin.cjs"), "migrate", "--config", config], {
		cwd: dir,
		env: { ...process.env, SESS_DB: db },
		stdout: "pipe",
		stderr: "pipe",
	});
	const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
	return { code, output: stdout + stderr };
}

/** One database on an engine: its location, and how to ask it things. */
interface Target {
	db: string;
	tables(): Promise<string[]>;
	columns(table: string): Promise<string[]>;
	/** Rows in sess's migrations table: the hashes and stamps either tool recorded. */
	recorded(): Promise<Array<{ hash: string; created_at: number }>>;
	drop(): Promise<void>;
}

async function sqliteTarget(dir: string, name: string): Promise<Target> {
	const path = join(dir, name);
	const read = <T>(fn: (db: Database) => T): T => {
		const db = new Database(path, { readonly: true });
		try {
			return fn(db);
		} finally {
			db.close();
		}
	};
	return {
		db: path,
		tables: async () => read((db) => db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name)),
		columns: async (table) => read((db) => db.query<{ name: string }, []>(`PRAGMA table_info(${table})`).all().map((r) => r.name)),
		recorded: async () => read((db) => db.query<{ hash: string; created_at: number }, []>("SELECT hash, created_at FROM __sess_migrations ORDER BY created_at").all().map((r) => ({ hash: r.hash, created_at: Number(r.created_at) }))),
		drop: async () => undefined,
	};
}

async function serverTarget(dialect: "postgres" | "mysql", adminUrl: string): Promise<Target> {
	const scratch: ScratchDatabase = await createScratchDatabase(dialect, adminUrl, `drizzlekit_${dialect}`);
	const sql = new Bun.SQL(scratch.url, { max: 1 });
	const pg = dialect === "postgres";
	return {
		db: scratch.url,
		tables: async () =>
			(await sql.unsafe(pg ? "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1" : "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1")).map((r: { t: string }) => r.t),
		columns: async (table) =>
			(await sql.unsafe(pg ? "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position" : "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position", [table])).map((r: { c: string }) => r.c),
		recorded: async () =>
			(Array.from(await sql.unsafe(pg ? 'SELECT hash, created_at FROM drizzle."__sess_migrations" ORDER BY created_at' : "SELECT hash, created_at FROM `__sess_migrations` ORDER BY created_at")) as Array<{ hash: string; created_at: unknown }>).map((r) => ({ hash: r.hash, created_at: Number(r.created_at) })),
		drop: async () => {
			await sql.close();
			await scratch.drop();
		},
	};
}

const engines: Array<{ dialect: Dialect; adminUrl: string | undefined; skip: boolean }> = [
	{ dialect: "sqlite", adminUrl: undefined, skip: false },
	...(["postgres", "mysql"] as const).map((dialect) => ({ dialect, adminUrl: undefined as string | undefined, skip: false })),
];
for (const engine of engines) {
	if (engine.dialect === "sqlite") continue;
	engine.adminUrl = await serverUrl(engine.dialect);
	engine.skip = skipWithout(engine.adminUrl);
}

for (const { dialect, adminUrl, skip } of engines) {
	describe.skipIf(skip)(`sess migrate and drizzle-kit migrate on ${dialect}`, () => {
		let dir: string;
		const targets: Target[] = [];
		const [first, second] = [evolve(dialect, v1), evolve(dialect, v1, v2)];
		const open = async (name: string): Promise<Target> => {
			const target = dialect === "sqlite" ? await sqliteTarget(dir, `${name}.db`) : await serverTarget(dialect, requireUrl(dialect, adminUrl));
			targets.push(target);
			return target;
		};
		/** Writes sess's folder at the first (v1) or second (v1 → v2) generation. */
		const sessFolder = async (generation: 1 | 2): Promise<void> => {
			const folders = await (generation === 1 ? first : second);
			rmSync(join(dir, "migrations"), { recursive: true, force: true });
			await writeFolder(join(dir, "migrations", dialect), folders.at(-1) ?? { files: new Map() });
		};
		const sessMigrate = async (target: Target): Promise<string[]> => (await migrateDatabase(target.db, join(dir, "migrations"))).applied;

		beforeAll(async () => {
			dir = mkdtempSync(join(tmpdir(), `sess-dk-${dialect}-`));
			// drizzle.sess.config.ts exactly as `sess init` writes it.
			const init = Bun.spawnSync([process.execPath, join(root, "generator", "cli.ts"), "init"], { cwd: dir });
			expect(init.exitCode).toBe(0);
			writeAppMigrations(dir, dialect);
			writeDefaultConfig(dir, "drizzle.app.config.ts", "drizzle");
		}, SLOW);
		afterAll(async () => {
			for (const target of targets) await target.drop();
			rmSync(dir, { recursive: true, force: true });
		}, SLOW);

		test("the app's earlier drizzle migrations, then sess's by drizzle-kit: the table appears; sess migrate after it applies nothing; a second sess migration by sess migrate, then drizzle-kit is a no-op", async () => {
			const target = await open("app-first");
			expect((await drizzleKit(dir, "drizzle.app.config.ts", target.db)).code).toBe(0);
			expect(await target.tables()).toContain("app_users");
			expect(await target.tables()).not.toContain("sessions");

			await sessFolder(1);
			const kit = await drizzleKit(dir, "drizzle.sess.config.ts", target.db);
			expect(kit.output).toContain("migrations applied successfully");
			expect(kit.code).toBe(0);
			expect(await target.tables()).toContain("sessions");
			expect(await sessMigrate(target)).toEqual([]);

			await sessFolder(2);
			expect(await sessMigrate(target)).toEqual([expect.stringMatching(/^0001_[0-9a-f]{8}$/)]);
			expect(await target.columns("sessions")).toContain("role");
			const before = await target.recorded();
			expect(before.map((r) => r.created_at)).toEqual([T0, T0 + 60_000]);
			// Re-applying would fail on "column role already exists": exit 0 means drizzle-kit saw it applied.
			expect((await drizzleKit(dir, "drizzle.sess.config.ts", target.db)).code).toBe(0);
			expect(await target.recorded()).toEqual(before);
		}, SLOW);

		test("sess migrate first: drizzle-kit after it is a no-op; a second migration by drizzle-kit is seen as applied by sess migrate", async () => {
			const target = await open("sess-first");
			await sessFolder(1);
			expect(await sessMigrate(target)).toEqual(["0000_init"]);
			expect((await drizzleKit(dir, "drizzle.sess.config.ts", target.db)).code).toBe(0);
			expect(await target.recorded()).toHaveLength(1);

			await sessFolder(2);
			expect((await drizzleKit(dir, "drizzle.sess.config.ts", target.db)).code).toBe(0);
			expect(await target.columns("sessions")).toContain("role");
			expect(await sessMigrate(target)).toEqual([]);
			// Both recorded the files' hashes and journal stamps identically.
			expect((await target.recorded()).map((r) => r.created_at)).toEqual([T0, T0 + 60_000]);
		}, SLOW);

		test("journal stamps are real timestamps: even drizzle-kit with an app's default config applies sess's folder after the app's earlier migrations", async () => {
			const target = await open("default-config");
			expect((await drizzleKit(dir, "drizzle.app.config.ts", target.db)).code).toBe(0);
			await sessFolder(1);
			writeDefaultConfig(dir, "drizzle.shared.config.ts", `migrations/${dialect}`);
			expect((await drizzleKit(dir, "drizzle.shared.config.ts", target.db)).code).toBe(0);
			expect(await target.tables()).toEqual(expect.arrayContaining(["app_users", "sessions"]));
		}, SLOW);
	});
}
