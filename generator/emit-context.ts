import type { Lock } from "../schema/lock.ts";
import type { TypeModel } from "../schema/model.ts";

/**
 * What the per-kind emitters share while one module is rendered: the lock, the module-level
 * declarations hoisted so far (one per nested object, union or enum, in dependency order), the runtime
 * names the code uses, and the names already taken.
 */
export class EmitContext {
	readonly lock: Lock;
	/** Runtime values the emitted code calls (imported from the runtime entry). */
	readonly runtime = new Set<string>();
	/** Runtime types the emitted code names (imported with `import type`). */
	readonly runtimeTypes = new Set<string>();
	/** Module-level declarations, each a block of lines, in the order they were made. */
	readonly declarations: string[] = [];
	/** Exported interfaces, one per object type, in the order they were made. */
	readonly typeDeclarations: string[] = [];
	private readonly taken = new Set<string>(RESERVED_MODULE_NAMES);
	private readonly made = new Map<string, string>();

	/** TypeScript (annotations kept) or JavaScript (the same code without them, for `--js`). */
	readonly ts: boolean;
	/** Readers being emitted are for format-1 bytes: packed strings are read as plain UTF-8. */
	plain = false;

	constructor(lock: Lock, ts = true) {
		this.lock = lock;
		this.ts = ts;
	}

	/** `: type` in TypeScript, nothing in JavaScript. */
	t(type: string): string {
		return this.ts ? `: ${type}` : "";
	}

	/** ` as type` in TypeScript, nothing in JavaScript. */
	as(type: string): string {
		return this.ts ? ` as ${type}` : "";
	}

	/** A non-null assertion in TypeScript. */
	get bang(): string {
		return this.ts ? "!" : "";
	}

	/** A runtime export the emitted code uses; returns its name. */
	use(name: string): string {
		this.runtime.add(name);
		return name;
	}

	/** A runtime type the emitted code names; returns its name. */
	useType(name: string): string {
		this.runtimeTypes.add(name);
		return name;
	}

	/** A module-level name no other declaration has. */
	unique(base: string): string {
		let name = base;
		for (let n = 2; this.taken.has(name); n++) name = `${base}${n}`;
		this.taken.add(name);
		return name;
	}

	/** Declares something once per key (a type's path and role) and returns its name; `build` gets the name. */
	hoist(key: string, base: string, build: (name: string) => string): string {
		const existing = this.made.get(key);
		if (existing !== undefined) return existing;
		const name = this.unique(base);
		this.made.set(key, name);
		this.declarations.push(build(name));
		return name;
	}

	/** Like `hoist`, for an interface: kept apart, since JavaScript output has none (they go to the `.d.ts`). */
	hoistType(key: string, base: string, build: (name: string) => string): string {
		const existing = this.made.get(key);
		if (existing !== undefined) return existing;
		const name = this.unique(base);
		this.made.set(key, name);
		this.typeDeclarations.push(build(name));
		return name;
	}

	/** The name an earlier `hoist` gave `key`, if any (named interfaces are made before the code that uses them). */
	named(key: string): string | undefined {
		return this.made.get(key);
	}
}

/** Local variable names inside one emitted function: each base name gets a number when it is reused. */
export class Locals {
	private readonly taken = new Set<string>(["v", "w", "r", "out", "resets", "after", "last", "tag", "n", "wire", "at", "p"]);

	/** A fresh local; `base` is used as is the first time when it is a safe identifier. */
	name(base: string): string {
		const safe = RESERVED_WORDS.has(base) || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(base) ? `${base.replace(/[^A-Za-z0-9_$]/g, "_")}_` : base;
		let name = safe;
		for (let n = 2; this.taken.has(name); n++) name = `${safe}${n}`;
		this.taken.add(name);
		return name;
	}
}

/** `data.profile.prefs` → `ProfilePrefs`; `data.items[]` → `ItemsItem`; `data.x|0` → `XOption0`; `flash.note` → `FlashNote`. */
export function pascalName(path: string): string {
	const steps = path
		.replace(/^data\.?/, "")
		.replace(/\[\]/g, ".item")
		.replace(/\{\}/g, ".value")
		.replace(/\|(\d+)/g, ".option$1")
		.split(".")
		.filter((s) => s !== "");
	const name = steps.map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join("").replace(/[^A-Za-z0-9_$]/g, "_");
	return name === "" ? "Data" : /^[0-9]/.test(name) ? `T${name}` : name;
}

/** True when a value of this type holds a string somewhere (then the decoded-value check may differ). */
export function hasString(type: TypeModel): boolean {
	switch (type.kind) {
		case "string":
			return true;
		case "nullable":
		case "optional":
			return hasString(type.inner);
		case "array":
			return hasString(type.element);
		case "tuple":
			return type.items.some(hasString) || (type.rest !== undefined && hasString(type.rest));
		case "record":
			return true;
		case "object":
			return type.fields.some((f) => hasString(f.type));
		case "union":
			return type.options.some(hasString);
		default:
			return false;
	}
}

/** True when a value of this type holds a packed string somewhere (then format-1 bytes read it differently). */
export function hasPack(type: TypeModel): boolean {
	return JSON.stringify(type).includes('"pack":');
}

/** A JavaScript string literal. */
export function str(s: string): string {
	return JSON.stringify(s);
}

/** A message built from constant text and expressions, rendered as a string or template literal. */
export type Message = (string | { expr: string })[];

/** Renders a message: a plain string literal when it is all text. */
export function renderMessage(parts: Message): string {
	if (parts.every((p) => typeof p === "string")) return str(parts.join(""));
	const body = parts.map((p) => (typeof p === "string" ? p.replace(/[\\`$]/g, (c) => `\\${c}`) : `\${${p.expr}}`)).join("");
	return `\`${body}\``;
}

/** Indents every line of a block by `depth` tabs. */
export function indent(lines: string[], depth = 1): string[] {
	const pad = "\t".repeat(depth);
	return lines.map((l) => (l === "" ? l : pad + l));
}

/** Names the generated module itself declares or imports; nothing hoisted may take them. */
const RESERVED_MODULE_NAMES = [
	"PromotedField", "Session", "BaseSession", "Sessions", "model", "codec", "createSessions", "createSessionManager",
	"defineCodec", "Reader", "Writer", "DecodeError", "isPlainObject", "wireMismatch", "skipDamaged", "nestedChanged",
	"readBoolean", "readDate", "readEnum", "LONE_SURROGATE", "SessionCodec", "SessionManager", "SessionManagerOptions",
	"SealedManagerOptions", "SessionModel", "initial", "readBigint", "writeBigint", "packedString", "urlNormalizer",
	"isValidIPv6", "isValidCIDRv6", "isValidBase64", "isValidBase64URL", "isValidJWT", "isObjectLike", "codePointLength",
	"readDataPlain", "readFlashPlain", "readData", "checkData", "readFlash", "checkFlash",
	"fields", "FieldChecks", "copyKnown", "withoutProto",
];

const RESERVED_WORDS = new Set([
	"break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export",
	"extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return", "super",
	"switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "let", "static", "implements",
	"interface", "package", "private", "protected", "public", "await", "arguments", "eval", "undefined", "NaN", "Infinity",
	"Object", "Array", "Number", "String", "Date", "Math", "Set", "Map", "JSON", "Symbol",
]);
