// One process of the cross-process limit race: waits for the common start, logs one user in N times, prints the outcomes as JSON.
import { limitedSessions, loginMany, openTarget, type StoreTarget } from "./limit-logins.ts";

const job = JSON.parse(process.argv[2] as string) as { target: StoreTarget; key: string; user: string; count: number; max: number; policy: "evict" | "refuse"; startAt: number };
const { store, close } = await openTarget(job.target);
try {
	const sessions = limitedSessions(store, job.key, job.max, job.policy);
	// Both processes start together so that their logins interleave; correctness never depends on it.
	await Bun.sleep(Math.max(0, job.startAt - Date.now()));
	process.stdout.write(JSON.stringify(await loginMany(sessions, job.user, job.count)));
} finally {
	await close();
}
