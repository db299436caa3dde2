import type { RedisClient } from "bun";
import { StoreUnavailableError } from "../errors.ts";
import type { RedisCluster } from "./redis-cluster.ts";
import type { RedisConnection } from "./redis-connection.ts";

/** A Redis URL for messages: the password masked. */
export function redisLocation(url: string): string {
	return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

/**
 * Connects and PINGs within `timeoutMs`, or throws `StoreUnavailableError` in one line: a stopped server
 * or a wrong URL then fails when the app starts, not at the first request with a cookie after Bun's
 * client has spent ~30 s on reconnects.
 */
export async function pingRedis(client: RedisClient | RedisCluster | RedisConnection, location: string | null, timeoutMs: number): Promise<void> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
	});
	const ping = (async () => {
		if (!client.connected) await client.connect();
		return client.send("PING", []);
	})();
	ping.catch(() => undefined);
	try {
		await Promise.race([ping, late]);
	} catch (error) {
		// A failed connect says why in `reason`, without the address this message gives anyway.
		const given = (error as { reason?: unknown } | null)?.reason;
		const reason = typeof given === "string" ? given : (error instanceof Error ? error.message : String(error)).split("\n")[0];
		throw new StoreUnavailableError(`cannot reach Redis${location === null ? "" : ` at ${location}`} (${reason}). Check that it is running and that the URL names it.`, { cause: error });
	} finally {
		clearTimeout(timer);
	}
}
