import type { SQL } from "bun";
import type { TableModel } from "../../schema/model.ts";
import { ConfigError, InvalidDataError, NotMigratedError, StoreUnavailableError } from "../errors.ts";
import { sha256String } from "../crypto.ts";
import { FULL_UPDATE, leastRecentFirst, type AdmitResult, type ColumnValue, type SessionLimit, type Store, type StoredSession, type UpdateScope } from "../store.ts";
import { buildStatements, FIXED_COLUMNS, PRUNE_BATCH, type ColumnStatements, type ServerDialect, type SessionStatements } from "./sql-dialect.ts";
import { integer, SqlRowMapper, type SqlParam } from "./sql-row.ts";
import { liveEndAsync } from "./revoke-except.ts";

/** Options of the PostgreSQL and MySQL stores; the table itself comes from `sess migrate`, never from start-up code. */
export interface SQLServerStoreOptions {
	table: TableModel;
}

type Rows = Array<Record<string, unknown>> & { affectedRows: number };

// A transaction (or a single autocommit statement) the server rolled back to break a deadlock, a lock wait or a
// serialization conflict changed nothing, so it can run again: up to ATTEMPTS times, after a random pause that
// grows per attempt, so that the two sides of a deadlock do not meet again in lockstep.
const ATTEMPTS = 4;
const RETRY_BASE_MS = 4;

/**
 * The `Store` contract over a Bun.SQL client, shared by `PostgresStore` and `MySQLStore`: single statements
 * where one suffices, a transaction where the contract needs two (rotation, revocation).
 */
export class SQLServerStore implements Store {
	private readonly sql: SQL;
	/** Whether this store opened the client from a URL, and so closes it. */
	private readonly owned: boolean;
	private readonly dialect: ServerDialect;
	private readonly q: SessionStatements;
	private readonly rows: SqlRowMapper;
	private readonly table: TableModel;
	/** The URL this store opened, password hidden, for messages; null for a client passed in. */
	private readonly location: string | null;

	/** Uses `client` as given, or opens one from a URL whose scheme `schemes` accepts. */
	protected constructor(dialect: ServerDialect, client: SQL | string, options: SQLServerStoreOptions, schemes: RegExp) {
		this.dialect = dialect;
		this.q = buildStatements(options.table, dialect);
		this.rows = new SqlRowMapper(options.table);
		this.table = options.table;
		this.location = typeof client === "string" ? client.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@") : null;
		if (typeof client === "string") {
			if (!schemes.test(client)) {
				throw new ConfigError("invalid_config", `The ${dialect} store needs a URL matching ${schemes}; got "${client.replace(/\/\/[^@/]*@/, "//…@")}".`);
			}
			this.sql = new Bun.SQL(dialect === "mysql" ? client.replace(/^mariadb:/i, "mysql:") : client);
			this.owned = true;
		} else {
			this.sql = client;
			this.owned = false;
		}
	}

	async get(id: string): Promise<StoredSession | null> {
		const [row] = await this.run(this.sql, this.q.get, [id]);
		return row === undefined ? null : this.rows.fromRow(row);
	}

	async create(session: StoredSession): Promise<void> {
		await this.run(this.sql, this.q.insert, this.rows.insertParams(session));
	}

	async update(session: StoredSession, expectedVersion: number, scope: UpdateScope = FULL_UPDATE): Promise<boolean> {
		const text = this.q.update.get(`${scope.times}:${scope.columns}`) as string;
		const result = await this.run(this.sql, text, this.rows.updateParams(session, expectedVersion, scope));
		if (result.affectedRows === 1) return true;
		// MySQL counts changed rows, so a write of identical values (same version) that matched reports 0.
		if (this.dialect !== "mysql" || session.version !== expectedVersion) return false;
		return (await this.run(this.sql, this.q.matches, [session.id, expectedVersion])).length === 1;
	}

	async touch(id: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
		await this.run(this.sql, this.q.touch, [lastSeenAt, idleExpiresAt, id]);
	}

	async rotate(id: string, expectedVersion: number, next: StoredSession, graceUntil: number | null): Promise<boolean> {
		return this.transaction(async (tx) => {
			// Both statements write the old row (the alias gains a successor), so MySQL's changed-row count is exact.
			const retired =
				graceUntil === null
					? await this.run(tx, this.q.kill, [id, expectedVersion])
					: await this.run(tx, this.q.alias, [next.id, graceUntil, id, expectedVersion]);
			if (retired.affectedRows !== 1) return false;
			if (graceUntil === null) await this.run(tx, this.q.killAliases, [id]);
			await this.run(tx, this.q.insert, this.rows.insertParams(next));
			return true;
		});
	}

	async destroy(id: string): Promise<void> {
		await this.run(this.sql, this.q.destroy, [id, id]);
	}

	async list(column: string, value: ColumnValue): Promise<StoredSession[]> {
		const rows = await this.run(this.sql, this.statementsOf(column).list, [value]);
		return rows.map((row) => this.rows.fromRow(row));
	}

