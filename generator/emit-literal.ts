/**
 * Values as TypeScript source: plain data as an object literal (keys unquoted where they can be), a
 * frozen array or object as `Object.freeze(...)`, a Date as `new Date(ms)`. Short values stay on one line.
 */
export function literal(value: unknown, depth = 0, width = 110): string {
	const flat = oneLine(value);
	if (flat.length + depth * 4 <= width || !isContainer(value)) return flat;
	const pad = "\t".repeat(depth + 1);
	const close = "\t".repeat(depth);
	let body: string;
	if (Array.isArray(value)) {
		body = value.map((v) => `${pad}${literal(v, depth + 1, width)},`).join("\n");
		body = `[\n${body}\n${close}]`;
	} else {
		const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
		body = `{\n${entries.map(([k, v]) => `${pad}${key(k)}: ${literal(v, depth + 1, width)},`).join("\n")}\n${close}}`;
	}
	return Object.isFrozen(value) ? `Object.freeze(${body})` : body;
}

function oneLine(value: unknown): string {
	if (value === null) return "null";
	if (value instanceof Date) return `new Date(${value.getTime()})`;
	if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
	if (typeof value === "bigint") return `${value}n`;
	if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
	if (value === undefined) return "undefined";
	let text: string;
	if (Array.isArray(value)) text = `[${value.map(oneLine).join(", ")}]`;
	else {
		const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
		text = entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${key(k)}: ${oneLine(v)}`).join(", ")} }`;
	}
	return Object.isFrozen(value) ? `Object.freeze(${text})` : text;
}

function isContainer(value: unknown): boolean {
	return typeof value === "object" && value !== null && !(value instanceof Date);
}

/** An object key: bare when it is an identifier; `__proto__` computed, so it stays an own key. */
function key(k: string): string {
	if (k === "__proto__") return `["__proto__"]`;
	return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k);
}
