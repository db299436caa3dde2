import type { FieldModel, JSONValue, SessionModel, TypeModel } from "../schema/model.ts";
import { childPath, type Lock } from "../schema/lock.ts";
import { DecodeError, InvalidDataError, SchemaError } from "./errors.ts";
import { compileCheck, compileObjectCheck, type Check } from "./validate.ts";
import { Reader, WIRE_BYTES, WIRE_FIXED64, WIRE_NULL, WIRE_VARINT, Writer } from "./wire.ts";

/** First byte of every encoded session; bumped only if the framing itself ever changes. */
export const CODEC_FORMAT = 1;
/** Encoded sessions larger than this are refused on decode (a store never holds one we wrote). */
export const MAX_ENCODED_BYTES = 1 << 20;
/** Field number of the flash frame inside the top-level message. */
const FLASH_NUMBER = 0;

/** Data, flash and the names of fields that were reset to their initial value while decoding. */
export interface DecodedSession<D, F> {
	data: D;
	flash: Partial<F>;
	/** Dotted paths of fields whose stored value no longer fit the schema (type or bounds changed). */
	resets: string[];
}

/** The compact, versioned binary form of one schema's session data. */
export interface SessionCodec<D, F> {
	/** Encodes validated data (and pending flash); throws `InvalidDataError` on data that does not fit. */
	encode(data: D, flash?: Partial<F>): Uint8Array;
	/** Decodes bytes into data that satisfies the schema, or throws `DecodeError`. */
	decode(bytes: Uint8Array): D;
	/** Like `decode`, also returning flash and the fields reset by schema evolution. */
	decodeSession(bytes: Uint8Array): DecodedSession<D, F>;
	/** Encodes without validating: for values that came through validated setters or `decode`. */
	encodeTrusted(data: D, flash: Partial<F> | undefined): Uint8Array;
	/** A fresh session's data: every field at its initial value, deeply frozen. */
	initial(): D;
}

interface ValueCodec {
	wire: number;
	write(w: Writer, v: unknown): void;
	read(r: Reader): unknown;
}

interface FieldCodec {
	name: string;
	number: number;
	optional: boolean;
	/** A fresh initial value (shared when immutable; Dates cannot be frozen, so those are rebuilt). */
	initial: (() => unknown) | undefined;
	check: Check;
	codec: ValueCodec;
}

interface ObjectCodec {
	fields: FieldCodec[];
	byNumber: Map<number, FieldCodec>;
	/** Retired numbers of fields that still exist under a new shape: reading one resets that field. */
	retyped: Map<number, string>;
}

type Row = Record<string, unknown>;

/** Compiles a codec for a model and its lock; everything per-field is resolved here, once. */
export function createCodec<D, F>(model: SessionModel, lock: Lock): SessionCodec<D, F> {
	const data = compileObject(model.data, "data", lock);
	const flash = compileObject(model.flash, "flash", lock);
	const checkData = compileObjectCheck(model.data);
	const checkFlash = compileObjectCheck(model.flash.map((f) => ({ ...f, optional: true })));

	function encodeTrusted(value: D, pending: Partial<F> | undefined): Uint8Array {
		const w = new Writer();
		w.byte(CODEC_FORMAT);
		if (pending !== undefined && hasAny(pending as Row)) {
			w.varint((FLASH_NUMBER << 3) | WIRE_BYTES);
			w.frame((inner) => writeObject(inner, flash, pending as Row));
		}
		writeObject(w, data, value as Row);
		return w.finish();
	}

	function decodeSession(bytes: Uint8Array): DecodedSession<D, F> {
		if (!(bytes instanceof Uint8Array)) throw new DecodeError("expected bytes");
		if (bytes.length > MAX_ENCODED_BYTES) throw new DecodeError("encoded session too large");
		if (bytes.length === 0 || bytes[0] !== CODEC_FORMAT) throw new DecodeError("unknown codec format");
		const r = new Reader(bytes, 1);
		const resets: string[] = [];
		let pending: Row = {};
		const out = readObject(r, data, "", resets, (number, wire) => {
			if (number !== FLASH_NUMBER || wire !== WIRE_BYTES) return false;
			const sub = r.sub();
			const flashResets: string[] = [];
			pending = readObject(sub, flash, "flash.", flashResets, undefined, true);
			resets.push(...flashResets);
			return true;
		});
		return { data: out as D, flash: pending as Partial<F>, resets };
	}

	return {
		encode(value, pending) {
			const problem = checkData(value);
			if (problem !== null) throw new InvalidDataError("data", problem);
			if (pending !== undefined) {
				const p = checkFlash(pending);
				if (p !== null) throw new InvalidDataError("flash", p);
			}
			return encodeTrusted(value, pending);
		},
		decode: (bytes) => decodeSession(bytes).data,
		decodeSession,
		encodeTrusted,
		initial() {
			const out: Row = {};
			for (const f of data.fields) if (f.initial !== undefined) out[f.name] = f.initial();
			return out as D;
		},
	};
}

