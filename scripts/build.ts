// Builds dist/ (run by `npm pack` through "prepack", and by `npm run build`):
// - the runtime and schema entries: ESM JavaScript for every export with a "default" condition, one
//   module per source file shared across entries (a second copy of errors.ts would break `instanceof`),
//   dependencies left as imports;
// - the CLI (`bin`) and `sess/generator`: bundled with drizzle-kit, drizzle-orm and sucrase inside,
//   so those stay devDependencies and an app that only serves sessions never installs them;
// - .d.ts for every export.
// Bun runs the TypeScript source through the "bun" condition, so Bun-only entries get declarations
// but no JavaScript. package.json "exports" and "bin" are the single list of entry points.
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

type Conditions = { types: string; bun?: string; default?: string };
type Manifest = { exports: Record<string, Conditions | string>; bin: Record<string, string> };

const root = join(import.meta.dir, "..");
const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as Manifest;
const entries = Object.entries(manifest.exports).filter((e): e is [string, Conditions] => typeof e[1] !== "string");
const built = (source: string) => source.replace(/^\.\//, "./dist/").replace(/\.ts$/, ".js");
const sourceOf = (output: string) => output.replace(/^\.\/dist\//, "./").replace(/\.js$/, ".ts");

await rm(join(root, "dist"), { recursive: true, force: true });

// Bun-only entries ("default" under dist/bun-only/): elsewhere they resolve to a module that says in one line
// what to use instead, not to Node's ERR_PACKAGE_PATH_NOT_EXPORTED.
const BUN_ONLY = "./dist/bun-only/";
const bunOnly = entries.filter(([, c]) => c.bun !== undefined && c.default?.startsWith(BUN_ONLY) === true);
await mkdir(join(root, BUN_ONLY), { recursive: true });
for (const [name, c] of bunOnly) {
	const message = bunOnlyMessage(name.replace(/^\./, "sess"));
	await writeFile(join(root, c.default as string), `// ${name} runs on Bun only (the "bun" condition); any other runtime gets this.\nconst error = new Error(${JSON.stringify(message)});\nerror.code = "needs_bun";\nthrow error;\nexport {};\n`);
}

// Runtime entries: a "bun" source and its build as "default".
const runtimeEntries = entries.filter(([, c]) => c.bun !== undefined && c.default !== undefined && !c.default.startsWith(BUN_ONLY));
for (const [name, c] of runtimeEntries) {
	if (c.default !== built(c.bun as string)) fail(`exports["${name}"]: "default" must be the build of "bun" (${c.bun}).`);
}
// keepNames: bundling renames a class that two chunks both see (WeakKeyError → WeakKeyError2), and an uncaught
// error's first line shows the class's name; the user should read the name the docs give.
await bundle(runtimeEntries.map(([, c]) => c.bun as string), { packages: "external", minify: { whitespace: false, syntax: false, identifiers: false, keepNames: true } });

// Tool entries: the bin and the exports with no "bun" source, bundled with their heavy dependencies.
const toolOutputs = [...Object.values(manifest.bin), ...entries.filter(([, c]) => c.bun === undefined && c.default !== undefined).map(([, c]) => c.default as string)];
const toolSources = [...toolOutputs.map(sourceOf), "./generator/typescript-loader.ts"];
for (const source of toolSources) if (!existsSync(join(root, source))) fail(`${built(source)} has no source ${source}.`);
await bundle(toolSources, {
	// Resolved from the app at run time: zod must be the app's own copy (it holds the `.meta()` registry the
	// schema was declared with); Bun's clients exist only under Bun, and drizzle-kit's drivers are never used.
	external: ["zod", "@oslojs/*", "bun", "bun:*", ...DRIZZLE_DRIVERS()],
	// Whitespace and syntax only: names stay readable in a stack trace, the install is ~1.5 MB smaller.
	minify: { whitespace: true, syntax: true, identifiers: false },
});
for (const bin of Object.values(manifest.bin)) {
	const path = join(root, bin);
	const text = (await readFile(path, "utf8")).replace(/^#!.*\n/, "");
	await writeFile(path, `#!/usr/bin/env node\n${text}`);
	await chmod(path, 0o755);
}

const tsc = Bun.spawnSync(["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdout: "inherit", stderr: "inherit" });
if (tsc.exitCode !== 0) fail("tsc -p tsconfig.build.json failed.");
await rewriteDeclarationImports(join(root, "dist"));

// Deno resolves `sess` from source through deno.json; it must offer exactly the runtime entries Node gets.
const deno = JSON.parse(await readFile(join(root, "deno.json"), "utf8")) as { imports: Record<string, string> };
const expected = Object.fromEntries(runtimeEntries.map(([name, c]) => [name.replace(/^\./, "sess"), c.bun as string]));
if (JSON.stringify(Object.entries(deno.imports).sort()) !== JSON.stringify(Object.entries(expected).sort())) {
	fail(`deno.json "imports" must map exactly ${JSON.stringify(expected)}.`);
}

for (const [name, c] of entries) {
	for (const target of [c.types, c.default]) {
		if (target !== undefined && !existsSync(join(root, target))) fail(`exports["${name}"] names ${target}, which the build did not write (add its source to tsconfig.build.json "files").`);
	}
}

/** One Bun.build into dist/, keeping each entry's path (src/index.ts → dist/src/index.js). */
async function bundle(sources: string[], options: { packages?: "external"; external?: string[]; minify?: { whitespace: boolean; syntax: boolean; identifiers: boolean; keepNames?: boolean } }): Promise<void> {
	const result = await Bun.build({
		entrypoints: sources.map((s) => join(root, s)),
		root,
		outdir: join(root, "dist"),
		target: "node",
		format: "esm",
		splitting: true,
		naming: { entry: "[dir]/[name].[ext]", chunk: "chunks/[name]-[hash].[ext]" },
		...options,
	});
	if (!result.success) fail(result.logs.map(String).join("\n"));
}

/** What a Bun-only entry says when another runtime imports it. */
function bunOnlyMessage(entry: string): string {
	if (entry === "sess/adapters/bun") return `${entry} needs Bun (Bun.serve routes). On Node use withSession from sess/adapters/fetch with node:http, on Deno sess/adapters/deno (README, "Frameworks and runtimes").`;
	if (entry === "sess/migrate") return `${entry} needs Bun (its built-in database clients). On Node run \`npx sess migrate --db …\`, which uses node:sqlite, better-sqlite3, pg or mysql2 from your app.`;
	return `${entry} needs Bun (it uses Bun's built-in database clients). On Node or Deno use MemoryStore from sess/stores/memory, or a Store of your own over your driver (README, "Stores").`;
}

/** Database drivers drizzle-kit's API imports lazily for commands sess never calls (push, pull, studio). */
function DRIZZLE_DRIVERS(): string[] {
	return ["@libsql/client", "@neondatabase/serverless", "@planetscale/database", "@electric-sql/pglite", "@vercel/postgres", "@aws-sdk/*", "@tidbcloud/serverless", "better-sqlite3", "mysql2", "mysql2/*", "pg", "postgres", "ws", "gel", "@op-engineering/*", "@xata.io/*", "sql.js", "@libsql/*", "bufferutil", "utf-8-validate"];
}

/** Declarations keep the source's `./x.ts` specifiers; Node-style resolvers want `./x.js` next to `x.d.ts`. */
async function rewriteDeclarationImports(dir: string): Promise<void> {
	for (const entry of await readdir(dir, { recursive: true })) {
		if (!entry.endsWith(".d.ts")) continue;
		const path = join(dir, entry);
		const text = await readFile(path, "utf8");
		const rewritten = text.replace(/((?:from|import)\s*\(?\s*)(["'])(\.{1,2}\/[^"']*)\.ts\2/g, "$1$2$3.js$2");
		if (rewritten !== text) await writeFile(path, rewritten);
	}
}

function fail(message: string): never {
	process.stderr.write(`build: ${message}\n`);
	process.exit(1);
}
