import type { Statement } from "bun:sqlite";
import type { TableModel } from "../../schema/model.ts";
import type { DeviceRecord } from "../device.ts";
import type { ColumnValue } from "../store.ts";

/** The deferred columns by name, as SQLite gave them. */
type Values = Record<string, string | number | null>;

/**
 * The columns of a session row that sess's own load leaves unread, and the row's device record: the device
 * columns are read only when the session gets a new ID (a rotation keeps the handle), the promoted columns
 * only by the per-user limit's login check. Most requests need neither, and every text column costs a
 * `bun:sqlite` SELECT a string. All are read together, by one SELECT, the first time one is asked for.
 *
 * Only an insert writes the device columns, so a later read sees what the load would have seen. A promoted
 * column can change under the same ID meanwhile, but then the row's version changed too: every write this
 * request starts from the loaded row fails its version check and starts again from a fresh read. A row gone
 * by then reads as empty, and nothing is written from it, for the same reason.
 */
export class DeferredRow implements DeviceRecord {
	#values: Values | null = null;

	constructor(
		private readonly statement: Statement,
		private readonly id: string,
	) {}

	/** One deferred column's stored value. */
	value(column: string): string | number | null {
		this.#values ??= (this.statement.get(this.id) as Values | null) ?? {};
		return this.#values[column] ?? null;
	}

	/** "" for a row stored without a device record (before device records existed), which the device reader takes for none. */
	get handle(): string {
		return (this.value("handle") as string | null) ?? "";
	}

	get description(): string | null {
		return this.value("device") as string | null;
	}

	get label(): string | null {
		return this.value("device_label") as string | null;
	}

	get network(): string | null {
		return this.value("network") as string | null;
	}
}

const ROW: unique symbol = Symbol("row");

/**
 * A class for `StoredSession.columns` of a loaded row: one getter per promoted column, reading through the
 * row's `DeferredRow`. The getters live on the prototype, so the object has no own columns: read it by name,
 * never spread it or list its keys (only commit's login check reads it).
 */
export function deferredColumns(table: TableModel): new (row: DeferredRow) => Record<string, ColumnValue> {
	class Columns {
		readonly [ROW]: DeferredRow;

		constructor(row: DeferredRow) {
			this[ROW] = row;
		}
	}
	for (const c of table.columns) {
		const boolean = c.type === "boolean";
		Object.defineProperty(Columns.prototype, c.name, {
			enumerable: true,
			get(this: Columns): ColumnValue {
				const v = this[ROW].value(c.name);
				return boolean && v !== null ? v === 1 : v;
			},
		});
	}
	return Columns as unknown as new (row: DeferredRow) => Record<string, ColumnValue>;
}
