/**
 * The longest string a regular expression can accept whole, in code points (as Zod counts lengths; every
 * atom is counted as one, which a match of it never exceeds): `/^[A-Z]{3}-\d{4}$/` gives 8, Zod's
 * `z.iso.datetime({ precision: 3 })` 24.
 * Infinity when it is unbounded (`*`, `+`, `{n,}`, a backreference), when it is not anchored at both ends
 * for every alternative (it could then match inside a longer string), under the `m` flag (`^`/`$` match at
 * line breaks) or the `v` flag (nested classes), or when the source holds anything this reader does not
 * know: it only ever errs towards Infinity.
 */
export function patternMaxLength(source: string, flags: string): number {
	if (flags.includes("m") || flags.includes("v")) return Infinity;
	const reader = new PatternReader(source, flags.includes("u"));
	try {
		const top = reader.alternatives();
		if (reader.at < source.length) return Infinity;
		// Every top-level alternative must start with ^ and end with $: `^a|b$` accepts "a…" of any length.
		return top.every((a) => a.anchoredStart && a.anchoredEnd) ? Math.max(...top.map((a) => a.max)) : Infinity;
	} catch {
		return Infinity;
	}
}

/** One alternative of a disjunction: its longest match, and whether it is pinned to the start and the end. */
interface Branch {
	max: number;
	anchoredStart: boolean;
	anchoredEnd: boolean;
}

class PatternReader {
	at = 0;

	constructor(
		private readonly source: string,
		private readonly unicode: boolean,
	) {}

	/** `a|b|…` up to a `)` or the end. */
	alternatives(): Branch[] {
		const out = [this.sequence()];
		while (this.source[this.at] === "|") {
			this.at++;
			out.push(this.sequence());
		}
		return out;
	}

	private sequence(): Branch {
		let max = 0;
		let anchoredStart = false;
		let anchoredEnd = false;
		let first = true;
		while (this.at < this.source.length) {
			const c = this.source[this.at] as string;
			if (c === "|" || c === ")") break;
			if (c === "^") {
				this.at++;
				// Only a leading ^ pins the branch (one after anything else never matches, and adds no length).
				if (first) anchoredStart = true;
				continue;
			}
			if (c === "$") {
				this.at++;
				anchoredEnd = this.at >= this.source.length || this.source[this.at] === "|" || this.source[this.at] === ")";
				continue;
			}
			first = false;
			anchoredEnd = false;
			const atom = this.atom();
			const times = this.quantifier();
			// Nothing times anything is nothing, and `x{0}` matches no character whatever x is (0 × Infinity is NaN).
			if (atom > 0 && times > 0) max += atom * times;
		}
		return { max, anchoredStart, anchoredEnd };
	}

	/** The longest match of one atom, in code points (0 for an assertion). */
	private atom(): number {
		const c = this.source[this.at] as string;
		if (c === "(") return this.group();
		if (c === "[") return this.characterClass();
		if (c === "\\") return this.escape();
		if (c === "*" || c === "+" || c === "?" || (c === "{" && this.isQuantifierAt(this.at))) throw new Error("a quantifier with nothing before it");
		// A pattern character matches itself: one code point under `u`, one code unit (at most one code point) otherwise.
		this.at += this.unicode ? String.fromCodePoint(this.source.codePointAt(this.at) as number).length : 1;
		return 1;
	}

	private group(): number {
		this.at++;
		let assertion = false;
		if (this.source.startsWith("?:", this.at)) this.at += 2;
		else if (this.source.startsWith("?=", this.at) || this.source.startsWith("?!", this.at)) {
			this.at += 2;
			assertion = true;
		} else if (this.source.startsWith("?<=", this.at) || this.source.startsWith("?<!", this.at)) {
			this.at += 3;
			assertion = true;
		} else if (this.source.startsWith("?<", this.at)) {
			const end = this.source.indexOf(">", this.at);
			if (end < 0) throw new Error("an unterminated group name");
			this.at = end + 1;
		} else if (this.source[this.at] === "?") throw new Error("a group modifier this reader does not know");
		const inner = this.alternatives();
		if (this.source[this.at] !== ")") throw new Error("an unterminated group");
		this.at++;
		// Anchors inside a group pin nothing here; a group is only its length.
		return assertion ? 0 : Math.max(...inner.map((b) => b.max));
	}

	private characterClass(): number {
		this.at++;
		while (this.at < this.source.length && this.source[this.at] !== "]") this.at += this.source[this.at] === "\\" ? 2 : 1;
		if (this.at >= this.source.length) throw new Error("an unterminated class");
		this.at++;
		return 1;
	}

	private escape(): number {
		const next = this.source[this.at + 1];
		if (next === undefined) throw new Error("a trailing backslash");
		// Word boundaries match no character; backreferences repeat a group of unknown length.
		if (next === "b" || next === "B") {
			this.at += 2;
			return 0;
		}
		if (/[1-9k]/.test(next)) throw new Error("a backreference");
		// Only under `u` are \u{…} and \p{…} one character; without it they are a letter and a quantifier or braces.
		if (this.unicode && (next === "u" || next === "p" || next === "P") && this.source[this.at + 2] === "{") {
			const end = this.source.indexOf("}", this.at);
			if (end < 0) throw new Error("an unterminated escape");
			this.at = end + 1;
			return 1;
		}
		const rest = this.source.slice(this.at + 2);
		// \uXXXX, \xXX and \cX are one character each; a letter escape without its digits is the letter.
		this.at += next === "u" && /^[0-9a-fA-F]{4}/.test(rest) ? 6 : next === "x" && /^[0-9a-fA-F]{2}/.test(rest) ? 4 : next === "c" && /^[A-Za-z]/.test(rest) ? 3 : 2;
		return 1;
	}

	/** The most times the atom before may repeat: 1 without a quantifier, Infinity for `*`, `+` and `{n,}`. */
	private quantifier(): number {
		const c = this.source[this.at];
		let times = 1;
		if (c === "?") {
			this.at++;
		} else if (c === "*" || c === "+") {
			this.at++;
			times = Infinity;
		} else if (c === "{" && this.isQuantifierAt(this.at)) {
			const end = this.source.indexOf("}", this.at);
			const [low = "", high] = this.source.slice(this.at + 1, end).split(",");
			times = high === undefined ? Number(low) : high === "" ? Infinity : Number(high);
			this.at = end + 1;
		} else return 1;
		// A lazy quantifier's ? changes which match is found, not how long one can be.
		if (this.source[this.at] === "?") this.at++;
		if ("*+?".includes(this.source[this.at] ?? "") || (this.source[this.at] === "{" && this.isQuantifierAt(this.at))) throw new Error("a quantifier after a quantifier");
		return times;
	}

	/** Whether a `{` at `i` opens a quantifier (`{n}`, `{n,}`, `{n,m}`) rather than standing for itself. */
	private isQuantifierAt(i: number): boolean {
		return /^\{\d+(,\d*)?\}/.test(this.source.slice(i));
	}
}
