import type { Socket, TCPSocketListener } from "bun";

/** What the proxy does with traffic right now. */
export type ProxyMode =
	| { kind: "pass" }
	/** Forward, but hold every chunk this long first (a slow server or network). */
	| { kind: "delay"; ms: number }
	/** Accept connections and swallow bytes without answering (a hung server). */
	| { kind: "blackhole" }
	/** Close every new connection at once (a server that is down). */
	| { kind: "refuse" };

interface Pair {
	client: Socket<ClientData>;
	upstream: Socket<UpstreamData> | null;
	/** Bytes from the client that arrived before the upstream connection opened. */
	pending: Uint8Array[];
}

interface ClientData {
	pair: Pair;
}

interface UpstreamData {
	pair: Pair;
}

/**
 * A TCP proxy on loopback between a store and its real server, for fault tests: it can delay,
 * swallow, refuse and cut. No mock stands in for the server; the bytes are the server's own.
 */
export class FaultProxy {
	mode: ProxyMode = { kind: "pass" };
	private readonly pairs = new Set<Pair>();
	private readonly listener: TCPSocketListener<ClientData>;

	private constructor(upstreamPort: number) {
		const proxy = this;
		this.listener = Bun.listen<ClientData>({
			hostname: "127.0.0.1",
			port: 0,
			socket: {
				open(client) {
					if (proxy.mode.kind === "refuse") {
						client.end();
						return;
					}
					const pair: Pair = { client, upstream: null, pending: [] };
					client.data = { pair };
					proxy.pairs.add(pair);
					void Bun.connect<UpstreamData>({
						hostname: "127.0.0.1",
						port: upstreamPort,
						data: { pair },
						socket: {
							open(upstream) {
								pair.upstream = upstream;
								for (const chunk of pair.pending) upstream.write(chunk);
								pair.pending = [];
							},
							data(_upstream, chunk) {
								const copy = new Uint8Array(chunk);
								proxy.forward(() => pair.client.write(copy));
							},
							close() {
								proxy.drop(pair);
							},
							error() {
								proxy.drop(pair);
							},
						},
					}).catch(() => proxy.drop(pair));
				},
				data(client, chunk) {
					const pair = client.data.pair;
					const copy = new Uint8Array(chunk);
					proxy.forward(() => {
						if (pair.upstream === null) pair.pending.push(copy);
						else pair.upstream.write(copy);
					});
				},
				close(client) {
					if (client.data !== undefined) proxy.drop(client.data.pair);
				},
				error(client) {
					if (client.data !== undefined) proxy.drop(client.data.pair);
				},
			},
		});
	}

	/** Starts a proxy in front of `127.0.0.1:upstreamPort`. */
	static start(upstreamPort: number): FaultProxy {
		return new FaultProxy(upstreamPort);
	}

	/** The port clients should connect to. */
	get port(): number {
		return this.listener.port;
	}

	/** Open client connections right now. */
	get connections(): number {
		return this.pairs.size;
	}

	/** Closes every open connection, both sides, as a network cut or a server crash would. */
	cut(): void {
		for (const pair of [...this.pairs]) this.drop(pair);
	}

	/** Stops listening and cuts everything. */
	stop(): void {
		this.cut();
		this.listener.stop(true);
	}

	private forward(send: () => void): void {
		const mode = this.mode;
		if (mode.kind === "blackhole") return;
		if (mode.kind === "delay") setTimeout(send, mode.ms);
		else send();
	}

	private drop(pair: Pair): void {
		if (!this.pairs.delete(pair)) return;
		pair.client.end();
		pair.upstream?.end();
	}
}
