import type { ColumnModel, TableModel } from "../../schema/model.ts";
import type { ColumnValue, StoredSession, UpdateScope } from "../store.ts";

/** A parameter of a session statement, as Bun.SQL binds it on both servers. */
export type SqlParam = string | number | boolean | null | Uint8Array;

/** Converts between `StoredSession` and the rows and parameters of the session statements, in their column order. */
export class SqlRowMapper {
	private readonly columns: readonly ColumnModel[];

	/** Maps the fixed columns and the table's promoted ones. */
	constructor(table: TableModel) {
		this.columns = table.columns;
	}

	/** Every column, in the order of `insert`. */
	insertParams(s: StoredSession): SqlParam[] {
		return [s.id, s.successorId, s.version, s.data, s.createdAt, s.rotatedAt, s.lastSeenAt, s.idleExpiresAt, s.absoluteExpiresAt, ...this.columnParams(s)];
	}

	/** The replaced columns, then the compare-and-set key, in the order of `update`. */
	updateParams(s: StoredSession, expectedVersion: number, scope: UpdateScope): SqlParam[] {
		return [s.version, s.data, ...(scope.times ? [s.lastSeenAt, s.idleExpiresAt] : []), ...(scope.columns ? this.columnParams(s) : []), s.id, expectedVersion];
	}

	/** A row of `get` or `list` as a session. */
	fromRow(row: Record<string, unknown>): StoredSession {
		const columns: Record<string, ColumnValue> = {};
		for (const c of this.columns) columns[c.name] = columnValue(c, row[c.name]);
		return {
			id: text(row["id"], "id"),
			successorId: row["successor_id"] === null ? null : text(row["successor_id"], "successor_id"),
			version: integer(row["version"], "version"),
			data: bytes(row["data"]),
			createdAt: integer(row["created_at"], "created_at"),
			rotatedAt: integer(row["rotated_at"], "rotated_at"),
			lastSeenAt: integer(row["last_seen_at"], "last_seen_at"),
			idleExpiresAt: integer(row["idle_expires_at"], "idle_expires_at"),
			absoluteExpiresAt: integer(row["absolute_expires_at"], "absolute_expires_at"),
			columns,
		};
	}

	private columnParams(s: StoredSession): SqlParam[] {
		return this.columns.map((c) => s.columns[c.name] ?? null);
	}
}

/**
 * A safe integer from a BIGINT, however the client delivered it: Bun.SQL gives PostgreSQL's int8 as a
 * string, MySQL's as a number inside the 32-bit range and a string outside it, and BigInt with `bigint: true`.
 */
export function integer(value: unknown, column: string): number {
	const n =
		typeof value === "number" ? value
		: typeof value === "bigint" ? Number(value)
		: typeof value === "string" && /^-?\d+$/.test(value) ? Number(value)
		: NaN;
	// Rounding a larger value would silently move a deadline or break compare-and-set, so refuse it.
	if (!Number.isSafeInteger(n)) throw new RangeError(`Column "${column}" holds ${String(value)}, which is not a safe integer.`);
	return n;
}

function columnValue(column: ColumnModel, value: unknown): ColumnValue {
	if (value === null || value === undefined) return null;
	switch (column.type) {
		case "text":
			return text(value, column.name);
		case "integer":
			return integer(value, column.name);
		case "boolean":
			// MySQL's BOOLEAN is TINYINT(1), which arrives as 0 or 1.
			return typeof value === "boolean" ? value : integer(value, column.name) !== 0;
	}
}

// Fatal: bytes that are not UTF-8 were not written by sess, and must not read back as another identity.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function text(value: unknown, column: string): string {
	if (typeof value === "string") return value;
	// MySQL's promoted text columns are VARBINARY (exact comparison), which Bun.SQL hands over as bytes.
	if (value instanceof Uint8Array) return utf8.decode(value);
	throw new TypeError(`Column "${column}" is not text.`);
}

/** Bun.SQL hands bytea and BLOB columns over as Buffers; a plain view keeps stores alike (no Buffer-only methods or JSON shape). */
function bytes(value: unknown): Uint8Array {
	if (!(value instanceof Uint8Array)) throw new TypeError(`Column "data" is not binary.`);
	return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
