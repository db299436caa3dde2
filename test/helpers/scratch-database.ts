// Databases of our own for the integration suites: each suite creates a uniquely named database on the
// server per run and drops it afterwards, so a developer's own databases (and other runs on the same
// server, at the same time) are never touched.
import type { ServerDialect } from "../../src/stores/sql-dialect.ts";

/** A database this run created, its URL, and how to remove it. */
export interface ScratchDatabase {
	name: string;
	url: string;
	/** Drops the database (closing nothing: close your clients first). */
	drop(): Promise<void>;
}

/** Random lowercase hex, `bytes` long. */
function hex(bytes: number): string {
	return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `adminUrl` pointed at database `name` (same server, user and options). */
export function databaseUrl(adminUrl: string, name: string): string {
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	return url.toString();
}

/** A fresh name `sess_test_<tag>_<random>`: within both servers' 63-character limit, and never a name a person would choose. */
export function scratchName(tag: string): string {
	return `sess_test_${tag.replace(/[^a-z0-9]/gi, "").toLowerCase().slice(0, 16)}_${hex(6)}`;
}

/** Creates a uniquely named database on the server `adminUrl` reaches; `tag` says which suite made it. */
export async function createScratchDatabase(dialect: ServerDialect, adminUrl: string, tag: string): Promise<ScratchDatabase> {
	const name = scratchName(tag);
	await onAdmin(adminUrl, async (sql) => {
		// PostgreSQL refuses CREATE DATABASE while someone else is connected to template1; that clears quickly.
		for (let attempt = 0; ; attempt++) {
			try {
				await sql.unsafe(`CREATE DATABASE ${name}`);
				return;
			} catch (error) {
				if (attempt >= 5 || !/template1|being accessed/i.test(String(error))) throw error;
				await Bun.sleep(200 * (attempt + 1));
			}
		}
	});
	return {
		name,
		url: databaseUrl(adminUrl, name),
		drop: () =>
			onAdmin(adminUrl, async (sql) => {
				await sql.unsafe(dialect === "postgres" ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`);
			}),
	};
}

async function onAdmin(adminUrl: string, fn: (sql: InstanceType<typeof Bun.SQL>) => Promise<void>): Promise<void> {
	const sql = new Bun.SQL(adminUrl, { max: 1 });
	try {
		await fn(sql);
	} finally {
		await sql.close();
	}
}

/** A Redis key prefix no other run uses: `sess:test:<tag>:<random>:`. */
export function scratchPrefix(tag: string): string {
	return `sess:test:${tag}:${hex(8)}:`;
}

/** Deletes every key under `prefix` (SCAN + UNLINK, never FLUSHDB: the Redis database is shared). */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
	const client = new Bun.RedisClient(url);
	try {
		let cursor = "0";
		do {
			const [next, keys] = (await client.send("SCAN", [cursor, "MATCH", `${prefix}*`, "COUNT", "1000"])) as [string, string[]];
			if (keys.length > 0) await client.send("UNLINK", keys);
			cursor = next;
		} while (cursor !== "0");
	} finally {
		client.close();
	}
}
