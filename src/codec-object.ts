import type { FieldModel, JSONValue, TypeModel } from "../schema/model.ts";
import type { Lock } from "../schema/lock.ts";
import { containsDate, materialize } from "../schema/materialize.ts";
import { compileCheck, type Check } from "../schema/validate.ts";
import type { ValueCodec } from "./value-codec.ts";
import { DecodeError, SchemaError } from "./errors.ts";
import { Reader, WIRE_NULL, Writer } from "./wire.ts";

/** A decoded or to-be-encoded object: field name → value. */
export type Row = Record<string, unknown>;

interface FieldCodec {
	name: string;
	number: number;
	optional: boolean;
	/** A fresh initial value (shared when immutable; Dates cannot be frozen, so those are rebuilt). */
	initial: (() => unknown) | undefined;
	check: Check;
	codec: ValueCodec;
}

/** The tagged fields of one object scope, compiled from the model and the lock. */
export interface ObjectCodec {
	fields: FieldCodec[];
	/** Indexed by field number (lock numbers are small and dense). */
	byNumber: (FieldCodec | undefined)[];
	/** Retired numbers of fields that still exist under a new shape: reading one resets that field. */
	retyped: Map<number, string>;
}

/** Compiles the packed codec of a field's type (passed in, so this module does not import codec-value back). */
export type CompileValue = (type: TypeModel, path: string) => ValueCodec;

/** Resolves every field's number, check, codec and initial value once. */
export function compileObject(fields: FieldModel[], path: string, lock: Lock, compileValue: CompileValue): ObjectCodec {
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
			// Decoded strings passed the UTF-8 decoder, so they cannot hold lone surrogates.
			check: compileCheck(f.type, true),
			// A tagged field marks null with its own wire type, so its codec is the inner type's.
			codec: compileValue(f.type.kind === "nullable" ? f.type.inner : f.type, `${path}.${f.name}`),
		};
	});
	compiled.sort((a, b) => a.number - b.number);
	const names = new Set(fields.map((f) => f.name));
	const retyped = new Map<number, string>();
	for (const [number, entry] of Object.entries(scope?.retired ?? {})) {
		if (names.has(entry.name)) retyped.set(Number(number), entry.name);
	}
	const byNumber: (FieldCodec | undefined)[] = [];
	for (const f of compiled) byNumber[f.number] = f;
	return { fields: compiled, byNumber: Array.from(byNumber), retyped };
}

/** Writes present fields in number order, so the same data always gives the same bytes. */
export function writeObject(w: Writer, obj: ObjectCodec, row: Row): void {
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
export function readObject(
	r: Reader,
	obj: ObjectCodec,
	prefix: string,
	resets: string[],
	partial = false,
	after = -1,
): Row {
	const out: Row = {};
	let last = after;
	while (!r.done) {
		const tag = r.varint();
		const number = Math.floor(tag / 8);
		const wire = tag % 8;
		if (number <= last) throw new DecodeError("fields out of order");
		last = number;
		const f = number < obj.byNumber.length ? obj.byNumber[number] : undefined;
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

function initialFactory(initial: JSONValue | undefined, type: TypeModel): (() => unknown) | undefined {
	if (initial === undefined) return undefined;
	if (containsDate(type)) return () => materialize(initial);
	const shared = materialize(initial);
	return () => shared;
}
