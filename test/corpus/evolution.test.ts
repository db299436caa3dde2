// Evolution over the corpus: scripted edits of each schema (add, remove, retype, promote, reorder). Bytes
// written under the old schema stay decodable under the new one: a removed field is dropped, an added one
// takes its initial value, a retyped one is reset (and reported in `resets`, which the manager turns into
// an event), untouched fields keep their values; a promotion's migration is that one column, nothing else.
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as z from "zod";
import { defineSession } from "../../schema/define.ts";
import type { SessionModel } from "../../schema/model.ts";
import type { Lock } from "../../schema/lock.ts";
import { createLock, updateLock } from "../../generator/lock.ts";
import { generateMigrations, type MigrationFolder } from "../../generator/migrations.ts";
import { createCodec } from "../../src/codec.ts";
import { objectOf } from "./arbitrary.ts";
import { zeroes } from "./zeroes.ts";

type Row = Record<string, unknown>;
const SCHEMAS = join(import.meta.dir, "schemas");
const RUNS = Math.max(50, Math.floor(Number(process.env.SESS_CORPUS_RUNS ?? 1000) / 10));
const names = readdirSync(SCHEMAS).filter((f) => f.endsWith(".ts") && !f.startsWith("refuse-")).map((f) => f.slice(0, -3)).sort();

interface Edit {
	name: string;
	apply(data: z.ZodObject): z.ZodObject;
	/** What happens to each old field: kept, dropped, or reset to its new initial value. */
	fate(field: string): "kept" | "dropped" | "reset";
}

function edits(data: z.ZodObject): Edit[] {
	const keys = Object.keys(data.shape);
	const first = keys[0] as string;
	return [
		{ name: "add an optional field and a defaulted one", apply: (d) => d.extend({ addedA: z.string().max(9).optional(), addedB: z.int().default(7) }), fate: () => "kept" },
		{ name: `remove ${first}`, apply: (d) => d.omit({ [first]: true } as never) as z.ZodObject, fate: (f) => (f === first ? "dropped" : "kept") },
		{
			name: `retype ${first} to a boolean`,
			apply: (d) => d.extend({ [first]: z.boolean().default(true) }),
			fate: (f) => (f === first ? "reset" : "kept"),
		},
		{ name: "reorder the fields", apply: (d) => z.object(Object.fromEntries([...keys].reverse().map((k) => [k, d.shape[k] as z.ZodType]))), fate: () => "kept" },
	];
}

describe("evolution over the corpus", () => {
	for (const name of names) {
		test(`${name}: add, remove, retype, reorder keep earlier bytes decodable`, async () => {
			const mod = (await import(join(SCHEMAS, `${name}.ts`))) as { default: SessionModel; data: z.ZodObject };
			const before = mod.default;
			const lock = updateLock(before, createLock());
			const oldCodec = createCodec<Row, Row>(before, lock);
			const samples = fc
				.sample(objectOf(before.data, 0), { numRuns: RUNS * 4, seed: 7 })
				.map((v) => mod.data.safeParse(v))
				.filter((r) => r.success)
				.map((r) => r.data as Row)
				.filter((d) => {
					try {
						oldCodec.encode(d);
						return true;
					} catch {
						return false;
					}
				})
				.slice(0, RUNS);
			for (const edit of edits(mod.data)) {
				const after = defineSession({ data: edit.apply(mod.data), sealed: false });
				const nextLock: Lock = updateLock(after, lock);
				const codec = createCodec<Row, Row>(after, nextLock);
				const fresh = codec.initial();
				for (const value of samples) {
					const bytes = oldCodec.encode(value);
					const { data, resets } = codec.decodeSession(bytes);
					for (const field of before.data) {
						const fate = edit.fate(field.name);
						if (fate === "dropped") expect(field.name in data).toBe(false);
						else if (fate === "reset") {
							expect(data[field.name]).toEqual(fresh[field.name]);
							if (value[field.name] !== undefined) expect(resets).toContain(field.name);
						} else expect(zeroes(data[field.name])).toEqual(zeroes(value[field.name]));
					}
					for (const field of after.data) if (!before.data.some((f) => f.name === field.name)) expect(data[field.name]).toEqual(fresh[field.name]);
				}
			}
		}, 120_000);
	}

	test("promoting a field adds that one column and index, nothing else", async () => {
		const data = z.object({ tenant: z.string().max(40).optional(), plan: z.enum(["free", "pro"]).default("free") });
		const before = defineSession({ data });
		const after = defineSession({ data: data.extend({ tenant: z.string().max(40).optional().meta({ column: true }) }) });
		for (const dialect of ["sqlite", "postgres", "mysql"] as const) {
			const first = await generateMigrations(before.table, dialect, { files: new Map() }, 1_700_000_000_000);
			const folder: MigrationFolder = { files: new Map(first.map((f) => [f.path, f.contents])) };
			const second = await generateMigrations(after.table, dialect, folder, 1_700_000_100_000);
			const sql = second.find((f) => f.path.endsWith(".sql"))?.contents ?? "";
			const statements = sql.split("--> statement-breakpoint").map((s) => s.trim()).filter((s) => s !== "");
			expect(statements).toHaveLength(2);
			expect(statements[0]).toMatch(/^ALTER TABLE .sessions. ADD (COLUMN )?.tenant. /);
			expect(statements[1]).toMatch(/^CREATE INDEX .sessions_tenant_idx. ON .sessions./);
			// Old bytes decode unchanged: promotion is a storage change, not a wire change.
			const lock = updateLock(before, createLock());
			expect(updateLock(after, lock)).toEqual(lock);
		}
	});
});
