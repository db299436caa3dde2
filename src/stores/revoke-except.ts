// Revoke-others keeps the caller's own session, named by the ID the request loaded. Another tab of the
// same browser may rotate that ID while the revoke runs: the session then lives under the successor,
// which holds the same user, and a revoke that spared only the loaded ID would log the caller out.

/** Longest successor chain a revoke follows from its except ID (each hop is one rotation within a grace). */
export const MAX_SPARED_HOPS = 16;

/**
 * The live row an except ID stands for now: the ID itself, or the end of its successor chain when
 * another request rotated it meanwhile. `successorOf` answers null for a live row, undefined for a missing one.
 */
export function liveEnd(id: string, successorOf: (id: string) => string | null | undefined): string {
	let at = id;
	for (let hop = 0; hop < MAX_SPARED_HOPS; hop++) {
		const next = successorOf(at);
		if (next === null || next === undefined) return at;
		at = next;
	}
	return at;
}

/** `liveEnd` over a store that answers asynchronously (each look-up may take the row's lock). */
export async function liveEndAsync(id: string, successorOf: (id: string) => Promise<string | null | undefined>): Promise<string> {
	let at = id;
	for (let hop = 0; hop < MAX_SPARED_HOPS; hop++) {
		const next = await successorOf(at);
		if (next === null || next === undefined) return at;
		at = next;
	}
	return at;
}
