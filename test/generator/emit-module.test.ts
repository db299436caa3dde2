// The generated module as users get it: it typechecks, `createSessions` refuses sealed options for a
// schema not declared `sealed: true` (at compile time), `--js` output runs on Node as is, the output is
// deterministic, and it imports nothing but the runtime entry.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import { createLock, updateLock } from "../../generator/lock.ts";
import { emitSession, emitSessionJs } from "../../generator/emit-session.ts";
import { defineSession } from "../../schema/define.ts";
import { createCodec } from "../../src/codec.ts";
import { loadEmitted, RUNTIME } from "./emit-load.ts";
import { TEST_SCHEMAS } from "./emit-schemas.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");

const storeOnly = defineSession({
	data: z.object({ visits: z.int().min(0).default(0), user: z.object({ id: z.string().max(20).default(""), roles: z.array(z.enum(["a", "b"])).max(2).default([]) }) }),
});
const sealable = defineSession({ data: z.object({ visits: z.int().min(0).max(1000).default(0) }), sealed: true });

function emit(model: typeof storeOnly, runtimeImport: string): string {
	return emitSession({ model, lock: updateLock(model, createLock()), header: "// test\n", runtimeImport });
}

const made: string[] = [];
afterAll(() => {
	for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A scratch folder inside the repository, so `node_modules` (zod, @oslojs) resolves from it. */
function folder(): string {
	mkdirSync(join(ROOT, "node_modules", ".cache"), { recursive: true });
	const dir = mkdtempSync(join(ROOT, "node_modules", ".cache", "sess-emit-module-"));
	made.push(dir);
	return dir;
}

function tsc(dir: string, files: string[]): { code: number; output: string } {
	writeFileSync(
		join(dir, "tsconfig.json"),
		JSON.stringify({
			compilerOptions: {
				target: "ES2022", module: "Preserve", moduleResolution: "bundler", strict: true, noEmit: true, skipLibCheck: true, allowImportingTsExtensions: true,
				noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, noUnusedLocals: true, noImplicitReturns: true, noFallthroughCasesInSwitch: true,
				types: ["bun-types"], typeRoots: [join(ROOT, "node_modules", "@types"), join(ROOT, "node_modules")], lib: ["ES2022", "DOM"],
			},
			files,
		}),
	);
	const proc = Bun.spawnSync([join(BIN, "tsc"), "-p", join(dir, "tsconfig.json")], { cwd: dir });
	return { code: proc.exitCode ?? 1, output: proc.stdout.toString() + proc.stderr.toString() };
}

describe("generated session.ts", () => {
	test("is the same bytes on every run, and imports only the runtime entry", () => {
		for (const { model } of TEST_SCHEMAS) {
			const a = emit(model, "sess");
			expect(emit(model, "sess")).toBe(a);
			const imports = [...a.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
			expect(new Set(imports)).toEqual(new Set(["sess"]));
			expect(a).not.toContain("lockVersion"); // the lock is baked into code, not pasted
		}
	});

	test("a model using an option the emitter does not compile yet runs on the interpreted codec, with the lock embedded", async () => {
		const later = structuredClone(storeOnly);
		(later.data[1]?.type as unknown as Record<string, unknown>).laterOption = true;
		const source = emit(later, "sess");
		expect(source).toContain("because data.user (object.laterOption) is not compiled to straight-line code yet");
		expect(source).toContain("createCodec<SessionData, FlashData>(model, lock)");
		const loaded = await loadEmitted(later);
		expect(Buffer.from(loaded.codec.encode({ visits: 2, user: { id: "a", roles: [] } })).toString("hex")).toBe(
			Buffer.from(createCodec(storeOnly, updateLock(storeOnly, createLock())).encode({ visits: 2, user: { id: "a", roles: [] } })).toString("hex"),
		);
	});

	test("typechecks under strict settings; sealed options compile only for a schema declared sealed: true", () => {
		const dir = folder();
		writeFileSync(join(dir, "store-only.ts"), emit(storeOnly, RUNTIME));
		writeFileSync(join(dir, "sealable.ts"), emit(sealable, RUNTIME));
		for (const { name, model } of TEST_SCHEMAS) writeFileSync(join(dir, `${name.replace(/\W/g, "-")}.ts`), emit(model, RUNTIME));
		writeFileSync(
			join(dir, "use.ts"),
			[
				`import { MemoryStore } from ${JSON.stringify(join(ROOT, "src", "stores", "memory.ts"))};`,
				'import { createSessions as storeSessions } from "./store-only.ts";',
				'import { createSessions as sealedSessions } from "./sealable.ts";',
				"const keys = [\"k\".repeat(43)];",
				"storeSessions({ store: new MemoryStore(), keys });",
				"sealedSessions({ mode: \"sealed\", revocations: new MemoryStore(), keys });",
				"// @ts-expect-error: this schema is not declared sealed: true, so sealed options do not compile",
				"storeSessions({ mode: \"sealed\", revocations: new MemoryStore(), keys });",
				"",
			].join("\n"),
		);
		const files = ["use.ts", "store-only.ts", "sealable.ts", ...TEST_SCHEMAS.map((s) => `${s.name.replace(/\W/g, "-")}.ts`)];
		const result = tsc(dir, files);
		expect(result.output).toBe("");
		expect(result.code).toBe(0);
		// Without the directive the same call is a type error: the typing above is what refuses it.
		writeFileSync(join(dir, "use.ts"), `import { MemoryStore } from ${JSON.stringify(join(ROOT, "src", "stores", "memory.ts"))};\nimport { createSessions } from "./store-only.ts";\ncreateSessions({ mode: "sealed", revocations: new MemoryStore(), keys: ["k"] });\n`);
		expect(tsc(dir, ["use.ts", "store-only.ts"]).output).toContain("use.ts(3,");
	}, 120_000);
});

describe("sess generate --js", () => {
	test("session.js runs on Node as is, and session.d.ts types it", async () => {
		const dir = folder();
		// The runtime as the package ships it to Node: built JavaScript.
		const built = await Bun.build({
			entrypoints: [RUNTIME, join(ROOT, "src", "stores", "memory.ts")], root: ROOT, outdir: join(dir, "runtime"), target: "node", format: "esm", packages: "external", splitting: true,
		});
		expect(built.success).toBe(true);
		const runtime = join(dir, "runtime", "src", "index.js");
		const { js, dts } = emitSessionJs({ model: storeOnly, lock: updateLock(storeOnly, createLock()), header: "// test\n", runtimeImport: runtime });
		writeFileSync(join(dir, "session.js"), js);
		writeFileSync(join(dir, "session.d.ts"), dts);
		writeFileSync(
			join(dir, "main.mjs"),
			`import { MemoryStore } from ${JSON.stringify(join(dir, "runtime", "src", "stores", "memory.js"))};
import { codec, createSessions } from "./session.js";
const sessions = createSessions({ store: new MemoryStore(), keys: ["${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}"] });
const first = await sessions.load(new Request("https://app.test/"));
first.visits = first.visits + 1;
first.user = { id: "u1", roles: ["b"] };
const cookie = (await sessions.commitCookie(first)).split(";")[0];
const second = await sessions.load(new Request("https://app.test/", { headers: { cookie } }));
const bytes = codec.encode({ visits: 3, user: { id: "x", roles: ["a", "b"] } });
let refused = "";
try { codec.encode({ visits: -1, user: { id: "x", roles: [] } }); } catch (e) { refused = e.code; }
console.log(JSON.stringify({ visits: second.visits, user: second.user, hex: Buffer.from(bytes).toString("hex"), back: codec.decode(bytes), refused }));
`,
		);
		const node = Bun.spawnSync(["node", join(dir, "main.mjs")], { cwd: dir });
		expect(node.stderr.toString()).toBe("");
		const out = JSON.parse(node.stdout.toString()) as Record<string, unknown>;
		expect(out).toEqual({
			visits: 1, user: { id: "u1", roles: ["b"] }, hex: Buffer.from(createCodec(storeOnly, updateLock(storeOnly, createLock())).encode({ visits: 3, user: { id: "x", roles: ["a", "b"] } })).toString("hex"), back: { visits: 3, user: { id: "x", roles: ["a", "b"] } }, refused: "invalid_data",
		});
		// The declarations type a consumer of session.js.
		writeFileSync(join(dir, "consumer.ts"), 'import { createSessions, type SessionData } from "./session.js";\nconst d: SessionData = { visits: 1, user: { id: "", roles: ["a"] } };\nvoid d;\nvoid createSessions;\n// @ts-expect-error: visits is a number\nconst bad: SessionData = { visits: "1", user: { id: "", roles: [] } };\nvoid bad;\n');
		writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "Preserve", moduleResolution: "bundler", target: "ES2022", skipLibCheck: true, allowJs: false, types: ["bun-types"], typeRoots: [join(ROOT, "node_modules", "@types"), join(ROOT, "node_modules")], paths: { [runtime]: [RUNTIME] }, allowImportingTsExtensions: true, lib: ["ES2022", "DOM"] }, files: ["consumer.ts"] }));
		const check = Bun.spawnSync([join(BIN, "tsc"), "-p", join(dir, "tsconfig.json")], { cwd: dir });
		expect(check.stdout.toString() + check.stderr.toString()).toBe("");
	}, 120_000);
});