	async revoke(column: string, value: ColumnValue, exceptId?: string): Promise<number> {
		const { revoke } = this.statementsOf(column);
		const statements = exceptId === undefined ? revoke.all : revoke.except;
		return this.transaction(async (tx) => {
			// The kept session may have been rotated by another tab since the caller loaded it: follow the chain
			// with locking reads, so the live end cannot rotate again before this transaction commits.
			const keep = exceptId === undefined ? undefined : await liveEndAsync(exceptId, async (id) => {
				const [row] = await this.run(tx, this.q.lockRow, [id]);
				return row === undefined ? undefined : (row["successor_id"] as string | null);
			});
			const params: SqlParam[] = keep === undefined ? [value] : [value, keep];
			await this.run(tx, statements.lock, params);
			await this.run(tx, statements.killAliases, params);
			return (await this.run(tx, statements.killRows, params)).affectedRows;
		});
	}

	async admit(next: StoredSession, replaces: { id: string; version: number } | null, limit: SessionLimit, now: number): Promise<AdmitResult> {
		const { live } = this.statementsOf(limit.column);
		const value = next.columns[limit.column] ?? null;
		const key = limitLockKey(this.dialect, `${live}\n${typeof value}:${String(value)}`);
		const body = async (tx: SQL): Promise<AdmitResult> => {
			if (this.dialect === "postgres") await this.run(tx, this.q.lockValue, [key]);
			if (replaces !== null) {
				const [row] = await this.run(tx, this.q.lockRow, [replaces.id]);
				if (row === undefined || row["successor_id"] !== null || integer(row["version"], "version") !== replaces.version) return { status: "conflict" };
			}
			const rows = value === null ? [] : await this.run(tx, live, [value, now, now]);
			const sessions = rows
				.map((r) => ({ id: r["id"] as string, lastSeenAt: integer(r["last_seen_at"], "last_seen_at"), createdAt: integer(r["created_at"], "created_at") }))
				.filter((r) => r.id !== replaces?.id);
			const excess = sessions.length - limit.max + 1;
			if (excess > 0 && limit.policy === "refuse") return { status: "refused" };
			const evicted = excess > 0 ? sessions.sort(leastRecentFirst).slice(0, excess).map((r) => r.id) : [];
			for (const id of evicted) await this.run(tx, this.q.destroy, [id, id]);
			if (replaces !== null) await this.run(tx, this.q.destroy, [replaces.id, replaces.id]);
			await this.run(tx, this.q.insert, this.rows.insertParams(next));
			return { status: "admitted", evicted };
		};
		if (this.dialect === "postgres") return this.transaction(body);
		// MySQL's named locks belong to a connection, not a transaction: held on one reserved connection
		// around the transaction and released only after it committed, so the next login counts this one.
		const connection = await this.sql.reserve();
		try {
			const [got] = await this.run(connection, this.q.lockValue, [key]);
			if (Number(got?.["got"]) !== 1) throw new Error("sess: timed out waiting for another login of the same user");
			try {
				return await this.transactionOn(connection, body);
			} finally {
				await this.run(connection, this.q.unlockValue, [key]);
			}
		} finally {
			await connection.release();
		}
	}

	async withPruneLock<T>(fn: () => Promise<T>): Promise<T | null> {
		const key = limitLockKey(this.dialect, `${this.q.pruneSelect}\nprune`);
		// Both servers tie the lock to a connection: take it and give it back on the same reserved one.
		const connection = await this.sql.reserve();
		try {
			const [row] = await this.run(connection, this.q.pruneLock, [key]);
			const got = row?.["got"];
			if (!(got === true || Number(got) === 1)) return null;
			try {
				return await fn();
			} finally {
				await this.run(connection, this.q.pruneUnlock, [key]);
			}
		} finally {
			await connection.release();
		}
	}

	async prune(now: number, limit = Infinity): Promise<number> {
		let total = 0;
		while (total < limit) {
			const want = Math.min(PRUNE_BATCH, limit - total);
			const ids = (await this.run(this.sql, this.q.pruneSelect, [now, now, want])).map((row) => row["id"] as string);
			const first = ids[0];
			if (first === undefined) break;
			// Padding with a repeated id keeps one statement text, so the server prepares it once.
			const padded = [...ids, ...Array<string>(PRUNE_BATCH - ids.length).fill(first)];
			total += (await this.run(this.sql, this.q.pruneDelete, [...padded, now, now])).affectedRows;
			if (ids.length < want) break;
		}
		return total;
	}

