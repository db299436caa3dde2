// The codec under Deno (bun test runs this folder too): golden bytes of the generated demo codec,
// and the basics of schema evolution through the lock.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as z from "zod";
import { createCodec, DecodeError, type Lock, type SessionCodec } from "sess";
import { defineSession } from "sess/schema";
import { createLock, updateLock } from "../../generator/lock.ts";
import { codec, type SessionData } from "../../examples/demo/src/generated/session.ts";

type Row = Record<string, unknown>;

function compile(data: z.ZodType, previous: Lock = createLock()): { lock: Lock; codec: SessionCodec<Row, Row> } {
	const model = defineSession({ data });
	const lock = updateLock(model, previous);
	return { lock, codec: createCodec<Row, Row>(model, lock) };
}

function hex(bytes: Uint8Array): string {
	return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const typical: SessionData = { userId: "user-12345", role: "user", cart: [3, 14, 15, 92, 65], theme: "dark" };
const TYPICAL_HEX = "010a0a757365722d313233343510011a07061c1eb80182012001";

describe("codec round trip", () => {
	test("the generated codec writes the golden bytes Bun writes", () => {
		assert.equal(hex(codec.encode(typical)), TYPICAL_HEX);
	});

	test("the bytes decode to the same session, flash included", () => {
		const bytes = codec.encode(typical, { message: "hi" });
		assert.deepEqual(codec.decodeSession(bytes), { data: typical, flash: { message: "hi" }, meta: {}, resets: [] });
	});

	test("truncated bytes throw DecodeError, not something else", () => {
		assert.throws(() => codec.decode(codec.encode(typical).subarray(0, 8)), (e: unknown) => e instanceof DecodeError && e.code === "decode_failed");
	});
});

describe("schema evolution", () => {
	test("an added field takes its default when reading old bytes", () => {
		const v1 = compile(z.object({ name: z.string().default("") }));
		const bytes = v1.codec.encode({ name: "ada" });
		const v2 = compile(z.object({ name: z.string().default(""), visits: z.int().default(7) }), v1.lock);
		assert.deepEqual(v2.codec.decodeSession(bytes), { data: { name: "ada", visits: 7 }, flash: {}, meta: {}, resets: [] });
	});

	test("a removed field is skipped and its number retired; a later field gets a fresh number", () => {
		const v1 = compile(z.object({ name: z.string().default(""), visits: z.int().default(0) }));
		const bytes = v1.codec.encode({ name: "ada", visits: 5 });
		const v2 = compile(z.object({ name: z.string().default("") }), v1.lock);
		const v3 = compile(z.object({ name: z.string().default(""), score: z.int().default(0) }), v2.lock);
		assert.deepEqual(v3.lock.scopes.data?.fields.score, { number: 3, shape: "int" });
		assert.deepEqual(v3.codec.decodeSession(bytes), { data: { name: "ada", score: 0 }, flash: {}, meta: {}, resets: [] });
	});

	test("a field whose type changed resets to its default and is reported", () => {
		const v1 = compile(z.object({ code: z.string().default(""), keep: z.boolean().default(false) }));
		const bytes = v1.codec.encode({ code: "42", keep: true });
		const v2 = compile(z.object({ code: z.int().default(-1), keep: z.boolean().default(false) }), v1.lock);
		assert.deepEqual(v2.codec.decodeSession(bytes), { data: { code: -1, keep: true }, flash: {}, meta: {}, resets: ["code"] });
	});
});
