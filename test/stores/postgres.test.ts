import { expect, test } from "bun:test";
import { PostgresStore } from "../../src/stores/postgres.ts";
import { serverUrl } from "../helpers/sql-servers.ts";
import { makeRow, storeId } from "./conformance.ts";
import { testServerStore } from "./sql-server-cases.ts";

const url = await serverUrl("postgres");

testServerStore("PostgresStore", "postgres", url, (client, table) => new PostgresStore(client, { table }), (ctx) => {
	test("a client with bigint: true (int8 as BigInt) still yields numbers", async () => {
		const sql = new Bun.SQL(ctx().url, { bigint: true });
		try {
			const store = new PostgresStore(sql, { table: ctx().main.table });
			await store.create(makeRow(1, { absoluteExpiresAt: 2 ** 50 }));
			const [raw] = await sql.unsafe(`SELECT "absolute_expires_at" AS a FROM "${ctx().main.table.name}"`);
			expect(typeof raw.a).toBe("bigint");
			expect((await store.get(storeId(1)))?.absoluteExpiresAt).toBe(2 ** 50);
		} finally {
			await sql.close();
		}
	});

	test("a client without named prepared statements (as behind PgBouncer) works the same", async () => {
		const sql = new Bun.SQL(ctx().url, { prepare: false });
		try {
			const store = new PostgresStore(sql, { table: ctx().main.table });
			await store.create(makeRow(1));
			expect(await store.update(makeRow(1, { version: 2, data: new Uint8Array([0, 255]) }), 1)).toBe(true);
			expect(Array.from((await store.get(storeId(1)))?.data ?? [])).toEqual([0, 255]);
			expect(await store.rotate(storeId(1), 2, makeRow(2, { version: 3 }), null)).toBe(true);
			expect(await store.prune(Number.MAX_SAFE_INTEGER)).toBe(1);
		} finally {
			await sql.close();
		}
	});
});