	/**
	 * Checks that the session table and every column the schema's migrations add exist, so an app fails at
	 * start (`openStore` calls this) rather than at its first request: `NotMigratedError` names what is
	 * missing and says to run `sess migrate`; `StoreUnavailableError` when the server cannot be reached.
	 */
	async check(): Promise<void> {
		const text = this.dialect === "postgres"
			? "SELECT current_database() AS db, (SELECT string_agg(column_name::text, ',') FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1) AS cols"
			: "SELECT DATABASE() AS db, (SELECT GROUP_CONCAT(column_name) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?) AS cols";
		let row: Record<string, unknown> | undefined;
		try {
			[row] = await this.run(this.sql, text, [this.table.name]);
		} catch (error) {
			const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
			throw new StoreUnavailableError(`cannot reach the ${this.dialect === "postgres" ? "PostgreSQL" : "MySQL"} server${this.location === null ? "" : ` at ${this.location}`} (${reason}). Check that it is running and that the URL names it.`, { cause: error });
		}
		const found = new Set(String(row?.["cols"] ?? "").split(",").filter((c) => c !== "").map((c) => c.toLowerCase()));
		const database = String(row?.["db"] ?? "?");
		const where = `the ${this.dialect === "postgres" ? "PostgreSQL" : "MySQL"} database "${database}"`;
		const migrate = `sess migrate --db ${this.location ?? `${this.dialect}://…/${database}`}`;
		if (found.size === 0) throw new NotMigratedError(this.table.name, where, migrate);
		const missing = [...FIXED_COLUMNS, ...this.table.columns.map((c) => c.name)].filter((c) => !found.has(c));
		if (missing.length > 0) throw new NotMigratedError(this.table.name, where, migrate, missing);
	}

	/** Closes the client if this store opened it from a URL; a client passed in stays open and belongs to the caller. */
	async close(): Promise<void> {
		if (this.owned) await this.sql.close();
	}

	private statementsOf(column: string): ColumnStatements {
		const statements = this.q.columns.get(column);
		if (statements === undefined) throw new TypeError(`"${column}" is not a promoted column of this session table.`);
		return statements;
	}

	/**
	 * One statement. On the pool each statement is its own transaction, so a deadlock victim is retried here;
	 * inside a transaction the whole transaction is retried instead (`transactionOn`), never one statement of it.
	 */
	private async run(client: SQL, text: string, params: SqlParam[]): Promise<Rows> {
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.runOnce(client, text, params);
			} catch (error) {
				if (client !== this.sql || attempt >= ATTEMPTS || !rolledBack(error)) throw error;
				await pause(attempt);
			}
		}
	}

	private async runOnce(client: SQL, text: string, params: SqlParam[]): Promise<Rows> {
		try {
			return (await client.unsafe(text, params)) as Rows;
		} catch (error) {
			const code = dataErrorCode(error);
			if (code === null) throw error;
			// The client's value, not the server, is at fault: a 400, never a 503 anyone could provoke at will.
			// The driver's message is left out: it may quote the refused bytes.
			throw new InvalidDataError("store", `the ${this.dialect} server refused a value as invalid data (${code}); send text the session schema and the database accept`);
		}
	}

	private transaction<T>(fn: (tx: SQL) => Promise<T>): Promise<T> {
		return this.transactionOn(this.sql, fn);
	}

	private async transactionOn<T>(client: SQL, fn: (tx: SQL) => Promise<T>): Promise<T> {
		for (let attempt = 1; ; attempt++) {
			try {
				return (await client.begin((tx) => fn(tx))) as T;
			} catch (error) {
				if (attempt >= ATTEMPTS || !rolledBack(error)) throw error;
				await pause(attempt);
			}
		}
	}
}

/** A random pause before retry `attempt` (1-based): up to 4, 8, 16 ms. */
function pause(attempt: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_BASE_MS * 2 ** (attempt - 1)));
}

/**
 * The advisory lock of one limited value: a signed 64-bit key for PostgreSQL, a name of at most 64
 * characters for MySQL. Hashed, so a value of any length or bytes makes a valid key.
 */
function limitLockKey(dialect: ServerDialect, text: string): string {
	const digest = sha256String(text);
	const hex = Array.from(digest.subarray(0, 20), (b) => b.toString(16).padStart(2, "0")).join("");
	if (dialect === "mysql") return `sess:${hex}`;
	return BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString();
}

// MySQL's "incorrect string value", "invalid character string" and "data too long", whatever SQLSTATE a server version gives them.
const MYSQL_DATA_ERRORS = new Set([1366, 1300, 1406]);

/** The server's code when it refused a value as invalid data (SQLSTATE class 22: PostgreSQL's 22021 for NUL, 22P05…), else null. */
function dataErrorCode(error: unknown): string | null {
	if (!(error instanceof Error)) return null;
	const { errno, sqlState } = error as { errno?: unknown; sqlState?: unknown };
	if (typeof errno === "string" && errno.startsWith("22")) return errno;
	if (typeof sqlState === "string" && sqlState.startsWith("22")) return `${String(errno)}/${sqlState}`;
	if (typeof errno === "number" && MYSQL_DATA_ERRORS.has(errno)) return String(errno);
	return null;
}

// MySQL's deadlock victim (1213) and lock wait timeout (1205): either way the statement changed nothing.
const MYSQL_RETRYABLE = new Set([1213, 1205]);

/** Whether the server rolled the work back to resolve a deadlock, a lock wait or a serialization failure (SQLSTATE class 40). */
function rolledBack(error: unknown): boolean {
	if (!(error instanceof Error)) return false;
	const { errno, sqlState } = error as { errno?: unknown; sqlState?: unknown };
	return (typeof errno === "string" && errno.startsWith("40")) || (typeof sqlState === "string" && sqlState.startsWith("40")) || (typeof errno === "number" && MYSQL_RETRYABLE.has(errno));
}
