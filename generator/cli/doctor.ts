import { auditSession } from "../doctor.ts";
import { loadConfig, loadModel, out, paint, str, type Flags } from "./io.ts";

/** `sess doctor`: prints each finding; exits 1 when any is an error. */
export async function runDoctor(flags: Flags): Promise<void> {
	const { root, config } = await loadConfig(flags);
	const model = await loadModel(root, config);
	const findings = auditSession(model, str(flags, "keys") ?? process.env.SESS_KEYS, { SESS_INSECURE: process.env.SESS_INSECURE, NODE_ENV: process.env.NODE_ENV });
	const mark = { ok: paint("ok   ", "green"), warn: paint("warn ", "yellow"), error: paint("error", "red") };
	for (const f of findings) out(`${mark[f.level]} ${f.topic.padEnd(10)} ${f.message}`);
	const errors = findings.filter((f) => f.level === "error").length;
	const warnings = findings.filter((f) => f.level === "warn").length;
	out(`sess doctor: ${errors} error(s), ${warnings} warning(s).`);
	if (errors > 0) process.exitCode = 1;
}
