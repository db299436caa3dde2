// The house follows the pipeline: schema/ is the bottom floor (it imports nothing from src/ or
// generator/), and the codec modules form no import cycle. Imports are read from the source text,
// type-only ones included, so a cycle cannot hide behind `import type`.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function files(dir: string): string[] {
	const out: string[] = [];
	for (const name of readdirSync(join(ROOT, dir))) {
		const path = join(dir, name);
		if (statSync(join(ROOT, path)).isDirectory()) out.push(...files(path));
		else if (name.endsWith(".ts")) out.push(path);
	}
	return out;
}

/** Relative imports of a file, as repository paths. */
function importsOf(file: string): string[] {
	const text = readFileSync(join(ROOT, file), "utf8");
	const out: string[] = [];
	for (const m of text.matchAll(IMPORT)) {
		const spec = m[1] ?? m[2];
		if (spec === undefined || !spec.startsWith(".")) continue;
		out.push(relative(ROOT, resolve(ROOT, dirname(file), spec)));
	}
	return out;
}

/** Every import cycle among `nodes`, each as the list of files around it. */
function cycles(nodes: string[]): string[][] {
	return cyclesIn(new Map(nodes.map((f) => [f, importsOf(f).filter((g) => nodes.includes(g))])));
}

function cyclesIn(graph: Map<string, string[]>): string[][] {
	const found: string[][] = [];
	const state = new Map<string, "open" | "done">();
	const stack: string[] = [];
	const visit = (f: string): void => {
		state.set(f, "open");
		stack.push(f);
		for (const g of graph.get(f) ?? []) {
			if (state.get(g) === "open") found.push(stack.slice(stack.indexOf(g)));
			else if (state.get(g) === undefined) visit(g);
		}
		stack.pop();
		state.set(f, "done");
	};
	for (const f of graph.keys()) if (state.get(f) === undefined) visit(f);
	return found;
}

describe("module layering", () => {
	test("schema/ imports nothing from src/ or generator/", () => {
		const offending = files("schema").flatMap((f) => importsOf(f).filter((g) => !g.startsWith("schema/")).map((g) => `${f} → ${g}`));
		expect(offending).toEqual([]);
	});

	test("the schema floor and the codec modules have no import cycle", () => {
		const mine = [...files("schema"), ...files("src").filter((f) => /^src\/(codec|wire|value-codec|errors)/.test(f))];
		expect(cycles(mine)).toEqual([]);
	});

	test("the cycle finder finds cycles (it is not vacuous)", () => {
		const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
		expect(cyclesIn(graph)).toEqual([["a", "b", "c"]]);
		expect(cyclesIn(new Map([["a", ["b"]], ["b", []]]))).toEqual([]);
		expect(importsOf("src/codec.ts")).toContain("src/codec-object.ts");
		expect(importsOf("schema/define.ts")).toContain("schema/introspect.ts");
	});
});
