// Node module hooks that let `sess` import the app's TypeScript (sess.config.ts, schema/session.ts)
// on Node ≥ 20.6, which cannot run TypeScript itself. Types are stripped with sucrase, bundled into
// the CLI at build time: pure JavaScript, so the CLI needs no esbuild (a native binary) and no
// install step. Bun and Deno read TypeScript natively and never load this file.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transform } from "sucrase";

type Next<A, R> = (specifier: string, context: A) => Promise<R>;
type ResolveResult = { url: string; format?: string | null; shortCircuit?: boolean };
type LoadResult = { format: string; source?: string | ArrayBuffer | Uint8Array; shortCircuit?: boolean };

const TYPESCRIPT = /\.(?:ts|mts)$/;

/** Lets `./roles` find `./roles.ts`, as bundlers and Bun do, when Node finds no file by that name. */
export async function resolve(specifier: string, context: { parentURL?: string }, next: Next<typeof context, ResolveResult>): Promise<ResolveResult> {
	try {
		return await next(specifier, context);
	} catch (error) {
		const relative = specifier.startsWith("./") || specifier.startsWith("../");
		if (!relative || /\.[a-z]+$/i.test(specifier) || context.parentURL === undefined || !TYPESCRIPT.test(context.parentURL)) throw error;
		return next(`${specifier}.ts`, context);
	}
}

/** Serves an app's `.ts` / `.mts` file as an ES module with its types removed. */
export async function load(url: string, context: { format?: string | null }, next: Next<typeof context, LoadResult>): Promise<LoadResult> {
	if (!url.startsWith("file:") || !TYPESCRIPT.test(url) || url.includes("/node_modules/")) return next(url, context);
	const filePath = fileURLToPath(url);
	const { code } = transform(await readFile(filePath, "utf8"), { transforms: ["typescript"], filePath, disableESTransforms: true, keepUnusedImports: false });
	return { format: "module", source: code, shortCircuit: true };
}
