import type { RedisClient } from "bun";

/**
 * The Lua side of the Redis store. Bun's client has no MULTI helper and pipelines other callers'
 * commands in between ours, so every write that touches more than one key runs as one script,
 * which Redis executes atomically. A row travels as id, v, s, d, c, r, l, i, a, k, n, index key × n
 * (see `rowArgs` in redis.ts).
 *
 * Key layout under the prefix:
 *   s:<id>                 hash: v version, s successor ("" = none), d base64 data, c r l i a times, k columns JSON,
 *                          x the index keys the row is in, as "<bytes>:<key>" pairs; TTL at its deadline
 *   i:<column>:<t>:<value> set of live ids holding that value (t = s, n or b); TTL ≥ its longest-lived member
 *   a:<id>                 set of alias ids whose successor is <id>; TTL ≥ its longest-lived member
 *   d                      sorted set id → deadline, for prune() with a caller's clock; TTL ≥ its last deadline
 *
 * The code runs as a Redis 7 function library, loaded once per server: helpers are defined at load,
 * not on every call as a prelude to each EVAL script is (2–3 µs of server CPU per call), and FCALL
 * itself cost ~1 µs less than EVALSHA of the same body on Redis 7.0. Where functions are missing or
 * refused (Redis 6, ACLs, proxies), each script runs through EVALSHA carrying only the helpers it
 * calls; the hot ones (write, slide, touch) call none.
 */

/** Lua helpers in definition order, each with the helpers it calls (which come before it). */
const HELPERS = {
	nearer: {
		uses: [],
		code: `
-- The nearer of two deadlines as an integer string, as PEXPIREAT wants it.
local function nearer(idle, absolute)
	return string.format("%d", math.ceil(math.min(tonumber(idle), tonumber(absolute))))
end`,
	},
	extend: {
		uses: [],
		code: `
-- Keeps a shared key alive at least until 'at', given what adding the member to it returned: only an add
-- may have created the key, without a TTL (-1), which GT would leave alone; otherwise GT is one call.
local function extend(key, at, added)
	if added == 0 then
		redis.call("PEXPIREAT", key, at, "GT")
	elseif redis.call("PEXPIRETIME", key) < tonumber(at) then
		redis.call("PEXPIREAT", key, at)
	end
end`,
	},
	indexKeys: {
		uses: [],
		code: `
-- Parses a row's x field of "<bytes>:<key>" pairs, so any byte may appear in a column value.
local function indexKeys(x)
	local out = {}
	if not x then return out end
	local pos = 1
	while pos <= #x do
		local colon = string.find(x, ":", pos, true)
		local n = tonumber(string.sub(x, pos, colon - 1))
		out[#out + 1] = string.sub(x, colon + 1, colon + n)
		pos = colon + n + 1
	end
	return out
end`,
	},
	file: {
		uses: ["extend"],
		code: `
-- Files a row that now exists under its indexes, its successor's alias set and the deadline set;
-- false when a deadline already past made PEXPIREAT delete it, leaving no member pointing at it.
local function file(P, id, key, succ, keys, deadline)
	if redis.call("EXISTS", key) == 0 then
		redis.call("ZREM", P .. "d", id)
		return false
	end
	if succ == "" then
		for _, ik in ipairs(keys) do extend(ik, deadline, redis.call("SADD", ik, id)) end
	else
		local set = P .. "a:" .. succ
		extend(set, deadline, redis.call("SADD", set, id))
	end
	extend(P .. "d", deadline, redis.call("ZADD", P .. "d", deadline, id))
	return true
end`,
	},
	put: {
		uses: ["nearer", "file"],
		code: `
-- Writes the row found in A at 'pos' over every field of its key; returns its index keys and whether it lives.
local FIELDS = { "v", "s", "d", "c", "r", "l", "i", "a", "k" }
local function put(P, A, pos)
	local id = A[pos]
	local key = P .. "s:" .. id
	local fields = {}
	for j, f in ipairs(FIELDS) do
		fields[#fields + 1] = f
		fields[#fields + 1] = A[pos + j]
	end
	local n = tonumber(A[pos + 10])
	local keys, x = {}, {}
	for j = 1, n do
		keys[j] = A[pos + 10 + j]
		x[j] = #keys[j] .. ":" .. keys[j]
	end
	fields[#fields + 1] = "x"
	fields[#fields + 1] = table.concat(x)
	redis.call("HSET", key, unpack(fields))
	local deadline = nearer(A[pos + 7], A[pos + 8])
	redis.call("PEXPIREAT", key, deadline)
	return keys, file(P, id, key, A[pos + 2], keys, deadline)
end`,
	},
	unlink: {
		uses: ["indexKeys"],
		code: `
-- Deletes one row and its members in indexes, alias set and deadline set; 1 if the row existed.
local function unlink(P, id)
	local key = P .. "s:" .. id
	local cur = redis.call("HMGET", key, "s", "x")
	redis.call("ZREM", P .. "d", id)
	if not cur[1] then return 0 end
	for _, ik in ipairs(indexKeys(cur[2])) do redis.call("SREM", ik, id) end
	if cur[1] ~= "" then redis.call("SREM", P .. "a:" .. cur[1], id) end
	redis.call("DEL", key)
	return 1
end`,
	},
	destroy: {
		uses: ["unlink"],
		code: `
-- Deletes a row and every alias pointing at it.
local function destroy(P, id)
	local set = P .. "a:" .. id
	for _, alias in ipairs(redis.call("SMEMBERS", set)) do unlink(P, alias) end
	redis.call("DEL", set)
	return unlink(P, id)
end`,
	},
	trim: {
		uses: [],
		code: `
-- Drops a bounded number of deadline entries Redis already expired, so the set stays small without prune().
local function trim(P)
	local t = redis.call("TIME")
	local now = string.format("%d", tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
	local stale = redis.call("ZRANGEBYSCORE", P .. "d", "-inf", "(" .. now, "LIMIT", 0, 64)
	if #stale > 0 then redis.call("ZREM", P .. "d", unpack(stale)) end
end`,
	},
} as const satisfies Record<string, { uses: readonly string[]; code: string }>;

