import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase } from "../../generator/database.ts";
import { model } from "../../examples/demo/src/generated/session.ts";
import { SQLiteStore } from "../../src/stores/sqlite.ts";
import { CookieJar, MINUTE, makeSessions, visit } from "../helpers/harness.ts";
import { shortSessionId } from "../../src/token.ts";
import { rotateUnderLoad } from "./rotation-under-load.ts";
import { makeRow, storeId, testStore } from "./conformance.ts";
import { SHARED_ROWS, type SharedRows } from "../../src/shared-rows.ts";

const MIGRATIONS = "examples/demo/migrations";
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A database file in a fresh temp dir, with the demo's generated migrations applied. */
async function migratedFile(): Promise<string> {
	const dir = mkdtempSync(join(tmpdir(), "sess-"));
	dirs.push(dir);
	const file = join(dir, "sessions.db");
	await migrateDatabase(file, MIGRATIONS);
	return file;
}

/** A migrated database and a store over it. */
async function openStore(): Promise<{ store: SQLiteStore; db: Database; file: string; close(): void }> {
	const file = await migratedFile();
	const db = new Database(file);
	return { store: new SQLiteStore(db, { table: model.table }), db, file, close: () => db.close() };
}

testStore("SQLiteStore", async () => {
	const { store, close } = await openStore();
	return { store, cleanup: async () => close() };
});

