// Codec format 2: strings packed by their format, and bytes of the earlier formats still decoding.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as z from "zod";
import { defineSession } from "../../schema/define.ts";
import { createLock, updateLock } from "../../generator/lock.ts";
import { createCodec } from "../../src/codec.ts";
import type { SessionModel, TypeModel } from "../../schema/model.ts";

type Row = Record<string, unknown>;

const data = z.object({
	id: z.uuid().optional(),
	guid: z.guid().optional(),
	token: z.base64url().optional(),
	csrf: z.base64url().length(43).optional(),
	blob: z.base64().optional(),
	digest: z.hex().optional(),
	at: z.iso.datetime({ offset: true }).optional(),
	day: z.iso.date().optional(),
	ids: z.array(z.uuid()).max(5).default([]),
});
const model = defineSession({ data });
const lock = updateLock(model, createLock());
const codec = createCodec<Row, Row>(model, lock);

/** The same model without packing: what the codec wrote before (format 1). */
function plain(m: SessionModel): SessionModel {
	const strip = (t: TypeModel): TypeModel => JSON.parse(JSON.stringify(t, (k, v) => (k === "pack" ? undefined : v)));
	return { ...m, data: m.data.map((f) => ({ ...f, type: strip(f.type) })) };
}
const oldCodec = createCodec<Row, Row>(plain(model), lock);

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("packed strings", () => {
	test("a lower-case uuid is 16 bytes on the wire; an upper-case one stays text and round-trips exactly", () => {
		const id = "3b241101-e2bb-4255-8caf-4136c566a962";
		expect(hex(codec.encode({ id, ids: [] }))).toBe(`020a10${id.replace(/-/g, "")}4a00`);
		const upper = id.toUpperCase();
		expect(codec.decode(codec.encode({ id: upper, ids: [] }))).toEqual({ id: upper, ids: [] });
	});

	test("32 bytes of base64url with a fixed length are 32 bytes on the wire, no flag", () => {
		const csrf = Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => i)).toString("base64url");
		const bytes = codec.encode({ csrf, ids: [] });
		// format, tag (field 4, bytes), length 32, the bytes, then the empty ids array.
		expect(hex(bytes).slice(0, 6)).toBe("022220");
		expect(bytes.length).toBe(1 + 2 + 32 + 2);
		expect(codec.decode(bytes)).toEqual({ csrf, ids: [] });
	});

	test("ISO datetimes at whole seconds or milliseconds are integers; others stay text", () => {
		for (const at of ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123Z", "2024-05-01T10:00:00+02:00", "2024-05-01T10:00:00.1Z"]) {
			expect(codec.decode(codec.encode({ at, ids: [] }))).toEqual({ at, ids: [] });
		}
		const seconds = codec.encode({ at: "2024-05-01T10:00:00Z", ids: [] }).length;
		const text = oldCodec.encode({ at: "2024-05-01T10:00:00Z", ids: [] }).length;
		expect(seconds).toBeLessThan(text - 12);
	});

	test("any value Zod accepts round-trips exactly, packed or not", () => {
		const arb = fc.record(
			{
				id: fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase())),
				guid: fc.uuid(),
				token: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("base64url")),
				blob: fc.oneof(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("base64")), fc.constantFrom("QQ==", "QR==", "")),
				digest: fc.oneof(fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString("hex")), fc.constantFrom("ABCD", "abc")),
				at: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
				day: fc.date({ min: new Date(-1e12), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
			},
			{ requiredKeys: [] },
		);
		fc.assert(
			fc.property(arb, (raw) => {
				const parsed = data.safeParse({ ...raw, ids: [] });
				if (!parsed.success) return;
				expect(codec.decode(codec.encode(parsed.data))).toEqual(parsed.data);
				// Never longer than the plain form by more than the flag byte.
				expect(codec.encode(parsed.data).length).toBeLessThanOrEqual(oldCodec.encode(parsed.data).length + 7);
			}),
			{ numRuns: 1000 },
		);
	});
});

describe("old bytes still decode", () => {
	test("format 1 bytes (strings as UTF-8) decode to the same value under the packing codec", () => {
		const value = { id: "3b241101-e2bb-4255-8caf-4136c566a962", token: "AAEC", digest: "00ff", at: "2024-05-01T10:00:00Z", day: "2024-05-01", ids: ["3b241101-e2bb-4255-8caf-4136c566a962"] };
		const old = oldCodec.encode(value);
		expect(old[0]).toBe(1);
		expect(codec.decode(old)).toEqual(value);
	});

	test("a lone authentication time is a varint system field in format 2, and a frame in format 1", () => {
		const meta = { authenticatedAt: 1_700_000_000_000 };
		const short = codec.encodeTrusted({ ids: [] }, undefined, meta);
		expect(hex(short).slice(0, 4)).toBe("0200");
		expect(codec.decodeSession(short).meta).toEqual(meta);
		const framed = oldCodec.encodeTrusted({ ids: [] }, undefined, meta);
		expect(hex(framed).slice(0, 4)).toBe("0102");
		expect(codec.decodeSession(framed).meta).toEqual(meta);
	});

});
