import type { StringPacking, TypeModel } from "../schema/model.ts";
import { childPath, type Lock } from "../schema/lock.ts";
import { compileCheck } from "../schema/validate.ts";
import { compileObject, readObject, writeObject, type Row } from "./codec-object.ts";
import { DecodeError, SchemaError } from "./errors.ts";
import { packedString } from "./codec-packed.ts";
import { readBigint, writeBigint } from "./codec-bigint.ts";
import type { ValueCodec } from "./value-codec.ts";
import { WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT } from "./wire.ts";


/**
 * Compiles the packed encoder and decoder of one type; enum values take their numbers from the lock.
 * `packed`: codec format 2, where strings with a known format are written in their binary form.
 */
export function compileValue(type: TypeModel, path: string, lock: Lock, packed = true): ValueCodec {
	switch (type.kind) {
		case "string": {
			const packing: StringPacking | undefined = packed ? type.pack : undefined;
			if (packing !== undefined) return packedString(packing, type.minLength !== undefined && type.minLength === type.maxLength ? type.minLength : undefined);
			return { wire: WIRE_BYTES, write: (w, v) => w.string(v as string), read: (r) => r.string() };
		}
		case "int":
			return { wire: WIRE_VARINT, write: (w, v) => w.zigzag(v as number), read: (r) => r.zigzag() };
		case "bigint":
			return { wire: WIRE_BYTES, write: (w, v) => writeBigint(w, v as bigint), read: readBigint };
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
			const toWire = new Map<unknown, number>(wireValues.map((v, i) => [v, i]));
			const allowed = new Set<unknown>(type.values);
			return {
				wire: WIRE_VARINT,
				write: (w, v) => w.varint(toWire.get(v) as number),
				read: (r) => {
					const i = r.varint();
					const v = wireValues[i];
					// A value dropped from the enum since the bytes were written is not valid any more.
					if (i >= wireValues.length || !allowed.has(v)) throw new DecodeError("enum value out of range");
					return v;
				},
			};
		}
		case "nullable":
		case "optional": {
			const inner = compileValue(type.inner, path, lock, packed);
			const empty = type.kind === "nullable" ? null : undefined;
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => {
					if (v === empty) f.byte(0);
					else {
						f.byte(1);
						inner.write(f, v);
					}
				}),
				read: (r) => {
					const outer = r.enter();
					try {
						const flag = r.byte();
						if (flag > 1) throw new DecodeError("bad null flag");
						const v = flag === 0 ? empty : inner.read(r);
						if (!r.done) throw new DecodeError("trailing bytes");
						return v;
					} finally {
						r.leave(outer);
					}
				},
			};
		}
		case "array": {
			const element = compileValue(type.element, childPath(path, "element"), lock, packed);
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => {
					for (const x of v as unknown[]) element.write(f, x);
				}),
				read: (r) => {
					const outer = r.enter();
					try {
						const out: unknown[] = [];
						while (!r.done) out.push(element.read(r));
						return out;
					} finally {
						r.leave(outer);
					}
				},
			};
		}
		case "tuple": {
			const items = type.items.map((t, i) => compileValue(t, childPath(path, { item: i }), lock, packed));
			const rest = type.rest === undefined ? undefined : compileValue(type.rest, childPath(path, "element"), lock, packed);
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => {
					const a = v as unknown[];
					for (let i = 0; i < a.length; i++) ((items[i] ?? rest) as ValueCodec).write(f, a[i]);
				}),
				read: (r) => {
					const outer = r.enter();
					try {
						const out: unknown[] = [];
						for (const item of items) out.push(item.read(r));
						if (rest !== undefined) while (!r.done) out.push(rest.read(r));
						if (!r.done) throw new DecodeError("trailing bytes");
						return out;
					} finally {
						r.leave(outer);
					}
				},
			};
		}
		case "record": {
			const value = compileValue(type.value, childPath(path, "value"), lock, packed);
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => {
					for (const k of Object.keys(v as Row).sort()) {
						// Validation drops a "__proto__" key as Zod does; a value that skipped it must not write it.
						if (k === "__proto__") continue;
						f.string(k);
						value.write(f, (v as Row)[k]);
					}
				}),
				read: (r) => {
					const outer = r.enter();
					try {
						const out: Row = Object.create(null);
						let prev: string | undefined;
						while (!r.done) {
							const k = r.string();
							if (prev !== undefined && k <= prev) throw new DecodeError("record keys out of order");
							prev = k;
							out[k] = value.read(r);
						}
						return { ...out };
					} finally {
						r.leave(outer);
					}
				},
			};
		}
		case "object": {
			const obj = compileObject(type.fields, path, lock, (t, p) => compileValue(t, p, lock, packed));
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => writeObject(f, obj, v as Row)),
				read: (r) => {
					const nested: string[] = [];
					const outer = r.enter();
					let out: Row;
					try {
						out = readObject(r, obj, "", nested);
					} finally {
						r.leave(outer);
					}
					// A nested field that no longer fits invalidates the parent; the caller resets it.
					if (nested.length > 0) throw new DecodeError("nested field changed");
					return out;
				},
			};
		}
		case "union": {
			const options = type.options.map((o, i) => ({ codec: compileValue(o, childPath(path, i), lock, packed), check: compileCheck(o, true) }));
			return {
				wire: WIRE_BYTES,
				write: (w, v) => w.frame((f) => {
					const i = options.findIndex((o) => o.check(v) === null);
					f.varint(i);
					(options[i] as { codec: ValueCodec }).codec.write(f, v);
				}),
				read: (r) => {
					const outer = r.enter();
					try {
						const option = options[r.varint()];
						if (option === undefined) throw new DecodeError("union branch out of range");
						const v = option.codec.read(r);
						if (!r.done) throw new DecodeError("trailing bytes");
						return v;
					} finally {
						r.leave(outer);
					}
				},
			};
		}
	}
}
