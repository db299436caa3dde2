import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as z from "zod";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { auditSession, type Finding } from "../../generator/doctor.ts";
import { defineSession } from "../../schema/define.ts";

const root = join(import.meta.dir, "..", "..");
const key = (): string => encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
const base = z.object({ userId: z.string().max(64).optional().meta({ column: true, rotate: true }) });

function levels(findings: Finding[], topic: Finding["topic"]): string[] {
	return findings.filter((f) => f.topic === topic).map((f) => f.level);
}

describe("auditSession()", () => {
	test("the defaults with a strong key pass with no warning", () => {
		const findings = auditSession(defineSession({ data: base }), key());
		expect(findings.filter((f) => f.level !== "ok")).toEqual([]);
	});

	test("a placeholder key is an error that says how to make one", () => {
		const findings = auditSession(defineSession({ data: base }), "your-very-secure-secret-key");
		const keys = findings.find((f) => f.topic === "keys");
		expect(keys?.level).toBe("error");
		expect(keys?.message).toContain("sess keygen");
	});

	test("timeouts beyond NIST AAL2 are errors; beyond OWASP's band, warnings", () => {
		expect(levels(auditSession(defineSession({ data: base, expiry: { idle: "2h", absolute: "48h" } }), key()), "expiry")).toEqual(["error", "error"]);
		expect(levels(auditSession(defineSession({ data: base, expiry: { idle: "45m", absolute: "16h" } }), key()), "expiry")).toEqual(["warn", "warn"]);
		expect(levels(auditSession(defineSession({ data: base, expiry: { idle: "1m", absolute: "8h" } }), key()), "expiry")).toEqual(["warn", "ok"]);
	});

	test("an anonymous idle is reported beside the idle", () => {
		const findings = auditSession(defineSession({ data: base, expiry: { idle: "30m", anonymousIdle: "5m" } }), key()).filter((f) => f.topic === "expiry");
		expect(findings.map((f) => f.message)).toContain("anonymous idle timeout 5m (sessions nobody is signed in to).");
	});

	test("an insecure cookie is an error; slow rotation and long grace are warnings", () => {
		const model = defineSession({ data: base, cookie: { insecure: true }, rotation: { every: "1h", grace: "5m" } });
		const findings = auditSession(model, key());
		expect(levels(findings, "cookie")).toEqual(["error"]);
		expect(levels(findings, "rotation")).toEqual(["warn", "warn"]);
	});

	test("no promoted or rotate field is a warning naming what it costs", () => {
		const findings = auditSession(defineSession({ data: z.object({ theme: z.string().max(5).optional() }) }), key());
		const messages = findings.filter((f) => f.topic === "revocation").map((f) => f.message);
		expect(messages.some((m) => m.includes("log them out everywhere"))).toBe(true);
		expect(messages.some((m) => m.includes("fixation"))).toBe(true);
	});
});

describe("sess doctor / sess init (CLI)", () => {
	async function sess(args: string[], cwd = root, env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
		const proc = Bun.spawn([process.execPath, join(root, "generator", "cli.ts"), ...args], { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
		const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
		return { code, stdout };
	}

	test("doctor exits 1 on a weak key and 0 on a good one, without colour off a terminal", async () => {
		const bad = await sess(["doctor", "--config", "examples/demo/sess.config.ts"], root, { SESS_KEYS: "changeme" });
		expect(bad.code).toBe(1);
		expect(bad.stdout).toContain("error keys");
		expect(bad.stdout).not.toContain("\u001b[");
		const good = await sess(["doctor", "--config", "examples/demo/sess.config.ts", "--keys", key()]);
		expect(good.code).toBe(0);
		expect(good.stdout).toContain("0 error(s), 0 warning(s)");
	});

	test("init writes a schema that generates, a config, and the .gitignore line; it keeps existing files", async () => {
		const dir = join(root, ".tmp", `init-${process.pid}`);
		await Bun.write(join(dir, ".gitignore"), "node_modules\n");
		const first = await sess(["init"], dir);
		expect(first.code).toBe(0);
		expect(await Bun.file(join(dir, ".gitignore")).text()).toBe("node_modules\n# sess: development signing key, never commit\n.sess-dev-key\n");
		const again = await sess(["init"], dir);
		expect(again.stdout).toContain("kept  schema/session.ts");
		expect(await Bun.file(join(dir, ".gitignore")).text()).toBe("node_modules\n# sess: development signing key, never commit\n.sess-dev-key\n");
		const generated = await sess(["generate"], dir);
		expect(generated.code).toBe(0);
		expect(await Bun.file(join(dir, "src", "generated", "session.ts")).text()).toContain("export class Session extends BaseSession");
		await Bun.$`rm -rf ${dir}`.quiet();
	});
});
