import type { SessionModel } from "../schema/model.ts";
import type { Check } from "../schema/validate.ts";

/**
 * The rule every promoted text column adds to its field's schema check: no NUL (U+0000). PostgreSQL
 * cannot hold NUL in text at all, so without this rule a `userId` of `"a\u0000b"` would be stored on
 * SQLite, MySQL and Redis but refused by PostgreSQL; refusing it at assignment makes every engine
 * (and both modes) agree, and the client gets a 400 instead of a store error.
 */
export function promotedTextCheck(check: Check): Check {
	return (value) => check(value) ?? (typeof value === "string" && value.includes("\0") ? NUL_IN_TEXT_COLUMN : null);
}

/** Why a promoted text column refuses a value (generated setters say it too). */
export const NUL_IN_TEXT_COLUMN = "contains NUL (U+0000), which a promoted text column cannot hold";

/** The fields of `model` promoted to text columns. */
export function promotedTextFields(model: SessionModel): Set<string> {
	return new Set(model.table.columns.filter((c) => c.type === "text").map((c) => c.field));
}
