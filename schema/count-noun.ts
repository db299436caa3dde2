/** `1 character`, `2 characters`: a bound in a message reads as English. */
export function countOf(n: number, noun: string): string {
	return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
