// The schema corpus, proven against Zod. For every schema in test/corpus/schemas/: it generates
// deterministically; the generated modules typecheck under tsc --strict (one run for all); and with
// values drawn from the schema, what Zod's safeParse accepts is accepted on assignment and round-trips
// encode → decode to Zod's output, what Zod rejects is refused with InvalidDataError, and mutated
// bytes never decode to data Zod rejects. Refusal schemas fail with a message in the user's terms.
// Runs per schema: SESS_CORPUS_RUNS (default 1000; scripts/corpus-soak.ts runs 100,000).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import fc from "fast-check";
import type * as z from "zod";
import type { SessionModel } from "../../schema/model.ts";
import { generate } from "../../generator/generate.ts";
import { sealedCookieSize } from "../../schema/sealed-size.ts";
import { DecodeError, InvalidDataError, SessError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/stores/memory.ts";
import { newKey } from "../helpers/harness.ts";
import { objectOf } from "./arbitrary.ts";
import { zeroes } from "./zeroes.ts";

const ROOT = resolve(import.meta.dir, "../..");
const SCHEMAS = join(import.meta.dir, "schemas");
const OUT = join(ROOT, ".tmp", `corpus-${process.pid}`);
const RUNS = Number(process.env.SESS_CORPUS_RUNS ?? 1000);
const SEED = process.env.SESS_CORPUS_SEED === undefined ? undefined : Number(process.env.SESS_CORPUS_SEED);

const names = readdirSync(SCHEMAS).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
const supported = names.filter((n) => !n.startsWith("refuse-"));
const refusals = names.filter((n) => n.startsWith("refuse-"));

interface Generated {
	codec: { encode(d: unknown): Uint8Array; decode(b: Uint8Array): Record<string, unknown>; decodeSession(b: Uint8Array): { data: Record<string, unknown> }; initial(): Record<string, unknown> };
	createSessions(options: unknown): { load(request: Request): Promise<Record<string, unknown> & { csrfToken(): string; toJSON(): Record<string, unknown> }>; commit(session: unknown, response: Response): Promise<Response> };
}

const config = (name: string) => ({
	schema: `test/corpus/schemas/${name}.ts`,
	out: `${relative(ROOT, OUT)}/${name}`,
	dialects: ["sqlite", "postgres", "mysql"] as ("sqlite" | "postgres" | "mysql")[],
	migrations: `${relative(ROOT, OUT)}/${name}/migrations`,
	lock: `${relative(ROOT, OUT)}/${name}/sess.lock.json`,
	runtimeImport: relative(join(OUT, name), join(ROOT, "src", "index.ts")),
});

async function generateFiles(name: string, model: SessionModel): Promise<{ path: string; contents: string }[]> {
	return generate({ model, schemaPath: `test/corpus/schemas/${name}.ts`, lock: null, migrations: {}, config: config(name), now: () => 1_700_000_000_000 });
}

beforeAll(() => mkdirSync(OUT, { recursive: true }));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

test(`the corpus holds at least 40 schemas (${names.length}: ${supported.length} supported, ${refusals.length} refused)`, () => {
	expect(names.length).toBeGreaterThanOrEqual(40);
	expect(refusals.length).toBeGreaterThanOrEqual(10);
});

describe("generation", () => {
	test("every supported schema generates deterministically, and all generated modules typecheck under tsc --strict --noUnusedLocals --noUnusedParameters in one run", async () => {
		for (const name of supported) {
			const model = (await import(join(SCHEMAS, `${name}.ts`))).default as SessionModel;
			const first = await generateFiles(name, model);
			const second = await generateFiles(name, structuredClone(model));
			expect(second).toEqual(first);
			for (const file of first) {
				const path = join(ROOT, file.path);
				mkdirSync(join(path, ".."), { recursive: true });
				writeFileSync(path, file.contents);
			}
		}
		writeFileSync(
			join(OUT, "tsconfig.json"),
			JSON.stringify({ extends: relative(OUT, join(ROOT, "tsconfig.json")), compilerOptions: { strict: true, noEmit: true, noUnusedLocals: true, noUnusedParameters: true }, include: ["./**/*.ts"] }),
		);
		const tsc = Bun.spawnSync([join(ROOT, "node_modules", ".bin", "tsc"), "-p", join(OUT, "tsconfig.json")], { cwd: ROOT });
		const output = new TextDecoder().decode(tsc.stdout) + new TextDecoder().decode(tsc.stderr);
		expect(output).toBe("");
		expect(tsc.exitCode).toBe(0);
	}, 300_000);
});

describe("refusals", () => {
	for (const name of refusals) {
		test(`${name}: refused with a message in the user's terms`, async () => {
			const mod = (await import(join(SCHEMAS, `${name}.ts`))) as { refused: string; define: () => unknown };
			let error: unknown;
			try {
				mod.define();
			} catch (e) {
				error = e;
			}
			expect(error).toBeInstanceOf(SessError);
			const message = (error as SessError).message;
			expect((error as SessError).code).toBe("unsupported_schema");
			expect(message).toContain(mod.refused);
			// No Zod internals and no positional union paths.
			for (const internal of ["|0", "|1", "overwrite", "string_format", '"custom"', "{key}", "{}"]) expect(message).not.toContain(internal);
		});
	}
});

describe("values drawn from each schema, against Zod", () => {
	for (const name of supported) {
		test(`${name}: Zod accepts ⇔ assignment accepts; accepted data round-trips to Zod's output; mutated bytes never decode to data Zod rejects (${RUNS} runs)`, async () => {
			const schemaModule = (await import(join(SCHEMAS, `${name}.ts`))) as { default: SessionModel; data: z.ZodObject };
			const model = schemaModule.default;
			const zodData = schemaModule.data;
			const files = await generateFiles(name, model);
			const dir = join(OUT, name);
			mkdirSync(dir, { recursive: true });
			for (const file of files) {
				mkdirSync(join(ROOT, file.path, ".."), { recursive: true });
				writeFileSync(join(ROOT, file.path), file.contents);
			}
			const generated = (await import(join(dir, "session.ts"))) as Generated;
			// A schema that runs sealed is drawn in sealed mode, and every cookie is held to the worst case defineSession computed.
			const sessions = model.sealed ? generated.createSessions({ mode: "sealed", revocations: new MemoryStore(), keys: [newKey()] }) : generated.createSessions({ store: new MemoryStore(), keys: [newKey()] });
			const worstCookie = model.sealed ? sealedCookieSize(model).bytes : Infinity;
			const shape = zodData.shape as Record<string, z.ZodType>;
			let accepted = 0;
			let refused = 0;
			await fc.assert(
				fc.asyncProperty(objectOf(model.data, 0), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }), fc.nat(), async (candidate, edits, cut) => {
					const session = await sessions.load(new Request("https://app.test/"));
					const expected: Record<string, unknown> = { ...generated.codec.initial() };
					for (const field of model.data) {
						if (!(field.name in candidate)) continue;
						const value = candidate[field.name];
						// Clearing a defaulted field is a type error (its setter takes the field's type), not a Zod question.
						if (value === undefined && !field.optional) continue;
						const zod = (shape[field.name] as z.ZodType).safeParse(value);
						let error: unknown;
						try {
							session[field.name] = value;
						} catch (e) {
							error = e;
						}
						// Zod can output a value Zod itself refuses (`.length(2).toUpperCase()` turns "aß" into "ASS"):
						// stored, it would be reset on the next load, so assignment refuses it (documented).
						const storable = zod.success && (shape[field.name] as z.ZodType).safeParse(zod.data).success;
						if (zod.success && !storable) {
							expect(error).toBeInstanceOf(InvalidDataError);
							refused++;
						} else if (zod.success) {
							if (error !== undefined) throw new Error(`${name}.${field.name}: Zod accepts ${show(value)} but assignment refused it: ${String(error)}`);
							if (zod.data === undefined) delete expected[field.name];
							else expected[field.name] = zod.data;
							accepted++;
						} else {
							if (error === undefined) throw new Error(`${name}.${field.name}: Zod rejects ${show(value)} (${zod.error.issues[0]?.message}) but assignment accepted it`);
							expect(error).toBeInstanceOf(InvalidDataError);
							refused++;
						}
					}
					if (model.sealed) {
						session.csrfToken();
						const cookie = (await sessions.commit(session, new Response())).headers.getSetCookie()[0] ?? "";
						expect(cookie.length).toBeLessThanOrEqual(worstCookie);
					}
					const data = session.toJSON();
					const bytes = generated.codec.encode(data);
					const decoded = generated.codec.decode(bytes);
					// An integer -0 is stored as 0 (documented); zeros are compared by value here.
					expect(zeroes(decoded)).toEqual(zeroes(expected));
					expect(zodData.safeParse(decoded).success).toBe(true);

					// Mutated bytes: structural damage throws DecodeError; anything that decodes is valid data.
					const mutated = bytes.slice(0, bytes.length - (cut % 3 === 0 ? cut % (bytes.length + 1) : 0));
					for (const [at, byte] of edits) if (mutated.length > 0) mutated[at % mutated.length] = byte;
					let out: Record<string, unknown> | undefined;
					try {
						out = generated.codec.decodeSession(mutated).data;
					} catch (e) {
						if (!(e instanceof DecodeError)) throw e;
					}
					if (out !== undefined) {
						const check = zodData.safeParse(out);
						if (!check.success) throw new Error(`${name}: mutated bytes decoded to ${show(out)}, which Zod rejects: ${check.error.issues[0]?.message}`);
					}
				}),
				{ numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
			);
			// The arbitraries must reach both sides, or the property proves little.
			expect(accepted).toBeGreaterThan(0);
			expect(refused).toBeGreaterThan(0);
		}, 600_000);
	}
});

function show(v: unknown): string {
	return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x === undefined ? "undefined" : x));
}
