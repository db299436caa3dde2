// The record a workload run leaves behind: one entry per HTTP request, with its invocation and
// completion times, so a checker can reason about real-time order without trusting the driver.

/** The demo route an operation called. */
export type OpKind = "append" | "login" | "read" | "flash" | "promote" | "logout" | "revoke" | "list";

/**
 * Who sent a request: `client` follows the cookie protocol (sends the newest cookie it holds);
 * `replay` re-sends a cookie of an ended login (an attacker or a stale tab); `forged` sends a cookie
 * that was never issued (tampered, or a validly signed token the server never stored).
 */
export type OpRole = "client" | "replay" | "forged";

/** One request and its outcome. Times are milliseconds on the machine's wall clock (sub-ms precision). */
export interface Op {
	id: number;
	/** The browser (cookie jar) that sent it. */
	client: number;
	/** The user id this client logs in as (several clients share a user: devices). */
	user: string;
	/** Which demo process served it. */
	process: number;
	kind: OpKind;
	role: OpRole;
	/** The `name=value` cookie sent, or null. */
	sent: string | null;
	/** The id of the client's login op it believed in force when sending, or null when it believed itself logged out. */
	belief: number | null;
	/** The cart item an `append` adds (unique in the run). */
	item?: number;
	/** The flash message a `flash` sets (unique in the run). */
	message?: string;
	inv: number;
	comp: number;
	/** HTTP status, or 0 when the request failed on the network. */
	status: number;
	body: unknown;
	/** `Set-Cookie` outcomes in order: a `name=value`, or null for a deletion (Max-Age=0). */
	set: (string | null)[];
}

/** A run: its operations and the rotation settings the servers used. */
export interface History {
	ops: Op[];
	/** SESS_GRACE: how long a rotated-away cookie keeps working. */
	graceMs: number;
	/**
	 * `sealed`: the session travels in the cookie, so an old cookie still valid carries an old state by
	 * design; (a) then holds for the protocol's clients only, not for replays. Default `store`.
	 */
	mode?: "store" | "sealed";
}
