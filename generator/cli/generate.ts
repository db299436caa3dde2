import { spawn } from "node:child_process";
import { existsSync, watch } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Lock } from "../../schema/lock.ts";
import { generate } from "../generate.ts";
import { readMigrationFolder } from "../migrate.ts";
import type { Dialect, MigrationFolder } from "../migrations.ts";
import { fail, loadConfig, loadModel, out, paint, readOptional, type Flags } from "./io.ts";

/** `sess generate [--check] [--watch]`. */
export async function runGenerate(flags: Flags): Promise<void> {
	if (flags.watch === true) return watchSchema(flags);
	const { root, config } = await loadConfig(flags);
	const model = await loadModel(root, config);
	const lockText = await readOptional(join(root, config.lock));
	const migrations: Partial<Record<Dialect, MigrationFolder>> = {};
	for (const d of config.dialects) migrations[d] = await readMigrationFolder(join(root, config.migrations, d));
	const files = await generate({
		model, schemaPath: config.schema.replaceAll("\\", "/"), lock: lockText === null ? null : (JSON.parse(lockText) as Lock), migrations, config,
	});
	if (config.js === true) await checkModuleScope(root, config.out, files);
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
		const other = otherLanguage(root, stale);
		if (other !== undefined) {
			fail(
				other.missing.endsWith(".ts")
					? `${other.missing} does not exist, but ${other.present} does (written by \`sess generate --js\`). Run \`sess generate --check --js\`, or set js: true in sess.config.ts so that generate and --check both mean JavaScript.`
					: `${other.missing} does not exist, but ${other.present} does (written by \`sess generate\` without --js). Run \`sess generate --check\` without --js, or \`sess generate --js\` to switch to JavaScript.`,
				"stale",
			);
		}
		if (stale.length > 0) fail(`generated files are stale: ${stale.join(", ")}. Run \`sess generate${flags.js === true ? " --js" : ""}\` and commit the result.`, "stale");
		out("sess: generated files are up to date.");
	} else {
		out(stale.length === 0 ? "sess: nothing to generate; everything is up to date." : `sess: wrote\n${stale.map((p) => `  ${paint(p, "green")}`).join("\n")}`);
	}
}

/**
 * `--js` writes ES modules. Into a folder of their own they bring a package.json saying so; that file is
 * never written over one the app made, and into the project root (whose package.json is the app's) only
 * when the app is already `"type": "module"`: otherwise Node would load session.js as CommonJS and fail.
 */
async function checkModuleScope(root: string, outDir: string, files: { path: string; contents: string }[]): Promise<void> {
	const own = files.find((f) => f.path.endsWith("package.json"));
	if (own !== undefined) {
		const existing = await readOptional(join(root, own.path));
		if (existing !== null && existing !== own.contents && !existing.includes("sess generate --js")) {
			fail(`${own.path} exists and is not the one \`sess generate --js\` writes; the generated modules need their folder to be "type": "module". Set out: in sess.config.ts to a folder of their own.`, "invalid_config");
		}
		return;
	}
	const app = await readOptional(join(root, "package.json"));
	let type: unknown;
	try {
		type = app === null ? undefined : (JSON.parse(app) as { type?: unknown }).type;
	} catch {
		type = undefined;
	}
	if (type !== "module") {
		fail(`out: "${outDir}" puts session.js beside package.json, which does not say "type": "module", so Node would load it as CommonJS. Add "type": "module" to package.json, or set out: in sess.config.ts to a folder of its own (sess then marks that folder as ES modules).`, "invalid_config");
	}
}

/** A generated module the check wants that does not exist while its other-language twin does (`.ts` ↔ `.js`). */
function otherLanguage(root: string, stale: string[]): { missing: string; present: string } | undefined {
	for (const path of stale) {
		if (path.endsWith(".d.ts") || !/\.[jt]s$/.test(path) || existsSync(join(root, path))) continue;
		const twin = path.endsWith(".ts") ? path.replace(/\.ts$/, ".js") : path.replace(/\.js$/, ".ts");
		if (existsSync(join(root, twin))) return { missing: path, present: twin };
	}
	return undefined;
}

/**
 * Regenerates whenever the schema's folder changes. Each run is a fresh process: a module once
 * imported stays cached, so re-importing here would keep generating the old schema.
 */
async function watchSchema(flags: Flags): Promise<void> {
	const { root, config } = await loadConfig(flags);
	const args = process.argv.slice(2).filter((a) => a !== "--watch");
	let timer: ReturnType<typeof setTimeout> | undefined;
	let running: Promise<void> = Promise.resolve();
	const run = (): void => {
		running = running.then(async () => {
			// node:child_process, not Bun.spawn: `npx sess generate --watch` runs on Node.
			await new Promise<void>((resolve) => spawn(process.execPath, [...process.execArgv, process.argv[1] as string, ...args], { stdio: "inherit" }).on("close", () => resolve()));
		});
	};
	run();
	out(paint(`sess: watching ${dirname(config.schema)}/ (Ctrl-C to stop)`, "dim"));
	watch(join(root, dirname(config.schema)), { recursive: true }, () => {
		// Editors write a file in several steps; one regeneration per burst is enough.
		clearTimeout(timer);
		timer = setTimeout(run, 150);
	});
	await new Promise<never>(() => {});
}
