import type { RedisClient } from "bun";

/**
 * The Lua side of the Redis store. Bun's client has no MULTI helper and pipelines other callers'
 * commands in between ours, so every write that touches more than one key runs as one script,
 * which Redis executes atomically. ARGV[1] is always the key prefix; a row travels as
 * id, v, s, d, c, r, l, i, a, k, n, index key × n (see `rowArgs` in redis.ts).
 *
 * Key layout under the prefix:
 *   s:<id>                 hash: v version, s successor ("" = none), d base64 data, c r l i a times, k columns JSON,
 *                          x the index keys the row is in, as "<bytes>:<key>" pairs; TTL at its deadline
 *   i:<column>:<t>:<value> set of live ids holding that value (t = s, n or b); TTL ≥ its longest-lived member
 *   a:<id>                 set of alias ids whose successor is <id>; TTL ≥ its longest-lived member
 *   d                      sorted set id → deadline, for prune() with a caller's clock; TTL ≥ its last deadline
 */
const PRELUDE = `
local P = ARGV[1]
local DEADLINES = P .. "d"
local FIELDS = { "v", "s", "d", "c", "r", "l", "i", "a", "k" }
local function rowKey(id) return P .. "s:" .. id end
local function aliasKey(id) return P .. "a:" .. id end

-- The nearer of two deadlines as an integer string, as PEXPIREAT wants it.
local function nearer(idle, absolute)
	return string.format("%d", math.ceil(math.min(tonumber(idle), tonumber(absolute))))
end

-- Keeps a shared key alive at least until 'at' (-1, no TTL yet, means it was just created).
local function extend(key, at)
	if redis.call("PEXPIRETIME", key) < tonumber(at) then redis.call("PEXPIREAT", key, at) end
end

-- Parses the "<bytes>:<key>" pairs, so any byte may appear in a column value.
local function indexKeysOf(key)
	local x = redis.call("HGET", key, "x")
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
end

-- Files a row that now exists under its indexes, its successor's alias set and the deadline set.
local function file(id, key, succ, keys, deadline)
	if redis.call("EXISTS", key) == 0 then
		-- A deadline already past made PEXPIREAT delete the row: leave no member pointing at it.
		redis.call("ZREM", DEADLINES, id)
		return
	end
	if succ == "" then
		for _, ik in ipairs(keys) do
			redis.call("SADD", ik, id)
			extend(ik, deadline)
		end
	else
		redis.call("SADD", aliasKey(succ), id)
		extend(aliasKey(succ), deadline)
	end
	redis.call("ZADD", DEADLINES, deadline, id)
	extend(DEADLINES, deadline)
end

-- Writes the row found in ARGV at 'pos' (its key must be free).
local function put(pos)
	local id = ARGV[pos]
	local key = rowKey(id)
	local fields = {}
	for j, f in ipairs(FIELDS) do
		fields[#fields + 1] = f
		fields[#fields + 1] = ARGV[pos + j]
	end
	local n = tonumber(ARGV[pos + 10])
	local keys, x = {}, {}
	for j = 1, n do
		keys[j] = ARGV[pos + 10 + j]
		x[j] = #keys[j] .. ":" .. keys[j]
	end
	fields[#fields + 1] = "x"
	fields[#fields + 1] = table.concat(x)
	redis.call("HSET", key, unpack(fields))
	local deadline = nearer(ARGV[pos + 7], ARGV[pos + 8])
	redis.call("PEXPIREAT", key, deadline)
	file(id, key, ARGV[pos + 2], keys, deadline)
end

-- Deletes one row and its members in indexes, alias set and deadline set; 1 if the row existed.
local function unlink(id)
	local key = rowKey(id)
	local succ = redis.call("HGET", key, "s")
	redis.call("ZREM", DEADLINES, id)
	if not succ then return 0 end
	for _, ik in ipairs(indexKeysOf(key)) do redis.call("SREM", ik, id) end
	if succ ~= "" then redis.call("SREM", aliasKey(succ), id) end
	redis.call("DEL", key)
	return 1
end

-- Deletes a row and every alias pointing at it.
local function destroy(id)
	local set = aliasKey(id)
	for _, alias in ipairs(redis.call("SMEMBERS", set)) do unlink(alias) end
	redis.call("DEL", set)
	return unlink(id)
end

-- Drops a bounded number of deadline entries Redis already expired, so the set stays small without prune().
local function trim()
	local t = redis.call("TIME")
	local now = string.format("%d", tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
	local stale = redis.call("ZRANGEBYSCORE", DEADLINES, "-inf", "(" .. now, "LIMIT", 0, 64)
	if #stale > 0 then redis.call("ZREM", DEADLINES, unpack(stale)) end
end
`;

