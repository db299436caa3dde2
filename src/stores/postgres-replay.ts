import type { SQL } from "bun";
import { StoreUnavailableError } from "../errors.ts";

/** A write committed on the primary that the replica did not replay in time: not acknowledged, answer 503. */
export class ReplicaLagError extends StoreUnavailableError {
	override name = "ReplicaLagError";
}

/** A PostgreSQL WAL position (`16/B374D848`) as a number that orders like the log. */
export function parseLsn(text: string): bigint {
	const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text);
	if (match === null) throw new TypeError(`"${text}" is not a PostgreSQL WAL position (like 0/16B3748).`);
	return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

interface Waiter {
	lsn: bigint;
	deadline: number;
	resolve(): void;
	reject(error: Error): void;
}

/**
 * Releases each waiter once a standby has replayed the WAL up to its position. One poll loop serves
 * every waiter of the process, so a burst of writes costs the replica one small query per poll, not per write.
 */
export class ReplayWatcher {
	/** The highest replay position seen so far (replay only moves forward). */
	private replayed = -1n;
	private waiters: Waiter[] = [];
	private polling = false;

	constructor(
		private readonly replica: SQL,
		private readonly pollMs: number,
		private readonly maxLagMs: number,
		private readonly now: () => number = () => performance.now(),
	) {}

	/** The highest replay position the replica reported (-1 before the first poll). */
	get position(): bigint {
		return this.replayed;
	}

	/** Resolves when the replica has replayed `lsn`; rejects with `ReplicaLagError` after `maxLagMs`. */
	waitFor(lsn: bigint): Promise<void> {
		if (lsn <= this.replayed) return Promise.resolve();
		return new Promise<void>((resolve, reject) => {
			this.waiters.push({ lsn, deadline: this.now() + this.maxLagMs, resolve, reject });
			if (!this.polling) void this.poll();
		});
	}

	private async poll(): Promise<void> {
		this.polling = true;
		try {
			while (this.waiters.length > 0) {
				let failure: string | null = null;
				try {
					const [row] = (await this.replica.unsafe("SELECT pg_last_wal_replay_lsn()::text AS lsn")) as Array<{ lsn: string | null }>;
					// NULL: the server left recovery (promoted) or never was a standby; nothing it shows can be trusted as "replayed".
					if (row?.lsn == null) failure = "the read server is not a standby in recovery";
					else {
						const position = parseLsn(row.lsn);
						if (position > this.replayed) this.replayed = position;
					}
				} catch (error) {
					failure = error instanceof Error ? error.message : String(error);
				}
				const now = this.now();
				this.waiters = this.waiters.filter((w) => {
					if (w.lsn <= this.replayed) {
						w.resolve();
						return false;
					}
					if (now < w.deadline) return true;
					const why = failure ?? `replayed up to ${formatLsn(this.replayed)}, waiting for ${formatLsn(w.lsn)}`;
					w.reject(new ReplicaLagError(`The write reached the primary but the read replica did not replay it within ${this.maxLagMs} ms (${why}); answer 503, then fix replication or unset the read URL.`));
					return false;
				});
				if (this.waiters.length > 0) await Bun.sleep(this.pollMs);
			}
		} finally {
			this.polling = false;
		}
	}
}

/** The `hi/lo` text form of a WAL position. */
export function formatLsn(lsn: bigint): string {
	if (lsn < 0n) return "nothing yet";
	return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