function hasAny(row: Row): boolean {
	for (const k in row) if (row[k] !== undefined) return true;
	return false;
}

function compileObject(fields: FieldModel[], path: string, lock: Lock): ObjectCodec {
	const scope = lock.scopes[path];
	if (scope === undefined && fields.length > 0) {
		throw new SchemaError("unsupported_schema", `sess.lock.json has no numbers for "${path}": run \`sess generate\`.`);
	}
	const compiled: FieldCodec[] = fields.map((f) => {
		const entry = scope?.fields[f.name];
		if (entry === undefined) {
			throw new SchemaError("unsupported_schema", `sess.lock.json has no number for "${path}.${f.name}": run \`sess generate\`.`);
		}
		return {
			name: f.name,
			number: entry.number,
			optional: f.optional,
			initial: initialFactory(f.initial, f.type),
			check: compileCheck(f.type),
			// A tagged field marks null with its own wire type, so its codec is the inner type's.
			codec: compileValue(f.type.kind === "nullable" ? f.type.inner : f.type, `${path}.${f.name}`, lock),
		};
	});
	compiled.sort((a, b) => a.number - b.number);
	const names = new Set(fields.map((f) => f.name));
	const retyped = new Map<number, string>();
	for (const [number, entry] of Object.entries(scope?.retired ?? {})) {
		if (names.has(entry.name)) retyped.set(Number(number), entry.name);
	}
	return { fields: compiled, byNumber: new Map(compiled.map((f) => [f.number, f])), retyped };
}

function writeObject(w: Writer, obj: ObjectCodec, row: Row): void {
	for (const f of obj.fields) {
		const v = row[f.name];
		if (v === undefined) continue;
		if (v === null) {
			w.varint((f.number << 3) | WIRE_NULL);
			continue;
		}
		w.varint((f.number << 3) | f.codec.wire);
		f.codec.write(w, v);
	}
}

/**
 * Reads one message. Structural damage (truncation, bad lengths) throws; a field whose value no
 * longer fits its schema is reset to its initial value and reported in `resets`.
 */
function readObject(
	r: Reader,
	obj: ObjectCodec,
	prefix: string,
	resets: string[],
	special?: (number: number, wire: number) => boolean,
	partial = false,
): Row {
	const out: Row = {};
	let last = -1;
	while (!r.done) {
		const tag = r.varint();
		const number = Math.floor(tag / 8);
		const wire = tag % 8;
		if (number <= last) throw new DecodeError("fields out of order");
		last = number;
		if (special?.(number, wire) === true) continue;
		const f = obj.byNumber.get(number);
		if (f === undefined) {
			const retyped = obj.retyped.get(number);
			if (retyped !== undefined) resets.push(prefix + retyped);
			r.skip(wire);
			continue;
		}
		const save = r.pos;
		let value: unknown;
		let ok = false;
		try {
			if (wire === WIRE_NULL) value = null;
			else if (wire === f.codec.wire) value = f.codec.read(r);
			else throw new DecodeError("wire type changed");
			ok = f.check(value) === null;
		} catch (e) {
			if (!(e instanceof DecodeError)) throw e;
			r.pos = save;
			r.skip(wire);
		}
		if (ok) out[f.name] = value;
		else resets.push(prefix + f.name);
	}
	if (!partial) {
		for (const f of obj.fields) if (!(f.name in out) && f.initial !== undefined) out[f.name] = f.initial();
	}
	return out;
}

