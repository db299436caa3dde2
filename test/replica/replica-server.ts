// A streaming replica of the local PostgreSQL, made by the test that needs it: `pg_basebackup -R` into a
// temporary directory, a standby `postgres` on a free loopback port (as the postgres OS user when run
// as root, which PostgreSQL refuses), stopped by its PID and deleted afterwards, also when the test fails.
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { databaseUrl } from "../helpers/scratch-database.ts";

/** A running standby of the primary at `primaryUrl`. */
export interface Replica {
	port: number;
	/** The replica's URL for database `name` (it holds every database of the primary's cluster). */
	url(name: string): string;
	/** Sets `recovery_min_apply_delay` (a reload, no restart) and waits until the standby uses it. */
	setApplyDelay(ms: number): Promise<void>;
	/** Waits until the standby has replayed everything the primary has written so far. */
	catchUp(): Promise<void>;
	/** Stops the standby by its PID and deletes its directory. */
	stop(): Promise<void>;
}

const BIN = "/usr/lib/postgresql/15/bin";
const root = process.getuid?.() === 0;

/** `command` as the postgres OS user when we are root (runuser), else as ourselves. */
function asPostgres(command: string[]): string[] {
	return root ? ["runuser", "-u", "postgres", "--", ...command] : command;
}

function binary(name: string): string {
	return existsSync(join(BIN, name)) ? join(BIN, name) : name;
}

