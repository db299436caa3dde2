import { createHash } from "node:crypto";
import type { TableModel } from "../schema/model.ts";
import { SessError } from "../src/errors.ts";
import { buildDrizzleTable } from "./drizzle-table.ts";
import { BREAKPOINT, emptyJournal, JOURNAL_PATH, readJournal, snapshotPath, type Journal } from "./journal.ts";

/** A SQL database family sess generates migrations for. */
export type Dialect = "sqlite" | "postgres" | "mysql";

/** One dialect's migrations folder: path relative to the folder (`meta/_journal.json`, `0000_init.sql`) → contents. */
export interface MigrationFolder {
	files: Map<string, string>;
}

/** A file to write, with its path relative to the dialect's migrations folder. */
export interface GeneratedFile {
	path: string;
	contents: string;
}

/** A drizzle-kit snapshot; only the fields sess reads are typed. */
interface Snapshot {
	version: string;
	id: string;
	prevId: string;
	tables: Record<string, { name: string; columns: Record<string, unknown> } & Record<string, unknown>>;
	[key: string]: unknown;
}

interface Kit {
	snapshot(table: unknown): Promise<Snapshot>;
	diff(prev: Snapshot, cur: Snapshot): Promise<string[]>;
	rename(from: string, to: string): string;
}

// drizzle-kit's prevId for the first snapshot of a folder.
const ORIGIN_ID = "00000000-0000-0000-0000-000000000000";

/**
 * The files that bring `existing` up to `table`, in drizzle-kit's migrations format: a new SQL file,
 * its snapshot and the updated journal; `[]` when the schema is unchanged. Same input, same bytes.
 * `when` (ms since the epoch; the lock keeps it) is the new journal entry's timestamp, raised if need be
 * so entries stay strictly increasing: drizzle's migrators apply a migration only while its `when`
 * exceeds the newest one recorded, so a real timestamp is what lets it follow an app's own migrations.
 */
export async function generateMigrations(
	table: TableModel,
	dialect: Dialect,
	existing: MigrationFolder,
	when: number,
): Promise<GeneratedFile[]> {
	const kit = await loadKit(dialect);
	const journal = readJournal(existing, dialect) ?? emptyJournal(dialect);
	if (journal.entries.length === 0 && [...existing.files.keys()].some((path) => path !== JOURNAL_PATH)) {
		throw new SessError(
			"migration_failed",
			`The ${dialect} migrations folder has files but no migrations in meta/_journal.json; restore the journal from version control or point sess at an empty folder.`,
		);
	}
	const last = journal.entries.at(-1);
	const prev = last === undefined ? await kit.snapshot(undefined) : readSnapshot(existing, last.idx);
	const cur = await kit.snapshot(await buildDrizzleTable(table, dialect));

	const statements = await diffTable(kit, prev, cur, table, dialect);
	if (statements.length === 0) return [];

	const sql = `${statements.map((s) => s.trim()).join(BREAKPOINT)}\n`;
	const idx = last === undefined ? 0 : last.idx + 1;
	const prefix = String(idx).padStart(4, "0");
	const tag = idx === 0 ? `${prefix}_init` : `${prefix}_${sha256(sql).slice(0, 8)}`;
	const prevId = last === undefined ? ORIGIN_ID : prev.id;
	const snapshot: Snapshot = { ...cur, id: hashId(prevId + sql), prevId };
	const next: Journal = {
		...journal,
		entries: [...journal.entries, { idx, version: cur.version, when: Math.max(when, (last?.when ?? 0) + 1), tag, breakpoints: true }],
	};
	return [
		{ path: `${tag}.sql`, contents: sql },
		{ path: snapshotPath(idx), contents: json(snapshot) },
		{ path: JOURNAL_PATH, contents: json(next) },
	];
}

