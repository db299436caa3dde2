import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import type { TableModel } from "../../schema/model.ts";
import { applyMigrations, bunSQLTarget, readMigrationFolder, sqliteTarget } from "../../generator/migrate.ts";
import { generateMigrations } from "../../generator/migrations.ts";
import { createScratchDatabase } from "../helpers/scratch-database.ts";
import { requireUrl, serverUrl, skipWithout } from "../helpers/sql-servers.ts";
import { CORE_COLUMNS, empty, evolve, sqlFile, sqliteShape, T0, withFiles, writeFolder } from "./migration-fixtures.ts";

const v1: TableModel = { name: "sessions", columns: [{ name: "user_id", field: "userId", type: "text", maxLength: 64 }] };
const v2: TableModel = { name: "sessions", columns: [...v1.columns, { name: "role", field: "role", type: "text", maxLength: 5 }] };

const INIT_SQLITE = `CREATE TABLE \`sessions\` (
	\`id\` text PRIMARY KEY NOT NULL,
	\`successor_id\` text,
	\`version\` integer NOT NULL,
	\`data\` blob NOT NULL,
	\`created_at\` integer NOT NULL,
	\`rotated_at\` integer NOT NULL,
	\`last_seen_at\` integer NOT NULL,
	\`idle_expires_at\` integer NOT NULL,
	\`absolute_expires_at\` integer NOT NULL,
	\`user_id\` text
);
--> statement-breakpoint
CREATE INDEX \`sessions_successor_id_idx\` ON \`sessions\` (\`successor_id\`);
--> statement-breakpoint
CREATE INDEX \`sessions_idle_expires_at_idx\` ON \`sessions\` (\`idle_expires_at\`);
--> statement-breakpoint
CREATE INDEX \`sessions_user_id_idx\` ON \`sessions\` (\`user_id\`);
`;

const temps: string[] = [];
afterAll(async () => {
	for (const dir of temps) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), "sess-mig-"));
	temps.push(dir);
	return dir;
}

