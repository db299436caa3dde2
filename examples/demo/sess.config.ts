import type { SessConfig } from "sess";

export default {
	schema: "schema/session.ts",
	out: "src/generated",
	dialects: ["sqlite", "postgres", "mysql"],
	migrations: "migrations",
	lock: "sess.lock.json",
} satisfies SessConfig;
