import { existsSync } from "node:fs";
import type { TableModel } from "../../schema/model.ts";
import type { Store } from "../../src/store.ts";
import { explainDatabaseError } from "../database-failure.ts";
import { engineOf, sqlitePath } from "../../src/stores/location.ts";
import { readDatabaseFlag } from "./database-flag.ts";
import { fail, loadConfig, loadModel, out, str, usage, type Flags } from "./io.ts";

/** `sess prune --db …`: batches, with progress on a terminal. */
export async function runPrune(flags: Flags): Promise<void> {
	const db = readDatabaseFlag(flags, "prune", "sqlite path | postgres://… | mysql://… | redis://…");
	const limitFlag = str(flags, "limit");
	const limit = limitFlag === undefined ? Infinity : Number(limitFlag);
	if (!(limit > 0)) usage(`--limit must be a positive number, not "${limitFlag}". Pass a count such as --limit 10000, or leave it out to prune everything expired.`);
	const { root, config } = await loadConfig(flags);
	const model = await loadModel(root, config);
	// Opening a SQLite path that does not exist would create an empty file; there is nothing to prune there.
	if (engineOf(db) === "sqlite" && !existsSync(sqlitePath(db))) {
		fail(`${sqlitePath(db)} does not exist. Run \`sess migrate --db ${db}\` to create it, or check the path.`, "not_migrated");
	}
	const { store, close } = await openForPrune(db, model.table).catch((error: unknown) => {
		throw explainDatabaseError(db, error);
	});
	const tty = process.stdout.isTTY === true;
	let total = 0;
	try {
		// Chunks of 5,000 (each itself deleted in batches) so a terminal sees progress on big tables.
		for (;;) {
			const chunk = Math.min(5000, limit - total);
			const deleted = await store.prune(Date.now(), chunk);
			total += deleted;
			if (tty) process.stdout.write(`\rsess: pruned ${total} expired session(s)…`);
			if (deleted < chunk || total >= limit) break;
		}
	} catch (error) {
		throw explainDatabaseError(db, error);
	} finally {
		await close().catch(() => undefined);
	}
	if (tty) process.stdout.write("\n");
	out(`sess: pruned ${total} expired session(s).`);
}

/**
 * The store to prune. Redis gets a client that fails at once: a one-shot command should say the server
 * is down, not retry for the half-minute an app's client keeps reconnecting.
 */
async function openForPrune(db: string, table: TableModel): Promise<{ store: Store; close(): Promise<void> }> {
	if (engineOf(db) === "redis") {
		const { RedisStore } = await import("../../src/stores/redis.ts");
		const client = new Bun.RedisClient(db, { autoReconnect: false, maxRetries: 0, connectionTimeout: 5000 });
		return { store: new RedisStore(client, { table }), close: async () => client.close() };
	}
	const { openStore } = await import("../../src/stores/open.ts");
	return openStore(db, table);
}