type Helper = keyof typeof HELPERS;

/**
 * Moves the idle deadline of the live row KEYS[1] (hash fields already written; `cur` holds its a and x
 * as read before): its TTL, its deadline entry in KEYS[2], and the TTLs of the shared keys it is filed
 * under, as `extend` does. Inlined into slide and touch rather than calling helpers, so those scripts
 * define no function per call. The adds re-file a member a set lost (an evicted index, say).
 */
const SLIDE_TAIL = `
local deadline = string.format("%d", math.ceil(math.min(tonumber(idle), tonumber(cur[ABS]))))
redis.call("PEXPIREAT", KEYS[1], deadline)
local live = redis.call("EXISTS", KEYS[1]) == 1
if live then
	if redis.call("ZADD", KEYS[2], deadline, id) == 0 then
		redis.call("PEXPIREAT", KEYS[2], deadline, "GT")
	elseif redis.call("PEXPIRETIME", KEYS[2]) < tonumber(deadline) then
		redis.call("PEXPIREAT", KEYS[2], deadline)
	end
else
	-- A deadline already past made PEXPIREAT delete the row: leave no member pointing at it.
	redis.call("ZREM", KEYS[2], id)
end
local x, pos = cur[ABS + 1] or "", 1
while pos <= #x do
	local colon = string.find(x, ":", pos, true)
	local n = tonumber(string.sub(x, pos, colon - 1))
	local ik = string.sub(x, colon + 1, colon + n)
	if not live then
		redis.call("SREM", ik, id)
	elseif redis.call("SADD", ik, id) == 0 then
		redis.call("PEXPIREAT", ik, deadline, "GT")
	elseif redis.call("PEXPIRETIME", ik) < tonumber(deadline) then
		redis.call("PEXPIREAT", ik, deadline)
	end
	pos = colon + n + 1
end
return 1`;

