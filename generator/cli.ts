#!/usr/bin/env bun
// The `sess` command: argv → one of the commands in generator/cli/.
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { SessError } from "../src/errors.ts";
import { runDoctor } from "./cli/doctor.ts";
import { runGenerate } from "./cli/generate.ts";
import { HELP } from "./cli/help.ts";
import { runInit } from "./cli/init.ts";
import { fail, out, parseFlags } from "./cli/io.ts";
import { runMigrate } from "./cli/migrate.ts";
import { runPrune } from "./cli/prune.ts";
import { SESS_VERSION } from "./version.ts";

const COMMANDS: Record<string, (flags: ReturnType<typeof parseFlags>) => Promise<void> | void> = {
	init: runInit,
	generate: runGenerate,
	migrate: runMigrate,
	prune: runPrune,
	doctor: runDoctor,
	keygen: () => out(encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)))),
};

/** Entry point of the `sess` command. */
export async function main(argv: string[]): Promise<void> {
	const [command, ...rest] = argv;
	if (command === undefined || command === "--help" || command === "-h" || command === "help") return out(HELP.main as string);
	if (command === "--version") return out(SESS_VERSION);
	const run = COMMANDS[command];
	if (run === undefined) fail(`unknown command "${command}".\n\n${HELP.main}`, 2);
	const flags = parseFlags(rest);
	if (flags.help === true) return out(HELP[command] as string);
	try {
		await run(flags);
	} catch (e) {
		if (e instanceof SessError) fail(`${e.message} [${e.code}]`);
		throw e;
	}
}

if (import.meta.main) await main(process.argv.slice(2));
