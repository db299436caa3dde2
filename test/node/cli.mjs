// The built `sess` command on Node with no Bun on the PATH (run `npm run build` first). Silent on success; a
// failed assertion exits non-zero.
// - Older than package.json `engines.node` (simulated by a preload that reports 20.5.1; a real 20.5.1 fails the
//   same way): one line `[needs_newer_node]` naming the version engines names, exit 1, never a stack trace.
// - `migrate` and `prune` on plain Node, in an app folder made as a user makes one (init, generate): SQLite through
//   node:sqlite where this Node has it, else one line saying what to install; PostgreSQL and MySQL through the
//   app's `pg` and `mysql2` (rows in a scratch database: migrated, then expired ones pruned); one line naming the
//   package when the app lacks it, or naming the server when it is down or refuses the database.
// The PostgreSQL and MySQL parts need the local servers; without them they are skipped, except under CI=true.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(root, "dist", "generator", "cli.js");
const engines = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines.node;
const work = mkdtempSync(join(tmpdir(), "sess-node-cli-"));
const require = createRequire(join(root, "package.json"));
const CI = process.env.CI === "true";
// A PATH holding node and nothing else: no bun to hand over to.
const bin = join(work, "bin");
mkdirSync(bin);
symlinkSync(process.execPath, join(bin, "node"));

