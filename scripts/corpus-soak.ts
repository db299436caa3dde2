// The corpus suite at nightly-style depth: 100,000 fast-check runs per schema (SESS_CORPUS_RUNS to change).
// Run: bun scripts/corpus-soak.ts [runs]
const runs = process.argv[2] ?? process.env.SESS_CORPUS_RUNS ?? "100000";
const proc = Bun.spawnSync([process.execPath, "test", "test/corpus/"], {
	cwd: `${import.meta.dir}/..`,
	env: { ...process.env, SESS_CORPUS_RUNS: runs },
	stdout: "inherit",
	stderr: "inherit",
});
process.exit(proc.exitCode ?? 1);
