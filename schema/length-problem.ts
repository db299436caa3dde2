import { countOf } from "./count-noun.ts";

/** Why a string is too short or too long for its bounds; a fixed length (`.length(4)`) reads as exactly that. */
export function lengthProblem(side: "short" | "long", minLength: number, maxLength: number): string {
	if (minLength === maxLength) return `expected exactly ${countOf(minLength, "character")}`;
	return side === "short" ? `expected at least ${countOf(minLength, "character")}` : `expected at most ${countOf(maxLength, "character")}`;
}
