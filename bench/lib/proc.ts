// Child processes for the suite: run a worker to completion and parse its JSON, or start a server and
// stop it by its PID. Every child is ended by the parent that started it, never by name.
import { existsSync } from "node:fs";

/** `taskset -c N` when available, so the server and the load generator each keep one of the two cores. */
export function pin(cpu: number | null, cmd: string[]): string[] {
	return cpu !== null && existsSync("/usr/bin/taskset") ? ["/usr/bin/taskset", "-c", String(cpu), ...cmd] : cmd;
}

/** Runs a command to completion; rejects on a non-zero exit or after `timeoutMs`, with stderr's tail. */
export async function runToEnd(cmd: string[], opts: { timeoutMs: number; env?: Record<string, string>; cwd?: string }): Promise<string> {
	const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...opts.env }, ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }) });
	const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs);
	const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
	clearTimeout(timer);
	if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${err.trim().split("\n").slice(-6).join(" / ")}`);
	return out;
}

/** Runs a worker that prints one JSON line last. */
export async function runJson<T>(cmd: string[], timeoutMs: number): Promise<T> {
	const out = await runToEnd(cmd, { timeoutMs });
	const last = out.trim().split("\n").pop() ?? "";
	return JSON.parse(last) as T;
}

export interface Running {
	port: number;
	pid: number;
	stop(): Promise<void>;
}

/** Starts a server that prints "READY <port>" on stdout (or, with `port`, one that is polled until it answers). */
export async function startServer(cmd: string[], opts: { env?: Record<string, string>; cwd?: string; port?: number; timeoutMs?: number }): Promise<Running> {
	const proc = Bun.spawn(cmd, {
		stdout: "pipe",
		stderr: "pipe",
		env: { ...process.env, ...opts.env },
		...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
	});
	const stop = async () => {
		if (proc.exitCode !== null || proc.signalCode !== null) return;
		proc.kill("SIGTERM");
		const killed = await Promise.race([proc.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
		if (!killed) {
			proc.kill("SIGKILL");
			await proc.exited;
		}
	};
	const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
	let stderr = "";
	void (async () => {
		for await (const chunk of proc.stderr) stderr = (stderr + new TextDecoder().decode(chunk)).slice(-4000);
	})();
	try {
		if (opts.port !== undefined) {
			for (;;) {
				if (proc.exitCode !== null) throw new Error(`server exited ${proc.exitCode}: ${stderr.trim().split("\n").slice(-4).join(" / ")}`);
				try {
					await fetch(`http://127.0.0.1:${opts.port}/count`, { signal: AbortSignal.timeout(500) });
					return { port: opts.port, pid: proc.pid, stop };
				} catch {
					if (Date.now() > deadline) throw new Error(`server did not answer on ${opts.port}: ${stderr.trim().split("\n").slice(-4).join(" / ")}`);
					await Bun.sleep(100);
				}
			}
		}
		const reader = proc.stdout.getReader();
		let text = "";
		for (;;) {
			const chunk = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => null)]);
			if (chunk === null) throw new Error(`server did not start in time: ${stderr.trim().split("\n").slice(-4).join(" / ")}`);
			if (chunk.done) throw new Error(`server exited before READY: ${stderr.trim().split("\n").slice(-4).join(" / ")}`);
			text += new TextDecoder().decode(chunk.value);
			const m = /READY (\d+)/.exec(text);
			if (m !== null) {
				reader.releaseLock();
				// Keep draining stdout so the child never blocks on a full pipe.
				void (async () => {
					for await (const _ of proc.stdout) void _;
				})().catch(() => {});
				return { port: Number(m[1]), pid: proc.pid, stop };
			}
		}
	} catch (e) {
		await stop();
		throw e;
	}
}

/** A free TCP port on 127.0.0.1 (for servers that cannot pick their own). */
export function freePort(): number {
	const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
	const port = s.port;
	s.stop(true);
	return port;
}
