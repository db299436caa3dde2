#!/usr/bin/env bun
// The `sess` command: argv → one of the commands in generator/cli/. The package's bin is this file
// built to dist/generator/cli.js (`#!/usr/bin/env node`), self-contained: drizzle-kit and drizzle-orm
// are bundled into it, so an app that only serves sessions never installs them. Each command is
// imported on first use, so `keygen` does not load the migration generator.
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
// A namespace import: a named `register` import would fail to link on Node older than 20.6, with a stack trace, before any check could run.
import * as nodeModule from "node:module";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { HELP } from "./cli/help.ts";
import { fail, isSessError, missingPackage, out, parseFlags, usage, type Flags } from "./cli/io.ts";
import { SESS_VERSION } from "./version.ts";
import { MIN_NODE, nodeTooOld } from "./node-version.ts";

type Command = {
	run: (flags: Flags) => Promise<void> | void;
	flags: readonly string[];
	/** Reads the app's TypeScript (config, schema), which Node needs a loader for. */
	readsTypeScript?: boolean;
};

const PATHS = ["config", "schema"];
const COMMANDS: Record<string, Command> = {
	init: { run: async (f) => (await import("./cli/init.ts")).runInit(f), flags: ["force"] },
	generate: { run: async (f) => (await import("./cli/generate.ts")).runGenerate(f), flags: [...PATHS, "out", "dialect", "migrations", "lock", "check", "watch", "js"], readsTypeScript: true },
	migrate: { run: async (f) => (await import("./cli/migrate.ts")).runMigrate(f), flags: ["db", "config", "migrations"], readsTypeScript: true },
	prune: { run: async (f) => (await import("./cli/prune.ts")).runPrune(f), flags: ["db", ...PATHS, "limit"], readsTypeScript: true },
	doctor: { run: async (f) => (await import("./cli/doctor.ts")).runDoctor(f), flags: [...PATHS, "keys"], readsTypeScript: true },
	keygen: { run: () => out(encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)))), flags: [] },
};

const onNode = process.versions.bun === undefined && (globalThis as { Deno?: unknown }).Deno === undefined;

/** Entry point of the `sess` command. */
export async function main(argv: string[]): Promise<void> {
	const [command, ...rest] = argv;
	if (command === undefined || command === "--help" || command === "-h" || command === "help") return out(HELP.main as string);
	if (command === "--version") return out(SESS_VERSION);
	if (onNode && nodeTooOld(process.versions.node)) {
		fail(`the sess command needs Node ${MIN_NODE} or newer (module hooks, to load your TypeScript schema), and this is Node ${process.versions.node}. Upgrade Node, or run \`bunx sess …\` with Bun.`, "needs_newer_node");
	}
	const spec = COMMANDS[command];
	if (spec === undefined) usage(`unknown command "${command}". Run \`sess --help\` to see the commands.`);
	const flags = parseFlags(rest, spec.flags, command);
	if (flags.help === true) return out(HELP[command] as string);
	if (onNode && spec.readsTypeScript === true) registerTypeScriptLoader();
	try {
		await spec.run(flags);
	} catch (e) {
		// Under Node, migrate and prune use the app's own driver; without it, Bun (if installed) has one built in.
		if (isSessError(e) && e.code === "needs_driver" && onNode) handToBun(argv, e.message);
		if (isSessError(e)) fail(e.message, e.code);
		const missing = missingPackage(e);
		if (missing !== null) {
			fail(`${relative(process.cwd(), missing.from) || missing.from} imports "${missing.name}", which is not installed in this folder. Run \`npm install sess zod\` (or \`bun add sess zod\`) here first.`, "missing_package");
		}
		// Not a failure sess foresaw: still one line, with the stack only on request.
		if (process.env.SESS_DEBUG === "1") throw e;
		const reason = (e instanceof Error ? e.message : String(e)).split("\n")[0]?.replace(/\.$/, "");
		fail(`${command} failed unexpectedly: ${reason}. Rerun with SESS_DEBUG=1 for the stack trace, and report it if sess is at fault.`, "unexpected");
	}
}

/** Node cannot import `.ts`; from 20.6 on, module hooks can (see typescript-loader.ts). */
function registerTypeScriptLoader(): void {
	const here = import.meta.url;
	nodeModule.register(new URL(here.endsWith(".ts") ? "./typescript-loader.ts" : "./typescript-loader.js", here));
}

/** Runs the command again under Bun, whose database clients are built in, when Bun can be found; else prints `message`. */
function handToBun(argv: string[], message: string): never {
	const bun = spawnSync(bunExecutable(), [fileURLToPath(import.meta.url), ...argv], { stdio: "inherit" });
	if (bun.error === undefined) process.exit(bun.status ?? 1);
	return fail(message, "needs_driver");
}

/**
 * The Bun that launched `bunx sess …` (bunx runs a bin whose shebang names node under Node, and says so in
 * npm_config_user_agent and npm_execpath, without putting itself on the PATH), else `bun` from the PATH.
 */
function bunExecutable(): string {
	const launcher = process.env.npm_execpath;
	const byBun = process.env.npm_config_user_agent?.startsWith("bun/") === true;
	return byBun && launcher !== undefined && existsSync(launcher) ? launcher : "bun";
}

/** True when this module is the program (`sess …` or `bun generator/cli.ts …`), not an import. */
function invokedDirectly(): boolean {
	// Not import.meta.main: bundling for Node rewrites it into `require.main`, which ESM lacks.
	const script = process.argv[1];
	return script !== undefined && realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
}

if (invokedDirectly()) await main(process.argv.slice(2));
