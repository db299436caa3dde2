import { join } from "node:path";
import { SessError } from "sess";
import { PostgresReplicaStore } from "sess/stores/postgres-replica";
import { createDemoRoutes, notFound } from "./app.ts";
import { readDemoConfig } from "./config.ts";
import { createSessions } from "./src/generated/session.ts";
import { openDemoStore } from "./store.ts";

const here = import.meta.dir;

function say(line: string): void {
	process.stdout.write(`${line}\n`);
}

/** Ends start-up with one line, `demo: <what happened>. <what to do>. [code]`, never a stack trace. */
function stop(message: string, code: string): never {
	process.stderr.write(`demo: ${message.replace(/\s*$/, "")} [${code}]\n`);
	process.exit(1);
}

/** Any start-up failure as one line: sess errors carry their code; anything else is reported by its message. */
function stopOn(error: unknown): never {
	if (error instanceof SessError) stop(error.message, error.code);
	if (error instanceof RangeError) stop(error.message, "invalid_config");
	stop(`${error instanceof Error ? error.message : String(error)}. Check SESS_DB and the other settings in the README's "Demo configuration".`, "start_failed");
}

let config;
try {
	config = readDemoConfig(process.env, join(here, ".sess-dev-key"), join(here, "demo.db"));
} catch (e) {
	stopOn(e);
}
if (config.devKeyFile !== null) say(`demo: SESS_KEYS is not set; using the development key in ${config.devKeyFile} (never do this in production).`);
const opened = await openDemoStore(config.db, join(here, "migrations"), config.redisPrefix, config.readDb).catch(stopOn);
if (opened.applied.length > 0) say(`demo: applied migrations ${opened.applied.join(", ")}`);

let sessions;
try {
	const common = { keys: config.keyring, expiry: config.expiry, rotation: config.rotation, insecureDevelopmentCookies: config.insecure, ...(config.dbsc === null ? {} : { dbsc: config.dbsc }) };
	// Sealed mode keeps the session in the cookie; SESS_DB then holds only revocations.
	sessions = config.mode === "sealed" ? createSessions({ ...common, mode: "sealed", revocations: opened.store }) : createSessions({
				...common, store: opened.store,
				...(config.limit === null ? {} : { maxSessionsPerUser: { field: "userId", max: config.limit.max, policy: config.limit.policy } }),
			});
} catch (e) {
	stopOn(e);
}
if (config.insecure) say("demo: SESS_INSECURE=1: the session cookie is `sid`, without Secure or __Host- (plain-HTTP development with curl or Python only).");

let server;
try {
	server = Bun.serve({
		hostname: "127.0.0.1",
		port: config.port,
		...(config.tls === null ? {} : { tls: { cert: Bun.file(config.tls.cert), key: Bun.file(config.tls.key) } }),
		routes: createDemoRoutes(sessions),
		fetch: notFound,
		// Bun's development error page would show source and stack traces to any visitor.
		development: false,
		error: () => Response.json({ error: "Internal error." }, { status: 500 }),
	});
} catch (e) {
	if ((e as { code?: unknown }).code === "EADDRINUSE") {
		stop(`port ${config.port} on 127.0.0.1 is already in use. Stop the other server, or start the demo on another port (PORT=3001 npm run demo).`, "port_in_use");
	}
	stopOn(e);
}
say(`demo: serving on ${config.tls === null ? "http" : "https"}://127.0.0.1:${server.port}/ (${config.dbsc === null ? "" : `device-bound, ${config.dbsc.cookieLifetime} bound cookie; `}${config.mode === "sealed" ? "sealed cookies, revocations" : "sessions"} in ${redact(config.db)})`);

// Expired sessions (sealed mode: expired revocations) go in batches each minute, by one process at a time.
const pruner = sessions.startPruning({ every: "1m" });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => {
		// Close idle keep-alive connections too: a browser holding one would delay exit by seconds.
		void server.stop(true).then(() => pruner.stop()).then(() => {
			// With SESS_DB_READ: what the replica served and what waiting for it cost (test/replica's history run reads this line).
			if (opened.store instanceof PostgresReplicaStore) {
				const s = opened.store.stats();
				say(`demo: replica: ${s.replicaReads} session reads served; ${s.waits} writes waited for it, ${Math.round(s.waitedMs)} ms in all`);
			}
		}).then(() => opened.close()).finally(() => process.exit(0));
	});
}

/** A database URL without its password, fit for a log line. */
function redact(db: string): string {
	return db.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