/** Lua bodies by name; KEYS[1] is the row key, or the index key for list/revoke, or the deadline set for prune. */
const BODIES = {
	/** ARGV: prefix, row. 0 when the id is taken. */
	create: `
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
trim()
put(2)
return 1`,
	/** ARGV: prefix, expected version, row. Compare-and-set on live rows only. */
	update: `
local cur = redis.call("HMGET", KEYS[1], "v", "s")
if cur[1] ~= ARGV[2] or cur[2] ~= "" then return 0 end
unlink(ARGV[3])
put(3)
return 1`,
	/** ARGV: prefix, id, lastSeenAt, idleExpiresAt. Live rows only; the version stays. */
	touch: `
local cur = redis.call("HMGET", KEYS[1], "s", "a")
if cur[1] ~= "" then return 0 end
local keys = indexKeysOf(KEYS[1])
local deadline = nearer(ARGV[4], cur[2])
redis.call("HSET", KEYS[1], "l", ARGV[3], "i", ARGV[4])
redis.call("PEXPIREAT", KEYS[1], deadline)
if redis.call("EXISTS", KEYS[1]) == 0 then
	for _, ik in ipairs(keys) do redis.call("SREM", ik, ARGV[2]) end
end
file(ARGV[2], KEYS[1], "", keys, deadline)
return 1`,
	/** ARGV: prefix, id, expected version, graceUntil ("" = none), next row. */
	rotate: `
local id = ARGV[2]
local cur = redis.call("HMGET", KEYS[1], "v", "s", "a")
if cur[1] ~= ARGV[3] or cur[2] ~= "" then return 0 end
if redis.call("EXISTS", rowKey(ARGV[5])) == 1 then return redis.error_reply("session id collision") end
trim()
if ARGV[4] == "" then
	destroy(id)
else
	for _, ik in ipairs(indexKeysOf(KEYS[1])) do redis.call("SREM", ik, id) end
	local deadline = nearer(ARGV[4], cur[3])
	redis.call("HSET", KEYS[1], "s", ARGV[5], "d", "", "i", ARGV[4], "x", "")
	redis.call("PEXPIREAT", KEYS[1], deadline)
	file(id, KEYS[1], ARGV[5], {}, deadline)
end
put(5)
return 1`,
	/** ARGV: prefix, id. */
	destroy: `
return destroy(ARGV[2])`,
	/** ARGV: prefix. Live rows as arrays of id and FIELDS; members whose row is gone are dropped. */
	list: `
local out = {}
for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
	local row = redis.call("HMGET", rowKey(id), unpack(FIELDS))
	if row[2] == "" then
		table.insert(row, 1, id)
		out[#out + 1] = row
	else
		redis.call("SREM", KEYS[1], id)
	end
end
return out`,
	/** ARGV: prefix, except id ("" = none). Counts sessions, not their aliases. */
	revoke: `
local n = 0
for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
	local succ = redis.call("HGET", rowKey(id), "s")
	if succ ~= "" then
		redis.call("SREM", KEYS[1], id)
	elseif id ~= ARGV[2] then
		destroy(id)
		n = n + 1
	end
end
return n`,
	/** ARGV: prefix, now, batch size. Returns { rows deleted, entries seen }. */
	prune: `
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[2], "LIMIT", 0, ARGV[3])
local n = 0
for _, id in ipairs(ids) do n = n + unlink(id) end
return { n, #ids }`,
} as const;

/** The name of one of the store's scripts. */
export type ScriptName = keyof typeof BODIES;

/** A script's source and the SHA-1 EVALSHA names it by. */
interface Script {
	source: string;
	sha: string;
}

const SCRIPTS = Object.fromEntries(
	Object.entries(BODIES).map(([name, body]) => {
		const source = PRELUDE + body;
		return [name, { source, sha: new Bun.CryptoHasher("sha1").update(source).digest("hex") }];
	}),
) as Record<ScriptName, Script>;

/** Runs a script by SHA-1, sending its source instead when the server answers NOSCRIPT. */
export async function runScript(client: RedisClient, name: ScriptName, key: string, args: readonly string[]): Promise<unknown> {
	const script = SCRIPTS[name];
	try {
		return await client.evalsha(script.sha, 1, key, ...args);
	} catch (error) {
		// First use, SCRIPT FLUSH, restart or failover. Nothing ran on NOSCRIPT, so no write applies twice;
		// EVAL caches the script for the next EVALSHA.
		if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
		return await client.eval(script.source, 1, key, ...args);
	}
}
