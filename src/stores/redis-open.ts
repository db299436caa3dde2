import type { RedisClient } from "bun";
import { SendBatch } from "./redis-batch.ts";
import { RedisCluster } from "./redis-cluster.ts";
import { isConnectionUrl, RedisConnection } from "./redis-connection.ts";

/**
 * The client a Redis store opens for a URL: the cluster router for `redis-cluster://` (`rediss-cluster://`
 * with TLS), our RESP connection for `redis://`, `rediss://` and `redis+unix://`, and `Bun.RedisClient`
 * for any other form it accepts.
 */
export function openRedis(url: string): RedisCluster | RedisConnection | Bun.RedisClient {
	if (/^rediss?-cluster:/i.test(url)) return new RedisCluster(url, /^rediss/i.test(url) ? { tls: true } : {});
	return isConnectionUrl(url) ? new RedisConnection(url) : new Bun.RedisClient(url);
}

/** Where a store sends commands: the router or our connection gather writes themselves; a Bun.RedisClient goes through a SendBatch. */
export function senderFor(client: RedisClient | RedisCluster | RedisConnection): RedisCluster | RedisConnection | SendBatch {
	return client instanceof RedisCluster || client instanceof RedisConnection ? client : new SendBatch(client);
}
