import type { SQL } from "bun";
import type { TableModel } from "../../schema/model.ts";
import { ConfigError, InvalidDataError } from "../errors.ts";
import { FULL_UPDATE, type ColumnValue, type Store, type StoredSession, type UpdateScope } from "../store.ts";
import { buildStatements, PRUNE_BATCH, type ColumnStatements, type ServerDialect, type SessionStatements } from "./sql-dialect.ts";
import { SqlRowMapper, type SqlParam } from "./sql-row.ts";

/** Options of the PostgreSQL and MySQL stores; the table itself comes from `sess migrate`, never from start-up code. */
export interface SQLServerStoreOptions {
	table: TableModel;
}

type Rows = Array<Record<string, unknown>> & { affectedRows: number };

// A transaction the server rolled back to break a deadlock or a serialization conflict changed nothing, so it can run again.
const ATTEMPTS = 3;

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

	/** Uses `client` as given, or opens one from a URL whose scheme `schemes` accepts. */
	protected constructor(dialect: ServerDialect, client: SQL | string, options: SQLServerStoreOptions, schemes: RegExp) {
		this.dialect = dialect;
		this.q = buildStatements(options.table, dialect);
		this.rows = new SqlRowMapper(options.table);
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
		const params: SqlParam[] = exceptId === undefined ? [value] : [value, exceptId];
		return this.transaction(async (tx) => {
			await this.run(tx, statements.lock, params);
			await this.run(tx, statements.killAliases, params);
			return (await this.run(tx, statements.killRows, params)).affectedRows;
		});
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

	/** Closes the client if this store opened it from a URL; a client passed in stays open and belongs to the caller. */
	async close(): Promise<void> {
		if (this.owned) await this.sql.close();
	}

	private statementsOf(column: string): ColumnStatements {
		const statements = this.q.columns.get(column);
		if (statements === undefined) throw new TypeError(`"${column}" is not a promoted column of this session table.`);
		return statements;
	}

	private async run(client: SQL, text: string, params: SqlParam[]): Promise<Rows> {
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

	private async transaction<T>(fn: (tx: SQL) => Promise<T>): Promise<T> {
		for (let attempt = 1; ; attempt++) {
			try {
				return (await this.sql.begin((tx) => fn(tx))) as T;
			} catch (error) {
				if (attempt >= ATTEMPTS || !rolledBack(error)) throw error;
			}
		}
	}
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

/** Whether the server aborted the transaction to resolve a deadlock or serialization failure (SQLSTATE class 40). */
function rolledBack(error: unknown): boolean {
	if (!(error instanceof Error)) return false;
	const { errno, sqlState } = error as { errno?: unknown; sqlState?: unknown };
	return (typeof errno === "string" && errno.startsWith("40")) || (typeof sqlState === "string" && sqlState.startsWith("40")) || errno === 1213;
}
