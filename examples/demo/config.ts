import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Keyring, parseDuration, type Duration } from "sess";

/** The demo's settings, read from the environment once at start. */
export interface DemoConfig {
	db: string;
	/** `store` (server-side sessions) or `sealed` (the session in an encrypted cookie). */
	mode: "store" | "sealed";
	port: number;
	keyring: Keyring;
	/** Set when no SESS_KEYS was given and a development key file is in use. */
	devKeyFile: string | null;
	expiry: { idle?: Duration; absolute?: Duration };
	rotation: { every?: Duration; grace?: Duration };
	/** `SESS_INSECURE=1`: cookies without Secure and __Host- for plain-HTTP development (refused in production). */
	insecure: boolean;
	/** `SESS_REDIS_PREFIX`: the key prefix on a Redis store (default `sess:<table>:`). */
	redisPrefix?: string;
	/** `SESS_DB_READ`: a `postgres://` streaming replica of `SESS_DB` that serves the session reads. */
	readDb?: string;
	/** Device Bound Session Credentials (`SESS_DBSC=1`), with the bound cookie's lifetime (`SESS_DBSC_LIFETIME`); null when off. */
	dbsc: { cookieLifetime: Duration } | null;
	/** HTTPS (`SESS_TLS_CERT` and `SESS_TLS_KEY`, PEM file paths); DBSC needs it, Chromium registers nothing over plain HTTP. */
	tls: { cert: string; key: string } | null;
	/** `SESS_MAX_PER_USER` (default unlimited) and `SESS_LIMIT_POLICY` (`evict`, the default, or `refuse`): the per-user session limit. */
	limit: { max: number; policy: "evict" | "refuse" } | null;
}

/** Reads `SESS_DB`, `SESS_KEYS`, `PORT` and the duration overrides; throws `WeakKeyError` / `ConfigError` on bad values. */
export function readDemoConfig(env: Record<string, string | undefined>, devKeyFile: string, defaultDb: string): DemoConfig {
	let keys = env.SESS_KEYS?.trim() ?? "";
	let usedDevKey: string | null = null;
	if (keys === "") {
		// Development only: a random key kept in a git-ignored file, so restarts keep sessions alive.
		if (!existsSync(devKeyFile)) {
			writeFileSync(devKeyFile, `${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}\n`, { mode: 0o600 });
		}
		keys = readFileSync(devKeyFile, "utf8").trim();
		usedDevKey = devKeyFile;
	}
	// Parsed here so an error names the variable the user set, not the internal setting.
	const duration = (name: string): Duration | undefined => {
		const value = env[name];
		return value === undefined || value === "" ? undefined : parseDuration(value, name);
	};
	const port = Number(env.PORT ?? 3000);
	if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`PORT must be a TCP port number, not "${env.PORT}".`);
	const expiry: DemoConfig["expiry"] = {};
	const rotation: DemoConfig["rotation"] = {};
	const idle = duration("SESS_IDLE");
	const absolute = duration("SESS_ABSOLUTE");
	const every = duration("SESS_ROTATE_EVERY");
	const grace = duration("SESS_GRACE");
	if (idle !== undefined) expiry.idle = idle;
	if (absolute !== undefined) expiry.absolute = absolute;
	if (every !== undefined) rotation.every = every;
	if (grace !== undefined) rotation.grace = grace;
	const dbscFlag = env.SESS_DBSC ?? "";
	if (!["", "0", "1"].includes(dbscFlag)) throw new RangeError(`SESS_DBSC must be 1 (on) or 0 (off), not "${dbscFlag}".`);
	const dbsc = dbscFlag === "1" ? { cookieLifetime: duration("SESS_DBSC_LIFETIME") ?? "10m" } : null;
	const cert = env.SESS_TLS_CERT ?? "";
	const tlsKey = env.SESS_TLS_KEY ?? "";
	if ((cert === "") !== (tlsKey === "")) throw new RangeError("Set both SESS_TLS_CERT and SESS_TLS_KEY (PEM file paths), or neither.");
	const mode = env.SESS_MODE === undefined || env.SESS_MODE === "" ? "store" : env.SESS_MODE;
	if (mode !== "store" && mode !== "sealed") throw new RangeError(`SESS_MODE must be "store" or "sealed", not "${mode}".`);
	const maxText = env.SESS_MAX_PER_USER ?? "";
	if (maxText !== "" && !/^[1-9]\d{0,5}$/.test(maxText)) throw new RangeError(`SESS_MAX_PER_USER must be a whole number from 1, not "${maxText}".`);
	const policy = env.SESS_LIMIT_POLICY === undefined || env.SESS_LIMIT_POLICY === "" ? "evict" : env.SESS_LIMIT_POLICY;
	if (policy !== "evict" && policy !== "refuse") throw new RangeError(`SESS_LIMIT_POLICY must be "evict" or "refuse", not "${policy}".`);
	const limit = maxText === "" ? null : { max: Number(maxText), policy: policy as "evict" | "refuse" };
	const insecureFlag = env.SESS_INSECURE ?? "";
	if (!["", "0", "1"].includes(insecureFlag)) throw new RangeError(`SESS_INSECURE must be 1 (on) or 0 (off), not "${insecureFlag}".`);
	const redisPrefix = env.SESS_REDIS_PREFIX === undefined || env.SESS_REDIS_PREFIX === "" ? {} : { redisPrefix: env.SESS_REDIS_PREFIX };
	const readDb = env.SESS_DB_READ === undefined || env.SESS_DB_READ === "" ? {} : { readDb: env.SESS_DB_READ };
	return {
		...redisPrefix,
		...readDb,
		db: env.SESS_DB === undefined || env.SESS_DB === "" ? defaultDb : env.SESS_DB,
		mode,
		insecure: insecureFlag === "1",
		port,
		keyring: Keyring.fromString(keys),
		devKeyFile: usedDevKey,
		expiry,
		rotation,
		dbsc,
		tls: cert === "" ? null : { cert, key: tlsKey },
		limit,
	};
}
