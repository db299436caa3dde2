/** The value with every -0 made 0 (Dates, bigints and the rest kept): an integer -0 is stored as 0 (documented). */
export function zeroes(v: unknown): unknown {
	if (Object.is(v, -0)) return 0;
	if (Array.isArray(v)) return v.map(zeroes);
	if (v !== null && typeof v === "object" && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, zeroes(x)]));
	return v;
}
