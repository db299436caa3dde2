// Summarises a .cpuprofile (Chrome/V8 format, as `bun --cpu-prof` writes it): self and total time per function.
// Run: bun bench/lib/cpuprofile.ts FILE.cpuprofile [top=25] [filter]
import { readFileSync } from "node:fs";

interface Node {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
	hitCount?: number;
}
interface Profile {
	nodes: Node[];
	samples?: number[];
	timeDeltas?: number[];
	startTime: number;
	endTime: number;
}

export interface FunctionCost {
	name: string;
	selfPct: number;
	totalPct: number;
}

/** Self and total (inclusive) share of samples per function name + location. */
export function summarize(profile: Profile): FunctionCost[] {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const hits = new Map<number, number>();
	if (profile.samples !== undefined) for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
	else for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
	const total = [...hits.values()].reduce((a, b) => a + b, 0) || 1;
	const key = (n: Node) => {
		const file = n.callFrame.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes("node_modules") ? "node_modules/" : ""));
		return `${n.callFrame.functionName || "(anonymous)"} ${file}:${n.callFrame.lineNumber + 1}`;
	};
	const self = new Map<string, number>();
	const inclusive = new Map<string, number>();
	const walk = (id: number, stack: Set<string>): number => {
		const n = byId.get(id) as Node;
		let sum = hits.get(id) ?? 0;
		const k = key(n);
		self.set(k, (self.get(k) ?? 0) + sum);
		const nextStack = new Set(stack).add(k);
		for (const c of n.children ?? []) sum += walk(c, nextStack);
		// Count a function once per stack even when it recurses.
		if (!stack.has(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + sum);
		return sum;
	};
	const children = new Set(profile.nodes.flatMap((n) => n.children ?? []));
	for (const n of profile.nodes) if (!children.has(n.id)) walk(n.id, new Set());
	return [...self.keys()]
		.map((name) => ({ name, selfPct: (100 * (self.get(name) ?? 0)) / total, totalPct: (100 * (inclusive.get(name) ?? 0)) / total }))
		.sort((a, b) => b.selfPct - a.selfPct);
}

if (import.meta.main) {
	const [file = "", topArg = "25", filter = ""] = process.argv.slice(2);
	const costs = summarize(JSON.parse(readFileSync(file, "utf8")) as Profile).filter((c) => c.name.includes(filter));
	const top = Number(topArg);
	console.log("self%   total%  function");
	for (const c of costs.slice(0, top)) console.log(`${c.selfPct.toFixed(1).padStart(5)}  ${c.totalPct.toFixed(1).padStart(6)}  ${c.name}`);
	console.log("\nby total (inclusive):");
	for (const c of [...costs].sort((a, b) => b.totalPct - a.totalPct).slice(0, top)) console.log(`${c.selfPct.toFixed(1).padStart(5)}  ${c.totalPct.toFixed(1).padStart(6)}  ${c.name}`);
}