async function run(command: string[]): Promise<void> {
	const proc = Bun.spawn(command, { stdout: "pipe", stderr: "pipe" });
	const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
	if (code !== 0) throw new Error(`${command.join(" ")} failed (${code}): ${stderr.trim().split("\n").slice(-3).join(" / ")}`);
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

async function query<T>(url: string, text: string): Promise<T[]> {
	const sql = new Bun.SQL(url, { max: 1, connectionTimeout: 2 });
	try {
		return Array.from((await sql.unsafe(text)) as T[]);
	} finally {
		await sql.close();
	}
}

/**
 * Streaming replication needs a `replication` line in the primary's pg_hba.conf, which `host all …` does not
 * give. When it is missing and the file is writable, this appends `host replication all 127.0.0.1/32 trust`
 * (loopback only, like the `all` line the server already trusts) and reloads, and says so on stdout.
 */
export async function allowLoopbackReplication(primaryUrl: string): Promise<void> {
	const rules = await query<{ database: string[]; address: string | null; auth_method: string }>(primaryUrl, "SELECT database, address, auth_method FROM pg_hba_file_rules WHERE error IS NULL");
	if (rules.some((r) => r.database.includes("replication") && (r.address === null || r.address === "127.0.0.1") && r.auth_method === "trust")) return;
	const [hba] = await query<{ hba_file: string }>(primaryUrl, "SHOW hba_file");
	const path = (hba as { hba_file: string }).hba_file;
	const line = "host replication all 127.0.0.1/32 trust";
	const text = readFileSync(path, "utf8");
	if (!text.split("\n").includes(line)) writeFileSync(path, `${text.endsWith("\n") ? text : `${text}\n`}${line}\n`);
	await query(primaryUrl, "SELECT pg_reload_conf()");
	process.stdout.write(`replica test: appended "${line}" to ${path} and reloaded the primary (needed by pg_basebackup)\n`);
	await Bun.sleep(300);
}

/** Makes and starts a standby of the primary at `primaryUrl` (a superuser URL on 127.0.0.1), replaying `applyDelayMs` late. */
export async function startReplica(primaryUrl: string, applyDelayMs: number): Promise<Replica> {
	await allowLoopbackReplication(primaryUrl);
	const primary = new URL(primaryUrl);
	const dir = mkdtempSync(join(tmpdir(), "sess-replica-"));
	const data = join(dir, "data");
	let pid: number | null = null;
	let stopped = false;

	const stop = async (): Promise<void> => {
		if (stopped) return;
		stopped = true;
		process.off("exit", stopNow);
		if (pid !== null) {
			try {
				// Immediate shutdown: the directory is deleted next, so the shutdown checkpoint would be wasted.
				process.kill(pid, "SIGQUIT");
			} catch {}
			for (let i = 0; i < 100 && alive(pid); i++) await Bun.sleep(50);
			if (alive(pid)) process.kill(pid, "SIGKILL");
		}
		rmSync(dir, { recursive: true, force: true });
	};
	// If the test process dies without its afterAll, the standby must not outlive it.
	function stopNow(): void {
		if (pid !== null && alive(pid)) process.kill(pid, "SIGQUIT");
		rmSync(dir, { recursive: true, force: true });
	}
	process.on("exit", stopNow);

	try {
		if (root) chownSync(dir, ...postgresIds());
		await run(asPostgres([binary("pg_basebackup"), "-h", primary.hostname, "-p", primary.port || "5432", "-U", primary.username || "postgres", "-R", "-D", data, "-X", "stream", "-c", "fast", "--no-sync"]));
		// The Debian primary keeps its configuration in /etc: the copy has none of its own.
		const port = await freePort();
		const conf = (delay: number) =>
			[`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${data}'`, "hot_standby = on", "shared_buffers = 16MB",
				`recovery_min_apply_delay = '${delay}ms'`, "logging_collector = off",
				// A throw-away copy: durability of its own files buys nothing and costs seconds on a busy disk.
				"fsync = off", ""].join("\n");
		writeFileSync(join(data, "postgresql.conf"), conf(applyDelayMs));
		writeFileSync(join(data, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
		writeFileSync(join(data, "pg_ident.conf"), "");
		if (root) for (const f of ["postgresql.conf", "pg_hba.conf", "pg_ident.conf"]) chownSync(join(data, f), ...postgresIds());
		// The standby must allow as many connections, locks, workers as the primary, or it refuses to start.
		const limits = await query<{ name: string; setting: string }>(primaryUrl, "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections','max_worker_processes','max_wal_senders','max_prepared_transactions','max_locks_per_transaction')");
		const started = Bun.spawn(asPostgres([binary("postgres"), "-D", data, ...limits.flatMap((l) => ["-c", `${l.name}=${l.setting}`])]), { stdout: "ignore", stderr: Bun.file(join(dir, "standby.log")) });
		const url = (name: string): string => {
			const u = new URL(databaseUrl(primaryUrl, name));
			u.hostname = "127.0.0.1";
			u.port = String(port);
			return u.toString();
		};
		for (let i = 0; ; i++) {
			if (existsSync(join(data, "postmaster.pid"))) pid ??= Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]) || null;
			try {
				const [row] = await query<{ standby: boolean }>(url("postgres"), "SELECT pg_is_in_recovery() AS standby");
				if (row?.standby === true) break;
			} catch (error) {
				if (started.exitCode !== null) throw new Error(`the standby exited (${started.exitCode}): ${readFileSync(join(dir, "standby.log"), "utf8").trim().split("\n").slice(-3).join(" / ")}`);
				if (i >= 150) throw error;
			}
			await Bun.sleep(200);
		}
		const replica: Replica = {
			port,
			url,
			async setApplyDelay(ms) {
				writeFileSync(join(data, "postgresql.conf"), conf(ms));
				process.kill(pid as number, "SIGHUP");
				for (let i = 0; i < 100; i++) {
					const [row] = await query<{ setting: string }>(url("postgres"), "SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'");
					if (row?.setting === String(ms)) return;
					await Bun.sleep(50);
				}
				throw new Error(`the standby did not take recovery_min_apply_delay = ${ms}ms`);
			},
			async catchUp() {
				const [target] = await query<{ lsn: string }>(primaryUrl, "SELECT pg_current_wal_lsn()::text AS lsn");
				const sql = new Bun.SQL(url("postgres"), { max: 1 });
				try {
					for (let i = 0; i < 1000; i++) {
						const [row] = (await sql.unsafe(`SELECT pg_last_wal_replay_lsn() >= '${(target as { lsn: string }).lsn}'::pg_lsn AS done`)) as Array<{ done: boolean }>;
						if (row?.done === true) return;
						await Bun.sleep(10);
					}
				} finally {
					await sql.close();
				}
				throw new Error("the standby did not catch up with the primary within 10 s of polling");
			},
			stop,
		};
		return replica;
	} catch (error) {
		await stop();
		throw error;
	}
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

function postgresIds(): [number, number] {
	const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
	if (line === undefined) throw new Error("no postgres OS user to run the standby as (PostgreSQL refuses to run as root)");
	const [, , uid, gid] = line.split(":");
	return [Number(uid), Number(gid)];
}
