import type { SessionModel } from "../schema/model.ts";
import { SessError } from "../src/errors.ts";
import { Keyring } from "../src/keyring.ts";

/** One finding of `sess doctor`: what is wrong (or fine) and what to change. */
export interface Finding {
	level: "ok" | "warn" | "error";
	topic: "keys" | "cookie" | "expiry" | "rotation" | "revocation";
	message: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Audits a schema's policy and the configured keys against NIST SP 800-63B-4 (AAL2: re-authenticate
 * after 1 h idle and 24 h overall) and the OWASP Session Management Cheat Sheet (15–30 min idle for
 * low-risk apps, rotation, short grace). Pure: the CLI prints, tests assert.
 */
export function auditSession(model: SessionModel, keys: string | undefined, env: { SESS_INSECURE?: string | undefined; NODE_ENV?: string | undefined } = {}): Finding[] {
	const findings: Finding[] = [];
	const add = (level: Finding["level"], topic: Finding["topic"], message: string): void => {
		findings.push({ level, topic, message });
	};

	if (keys === undefined || keys.trim() === "") add("warn", "keys", "SESS_KEYS is not set here, so no key was checked; run doctor where the app's environment is, or pass --keys.");
	else {
		try {
			const list = keys.split(",").map((k) => k.trim()).filter((k) => k !== "");
			new Keyring(list);
			add("ok", "keys", `${list.length} key(s), all strong; the first signs.`);
			if (list.length > 3) add("warn", "keys", `${list.length} keys verify cookies: drop keys older than the absolute timeout, since no live session can use them.`);
		} catch (e) {
			if (!(e instanceof SessError)) throw e;
			add("error", "keys", e.message);
		}
	}

	const { cookie, expiry, rotation } = model;
	if (cookie.insecure) add("error", "cookie", "cookie.insecure drops Secure and the __Host- prefix: fine on http://localhost, never in production. Remove it before deploying.");
	else add("ok", "cookie", `${cookie.name}: Secure, HttpOnly, Path=/, no Domain, SameSite=${cookie.sameSite[0]?.toUpperCase()}${cookie.sameSite.slice(1)}.`);
	if (env.SESS_INSECURE === "1") {
		if (env.NODE_ENV === "production") add("error", "cookie", "SESS_INSECURE=1 with NODE_ENV=production: the app refuses to start (insecureDevelopmentCookies). Unset SESS_INSECURE and serve over HTTPS.");
		else add("warn", "cookie", "SESS_INSECURE=1 is set here: cookies lose Secure and __Host- (insecureDevelopmentCookies), for curl or Python over plain HTTP. Never set it in production (refused when NODE_ENV=production).");
	}
	if (cookie.sameSite === "none") add("warn", "cookie", "SameSite=None sends the cookie on cross-site requests: keep the origin check on and use CSRF tokens on forms, or choose lax.");

	if (expiry.idleMs > HOUR) add("error", "expiry", `idle timeout ${fmt(expiry.idleMs)} exceeds NIST SP 800-63B-4 AAL2 (1 h); set expiry.idle to 30m or less.`);
	else if (expiry.idleMs > 30 * MINUTE) add("warn", "expiry", `idle timeout ${fmt(expiry.idleMs)} is above OWASP's 15–30 min for typical apps; 30m is a good default.`);
	else if (expiry.idleMs < 2 * MINUTE) add("warn", "expiry", `idle timeout ${fmt(expiry.idleMs)} will log active users out mid-task; use at least 5m.`);
	else add("ok", "expiry", `idle timeout ${fmt(expiry.idleMs)}.`);
	if (expiry.anonymousIdleMs !== undefined && expiry.anonymousIdleMs < expiry.idleMs) add("ok", "expiry", `anonymous idle timeout ${fmt(expiry.anonymousIdleMs)} (sessions nobody is signed in to).`);
	if (expiry.absoluteMs > 24 * HOUR) add("error", "expiry", `absolute timeout ${fmt(expiry.absoluteMs)} exceeds NIST SP 800-63B-4 AAL2 (24 h); set expiry.absolute to 12h or less.`);
	else if (expiry.absoluteMs > 12 * HOUR) add("warn", "expiry", `absolute timeout ${fmt(expiry.absoluteMs)}: a work day (8–12h) bounds what a stolen cookie is worth.`);
	else add("ok", "expiry", `absolute timeout ${fmt(expiry.absoluteMs)}.`);

	if (rotation.everyMs > 30 * MINUTE) add("warn", "rotation", `IDs rotate every ${fmt(rotation.everyMs)}; rotate at least every 30m (15m default) so a leaked ID goes stale.`);
	else add("ok", "rotation", `IDs rotate every ${fmt(rotation.everyMs)}.`);
	if (rotation.graceMs > MINUTE) add("warn", "rotation", `grace ${fmt(rotation.graceMs)} keeps a rotated-away ID alive long; 30s covers requests in flight.`);
	if (rotation.graceMs === 0) add("warn", "rotation", "grace 0 logs out parallel requests that carry the old ID when rotation falls due; use 30s.");

	if (model.table.columns.length === 0) add("warn", "revocation", "no field is promoted with .meta({ column: true }): you cannot list a user's sessions or log them out everywhere (ASVS 7.4.x). Promote userId.");
	if (!model.data.some((f) => f.rotate === true)) add("warn", "revocation", "no field has .meta({ rotate: true }): login will not regenerate the session ID unless you call session.regenerate() (fixation, ASVS 7.2.4).");
	return findings;
}

function fmt(ms: number): string {
	if (ms % HOUR === 0) return `${ms / HOUR}h`;
	if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
	return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
