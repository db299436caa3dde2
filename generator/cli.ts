#!/usr/bin/env bun
// The `sess` command: argv → one of the commands in generator/cli/. The package's bin is this file
// built to dist/generator/cli.js (`#!/usr/bin/env node`), self-contained: drizzle-kit and drizzle-orm
// are bundled into it, so an app that only serves sessions never installs them. Each command is
// imported on first use, so `keygen` does not load the migration generator.
import { spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { register } from "node:module";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { HELP } from "./cli/help.ts";
import { fail, out, parseFlags, type Flags } from "./cli/io.ts";
import { SESS_VERSION } from "./version.ts";

type Command = {
	run: (flags: Flags) => Promise<void> | void;
	flags: readonly string[];
	/** Reads the app's TypeScript (config, schema), which Node needs a loader for. */
	readsTypeScript?: boolean;
	/** Uses Bun's database clients: on Node the command is handed to Bun when it is installed. */
	needsBun?: boolean;
};

const PATHS = ["config", "schema"];
const COMMANDS: Record<string, Command> = {
	init: { run: async (f) => (await import("./cli/init.ts")).runInit(f), flags: ["force"] },
	generate: { run: async (f) => (await import("./cli/generate.ts")).runGenerate(f), flags: [...PATHS, "out", "dialect", "migrations", "lock", "check", "watch", "js"], readsTypeScript: true },
	migrate: { run: async (f) => (await import("./cli/migrate.ts")).runMigrate(f), flags: ["db", "config", "migrations"], readsTypeScript: true, needsBun: true },
	prune: { run: async (f) => (await import("./cli/prune.ts")).runPrune(f), flags: ["db", ...PATHS, "limit"], readsTypeScript: true, needsBun: true },
	doctor: { run: async (f) => (await import("./cli/doctor.ts")).runDoctor(f), flags: [...PATHS, "keys"], readsTypeScript: true },
	keygen: { run: () => out(encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)))), flags: [] },
};

const onNode = process.versions.bun === undefined && (globalThis as { Deno?: unknown }).Deno === undefined;

/** Entry point of the `sess` command. */
export async function main(argv: string[]): Promise<void> {
	const [command, ...rest] = argv;
	if (command === undefined || command === "--help" || command === "-h" || command === "help") return out(HELP.main as string);
	if (command === "--version") return out(SESS_VERSION);
	const spec = COMMANDS[command];
	if (spec === undefined) fail(`unknown command "${command}".\n\n${HELP.main}`, 2);
	const flags = parseFlags(rest, spec.flags);
	if (flags.help === true) return out(HELP[command] as string);
	if (onNode && spec.needsBun === true) handToBun(command, argv);
	if (onNode && spec.readsTypeScript === true) registerTypeScriptLoader();
	try {
		await spec.run(flags);
	} catch (e) {
		if (isSessError(e)) fail(`${e.message} [${e.code}]`);
		const missing = missingPackage(e);
		if (missing !== null) {
			fail(`${relative(process.cwd(), missing.from) || missing.from} imports "${missing.name}", which is not installed in this folder. Run \`npm install sess zod\` (or \`bun add sess zod\`) here first. [missing_package]`);
		}
		throw e;
	}
}

/** The package an import of the app's own files could not find (Node's and Bun's wording), or null. */
function missingPackage(e: unknown): { name: string; from: string } | null {
	const m = /Cannot find (?:package|module) ['"]([^'"]+)['"] (?:imported )?from ['"]?([^'"\s]+)/.exec(e instanceof Error ? e.message : String(e));
	if (m === null || (m[1] as string).startsWith(".") || (m[2] as string).includes("/node_modules/")) return null;
	return { name: m[1] as string, from: (m[2] as string).replace(/^file:\/\//, "") };
}

/**
 * A SessError from any copy of sess: the app's schema imports `sess/schema` from its own
 * node_modules, a different module instance from the CLI's bundle, so `instanceof` cannot tell.
 */
function isSessError(e: unknown): e is Error & { code: string } {
	if (!(e instanceof Error) || e.constructor === Error) return false;
	const code: unknown = (e as { code?: unknown }).code;
	return typeof code === "string" && /^[a-z_]+$/.test(code) && /Error$/.test(e.name);
}

/** Node cannot import `.ts`; from 20.6 on, module hooks can (see typescript-loader.ts). */
function registerTypeScriptLoader(): void {
	if (typeof register !== "function") {
		fail(`Node ${process.versions.node} cannot load TypeScript schema files. Use Node 20.6 or newer, or run \`bunx sess …\` with Bun.`);
	}
	const here = import.meta.url;
	register(new URL(here.endsWith(".ts") ? "./typescript-loader.ts" : "./typescript-loader.js", here));
}

/** migrate and prune use Bun's SQLite, PostgreSQL, MySQL and Redis clients; run them under Bun when it is on the PATH. */
function handToBun(command: string, argv: string[]): void {
	const bun = spawnSync("bun", [fileURLToPath(import.meta.url), ...argv], { stdio: "inherit" });
	if (bun.error === undefined) process.exit(bun.status ?? 1);
	fail(`${command} needs Bun (it talks to databases through Bun's built-in clients). Install Bun (https://bun.sh) and run \`bunx sess ${command} …\`, or apply the SQL in your migrations folder with \`drizzle-kit migrate\`.`);
}

/** True when this module is the program (`sess …` or `bun generator/cli.ts …`), not an import. */
function invokedDirectly(): boolean {
	// Not import.meta.main: bundling for Node rewrites it into `require.main`, which ESM lacks.
	const script = process.argv[1];
	return script !== undefined && realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
}

if (invokedDirectly()) await main(process.argv.slice(2));
