import { SessError } from "../src/errors.ts";
import type { Dialect, MigrationFolder } from "./migrations.ts";

/** One migration in drizzle-kit's `meta/_journal.json`; drizzle's migrators read `tag` and `when`. */
export interface JournalEntry {
	idx: number;
	/** The snapshot format version of the migration's snapshot. */
	version: string;
	/** Ordering key: a migration is pending while its `when` exceeds the last recorded `created_at`. */
	when: number;
	tag: string;
	breakpoints: boolean;
}

/** drizzle-kit's `meta/_journal.json`. */
export interface Journal {
	version: string;
	dialect: string;
	entries: JournalEntry[];
}

/** The separator drizzle-kit writes between statements and drizzle's migrators split on. */
export const BREAKPOINT = "\n--> statement-breakpoint\n";

/** Where the journal lives inside a dialect's migrations folder. */
export const JOURNAL_PATH = "meta/_journal.json";

// drizzle-kit's journal format version, the same for every dialect.
const JOURNAL_VERSION = "7";

/** The dialect name drizzle-kit writes in journals and snapshots. */
export function journalDialect(dialect: Dialect): string {
	return dialect === "postgres" ? "postgresql" : dialect;
}

/** The journal of a folder with no migrations yet. */
export function emptyJournal(dialect: Dialect): Journal {
	return { version: JOURNAL_VERSION, dialect: journalDialect(dialect), entries: [] };
}

/** The path of migration `idx`'s snapshot, as drizzle-kit names it. */
export function snapshotPath(idx: number): string {
	return `meta/${String(idx).padStart(4, "0")}_snapshot.json`;
}

/** The folder's journal, checked against `dialect`; `undefined` when the folder has none. */
export function readJournal(folder: MigrationFolder, dialect: Dialect): Journal | undefined {
	const text = folder.files.get(JOURNAL_PATH);
	if (text === undefined) return undefined;
	let journal: unknown;
	try {
		journal = JSON.parse(text);
	} catch (cause) {
		throw new SessError("migration_failed", `${JOURNAL_PATH} is not valid JSON; restore it from version control.`, {
			cause,
		});
	}
	if (!isJournal(journal)) {
		throw new SessError(
			"migration_failed",
			`${JOURNAL_PATH} is not a drizzle-kit migrations journal; restore it from version control.`,
		);
	}
	if (journal.dialect !== journalDialect(dialect)) {
		throw new SessError(
			"migration_failed",
			`${JOURNAL_PATH} is for ${journal.dialect}, not ${journalDialect(dialect)}; point sess at the ${dialect} migrations folder.`,
		);
	}
	return journal;
}

function isJournal(value: unknown): value is Journal {
	if (typeof value !== "object" || value === null) return false;
	const { version, dialect, entries } = value as Record<string, unknown>;
	return (
		typeof version === "string" &&
		typeof dialect === "string" &&
		Array.isArray(entries) &&
		entries.every((e: unknown) => {
			if (typeof e !== "object" || e === null) return false;
			const { idx, when, tag } = e as Record<string, unknown>;
			return Number.isInteger(idx) && typeof when === "number" && typeof tag === "string";
		})
	);
}
