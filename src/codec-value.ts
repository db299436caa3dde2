import type { JSONValue, TypeModel } from "../schema/model.ts";
import { childPath, type Lock } from "../schema/lock.ts";
import { compileObject, readObject, writeObject, type Row } from "./codec-object.ts";
import { DecodeError, SchemaError } from "./errors.ts";
import { compileCheck } from "./validate.ts";
import { Reader, WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT, Writer } from "./wire.ts";

/** How one type is written and read in packed form (inside a tagged field, array, record or union). */
export interface ValueCodec {
	wire: number;
	write(w: Writer, v: unknown): void;
	read(r: Reader): unknown;
}

/** Compiles the packed encoder and decoder of one type; enum values take their numbers from the lock. */
export function compileValue(type: TypeModel, path: string, lock: Lock): ValueCodec {
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
					const outer = r.enter();
					try {
						const flag = r.byte();
						if (flag > 1) throw new DecodeError("bad null flag");
						const v = flag === 0 ? null : inner.read(r);
						if (!r.done) throw new DecodeError("trailing bytes");
						return v;
					} finally {
						r.leave(outer);
					}
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
			const obj = compileObject(type.fields, path, lock);
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
			const options = type.options.map((o, i) => ({ codec: compileValue(o, childPath(path, i), lock), check: compileCheck(o) }));
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
