import type { FieldModel, SessionModel, TypeModel } from "../schema/model.ts";

/**
 * The model properties the emitter compiles to straight-line code, per kind. A schema using anything
 * else (a kind or an option added to the model later) is generated with the interpreted codec instead,
 * so every schema the model can describe still generates and runs; the emitter then grows to cover it.
 */
const KNOWN: Record<string, readonly string[]> = {
	// `formats` only names what the patterns check.
	string: ["kind", "minLength", "maxLength", "patterns", "formats"],
	int: ["kind", "min", "max"],
	float: ["kind", "min", "max"],
	boolean: ["kind"],
	enum: ["kind", "values"],
	date: ["kind"],
	array: ["kind", "element", "minItems", "maxItems"],
	// `strict`: emit-check refuses unknown keys of such an object, and ignores them (Zod strips) otherwise.
	object: ["kind", "fields", "strict"],
	record: ["kind", "key", "value"],
	nullable: ["kind", "inner"],
	union: ["kind", "options"],
};
// `synthesised`: emit-check requires the field even though it has an initial value (Zod has no default for it);
// identity and keepOnUserSwitch steer the manager only: the codec is the same with or without them.
const FIELD_KEYS = ["name", "type", "optional", "initial", "synthesised", "column", "rotate", "sensitive", "identity", "keepOnUserSwitch"];

/** The first thing in the model the emitter does not compile (as a path), or null when it compiles all of it. */
export function unsupportedPart(model: SessionModel): string | null {
	return fieldsPart(model.data, "data") ?? fieldsPart(model.flash, "flash");
}

function fieldsPart(fields: FieldModel[], path: string): string | null {
	for (const f of fields) {
		const extra = Object.keys(f).find((k) => !FIELD_KEYS.includes(k));
		if (extra !== undefined) return `${path}.${f.name} (${extra})`;
		const inner = typePart(f.type, `${path}.${f.name}`);
		if (inner !== null) return inner;
	}
	return null;
}

function typePart(type: TypeModel, path: string): string | null {
	const known = KNOWN[type.kind];
	if (known === undefined) return `${path} (${type.kind})`;
	const extra = Object.keys(type).find((k) => !known.includes(k));
	if (extra !== undefined) return `${path} (${type.kind}.${extra})`;
	switch (type.kind) {
		case "enum":
			return type.values.every((v) => typeof v === "string") ? null : `${path} (enum of non-strings)`;
		case "array":
			return typePart(type.element, `${path}[]`);
		case "record":
			return typePart(type.key, `${path}{}`) ?? typePart(type.value, `${path}{}`);
		case "nullable":
			return typePart(type.inner, path);
		case "object":
			return fieldsPart(type.fields, path);
		case "union":
			for (const [i, o] of type.options.entries()) {
				const p = typePart(o, `${path}|${i}`);
				if (p !== null) return p;
			}
			return null;
		default:
			return null;
	}
}
