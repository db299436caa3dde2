import type { RedisClient } from "bun";

/**
 * Sends the commands that many requests issue while the connection is busy in a few socket writes, and
 * keeps Redis working while this process works.
 *
 * Why: `Bun.RedisClient` resolves each reply of a read in its own microtask drain and flushes its
 * write buffer at the end of each drain. When 16 requests wait on one connection, the 16 replies
 * arrive in one read, but each request's next command (the commit after the load) then leaves in its
 * own `send(2)` and reaches Redis in its own `read(2)`: one write and one read syscall per command on
 * each side, which cost more Redis CPU than the commands themselves. Here a command goes at once
 * while the connection is idle (no added wait for a lone request). While others are in flight it
 * waits, and the gathered commands go together, in the order they were issued, as soon as as many
 * wait here as are still out at Redis (half of them, when all requests share the connection), or at
 * the end of the turn (`setImmediate`). Sending all of a turn's commands in one write kept the two
 * processes in lockstep, each idle while the other worked (16 loads to Redis, 16 replies back, 16
 * commits, ...); in two halves, Redis runs one half while this process handles the replies of the
 * other: 39k → 52k ops/s at 16 in flight on one server, for 0.25 instead of 0.125 Redis reads per op.
 */
export class SendBatch {
	private queue: Pending[] = [];
	private inFlight = 0;
	private scheduled = false;

	constructor(readonly client: RedisClient) {}

	/** `client.send`, gathered with other commands while the connection is busy; `recover` as `.catch(recover)`. */
	send(command: string, args: string[], recover?: (error: unknown) => unknown): Promise<unknown> {
		const sent = this.gather(command, args);
		return recover === undefined ? sent : sent.catch(recover);
	}

	private gather(command: string, args: string[]): Promise<unknown> {
		if (this.inFlight === 0 && this.queue.length === 0) return this.track(command, args);
		return new Promise((resolve, reject) => {
			this.queue.push({ command, args, resolve, reject });
			if (this.queue.length >= this.inFlight) this.flush();
			else if (!this.scheduled) {
				this.scheduled = true;
				setImmediate(this.atTurnEnd);
			}
		});
	}

	private readonly atTurnEnd = (): void => {
		this.scheduled = false;
		this.flush();
	};

	private flush(): void {
		const queue = this.queue;
		this.queue = [];
		for (const p of queue) this.track(p.command, p.args).then(p.resolve, p.reject);
	}

	/** Sends now and counts the command until its reply; the caller gets the client's own promise. */
	private track(command: string, args: string[]): Promise<unknown> {
		let sent: Promise<unknown>;
		try {
			sent = this.client.send(command, args);
		} catch (error) {
			return Promise.reject(error);
		}
		this.inFlight++;
		// Registered before the caller's reaction, so the count is down by the time the caller sends again.
		sent.then(this.settled, this.settled);
		return sent;
	}

	private readonly settled = (): void => {
		this.inFlight--;
	};
}

interface Pending {
	command: string;
	args: string[];
	resolve(value: unknown): void;
	reject(error: unknown): void;
}
