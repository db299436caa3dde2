// The package as a new user meets it: `npm pack` → an empty app outside the repository →
// `npm install <tarball> zod` → the CLI on Node without Bun (init, keygen, generate, doctor) and
// migrate → tsc under "bundler" and "nodenext" → one small server per runtime answering real HTTP
// requests: Bun (SQLite, the table `sess migrate` created), Node 20 with `generate --js` and no Bun
// anywhere on the PATH, and Deno; and the mistakes a new user makes (no or weak keys, a Bun-only entry on Node,
// plain http://, `--check` after `--js`), each answered with what happened and what to do.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { emptyApp, freshApp, pathWithoutBun, root, startServer, type FreshApp } from "./fresh-app.ts";

const tsc = join(root, "node_modules", ".bin", "tsc");
const deno = join(root, "node_modules", ".bin", "deno");
const COOKIE = /^__Host-sid=[^;]+/;

let app: FreshApp;
let noBun: Record<string, string>;
let key = "";

beforeAll(async () => {
	app = await freshApp();
	noBun = { PATH: pathWithoutBun(app.dir) };
}, 240_000);
afterAll(() => app?.remove());

/** The app's handler, shared by every runtime: log in, then read the session back. */
const HANDLER = (generated: string) => `import { withSession } from "sess/adapters/fetch";
import { MemoryStore } from "sess/stores/memory";
import { createSessions, type Session } from "${generated}";

export function createApp(keys: string[]): (request: Request) => Promise<Response> {
	const sessions = createSessions({ store: new MemoryStore(), keys });
	return withSession(sessions, async (request: Request, session: Session) => {
		if (new URL(request.url).pathname === "/login") {
			session.userId = ((await request.json()) as { userId: string }).userId;
			session.role = "user";
		}
		return Response.json({ userId: session.userId ?? null, role: session.role });
	});
}
`;

/** Logs in as `ada`, then reads the session back with the cookie, as a non-browser client would. */
async function loginAndReadBack(base: string): Promise<void> {
	const login = await fetch(`${base}/login`, { method: "POST", body: JSON.stringify({ userId: "ada" }), headers: { "content-type": "application/json" } });
	expect(login.status).toBe(200);
	const cookie = COOKIE.exec(login.headers.get("set-cookie") ?? "")?.[0];
	expect(cookie).toBeDefined();
	const me = await fetch(`${base}/me`, { headers: { cookie: cookie as string } });
	expect(await me.json()).toEqual({ userId: "ada", role: "user" });
}

function tsconfig(moduleResolution: "bundler" | "nodenext", files: string[]): string {
	const module = moduleResolution === "bundler" ? "preserve" : "nodenext";
	// The strict options the README recommends, DOM for Request/Response; no Node or Bun types.
	return JSON.stringify({
		compilerOptions: { target: "es2022", lib: ["es2022", "dom", "dom.iterable"], module, moduleResolution, strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, allowImportingTsExtensions: true, noEmit: true, types: [] },
		files,
	});
}

