import type { FieldModel, SessionModel, TypeModel } from "../schema/model.ts";

/**
 * The model properties the emitter compiles to straight-line code, per kind. A schema using anything
 * else (a kind or an option added to the model later) is generated with the interpreted codec instead,
 * so every schema the model can describe still generates and runs; the emitter then grows to cover it.
 */
const KNOWN: Record<string, readonly string[]> = {
	// `formats` only names what the patterns and checks do.
	string: ["kind", "minLength", "maxLength", "patterns", "formats", "checks", "normalize", "before", "pack"],
	int: ["kind", "min", "max"],
	float: ["kind", "min", "max"],
	bigint: ["kind", "min", "max"],
	boolean: ["kind"],
	enum: ["kind", "values"],
	date: ["kind", "min", "max"],
	array: ["kind", "element", "minItems", "maxItems"],
	tuple: ["kind", "items", "rest"],
	// `strict`: emit-check refuses unknown keys of such an object, and ignores them (Zod strips) otherwise.
	object: ["kind", "fields", "strict"],
	record: ["kind", "key", "value"],
	nullable: ["kind", "inner"],
	optional: ["kind", "inner"],
	union: ["kind", "options", "discriminator"],
};
/** String checks Zod runs as code, each compiled to a test or a call of the runtime's copy of Zod's function. */
const STRING_CHECKS = ["includes", "startsWith", "endsWith", "ipv6", "cidrv6", "base64", "base64url", "jwt"];
const NORMALIZERS = ["trim", "lower", "upper", "unicode", "url"];
const PACKINGS = ["uuid", "hex", "base64", "base64url", "datetime", "date"];
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
		case "string": {
			const check = type.checks?.find((c) => !STRING_CHECKS.includes(c.check));
			if (check !== undefined) return `${path} (string check ${check.check})`;
			const op = type.normalize?.find((n) => !NORMALIZERS.includes(n.op));
			if (op !== undefined) return `${path} (string normaliser ${op.op})`;
			if (type.pack !== undefined && !PACKINGS.includes(type.pack)) return `${path} (string packing ${type.pack})`;
			return type.before === undefined ? null : typePart(type.before, path);
		}
		case "enum":
			return type.values.every((v) => ["string", "number", "boolean"].includes(typeof v)) ? null : `${path} (enum of other values)`;
		case "array":
			return typePart(type.element, `${path}[]`);
		case "tuple":
			for (const [i, t] of type.items.entries()) {
				const p = typePart(t, `${path}[${i}]`);
				if (p !== null) return p;
			}
			return type.rest === undefined ? null : typePart(type.rest, `${path}[]`);
		case "record":
			return typePart(type.key, `${path}{}`) ?? typePart(type.value, `${path}{}`);
		case "optional":
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
