import type { SessionModel } from "../schema/model.ts";
import { parseDuration, type Duration } from "../schema/duration.ts";
import { ConfigError } from "./errors.ts";

/** Expiry and rotation in force for a manager, in milliseconds. */
export interface SessionPolicy {
	idleMs: number;
	absoluteMs: number;
	rotation: { everyMs: number; graceMs: number };
	/** A read-only request slides the idle deadline only once this much of it has passed. */
	touchAfterMs: number;
}

/** At most this stale is the stored last-seen time, so idle expiry is off by at most 5 minutes (or a tenth of idle). */
const MAX_TOUCH_LAG_MS = 5 * 60_000;

/** Merges run-time overrides into the schema's policy and checks the result is coherent. */
export function resolvePolicy(
	model: SessionModel,
	overrides: { expiry?: { idle?: Duration; absolute?: Duration }; rotation?: { every?: Duration; grace?: Duration } },
): SessionPolicy {
	const idleMs = overrides.expiry?.idle === undefined ? model.expiry.idleMs : parseDuration(overrides.expiry.idle, "expiry.idle");
	const absoluteMs = overrides.expiry?.absolute === undefined ? model.expiry.absoluteMs : parseDuration(overrides.expiry.absolute, "expiry.absolute");
	const everyMs = overrides.rotation?.every === undefined ? model.rotation.everyMs : parseDuration(overrides.rotation.every, "rotation.every");
	const graceMs = overrides.rotation?.grace === undefined ? model.rotation.graceMs : parseDuration(overrides.rotation.grace, "rotation.grace");
	if (idleMs <= 0 || absoluteMs <= 0 || idleMs > absoluteMs) {
		throw new ConfigError("invalid_config", "expiry: idle and absolute must be positive and idle must not exceed absolute.");
	}
	if (everyMs <= 0 || graceMs < 0 || graceMs >= everyMs) {
		throw new ConfigError("invalid_config", "rotation: every must be positive and grace shorter than every.");
	}
	return { idleMs, absoluteMs, rotation: { everyMs, graceMs }, touchAfterMs: Math.min(Math.floor(idleMs / 10), MAX_TOUCH_LAG_MS) };
}

/** The idle deadline for activity at `now`, never past the absolute one. */
export function idleDeadline(policy: SessionPolicy, now: number, absoluteExpiresAt: number): number {
	return Math.min(now + policy.idleMs, absoluteExpiresAt);
}

/** Whether a read-only request should write the new last-seen time. */
export function touchDue(policy: SessionPolicy, row: { lastSeenAt: number; idleExpiresAt: number; absoluteExpiresAt: number }, now: number): boolean {
	return now - row.lastSeenAt >= policy.touchAfterMs && row.idleExpiresAt < row.absoluteExpiresAt;
}
