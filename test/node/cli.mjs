// The built `sess` command on Node (run `npm run build` first). Silent on success; a failed assertion exits non-zero.
// - Older than package.json `engines.node` (simulated by a preload that reports 20.5.1; a real 20.5.1 fails the
//   same way): one line `[needs_newer_node]` naming the version engines names, exit 1, never a stack trace.
// - `migrate` and `prune` without Bun on the PATH: one line `[needs_bun]` saying what to run instead, exit 1.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(root, "dist", "generator", "cli.js");
const engines = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines.node;
const work = mkdtempSync(join(tmpdir(), "sess-node-cli-"));
// A PATH holding node and nothing else: no bun to hand over to.
const bin = join(work, "bin");
mkdirSync(bin);
symlinkSync(process.execPath, join(bin, "node"));

function sess(args, nodeArgs = []) {
	const run = spawnSync(process.execPath, [...nodeArgs, cli, ...args], { cwd: work, encoding: "utf8", env: { PATH: bin, HOME: work } });
	return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

try {
	assert.match(engines, /^>=\d+\.\d+\.\d+$/, `engines.node should be ">=x.y.z", is "${engines}"`);
	const oldNode = join(work, "old-node.mjs");
	writeFileSync(oldNode, 'Object.defineProperty(process, "versions", { value: { ...process.versions, node: "20.5.1" } });\n');
	for (const command of ["keygen", "generate", "init"]) {
		const old = sess([command], ["--import", oldNode]);
		assert.equal(old.code, 1, `${command} on Node 20.5.1: exit code`);
		assert.equal(old.stderr, `sess: the sess command needs Node ${engines.slice(2)} or newer (module hooks, to load your TypeScript schema), and this is Node 20.5.1. Upgrade Node, or run \`bunx sess …\` with Bun. [needs_newer_node]\n`);
	}
	assert.equal(sess(["keygen"]).code, 0, "keygen on this Node");

	const migrate = sess(["migrate", "--db", "app.db"]);
	assert.equal(migrate.code, 1);
	assert.equal(migrate.stderr, "sess: migrate needs Bun (it talks to databases through Bun's built-in clients), and Bun is not on the PATH. Install Bun (https://bun.sh) and run `bunx sess migrate …`, or apply the same migrations with drizzle-kit: `SESS_DB=<db> npx drizzle-kit migrate --config drizzle.sess.config.ts` (`sess init` writes that config). [needs_bun]\n");
	const prune = sess(["prune", "--db", "postgres://app@127.0.0.1/app"]);
	assert.equal(prune.code, 1);
	assert.equal(prune.stderr, "sess: prune needs Bun (it talks to databases through Bun's built-in clients), and Bun is not on the PATH. Install Bun (https://bun.sh) and run `bunx sess prune …`. [needs_bun]\n");
} finally {
	rmSync(work, { recursive: true, force: true });
}
