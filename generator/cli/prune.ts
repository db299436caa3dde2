import { fail, loadConfig, loadModel, out, str, type Flags } from "./io.ts";

/** `sess prune --db …`: batches, with progress on a terminal. */
export async function runPrune(flags: Flags): Promise<void> {
	const db = str(flags, "db") ?? process.env.SESS_DB;
	if (db === undefined || db === "") fail("prune needs --db <sqlite path | postgres://… | mysql://… | redis://…> (or SESS_DB).", 2);
	const limitFlag = str(flags, "limit");
	const limit = limitFlag === undefined ? Infinity : Number(limitFlag);
	if (!(limit > 0)) fail("--limit must be a positive number.", 2);
	const { root, config } = await loadConfig(flags);
	const model = await loadModel(root, config);
	const { openStore } = await import("../../src/stores/open.ts");
	const { store, close } = openStore(db, model.table);
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
	} finally {
		await close();
	}
	if (tty) process.stdout.write("\n");
	out(`sess: pruned ${total} expired session(s).`);
}