interface Body {
	uses: readonly Helper[];
	/** Allowed over maxmemory: it only deletes, which frees memory. */
	deletesOnly?: boolean;
	lua: string;
}

/** The name of one of the store's scripts. */
export type ScriptName = "create" | "update" | "write" | "slide" | "touch" | "rotate" | "destroy" | "list" | "revoke" | "prune";

/** Lua bodies by name, over KEYS and ARGV as EVAL and FCALL both pass them. */
const BODIES: Record<ScriptName, Body> = {
	/** KEYS: row. ARGV: prefix, row. 0 when the id is taken. */
	create: {
		uses: ["trim", "put"],
		lua: `
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
trim(ARGV[1])
put(ARGV[1], ARGV, 2)
return 1`,
	},
	/**
	 * KEYS: row. ARGV: prefix, expected version, row. Compare-and-set on live rows only, writing every
	 * field: for a change of promoted columns, which moves the row between index sets.
	 */
	update: {
		uses: ["indexKeys", "put"],
		lua: `
local cur = redis.call("HMGET", KEYS[1], "v", "s", "x")
if cur[1] ~= ARGV[2] or cur[2] ~= "" then return 0 end
local id = ARGV[3]
-- Written before the old index members go, so a refused write (OOM) leaves the row filed as it was.
local keys, live = put(ARGV[1], ARGV, 3)
local kept = {}
if live then for _, ik in ipairs(keys) do kept[ik] = true end end
for _, ik in ipairs(indexKeys(cur[3])) do
	if not kept[ik] then redis.call("SREM", ik, id) end
end
return 1`,
	},
	/**
	 * KEYS: row. ARGV: expected version, version, data. The common update: promoted columns and the
	 * idle deadline unchanged, so indexes, deadline entry and TTL all stay as they are.
	 */
	write: {
		uses: [],
		lua: `
local cur = redis.call("HMGET", KEYS[1], "v", "s")
if cur[1] ~= ARGV[1] or cur[2] ~= "" then return 0 end
redis.call("HSET", KEYS[1], "v", ARGV[2], "d", ARGV[3])
return 1`,
	},
	/** KEYS: row, deadline set. ARGV: expected version, version, data, lastSeenAt, idleExpiresAt, id. `write` that also slides the idle deadline. */
	slide: {
		uses: [],
		lua: `
local cur = redis.call("HMGET", KEYS[1], "v", "s", "a", "x")
if cur[1] ~= ARGV[1] or cur[2] ~= "" then return 0 end
local id, idle = ARGV[6], ARGV[5]
redis.call("HSET", KEYS[1], "v", ARGV[2], "d", ARGV[3], "l", ARGV[4], "i", idle)
${SLIDE_TAIL.replaceAll("ABS", "3")}`,
	},
	/** KEYS: row, deadline set. ARGV: id, lastSeenAt, idleExpiresAt. Live rows only; the version stays. */
	touch: {
		uses: [],
		lua: `
local cur = redis.call("HMGET", KEYS[1], "s", "a", "x")
if cur[1] ~= "" then return 0 end
local id, idle = ARGV[1], ARGV[3]
redis.call("HSET", KEYS[1], "l", ARGV[2], "i", idle)
${SLIDE_TAIL.replaceAll("ABS", "2")}`,
	},
	/** KEYS: row. ARGV: prefix, id, expected version, graceUntil ("" = none), next row. */
	rotate: {
		uses: ["nearer", "indexKeys", "file", "put", "destroy", "trim"],
		lua: `
local P, id = ARGV[1], ARGV[2]
local cur = redis.call("HMGET", KEYS[1], "v", "s", "a", "x")
if cur[1] ~= ARGV[3] or cur[2] ~= "" then return 0 end
if redis.call("EXISTS", P .. "s:" .. ARGV[5]) == 1 then return redis.error_reply("session id collision") end
trim(P)
if ARGV[4] == "" then
	destroy(P, id)
else
	for _, ik in ipairs(indexKeys(cur[4])) do redis.call("SREM", ik, id) end
	local deadline = nearer(ARGV[4], cur[3])
	redis.call("HSET", KEYS[1], "s", ARGV[5], "d", "", "i", ARGV[4], "x", "")
	redis.call("PEXPIREAT", KEYS[1], deadline)
	file(P, id, KEYS[1], ARGV[5], {}, deadline)
end
put(P, ARGV, 5)
return 1`,
	},
	/** KEYS: row. ARGV: prefix, id. */
	destroy: {
		uses: ["destroy"],
		deletesOnly: true,
		lua: `
return destroy(ARGV[1], ARGV[2])`,
	},
	/** KEYS: index. ARGV: prefix. Live rows as arrays of id and FIELDS; members whose row is gone are dropped. */
	list: {
		uses: [],
		deletesOnly: true,
		lua: `
local out = {}
for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
	local row = redis.call("HMGET", ARGV[1] .. "s:" .. id, "v", "s", "d", "c", "r", "l", "i", "a", "k")
	if row[2] == "" then
		table.insert(row, 1, id)
		out[#out + 1] = row
	else
		redis.call("SREM", KEYS[1], id)
	end
end
return out`,
	},
	/** KEYS: index. ARGV: prefix, except id ("" = none). Counts sessions, not their aliases. */
	revoke: {
		uses: ["destroy"],
		deletesOnly: true,
		lua: `
local n = 0
for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
	local succ = redis.call("HGET", ARGV[1] .. "s:" .. id, "s")
	if succ ~= "" then
		redis.call("SREM", KEYS[1], id)
	elseif id ~= ARGV[2] then
		destroy(ARGV[1], id)
		n = n + 1
	end
end
return n`,
	},
	/** KEYS: deadline set. ARGV: prefix, now, batch size. Returns { rows deleted, entries seen }. */
	prune: {
		uses: ["unlink"],
		deletesOnly: true,
		lua: `
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[2], "LIMIT", 0, ARGV[3])
local n = 0
for _, id in ipairs(ids) do n = n + unlink(ARGV[1], id) end
return { n, #ids }`,
	},
};

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
			const flags = body.deletesOnly === true ? `, flags = { "allow-oom" }` : "";
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

