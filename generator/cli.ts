#!/usr/bin/env bun
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import type { SessionModel } from "../schema/model.ts";
import type { Lock } from "../schema/lock.ts";
import { SessError } from "../src/errors.ts";
import { DEFAULT_CONFIG, DIALECTS, type ResolvedConfig, type SessConfig } from "./config.ts";
import { migrateDatabase } from "./database.ts";
import { generate } from "./generate.ts";
import { readMigrationFolder } from "./migrate.ts";
import type { Dialect, MigrationFolder } from "./migrations.ts";
import { SESS_VERSION } from "./version.ts";

const HELP: Record<string, string> = {
	main: `sess ${SESS_VERSION}: typed HTTP sessions from a Zod schema

Usage: sess <command> [options]

Commands:
  generate   Write session.ts, sess.lock.json and SQL migrations from the schema
  migrate    Apply pending migrations to a database
  prune      Delete expired sessions, in batches
  keygen     Print a new random signing key (32 bytes, base64url)

Run \`sess <command> --help\` for a command's options.`,
	generate: `Usage: sess generate [options]

Options:
  --config <file>      Config module (default: sess.config.ts if present)
  --schema <file>      Schema module exporting defineSession(...) (default: schema/session.ts)
  --out <dir>          Folder for session.ts (default: src/generated)
  --dialect <list>     Comma-separated: sqlite,postgres,mysql (default: sqlite)
  --migrations <dir>   Migrations root, one folder per dialect (default: migrations)
  --lock <file>        Lock file (default: sess.lock.json)
  --check              Write nothing; exit 1 and name the files that are stale`,
	migrate: `Usage: sess migrate --db <sqlite path | postgres://… | mysql://…> [options]

Options:
  --db <target>        Database to bring up to date (default: $SESS_DB)
  --config <file>      Config module (default: sess.config.ts if present)
  --migrations <dir>   Migrations root (default: migrations)`,
	prune: `Usage: sess prune --db <sqlite path | postgres://… | mysql://… | redis://…> [options]

Deletes expired sessions in batches of 500, so a million expired rows never hold one long lock.
Safe to run from cron on several machines at once.

Options:
  --db <target>        Session store (default: $SESS_DB)
  --config <file>      Config module (default: sess.config.ts if present)
  --schema <file>      Schema module, for the table name and columns (default: schema/session.ts)
  --limit <n>          Stop after this many deletions (default: all)`,
	keygen: `Usage: sess keygen

Prints 32 random bytes, base64url-encoded: a key for SESS_KEYS. Keep the old key after the new
one in the list while sessions signed with it are still alive.`,
};

type Flags = Record<string, string | true>;

function out(text: string): void {
	process.stdout.write(`${text}\n`);
}

function fail(text: string, code = 1): never {
	process.stderr.write(`sess: ${text}\n`);
	process.exit(code);
}

function parseFlags(args: string[]): Flags {
	const flags: Flags = {};
	for (let i = 0; i < args.length; i++) {
		const arg = args[i] as string;
		if (!arg.startsWith("--")) fail(`unexpected argument "${arg}"; see --help.`, 2);
		const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
		if (inline !== undefined) flags[name] = inline;
		else if (["check", "help"].includes(name)) flags[name] = true;
		else {
			const value = args[++i];
			if (value === undefined) fail(`--${name} needs a value; see --help.`, 2);
			flags[name] = value;
		}
	}
	return flags;
}

function str(flags: Flags, name: string): string | undefined {
	const v = flags[name];
	return typeof v === "string" ? v : undefined;
}

async function loadConfig(flags: Flags): Promise<{ root: string; config: ResolvedConfig }> {
	const explicit = str(flags, "config");
	const path = explicit === undefined ? resolve("sess.config.ts") : resolve(explicit);
	let fromFile: SessConfig = {};
	if (existsSync(path)) fromFile = ((await import(pathToFileURL(path).href)) as { default?: SessConfig }).default ?? {};
	else if (explicit !== undefined) fail(`config file ${explicit} not found.`, 2);
	const root = existsSync(path) ? dirname(path) : process.cwd();
	const config: ResolvedConfig = { ...DEFAULT_CONFIG, ...fromFile };
	const dialects = str(flags, "dialect");
	if (dialects !== undefined) config.dialects = dialects.split(",").map((d) => d.trim()) as Dialect[];
	for (const d of config.dialects) if (!DIALECTS.includes(d)) fail(`unknown dialect "${d}"; use ${DIALECTS.join(", ")}.`, 2);
	for (const key of ["schema", "out", "migrations", "lock"] as const) {
		const v = str(flags, key);
		if (v !== undefined) config[key] = relative(root, resolve(v));
	}
	return { root, config };
}

