import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase } from "../../generator/database.ts";

const root = join(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "sess-prune-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	const proc = Bun.spawn([process.execPath, join(root, "generator", "cli.ts"), ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
	const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
	return { code, stdout, stderr };
}

describe("sess prune (CLI)", () => {
	test("deletes every expired session across many batches and keeps the live ones", async () => {
		const file = join(dir, "prune.db");
		await migrateDatabase(file, join(root, "examples", "demo", "migrations"));
		const db = new Database(file);
		const insert = db.prepare(
			"INSERT INTO sessions (id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at, user_id) VALUES (?, 1, x'01', 1, 1, 1, ?, ?, 'u')",
		);
		const now = Date.now();
		db.transaction(() => {
			for (let i = 0; i < 12_345; i++) insert.run(`expired-${i}`, now - 1000, now + 60_000);
			for (let i = 0; i < 7; i++) insert.run(`absolute-${i}`, now + 60_000, now - 1000);
			for (let i = 0; i < 50; i++) insert.run(`live-${i}`, now + 60_000, now + 120_000);
		})();
		db.close();

		const { code, stdout } = await sess(["prune", "--db", file, "--config", "examples/demo/sess.config.ts"]);
		expect(code).toBe(0);
		expect(stdout).toContain("pruned 12352 expired session(s)");
		const left = new Database(file, { readonly: true });
		expect(left.query("SELECT COUNT(*) AS n FROM sessions").get()).toEqual({ n: 50 });
		expect(left.query("SELECT COUNT(*) AS n FROM sessions WHERE id LIKE 'live-%'").get()).toEqual({ n: 50 });
		left.close();

		const again = await sess(["prune", "--db", file, "--config", "examples/demo/sess.config.ts"]);
		expect(again.stdout).toContain("pruned 0 expired session(s)");
	});

	test("--limit stops after that many deletions", async () => {
		const file = join(dir, "limit.db");
		await migrateDatabase(file, join(root, "examples", "demo", "migrations"));
		const db = new Database(file);
		const insert = db.prepare(
			"INSERT INTO sessions (id, version, data, created_at, rotated_at, last_seen_at, idle_expires_at, absolute_expires_at) VALUES (?, 1, x'01', 1, 1, 1, 1, 1)",
		);
		// One transaction: 1200 separate commits took over the 5 s test timeout on a loaded machine.
		db.transaction(() => {
			for (let i = 0; i < 1200; i++) insert.run(`e-${i}`);
		})();
		db.close();
		const { stdout } = await sess(["prune", "--db", file, "--limit", "700", "--config", "examples/demo/sess.config.ts"]);
		expect(stdout).toContain("pruned 700 expired session(s)");
	});

	test("without --db (or SESS_DB) it is a usage error", async () => {
		const { code, stderr } = await sess(["prune"]);
		expect(code).toBe(2);
		expect(stderr).toContain("--db");
	});
});
