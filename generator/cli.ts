#!/usr/bin/env bun
// The `sess` command: argv → one of the commands in generator/cli/.
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { SessError } from "../src/errors.ts";
import { runDoctor } from "./cli/doctor.ts";
import { runGenerate } from "./cli/generate.ts";
import { HELP } from "./cli/help.ts";
import { runInit } from "./cli/init.ts";
import { fail, out, parseFlags, type Flags } from "./cli/io.ts";
import { runMigrate } from "./cli/migrate.ts";
import { runPrune } from "./cli/prune.ts";
import { SESS_VERSION } from "./version.ts";

type Command = { run: (flags: Flags) => Promise<void> | void; flags: readonly string[] };

const PATHS = ["config", "schema"];
const COMMANDS: Record<string, Command> = {
	init: { run: runInit, flags: ["force"] },
	generate: { run: runGenerate, flags: [...PATHS, "out", "dialect", "migrations", "lock", "check", "watch", "js"] },
	migrate: { run: runMigrate, flags: ["db", "config", "migrations"] },
	prune: { run: runPrune, flags: ["db", ...PATHS, "limit"] },
	doctor: { run: runDoctor, flags: [...PATHS, "keys"] },
	keygen: { run: () => out(encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)))), flags: [] },
};

/** Entry point of the `sess` command. */
export async function main(argv: string[]): Promise<void> {
	const [command, ...rest] = argv;
	if (command === undefined || command === "--help" || command === "-h" || command === "help") return out(HELP.main as string);
	if (command === "--version") return out(SESS_VERSION);
	const spec = COMMANDS[command];
	if (spec === undefined) fail(`unknown command "${command}".\n\n${HELP.main}`, 2);
	const flags = parseFlags(rest, spec.flags);
	if (flags.help === true) return out(HELP[command] as string);
	try {
		await spec.run(flags);
	} catch (e) {
		if (e instanceof SessError) fail(`${e.message} [${e.code}]`);
		throw e;
	}
}

if (import.meta.main) await main(process.argv.slice(2));
