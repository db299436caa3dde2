// Medians, ranges and formatting shared by the suite's sections.

export function median(xs: readonly number[]): number {
	if (xs.length === 0) return Number.NaN;
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The q-quantile (0..1) of a sample, nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
	if (xs.length === 0) return Number.NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

export function int(n: number): string {
	return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—";
}

/** Two significant digits for ratios and latencies (≥ 100 shown whole). */
export function sig(n: number): string {
	if (!Number.isFinite(n)) return "—";
	const a = Math.abs(n);
	if (a >= 100) return Math.round(n).toLocaleString("en-US");
	if (a >= 10) return n.toFixed(1);
	if (a >= 1) return n.toFixed(2);
	return n.toFixed(a >= 0.1 ? 2 : 3);
}

/** `median [min–max]` of ops/s. */
export function opsRange(xs: readonly number[]): string {
	if (xs.length === 0) return "—";
	return `${int(median(xs))} [${int(Math.min(...xs))}–${int(Math.max(...xs))}]`;
}

/** `median [min–max]` of ratios. */
export function ratioRange(xs: readonly number[]): string {
	if (xs.length === 0) return "—";
	return `${sig(median(xs))} [${sig(Math.min(...xs))}–${sig(Math.max(...xs))}]`;
}

/** A Markdown table from a header row and data rows. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
	const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
	return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}
