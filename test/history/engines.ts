// The stores a history run can use, each as a database (or Redis logical database) made for the run
// and removed after it. Nothing here touches a database the run did not create.
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REDIS_URL, redisReachable, serverReachable } from "../helpers/servers.ts";

/** A store a run creates for itself: `SESS_DB` for the demo, and how to remove it. */
export interface RunStore {
	db: string;
	drop(): Promise<void>;
}

export interface Engine {
	name: string;
	reachable(): Promise<boolean>;
	create(): Promise<RunStore>;
}

const hex = (): string => Array.from(crypto.getRandomValues(new Uint8Array(5)), (b) => b.toString(16).padStart(2, "0")).join("");

async function onAdmin(url: string, fn: (sql: SQL) => Promise<unknown>): Promise<void> {
	const sql = new SQL(url, { max: 1 });
	try {
		await fn(sql);
	} finally {
		await sql.close();
	}
}

/** A server database `sess_test_history_<hex>`, created and dropped through `adminUrl`. */
function serverEngine(name: "postgres" | "mysql", adminUrl: string, port: number): Engine {
	return {
		name,
		reachable: () => serverReachable(port),
		async create() {
			const database = `sess_test_history_${hex()}`;
			await onAdmin(adminUrl, (sql) => sql.unsafe(`CREATE DATABASE ${database}`));
			const url = new URL(adminUrl);
			url.pathname = `/${database}`;
			return {
				db: url.toString(),
				drop: () => onAdmin(adminUrl, (sql) => sql.unsafe(name === "postgres" ? `DROP DATABASE IF EXISTS ${database} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${database}`)),
			};
		},
	};
}

/**
 * The demo's Redis store has a fixed key prefix, so a run takes a whole logical database: the first of
 * 10–15 that is empty, claimed with a marker key (SET NX) so two runs never share one; flushed afterwards.
 */
const redis: Engine = {
	name: "redis",
	reachable: () => redisReachable(),
	async create() {
		for (let index = 10; index <= 15; index++) {
			const url = `${REDIS_URL.replace(/\/\d*$/, "")}/${index}`;
			const client = new Bun.RedisClient(url);
			try {
				const size = (await client.send("DBSIZE", [])) as number;
				if (size !== 0) continue;
				if ((await client.send("SET", ["sess:test:history:claim", "1", "NX"])) !== "OK") continue;
			} finally {
				client.close();
			}
			return {
				db: url,
				async drop() {
					const c = new Bun.RedisClient(url);
					await c.send("FLUSHDB", []);
					c.close();
				},
			};
		}
		throw new Error("no empty Redis logical database in 10–15 for the history run");
	},
};

const sqlite: Engine = {
	name: "sqlite",
	reachable: async () => true,
	async create() {
		const dir = mkdtempSync(join(tmpdir(), "sess-history-"));
		return { db: join(dir, "history.db"), drop: async () => rmSync(dir, { recursive: true, force: true }) };
	},
};

export const ENGINES: Engine[] = [
	sqlite,
	serverEngine("postgres", process.env.SESS_TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres", 5432),
	serverEngine("mysql", process.env.SESS_TEST_MYSQL_URL || "mysql://root@127.0.0.1:3306/mysql", 3306),
	redis,
];
