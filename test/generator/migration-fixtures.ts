import type { Database } from "bun:sqlite";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { TableModel } from "../../schema/model.ts";
import { generateMigrations, type Dialect, type GeneratedFile, type MigrationFolder } from "../../generator/migrations.ts";

/** A folder with no migrations. */
export const empty = (): MigrationFolder => ({ files: new Map() });

/** The columns every session table has, in order. */
export const CORE_COLUMNS = [
	"id",
	"successor_id",
	"version",
	"data",
	"created_at",
	"rotated_at",
	"last_seen_at",
	"idle_expires_at",
	"absolute_expires_at",
];

/** The folder after writing `files` over it. */
export function withFiles(folder: MigrationFolder, files: GeneratedFile[]): MigrationFolder {
	const next = new Map(folder.files);
	for (const f of files) next.set(f.path, f.contents);
	return { files: next };
}

/** The stamp of the first generated migration in these tests (2025-11-24); later ones are a minute apart. */
export const T0 = 1_764_000_000_000;

/** Generates the models one after another, as successive `sess generate` runs a minute apart would. */
export async function evolve(dialect: Dialect, ...models: TableModel[]): Promise<MigrationFolder[]> {
	const folders: MigrationFolder[] = [];
	let folder = empty();
	for (const [i, model] of models.entries()) {
		folder = withFiles(folder, await generateMigrations(model, dialect, folder, T0 + i * 60_000));
		folders.push(folder);
	}
	return folders;
}

/** The contents of the SQL file whose name starts with `prefix`. */
export function sqlFile(folder: MigrationFolder, prefix: string): string {
	const entry = [...folder.files].find(([path]) => path.startsWith(prefix) && path.endsWith(".sql"));
	if (entry === undefined) throw new Error(`no ${prefix}*.sql`);
	return entry[1];
}

/** Writes the folder's files under `dir`. */
export async function writeFolder(dir: string, folder: MigrationFolder): Promise<void> {
	for (const [path, contents] of folder.files) {
		await mkdir(dirname(join(dir, path)), { recursive: true });
		await writeFile(join(dir, path), contents);
	}
}

/** Column names in order and index names sorted, from SQLite's PRAGMAs. */
export function sqliteShape(db: Database, table = "sessions"): { columns: string[]; indexes: string[] } {
	const columns = db.query<{ name: string }, []>(`PRAGMA table_info(${table})`).all().map((r) => r.name);
	const indexes = db
		.query<{ name: string }, []>(`PRAGMA index_list(${table})`)
		.all()
		.map((r) => r.name)
		.filter((n) => !n.startsWith("sqlite_autoindex"))
		.sort();
	return { columns, indexes };
}

/** The first URL whose server answers, or `undefined`. */
export async function reachable(urls: string[]): Promise<string | undefined> {
	for (const url of urls) {
		const sql = new Bun.SQL(url, { connectionTimeout: 2, max: 1 });
		try {
			await sql`SELECT 1`;
			return url;
		} catch {
			// Try the next user; an unreachable server is decided by the caller.
		} finally {
			await sql.close().catch(() => undefined);
		}
	}
	return undefined;
}