async function readOptional(path: string): Promise<string | null> {
	try {
		return await readFile(path, "utf8");
	} catch {
		return null;
	}
}

async function runGenerate(flags: Flags): Promise<void> {
	const { root, config } = await loadConfig(flags);
	const model = await loadModel(root, config);
	const lockText = await readOptional(join(root, config.lock));
	const migrations: Partial<Record<Dialect, MigrationFolder>> = {};
	for (const d of config.dialects) migrations[d] = await readMigrationFolder(join(root, config.migrations, d));
	const files = await generate({
		model, schemaPath: config.schema.replaceAll("\\", "/"), lock: lockText === null ? null : (JSON.parse(lockText) as Lock), migrations, config,
	});
	const stale: string[] = [];
	for (const file of files) {
		const target = join(root, file.path);
		if ((await readOptional(target)) === file.contents) continue;
		stale.push(file.path);
		if (flags.check !== true) {
			await mkdir(dirname(target), { recursive: true });
			await writeFile(target, file.contents);
		}
	}
	if (flags.check === true) {
		if (stale.length > 0) fail(`generated files are stale (run \`sess generate\`):\n${stale.map((p) => `  ${p}`).join("\n")}`);
		out("sess: generated files are up to date.");
	} else {
		out(stale.length === 0 ? "sess: nothing to generate; everything is up to date." : `sess: wrote\n${stale.map((p) => `  ${p}`).join("\n")}`);
	}
}

async function runMigrate(flags: Flags): Promise<void> {
	const db = str(flags, "db") ?? process.env.SESS_DB;
	if (db === undefined || db === "") fail("migrate needs --db <sqlite path | postgres://… | mysql://…> (or SESS_DB).", 2);
	const { root, config } = await loadConfig(flags);
	const { dialect, applied } = await migrateDatabase(db, join(root, config.migrations));
	out(applied.length === 0 ? `sess: ${dialect} database is up to date.` : `sess: applied ${applied.length} ${dialect} migration(s):\n${applied.map((t) => `  ${t}`).join("\n")}`);
}

async function loadModel(root: string, config: ResolvedConfig): Promise<SessionModel> {
	const schemaFile = join(root, config.schema);
	if (!existsSync(schemaFile)) fail(`schema ${config.schema} not found; pass --schema or set "schema" in sess.config.ts.`, 2);
	const model = ((await import(pathToFileURL(schemaFile).href)) as { default?: SessionModel }).default;
	if (model?.modelVersion !== 1) fail(`${config.schema} must \`export default defineSession({...})\`.`, 2);
	return model;
}

async function runPrune(flags: Flags): Promise<void> {
	const db = str(flags, "db") ?? process.env.SESS_DB;
	if (db === undefined || db === "") fail("prune needs --db <sqlite path | postgres://… | mysql://… | redis://…> (or SESS_DB).", 2);
	const limitFlag = str(flags, "limit");
	const limit = limitFlag === undefined ? Infinity : Number(limitFlag);
	if (!(limit > 0)) fail("--limit must be a positive number.", 2);
	const { root, config } = await loadConfig(flags);
	const model = await loadModel(root, config);
	const { openStore } = await import("../src/stores/open.ts");
	const { store, close } = openStore(db, model.table);
	const tty = process.stdout.isTTY === true;
	let total = 0;
	try {
		// Chunks of 5,000 (each itself deleted in batches) so a terminal sees progress on big tables.
		for (;;) {
			const chunk = Math.min(5000, limit - total);
			const deleted = await store.prune(Date.now(), chunk);
			total += deleted;
			if (tty) process.stdout.write(`\rsess: pruned ${total} expired session(s)…`);
			if (deleted < chunk || total >= limit) break;
		}
	} finally {
		await close();
	}
	if (tty) process.stdout.write("\n");
	out(`sess: pruned ${total} expired session(s).`);
}

function runKeygen(): void {
	out(encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32))));
}

/** Entry point of the `sess` command. */
export async function main(argv: string[]): Promise<void> {
	const [command, ...rest] = argv;
	if (command === undefined || command === "--help" || command === "-h" || command === "help") return out(HELP.main as string);
	if (command === "--version") return out(SESS_VERSION);
	const flags = parseFlags(rest);
	if (flags.help === true && HELP[command] !== undefined) return out(HELP[command]);
	try {
		if (command === "generate") await runGenerate(flags);
		else if (command === "migrate") await runMigrate(flags);
		else if (command === "prune") await runPrune(flags);
		else if (command === "keygen") runKeygen();
		else fail(`unknown command "${command}".\n\n${HELP.main}`, 2);
	} catch (e) {
		if (e instanceof SessError) fail(`${e.message} [${e.code}]`);
		throw e;
	}
}

if (import.meta.main) await main(process.argv.slice(2));