describe("a fresh app that installed the packed tarball", () => {
	test("Node without Bun: `command -v bun` finds nothing on the PATH the CLI runs with", async () => {
		const probe = await app.run(["bash", "-c", "command -v bun"], { env: noBun });
		expect(probe.code).not.toBe(0);
		expect((await app.ok(["bash", "-c", "command -v node"], { env: noBun })).stdout).not.toBe("");
	});

	test("sess init, keygen, generate and doctor run on Node without Bun", async () => {
		expect((await app.ok(["npx", "sess", "init"], { env: noBun })).stdout).toContain("wrote schema/session.ts");
		expect(readFileSync(join(app.dir, "schema", "session.ts"), "utf8")).toContain(`from "sess/schema"`);
		key = (await app.ok(["npx", "sess", "keygen"], { env: noBun })).stdout.trim();
		expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
		const generated = await app.ok(["npx", "sess", "generate"], { env: noBun });
		expect(generated.stdout).toContain("src/generated/session.ts");
		expect(readFileSync(join(app.dir, "migrations", "sqlite", "0000_init.sql"), "utf8")).toContain("CREATE TABLE `sessions`");
		expect((await app.ok(["npx", "sess", "generate", "--check"], { env: noBun })).stdout).toContain("up to date");
		const doctor = await app.ok(["npx", "sess", "doctor", "--keys", key], { env: noBun });
		expect(doctor.stdout).toContain("0 error(s)");
	}, 120_000);

	test("a folder where sess and zod are not installed: one line saying what to install, no stack trace", async () => {
		const bare = emptyApp();
		try {
			bare.write("schema/session.ts", readFileSync(join(app.dir, "schema", "session.ts"), "utf8"));
			const ran = await bare.run(["node", join(app.dir, "node_modules", "sess", "dist", "generator", "cli.js"), "generate"], { env: noBun });
			expect(ran.code).toBe(1);
			expect(ran.stderr).toBe('sess: schema/session.ts imports "zod", which is not installed in this folder. Run `npm install sess zod` (or `bun add sess zod`) here first. [missing_package]\n');
		} finally {
			bare.remove();
		}
	}, 60_000);

	test("sess migrate creates the session table (handed to Bun, which is on this PATH)", async () => {
		const migrated = await app.ok(["npx", "sess", "migrate", "--db", "app.db"]);
		expect(migrated.stdout).toContain("applied 1 sqlite migration");
		const db = new Database(join(app.dir, "app.db"), { readonly: true });
		const table = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").get();
		db.close();
		expect(table).toEqual({ name: "sessions" });
		expect((await app.ok(["npx", "sess", "migrate", "--db", "app.db"])).stdout).toContain("up to date");
	}, 60_000);

	test("`bunx sess migrate` with Bun outside the PATH: bunx runs the bin under Node, which hands back to that Bun", async () => {
		// As when Bun is started by its full path: bunx names itself only in npm_execpath and the user agent.
		// Without npm's own values of those two: under `npm test` they are inherited, and bunx keeps them.
		const migrated = await app.ok([process.execPath, "x", "sess", "migrate", "--db", "bunx.db"], { env: { ...noBun, npm_execpath: undefined, npm_config_user_agent: undefined } });
		expect(migrated.stdout).toContain("applied 1 sqlite migration");
		const db = new Database(join(app.dir, "bunx.db"), { readonly: true });
		const table = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").get();
		db.close();
		expect(table).toEqual({ name: "sessions" });
	}, 60_000);

	test("Bun: a SQLite table not migrated yet is named in one line, and the code frame is the app's own line", async () => {
		app.write(
			"unmigrated.ts",
			`import { Database } from "bun:sqlite";
import { SQLiteStore } from "sess/stores/sqlite";
import { model } from "./src/generated/session.ts";
new SQLiteStore(new Database("unmigrated.db"), { table: model.table });
`,
		);
		const ran = await app.run([process.execPath, "unmigrated.ts"]);
		expect(ran.code).toBe(1);
		expect(ran.stderr).toContain('NotMigratedError: the session table "sessions" does not exist in unmigrated.db. Run `sess migrate --db unmigrated.db` first.\n');
		expect(ran.stderr).toContain("new SQLiteStore(new Database(");
		expect(ran.stderr).not.toContain("stores/sqlite.");
	}, 60_000);

	test("tsc accepts the app under moduleResolution bundler and nodenext, and rejects a wrong value", async () => {
		app.write("handler.ts", HANDLER("./src/generated/session.ts"));
		for (const resolution of ["bundler", "nodenext"] as const) {
			app.write(`tsconfig.${resolution}.json`, tsconfig(resolution, ["handler.ts", "sess.config.ts", "schema/session.ts"]));
			const checked = await app.run([tsc, "-p", `tsconfig.${resolution}.json`]);
			expect({ resolution, out: checked.stdout, code: checked.code }).toEqual({ resolution, out: "", code: 0 });
		}
		// The types are real, not `any`: a role outside the enum is a compile error.
		app.write("wrong.ts", `import type { Session } from "./src/generated/session.ts";\nexport const promote = (s: Session) => { s.role = "root"; };\n`);
		app.write("tsconfig.wrong.json", tsconfig("bundler", ["wrong.ts"]));
		const wrong = await app.run([tsc, "-p", "tsconfig.wrong.json"]);
		expect(wrong.code).not.toBe(0);
		expect(wrong.stdout).toContain(`"root"`);
	}, 120_000);

	test("Bun: Bun.serve with sessionRoutes over the migrated SQLite table", async () => {
		app.write(
			"server-bun.ts",
			`import { Database } from "bun:sqlite";
import { sessionRoutes } from "sess/adapters/bun";
import { SQLiteStore } from "sess/stores/sqlite";
import { createSessions, model } from "./src/generated/session.ts";

const sessions = createSessions({ store: new SQLiteStore(new Database("app.db"), { table: model.table }), keys: process.env.SESS_KEYS!.split(",") });
Bun.serve({
	port: Number(process.env.PORT),
	routes: sessionRoutes(sessions, {
		"/login": { POST: async (req, session) => {
			session.userId = (await req.json()).userId;
			session.role = "user";
			return Response.json({ ok: true });
		} },
		"/me": (_req, session) => Response.json({ userId: session.userId ?? null, role: session.role }),
	}),
	fetch: () => new Response("not found", { status: 404 }),
});
`,
		);
		const server = await startServer(app, ["bun", "server-bun.ts"], { SESS_KEYS: key });
		try {
			await loginAndReadBack(server.base);
		} finally {
			await server.stop();
		}
		const db = new Database(join(app.dir, "app.db"), { readonly: true });
		const rows = db.query("SELECT count(*) AS n FROM sessions WHERE user_id = 'ada'").get();
		db.close();
		expect(rows).toEqual({ n: 1 });
	}, 60_000);

	test('`generate --js` in a package `npm init -y` made ("type": "commonjs"): Node loads the module by import, import() and require', async () => {
		const pkg = join(app.dir, "package.json");
		const original = readFileSync(pkg, "utf8");
		writeFileSync(pkg, `${JSON.stringify({ ...(JSON.parse(original) as object), type: "commonjs" }, null, 2)}\n`);
		rmSync(join(app.dir, "src", "generated", "package.json"), { force: true });
		try {
			expect((await app.ok(["npx", "sess", "generate", "--js"], { env: noBun })).stdout).toContain("src/generated/package.json");
			app.write("load.mjs", 'import { createSessions } from "./src/generated/session.js";\nconsole.log(typeof createSessions);\n');
			// CommonJS files of the app: import() on every Node sess supports, require() where Node loads ES modules with it (20.19+).
			app.write("load-import.js", 'import("./src/generated/session.js").then((m) => console.log(typeof m.createSessions));\n');
			app.write("load-require.js", 'const { createSessions } = require("./src/generated/session.js");\nconsole.log(typeof createSessions);\n');
			for (const file of ["load.mjs", "load-import.js", "load-require.js"]) expect((await app.ok(["node", file], { env: noBun })).stdout).toBe("function\n");
			expect((await app.ok(["npx", "sess", "generate", "--check", "--js"], { env: noBun })).stdout).toBe("sess: generated files are up to date.\n");
		} finally {
			writeFileSync(pkg, original);
		}
	}, 60_000);

	test("Deno: Deno.serve with sessionHandler, sess resolved from node_modules", async () => {
		app.write("handler-deno.ts", HANDLER("./src/generated/session.ts"));
		app.write(
			"server-deno.ts",
			`import { createApp } from "./handler-deno.ts";
Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("PORT")) }, createApp(Deno.env.get("SESS_KEYS")!.split(",")));
`,
		);
		const server = await startServer(app, [deno, "run", "--quiet", "--allow-net=127.0.0.1", "--allow-env", "--allow-read", "server-deno.ts"], { SESS_KEYS: key, DENO_NO_UPDATE_CHECK: "1" });
		try {
			await loginAndReadBack(server.base);
		} finally {
			await server.stop();
		}
	}, 60_000);

	test("Node 20 without Bun: `sess generate --js`, tsc (nodenext) on the .d.ts, node:http serving the .js", async () => {
		await app.ok(["npx", "sess", "generate", "--js"], { env: noBun });
		expect(existsSync(join(app.dir, "src", "generated", "session.js"))).toBe(true);
		expect(existsSync(join(app.dir, "src", "generated", "session.d.ts"))).toBe(true);
		app.write("handler-node.ts", HANDLER("./src/generated/session.js"));
		app.write("tsconfig.node.json", tsconfig("nodenext", ["handler-node.ts"]));
		const checked = await app.run([tsc, "-p", "tsconfig.node.json"]);
		expect({ out: checked.stdout, code: checked.code }).toEqual({ out: "", code: 0 });
		// What a Node user without a build step writes: the handler in JavaScript, node:http in front.
		app.write(
			"server-node.mjs",
			`import { createServer } from "node:http";
import { withSession } from "sess/adapters/fetch";
import { MemoryStore } from "sess/stores/memory";
import { createSessions } from "./src/generated/session.js";

const sessions = createSessions({ store: new MemoryStore(), keys: process.env.SESS_KEYS.split(",") });
const handle = withSession(sessions, async (request, session) => {
	if (new URL(request.url).pathname === "/login") {
		session.userId = (await request.json()).userId;
		session.role = "user";
	}
	return Response.json({ userId: session.userId ?? null, role: session.role });
});

createServer(async (req, res) => {
	const chunks = [];
	for await (const chunk of req) chunks.push(chunk);
	const body = req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks);
	const response = await handle(new Request(\`http://\${req.headers.host}\${req.url}\`, { method: req.method, headers: req.headers, body }));
	res.writeHead(response.status, [...response.headers].flat());
	res.end(Buffer.from(await response.arrayBuffer()));
}).listen(Number(process.env.PORT), "127.0.0.1");
`,
		);
		const server = await startServer(app, ["node", "server-node.mjs"], { ...noBun, SESS_KEYS: key });
		try {
			await loginAndReadBack(server.base);
		} finally {
			await server.stop();
		}
	}, 120_000);

	test("Node without Bun: a mistaken start says what happened and what to do in one line", async () => {
		// The README's node.mjs reads SESS_KEYS with ?.split(",") ?? []: unset, the keyring names it.
		app.write(
			"keys-node.mjs",
			`import { MemoryStore } from "sess/stores/memory";
import { createSessions } from "./src/generated/session.js";
createSessions({ store: new MemoryStore(), keys: process.env.SESS_KEYS?.split(",") ?? [], insecureDevelopmentCookies: process.env.SESS_INSECURE === "1" });
`,
		);
		const unset = await app.run(["node", "keys-node.mjs"], { env: { ...noBun, SESS_KEYS: undefined } });
		expect(unset.code).toBe(1);
		expect(unset.stderr).toContain("WeakKeyError: No signing key configured. Is SESS_KEYS set and non-empty? Generate one with `npx sess keygen` (or `bunx sess keygen`): 32 random bytes, base64url.\n");
		const placeholder = await app.run(["node", "keys-node.mjs"], { env: { ...noBun, SESS_KEYS: "changeme" } });
		expect(placeholder.code).toBe(1);
		expect(placeholder.stderr).toContain("WeakKeyError: Key #1 is a well-known placeholder or a made-up phrase, not a random secret. Generate one with `npx sess keygen`");
		// The stack starts at the app's call of createSessions: no frame inside the package's key handling.
		expect(placeholder.stderr).not.toContain("keyring");
		const production = await app.run(["node", "keys-node.mjs"], { env: { ...noBun, SESS_KEYS: key, SESS_INSECURE: "1", NODE_ENV: "production" } });
		expect(production.code).toBe(1);
		expect(production.stderr).toContain("ConfigError: insecureDevelopmentCookies (SESS_INSECURE=1) is refused when NODE_ENV=production");
		// A Bun-only entry imported on Node names what to use instead, not ERR_PACKAGE_PATH_NOT_EXPORTED.
		for (const [entry, instead] of <[string, string][]>[["sess/adapters/bun", "withSession from sess/adapters/fetch"], ["sess/stores/sqlite", "MemoryStore from sess/stores/memory"], ["sess/migrate", "npx sess migrate --db"]]) {
			const ran = await app.run(["node", "--input-type=module", "-e", `import "${entry}";`], { env: noBun });
			expect(ran.code).toBe(1);
			expect(ran.stderr).not.toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
			expect(ran.stderr).toContain(`Error: ${entry} needs Bun (`);
			expect(ran.stderr).toContain(instead);
		}
	}, 60_000);

	test("plain http://127.0.0.1 in development: SESS_INSECURE=1 gives a cookie without Secure that a Python-like jar sends back", async () => {
		app.write(
			"insecure-node.mjs",
			`import { createServer } from "node:http";
import { withSession } from "sess/adapters/fetch";
import { MemoryStore } from "sess/stores/memory";
import { createSessions } from "./src/generated/session.js";

const sessions = createSessions({ store: new MemoryStore(), keys: process.env.SESS_KEYS?.split(",") ?? [], insecureDevelopmentCookies: process.env.SESS_INSECURE === "1" });
const handle = withSession(sessions, (request, session) => {
	if (request.method === "POST") session.role = "user";
	return Response.json({ role: session.role });
});
createServer(async (req, res) => {
	const response = await handle(new Request(\`http://\${req.headers.host}\${req.url}\`, { method: req.method, headers: req.headers }));
	res.writeHead(response.status, [...response.headers].flat());
	res.end(Buffer.from(await response.arrayBuffer()));
}).listen(Number(process.env.PORT), "127.0.0.1");
`,
		);
		// What a client that drops Secure cookies over plain HTTP (Python's jar, Safari) keeps of a Set-Cookie.
		const kept = (setCookie: string | null) => (setCookie === null || /;\s*secure/i.test(setCookie) ? undefined : setCookie.split(";")[0]);
		for (const insecure of [false, true]) {
			const server = await startServer(app, ["node", "insecure-node.mjs"], { ...noBun, SESS_KEYS: key, SESS_INSECURE: insecure ? "1" : undefined });
			try {
				const login = await fetch(`${server.base}/`, { method: "POST", headers: { origin: server.base } });
				const setCookie = login.headers.get("set-cookie");
				const cookie = kept(setCookie);
				const again = await fetch(`${server.base}/`, { headers: cookie === undefined ? {} : { cookie } });
				if (insecure) {
					expect(setCookie).toMatch(/^sid=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
					expect(await again.json()).toEqual({ role: "user" });
				} else {
					// The default: __Host-sid; Secure, which such a client never sends back: each request is a new visitor.
					expect(setCookie).toMatch(/^__Host-sid=[^;]+;.*; Secure; HttpOnly; SameSite=Lax$/);
					expect(await again.json()).toEqual({ role: "guest" });
				}
			} finally {
				await server.stop();
			}
		}
	}, 60_000);

	test("generate --check after --js (and the reverse) says which flag to use, in one line", async () => {
		const ts = join(app.dir, "src", "generated", "session.ts");
		const js = join(app.dir, "src", "generated", "session.js");
		renameSync(ts, `${ts}.away`);
		try {
			const bare = await app.run(["npx", "sess", "generate", "--check"], { env: noBun });
			expect(bare.code).toBe(1);
			expect(bare.stderr).toBe("sess: src/generated/session.ts does not exist, but src/generated/session.js does (written by `sess generate --js`). Run `sess generate --check --js`, or set js: true in sess.config.ts so that generate and --check both mean JavaScript. [stale]\n");
			expect((await app.ok(["npx", "sess", "generate", "--check", "--js"], { env: noBun })).stdout).toBe("sess: generated files are up to date.\n");
		} finally {
			renameSync(`${ts}.away`, ts);
		}
		renameSync(js, `${js}.away`);
		try {
			const withJs = await app.run(["npx", "sess", "generate", "--check", "--js"], { env: noBun });
			expect(withJs.code).toBe(1);
			expect(withJs.stderr).toBe("sess: src/generated/session.js does not exist, but src/generated/session.ts does (written by `sess generate` without --js). Run `sess generate --check` without --js, or `sess generate --js` to switch to JavaScript. [stale]\n");
		} finally {
			renameSync(`${js}.away`, js);
		}
	}, 60_000);
});
