// Both modes over one store: store mode keeps sessions in it, sealed mode keeps its revocations there.
// The attack suites for issue 11 run each attack through both, on every engine of test/helpers/engines.ts.
import { createSessions, type Session, type Sessions } from "../../examples/demo/src/generated/session.ts";
import type { Duration } from "../../schema/duration.ts";
import type { SessionEvent } from "../../src/events.ts";
import type { Store } from "../../src/store.ts";
import { fakeClock, newKey, type CookieJar, type FakeClock } from "../helpers/harness.ts";

export type Mode = "store" | "sealed";
export const MODES: readonly Mode[] = ["store", "sealed"];

/** One server process: a manager of `mode` over `store`, its events, and the shared clock. */
export interface Process {
	sessions: Sessions;
	events: SessionEvent[];
	eventTypes(): string[];
}

export interface ProcessOptions {
	keys: string[];
	clock: FakeClock;
	rotation?: { every?: Duration; grace?: Duration };
	expiry?: { idle?: Duration; absolute?: Duration };
	now?: () => number;
	/** Default 3 s: the servers are shared with other runs, and a timeout here would read as an outage. */
	storeTimeout?: Duration;
}

/** A manager as one server process would build it. */
export function processOf(mode: Mode, store: Store, options: ProcessOptions): Process {
	const events: SessionEvent[] = [];
	const common = {
		keys: options.keys, now: options.now ?? options.clock.now, onEvent: (e: SessionEvent) => events.push(e), storeTimeout: options.storeTimeout ?? "3s",
		...(options.rotation === undefined ? {} : { rotation: options.rotation }),
		...(options.expiry === undefined ? {} : { expiry: options.expiry }),
	};
	const sessions = mode === "sealed" ? createSessions({ ...common, mode: "sealed", revocations: store }) : createSessions({ ...common, store });
	return { sessions, events, eventTypes: () => events.map((e) => e.type) };
}

/** Options with a fresh key and clock. */
export function freshOptions(extra: Partial<ProcessOptions> = {}): ProcessOptions {
	return { keys: [newKey()], clock: fakeClock(), ...extra };
}

/** One request of `jar`'s browser to process `p`: load, let `fn` act on the session, commit, keep the cookies it set. */
export async function visit(p: Process, jar: CookieJar, fn: (s: Session) => unknown = () => undefined): Promise<{ session: Session; setCookies: string[] }> {
	const session = await p.sessions.load(jar.request());
	await fn(session);
	const response = await p.sessions.commit(session, new Response("ok"));
	const setCookies = response.headers.getSetCookie();
	jar.apply(setCookies);
	return { session, setCookies };
}
