// Issue 10 §2: a database that was never migrated (or whose migrations are behind the schema) fails when
// the store opens, with one line saying to run `sess migrate`, on SQLite, PostgreSQL and MySQL alike;
// never at the first request with the driver's "relation does not exist". Each server case runs in a
// scratch database of its own.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { model } from "../../examples/demo/src/generated/session.ts";
import { migrateDatabase } from "../../generator/database.ts";
import { NotMigratedError, StoreUnavailableError } from "../../src/errors.ts";
import { MySQLStore } from "../../src/stores/mysql.ts";
import { openStore } from "../../src/stores/open.ts";
import { PostgresStore } from "../../src/stores/postgres.ts";
import { RedisStore } from "../../src/stores/redis.ts";
import { SQLiteStore } from "../../src/stores/sqlite.ts";
import { rejection } from "../helpers/failure.ts";
import { createScratchDatabase, type ScratchDatabase } from "../helpers/scratch-database.ts";
import { REDIS_URL, redisReachable } from "../helpers/servers.ts";
import { requireUrl, serverUrl, skipWithout } from "../helpers/sql-servers.ts";

const MIGRATIONS = "examples/demo/migrations";
/** The session table as the first migrations made it, before the device columns (handle, device, device_label, network). */
const OLD_TABLE = `CREATE TABLE sessions (id varchar(64) PRIMARY KEY, successor_id varchar(64), version integer NOT NULL, data ${"%BLOB%"} NOT NULL,
	created_at bigint NOT NULL, rotated_at bigint NOT NULL, last_seen_at bigint NOT NULL, idle_expires_at bigint NOT NULL, absolute_expires_at bigint NOT NULL, user_id varchar(64))`;

const [postgresUrl, mysqlUrl, redisUp] = await Promise.all([serverUrl("postgres"), serverUrl("mysql"), redisReachable()]);

for (const dialect of ["postgres", "mysql"] as const) {
	const admin = dialect === "postgres" ? postgresUrl : mysqlUrl;
	const name = dialect === "postgres" ? "PostgreSQL" : "MySQL";
	describe.skipIf(skipWithout(admin))(`openStore checks the table at start on ${name}`, () => {
		const scratch: ScratchDatabase[] = [];
		const fresh = async (tag: string): Promise<ScratchDatabase> => {
			const db = await createScratchDatabase(dialect, requireUrl(dialect, admin), tag);
			scratch.push(db);
			return db;
		};
		afterAll(async () => {
			await Promise.all(scratch.map((db) => db.drop()));
		}, 60_000);

		test("an empty database: NotMigratedError, one line naming the table, the database and the command", async () => {
			const db = await fresh("startempty");
			const error = await rejection(openStore(db.url, model.table));
			expect(error).toBeInstanceOf(NotMigratedError);
			expect(error.code).toBe("not_migrated");
			expect(error.message).toBe(`the session table "sessions" does not exist in the ${name} database "${db.name}". Run \`sess migrate --db ${db.url}\` first.`);
		}, 30_000);

		test("a table behind the schema names the missing columns", async () => {
			const db = await fresh("startold");
			const sql = new Bun.SQL(db.url, { max: 1 });
			try {
				await sql.unsafe(OLD_TABLE.replace("%BLOB%", dialect === "postgres" ? "bytea" : "mediumblob"));
			} finally {
				await sql.close();
			}
			const error = await rejection(openStore(db.url, model.table));
			expect(error).toBeInstanceOf(NotMigratedError);
			expect((error as NotMigratedError).missing).toEqual(["handle", "device", "device_label", "network"]);
			expect(error.message).toContain("lacks columns handle, device, device_label, network: its migrations are behind the schema. Run `sess migrate --db");
			expect(error.message).not.toContain("\n");
		}, 60_000);

		test("a store over a client of the app's own: check() says the same, with the password hidden when it has the URL; after sess migrate the store opens", async () => {
			const db = await fresh("startclient");
			const client = new Bun.SQL(db.url, { max: 1 });
			try {
				const store = dialect === "postgres" ? new PostgresStore(client, { table: model.table }) : new MySQLStore(client, { table: model.table });
				const error = await rejection(store.check());
				expect(error.message).toBe(`the session table "sessions" does not exist in the ${name} database "${db.name}". Run \`sess migrate --db ${dialect}://…/${db.name}\` first.`);
			} finally {
				await client.close();
			}
			const withPassword = new URL(db.url);
			withPassword.password = "s3cret";
			const error = await rejection(openStore(withPassword.toString(), model.table)).catch((e: unknown) => e as Error);
			expect(String((error as Error).message)).not.toContain("s3cret");
			await migrateDatabase(db.url, MIGRATIONS);
			const opened = await openStore(db.url, model.table);
			try {
				expect(await opened.store.get("0".repeat(64))).toBeNull();
			} finally {
				await opened.close();
			}
		}, 60_000);
	});
}

