import type { LiteralValue, TypeModel } from "./model.ts";

/**
 * `sess.lock.json`: the stable wire numbers of every field ever declared, and of every enum value.
 * Numbers are never reused, so bytes written by an older schema are never read as a different field.
 */
export interface Lock {
	lockVersion: 1;
	/** Object scopes by path: `data`, `flash`, `data.device`, `data.items[]`, `data.x|0`, `data.m{}`. */
	scopes: Record<string, ScopeLock>;
	/** Enum values by path, in wire order; append-only. */
	enums: Record<string, LiteralValue[]>;
	/**
	 * When the session table took its current shape (hash of the table model): the `when` of the migration
	 * that produced it, in every dialect's journal. Kept here so regenerating gives the same bytes.
	 */
	migrations?: { table: string; when: number };
}

export interface ScopeLock {
	next: number;
	fields: Record<string, FieldLock>;
	/** Numbers no longer in use, with the field they belonged to and its shape then. */
	retired: Record<string, FieldLock & { name: string }>;
}

export interface FieldLock {
	number: number;
	/** The wire shape; when it changes the field gets a new number and old bytes reset it. */
	shape: string;
}

/** The wire-relevant shape of a type: bounds are left out (they are checked on decode), layout is not. */
export function shapeOf(type: TypeModel, atField = false): string {
	switch (type.kind) {
		case "nullable":
			// A tagged field marks null with its own wire type, so only packed values carry a null flag.
			return atField ? shapeOf(type.inner, true) : `nullable<${shapeOf(type.inner)}>`;
		case "optional":
			return `optional<${shapeOf(type.inner)}>`;
		case "array":
			return `array<${shapeOf(type.element)}>`;
		case "tuple":
			return `tuple<${type.items.map((t) => shapeOf(t)).join(",")}${type.rest === undefined ? "" : `,...${shapeOf(type.rest)}`}>`;
		case "record":
			return `record<${shapeOf(type.value)}>`;
		case "union":
			return `union<${type.options.map((o) => shapeOf(o)).join(",")}>`;
		default:
			return type.kind;
	}
}

/**
 * Path of the scope or enum nested in `type` at `path`, following the lock's naming: `[]` array
 * element or tuple rest, `{}` record value, `|i` union option, `[i]` tuple item.
 */
export function childPath(path: string, step: "element" | "value" | number | { item: number }): string {
	if (typeof step === "object") return `${path}[${step.item}]`;
	return step === "element" ? `${path}[]` : step === "value" ? `${path}{}` : `${path}|${step}`;
}
