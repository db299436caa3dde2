// Concurrent increments of ONE session, in process: 16 request loops each do load → counter + 1 → commit
// on the same cookie. With a synchronous store (memory, SQLite) each request's load-to-commit runs without
// an await that yields to another request, so nothing interleaves. Behind a store that answers
// asynchronously (any network store), requests interleave: compare-and-set catches every conflict and
// merges different fields, but the same field is last-writer-wins, so read-modify-write increments are lost.
// Run alone: bun bench/concurrent.ts (prints JSON).
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WriteConflictError, type SessionEvent, type Store } from "sess";
import { MemoryStore } from "sess/stores/memory";
import { SQLiteStore } from "sess/stores/sqlite";
import { migrateDatabase } from "../generator/database.ts";
import { cookiePair, createBenchSessions, FOREIGN_COOKIES, MIGRATIONS, model, newKey } from "./lib/schema.ts";

export interface ConcurrentResult {
	store: string;
	/** How the handler increments: plain read-modify-write, or `session.update("counter", n => n + 1)`. */
	increment: "assign" | "update";
	workers: number;
	requests: number;
	/** Commits that gave up with WriteConflictError (the adapter answers 503) after 100 compare-and-set attempts. */
	failed: number;
	counter: number;
	lost: number;
	/** Commits that found the row changed under them and merged (`concurrent_write` events). */
	merges: number;
	/** Of those, how many overwrote a concurrent change to `counter` (last writer wins). */
	counterOverwritten: number;
}

/** Every store call answers on a later macrotask, as a store across a network would. */
function asyncHop(inner: Store): Store {
	const hop = <T>(fn: () => T | Promise<T>): Promise<T> => new Promise((resolve, reject) => setImmediate(() => Promise.resolve().then(fn).then(resolve, reject)));
	return new Proxy(inner, {
		get(target, prop, receiver) {
			const v = Reflect.get(target, prop, receiver) as unknown;
			if (typeof v !== "function") return v;
			return (...args: unknown[]) => hop(() => (v as (...a: unknown[]) => unknown).apply(target, args));
		},
	}) as Store;
}

async function run(label: string, store: Store, increment: "assign" | "update", workers: number, perWorker: number): Promise<ConcurrentResult> {
	const events: SessionEvent[] = [];
	const sessions = createBenchSessions({ store, keys: [newKey()], onEvent: (e) => void events.push(e) });
	const first = await sessions.load({ headers: new Headers() });
	first.counter = 1;
	const set = await sessions.commitCookie(first);
	if (set === null) throw new Error("no cookie");
	const cookie = `${FOREIGN_COOKIES}; ${cookiePair(set)}`;
	let failed = 0;
	await Promise.all(
		Array.from({ length: workers }, async () => {
			for (let i = 0; i < perWorker; i++) {
				try {
					const s = await sessions.load({ headers: new Headers({ cookie }) });
					if (increment === "assign") s.counter = s.counter + 1;
					else s.update("counter", (n) => n + 1);
					await sessions.commitCookie(s);
				} catch (e) {
					// WriteConflictError: the adapter answers 503 and the client retries.
					if (!(e instanceof WriteConflictError)) throw e;
					failed++;
				}
			}
		}),
	);
	const counter = (await sessions.load({ headers: new Headers({ cookie }) })).counter;
	const requests = 1 + workers * perWorker - failed;
	const merges = events.filter((e) => e.type === "concurrent_write");
	return {
		store: label, increment, workers, requests, failed, counter, lost: requests - counter, merges: merges.length,
		counterOverwritten: merges.filter((e) => e.type === "concurrent_write" && e.overwritten.includes("counter")).length,
	};
}

export async function measureConcurrent(perWorker = 500, workers = 16): Promise<ConcurrentResult[]> {
	const dir = mkdtempSync(join(tmpdir(), "sess-bench-conc-"));
	try {
		const path = join(dir, "sess.db");
		await migrateDatabase(path, MIGRATIONS);
		const db = new Database(path);
		const out: ConcurrentResult[] = [];
		for (const increment of ["assign", "update"] as const) {
			out.push(await run("MemoryStore (synchronous)", new MemoryStore(), increment, workers, perWorker));
			db.run("DELETE FROM sessions");
			out.push(await run("SQLiteStore (synchronous)", new SQLiteStore(db, { table: model.table }), increment, workers, perWorker));
			out.push(await run("MemoryStore behind an async hop (as a network store answers)", asyncHop(new MemoryStore()), increment, workers, perWorker));
		}
		db.close();
		return out;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(await measureConcurrent())}\n`);
