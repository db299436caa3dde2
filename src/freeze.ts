/** Freezes arrays and plain objects all the way down so in-place edits fail loudly instead of being lost. */
export function deepFreeze<T>(value: T): T {
	if (typeof value === "object" && value !== null && !Object.isFrozen(value) && !(value instanceof Date)) {
		Object.freeze(value);
		// Arrays by index: Object.values copied every array first (≈40% of freezing a one-element array in Bun).
		if (Array.isArray(value)) for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
		else for (const v of Object.values(value)) deepFreeze(v);
	}
	return value;
}
