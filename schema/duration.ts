import { ConfigError } from "./errors.ts";

/** A duration: milliseconds, or a string such as `"1500ms"`, `"30s"`, `"30m"`, `"12h"`, `"7d"`. */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h" | "d"}`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Converts a duration to milliseconds; `what` names the setting in the error. */
export function parseDuration(value: Duration | string, what: string): number {
	if (typeof value === "number") {
		if (Number.isSafeInteger(value) && value >= 0) return value;
	} else {
		const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
		if (match !== null) {
			const ms = Math.round(Number(match[1]) * (UNITS[match[2] ?? ""] ?? NaN));
			if (Number.isSafeInteger(ms)) return ms;
		}
	}
	throw new ConfigError("invalid_config", `${what}: "${String(value)}" is not a duration; write milliseconds or a string such as "1500ms", "30s", "30m", "12h".`);
}
