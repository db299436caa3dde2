import { join } from "node:path";

const root = join(import.meta.dir, "..", "..");

/** A demo server running as its own process, as a user starts it. */
export interface DemoProcess {
	proc: ReturnType<typeof Bun.spawn>;
	base: string;
	stop(): Promise<void>;
}

/** Starts `bun examples/demo/server.ts` on a free port with `env`, and waits until it serves. */
export async function startDemo(env: Record<string, string>): Promise<DemoProcess> {
	const proc = Bun.spawn([process.execPath, "examples/demo/server.ts"], {
		cwd: root,
		env: { ...process.env, PORT: "0", ...env },
		stdout: "pipe",
		stderr: "pipe",
	});
	const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
	const decoder = new TextDecoder();
	let text = "";
	const serving = /serving on (https?:\/\/\S+)\//;
	while (!serving.test(text)) {
		const { value, done } = await reader.read();
		if (done) throw new Error(`demo exited before serving: ${text} ${await new Response(proc.stderr as ReadableStream).text()}`);
		text += decoder.decode(value);
	}
	reader.releaseLock();
	return {
		proc,
		base: (serving.exec(text) as RegExpExecArray)[1] as string,
		async stop() {
			proc.kill("SIGTERM");
			await proc.exited;
		},
	};
}

/** Runs the demo until it exits by itself (start-up errors); kills it after 10 s. */
export async function runDemoToExit(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
	const proc = Bun.spawn([process.execPath, "examples/demo/server.ts"], {
		cwd: root,
		env: { ...process.env, PORT: "0", ...env },
		stdout: "pipe",
		stderr: "pipe",
	});
	const timer = setTimeout(() => proc.kill(), 10_000);
	const code = await proc.exited;
	clearTimeout(timer);
	return { code, stderr: await new Response(proc.stderr as ReadableStream).text() };
}

/** A cookie jar for one browser, talking to any number of servers. */
export class Browser {
	cookie: string | null = null;
	setCookies: string[] = [];

	/** Sends one request and applies its `Set-Cookie` headers (Max-Age=0 deletes). */
	async send(base: string, method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; json: unknown; headers: Headers }> {
		const headers: Record<string, string> = {};
		if (this.cookie !== null) headers.cookie = this.cookie;
		if (body !== undefined || raw !== undefined) headers["content-type"] = "application/json";
		const payload = raw ?? (body === undefined ? null : JSON.stringify(body));
		const res = await fetch(base + path, { method, headers, body: payload });
		this.setCookies = res.headers.getSetCookie();
		for (const line of this.setCookies) {
			const [pair] = line.split(";") as [string];
			this.cookie = /Max-Age=0(;|$)/.test(line) ? null : pair;
		}
		const text = await res.text();
		return { status: res.status, json: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text, headers: res.headers };
	}

	/** A second browser holding the same cookie (another tab racing this one). */
	clone(): Browser {
		const b = new Browser();
		b.cookie = this.cookie;
		return b;
	}
}
