// A user's app, outside the repository: the package as `npm pack` builds it, installed with npm into
// an empty temporary folder. Shared by the packaging test and the README doctest.
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";

export const root = join(import.meta.dir, "..", "..");

/** What a finished command printed. */
export interface Ran {
	code: number;
	stdout: string;
	stderr: string;
}

let tarball: Promise<string> | undefined;
let packFolder: string | undefined;

/** `npm pack` of this checkout (its "prepack" builds dist/), once per test run. */
export function packTarball(): Promise<string> {
	tarball ??= (async () => {
		const dest = (packFolder = mkdtempSync(join(tmpdir(), "sess-pack-")));
		const ran = await run(["npm", "pack", "--json", "--pack-destination", dest], { cwd: root });
		if (ran.code !== 0) throw new Error(`npm pack failed:\n${ran.stderr}`);
		const [info] = JSON.parse(ran.stdout.slice(ran.stdout.indexOf("["))) as { filename: string }[];
		return join(dest, (info as { filename: string }).filename);
	})();
	return tarball;
}

/** Deletes the tarball's folder; test/setup.ts calls it once, after the last test file. */
export function removePackedTarball(): void {
	if (packFolder !== undefined) rmSync(packFolder, { recursive: true, force: true });
}

/** An app folder with its own package.json; `remove()` deletes it. */
export interface FreshApp {
	dir: string;
	/** Runs a command in the app folder; `env` is added to this process's environment. */
	run(cmd: string[], options?: { env?: Record<string, string | undefined> }): Promise<Ran>;
	/** Like `run`, but a non-zero exit fails with everything the command printed. */
	ok(cmd: string[], options?: { env?: Record<string, string | undefined> }): Promise<Ran>;
	write(path: string, text: string): void;
	remove(): void;
}

/** `npm install <tarball> zod …extra` into a new folder under the system's temporary directory. */
export async function freshApp(extra: string[] = []): Promise<FreshApp> {
	const app = emptyApp();
	try {
		await app.ok(["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", await packTarball(), "zod", ...extra]);
	} catch (e) {
		app.remove();
		throw e;
	}
	return app;
}

/** A new folder under the system's temporary directory with only a package.json (`"type": "module"`). */
export function emptyApp(): FreshApp {
	const dir = mkdtempSync(join(tmpdir(), "sess-app-"));
	const app: FreshApp = {
		dir,
		run: (cmd, options = {}) => run(cmd, { cwd: dir, env: options.env }),
		async ok(cmd, options = {}) {
			const ran = await app.run(cmd, options);
			if (ran.code !== 0) throw new Error(`${cmd.join(" ")} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
			return ran;
		},
		write(path, text) {
			mkdirSync(dirname(join(dir, path)), { recursive: true });
			writeFileSync(join(dir, path), text);
		},
		remove: () => rmSync(dir, { recursive: true, force: true }),
	};
	app.write("package.json", `${JSON.stringify({ name: "app", private: true, type: "module" }, null, 2)}\n`);
	return app;
}

/** Runs a command to completion. */
export async function run(cmd: string[], options: { cwd: string; env?: Record<string, string | undefined> | undefined }): Promise<Ran> {
	const proc = Bun.spawn(cmd, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdout: "pipe", stderr: "pipe" });
	const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
	return { code, stdout, stderr };
}

/**
 * This machine's PATH with every folder holding a `bun` removed (node_modules/.bin among them), so a
 * command run with it finds Node and npm but no Bun. Node is linked into a folder of its own when it
 * shares one with Bun (in a folder made inside `within`, which the caller removes).
 */
export function pathWithoutBun(within: string): string {
	const kept: string[] = [];
	const own = join(within, ".node-only-bin");
	mkdirSync(own, { recursive: true });
	for (const folder of (process.env.PATH ?? "").split(delimiter)) {
		if (folder === "") continue;
		if (!executable(join(folder, "bun"))) {
			kept.push(folder);
			continue;
		}
		for (const tool of ["node", "npm", "npx"]) {
			if (executable(join(folder, tool)) && !existsSync(join(own, tool))) symlinkSync(join(folder, tool), join(own, tool));
		}
	}
	return [own, ...kept].join(delimiter);
}

function executable(path: string): boolean {
	try {
		accessSync(path, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/** A free TCP port on 127.0.0.1 (the kernel's pick, released at once). */
export function freePort(): number {
	const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
	const port = server.port;
	server.stop(true);
	return port;
}

/** A long-running server process started in the app; `stop()` ends it and returns what it printed. */
export interface Running {
	base: string;
	stop(): Promise<Ran>;
}

/** Starts `cmd` with PORT set and waits until the port answers HTTP (or the process exits). */
export async function startServer(app: FreshApp, cmd: string[], env: Record<string, string | undefined> = {}): Promise<Running> {
	const port = freePort();
	const proc = Bun.spawn(cmd, { cwd: app.dir, env: { ...process.env, ...env, PORT: String(port) }, stdout: "pipe", stderr: "pipe" });
	const output = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
	const base = `http://127.0.0.1:${port}`;
	let exited = false;
	void proc.exited.then(() => (exited = true));
	// Readiness, not timing: poll until the server answers; a start-up failure ends the wait at once.
	for (let attempt = 0; ; attempt++) {
		if (exited) {
			const [stdout, stderr] = await output;
			throw new Error(`${cmd.join(" ")} exited ${proc.exitCode} before serving:\n${stdout}\n${stderr}`);
		}
		try {
			await fetch(base, { method: "HEAD" });
			break;
		} catch {
			if (attempt > 600) throw new Error(`${cmd.join(" ")} did not listen on ${base}`);
			await Bun.sleep(50);
		}
	}
	return {
		base,
		async stop() {
			proc.kill("SIGTERM");
			const code = await proc.exited;
			const [stdout, stderr] = await output;
			return { code, stdout, stderr };
		},
	};
}
