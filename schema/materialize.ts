import type { JSONValue, TypeModel } from "./model.ts";

/**
 * Turns a model's JSON `initial` into the runtime value, deeply frozen and shared: `{ "$date": ms }`
 * becomes a Date and `{ "$bigint": "n" }` a bigint (the only objects with those single keys a default
 * can hold, since field names of objects with such shapes are declared by the schema).
 */
export function materialize(value: JSONValue): unknown {
	if (value === null || typeof value !== "object") return value;
	if (Array.isArray(value)) return Object.freeze(value.map(materialize));
	const keys = Object.keys(value);
	if (keys.length === 1) {
		if (keys[0] === "$date" && typeof value.$date === "number") return new Date(value.$date);
		if (keys[0] === "$bigint" && typeof value.$bigint === "string") return BigInt(value.$bigint);
	}
	const out: Record<string, unknown> = {};
	for (const k of keys) out[k] = materialize(value[k] as JSONValue);
	return Object.freeze(out);
}

/** Whether a type's runtime values include a `Date` (which cannot be frozen, so initial values are rebuilt). */
export function containsDate(type: TypeModel): boolean {
	return JSON.stringify(type).includes('"kind":"date"');
}
