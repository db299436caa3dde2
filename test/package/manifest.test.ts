// The tarball `npm pack` makes from this checkout: every file package.json points at is in it, the
// runtime entries import neither Zod nor drizzle, and the bin needs no package the manifest does not
// install for the user.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, normalize } from "node:path";
import { root, run } from "./fresh-app.ts";

type Conditions = string | { [condition: string]: Conditions };
type Manifest = {
	main: string;
	module: string;
	types: string;
	bin: Record<string, string>;
	exports: Record<string, Conditions>;
	dependencies: Record<string, string>;
	peerDependencies: Record<string, string>;
};

const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
let packed: Promise<Set<string>> | undefined;

/** The file list of `npm pack --dry-run --json` (which runs "prepack", the build). */
function packedFiles(): Promise<Set<string>> {
	packed ??= run(["npm", "pack", "--dry-run", "--json"], { cwd: root }).then((ran) => {
		if (ran.code !== 0) throw new Error(`npm pack --dry-run failed:\n${ran.stderr}`);
		const [info] = JSON.parse(ran.stdout.slice(ran.stdout.indexOf("["))) as { files: { path: string }[] }[];
		return new Set((info as { files: { path: string }[] }).files.map((f) => f.path));
	});
	return packed;
}

function targets(c: Conditions): string[] {
	return typeof c === "string" ? [c] : Object.values(c).flatMap(targets);
}

const bare = (path: string) => normalize(path).replace(/^\.\//, "");

/** Every bare specifier a built module and the modules it imports statically (and lazily, with `lazy`) name. */
function importedPackages(entry: string, lazy: boolean): Set<string> {
	const seen = new Set<string>();
	const packages = new Set<string>();
	const pattern = lazy ? /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g : /(?:\bfrom\s*|\bimport\s+)["']([^"']+)["']/g;
	const visit = (file: string) => {
		if (seen.has(file)) return;
		seen.add(file);
		for (const [, specifier] of readFileSync(file, "utf8").matchAll(pattern)) {
			const s = specifier as string;
			if (s.startsWith(".")) visit(join(dirname(file), s));
			else packages.add(s);
		}
	};
	visit(join(root, entry));
	return packages;
}

const packageName = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
const isBuiltin = (s: string) => s.startsWith("node:") || s.startsWith("bun:") || s === "bun" || builtinModules.includes(s);

describe("npm pack", () => {
	test("ships every path that main, module, types, bin and exports name", async () => {
		const files = await packedFiles();
		const named = [manifest.main, manifest.module, manifest.types, ...Object.values(manifest.bin), ...Object.values(manifest.exports).flatMap(targets)];
		const missing = named.map(bare).filter((path) => !files.has(path));
		expect(missing).toEqual([]);
		expect(named.length).toBeGreaterThan(40);
	}, 120_000);

	test("the bin is built JavaScript that starts with a node shebang", async () => {
		await packedFiles();
		for (const bin of Object.values(manifest.bin)) {
			expect(bin).toEndWith(".js");
			expect(readFileSync(join(root, bin), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
		}
	}, 120_000);

	test("the generator's heavy dependencies are not installed with sess", () => {
		for (const heavy of ["drizzle-kit", "drizzle-orm", "esbuild", "tsx", "sucrase"]) {
			expect(Object.keys(manifest.dependencies)).not.toContain(heavy);
			expect(Object.keys(manifest.peerDependencies)).not.toContain(heavy);
		}
	});

	test("the runtime entries, built for Node, import neither Zod nor drizzle, even lazily", async () => {
		await packedFiles();
		for (const [name, c] of Object.entries(manifest.exports)) {
			if (typeof c === "string" || name === "./schema" || name === "./generator" || c.default === undefined) continue;
			const packages = [...importedPackages(c.default as string, true)].map(packageName);
			expect({ name, packages: packages.filter((p) => p === "zod" || p.startsWith("drizzle")) }).toEqual({ name, packages: [] });
		}
	}, 120_000);

	test("the bin and sess/generator statically import only builtins, dependencies and peer dependencies", async () => {
		await packedFiles();
		const installed = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
		for (const entry of [...Object.values(manifest.bin), (manifest.exports["./generator"] as { default: string }).default]) {
			const unmet = [...importedPackages(entry, false)].filter((s) => !isBuiltin(s) && !installed.has(packageName(s)));
			expect({ entry, unmet }).toEqual({ entry, unmet: [] });
		}
	}, 120_000);
});