function compileValue(type: TypeModel, path: string, lock: Lock): ValueCodec {
	switch (type.kind) {
		case "string":
			return { wire: WIRE_BYTES, write: (w, v) => w.string(v as string), read: (r) => r.string() };
		case "int":
			return { wire: WIRE_VARINT, write: (w, v) => w.zigzag(v as number), read: (r) => r.zigzag() };
		case "date":
			return {
				wire: WIRE_VARINT,
				write: (w, v) => w.zigzag((v as Date).getTime()),
				read: (r) => {
					const d = new Date(r.zigzag());
					if (Number.isNaN(d.getTime())) throw new DecodeError("date out of range");
					return d;
				},
			};
		case "float":
			return { wire: WIRE_FIXED64, write: (w, v) => w.float64(v as number), read: (r) => r.float64() };
		case "boolean":
			return {
				wire: WIRE_VARINT,
				write: (w, v) => w.varint(v === true ? 1 : 0),
				read: (r) => {
					const b = r.varint();
					if (b > 1) throw new DecodeError("boolean out of range");
					return b === 1;
				},
			};
		case "enum": {
			const wireValues = lock.enums[path];
			if (wireValues === undefined) throw new SchemaError("unsupported_schema", `sess.lock.json has no values for enum "${path}": run \`sess generate\`.`);
			const toWire = new Map(wireValues.map((v, i) => [v, i]));
			const allowed = new Set(type.values);
			return {
				wire: WIRE_VARINT,
				write: (w, v) => w.varint(toWire.get(v as string) as number),
				read: (r) => {
					const v = wireValues[r.varint()];
					// A value dropped from the enum since the bytes were written is not valid any more.
					if (v === undefined || !allowed.has(v)) throw new DecodeError("enum value out of range");
					return v;
				},
			};
		}
		case "nullable": {
			const inner = compileValue(type.inner, path, lock);
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => {
					if (v === null) f.byte(0);
					else {
						f.byte(1);
						inner.write(f, v);
					}
				}),
				read: (r) => {
					const sub = r.sub();
					const flag = sub.byte();
					if (flag > 1) throw new DecodeError("bad null flag");
					const v = flag === 0 ? null : inner.read(sub);
					if (!sub.done) throw new DecodeError("trailing bytes");
					return v;
				},
			};
		}
		case "array": {
			const element = compileValue(type.element, childPath(path, "element"), lock);
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => {
					for (const x of v as unknown[]) element.write(f, x);
				}),
				read: (r) => {
					const sub = r.sub();
					const out: unknown[] = [];
					while (!sub.done) out.push(element.read(sub));
					return Object.freeze(out);
				},
			};
		}
		case "record": {
			const value = compileValue(type.value, childPath(path, "value"), lock);
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => {
					for (const k of Object.keys(v as Row).sort()) {
						f.string(k);
						value.write(f, (v as Row)[k]);
					}
				}),
				read: (r) => {
					const sub = r.sub();
					const out: Row = Object.create(null);
					let prev: string | undefined;
					while (!sub.done) {
						const k = sub.string();
						if (prev !== undefined && k <= prev) throw new DecodeError("record keys out of order");
						prev = k;
						out[k] = value.read(sub);
					}
					return Object.freeze({ ...out });
				},
			};
		}
		case "object": {
			const obj = compileObject(type.fields, path, lock);
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => writeObject(f, obj, v as Row)),
				read: (r) => {
					const nested: string[] = [];
					const out = readObject(r.sub(), obj, "", nested);
					// A nested field that no longer fits invalidates the parent; the caller resets it.
					if (nested.length > 0) throw new DecodeError("nested field changed");
					return Object.freeze(out);
				},
			};
		}
		case "union": {
			const options = type.options.map((o, i) => ({ codec: compileValue(o, childPath(path, i), lock), check: compileCheck(o) }));
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => {
					const i = options.findIndex((o) => o.check(v) === null);
					f.varint(i);
					(options[i] as { codec: ValueCodec }).codec.write(f, v);
				}),
				read: (r) => {
					const sub = r.sub();
					const option = options[sub.varint()];
					if (option === undefined) throw new DecodeError("union branch out of range");
					const v = option.codec.read(sub);
					if (!sub.done) throw new DecodeError("trailing bytes");
					return v;
				},
			};
		}
	}
}

function initialFactory(initial: JSONValue | undefined, type: TypeModel): (() => unknown) | undefined {
	if (initial === undefined) return undefined;
	if (JSON.stringify(type).includes('"kind":"date"')) return () => materialize(initial, type);
	const shared = materialize(initial, type);
	return () => shared;
}

/** Turns a model's JSON `initial` into the runtime value (dates revived), deeply frozen and shared. */
export function materialize(value: JSONValue, type: TypeModel): unknown {
	if (value === null) return null;
	switch (type.kind) {
		case "date":
			return new Date((value as { $date: number }).$date);
		case "nullable":
			return materialize(value, type.inner);
		case "array":
			return Object.freeze((value as JSONValue[]).map((v) => materialize(v, type.element)));
		case "record":
			return Object.freeze(Object.fromEntries(Object.entries(value as Record<string, JSONValue>).map(([k, v]) => [k, materialize(v, type.value)])));
		case "object": {
			const out: Row = {};
			for (const f of type.fields) {
				const v = (value as Record<string, JSONValue>)[f.name];
				if (v !== undefined) out[f.name] = materialize(v, f.type);
			}
			return Object.freeze(out);
		}
		case "union": {
			const option = type.options.find((o) => compileCheck(o)(value) === null) ?? type.options[0];
			return option === undefined ? value : materialize(value, option);
		}
		default:
			return value;
	}
}