describe("SQLite checks the table's columns at start too", () => {
	let dir: string;
	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), "sess-start-"));
	});
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	test("a table behind the schema: NotMigratedError naming the missing columns, not SQLite's 'no such column'", async () => {
		const file = join(dir, "old.db");
		const db = new Database(file);
		db.run(OLD_TABLE.replace("%BLOB%", "blob"));
		db.close();
		const error = await rejection(openStore(file, model.table));
		expect(error).toBeInstanceOf(NotMigratedError);
		expect(error.message).toBe(`the session table "sessions" in ${file} lacks columns handle, device, device_label, network: its migrations are behind the schema. Run \`sess migrate --db ${file}\` first.`);
		await migrateDatabase(join(dir, "new.db"), MIGRATIONS);
		const fine = new Database(join(dir, "new.db"));
		expect(() => new SQLiteStore(fine, { table: model.table })).not.toThrow();
		fine.close();
	});
});

describe("a server that is down", () => {
	test("openStore fails at start with StoreUnavailableError, one line, password hidden", async () => {
		const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
		const port = server.port;
		server.stop(true);
		const error = await rejection(openStore(`postgres://app:hunter2@127.0.0.1:${port}/app`, model.table));
		expect(error).toBeInstanceOf(StoreUnavailableError);
		expect(error.message).not.toContain("hunter2");
		expect(error.message).not.toContain("\n");
		expect(error.message).toContain(`postgres://app:***@127.0.0.1:${port}/app`);
	}, 30_000);

	test("a Redis that is down fails at start too (not at the first request with a cookie, 30 s of client retries later)", async () => {
		const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
		const port = server.port;
		server.stop(true);
		const error = await rejection(openStore(`redis://app:hunter2@127.0.0.1:${port}`, model.table));
		expect(error).toBeInstanceOf(StoreUnavailableError);
		// Refused at once: the store's own connection says so, without waiting out the check's 5 s.
		expect(error.message).toBe(`cannot reach Redis at redis://app:***@127.0.0.1:${port} (Failed to connect: ECONNREFUSED). Check that it is running and that the URL names it.`);
	}, 30_000);

	test("a server that accepts the connection and never answers fails the check within its bound", async () => {
		const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
		try {
			const store = new RedisStore(`redis://app:hunter2@127.0.0.1:${silent.port}`, { table: model.table });
			const quick = await rejection(store.check(200));
			expect(quick).toBeInstanceOf(StoreUnavailableError);
			expect(quick.message).toBe(`cannot reach Redis at redis://app:***@127.0.0.1:${silent.port} (no answer within 200 ms). Check that it is running and that the URL names it.`);
			await store.close();
		} finally {
			silent.stop(true);
		}
	}, 30_000);

	test.skipIf(!redisUp && process.env["CI"] !== "true")("a Redis that is up passes the check and the store opens", async () => {
		const opened = await openStore(REDIS_URL, model.table);
		try {
			expect(opened.engine).toBe("redis");
		} finally {
			await opened.close();
		}
	});
});
