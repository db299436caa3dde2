// Loads and runs the Redis store's scripts (the Lua is in redis-lua.ts): as a function library called
// with FCALL, falling back to EVALSHA where functions are missing or refused.
import { BODIES, HELPERS, ROW_FIELDS, type Helper, type ScriptName } from "./redis-lua.ts";

export type { ScriptName };

/**
 * What the scripts need of a connection: our RedisConnection, the cluster router, or a Bun.RedisClient
 * (through a SendBatch). `recover` is `.catch(recover)`, which the first two apply without a promise of their own.
 */
export interface ScriptClient {
	send(command: string, args: string[], recover?: (error: unknown) => unknown): Promise<unknown>;
}

const sha1 = (text: string): string => new Bun.CryptoHasher("sha1").update(text).digest("hex");

/** The helpers a body needs, with the ones they call, in definition order. */
function helpersOf(uses: readonly Helper[]): string {
	const needed = new Set<Helper>();
	const add = (h: Helper): void => {
		if (needed.has(h)) return;
		needed.add(h);
		for (const dep of HELPERS[h].uses) add(dep);
	};
	for (const h of uses) add(h);
	return (Object.keys(HELPERS) as Helper[]).filter((h) => needed.has(h)).map((h) => HELPERS[h].code).join("\n");
}

/** A script's source and the SHA-1 EVALSHA names it by. */
interface Script {
	source: string;
	sha: string;
}

const SCRIPTS = Object.fromEntries(
	Object.entries(BODIES).map(([name, body]) => {
		const source = `${helpersOf(body.uses)}\n${body.lua}`;
		return [name, { source, sha: sha1(source) }];
	}),
) as Record<ScriptName, Script>;

/**
 * The library, named by a hash of its code: a server holds each version once, versions deployed side
 * by side never replace each other's functions, and a name always means the same code. Libraries of
 * past versions stay until deleted; FUNCTION DELETE is safe at any time, as a process still on that
 * version loads its library again.
 */
const LIBRARY = (() => {
	const template = [
		"#!lua name=$LIB",
		helpersOf(Object.keys(HELPERS) as Helper[]),
		...Object.entries(BODIES).map(([name, body]) => {
			const flags = body.deletesOnly === true ? `, flags = { "allow-oom" }` : body.readOnly === true ? `, flags = { "no-writes" }` : "";
			return `redis.register_function{ function_name = "$LIB_${name}", callback = function(KEYS, ARGV)\n${body.lua}\nend${flags} }`;
		}),
	].join("\n");
	const name = `sess_${sha1(template).slice(0, 16)}`;
	return { name, source: template.replaceAll("$LIB", name), functions: Object.fromEntries(Object.keys(BODIES).map((n) => [n, `${name}_${n}`])) as Record<ScriptName, string> };
})();

/** The library's name on the server. */
export const LIBRARY_NAME = LIBRARY.name;

/** How one client's server runs the scripts: functions until it shows it cannot. */
interface Backend {
	functions: boolean;
	/** A FUNCTION LOAD in flight, shared by the calls that found the library missing; true once loaded. */
	loading: Promise<boolean> | null;
}

const backends = new WeakMap<ScriptClient, Backend>();

/**
 * Runs a script as a function of the library (FCALL_RO for a read-only one), loading the library when
 * missing, or else through EVALSHA. Not an async function: the common call adds one reaction to the
 * client's promise, for the errors, and no promise of its own.
 */
export function runScript(client: ScriptClient, name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
	let backend = backends.get(client);
	if (backend === undefined) backends.set(client, (backend = { functions: true, loading: null }));
	if (!backend.functions) return fallback(client, name, keys, args);
	const verb = BODIES[name].readOnly === true ? "FCALL_RO" : "FCALL";
	// Pushed rather than spread: two spreads per call cost more than the function's name and counts.
	const command: string[] = [LIBRARY.functions[name], String(keys.length)];
	for (let i = 0; i < keys.length; i++) command.push(keys[i] as string);
	for (let i = 0; i < args.length; i++) command.push(args[i] as string);
	const b = backend;
	return client.send(verb, command, (error: unknown) => recover(client, b, error, verb, command, name, keys, args));
}

/** After a function call failed before running: loads the library and calls again, or falls back to scripts. */
async function recover(client: ScriptClient, backend: Backend, error: unknown, verb: string, command: string[], name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
	// Both errors come before the function runs, so calling it again, or the script, applies nothing twice.
	if (refusesFunctions(error)) backend.functions = false;
	else if (!isMessage(error, /^ERR Function not found/)) throw error;
	else if (await load(client, backend)) {
		try {
			return await client.send(verb, command);
		} catch (again) {
			// Loaded, yet not found: a proxy spreading commands over servers, say.
			if (!isMessage(again, /^ERR Function not found/)) throw again;
			backend.functions = false;
		}
	}
	return fallback(client, name, keys, args);
}

/**
 * Without functions: the script through EVALSHA, except the row read, which needs no script there: a plain
 * HMGET, joined as the function joins it, which costs Redis less and which the cluster router may resend.
 */
function fallback(client: ScriptClient, name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
	if (name === "load") return client.send("HMGET", [keys[0] as string, ...ROW_FIELDS]).then(joinRow);
	return runEval(client, SCRIPTS[name], keys, args);
}

/** HMGET's answer for a row as the load function gives it: nil for no row, else the fields joined by newlines. */
function joinRow(values: unknown): string | null {
	const row = values as (string | null)[];
	return row[0] === null || row[0] === undefined ? null : row.map((v) => v ?? "").join("\n");
}

/** Loads the library once for concurrent callers; false (and scripts from then on) where the server refuses it. */
function load(client: ScriptClient, backend: Backend): Promise<boolean> {
	backend.loading ??= client.send("FUNCTION", ["LOAD", "REPLACE", LIBRARY.source]).then(
		() => {
			backend.loading = null;
			return true;
		},
		(error: unknown) => {
			backend.loading = null;
			// A lost connection or a busy server says nothing about functions: the next call tries again.
			if (isServerError(error) && !isMessage(error, /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|OOM|READONLY)\b/)) backend.functions = false;
			return false;
		},
	);
	return backend.loading;
}

/** Runs a script by SHA-1, sending its source instead when the server answers NOSCRIPT. */
async function runEval(client: ScriptClient, script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
	try {
		return await client.send("EVALSHA", [script.sha, String(keys.length), ...keys, ...args]);
	} catch (error) {
		// First use, SCRIPT FLUSH, restart or failover. Nothing ran on NOSCRIPT, so no write applies twice;
		// EVAL caches the script for the next EVALSHA.
		if (!isMessage(error, /^NOSCRIPT/)) throw error;
		return await client.send("EVAL", [script.source, String(keys.length), ...keys, ...args]);
	}
}

/** Redis before 7, a renamed or disabled FCALL, or an ACL without it. */
function refusesFunctions(error: unknown): boolean {
	return isMessage(error, /^ERR unknown command [`']fcall(_ro)?[`']/i) || isMessage(error, /^NOPERM\b.*[`']fcall(_ro)?[`']/i);
}

function isMessage(error: unknown, pattern: RegExp): boolean {
	return error instanceof Error && pattern.test(error.message);
}

/** An error reply from the server, as opposed to a failure to reach it. */
function isServerError(error: unknown): boolean {
	return error instanceof Error && (error as Error & { code?: unknown }).code === "ERR_REDIS_SERVER_ERROR";
}
