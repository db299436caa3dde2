/**
 * Validators build a problem inside out, one level at a time (`[0]: ` + `.sku: ` + reason), so a nested
 * one reads `.cart: [0]: .sku: expected a string`. A user writes that field `data.cart[0].sku`: this joins
 * the leading path segments onto the field's own path and keeps one `: ` before the reason.
 */

/** Path segments a problem may start with: object field, array index, record key, a record key's own problem, union variant. */
const SEGMENTS: readonly { re: RegExp; render: (m: RegExpExecArray) => string }[] = [
	{ re: /^\.([A-Za-z_$][\w$-]*): /, render: (m) => `.${m[1]}` },
	{ re: /^\[(\d+)\]: /, render: (m) => `[${m[1]}]` },
	{ re: /^\[("(?:[^"\\]|\\.)*")\]: /, render: (m) => `[${m[1]}]` },
	{ re: /^key ("(?:[^"\\]|\\.)*"): /, render: (m) => ` (key ${m[1]})` },
	// A variant's problem follows it directly when it is a path (`.last4: …`), after a blank when it is a reason.
	{ re: /^\(variant ("(?:[^"\\]|\\.)*"|[^\s)]+)\) ?/, render: (m) => ` (variant ${m[1]})` },
];

/** `path` and a validator's problem as one message: `data.cart[0].sku: expected a string`. */
export function problemAt(path: string, problem: string): string {
	let at = path;
	let rest = problem;
	for (;;) {
		let matched = false;
		for (const { re, render } of SEGMENTS) {
			const m = re.exec(rest);
			if (m === null) continue;
			at += render(m);
			rest = rest.slice(m[0].length);
			matched = true;
			break;
		}
		if (!matched) return `${at}: ${rest}`;
	}
}
