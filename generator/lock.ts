import { createHash } from "node:crypto";
import type { FieldModel, SessionModel, TableModel, TypeModel } from "../schema/model.ts";
import { childPath, shapeOf, type Lock, type ScopeLock } from "../schema/lock.ts";

/** An empty lock, for a schema generated for the first time. */
export function createLock(): Lock {
	return { lockVersion: 1, scopes: {}, enums: {} };
}

/** Returns the lock extended with numbers for new fields, enum values and changed shapes; never reuses a number. */
export function updateLock(model: SessionModel, previous: Lock): Lock {
	const lock: Lock = structuredClone(previous);
	updateScope(lock, "data", model.data);
	updateScope(lock, "flash", model.flash);
	return sortLock(lock);
}

function updateScope(lock: Lock, path: string, fields: FieldModel[]): void {
	const scope: ScopeLock = (lock.scopes[path] ??= { next: 1, fields: {}, retired: {} });
	const names = new Set(fields.map((f) => f.name));
	for (const [name, entry] of Object.entries(scope.fields)) {
		if (!names.has(name)) {
			scope.retired[String(entry.number)] = { name, ...entry };
			delete scope.fields[name];
		}
	}
	for (const field of fields) {
		const shape = shapeOf(field.type, true);
		const entry = scope.fields[field.name];
		if (entry === undefined || entry.shape !== shape) {
			if (entry !== undefined) scope.retired[String(entry.number)] = { name: field.name, ...entry };
			scope.fields[field.name] = { number: scope.next++, shape };
		}
		updateType(lock, `${path}.${field.name}`, field.type);
	}
}

function updateType(lock: Lock, path: string, type: TypeModel): void {
	switch (type.kind) {
		case "enum": {
			const known = (lock.enums[path] ??= []);
			for (const v of type.values) if (!known.includes(v)) known.push(v);
			return;
		}
		case "object":
			updateScope(lock, path, type.fields);
			return;
		case "array":
			updateType(lock, childPath(path, "element"), type.element);
			return;
		case "tuple":
			type.items.forEach((t, i) => updateType(lock, childPath(path, { item: i }), t));
			if (type.rest !== undefined) updateType(lock, childPath(path, "element"), type.rest);
			return;
		case "record":
			updateType(lock, childPath(path, "value"), type.value);
			return;
		case "nullable":
		case "optional":
			updateType(lock, path, type.inner);
			return;
		case "union":
			type.options.forEach((o, i) => updateType(lock, childPath(path, i), o));
			return;
		default:
			return;
	}
}

/**
 * The lock with the time the table took its current shape: kept while the shape stays, `now()` when it
 * changes. Every dialect's new migration is stamped with it (a real timestamp, as drizzle-kit writes).
 */
export function stampTable(lock: Lock, table: TableModel, now: () => number): Lock {
	const hash = createHash("sha256").update(JSON.stringify(table)).digest("hex").slice(0, 16);
	if (lock.migrations?.table === hash) return lock;
	return { ...lock, migrations: { table: hash, when: Math.floor(now()) } };
}

/** Sorted keys, so the file is byte-stable whatever order fields were added in. */
function sortLock(lock: Lock): Lock {
	const scopes: Lock["scopes"] = {};
	for (const key of Object.keys(lock.scopes).sort()) {
		const s = lock.scopes[key] as ScopeLock;
		scopes[key] = {
			next: s.next,
			fields: Object.fromEntries(Object.entries(s.fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
			retired: Object.fromEntries(Object.entries(s.retired).sort(([a], [b]) => Number(a) - Number(b))),
		};
	}
	const enums: Lock["enums"] = {};
	for (const key of Object.keys(lock.enums).sort()) enums[key] = lock.enums[key] as Lock["enums"][string];
	return lock.migrations === undefined ? { lockVersion: 1, scopes, enums } : { lockVersion: 1, scopes, enums, migrations: lock.migrations };
}
