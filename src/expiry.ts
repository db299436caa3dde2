import type { SessionModel } from "../schema/model.ts";
import { parseDuration, type Duration } from "../schema/duration.ts";
import type { SessionMeta } from "./codec-system.ts";
import { ConfigError } from "./errors.ts";

/** Expiry and rotation in force for a manager, in milliseconds. */
export interface SessionPolicy {
	idleMs: number;
	absoluteMs: number;
	/** The idle timeout while nobody is signed in (`expiry.anonymousIdle`); `idleMs` when not set. */
	anonymousIdleMs: number;
	rotation: { everyMs: number; graceMs: number };
	/** A read-only request slides the idle deadline only once this much of it has passed. */
	touchAfterMs: number;
	/** The same for an anonymous session, from its own (shorter) idle timeout. */
	anonymousTouchAfterMs: number;
}

/** Run-time overrides of the schema's expiry policy. */
export interface ExpiryOverrides {
	idle?: Duration;
	absolute?: Duration;
	/** Idle timeout for sessions nobody is signed in to (no identity field set, no `markAuthenticated()`). */
	anonymousIdle?: Duration;
}

/** At most this stale is the stored last-seen time, so idle expiry is off by at most 5 minutes (or a tenth of idle). */
const MAX_TOUCH_LAG_MS = 5 * 60_000;

/** Merges run-time overrides into the schema's policy and checks the result is coherent. */
export function resolvePolicy(
	model: SessionModel,
	overrides: { expiry?: ExpiryOverrides; rotation?: { every?: Duration; grace?: Duration } },
): SessionPolicy {
	const idleMs = overrides.expiry?.idle === undefined ? model.expiry.idleMs : parseDuration(overrides.expiry.idle, "expiry.idle");
	const absoluteMs = overrides.expiry?.absolute === undefined ? model.expiry.absoluteMs : parseDuration(overrides.expiry.absolute, "expiry.absolute");
	const anonymousIdleMs = overrides.expiry?.anonymousIdle === undefined
		? (model.expiry.anonymousIdleMs ?? idleMs)
		: parseDuration(overrides.expiry.anonymousIdle, "expiry.anonymousIdle");
	const everyMs = overrides.rotation?.every === undefined ? model.rotation.everyMs : parseDuration(overrides.rotation.every, "rotation.every");
	const graceMs = overrides.rotation?.grace === undefined ? model.rotation.graceMs : parseDuration(overrides.rotation.grace, "rotation.grace");
	if (idleMs <= 0 || absoluteMs <= 0 || idleMs > absoluteMs) {
		throw new ConfigError("invalid_config", "expiry: idle and absolute must be positive and idle must not exceed absolute.");
	}
	if (anonymousIdleMs <= 0 || anonymousIdleMs > idleMs) {
		throw new ConfigError("invalid_config", "expiry.anonymousIdle must be positive and not exceed expiry.idle (it is the shorter timeout of sessions nobody is signed in to).");
	}
	if (everyMs <= 0 || graceMs < 0 || graceMs >= everyMs) {
		throw new ConfigError("invalid_config", "rotation: every must be positive and grace shorter than every.");
	}
	return {
		idleMs, absoluteMs, anonymousIdleMs, rotation: { everyMs, graceMs },
		touchAfterMs: touchLag(idleMs), anonymousTouchAfterMs: touchLag(anonymousIdleMs),
	};
}

function touchLag(idleMs: number): number {
	return Math.min(Math.floor(idleMs / 10), MAX_TOUCH_LAG_MS);
}

/** The idle deadline for activity at `now`, never past the absolute one; `anonymous` takes the anonymous idle. */
export function idleDeadline(policy: SessionPolicy, now: number, absoluteExpiresAt: number, anonymous = false): number {
	return Math.min(now + (anonymous ? policy.anonymousIdleMs : policy.idleMs), absoluteExpiresAt);
}

/** Whether a read-only request should write the new last-seen time. */
export function touchDue(policy: SessionPolicy, row: { lastSeenAt: number; idleExpiresAt: number; absoluteExpiresAt: number }, now: number, anonymous = false): boolean {
	return now - row.lastSeenAt >= (anonymous ? policy.anonymousTouchAfterMs : policy.touchAfterMs) && row.idleExpiresAt < row.absoluteExpiresAt;
}

/** Tells whether nobody is signed in to a session, from its data and meta. */
export type AnonymityTest = (data: Record<string, unknown>, meta: SessionMeta) => boolean;

/**
 * Anonymous: the identity field (`.meta({ identity: true })`) holds nobody (absent, null or its default)
 * and `markAuthenticated()` was never called. Setting the identity is a login and clearing it a logout,
 * and both give the session a new ID, so a row is anonymous or not for its whole life.
 */
export function anonymityTest(model: SessionModel): AnonymityTest {
	const identity = model.data.find((f) => f.identity === true);
	const field = identity?.name;
	const initial = identity?.initial;
	return (data, meta) => {
		if (meta.authenticatedAt !== undefined) return false;
		if (field === undefined) return true;
		const value = data[field];
		return value === undefined || value === null || Object.is(value, initial);
	};
}