// The statements from `prev` to `cur`, in steps that never leave drizzle-kit a rename to ask about.
async function diffTable(kit: Kit, prev: Snapshot, cur: Snapshot, table: TableModel, dialect: Dialect): Promise<string[]> {
	const statements: string[] = [];
	let from = prev;
	const prevTables = Object.values(prev.tables);
	if (prevTables.length > 1) {
		throw new SessError(
			"migration_failed",
			`The latest snapshot in the ${dialect} migrations folder holds ${prevTables.length} tables, but sess manages exactly one; restore the folder from version control.`,
		);
	}
	const prevTable = prevTables[0];
	if (prevTable !== undefined && prevTable.name !== table.name) {
		// drizzle-kit would ask "rename or drop and create?"; keeping the sessions is the safe answer.
		statements.push(kit.rename(prevTable.name, table.name));
		from = renameTable(prev, prevTable.name, table.name, dialect);
	}
	if (prevTable !== undefined) {
		// Drops and additions in one diff make drizzle-kit prompt for renames (and throw without a TTY),
		// so drop first, then add. A column whose type changed is dropped and re-added too: it only mirrors
		// a field of the session data, and not every database can cast, say, text to boolean.
		const curColumns = Object.values(cur.tables)[0]?.columns ?? {};
		const kept = (name: string): boolean => {
			const before = baseType(prevTable.columns[name]);
			return before !== undefined && before === baseType(curColumns[name]);
		};
		const between = await kit.snapshot(await buildDrizzleTable(table, dialect, kept));
		statements.push(...(await kit.diff(from, between)));
		from = between;
	}
	statements.push(...(await kit.diff(from, cur)));
	return statements;
}

// The SQL type without its length, so widening a VARCHAR stays an ALTER. MySQL's VARCHAR → VARBINARY
// (promoted text compared byte-exactly) is an ALTER too: the server keeps each value's utf8mb4 bytes.
function baseType(column: unknown): string | undefined {
	const type = (column as { type?: unknown } | undefined)?.type;
	return typeof type === "string" ? type.replace(/\(.*\)$/, "").replace(/^varbinary$/, "varchar") : undefined;
}

function readSnapshot(folder: MigrationFolder, idx: number): Snapshot {
	const path = snapshotPath(idx);
	const text = folder.files.get(path);
	if (text === undefined) {
		throw new SessError(
			"migration_failed",
			`The migrations journal lists migration ${idx} but ${path} is missing; restore it from version control.`,
		);
	}
	try {
		return JSON.parse(text) as Snapshot;
	} catch (cause) {
		throw new SessError("migration_failed", `${path} is not valid JSON; restore it from version control.`, { cause });
	}
}

// The snapshot as if the table had been renamed by hand, so the next diff sees no table change.
function renameTable(snapshot: Snapshot, from: string, to: string, dialect: Dialect): Snapshot {
	const renamed = structuredClone(snapshot);
	const key = (name: string): string => (dialect === "postgres" ? `public.${name}` : name);
	const table = renamed.tables[key(from)];
	if (table === undefined) throw new SessError("migration_failed", `The latest snapshot has no table "${from}".`);
	delete renamed.tables[key(from)];
	table.name = to;
	// MySQL names its primary key after the table; the server calls it PRIMARY whatever the snapshot says.
	const pks = table["compositePrimaryKeys"] as Record<string, { name: string }> | undefined;
	if (dialect === "mysql" && pks !== undefined) {
		for (const [name, pk] of Object.entries(pks)) {
			if (name !== `${from}_id`) continue;
			delete pks[name];
			pks[`${to}_id`] = { ...pk, name: `${to}_id` };
		}
	}
	renamed.tables[key(to)] = table;
	return renamed;
}

async function loadKit(dialect: Dialect): Promise<Kit> {
	const api = await import("drizzle-kit/api");
	const asSnapshot = (value: unknown): Snapshot => value as Snapshot;
	const imports = (table: unknown): Record<string, unknown> => (table === undefined ? {} : { table });
	switch (dialect) {
		case "sqlite":
			return {
				snapshot: async (table) => asSnapshot(await api.generateSQLiteDrizzleJson(imports(table))),
				diff: (prev, cur) => api.generateSQLiteMigration(prev as never, cur as never),
				rename: (from, to) => `ALTER TABLE \`${from}\` RENAME TO \`${to}\`;`,
			};
		case "postgres":
			return {
				snapshot: async (table) => asSnapshot(api.generateDrizzleJson(imports(table))),
				diff: (prev, cur) => api.generateMigration(prev as never, cur as never),
				rename: (from, to) => `ALTER TABLE "${from}" RENAME TO "${to}";`,
			};
		case "mysql":
			return {
				snapshot: async (table) => asSnapshot(await api.generateMySQLDrizzleJson(imports(table))),
				diff: (prev, cur) => api.generateMySQLMigration(prev as never, cur as never),
				rename: (from, to) => `RENAME TABLE \`${from}\` TO \`${to}\`;`,
			};
	}
}

function sha256(text: string): string {
	return createHash("sha256").update(text).digest("hex");
}

// UUID-shaped (version 8, "custom") so the snapshot chain looks like drizzle-kit's, yet is reproducible.
function hashId(seed: string): string {
	const h = sha256(seed);
	const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function json(value: unknown): string {
	return `${JSON.stringify(value, null, 2)}\n`;
}
