// Node module hooks that record every module loaded (to the file in SESS_COUNT_FILE): a module count
// for bench/startup, taken in its own run so the hooks do not slow the timed ones.
import { appendFileSync } from "node:fs";

export async function load(url, context, next) {
	appendFileSync(process.env.SESS_COUNT_FILE, `${url}\n`);
	return next(url, context);
}
