// The server-store suite shared by postgres.test.ts and mysql.test.ts: the Store conformance suite on a
// throwaway table, then what only a real server shows (wire format, races between connections, batching).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { SQL } from "bun";
import type { ColumnModel, TableModel } from "../../schema/model.ts";
import { ConfigError, InvalidDataError, SchemaError } from "../../src/errors.ts";
import type { StoredSession } from "../../src/store.ts";
import type { ServerDialect } from "../../src/stores/sql-dialect.ts";
import type { SQLServerStore } from "../../src/stores/sql-server.ts";
import { CookieJar, MINUTE, makeSessions, visit } from "../helpers/harness.ts";
import { rotateUnderLoad } from "./rotation-under-load.ts";
import { createScratchDatabase, type ScratchDatabase } from "../helpers/scratch-database.ts";
import { requireUrl, skipWithout, throwawayTable, USER_ID, type ThrowawayTable } from "../helpers/sql-servers.ts";
import { makeRow, storeId, testStore } from "./conformance.ts";

/** A store over a client or a URL. */
export type MakeStore = (client: SQL | string, table: TableModel) => SQLServerStore;

/** What each server test gets: the admin client, the user_id table and a table with every promoted column type. */
export interface ServerContext {
	sql: SQL;
	url: string;
	main: ThrowawayTable;
	typed: ThrowawayTable;
}

const TYPED_COLUMNS: ColumnModel[] = [USER_ID, { name: "admin", field: "admin", type: "boolean" }, { name: "n", field: "n", type: "integer" }];

/** Registers the suite, skipped off CI when the server is down; `specific` adds the dialect's own tests. */
export function testServerStore(
	name: string,
	dialect: ServerDialect,
	url: string | undefined,
	make: MakeStore,
	specific: (ctx: () => ServerContext) => void,
): void {
	describe.skipIf(skipWithout(url))(`${name} on ${dialect}`, () => {
		let ctx: ServerContext | undefined;
		let scratch: ScratchDatabase | undefined;
		const get = (): ServerContext => {
			if (ctx === undefined) throw new Error("the server context was not set up");
			return ctx;
		};
		beforeAll(async () => {
			scratch = await createScratchDatabase(dialect, requireUrl(dialect, url), `store_${dialect}`);
			const sql = new Bun.SQL(scratch.url);
			ctx = { sql, url: scratch.url, main: await throwawayTable(sql, dialect), typed: await throwawayTable(sql, dialect, TYPED_COLUMNS) };
			// CREATE/DROP DATABASE take seconds on a server other runs keep busy.
		}, 30_000);
		afterAll(async () => {
			await ctx?.sql.close();
			await scratch?.drop();
		}, 30_000);

		testStore(name, async () => ({ store: make(get().sql, get().main.table), cleanup: () => get().main.clear() }));

		describe(`${name} on a real server`, () => {
			afterEach(async () => {
				await get().main.clear();
				await get().typed.clear();
			});
			serverCases(dialect, make, get);
			specific(get);
		});
	});
}

