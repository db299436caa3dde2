// Start-up cost of a server's session code: a fresh process imports the generated module (which pulls
// in the runtime entry), on Bun (the TypeScript module) and on Node 20 (the same module as JavaScript,
// against the built dist/). Reports the import time (median over fresh processes) and the modules loaded.
//
//   bun bench/startup.ts [--rounds 15] [--root DIR]
//
// --root measures another checkout of the repository (e.g. a worktree of an earlier commit, for
// "before" numbers); it must have node_modules and a built dist/ (`bun scripts/build.ts`).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
};
const rounds = Number(flag("rounds", "15"));
const root = resolve(flag("root", join(import.meta.dir, "..")));
const probe = join(import.meta.dir, "startup", "probe.mjs");

// Node runs JavaScript: the generated module with its types stripped, importing `sess` (the package's
// own name, so Node resolves it to dist/ through package.json "exports"), placed inside the package.
const tsModule = join(root, "examples", "demo", "src", "generated", "session.ts");
const jsFolder = join(root, ".startup");
mkdirSync(jsFolder, { recursive: true });
const jsModule = join(jsFolder, "session.mjs");
writeFileSync(jsModule, new Bun.Transpiler({ loader: "ts" }).transformSync(readFileSync(tsModule, "utf8")));

interface Sample {
	ms: number;
	modules: number | null;
	zod: number | null;
}

function once(cmd: string[], env: Record<string, string> = {}): Sample {
	const p = Bun.spawnSync(cmd, { cwd: root, env: { ...process.env, ...env } });
	if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed:\n${p.stderr.toString()}`);
	return JSON.parse(p.stdout.toString().trim().split("\n").pop() as string) as Sample;
}

const median = (xs: number[]): number => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)] as number;
};

const bun: number[] = [];
const node: number[] = [];
let bunSample: Sample | undefined;
for (let i = 0; i < rounds; i++) {
	// Alternate the runtimes so drift on this shared machine hits both alike.
	bunSample = once([process.execPath, probe, tsModule]);
	bun.push(bunSample.ms);
	node.push(once(["node", probe, jsModule]).ms);
}
const countDir = mkdtempSync(join(tmpdir(), "sess-startup-"));
const countFile = join(countDir, "urls.txt");
writeFileSync(countFile, "");
const nodeCount = once(["node", "--import", join(import.meta.dir, "startup", "register-count.mjs"), probe, jsModule, countFile], { SESS_COUNT_FILE: countFile });
rmSync(countDir, { recursive: true, force: true });
rmSync(jsFolder, { recursive: true, force: true });

const fmt = (xs: number[]): string => `${median(xs).toFixed(1)} ms [${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]`;
console.log(`root: ${root}; ${rounds} fresh processes per runtime`);
console.log("| runtime | import of the generated module, cold: median [min–max] | modules loaded | of them zod |");
console.log("|---|---|---|---|");
console.log(`| Bun ${Bun.version} (session.ts) | ${fmt(bun)} | ${bunSample?.modules} | ${bunSample?.zod} |`);
console.log(`| Node ${process.versions.node === undefined ? "" : Bun.spawnSync(["node", "--version"]).stdout.toString().trim()} (session.mjs → dist/) | ${fmt(node)} | ${nodeCount.modules} | ${nodeCount.zod} |`);