describe("generateMigrations (sqlite)", () => {
	test("first generation creates the table, its indexes and drizzle-kit's metadata", async () => {
		const files = await generateMigrations(v1, "sqlite", empty(), T0);
		expect(files.map((f) => f.path)).toEqual(["0000_init.sql", "meta/0000_snapshot.json", "meta/_journal.json"]);
		expect(files[0]?.contents).toBe(INIT_SQLITE);
		const journal = JSON.parse(files[2]?.contents ?? "");
		expect(journal).toEqual({
			version: "7",
			dialect: "sqlite",
			entries: [{ idx: 0, version: "6", when: T0, tag: "0000_init", breakpoints: true }],
		});
		const snapshot = JSON.parse(files[1]?.contents ?? "");
		expect(snapshot.prevId).toBe("00000000-0000-0000-0000-000000000000");
		expect(snapshot.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(files[1]?.contents.endsWith("}\n")).toBe(true);
	});

	test("is deterministic", async () => {
		const [a1, a2] = await evolve("sqlite", v1, v2);
		const [b1, b2] = await evolve("sqlite", v1, v2);
		expect([...(a1?.files ?? [])]).toEqual([...(b1?.files ?? [])]);
		expect([...(a2?.files ?? [])]).toEqual([...(b2?.files ?? [])]);
	});

	test("an unchanged table generates nothing", async () => {
		const [folder] = await evolve("sqlite", v1);
		expect(await generateMigrations(v1, "sqlite", folder ?? empty(), T0 + 1)).toEqual([]);
	});

	test("adding a promoted column adds the column and its index only", async () => {
		const [, folder] = await evolve("sqlite", v1, v2);
		if (folder === undefined) throw new Error("unreachable");
		const tag = [...folder.files.keys()].find((p) => p.startsWith("0001_"));
		expect(tag).toMatch(/^0001_[0-9a-f]{8}\.sql$/);
		expect(sqlFile(folder, "0001_")).toBe(
			"ALTER TABLE `sessions` ADD `role` text;\n--> statement-breakpoint\nCREATE INDEX `sessions_role_idx` ON `sessions` (`role`);\n",
		);
		const journal = JSON.parse(folder.files.get("meta/_journal.json") ?? "");
		expect(journal.entries.map((e: { when: number }) => e.when)).toEqual([T0, T0 + 60_000]);
		const first = JSON.parse(folder.files.get("meta/0000_snapshot.json") ?? "");
		const second = JSON.parse(folder.files.get("meta/0001_snapshot.json") ?? "");
		expect(second.prevId).toBe(first.id);
	});

	test("dropping one column and adding another in one step does not prompt", async () => {
		const swapped: TableModel = { name: "sessions", columns: [{ name: "role", field: "role", type: "text", maxLength: 5 }] };
		const [, folder] = await evolve("sqlite", v1, swapped);
		expect(sqlFile(folder ?? empty(), "0001_")).toBe(
			[
				"DROP INDEX `sessions_user_id_idx`;",
				"ALTER TABLE `sessions` DROP COLUMN `user_id`;",
				"ALTER TABLE `sessions` ADD `role` text;",
				"CREATE INDEX `sessions_role_idx` ON `sessions` (`role`);",
			].join("\n--> statement-breakpoint\n") + "\n",
		);
	});
});

describe("applyMigrations (sqlite)", () => {
	test("creates the table, is idempotent, and applies only new migrations", async () => {
		const dir = await tempDir();
		const [f1, f2] = await evolve("sqlite", v1, v2);
		const db = new Database(join(dir, "sess.db"), { create: true, strict: true });
		try {
			expect(await applyMigrations(sqliteTarget(db), f1 ?? empty())).toEqual({ applied: ["0000_init"] });
			expect(sqliteShape(db)).toEqual({
				columns: [...CORE_COLUMNS, "user_id"],
				indexes: ["sessions_idle_expires_at_idx", "sessions_successor_id_idx", "sessions_user_id_idx"],
			});
			expect(await applyMigrations(sqliteTarget(db), f1 ?? empty())).toEqual({ applied: [] });
			db.run(
				"INSERT INTO sessions (id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at, user_id) VALUES ('a', 1, x'00', 1, 1, 1, 2, 3, 'u1')",
			);
			const second = await applyMigrations(sqliteTarget(db), f2 ?? empty());
			expect(second.applied).toHaveLength(1);
			expect(second.applied[0]).toMatch(/^0001_[0-9a-f]{8}$/);
			expect(sqliteShape(db).columns).toEqual([...CORE_COLUMNS, "user_id", "role"]);
			expect(sqliteShape(db).indexes).toContain("sessions_role_idx");
			expect(db.query("SELECT id, user_id, role FROM sessions").all()).toEqual([{ id: "a", user_id: "u1", role: null }]);
		} finally {
			db.close();
		}
	});

	test("a database migrated when journals held 1, 2, … is seen as up to date and re-stamped, so drizzle's migrators agree", async () => {
		const [f1] = await evolve("sqlite", v1);
		const legacy = withFiles(f1 ?? empty(), [{ path: "meta/_journal.json", contents: (f1?.files.get("meta/_journal.json") ?? "").replace(`"when": ${T0}`, '"when": 1') }]);
		const db = new Database(":memory:");
		try {
			expect(await applyMigrations(sqliteTarget(db), legacy)).toEqual({ applied: ["0000_init"] });
			expect(db.query("SELECT created_at FROM __drizzle_migrations").all()).toEqual([{ created_at: 1 }]);
			expect(await applyMigrations(sqliteTarget(db), f1 ?? empty())).toEqual({ applied: [] });
			expect(db.query("SELECT created_at FROM __drizzle_migrations").all()).toEqual([{ created_at: T0 }]);
		} finally {
			db.close();
		}
	});

	test("a migration with the same SQL as an earlier one (a column added, dropped, added again) is still applied", async () => {
		const [, , f3, f4] = await evolve("sqlite", v1, v2, v1, v2);
		expect(sqlFile(f4 ?? empty(), "0003_")).toBe(sqlFile(f4 ?? empty(), "0001_"));
		const db = new Database(":memory:");
		try {
			expect((await applyMigrations(sqliteTarget(db), f3 ?? empty())).applied).toHaveLength(3);
			expect(sqliteShape(db).columns).not.toContain("role");
			expect((await applyMigrations(sqliteTarget(db), f4 ?? empty())).applied).toEqual([expect.stringMatching(/^0003_/)]);
			expect(sqliteShape(db).columns).toContain("role");
		} finally {
			db.close();
		}
	});

	test("a renamed table keeps its rows", async () => {
		const renamed: TableModel = { ...v1, name: "web_sessions" };
		const [f1, f2] = await evolve("sqlite", v1, renamed);
		expect(sqlFile(f2 ?? empty(), "0001_")).toStartWith("ALTER TABLE `sessions` RENAME TO `web_sessions`;");
		const db = new Database(":memory:");
		await applyMigrations(sqliteTarget(db), f1 ?? empty());
		db.run("INSERT INTO sessions (id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at) VALUES ('a', 1, x'00', 1, 1, 1, 2, 3)");
		await applyMigrations(sqliteTarget(db), f2 ?? empty());
		expect(sqliteShape(db, "web_sessions").indexes).toEqual([
			"web_sessions_idle_expires_at_idx",
			"web_sessions_successor_id_idx",
			"web_sessions_user_id_idx",
		]);
		expect(db.query("SELECT id FROM web_sessions").all()).toEqual([{ id: "a" }]);
		db.close();
	});

	test("a failing migration rolls back every pending one and reports migration_failed", async () => {
		const [, f2] = await evolve("sqlite", v1, v2);
		const db = new Database(":memory:");
		// 0001 adds `role`, then fails to create its index because the name is taken.
		db.run("CREATE TABLE other (x text); CREATE INDEX sessions_role_idx ON other (x)");
		const failure = applyMigrations(sqliteTarget(db), f2 ?? empty());
		await expect(failure).rejects.toMatchObject({ code: "migration_failed", message: expect.stringMatching(/in 0001_[0-9a-f]{8}\.sql/) });
		const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
		expect(tables).toEqual([{ name: "other" }]);
		db.close();
	});

	test("readMigrationFolder round-trips a written folder and reads a missing one as empty", async () => {
		const dir = await tempDir();
		const [, folder] = await evolve("sqlite", v1, v2);
		await writeFolder(dir, folder ?? empty());
		expect((await readMigrationFolder(dir)).files).toEqual(folder?.files ?? new Map());
		expect((await readMigrationFolder(join(dir, "nope"))).files.size).toBe(0);
	});

	test("drizzle-orm's migrator sees our migrations as applied", async () => {
		const dir = await tempDir();
		const [f1, f2] = await evolve("sqlite", v1, v2);
		await writeFolder(dir, f2 ?? empty());
		const db = new Database(join(dir, "a.db"), { create: true });
		await applyMigrations(sqliteTarget(db), f2 ?? empty());
		migrate(drizzle({ client: db }), { migrationsFolder: dir });
		expect(db.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({ n: 2 });
		db.close();

		// And the other way: drizzle applies the first, we apply only the second.
		const first = join(dir, "first");
		await writeFolder(first, f1 ?? empty());
		const db2 = new Database(join(dir, "b.db"), { create: true });
		migrate(drizzle({ client: db2 }), { migrationsFolder: first });
		expect((await applyMigrations(sqliteTarget(db2), f2 ?? empty())).applied).toHaveLength(1);
		expect(await applyMigrations(sqliteTarget(db2), f2 ?? empty())).toEqual({ applied: [] });
		const hashes = db2.query<{ hash: string }, []>("SELECT hash FROM __drizzle_migrations ORDER BY created_at").all();
		const db3 = new Database(":memory:");
		migrate(drizzle({ client: db3 }), { migrationsFolder: dir });
		expect(db3.query<{ hash: string }, []>("SELECT hash FROM __drizzle_migrations ORDER BY created_at").all()).toEqual(hashes);
		db2.close();
		db3.close();
	});
});

describe("postgres and mysql", () => {
	test("postgres SQL uses bytea and bigint", async () => {
		const [folder] = await evolve("postgres", v1);
		const sql = sqlFile(folder ?? empty(), "0000_");
		expect(sql).toStartWith('CREATE TABLE "sessions" (\n\t"id" text PRIMARY KEY NOT NULL,\n\t"successor_id" text,\n\t"version" integer NOT NULL,\n');
		expect(sql).toContain('\t"data" "bytea" NOT NULL,\n');
		expect(sql).toContain('\t"idle_expires_at" bigint NOT NULL,\n');
		expect(sql).toContain('\t"user_id" varchar(64)\n);');
		expect(sql).toContain('CREATE INDEX "sessions_user_id_idx" ON "sessions" USING btree ("user_id");');
		expect(JSON.parse(folder?.files.get("meta/_journal.json") ?? "")).toMatchObject({ version: "7", dialect: "postgresql" });
	});

	test("mysql SQL uses mediumblob, bigint and varchar", async () => {
		const [folder] = await evolve("mysql", v1);
		const sql = sqlFile(folder ?? empty(), "0000_");
		expect(sql).toStartWith("CREATE TABLE `sessions` (\n\t`id` varchar(64) NOT NULL,\n\t`successor_id` varchar(64),\n");
		expect(sql).toContain("\t`data` mediumblob NOT NULL,\n");
		expect(sql).toContain("\t`created_at` bigint NOT NULL,\n");
		expect(sql).toContain("\tCONSTRAINT `sessions_id` PRIMARY KEY(`id`)\n);");
		expect(sql).toContain("CREATE INDEX `sessions_user_id_idx` ON `sessions` (`user_id`);");
		expect(JSON.parse(folder?.files.get("meta/_journal.json") ?? "")).toMatchObject({ version: "7", dialect: "mysql" });
	});

	test("mysql needs a bounded text column to index it", async () => {
		const unbounded: TableModel = { name: "sessions", columns: [{ name: "note", field: "note", type: "text" }] };
		await expect(generateMigrations(unbounded, "mysql", empty(), T0)).rejects.toMatchObject({ code: "unsupported_schema" });
	});
});

describe("applyMigrations on servers", async () => {
	const servers = { postgres: await serverUrl("postgres"), mysql: await serverUrl("mysql") };
	for (const dialect of ["postgres", "mysql"] as const) {
		const adminUrl = servers[dialect];
		test.skipIf(skipWithout(adminUrl))(`${dialect}: applies, is idempotent, then alters`, async () => {
			const scratch = await createScratchDatabase(dialect, requireUrl(dialect, adminUrl), "migrations");
			const url = scratch.url;
			const suffix = crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36);
			const name = `sess_mig_test_${suffix}`;
			const options = { migrationsTable: `sess_mig_journal_${suffix}`, migrationsSchema: `sess_mig_schema_${suffix}` };
			const model1: TableModel = { name, columns: [{ name: "user_id", field: "userId", type: "text", maxLength: 64 }] };
			const model2: TableModel = { name, columns: [{ name: "admin", field: "admin", type: "boolean" }, { name: "n", field: "n", type: "integer" }] };
			// Renamed table, and a column whose type changes.
			const model3: TableModel = { name: `${name}_r`, columns: [{ name: "admin", field: "admin", type: "integer" }, { name: "n", field: "n", type: "integer" }] };
			const [f1, f2, f3] = await evolve(dialect, model1, model2, model3);
			const sql = new Bun.SQL(url);
			const target = bunSQLTarget(sql, dialect);
			const columns = async (table = name): Promise<string[]> =>
				(
					await sql.unsafe(
						dialect === "postgres"
							? "SELECT column_name AS c FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position"
							: "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
						[table],
					)
				).map((r: { c: string }) => r.c);
			try {
				// Two app instances starting at once: exactly one applies.
				const other = new Bun.SQL(url);
				const racing = await Promise.all([
					applyMigrations(target, f1 ?? empty(), options),
					applyMigrations(bunSQLTarget(other, dialect), f1 ?? empty(), options),
				]).finally(() => other.close());
				expect(racing.flatMap((r) => r.applied)).toEqual(["0000_init"]);
				expect(await columns()).toEqual([...CORE_COLUMNS, "user_id"]);
				expect(await applyMigrations(target, f1 ?? empty(), options)).toEqual({ applied: [] });
				await sql.unsafe(
					`INSERT INTO ${name} (id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at) VALUES ('a', 1, ${dialect === "postgres" ? "'\\x00'" : "x'00'"}, 1, 1, 1, 2, 1700000000000)`,
				);
				expect((await applyMigrations(target, f2 ?? empty(), options)).applied).toHaveLength(1);
				expect(await columns()).toEqual([...CORE_COLUMNS, "admin", "n"]);
				expect(Array.from(await sql.unsafe(`SELECT id FROM ${name}`))).toEqual([{ id: "a" }]);
				expect((await applyMigrations(target, f3 ?? empty(), options)).applied).toHaveLength(1);
				expect(await columns(`${name}_r`)).toEqual([...CORE_COLUMNS, "n", "admin"]);
				expect(Array.from(await sql.unsafe(`SELECT id FROM ${name}_r`))).toEqual([{ id: "a" }]);
			} finally {
				await sql.close();
				await scratch.drop();
			}
		});
	}
});