const backends = new WeakMap<RedisClient, Backend>();

/** Runs a script as a function of the library, loading it when missing, or else through EVALSHA. */
export async function runScript(client: RedisClient, name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
	let backend = backends.get(client);
	if (backend === undefined) backends.set(client, (backend = { functions: true, loading: null }));
	if (backend.functions) {
		const command = [LIBRARY.functions[name], String(keys.length), ...keys, ...args];
		try {
			return await client.send("FCALL", command);
		} catch (error) {
			// Both errors come before the function runs, so calling it again, or the script, applies nothing twice.
			if (refusesFunctions(error)) backend.functions = false;
			else if (!isMessage(error, /^ERR Function not found/)) throw error;
			else if (await load(client, backend)) {
				try {
					return await client.send("FCALL", command);
				} catch (again) {
					// Loaded, yet not found: a proxy spreading commands over servers, say.
					if (!isMessage(again, /^ERR Function not found/)) throw again;
					backend.functions = false;
				}
			}
		}
	}
	return runEval(client, SCRIPTS[name], keys, args);
}

/** Loads the library once for concurrent callers; false (and scripts from then on) where the server refuses it. */
function load(client: RedisClient, backend: Backend): Promise<boolean> {
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
async function runEval(client: RedisClient, script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
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
	return isMessage(error, /^ERR unknown command [`']fcall[`']/i) || isMessage(error, /^NOPERM\b.*[`']fcall[`']/i);
}

function isMessage(error: unknown, pattern: RegExp): boolean {
	return error instanceof Error && pattern.test(error.message);
}

/** An error reply from the server, as opposed to a failure to reach it. */
function isServerError(error: unknown): boolean {
	return error instanceof Error && (error as Error & { code?: unknown }).code === "ERR_REDIS_SERVER_ERROR";
}
