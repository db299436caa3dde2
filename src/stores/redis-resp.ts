// RESP2 replies (https://redis.io/docs/latest/develop/reference/protocol-spec/), parsed straight from the
// bytes a socket delivers into the values the Redis store reads: bulk and simple strings as strings,
// integers as numbers, nil as null, arrays as arrays, error replies as RedisReplyError.

/** An error reply of the server (`-ERR …`, `-MOVED …`, `-NOSCRIPT …`): the command reached Redis and failed there. */
export class RedisReplyError extends Error {
	override name = "RedisReplyError";
	/** The code Bun.RedisClient gives its server errors, so code telling them from lost connections reads both. */
	readonly code = "ERR_REDIS_SERVER_ERROR";
}

/** A reply stream that breaks the protocol: the connection cannot be trusted from that byte on. */
export class RespProtocolError extends Error {
	override name = "RespProtocolError";
}

const CR = 13;

/** Buffer's text decoder without the argument checks of toString (Bun and Node both have it; the types omit it). */
type Bytes = Buffer & { utf8Slice(start: number, end: number): string };
const EMPTY = Buffer.alloc(0) as Bytes;
const INCOMPLETE: unique symbol = Symbol("incomplete");
type Parsed = unknown;

/**
 * Reads replies from a byte stream cut anywhere. Bytes of an unfinished reply wait for the next chunk;
 * when the reply's length is known (a long bulk string), chunks are only collected until it is all there.
 */
export class RespReader {
	private buf: Bytes = EMPTY;
	/**
	 * The chunk decoded whole when it is all ASCII (the store's keys, numbers, base64 and most JSON), else
	 * null: each string is then a substring of it, where decoding each bulk string natively cost a call
	 * and a copy apiece (HMGET's nine fields took ≈10k more client instructions per request than one).
	 */
	private text: string | null = null;
	private pos = 0;
	private end = 0;
	/** Bytes held from earlier chunks (the start of an unfinished reply), and how many the reply needs at least. */
	private held: Buffer[] = [];
	private heldBytes = 0;
	private need = 0;

	/** Parses every complete reply in `chunk` (after what earlier chunks left), calling `onReply` for each in order. */
	feed(chunk: Buffer, onReply: (reply: unknown) => void): void {
		let buf = chunk;
		if (this.heldBytes > 0) {
			this.held.push(chunk);
			this.heldBytes += chunk.length;
			if (this.heldBytes < this.need) return;
			buf = Buffer.concat(this.held, this.heldBytes);
			this.held = [];
			this.heldBytes = 0;
		}
		this.buf = buf as Bytes;
		this.end = buf.length;
		const text = (buf as Bytes).utf8Slice(0, buf.length);
		this.text = text.length === buf.length ? text : null;
		this.pos = 0;
		while (this.pos < this.end) {
			const start = this.pos;
			this.need = 0;
			const reply = this.parse();
			if (reply === INCOMPLETE) {
				// Copied: the socket may reuse its buffer once this callback returns.
				const rest = Buffer.from(buf.subarray(start));
				this.held = [rest];
				this.heldBytes = rest.length;
				this.need = Math.max(this.need - start, rest.length + 1);
				break;
			}
			onReply(reply);
		}
		this.buf = EMPTY;
		this.text = null;
	}

	/** Forgets a partial reply (the connection it came on is gone). */
	reset(): void {
		this.held = [];
		this.heldBytes = 0;
		this.need = 0;
		this.buf = EMPTY;
	}

	private parse(): Parsed | typeof INCOMPLETE {
		const buf = this.buf;
		if (this.pos >= this.end) return INCOMPLETE;
		const type = buf[this.pos++];
		switch (type) {
			case 0x24: {
				// $<length>\r\n<bytes>\r\n
				const length = this.integer();
				if (length === INCOMPLETE) return INCOMPLETE;
				if (length < 0) return null;
				const start = this.pos;
				const stop = start + length;
				if (stop + 2 > this.end) {
					this.need = stop + 2;
					return INCOMPLETE;
				}
				this.pos = stop + 2;
				return this.text === null ? buf.utf8Slice(start, stop) : this.text.slice(start, stop);
			}
			case 0x2a: {
				// *<count>\r\n then that many replies
				const count = this.integer();
				if (count === INCOMPLETE) return INCOMPLETE;
				if (count < 0) return null;
				const out = new Array<unknown>(count);
				for (let i = 0; i < count; i++) {
					const item = this.parse();
					if (item === INCOMPLETE) return INCOMPLETE;
					out[i] = item;
				}
				return out;
			}
			case 0x3a:
				return this.integer();
			case 0x2b: {
				const line = this.line();
				return line;
			}
			case 0x2d: {
				const line = this.line();
				return line === INCOMPLETE ? INCOMPLETE : new RedisReplyError(line);
			}
			default:
				throw new RespProtocolError(`unexpected reply type byte ${type} from Redis`);
		}
	}

	/** A line up to CRLF, as text. */
	private line(): string | typeof INCOMPLETE {
		const cr = this.buf.indexOf(CR, this.pos);
		if (cr === -1 || cr + 1 >= this.end) return INCOMPLETE;
		const text = this.text === null ? this.buf.utf8Slice(this.pos, cr) : this.text.slice(this.pos, cr);
		this.pos = cr + 2;
		return text;
	}

	/** A signed decimal up to CRLF (lengths, counts, integer replies), read digit by digit without a string. */
	private integer(): number | typeof INCOMPLETE {
		const buf = this.buf;
		let at = this.pos;
		let negative = false;
		if (at < this.end && buf[at] === 0x2d) {
			negative = true;
			at++;
		}
		let n = 0;
		for (;;) {
			if (at >= this.end) return INCOMPLETE;
			const c = buf[at] as number;
			if (c === CR) break;
			if (c < 0x30 || c > 0x39) throw new RespProtocolError(`unexpected byte ${c} in a number from Redis`);
			n = n * 10 + (c - 0x30);
			at++;
		}
		if (at + 1 >= this.end) return INCOMPLETE;
		this.pos = at + 2;
		return negative ? -n : n;
	}
}
