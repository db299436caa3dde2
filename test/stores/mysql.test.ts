import { expect, test } from "bun:test";
import { MySQLStore } from "../../src/stores/mysql.ts";
import { serverUrl } from "../helpers/sql-servers.ts";
import { makeRow, storeId } from "./conformance.ts";
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
