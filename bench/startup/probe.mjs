// One cold start: imports the given module (then the runtime entry, already loaded by it) and prints
// how long the import took and, when asked, how many modules were loaded. Runs on Bun and on Node.
// usage: <bun|node> probe.mjs <module> [count-file]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [target, countFile] = process.argv.slice(2);
const t0 = performance.now();
const mod = await import(pathToFileURL(target).href);
const ms = performance.now() - t0;
if (typeof mod.createSessions !== "function") throw new Error(`${target} has no createSessions`);
let modules = null;
let zod = null;
if (typeof Bun !== "undefined") {
	const keys = Object.keys(require.cache);
	modules = keys.length;
	zod = keys.filter((k) => k.includes("/node_modules/zod/")).length;
} else if (countFile !== undefined) {
	const urls = readFileSync(countFile, "utf8").split("\n").filter((u) => u.startsWith("file:"));
	modules = new Set(urls).size;
	zod = [...new Set(urls)].filter((u) => u.includes("/node_modules/zod/")).length;
}
process.stdout.write(`${JSON.stringify({ ms, modules, zod })}\n`);
