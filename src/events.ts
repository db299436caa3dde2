/**
 * Security and lifecycle events. `id` is always a short prefix of the stored hash, never the token
 * (the cookie value) nor the full stored ID, so events can go to logs as they are.
 */
export type SessionEvent =
	| { type: "cookie_invalid"; reason: "malformed" | "bad_signature" | "duplicate" | "oversized" }
	| { type: "old_key_used"; keyId: string }
	| { type: "unknown_id"; id: string }
	| { type: "idle_expired"; id: string }
	| { type: "absolute_expired"; id: string }
	| { type: "grace_expired"; id: string }
	| { type: "created"; id: string }
	| { type: "rotated"; id: string; next: string }
	| { type: "regenerated"; id: string; next: string }
	| { type: "destroyed"; id: string }
	| { type: "revoked"; column: string; count: number }
	| { type: "decode_reset"; id: string; reason: string }
	| { type: "fields_reset"; id: string; fields: string[] }
	| { type: "concurrent_write"; id: string; fields: string[]; overwritten: string[] }
	| { type: "write_after_destroy"; id: string }
	| { type: "update_rejected"; id: string; field: string }
	| { type: "sealed_revoked"; id: string; reason: "denied" | "not_before" }
	| { type: "store_unavailable"; operation: string; reason: string }
	| { type: "dbsc_registered"; id: string; alg: "ES256" | "RS256" }
	| { type: "dbsc_refreshed"; id: string }
	| { type: "dbsc_proof_failed"; id: string | null; step: "registration" | "refresh"; reason: string }
	| { type: "dbsc_skipped"; id: string | null; reason: string }
	| { type: "dbsc_refused"; id: string; reason: "missing" | "forged" | "foreign" | "expired" | "unbound" }
	| { type: "dbsc_ended"; id: string | null }
	/** A value the schema or the store refused reached an adapter, which answered 400; `reason` names the field, never the value. */
	| { type: "invalid_data"; path: string; reason: string };

/** Receives events; must not throw (errors it throws are swallowed so a logger cannot break requests). */
export type EventHook = (event: SessionEvent) => void;

/** Calls the hook, shielding the request from a failing hook. */
export function emit(hook: EventHook | undefined, event: SessionEvent): void {
	if (hook === undefined) return;
	try {
		hook(event);
	} catch {
		// A broken logger must not turn into a broken request.
	}
}
