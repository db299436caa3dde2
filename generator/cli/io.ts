import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { SessionModel } from "../../schema/model.ts";
import { DEFAULT_CONFIG, DIALECTS, type ResolvedConfig, type SessConfig } from "../config.ts";
import type { Dialect } from "../migrations.ts";

/** Parsed `--name value` / `--name=value` / boolean flags. */
export type Flags = Record<string, string | true>;

const BOOLEAN_FLAGS = new Set(["check", "help", "watch", "force", "js"]);

/** Prints one line to standard output. */
export function out(text: string): void {
	process.stdout.write(`${text}\n`);
}

/** Prints to standard error and exits: 1 for a failed task, 2 for a usage error. */
export function fail(text: string, code = 1): never {
	process.stderr.write(`sess: ${text}\n`);
	process.exit(code);
}

/** Colours only a terminal that wants them (NO_COLOR opts out, https://no-color.org). */
export function paint(text: string, colour: "red" | "green" | "yellow" | "dim", stream: NodeJS.WriteStream = process.stdout): string {
	if (stream.isTTY !== true || (process.env.NO_COLOR ?? "") !== "") return text;
	const code = { red: 31, green: 32, yellow: 33, dim: 2 }[colour];
	return `\u001b[${code}m${text}\u001b[0m`;
}

/** Parses argv after the command name; a flag the command does not know is a usage error, not ignored. */
export function parseFlags(args: string[], allowed: readonly string[]): Flags {
	const flags: Flags = {};
	for (let i = 0; i < args.length; i++) {
		const arg = args[i] as string;
		if (!arg.startsWith("--")) fail(`unexpected argument "${arg}"; see --help.`, 2);
		const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
		if (name !== "help" && !allowed.includes(name)) fail(`unknown option --${name}; see --help.`, 2);
		if (inline !== undefined) flags[name] = inline;
		else if (BOOLEAN_FLAGS.has(name)) flags[name] = true;
		else {
			const value = args[++i];
			if (value === undefined) fail(`--${name} needs a value; see --help.`, 2);
			flags[name] = value;
		}
	}
	return flags;
}

/** A string flag's value, if given. */
export function str(flags: Flags, name: string): string | undefined {
	const v = flags[name];
	return typeof v === "string" ? v : undefined;
}

/** `sess.config.ts` (or `--config`) merged with defaults and flags; paths relative to the config's folder. */
export async function loadConfig(flags: Flags): Promise<{ root: string; config: ResolvedConfig }> {
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
	if (flags.js === true) config.js = true;
	for (const key of ["schema", "out", "migrations", "lock"] as const) {
		const v = str(flags, key);
		if (v !== undefined) config[key] = relative(root, resolve(v));
	}
	return { root, config };
}

/** Imports the schema module and checks it exports a `defineSession` model. */
export async function loadModel(root: string, config: ResolvedConfig): Promise<SessionModel> {
	const schemaFile = join(root, config.schema);
	if (!existsSync(schemaFile)) fail(`schema ${config.schema} not found; pass --schema or set "schema" in sess.config.ts.`, 2);
	const model = ((await import(pathToFileURL(schemaFile).href)) as { default?: SessionModel }).default;
	if (model?.modelVersion !== 1) fail(`${config.schema} must \`export default defineSession({...})\`.`, 2);
	return model;
}

/** A file's text, or null when it does not exist. */
export async function readOptional(path: string): Promise<string | null> {
	try {
		return await readFile(path, "utf8");
	} catch {
		return null;
	}
}
