// Reachability of the external servers some tests need. Callers skip when a server is down,
// except in CI (CI=true), where a missing server must fail the tests instead of hiding them.

/** The Redis the tests use: `SESS_TEST_REDIS_URL` (or `REDIS_URL`), else the local default; suites stay under their own key prefix. */
export const REDIS_URL = process.env["SESS_TEST_REDIS_URL"] || process.env["REDIS_URL"] || "redis://127.0.0.1:6379";

/** Resolves `value` unless `timeoutMs` passes first, then `fallback`; the timer never outlives the race. */
async function within<T>(value: Promise<T>, timeoutMs: number, fallback: T): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<T>((resolve) => {
		timer = setTimeout(() => resolve(fallback), timeoutMs);
	});
	try {
		return await Promise.race([value, timeout]);
	} finally {
		clearTimeout(timer);
	}
}

/** Whether something accepts TCP connections on `host:port` within `timeoutMs`. */
export async function serverReachable(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<boolean> {
	const attempt = Bun.connect({ hostname: host, port, socket: { data() {}, error() {} } }).then(
		(socket) => {
			socket.end();
			return true;
		},
		() => false,
	);
	return within(attempt, timeoutMs, false);
}

/** Whether a Redis server answers PING at `url` within `timeoutMs`: one attempt, no reconnect loop. */
export async function redisReachable(url: string = REDIS_URL, timeoutMs = 1000): Promise<boolean> {
	const client = new Bun.RedisClient(url, { connectionTimeout: timeoutMs, autoReconnect: false, maxRetries: 0 });
	try {
		const ping = client.send("PING", []).then(
			(reply) => reply === "PONG",
			() => false,
		);
		return await within(ping, timeoutMs, false);
	} finally {
		client.close();
	}
}
