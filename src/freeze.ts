/** Freezes arrays and plain objects all the way down so in-place edits fail loudly instead of being lost. */
export function deepFreeze<T>(value: T): T {
	if (typeof value === "object" && value !== null && !Object.isFrozen(value) && !(value instanceof Date)) {
		Object.freeze(value);
		for (const v of Object.values(value)) deepFreeze(v);
	}
	return value;
}
