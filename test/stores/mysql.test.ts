import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { model } from "../../examples/demo/src/generated/session.ts";
import { applyMigrations, bunSQLTarget } from "../../generator/migrate.ts";
import { MySQLStore } from "../../src/stores/mysql.ts";
import { serverUrl } from "../helpers/sql-servers.ts";
import { IDENTITIES, makeRow, storeId } from "./conformance.ts";
import { testServerStore } from "./sql-server-cases.ts";

const url = await serverUrl("mysql");

testServerStore("MySQLStore", "mysql", url, (client, table) => new MySQLStore(client, { table }), (ctx) => {
	test("the server counts changed rows, so an identical write reports 0; the store still reads it as a match", async () => {
		const store = new MySQLStore(ctx().sql, { table: ctx().main.table });
		await store.create(makeRow(1));
		const t = `\`${ctx().main.table.name}\``;
		expect((await ctx().sql.unsafe(`UPDATE ${t} SET \`version\` = 1 WHERE \`id\` = ?`, [storeId(1)])).affectedRows).toBe(0);
		expect(await store.update(makeRow(1), 1)).toBe(true);
	});

	test("a client with foundRows: true behaves the same", async () => {
		const sql = new Bun.SQL(ctx().url, { foundRows: true });
		try {
			const store = new MySQLStore(sql, { table: ctx().main.table });
			await store.create(makeRow(1));
			expect(await store.update(makeRow(1), 1)).toBe(true);
			expect(await store.update(makeRow(1, { version: 2 }), 1)).toBe(true);
			expect(await store.update(makeRow(1, { version: 3 }), 1)).toBe(false);
			await store.touch(storeId(1), 5, 6);
			expect(await store.rotate(storeId(1), 2, makeRow(2, { version: 3 }), 10)).toBe(true);
			expect(await store.rotate(storeId(1), 2, makeRow(3, { version: 3 }), 10)).toBe(false);
		} finally {
			await sql.close();
		}
	});

	test("the demo's migrations turn an existing case-insensitive user_id into exact bytes, keeping every identity", async () => {
		// Step one: the table as 0000_init made it (VARCHAR, the server's default utf8mb4_general_ci collation).
		const folder = join(import.meta.dir, "..", "..", "examples", "demo", "migrations", "mysql");
		const files = new Map<string, string>();
		for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
			if (entry.isFile()) files.set(relative(folder, join(entry.parentPath, entry.name)), readFileSync(join(entry.parentPath, entry.name), "utf8"));
		}
		const journal = JSON.parse(files.get("meta/_journal.json") as string) as { entries: { tag: string }[] };
		expect(journal.entries.length).toBeGreaterThanOrEqual(2);
		const options = { migrationsTable: `__sess_collation_${Date.now()}` };
		const t = `\`${model.table.name}\``;
		const target = bunSQLTarget(ctx().sql, "mysql");
		try {
			await applyMigrations(target, { files: new Map([...files, ["meta/_journal.json", JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) })]]) }, options);
			const store = new MySQLStore(ctx().sql, { table: model.table });
			for (const [i, user] of IDENTITIES.entries()) await store.create(makeRow(`old-${i}`, { columns: { user_id: user } }));
			// The attack the old collation allowed: "ann" matched ANN, Ann, "ann " and ánn.
			expect((await store.list("user_id", "ann")).length).toBeGreaterThan(1);
			// Step two: the rest of the folder, as `sess migrate` applies it to that database.
			await applyMigrations(target, { files }, options);
			const column = (await ctx().sql.unsafe(`SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'user_id'`, [model.table.name]))[0];
			expect(column?.t).toBe("varbinary");
			for (const [i, user] of IDENTITIES.entries()) {
				const listed = await store.list("user_id", user);
				expect({ user, ids: listed.map((r) => r.id), back: listed[0]?.columns["user_id"] }).toEqual({ user, ids: [storeId(`old-${i}`)], back: user });
			}
		} finally {
			await ctx().sql.unsafe(`DROP TABLE IF EXISTS ${t}`);
			await ctx().sql.unsafe(`DROP TABLE IF EXISTS \`${options.migrationsTable}\``);
		}
	});

	test("a mariadb:// URL opens a MySQL client", async () => {
		const store = new MySQLStore(ctx().url.replace(/^mysql:/, "mariadb:"), { table: ctx().main.table });
		try {
			await store.create(makeRow(1));
			expect((await store.get(storeId(1)))?.version).toBe(1);
		} finally {
			await store.close();
		}
	});
});
