// Builds dist/ for Node and Deno: ESM JavaScript for every export with a "default" condition (the
// entry points without a bun: import) and .d.ts for every export. Bun runs the TypeScript source
// through the "bun" condition, so Bun-only entries get declarations but no JavaScript.
// Run with `bun scripts/build.ts`; package.json "exports" is the single list of entry points.
import { existsSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

type Conditions = { types: string; bun: string; default?: string };

const root = join(import.meta.dir, "..");
const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { exports: Record<string, Conditions | string> };
const entries = Object.entries(manifest.exports).filter((e): e is [string, Conditions] => typeof e[1] !== "string");

await rm(join(root, "dist"), { recursive: true, force: true });

const nodeEntries = entries.filter(([, c]) => c.default !== undefined);
for (const [name, c] of nodeEntries) {
	if (c.default !== c.bun.replace(/^\.\//, "./dist/").replace(/\.ts$/, ".js")) fail(`exports["${name}"]: "default" must be the build of "bun" (${c.bun}).`);
}
const built = await Bun.build({
	entrypoints: nodeEntries.map(([, c]) => join(root, c.bun)),
	root,
	outdir: join(root, "dist"),
	target: "node",
	format: "esm",
	packages: "external",
	// One copy of each module across entry points: a second copy of errors.ts would break `instanceof`.
	splitting: true,
	naming: { entry: "[dir]/[name].[ext]", chunk: "chunks/[name]-[hash].[ext]" },
});
if (!built.success) fail(built.logs.map(String).join("\n"));

const tsc = Bun.spawnSync(["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdout: "inherit", stderr: "inherit" });
if (tsc.exitCode !== 0) fail("tsc -p tsconfig.build.json failed.");
await rewriteDeclarationImports(join(root, "dist"));

// Deno resolves `sess` from source through deno.json; it must offer exactly the entries Node gets.
const deno = JSON.parse(await readFile(join(root, "deno.json"), "utf8")) as { imports: Record<string, string> };
const expected = Object.fromEntries(nodeEntries.map(([name, c]) => [name.replace(/^\./, "sess"), c.bun]));
if (JSON.stringify(Object.entries(deno.imports).sort()) !== JSON.stringify(Object.entries(expected).sort())) {
	fail(`deno.json "imports" must map exactly ${JSON.stringify(expected)}.`);
}

for (const [name, c] of entries) {
	for (const target of [c.types, c.default]) {
		if (target !== undefined && !existsSync(join(root, target))) fail(`exports["${name}"] names ${target}, which the build did not write (add its source to tsconfig.build.json "files").`);
	}
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
