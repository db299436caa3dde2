// The workload: many browsers (several per user, as devices) with a few tabs each, talking to several
// demo processes over real HTTP for a bounded time, every request recorded as an `Op`.
//
// Each client follows the cookie protocol: it sends the newest cookie it holds, and a `Set-Cookie`
// replaces it when its response completes (last completion wins, as in a browser). Login, promote and
// logout run alone in their client (no other tab in flight) and are followed or preceded by a read,
// so the history shows which session they acted on. Attackers ride along: after a logout or a revoke
// the old cookies are replayed, and now and then a never-issued cookie is sent.
import type { History, Op, OpKind, OpRole } from "./history.ts";
import { mulberry32 } from "../helpers/seeded-random.ts";

export interface WorkloadOptions {
	/** Base URLs of the demo processes (`http://127.0.0.1:port`). */
	bases: string[];
	users: number;
	devicesPerUser: number;
	/** Requests a client keeps in flight at most (1 for sealed mode, where tabs would fork the cookie). */
	tabs: number;
	durationMs: number;
	graceMs: number;
	/**
	 * Whether a revoke-others waits until the user's other devices have nothing in flight (and holds them
	 * off while it runs). Off in CI; kept to tell a regression in that race from another (it once stepped
	 * around docs/guarantees.md finding 3).
	 */
	revokeAlone?: boolean;
	/**
	 * Whether a revoke-others first waits for the revoking client's own tabs. Off in CI; kept to isolate
	 * a regression of docs/guarantees.md finding 1 (a tab rotating the session while the revoke runs).
	 */
	revokeOwnQuiet?: boolean;
	/**
	 * Which cookies of a login are replayed after its logout: all it held (default, as in CI), or only
	 * the one the logout was sent with (isolates a regression of docs/guarantees.md finding 2).
	 */
	replayAfterLogout?: "all" | "last";
	/** A cookie (`name=value`) the server never issued, for the forged requests. */
	forge(issued: string | null): string;
	/** The servers' session mode, recorded in the history for the checker. */
	mode?: "store" | "sealed";
	/** Seed of the run's choices, printed so a failing run can be replayed. */
	seed: number;
}


const ROUTES: Record<OpKind, [string, string]> = {
	append: ["POST", "/api/cart"],
	login: ["POST", "/api/login"],
	read: ["GET", "/api/session"],
	flash: ["POST", "/api/flash"],
	promote: ["POST", "/api/promote"],
	logout: ["POST", "/api/logout"],
	revoke: ["POST", "/api/sessions/revoke-others"],
	list: ["GET", "/api/sessions"],
};

/** Carts hold 50 items; a client logs out before its session gets near that. */
const CART_LIMIT = 40;

const clock = (): number => performance.timeOrigin + performance.now();

