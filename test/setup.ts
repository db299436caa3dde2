import { afterAll } from "bun:test";
import { removePackedTarball } from "./package/fresh-app.ts";

// The library reports through typed events and never logs: any console call during tests is a bug.
for (const method of ["log", "info", "warn", "error", "debug"] as const) {
	console[method] = (...args: unknown[]): void => {
		throw new Error(`console.${method} called during tests: ${args.map(String).join(" ").slice(0, 200)}`);
	};
}

// The packaging test and the README doctest share one `npm pack`; its folder goes after the last file.
afterAll(removePackedTarball);
