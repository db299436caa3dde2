// The callgrind window protocol shared by the instruction-count benchmarks: the child warms up
// uninstrumented, prints WARM (instrumentation goes on), then prints DONE after each of two windows (the
// counters are dumped) and waits for a newline before going on. The difference of the two windows' totals,
// divided by the difference of their sizes, cancels the constant cost of a window.
import { readFileSync } from "node:fs";

/** Options of one counted run. */
export interface CallgrindRun {
	/** The command to run under valgrind (usually `process.execPath` and a script). */
	command: string[];
	/** Where callgrind writes its dumps (`<out>.1`, `<out>.2`). */
	out: string;
	/** A label for errors. */
	label: string;
	/** Called after instrumentation goes on and after each dump, before the child is told to go on. */
	onMark?: () => Promise<void>;
}

/** Switches callgrind's instrumentation or dumps its counters in a running process. */
async function control(pid: number, ...args: string[]): Promise<void> {
	const p = Bun.spawn(["callgrind_control", ...args, String(pid)], { stdout: "ignore", stderr: "pipe" });
	if ((await p.exited) !== 0) throw new Error(`callgrind_control ${args.join(" ")} failed: ${await new Response(p.stderr).text()}`);
}

/** Runs a child under callgrind through its WARM/DONE/DONE protocol; returns the two windows' instruction totals. */
export async function countWindows(run: CallgrindRun): Promise<[number, number]> {
	const proc = Bun.spawn(["valgrind", "--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${run.out}`, ...run.command], {
		stdin: "pipe",
		stdout: "pipe",
		stderr: "pipe",
		// The JIT compiles on the main thread and the GC timer is off, so neither depends on the scheduler.
		env: { ...process.env, BUN_JSC_useConcurrentJIT: "0", BUN_GC_TIMER_DISABLE: "1" },
	});
	const stderr = new Response(proc.stderr).text();
	let windows = 0;
	let buffered = "";
	const decoder = new TextDecoder();
	for await (const chunk of proc.stdout) {
		buffered += decoder.decode(chunk, { stream: true });
		let nl: number;
		while ((nl = buffered.indexOf("\n")) >= 0) {
			const line = buffered.slice(0, nl);
			buffered = buffered.slice(nl + 1);
			if (line === "WARM") await control(proc.pid, "--instr=on");
			else if (line === "DONE") await control(proc.pid, `--dump=window${++windows}`);
			else continue;
			await run.onMark?.();
			proc.stdin.write("\n");
			proc.stdin.flush();
		}
	}
	proc.stdin.end();
	if ((await proc.exited) !== 0 || windows !== 2) throw new Error(`${run.label}: ${windows} windows; ${(await stderr).trim().split("\n").slice(-6).join(" / ")}`);
	const totals = [1, 2].map((k) => {
		const m = /^totals:\s+(\d+)/m.exec(readFileSync(`${run.out}.${k}`, "utf8"));
		if (m === null) throw new Error(`${run.label}: no totals in ${run.out}.${k}`);
		return Number(m[1]);
	});
	return [totals[0] as number, totals[1] as number];
}