function serverCases(dialect: ServerDialect, make: MakeStore, ctx: () => ServerContext): void {
	const open = (): SQLServerStore => make(ctx().sql, ctx().main.table);
	const raw = async (text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> => Array.from(await ctx().sql.unsafe(text, params));
	const q = (name: string): string => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
	const t = (): string => q(ctx().main.table.name);
	const count = async (): Promise<number> => Number((await raw(`SELECT count(*) AS n FROM ${t()}`))[0]?.["n"]);

	test("a session committed through the manager is a row with the hashed id, binary data, bigint ms and user_id", async () => {
		const h = makeSessions({ store: open() });
		const jar = new CookieJar();
		await visit(h, jar, (s) => {
			s.userId = "u1";
			s.cart = [1, 2];
		});
		const token = jar.token() ?? "";
		const rows = await raw(`SELECT * FROM ${t()}`);
		expect(rows).toHaveLength(1);
		const row = rows[0] ?? {};
		expect(row["id"]).toBe(jar.rowId() as string);
		expect(row["id"]).toMatch(/^[0-9a-f]{64}$/);
		expect(row["data"]).toBeInstanceOf(Uint8Array);
		expect((row["data"] as Uint8Array).length).toBeGreaterThan(0);
		expect(String(row["created_at"])).toBe(String(h.clock.now()));
		// MySQL keeps promoted text as VARBINARY (exact comparison): the column holds the UTF-8 bytes.
		expect(dialect === "mysql" ? new TextDecoder().decode(row["user_id"] as Uint8Array) : row["user_id"]).toBe("u1");
		expect(row["successor_id"]).toBeNull();
		const types = await raw(
			dialect === "postgres"
				? "SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name = $1"
				: "SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?",
			[ctx().main.table.name],
		);
		const typeOf = Object.fromEntries(types.map((r) => [r["c"], String(r["t"]).toLowerCase()]));
		expect(typeOf["data"]).toBe(dialect === "postgres" ? "bytea" : "mediumblob");
		for (const c of ["created_at", "rotated_at", "last_seen_at", "idle_expires_at", "absolute_expires_at"]) expect(typeOf[c]).toBe("bigint");
		// Buffers reach the replacer already as { type: "Buffer", data }.
		const text = (v: { data?: number[] }): string => new TextDecoder().decode(new Uint8Array(v.data ?? []));
		const dump = JSON.stringify(rows, (_, v) => (v?.type === "Buffer" && Array.isArray(v.data) ? text(v) : v));
		expect(dump).not.toContain(token);
		expect((await visit(h, jar)).session.cart).toEqual([1, 2]);
	});

	test("periodic rotation through the manager leaves an empty alias row; revoke() deletes both", async () => {
		const h = makeSessions({ store: open() });
		const jar = new CookieJar();
		await visit(h, jar, (s) => (s.userId = "u1"));
		const old = jar.clone();
		h.clock.advance(15 * MINUTE);
		expect((await visit(h, jar)).setCookies).toHaveLength(1);
		const rows = await raw(`SELECT ${q("id")}, ${q("successor_id")}, length(${q("data")}) AS bytes FROM ${t()} ORDER BY ${q("successor_id")} IS NULL`);
		expect(rows.map((r) => [r["id"], r["successor_id"], Number(r["bytes"]) > 0])).toEqual([
			[old.rowId(), jar.rowId(), false],
			[jar.rowId(), null, true],
		]);
		expect((await visit(h, old)).session.userId).toBe("u1");
		expect(await h.sessions.revoke("userId", "u1")).toBe(1);
		expect(await count()).toBe(0);
	});

	test("50 parallel requests through the manager when rotation is due issue one new ID", async () => {
		await rotateUnderLoad(open());
		expect(await count()).toBe(2);
	});

	for (const grace of [true, false]) {
		test(`20 concurrent rotate() calls (${grace ? "with" : "without"} grace) on one row: exactly one wins and one new row exists`, async () => {
			const store = open();
			await store.create(makeRow("a"));
			const nexts = Array.from({ length: 20 }, (_, i) => makeRow(`next-${i}`, { version: 2 }));
			const results = await Promise.all(nexts.map((next) => store.rotate(storeId("a"), 1, next, grace ? Date.now() + 30_000 : null)));
			expect(results.filter(Boolean)).toHaveLength(1);
			const winner = nexts[results.indexOf(true)] as StoredSession;
			const present = await Promise.all(nexts.map((next) => store.get(next.id)));
			expect(present.filter((row) => row !== null).map((row) => row?.id)).toEqual([winner.id]);
			expect((await store.get(storeId("a")))?.successorId ?? null).toBe(grace ? winner.id : null);
			expect(await count()).toBe(grace ? 2 : 1);
		});
	}

	test("20 concurrent compare-and-set update() calls at one version: exactly one wins and its row is stored", async () => {
		const store = open();
		await store.create(makeRow(1));
		const writes = Array.from({ length: 20 }, (_, i) => makeRow(1, { version: 2, data: new Uint8Array([i, 0xaa]), columns: { user_id: `u${i}` } }));
		const results = await Promise.all(writes.map((w) => store.update(w, 1)));
		expect(results.filter(Boolean)).toHaveLength(1);
		const winner = writes[results.indexOf(true)] as StoredSession;
		const stored = await store.get(storeId(1));
		expect(Array.from(stored?.data ?? [])).toEqual(Array.from(winner.data));
		expect(stored?.columns).toEqual(winner.columns);
		expect(stored?.version).toBe(2);
	});

	test("update() that writes identical values at the same version still reports success", async () => {
		const store = open();
		await store.create(makeRow(1));
		expect(await store.update(makeRow(1), 1)).toBe(true);
		expect(await store.update(makeRow(1), 2)).toBe(false);
	});

	test("prune() of 1,200 expired rows among live ones deletes exactly the expired, across batches", async () => {
		const store = open();
		const now = 1_900_000_000_000;
		// Half by the idle deadline, half by the absolute one.
		const deadline = (i: number): Partial<StoredSession> => (i % 2 === 0 ? { idleExpiresAt: now } : { idleExpiresAt: now + 1, absoluteExpiresAt: now - i });
		const expired = Array.from({ length: 1200 }, (_, i) => makeRow(`x${i}`, deadline(i)));
		const live = Array.from({ length: 30 }, (_, i) => makeRow(`l${i}`, { idleExpiresAt: now + 1 }));
		for (let i = 0; i < expired.length; i += 100) await Promise.all(expired.slice(i, i + 100).map((r) => store.create(r)));
		await Promise.all(live.map((r) => store.create(r)));
		expect(await store.prune(now)).toBe(1200);
		const left = (await raw(`SELECT ${q("id")} FROM ${t()}`)).map((r) => r["id"]).sort();
		expect(left).toEqual(live.map((r) => r.id).sort());
		expect(await store.prune(now)).toBe(0);
	}, 60_000);

	test("bigint values above 2^32 (up to 2^53 - 1) round-trip exactly, in fixed and promoted columns", async () => {
		const store = make(ctx().sql, ctx().typed.table);
		const max = Number.MAX_SAFE_INTEGER;
		const row = makeRow("big", {
			createdAt: 2 ** 32 + 1, rotatedAt: 2 ** 40 + 7, lastSeenAt: max - 2, idleExpiresAt: max - 1, absoluteExpiresAt: max,
			columns: { user_id: "u1", admin: true, n: 2 ** 40 + 3 },
		});
		await store.create(row);
		const got = await store.get(row.id);
		expect(got).toMatchObject({ createdAt: 2 ** 32 + 1, rotatedAt: 2 ** 40 + 7, lastSeenAt: max - 2, idleExpiresAt: max - 1, absoluteExpiresAt: max });
		expect(got?.columns).toEqual({ user_id: "u1", admin: true, n: 2 ** 40 + 3 });
		await store.create(makeRow("neg", { columns: { user_id: null, admin: false, n: -(2 ** 33) } }));
		await store.create(makeRow("nulls", { columns: { user_id: null, admin: null, n: null } }));
		expect((await store.get(storeId("neg")))?.columns).toEqual({ user_id: null, admin: false, n: -(2 ** 33) });
		expect((await store.get(storeId("nulls")))?.columns).toEqual({ user_id: null, admin: null, n: null });
		expect((await store.list("admin", true)).map((r) => r.id)).toEqual([row.id]);
		expect((await store.list("n", -(2 ** 33))).map((r) => r.id)).toEqual([storeId("neg")]);
		expect(await store.revoke("n", 2 ** 40 + 3)).toBe(1);
		expect(await store.get(row.id)).toBeNull();
	});

	test("a stored integer beyond 2^53 is refused rather than rounded", async () => {
		const store = open();
		await store.create(makeRow(1));
		await raw(`UPDATE ${t()} SET ${q("absolute_expires_at")} = 9007199254740993`);
		await expect(store.get(storeId(1))).rejects.toBeInstanceOf(RangeError);
	});

	test("a revoke() racing rotations of the same user's sessions leaves no row and no orphan alias", async () => {
		const store = open();
		for (let i = 0; i < 10; i++) await store.create(makeRow(i));
		const rotations = Array.from({ length: 10 }, (_, i) => store.rotate(storeId(i), 1, makeRow(`r${i}`, { version: 2 }), Date.now() + 30_000));
		await Promise.all([...rotations, store.revoke("user_id", "u1")]);
		expect(await count()).toBe(0);
	});

	// Finding 5 of docs/guarantees.md: a single-statement write that the server picks as a deadlock victim was
	// answered 503. Forced here: the store's DELETE holds e1 and waits for e2, held by a heavier transaction that
	// then asks for e1. The server rolls back the store's statement (MariaDB: the lighter side; PostgreSQL: the
	// side that waited longest detects it); the store runs it again once the other transaction commits.
	// PostgreSQL only for now: on MariaDB 10.11 the store's DELETE, stuck behind the lock on e2, is not listed in
	// INNODB_TRX, and detected through the process list it is not yet holding e1, so the cycle never forms and the
	// case would pass without the retry. The retry itself (errors 1213 and 1205) is the same code on both servers.
	(dialect === "postgres" ? test : test.todo)("a single-statement write rolled back as a deadlock victim is retried, not reported as an outage", async () => {
		// A store with a pool of its own: sharing the test's pool, its statements could queue behind the
		// connection the transaction below holds, and the DELETE would never reach the server to wait there.
		const store = make(ctx().url, ctx().main.table);
		const [e1, e2] = [storeId("dl-1"), storeId("dl-2")].sort() as [string, string];
		// Expired rows in id, deadline and insertion order alike, so every plan locks e1 before e2.
		await store.create({ ...makeRow("dl-1"), id: e1, idleExpiresAt: 10, absoluteExpiresAt: 20 });
		await store.create({ ...makeRow("dl-2"), id: e2, idleExpiresAt: 11, absoluteExpiresAt: 21 });
		const weights = Array.from({ length: 20 }, (_, i) => makeRow(`weight-${i}`));
		for (const row of weights) await store.create(row);
		const waiting = dialect === "mysql"
			? `SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT' AND trx_query LIKE ?`
			: `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`;
		let pruned: Promise<unknown> | undefined;
		await ctx().sql.begin(async (tx) => {
			// Heavier than the store's one-row statement: InnoDB rolls back the transaction with the least work.
			const at = (n: number): string => (dialect === "postgres" ? `$${n}` : "?");
			// One row per statement, by primary key: a scan would lock every row it passes on MySQL, e1 included.
			for (const row of weights) await tx.unsafe(`UPDATE ${t()} SET ${q("version")} = 2 WHERE ${q("id")} = ${at(1)}`, [row.id]);
			await tx.unsafe(`UPDATE ${t()} SET ${q("version")} = 2 WHERE ${q("id")} = ${at(1)}`, [e2]);
			// Settled at once, so a failure is reported by the expectation below, not as an unhandled rejection.
			let settled: unknown = undefined;
			pruned = Promise.resolve(store.prune(1000)).then((n) => (settled = n), (e: unknown) => (settled = e));
			// Waits for a state, not for a time: until the store's DELETE is queued behind e2.
			for (let polls = 0; ; polls++) {
				const [row] = await raw(waiting, [`%DELETE FROM ${t()}%`]);
				if (Number(row?.["n"]) >= 1) break;
				if (settled !== undefined || polls > 4000) throw new Error(`the store's DELETE never waited for the lock on e2 (prune: ${String(settled)})`);
				await Bun.sleep(5);
			}
			// Closes the cycle; succeeds only because the server rolled back the store's statement, which held e1.
			await tx.unsafe(`UPDATE ${t()} SET ${q("version")} = 2 WHERE ${q("id")} = ${at(1)}`, [e1]);
		});
		expect(await pruned).toBe(2);
		expect(await store.get(e1)).toBeNull();
		expect(await store.get(e2)).toBeNull();
		expect(await count()).toBe(20);
		await store.close();
	}, 30_000);

	test("a store opened from a URL closes its client; one given a client leaves it open", async () => {
		const owned = make(ctx().url, ctx().main.table);
		await owned.create(makeRow(1));
		expect((await owned.get(storeId(1)))?.id).toBe(storeId(1));
		await owned.close();
		await expect(owned.get(storeId(1))).rejects.toThrow();
		const borrowed = open();
		await borrowed.close();
		expect((await borrowed.get(storeId(1)))?.id).toBe(storeId(1));
	});

	test("the constructor refuses another scheme's URL and table names the schema would not produce", () => {
		// Never connected to: the constructor refuses the scheme first.
		const other = dialect === "postgres" ? "mysql://root@127.0.0.1:3306/never_opened" : "postgres://postgres@127.0.0.1:5432/never_opened";
		expect(() => make(other, ctx().main.table)).toThrow(ConfigError);
		expect(() => make(ctx().sql, { name: 'sessions"; DROP TABLE x; --', columns: [] })).toThrow(SchemaError);
		expect(() => make(ctx().sql, { name: "sessions", columns: [{ name: "Bad-Name", field: "x", type: "text" }] })).toThrow(SchemaError);
		expect(() => make(ctx().sql, { name: "sessions", columns: [{ name: "version", field: "x", type: "integer" }] })).toThrow(SchemaError);
	});

	test("list() and revoke() refuse a column that is not promoted", async () => {
		const store = open();
		await expect(store.list("data", "x")).rejects.toThrow(TypeError);
		await expect(store.revoke("nope", "x")).rejects.toThrow(TypeError);
	});

	// Issue 11 §4: on PostgreSQL a userId with NUL gave 503 + store_unavailable, an outage anyone could fake.
	test("a value the server refuses as invalid data is InvalidDataError (a 400), never an outage", async () => {
		const store = open();
		const refused = async (promise: Promise<unknown>): Promise<void> => {
			const error = await promise.then(() => null, (e: unknown) => e);
			expect(error).toBeInstanceOf(InvalidDataError);
			// The message names the server's code, never the refused bytes.
			expect((error as InvalidDataError).message).toMatch(new RegExp(`^store: the ${dialect} server refused a value as invalid data \\((22|1406)`));
		};
		// Longer than the column (64 characters): SQLSTATE 22001 / MySQL 1406.
		await refused(store.create(makeRow(1, { columns: { user_id: "x".repeat(300) } })));
		if (dialect === "postgres") {
			await refused(store.create(makeRow(2, { columns: { user_id: "a\u0000b" } })));
			await refused(store.list("user_id", "a\u0000b"));
			await refused(store.revoke("user_id", "a\u0000b"));
		}
		expect(await count()).toBe(0);
		// Through the manager and its store-call wrapper, with a store that writes a value the server refuses:
		// the error reaches the caller as is, and no store_unavailable event claims an outage.
		const bad = dialect === "postgres" ? "a\u0000b" : "x".repeat(300);
		const lying = Object.assign(Object.create(store) as SQLServerStore, {
			create: (row: StoredSession) => store.create({ ...row, columns: { ...row.columns, user_id: bad } }),
		});
		const h = makeSessions({ store: lying });
		const session = await h.sessions.load(new CookieJar().request());
		session.userId = "ann";
		const error = await h.sessions.commit(session, new Response(null)).then(() => null, (e: unknown) => e);
		expect(error).toBeInstanceOf(InvalidDataError);
		expect(h.eventsOf("store_unavailable")).toEqual([]);
	});
}
