// Size: values packed by what the schema knows (uuid → 16 bytes, base64url → its bytes, ISO dates → integers).
// 1. The payload as a sealed cookie, sess vs iron-session, with packing (codec format 2) and
//    without it (format 1, what sess wrote before).
// 2. The codec vs JSON over the schema corpus: per schema the median of codec bytes ÷ JSON bytes over
//    200 values Zod accepts (drawn with a fixed seed), then the median over schemas.
// Run: bun bench/size.ts  (prints a Markdown table)
import { readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { getIronSession, webCookies } from "iron-session";
import type * as z from "zod";
import type { SessionModel, TypeModel } from "../schema/model.ts";
import { createLock, updateLock } from "../generator/lock.ts";
import { createCodec } from "../src/codec.ts";
import { createSessionManager } from "../src/manager.ts";
import { Session } from "../src/session.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { objectOf } from "../test/corpus/arbitrary.ts";
import { cookiePair, newKey } from "./lib/schema.ts";

/** The model with every `pack` removed: the codec then writes format 1, as before packing. */
function unpacked(model: SessionModel): SessionModel {
	const strip = (t: TypeModel): TypeModel => JSON.parse(JSON.stringify(t, (k, v) => (k === "pack" ? undefined : v)));
	return { ...model, data: model.data.map((f) => ({ ...f, type: strip(f.type) })), flash: model.flash.map((f) => ({ ...f, type: strip(f.type) })) };
}

/** A Session class with a setter per field, as the generated one has. */
function sessionClass(model: SessionModel): typeof Session {
	class Typed extends Session<Record<string, unknown>> {}
	for (const f of model.data) {
		Object.defineProperty(Typed.prototype, f.name, {
			get(this: Typed) {
				return this.read(f.name);
			},
			set(this: Typed, v: unknown) {
				this.write(f.name, v);
			},
		});
	}
	return Typed as unknown as typeof Session;
}

async function sealedCookie(model: SessionModel, data: Record<string, unknown>): Promise<number> {
	const lock = updateLock(model, createLock());
	const codec = createCodec(model, lock);
	// Built the way generated code builds it, without the generated types.
	const sessions = createSessionManager({ model, codec, Session: sessionClass(model) } as never, { mode: "sealed", revocations: new MemoryStore(), keys: [newKey()] } as never) as unknown as {
		load(r: { headers: Headers }): Promise<Record<string, unknown>>;
		commitCookie(s: unknown): Promise<string | null>;
	};
	const s = await sessions.load({ headers: new Headers() });
	Object.assign(s, data);
	const set = await sessions.commitCookie(s);
	if (set === null) throw new Error("no cookie");
	const pair = cookiePair(set);
	return Buffer.byteLength(pair.slice(pair.indexOf("=") + 1));
}

async function ironCookie(data: Record<string, unknown>): Promise<number> {
	const headers = new Headers();
	const iron = await getIronSession<Record<string, unknown>>(webCookies(new Request("https://app.test/"), headers), {
		password: newKey() + newKey(), cookieName: "iron", ttl: 12 * 3600,
		cookieOptions: { secure: true, httpOnly: true, sameSite: "lax", path: "/" },
	});
	Object.assign(iron, data);
	await iron.save();
	const pair = cookiePair(headers.getSetCookie()[0] as string);
	return Buffer.byteLength(pair.slice(pair.indexOf("=") + 1));
}

const corpus = join(import.meta.dir, "..", "test", "corpus", "schemas");
const payloadModel = (await import(join(corpus, "sealed-small.ts"))).default as SessionModel;
const payload = {
	userId: crypto.randomUUID(),
	role: "admin",
	cartIds: [104_233, 998_001, 512_345, 300_000, 777_777],
	theme: "dark",
	csrf: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"),
};
const iron = await ironCookie(payload);
const before = await sealedCookie(unpacked(payloadModel), payload);
const after = await sealedCookie(payloadModel, payload);

const lines = [
	"| the issue's payload, sealed cookie value | bytes | ÷ iron-session |",
	"|---|---|---|",
	`| iron-session 8 | ${iron} | 1.00 |`,
	`| sess sealed, codec format 1 (strings as UTF-8) | ${before} | ${(before / iron).toFixed(2)} |`,
	`| sess sealed, codec format 2 (uuid, base64url packed) | ${after} | ${(after / iron).toFixed(2)} |`,
	"",
	"| corpus schema | codec ÷ JSON, before (format 1) | after (format 2) |",
	"|---|---|---|",
];

const median = (xs: number[]): number => {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const json = (v: unknown): number => Buffer.byteLength(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x)));

const perSchemaBefore: number[] = [];
const perSchemaAfter: number[] = [];
for (const file of readdirSync(corpus).filter((f) => f.endsWith(".ts") && !f.startsWith("refuse-")).sort()) {
	const mod = (await import(join(corpus, file))) as { default: SessionModel; data: z.ZodObject };
	const model = mod.default;
	const lock = updateLock(model, createLock());
	const packed = createCodec(model, lock);
	const plain = createCodec(unpacked(model), lock);
	const values = fc
		.sample(objectOf(model.data, 0), { numRuns: 4000, seed: 42 })
		.map((v) => mod.data.safeParse(v))
		.filter((r) => r.success && packed.encode !== undefined)
		.map((r) => r.data as Record<string, unknown>)
		.filter((d) => {
			try {
				packed.encode(d);
				return true;
			} catch {
				return false;
			}
		})
		.slice(0, 200);
	if (values.length === 0) continue;
	const b = median(values.map((d) => plain.encode(d).length / json(d)));
	const a = median(values.map((d) => packed.encode(d).length / json(d)));
	perSchemaBefore.push(b);
	perSchemaAfter.push(a);
	lines.push(`| ${file.slice(0, -3)} (${values.length} values) | ${b.toFixed(2)} | ${a.toFixed(2)} |`);
}
lines.push(`| **median over ${perSchemaAfter.length} schemas** | **${median(perSchemaBefore).toFixed(2)}** | **${median(perSchemaAfter).toFixed(2)}** |`);
process.stdout.write(`${lines.join("\n")}\n`);