describe("SQLiteStore", () => {
	test("sess's own row read (shared rows) gives what get() gives, field for field, with the device record and promoted columns read on demand", async () => {
		const { store, close } = await openStore();
		try {
			const device = { handle: "h".repeat(22), description: "Firefox 133 on Linux", label: "work laptop", network: "192.0.2.0/24" };
			const written = makeRow(1, { successorId: null, version: 3, createdAt: 1_000, rotatedAt: 2_000, lastSeenAt: 3_000, idleExpiresAt: 4_000, absoluteExpiresAt: 5_000, columns: { user_id: "ann" }, device });
			store.create(written);
			store.create(makeRow(2, { successorId: storeId(1), version: 1, columns: { user_id: null } }));
			const shared = (store as unknown as { [SHARED_ROWS]: SharedRows })[SHARED_ROWS];
			for (const n of [1, 2]) {
				const read = shared.get(storeId(n)) as NonNullable<ReturnType<SQLiteStore["get"]>>;
				const got = store.get(storeId(n)) as NonNullable<ReturnType<SQLiteStore["get"]>>;
				expect(Object.keys(read)).toEqual(["id", "successorId", "version", "data", "createdAt", "rotatedAt", "lastSeenAt", "idleExpiresAt", "absoluteExpiresAt", "columns", "device"]);
				for (const key of ["id", "successorId", "version", "data", "createdAt", "rotatedAt", "lastSeenAt", "idleExpiresAt", "absoluteExpiresAt"] as const) expect(read[key]).toEqual(got[key]);
				expect(read.columns["user_id"]).toBe(got.columns["user_id"] as string | null);
				expect({ ...read, columns: null, device: null }).toEqual({ ...got, columns: null, device: null });
			}
			const first = shared.get(storeId(1)) as NonNullable<ReturnType<SQLiteStore["get"]>>;
			expect(first.data).toBeInstanceOf(Uint8Array);
			expect({ handle: first.device?.handle, description: first.device?.description, label: first.device?.label, network: first.device?.network }).toEqual(device);
			expect(shared.get(storeId(3))).toBeNull();
		} finally {
			close();
		}
	});

	test("a session committed through the manager is a row with the hashed id, a BLOB and the promoted user_id", async () => {
		const { store, db, close } = await openStore();
		try {
			const h = makeSessions({ store });
			const jar = new CookieJar();
			await visit(h, jar, (s) => {
				s.userId = "u1";
				s.cart = [1, 2];
			});
			const token = jar.token() ?? "";
			expect(token).toHaveLength(43);
			const rows = db.query(`SELECT "id", typeof("data") AS data_type, "data", "user_id", "successor_id", "version" FROM "sessions"`).all() as Array<Record<string, unknown>>;
			expect(rows).toHaveLength(1);
			const [row] = rows;
			expect(row?.["id"]).toBe(jar.rowId() as string);
			expect(row?.["id"]).toMatch(/^[0-9a-f]{64}$/);
			expect(row?.["data_type"]).toBe("blob");
			expect(row?.["user_id"]).toBe("u1");
			expect(row?.["successor_id"]).toBeNull();
			expect(row?.["version"]).toBe(1);
			// The token appears nowhere in the database, in any column.
			const dump = JSON.stringify(db.query(`SELECT * FROM "sessions"`).all(), (_, v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v));
			expect(dump).not.toContain(token);
			expect((await visit(h, jar)).session.cart).toEqual([1, 2]);
		} finally {
			close();
		}
	});

	test("periodic rotation leaves an empty alias row pointing at the new id; revoke() deletes both", async () => {
		const { store, db, close } = await openStore();
		try {
			const h = makeSessions({ store });
			const jar = new CookieJar();
			await visit(h, jar, (s) => (s.userId = "u1"));
			const old = jar.clone();
			h.clock.advance(15 * MINUTE);
			expect((await visit(h, jar)).setCookies).toHaveLength(1);
			const rows = db.query(`SELECT "id", "successor_id", length("data") AS bytes, "user_id" FROM "sessions" ORDER BY "successor_id" IS NULL`).all();
			expect(rows).toEqual([
				{ id: old.rowId() as string, successor_id: jar.rowId() as string, bytes: 0, user_id: "u1" },
				{ id: jar.rowId() as string, successor_id: null, bytes: expect.any(Number), user_id: "u1" },
			]);
			expect((await visit(h, old)).session.userId).toBe("u1");
			expect(await h.sessions.revoke("userId", "u1")).toBe(1);
			expect(db.query(`SELECT count(*) AS n FROM "sessions"`).get()).toEqual({ n: 0 });
			expect((await visit(h, old)).session.isNew).toBe(true);
		} finally {
			close();
		}
	});

	test("50 parallel requests over SQLite when rotation is due issue one new ID", async () => {
		const { store, db, close } = await openStore();
		try {
			await rotateUnderLoad(store);
			expect(db.query(`SELECT count(*) AS n FROM "sessions"`).get()).toEqual({ n: 2 });
		} finally {
			close();
		}
	});

	test("a session stored before device records gets a handle when it rotates, and keeps it after", async () => {
		const { store, db, close } = await openStore();
		try {
			const h = makeSessions({ store });
			const jar = new CookieJar();
			await visit(h, jar, (s) => (s.userId = "u1"));
			db.run(`UPDATE "sessions" SET "handle" = NULL, "device" = NULL, "device_label" = NULL, "network" = NULL`);
			expect((await h.sessions.list("userId", "u1")).map((e) => e.handle)).toEqual([`id-${shortSessionId(jar.rowId() as string)}`]);
			h.clock.advance(15 * MINUTE);
			expect((await visit(h, jar)).setCookies).toHaveLength(1);
			const [rotated] = await h.sessions.list("userId", "u1");
			expect(rotated?.handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
			h.clock.advance(15 * MINUTE);
			expect((await visit(h, jar)).setCookies).toHaveLength(1);
			expect((await h.sessions.list("userId", "u1")).map((e) => e.handle)).toEqual([rotated?.handle as string]);
		} finally {
			close();
		}
	});

	test("a session deleted by another process after this request loaded it: a due rotation sends nothing and throws nothing", async () => {
		const { store, db, close } = await openStore();
		try {
			const h = makeSessions({ store });
			const jar = new CookieJar();
			await visit(h, jar, (s) => (s.userId = "u1"));
			h.clock.advance(15 * MINUTE);
			const session = await h.sessions.load(jar.request());
			expect(session.userId).toBe("u1");
			db.run(`DELETE FROM "sessions"`);
			expect(await h.sessions.commitCookie(session)).toBeNull();
			expect(db.query(`SELECT count(*) AS n FROM "sessions"`).get()).toEqual({ n: 0 });
		} finally {
			close();
		}
	});

	test("under a per-user limit, signing in a stored guest session evicts the user's older session; a later change of another field keeps the ID", async () => {
		const { store, close } = await openStore();
		try {
			const h = makeSessions({ store, maxSessionsPerUser: { field: "userId", max: 1 } });
			const laptop = new CookieJar();
			await visit(h, laptop, (s) => (s.userId = "u1"));
			const phone = new CookieJar();
			await visit(h, phone, (s) => (s.theme = "dark"));
			const guestId = phone.rowId();
			await visit(h, phone, (s) => (s.userId = "u1"));
			expect(phone.rowId()).not.toBe(guestId);
			expect(h.eventsOf("evicted")).toHaveLength(1);
			expect((await visit(h, laptop)).session.isNew).toBe(true);
			const signedIn = phone.rowId();
			expect((await visit(h, phone, (s) => (s.theme = "light"))).setCookies).toEqual([]);
			expect(phone.rowId()).toBe(signedIn);
			expect((await visit(h, phone)).session.theme).toBe("light");
		} finally {
			close();
		}
	});

	test("an anonymous session stores NULL in user_id", async () => {
		const { store, db, close } = await openStore();
		try {
			const h = makeSessions({ store });
			await visit(h, new CookieJar(), (s) => (s.theme = "dark"));
			expect(db.query(`SELECT "user_id" FROM "sessions"`).all()).toEqual([{ user_id: null }]);
		} finally {
			close();
		}
	});

	test("the store switches the database to WAL mode", async () => {
		const db = new Database(await migratedFile());
		try {
			db.run("PRAGMA journal_mode = DELETE");
			new SQLiteStore(db, { table: model.table });
			expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
			expect(db.query("PRAGMA busy_timeout").get()).toEqual({ timeout: 5000 });
		} finally {
			db.close();
		}
	});

	test("without the store, a database left in rollback mode stays there", async () => {
		const db = new Database(await migratedFile());
		try {
			db.run("PRAGMA journal_mode = DELETE");
			expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "delete" });
		} finally {
			db.close();
		}
	});

	test("two stores on the same file see each other's writes (another process)", async () => {
		const { store, file, close } = await openStore();
		const other = new Database(file);
		try {
			const second = new SQLiteStore(other, { table: model.table });
			store.create(makeRow(1));
			expect(second.get(storeId(1))?.version).toBe(1);
			expect(second.update(makeRow(1, { version: 2 }), 1)).toBe(true);
			expect(store.update(makeRow(1, { version: 2 }), 1)).toBe(false);
			expect(second.rotate(storeId(1), 2, makeRow(2, { version: 3 }), null)).toBe(true);
			expect(store.rotate(storeId(1), 2, makeRow(3, { version: 3 }), null)).toBe(false);
		} finally {
			other.close();
			close();
		}
	});

	test("list() and revoke() refuse a column the table does not have", async () => {
		const { store, close } = await openStore();
		try {
			expect(() => store.list("theme", "dark")).toThrow(TypeError);
			expect(() => store.revoke("id\" OR 1=1 --", "x")).toThrow(TypeError);
		} finally {
			close();
		}
	});
});
