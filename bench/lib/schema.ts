// The benchmark's own session schema: the demo's fields plus an integer `counter`, which every
// contender (sess and its peers) reads, increments and writes back. Built the way generated code is
// (defineSession → lock → codec → a Session subclass with typed accessors), without running the generator.
// The table keeps the demo's shape ("sessions" with a promoted "user_id"), so the demo's SQLite migration creates it.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import { createCodec, createSessionManager, Session } from "sess";
import { defineSession } from "sess/schema";
import type { SealedManagerOptions, SessionCodec, SessionManager, SessionManagerOptions } from "sess";
import { emitSession } from "../../generator/emit-session.ts";
import { createLock, updateLock } from "../../generator/lock.ts";

export interface BenchData {
	userId?: string;
	role: "guest" | "user" | "admin";
	counter: number;
	cart: readonly number[];
	theme?: "light" | "dark";
}

export const model = defineSession({
	data: z.object({
		userId: z.string().min(1).max(64).optional().meta({ column: true, rotate: true }),
		role: z.enum(["guest", "user", "admin"]).default("guest").meta({ rotate: true }),
		counter: z.int().min(0).default(0),
		cart: z.array(z.int().min(0)).max(50).default([]),
		theme: z.enum(["light", "dark"]).optional(),
	}),
	sealed: true,
});

export const lock = updateLock(model, createLock());

/**
 * The codec `sess generate` would emit for this schema (emitted into node_modules/.cache and imported),
 * or with SESS_BENCH_CODEC=interpreted the interpreted one (createCodec over the model): the same bytes,
 * so the two give before/after rows in the same harness.
 */
async function benchCodec(): Promise<SessionCodec<BenchData, Record<never, never>>> {
	if (process.env.SESS_BENCH_CODEC === "interpreted") return createCodec<BenchData, Record<never, never>>(model, lock);
	const dir = join(import.meta.dir, "..", "..", "node_modules", ".cache", "sess-bench");
	mkdirSync(dir, { recursive: true });
	const file = join(dir, `session-${process.pid}.ts`);
	writeFileSync(file, emitSession({ model, lock, header: "// bench\n", runtimeImport: "sess" }));
	try {
		return ((await import(file)) as { codec: SessionCodec<BenchData, Record<never, never>> }).codec;
	} finally {
		rmSync(file, { force: true });
	}
}

export const codec: SessionCodec<BenchData, Record<never, never>> = await benchCodec();

/** What a typed generated class looks like for this schema (only the accessors the benchmark uses). */
export class BenchSession extends Session<BenchData> {
	get userId(): BenchData["userId"] {
		return this.read("userId");
	}
	set userId(value: BenchData["userId"]) {
		this.write("userId", value);
	}
	get role(): BenchData["role"] {
		return this.read("role");
	}
	set role(value: BenchData["role"]) {
		this.write("role", value);
	}
	get counter(): number {
		return this.read("counter");
	}
	set counter(value: number) {
		this.write("counter", value);
	}
	get cart(): BenchData["cart"] {
		return this.read("cart");
	}
	set cart(value: BenchData["cart"]) {
		this.write("cart", value);
	}
	get theme(): BenchData["theme"] {
		return this.read("theme");
	}
	set theme(value: BenchData["theme"]) {
		this.write("theme", value);
	}
}

export type BenchSessions = SessionManager<BenchData, BenchSession, "userId">;

export function createBenchSessions(options: SessionManagerOptions | SealedManagerOptions): BenchSessions {
	return createSessionManager<BenchData, Record<never, never>, BenchSession, "userId">({ model, codec, Session: BenchSession }, options);
}

/** The same logged-in session every contender starts from (the counter starts at 0). */
export const SAMPLE: Omit<BenchData, "counter"> & { counter: number } = {
	userId: "user-12345",
	role: "user",
	counter: 0,
	cart: [3, 14, 15, 92, 65],
	theme: "dark",
};

/** Two unrelated cookies every request also carries, as browsers send them. */
export const FOREIGN_COOKIES = "theme=dark; _ga=GA1.2.1234567890.1700000000";

/** The demo's migrations: the bench schema's table has the same shape. */
export const MIGRATIONS = join(import.meta.dir, "..", "..", "examples", "demo", "migrations");

/** A fresh random 32-byte key, base64url (what `sess keygen` prints). */
export function newKey(): string {
	return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/** `name=value` of a Set-Cookie header. */
export function cookiePair(setCookie: string): string {
	const semi = setCookie.indexOf(";");
	return semi < 0 ? setCookie : setCookie.slice(0, semi);
}

/** The Set-Cookie values a browser keeps: for each cookie name, the last one set. */
export function lastPerName(setCookies: readonly string[]): string[] {
	const byName = new Map<string, string>();
	for (const s of setCookies) byName.set(s.slice(0, s.indexOf("=")), s);
	return [...byName.values()];
}