/** Runs the workload until `durationMs` has passed and every request has completed; returns the history. */
export async function runWorkload(options: WorkloadOptions): Promise<History> {
	const random = mulberry32(options.seed);
	const ops: Op[] = [];
	let nextId = 1;
	let nextItem = 1;
	const end = clock() + options.durationMs;
	const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

	interface Client {
		index: number;
		user: string;
		cookie: string | null;
		/** The login op in force, as this client believes. */
		belief: number | null;
		/** Every cookie this client has held since its login: what an attacker could replay after logout. */
		held: string[];
		cartSize: number;
		inFlight: Set<Promise<unknown>>;
		/** The subset of `inFlight` already sent (not waiting for a revoke to finish). */
		onWire: Set<Promise<unknown>>;
	}

	/** Sends one request; a client's own requests count as in flight from before they wait for a revoke to finish. */
	function send(client: Client, kind: OpKind, role: OpRole = "client", cookie?: string | null): Promise<Op> {
		if (role !== "client") return request(client, kind, role, cookie ?? null);
		const p = (async () => {
			for (let q = quiet.get(client.user); q !== undefined && q.owner !== client; q = quiet.get(client.user)) await q.done;
			const sent = request(client, kind, role, client.cookie);
			client.onWire.add(sent);
			void sent.finally(() => client.onWire.delete(sent));
			return sent;
		})();
		client.inFlight.add(p);
		void p.finally(() => client.inFlight.delete(p));
		return p;
	}

	async function request(client: Client, kind: OpKind, role: OpRole, cookie: string | null): Promise<Op> {
		const [method, path] = ROUTES[kind];
		const op: Op = {
			id: nextId++, client: client.index, user: client.user, process: Math.floor(random() * options.bases.length), kind, role,
			sent: cookie, belief: client.belief, inv: 0, comp: 0, status: 0, body: null, set: [],
		};
		let body: string | null = null;
		if (kind === "append") {
			op.item = nextItem++;
			body = JSON.stringify({ item: op.item });
		} else if (kind === "flash") {
			op.message = `m${op.id}`;
			body = JSON.stringify({ message: op.message });
		} else if (kind === "login") {
			body = JSON.stringify({ userId: client.user });
		}
		const headers: Record<string, string> = {};
		if (cookie !== null) headers.cookie = cookie;
		if (body !== null) headers["content-type"] = "application/json";
		ops.push(op);
		op.inv = clock();
		try {
			const res = await fetch(`${options.bases[op.process]}${path}`, { method, headers, body });
			const text = await res.text();
			op.comp = clock();
			op.status = res.status;
			try {
				op.body = JSON.parse(text);
			} catch {
				op.body = text;
			}
			op.set = res.headers.getSetCookie().map((line) => (/Max-Age=0(;|$)/i.test(line) ? null : (line.split(";")[0] as string)));
		} catch (e) {
			op.comp = clock();
			op.body = String(e);
		}
		if (role === "client") absorb(client, op);
		return op;
	}

	/** What the client learns from a completed response: the cookie jar, and whether it is still logged in. */
	function absorb(client: Client, op: Op): void {
		for (const c of op.set) {
			client.cookie = c;
			if (c !== null && client.belief !== null) client.held.push(c);
		}
		const body = typeof op.body === "object" && op.body !== null ? (op.body as Record<string, unknown>) : {};
		if (Array.isArray(body.cart)) client.cartSize = Math.max(client.cartSize, body.cart.length);
		const loggedOut = (op.kind === "read" && op.status === 200 && body.userId === null) || (op.kind === "promote" && op.status === 403) || ((op.kind === "revoke" || op.kind === "list") && op.status === 401);
		if (loggedOut && client.belief !== null && op.belief === client.belief) {
			client.belief = null;
			client.held = [];
		}
	}

	async function drain(client: Client): Promise<void> {
		while (client.inFlight.size > 0) await Promise.race(client.inFlight);
	}

	/** Per user, the revoke that holds the user's other devices off (revokeAlone). */
	const quiet = new Map<string, { owner: Client; done: Promise<void> }>();

	const clients: Client[] = [];
	for (let u = 0; u < options.users; u++) {
		for (let d = 0; d < options.devicesPerUser; d++) {
			clients.push({ index: clients.length, user: `user${u}`, cookie: null, belief: null, held: [], cartSize: 0, inFlight: new Set(), onWire: new Set() });
		}
	}

	async function logIn(client: Client): Promise<void> {
		await drain(client);
		// A fresh browser, so each logged-in session starts with an item of its own (its lineage mark).
		client.cookie = null;
		client.cartSize = 0;
		await send(client, "append");
		const login = await send(client, "login");
		if (login.status !== 200) return;
		client.belief = login.id;
		client.held = client.cookie === null ? [] : [client.cookie];
		await send(client, "read");
		replayRegenerated(client, login);
	}

	/** A login or promotion kills the cookie it was sent with (fixation): an attacker holding it tries it. */
	function replayRegenerated(client: Client, op: Op): void {
		if (op.status === 200 && op.sent !== null && op.set.some((c) => c !== null && c !== op.sent)) void send(client, "read", "replay", op.sent);
	}

	async function logOut(client: Client): Promise<void> {
		await drain(client);
		const before = await send(client, "read");
		if (client.belief === null || before.status !== 200) return;
		const sentWith = client.cookie;
		const logout = await send(client, "logout");
		const held = options.replayAfterLogout === "last" ? (sentWith === null ? [] : [sentWith]) : [...new Set(client.held)];
		client.belief = null;
		client.held = [];
		if (logout.status !== 200) return;
		// The attacker's turn: every cookie of that login, sent again at once.
		await Promise.all(held.map((c) => send(client, "read", "replay", c)));
	}

	async function revokeOthers(client: Client): Promise<void> {
		const others = clients.filter((c) => c.user === client.user && c !== client);
		let release = (): void => {};
		if (options.revokeAlone === true) {
			for (let q = quiet.get(client.user); q !== undefined; q = quiet.get(client.user)) await q.done;
			quiet.set(client.user, { owner: client, done: new Promise<void>((resolve) => (release = resolve)) });
			await Promise.all(others.map(async (c) => {
				while (c.onWire.size > 0) await Promise.race(c.onWire);
			}));
		}
		try {
			const revoke = await send(client, "revoke");
			if (revoke.status !== 200) return;
			// The attacker's turn: the devices' cookies, sent again at once.
			await Promise.all(others.filter((c) => c.cookie !== null).map((c) => send(c, "read", "replay", c.cookie)));
		} finally {
			quiet.delete(client.user);
			release();
		}
	}

	async function run(client: Client): Promise<void> {
		while (clock() < end) {
			if (client.belief === null) {
				await logIn(client);
				continue;
			}
			if (client.cartSize >= CART_LIMIT) {
				await logOut(client);
				continue;
			}
			const r = random();
			if (r < 0.01) await logOut(client);
			else if (r < 0.025) {
				await drain(client);
				const promote = await send(client, "promote");
				await send(client, "read");
				replayRegenerated(client, promote);
			} else if (r < 0.029) {
				if (options.revokeOwnQuiet === true) await drain(client);
				// In flight as a whole, so a one-tab client sends nothing while it waits for quiet.
				const p = revokeOthers(client);
				client.inFlight.add(p);
				void p.finally(() => client.inFlight.delete(p));
				if (options.revokeOwnQuiet === true) await p;
			}
			else if (r < 0.05) void send(client, "read", "forged", options.forge(client.cookie));
			else {
				const kind = pick<OpKind>(["append", "append", "read", "read", "read", "flash", "flash", "list"]);
				void send(client, kind);
			}
			// Keep at most `tabs` requests in flight; with one tab every request waits for the previous.
			while (client.inFlight.size >= options.tabs) await Promise.race(client.inFlight);
			if (options.tabs === 1) await drain(client);
		}
		await drain(client);
	}

	await Promise.all(clients.map(run));
	// Replays and forged requests are not tracked in flight; let the last ones finish.
	while (ops.some((op) => op.comp === 0)) await new Promise((r) => setTimeout(r, 10));
	return { ops, graceMs: options.graceMs, mode: options.mode ?? "store" };
}
