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

/**
 * Prints `sess: <what happened>. <what to do>. [code]` to standard error and exits: 1 for a failed
 * task, 2 for a usage error (a bad flag, path or URL). Codes are listed in docs/reference.md.
 */
export function fail(message: string, code: string, exit: 1 | 2 = 1): never {
	process.stderr.write(`sess: ${message} [${code}]\n`);
	process.exit(exit);
}

/** A usage error: exit 2, code `usage`. */
export function usage(message: string): never {
	return fail(message, "usage", 2);
}

/**
 * A SessError from any copy of sess: the app's schema imports `sess/schema` from its own
 * node_modules, a different module instance from the CLI's bundle, so `instanceof` cannot tell.
 */
export function isSessError(e: unknown): e is Error & { code: string } {
	if (!(e instanceof Error) || e.constructor === Error) return false;
	const code: unknown = (e as { code?: unknown }).code;
	return typeof code === "string" && /^[a-z_]+$/.test(code) && /Error$/.test(e.name);
}

/** The package an import of the app's own files could not find (Node's and Bun's wording), or null. */
export function missingPackage(e: unknown): { name: string; from: string } | null {
	const m = /Cannot find (?:package|module) ['"]([^'"]+)['"] (?:imported )?from ['"]?([^'"\s]+)/.exec(e instanceof Error ? e.message : String(e));
	if (m === null || (m[1] as string).startsWith(".") || (m[2] as string).includes("/node_modules/")) return null;
	return { name: m[1] as string, from: (m[2] as string).replace(/^file:\/\//, "") };
}

/** Colours only a terminal that wants them (NO_COLOR opts out, https://no-color.org). */
export function paint(text: string, colour: "red" | "green" | "yellow" | "dim", stream: NodeJS.WriteStream = process.stdout): string {
	if (stream.isTTY !== true || (process.env.NO_COLOR ?? "") !== "") return text;
	const code = { red: 31, green: 32, yellow: 33, dim: 2 }[colour];
	return `\u001b[${code}m${text}\u001b[0m`;
}

/** Parses argv after the command name; a flag the command does not know is a usage error, not ignored. */
export function parseFlags(args: string[], allowed: readonly string[], command: string): Flags {
	const flags: Flags = {};
	const help = `Run \`sess ${command} --help\` for its options.`;
	for (let i = 0; i < args.length; i++) {
		const arg = args[i] as string;
		if (arg === "-h") {
			flags.help = true;
			continue;
		}
		if (!arg.startsWith("--")) usage(`unexpected argument "${arg}" for sess ${command}. ${help}`);
		const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
		if (name !== "help" && !allowed.includes(name)) usage(`unknown option --${name} for sess ${command}. ${help}`);
		if (inline !== undefined) flags[name] = inline;
		else if (BOOLEAN_FLAGS.has(name)) flags[name] = true;
		else {
			const value = args[++i];
			if (value === undefined) usage(`--${name} needs a value. ${help}`);
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
	if (existsSync(path)) fromFile = ((await importUserModule(path, "config")) as { default?: SessConfig }).default ?? {};
	else if (explicit !== undefined) fail(`config file ${explicit} not found. Check the path given to --config.`, "config_not_found", 2);
	const root = existsSync(path) ? dirname(path) : process.cwd();
	const config: ResolvedConfig = { ...DEFAULT_CONFIG, ...fromFile };
	const dialects = str(flags, "dialect");
	if (dialects !== undefined) config.dialects = dialects.split(",").map((d) => d.trim()) as Dialect[];
	for (const d of config.dialects) if (!DIALECTS.includes(d)) usage(`unknown dialect "${d}". Use ${DIALECTS.join(", ")} (comma-separated for several).`);
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
	if (!existsSync(schemaFile)) fail(`schema ${config.schema} not found. Pass --schema, set "schema" in sess.config.ts, or run \`sess init\`.`, "schema_not_found", 2);
	const model = ((await importUserModule(schemaFile, "schema")) as { default?: SessionModel }).default;
	if (model?.modelVersion !== 1) fail(`${config.schema} does not export a session schema. Make it \`export default defineSession({...})\`.`, "invalid_schema", 2);
	return model;
}

/**
 * Imports the app's config or schema module. A sess error it throws (a bad schema) passes through to the
 * CLI's one-line report; anything else (a syntax error, a missing import) is the module's own failure.
 */
async function importUserModule(path: string, what: "config" | "schema"): Promise<unknown> {
	try {
		return await import(pathToFileURL(path).href);
	} catch (e) {
		// A sess error (a bad schema) and a package missing from the app's folder have their own one-line reports.
		if (isSessError(e) || missingPackage(e) !== null) throw e;
		const reason = (e instanceof Error ? e.message : String(e)).split("\n")[0]?.replace(/\.$/, "");
		if (process.env.SESS_DEBUG === "1") throw e;
		fail(`cannot load the ${what} module ${relative(process.cwd(), path)}: ${reason}. Fix the module (rerun with SESS_DEBUG=1 for the full error).`, `${what}_load_failed`);
	}
}

/** A file's text, or null when it does not exist. */
export async function readOptional(path: string): Promise<string | null> {
	try {
		return await readFile(path, "utf8");
	} catch {
		return null;
	}
}
