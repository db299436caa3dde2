import type { SessionPolicy } from "./expiry.ts";
import { STATE, type Session } from "./session.ts";

/** A stored session's times, for showing a person when it began, was last seen, and when it ends or rotates. */
export interface SessionTimeline {
	createdAt: Date;
	/** The last-seen time the server has recorded (written on the touch cadence, so up to a tenth of idle behind). */
	lastSeenAt: Date;
	/** When the session ends without activity. */
	idleExpiresAt: Date;
	/** When the session ends whatever happens (the lifetime, restarted by a login). */
	absoluteExpiresAt: Date;
	/** When the current session ID was issued. */
	rotatedAt: Date;
	/** The first request from this time on gets a new ID; null when the session ends first. */
	nextRotationAt: Date | null;
}

/**
 * The session's timeline, or null for a session not stored (or destroyed). Read after commit it shows
 * what the response carries: a rotation or touch this request made is included. Holds no secret.
 */
export function sessionTimeline(session: Session<object, object>, policy: SessionPolicy): SessionTimeline | null {
	const state = session[STATE];
	const row = state.row;
	if (row === null || state.destroyed) return null;
	const next = row.rotatedAt + policy.rotation.everyMs;
	const ends = Math.min(row.idleExpiresAt, row.absoluteExpiresAt);
	return {
		createdAt: new Date(row.createdAt),
		lastSeenAt: new Date(row.lastSeenAt),
		idleExpiresAt: new Date(Math.min(row.idleExpiresAt, row.absoluteExpiresAt)),
		absoluteExpiresAt: new Date(row.absoluteExpiresAt),
		rotatedAt: new Date(row.rotatedAt),
		nextRotationAt: next < ends ? new Date(next) : null,
	};
}
