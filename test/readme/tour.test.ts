// The README's tour as a doctest: every code block from "The 60-second tour" up to "Stores", in
// order, in an empty folder outside the repository, as a reader would use them. A `ts`/`js` block names its
// file on its first line (`// server.ts`) and is written there; an `sh` block's lines are run with
// bash (exports carry over to later lines), `npm install sess` installing the packed tarball; a line
// that starts one of the tour's servers runs it on a free PORT and sends it the requests below.
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emptyApp, packTarball, root, startServer, type FreshApp } from "../package/fresh-app.ts";

const COOKIE = /^__Host-sid=[^;]+/;

interface Block {
	lang: string;
	text: string;
	line: number;
}

/** The fenced blocks between the tour's heading and the next section after the frameworks. */
function tourBlocks(readme: string): Block[] {
	const start = readme.indexOf("## The 60-second tour");
	const end = readme.indexOf("## Stores");
	if (start < 0 || end < start) throw new Error("README: the tour (## The 60-second tour … ## Stores) is missing");
	const blocks: Block[] = [];
	const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
	for (const m of readme.slice(start, end).matchAll(fence)) {
		const line = readme.slice(0, start + (m.index as number)).split("\n").length;
		blocks.push({ lang: m[1] as string, text: m[2] as string, line });
	}
	return blocks;
}

/** One login (or visit) per server the tour starts, checked on the wire. */
const SERVERS: Record<string, (base: string, app: FreshApp) => Promise<void>> = {
	"server.ts": async (base, app) => {
		const login = await post(`${base}/login`, { userId: "ada" });
		expect(await login.json()).toEqual({ ok: true });
		const cookie = sessionCookie(login);
		const cart = await post(`${base}/cart`, undefined, cookie);
		expect(await cart.json()).toEqual([42]);
		// The session is a row of the table `sess migrate` created, with the promoted column filled in.
		const db = new Database(join(app.dir, "app.db"), { readonly: true });
		const row = db.query("SELECT count(*) AS n FROM sessions WHERE user_id = 'ada'").get();
		db.close();
		expect(row).toEqual({ n: 1 });
	},
	"hono.ts": async (base) => {
		const login = await post(`${base}/login`, { userId: "bob" });
		expect(await login.json()).toEqual({ ok: true });
		sessionCookie(login);
	},
	"elysia.ts": async (base) => {
		const first = await post(`${base}/cart`);
		expect(await first.json()).toEqual([1]);
		const second = await post(`${base}/cart`, undefined, sessionCookie(first));
		expect(await second.json()).toEqual([1, 1]);
	},
	"deno.ts": async (base) => {
		const visit = await fetch(base);
		expect(await visit.json()).toEqual({ role: "guest" });
	},
	"node.mjs": async (base) => {
		// The generated JavaScript gives the schema's default; withSession refuses a cross-site post before any store access.
		const visit = await fetch(base);
		expect(await visit.json()).toEqual({ role: "guest" });
		const refused = await fetch(base, { method: "POST", headers: { origin: "https://evil.test", "sec-fetch-site": "cross-site" } });
		expect(refused.status).toBe(403);
	},
};

function post(url: string, body?: unknown, cookie?: string): Promise<Response> {
	const headers: Record<string, string> = { "content-type": "application/json" };
	if (cookie !== undefined) headers.cookie = cookie;
	return fetch(url, { method: "POST", headers, body: body === undefined ? null : JSON.stringify(body) });
}

function sessionCookie(response: Response): string {
	expect(response.status).toBe(200);
	const cookie = COOKIE.exec(response.headers.get("set-cookie") ?? "")?.[0];
	if (cookie === undefined) throw new Error(`no session cookie in ${response.headers.get("set-cookie")}`);
	return cookie;
}

const app = emptyApp();
const scratch = mkdtempSync(join(tmpdir(), "sess-doctest-"));
// Removing a fresh app's node_modules takes seconds on a loaded machine.
afterAll(() => {
	app.remove();
	rmSync(scratch, { recursive: true, force: true });
}, 30_000);

test("every code block of the README's tour runs as written, in a fresh app", async () => {
	const tarball = await packTarball();
	const blocks = tourBlocks(readFileSync(join(root, "README.md"), "utf8"));
	let env: Record<string, string | undefined> = { ...process.env };
	const started = new Set<string>();
	const written: string[] = [];
	for (const block of blocks) {
		const where = `README.md:${block.line}`;
		if (block.lang === "ts" || block.lang === "js") {
			const path = /^\/\/ ([\w./-]+\.m?[jt]s)\b/.exec(block.text)?.[1];
			if (path === undefined) throw new Error(`${where}: a ${block.lang} block must name its file on its first line (// file.${block.lang})`);
			app.write(path, block.text);
			written.push(path);
			continue;
		}
		if (block.lang !== "sh") throw new Error(`${where}: a \`${block.lang}\` block in the tour, which the doctest cannot run`);
		for (const raw of block.text.split("\n")) {
			const line = raw.trim();
			if (line === "" || line.startsWith("#")) continue;
			const server = Object.keys(SERVERS).find((file) => new RegExp(`^(?:bun|node|deno run[\\w= -]*) ${file.replace(".", "\\.")}(?:\\s|$)`).test(line));
			if (server !== undefined) {
				const running = await startServer(app, ["bash", "-c", `exec ${line}`], env);
				try {
					await (SERVERS[server] as (typeof SERVERS)[string])(running.base, app);
				} finally {
					await running.stop();
				}
				started.add(server);
				continue;
			}
			env = await runLine(installing(line, tarball), env, where);
		}
	}
	// Every server the tour shows was started and answered; nothing the tour wrote went unused.
	expect([...started].sort()).toEqual(Object.keys(SERVERS).sort());
	expect(written.sort()).toEqual(["deno.ts", "elysia.ts", "hono.ts", "node.mjs", "schema/session.ts", "server.ts", "sessions.ts"]);
}, 240_000);

/** `npm install sess …` installs the packed tarball; every install prefers npm's cache. */
function installing(line: string, tarball: string): string {
	if (!line.startsWith("npm install ")) return line;
	const command = line.replace(/\s+#.*$/, "").replace(/^npm install sess(?=\s|$)/, `npm install ${tarball}`);
	return `${command} --prefer-offline --no-audit --no-fund`;
}

/** Runs one line with bash in the app and returns the environment it leaves (so `export` carries over). */
async function runLine(line: string, env: Record<string, string | undefined>, where: string): Promise<Record<string, string | undefined>> {
	const dump = join(scratch, "env");
	const ran = await app.run(["bash", "-e", "-c", `${line}\nenv -0 > "$SESS_DOCTEST_ENV"`], { env: { ...env, SESS_DOCTEST_ENV: dump } });
	if (ran.code !== 0) throw new Error(`${where}: \`${line}\` exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
	const next: Record<string, string | undefined> = {};
	for (const entry of readFileSync(dump, "utf8").split("\0")) {
		const eq = entry.indexOf("=");
		if (eq > 0 && entry.slice(0, eq) !== "SESS_DOCTEST_ENV") next[entry.slice(0, eq)] = entry.slice(eq + 1);
	}
	return next;
}
