// The oldest Node the `sess` command runs on, kept equal to `engines.node` in package.json (a test checks):
// module hooks (`module.register`), which load the app's TypeScript schema and config, came in Node 20.6.0.
// Checked on 20.6.0 and 20.5.1 (where `register` is missing) with the official binaries.

/** The oldest Node version the CLI supports. */
export const MIN_NODE = "20.6.0";

/** Whether a Node version string (`process.versions.node`, "20.5.1") is older than `MIN_NODE`. */
export function nodeTooOld(version: string): boolean {
	const have = version.split(".").map((n) => Number.parseInt(n, 10));
	const need = MIN_NODE.split(".").map(Number);
	for (let i = 0; i < need.length; i++) {
		const a = have[i] ?? 0;
		const b = need[i] as number;
		if (Number.isNaN(a)) return false;
		if (a !== b) return a < b;
	}
	return false;
}
