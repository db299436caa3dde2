import { Database } from "bun:sqlite";
import { join } from "node:path";
import { SessError } from "sess";
import { SQLiteStore } from "sess/stores/sqlite";
import { dialectOf, migrateDatabase, sqlitePath } from "sess/migrate";
import { createDemoRoutes, notFound } from "./app.ts";
import { readDemoConfig } from "./config.ts";
import { createSessions, model } from "./src/generated/session.ts";

const here = import.meta.dir;

function say(line: string): void {
	process.stdout.write(`${line}\n`);
}

let config;
try {
	config = readDemoConfig(process.env, join(here, ".sess-dev-key"), join(here, "demo.db"));
} catch (e) {
	process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
	process.exit(1);
}
if (config.devKeyFile !== null) say(`demo: SESS_KEYS is not set; using the development key in ${config.devKeyFile} (never do this in production).`);
if (dialectOf(config.db) !== "sqlite") {
	process.stderr.write("demo: this build of the demo serves SQLite only; set SESS_DB to a file path.\n");
	process.exit(1);
}

// The same code as `sess migrate`: the table comes from the generated migrations, never from start-up DDL.
const { applied } = await migrateDatabase(config.db, join(here, "migrations"));
if (applied.length > 0) say(`demo: applied migrations ${applied.join(", ")} to ${config.db}`);

let sessions;
try {
	sessions = createSessions({
		store: new SQLiteStore(new Database(sqlitePath(config.db)), { table: model.table }),
		keys: config.keyring,
		expiry: config.expiry,
		rotation: config.rotation,
	});
} catch (e) {
	if (!(e instanceof SessError)) throw e;
	process.stderr.write(`demo: ${e.message}\n`);
	process.exit(1);
}

const server = Bun.serve({
	hostname: "127.0.0.1",
	port: config.port,
	routes: createDemoRoutes(sessions),
	fetch: notFound,
	// Bun's development error page would show source and stack traces to any visitor.
	development: false,
	error: () => Response.json({ error: "Internal error." }, { status: 500 }),
});
say(`demo: serving on http://127.0.0.1:${server.port}/ (sessions in ${config.db})`);