function sess(args, { nodeArgs = [], cwd = work } = {}) {
	const run = spawnSync(process.execPath, [...nodeArgs, cli, ...args], { cwd, encoding: "utf8", env: { PATH: bin, HOME: work } });
	return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** An app folder whose node_modules links this checkout as `sess`, its zod, and the named drivers. */
function app(name, drivers) {
	const dir = join(work, name);
	mkdirSync(join(dir, "node_modules"), { recursive: true });
	writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
	symlinkSync(root, join(dir, "node_modules", "sess"));
	for (const pkg of ["zod", ...drivers]) symlinkSync(join(root, "node_modules", pkg), join(dir, "node_modules", pkg));
	const ok = (args) => {
		const ran = sess(args, { cwd: dir });
		assert.equal(ran.code, 0, `sess ${args.join(" ")}: ${ran.stderr}`);
		return ran;
	};
	ok(["init"]);
	writeFileSync(join(dir, "sess.config.ts"), readFileSync(join(dir, "sess.config.ts"), "utf8").replace('dialects: ["sqlite"]', 'dialects: ["sqlite", "postgres", "mysql"]'));
	ok(["generate", "--js"]);
	return { dir, run: (args) => sess(args, { cwd: dir }), ok };
}

async function closedPort() {
	const server = createServer();
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address();
	await new Promise((resolve) => server.close(resolve));
	return port;
}

/** Two expired sessions and a live one, in the columns every generated table has. */
function sessionRows(now) {
	const row = (id, idle, absolute) => [id, null, 1, now - 1000, now - 1000, now - 1000, idle, absolute];
	return [row("expired-idle", now - 1, now + 60_000), row("expired-absolute", now + 60_000, now - 1), row("live", now + 60_000, now + 60_000)];
}
const COLUMNS = ["id", "successor_id", "version", "created_at", "rotated_at", "last_seen_at", "idle_expires_at", "absolute_expires_at"];

/** Creates a scratch database with `admin`, runs `body` with its URL, drops it; skipped (outside CI) when the server is down. */
async function withScratch(engine, body) {
	const name = `sess_test_nodecli_${randomBytes(4).toString("hex")}`;
	if (engine === "postgres") {
		const base = process.env.SESS_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
		const { Client } = require("pg");
		const admin = new Client({ connectionString: base });
		try {
			await admin.connect();
		} catch (error) {
			if (CI) throw error;
			console.log(`# PostgreSQL not reachable at ${base}: skipped`);
			return;
		}
		await admin.query(`CREATE DATABASE ${name}`);
		const url = new URL(base);
		url.pathname = `/${name}`;
		try {
			const client = new Client({ connectionString: url.href });
			await client.connect();
			try {
				await body(url.href, (text, params) => client.query(text.replace(/\?/g, ((n) => () => `$${++n}`)(0)), params).then((r) => r.rows));
			} finally {
				await client.end();
			}
		} finally {
			await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
			await admin.end();
		}
		return;
	}
	const base = process.env.SESS_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/mysql";
	const mysql = require("mysql2/promise");
	let admin;
	try {
		admin = await mysql.createConnection(base);
	} catch (error) {
		if (CI) throw error;
		console.log(`# MySQL not reachable at ${base}: skipped`);
		return;
	}
	await admin.query(`CREATE DATABASE ${name}`);
	const url = new URL(base);
	url.pathname = `/${name}`;
	try {
		const client = await mysql.createConnection(url.href);
		try {
			await body(url.href, async (text, params) => (await client.query(text.replaceAll('"', "`"), params))[0]);
		} finally {
			await client.end();
		}
	} finally {
		await admin.query(`DROP DATABASE IF EXISTS ${name}`);
		await admin.end();
	}
}

function nodeHasSQLite() {
	const saved = process.emitWarning;
	process.emitWarning = () => undefined;
	try {
		return typeof process.getBuiltinModule === "function" && process.getBuiltinModule("node:sqlite")?.DatabaseSync !== undefined;
	} catch {
		return false;
	} finally {
		process.emitWarning = saved;
	}
}

try {
	assert.match(engines, /^>=\d+\.\d+\.\d+$/, `engines.node should be ">=x.y.z", is "${engines}"`);
	const oldNode = join(work, "old-node.mjs");
	writeFileSync(oldNode, 'Object.defineProperty(process, "versions", { value: { ...process.versions, node: "20.5.1" } });\n');
	for (const command of ["keygen", "generate", "init"]) {
		const old = sess([command], { nodeArgs: ["--import", oldNode] });
		assert.equal(old.code, 1, `${command} on Node 20.5.1: exit code`);
		assert.equal(old.stderr, `sess: the sess command needs Node ${engines.slice(2)} or newer (module hooks, to load your TypeScript schema), and this is Node 20.5.1. Upgrade Node, or run \`bunx sess …\` with Bun. [needs_newer_node]\n`);
	}
	assert.equal(sess(["keygen"]).code, 0, "keygen on this Node");

	const withDrivers = app("with-drivers", ["pg", "mysql2"]);

	// SQLite: node:sqlite where Node has it unflagged; otherwise one line naming what to install.
	const sqlite = withDrivers.run(["migrate", "--db", "app.db"]);
	if (nodeHasSQLite()) {
		assert.equal(sqlite.code, 0, sqlite.stderr);
		assert.equal(sqlite.stdout, "sess: applied 1 sqlite migration(s):\n  0000_init\n");
		assert.equal(sqlite.stderr, "", "no ExperimentalWarning reaches the user");
		assert.equal(withDrivers.ok(["prune", "--db", "app.db"]).stdout, "sess: pruned 0 expired session(s).\n");
	} else {
		assert.equal(sqlite.code, 1);
		assert.equal(
			sqlite.stderr,
			`sess: migrate on Node ${process.versions.node} needs a SQLite driver: node:sqlite comes with Node 22.13 and later, and better-sqlite3 is not installed in this folder. Run \`npm install better-sqlite3${Number(process.versions.node.split(".")[0]) < 22 ? "@12" : ""}\` here (or upgrade Node, or run \`bunx sess migrate …\` with Bun). [needs_driver]\n`,
		);
	}

	for (const engine of ["postgres", "mysql"]) {
		await withScratch(engine, async (url, query) => {
			assert.equal(withDrivers.ok(["migrate", "--db", url]).stdout, `sess: applied 1 ${engine} migration(s):\n  0000_init\n`);
			assert.equal(withDrivers.ok(["migrate", "--db", url]).stdout, `sess: ${engine} database is up to date.\n`);
			// drizzle-kit reads the same record: one row per migration in sess's own table.
			const recorded = await query(engine === "postgres" ? 'SELECT count(*)::int AS n FROM "drizzle"."__sess_migrations"' : 'SELECT count(*) AS n FROM "__sess_migrations"', []);
			assert.equal(Number(recorded[0].n), 1);
			const now = Date.now();
			for (const row of sessionRows(now)) {
				await query(`INSERT INTO "sessions" (${COLUMNS.map((c) => `"${c}"`).join(", ")}, "data") VALUES (${COLUMNS.map(() => "?").join(", ")}, ?)`, [...row, Buffer.alloc(0)]);
			}
			assert.equal(withDrivers.ok(["prune", "--db", url]).stdout, "sess: pruned 2 expired session(s).\n");
			assert.deepEqual((await query('SELECT "id" FROM "sessions"', [])).map((r) => r.id), ["live"]);
			// A database that is not there: the server's words, and what to check.
			const missing = new URL(url);
			missing.pathname = "/sess_test_nodecli_absent";
			const absent = withDrivers.run(["migrate", "--db", missing.href]);
			assert.equal(absent.code, 1);
			const port = missing.port || (engine === "postgres" ? "5432" : "3306");
			const said = engine === "postgres" ? 'database "sess_test_nodecli_absent" does not exist' : "Unknown database 'sess_test_nodecli_absent'";
			assert.equal(absent.stderr, `sess: cannot connect to ${engine === "postgres" ? "PostgreSQL" : "MySQL"} at ${missing.hostname}:${port}: ${said}. Check the user, password and database name in --db (or SESS_DB); create the database if it is new. [store_unavailable]\n`);
			// A database without the session table: prune says to migrate it.
			const unmigrated = withDrivers.run(["prune", "--db", new URL(engine === "postgres" ? "/postgres" : "/mysql", url).href]);
			assert.equal(unmigrated.code, 1);
			assert.match(unmigrated.stderr, /^sess: the session table "sessions" does not exist in the (PostgreSQL|MySQL) database "(postgres|mysql)"\. Run `sess migrate --db [^`]+` first\. \[not_migrated\]\n$/);
		});
	}

	// A server that is down: named by host:port, one line.
	const port = await closedPort();
	for (const [scheme, name] of [["postgres", "PostgreSQL"], ["mysql", "MySQL"]]) {
		const down = withDrivers.run(["migrate", "--db", `${scheme}://u@127.0.0.1:${port}/app`]);
		assert.equal(down.code, 1);
		assert.equal(down.stderr, `sess: cannot connect to ${name} at 127.0.0.1:${port}: connection refused. Check that the server is running and that --db (or SESS_DB) names it. [store_unavailable]\n`);
	}

	// Redis prune speaks only Bun's client.
	const redis = withDrivers.run(["prune", "--db", "redis://127.0.0.1:6379"]);
	assert.equal(redis.code, 1);
	assert.equal(redis.stderr, "sess: prune on Redis needs Bun (sess speaks to Redis through Bun's client only); Redis deletes expired sessions by itself, and prune only tidies the per-user indexes. Run `bunx sess prune …` with Bun, or skip it. [needs_driver]\n");

	// An app without the driver: one line naming the package to install.
	const bare = app("without-drivers", []);
	for (const [command, scheme, driver, name] of [["migrate", "postgres", "pg", "PostgreSQL"], ["prune", "mysql", "mysql2", "MySQL"]]) {
		const ran = bare.run([command, "--db", `${scheme}://u@127.0.0.1:${port}/app`]);
		assert.equal(ran.code, 1);
		assert.equal(ran.stderr, `sess: ${command} on Node reaches ${name} through the ${driver} package, which is not installed in this folder. Run \`npm install ${driver}\` here (or run \`bunx sess ${command} …\` with Bun). [needs_driver]\n`);
	}
} finally {
	rmSync(work, { recursive: true, force: true });
}
