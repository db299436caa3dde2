// CPU time of importing the generated module (with the runtime it pulls in), in fresh Bun processes:
// process.cpuUsage() around the import, so the other tenants of a loaded machine move it less than wall
// clock. Compares checkouts (e.g. a worktree of main for "before") in alternating order.
//
//   bun bench/startup-cpu.ts [--rounds 31] [ROOT...]      # default ROOT: this checkout
import { join, resolve } from "node:path";
import { median, sig, table } from "./lib/stats.ts";

const args = process.argv.slice(2);
const at = args.indexOf("--rounds");
const rounds = at >= 0 ? Number(args[at + 1]) : 31;
const roots = args.filter((a, i) => a !== "--rounds" && args[i - 1] !== "--rounds").map((r) => resolve(r));
if (roots.length === 0) roots.push(resolve(import.meta.dir, ".."));

const PROBE = `
const t = process.cpuUsage();
const mod = await import(process.env.SESS_TARGET);
const d = process.cpuUsage(t);
if (typeof mod.createSessions !== "function") throw new Error("no createSessions");
console.log(JSON.stringify({ us: d.user + d.system, modules: Object.keys(require.cache).length }));
`;

const samples = new Map<string, { us: number[]; modules: number }>(roots.map((r) => [r, { us: [], modules: 0 }]));
for (let i = 0; i < rounds; i++) {
	for (const root of i % 2 === 0 ? roots : [...roots].reverse()) {
		const p = Bun.spawnSync([process.execPath, "-e", PROBE], { cwd: root, env: { ...process.env, SESS_TARGET: join(root, "examples", "demo", "src", "generated", "session.ts") } });
		if (p.exitCode !== 0) throw new Error(p.stderr.toString());
		const s = JSON.parse(p.stdout.toString().trim()) as { us: number; modules: number };
		const entry = samples.get(root) as { us: number[]; modules: number };
		entry.us.push(s.us);
		entry.modules = s.modules;
	}
}
process.stdout.write(`${table(["checkout", "import CPU ms (median)", "min", "modules"], roots.map((r) => {
	const s = samples.get(r) as { us: number[]; modules: number };
	return [r, sig(median(s.us) / 1000), sig(Math.min(...s.us) / 1000), String(s.modules)];
}))}\n`);
