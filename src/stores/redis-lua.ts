// The Lua source of the Redis store's scripts; redis-scripts.ts loads and runs them.

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
 *   g:<column>:<t>:<value> (RedisSpreadStore, at the value's home tag) set of the other tags whose i: sets
 *                          hold that value; TTL ≥ the absolute deadline of every row filed under them
 *
 * The code runs as a Redis 7 function library, loaded once per server: helpers are defined at load,
 * not on every call as a prelude to each EVAL script is (2–3 µs of server CPU per call), and FCALL
 * itself cost ~1 µs less than EVALSHA of the same body on Redis 7.0. Where functions are missing or
 * refused (Redis 6, ACLs, proxies), each script runs through EVALSHA carrying only the helpers it
 * calls; the hot ones (write, slide, touch) call none.
 */

/**
 * How long a retired ID (a grace alias) stays in Redis after its grace, so that a slow request that
 * loaded through it in time can still commit to the successor (history finding 4: an append answered 200
 * and then dropped because the alias's TTL was exactly the grace). Generous next to any request.
 */
export const ALIAS_SLACK_MS = 60_000;

/** A row's hash fields in the order `put` writes them, `load` returns them and redis.ts reads them. */
export const ROW_FIELDS = ["v", "s", "d", "c", "r", "l", "i", "a", "k"] as const;

/** Lua helpers in definition order, each with the helpers it calls (which come before it). */
export const HELPERS = {
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
	leastRecentFirst: {
		uses: [],
		code: `
-- Sorts { id, lastSeen, created } entries as leastRecentFirst in store.ts: least recently seen, then oldest, then by id.
local function leastRecentFirst(live)
	table.sort(live, function(a, b)
		if a[2] ~= b[2] then return a[2] < b[2] end
		if a[3] ~= b[3] then return a[3] < b[3] end
		return a[1] < b[1]
	end)
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

/** The name of a Lua helper. */
export type Helper = keyof typeof HELPERS;

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

/** One script: the helpers it calls and its Lua. */
export interface Body {
	uses: readonly Helper[];
	/** Allowed over maxmemory: it only deletes, which frees memory. */
	deletesOnly?: boolean;
	/** Writes nothing (flagged no-writes, so it runs over maxmemory too, and FCALL_RO may call it). */
	readOnly?: boolean;
	lua: string;
}

/** The name of one of the store's scripts. */
export type ScriptName = "load" | "create" | "update" | "write" | "slide" | "touch" | "rotate" | "admit" | "destroy" | "list" | "revoke" | "prune" | "retire" | "enlist" | "stage" | "seat";

/** Lua bodies by name, over KEYS and ARGV as EVAL and FCALL both pass them. */
export const BODIES: Record<ScriptName, Body> = {
	/**
	 * KEYS: row. The row's FIELDS as one string, joined by newlines (k, the only one that may hold any
	 * byte, comes last), or nil. One bulk string where HMGET answers nine: Bun's client spends more on
	 * each argument and each reply element it converts than Redis spends on the script.
	 */
	load: {
		uses: [],
		readOnly: true,
		lua: `
local row = redis.call("HMGET", KEYS[1], "v", "s", "d", "c", "r", "l", "i", "a", "k")
if not row[1] then return nil end
for j = 2, 9 do
	if not row[j] then row[j] = "" end
end
return table.concat(row, "\\n")`,
	},
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
	-- The alias outlives its grace by ALIAS_SLACK_MS: a request that loaded through it just before the grace
	-- ended still finds the successor when it commits. Loads refuse it after the grace all the same (i).
	local deadline = nearer(string.format("%d", tonumber(ARGV[4]) + ${ALIAS_SLACK_MS}), cur[3])
	redis.call("HSET", KEYS[1], "s", ARGV[5], "d", "", "i", ARGV[4], "x", "")
	redis.call("PEXPIREAT", KEYS[1], deadline)
	if file(P, id, KEYS[1], ARGV[5], {}, deadline) then
		-- prune() with the caller's clock still takes it at the grace, as the SQL stores do.
		redis.call("ZADD", P .. "d", nearer(ARGV[4], cur[3]), id)
	end
end
put(P, ARGV, 5)
return 1`,
	},
	/**
	 * KEYS: index of the limited value, next row. ARGV: prefix, replaced id ("" = none), its version, max,
	 * policy, now, next row. A login under a per-user limit, atomic as one script: { "admitted", evicted ids… },
	 * { "refused" } or { "conflict" }, the last two writing nothing.
	 */
	admit: {
		uses: ["destroy", "trim", "put", "leastRecentFirst"],
		lua: `
local P, rid, now = ARGV[1], ARGV[2], tonumber(ARGV[6])
if rid ~= "" then
	local cur = redis.call("HMGET", P .. "s:" .. rid, "v", "s")
	if cur[1] ~= ARGV[3] or cur[2] ~= "" then return { "conflict" } end
end
if redis.call("EXISTS", KEYS[2]) == 1 then return redis.error_reply("session id collision") end
local live, staged = {}, 0
for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
	if id ~= rid then
		local row = redis.call("HMGET", P .. "s:" .. id, "s", "l", "c", "i", "a", "p")
		if row[1] == "" and tonumber(row[4]) > now and tonumber(row[5]) > now then
			-- A login across slots still under way (stage, then seat) evicts for itself when seated: never
			-- evicted here, and counted only against a refusing limit, which must not be exceeded.
			if row[6] then staged = staged + 1 else live[#live + 1] = { id, tonumber(row[2]), tonumber(row[3]) } end
		end
	end
end
local excess = #live - tonumber(ARGV[4]) + 1
if ARGV[5] == "refuse" and excess + staged > 0 then return { "refused" } end
leastRecentFirst(live)
local out = { "admitted" }
for j = 1, excess do
	destroy(P, live[j][1])
	out[#out + 1] = live[j][1]
end
if rid ~= "" then destroy(P, rid) end
trim(P)
put(P, ARGV, 7)
return out`,
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
	local row = redis.call("HMGET", ARGV[1] .. "s:" .. id, "v", "s", "d", "c", "r", "l", "i", "a", "k", "p")
	if row[2] == "" then
		-- A staged login (RedisSpreadStore) is listed once seated, when it has taken effect.
		if not row[10] then
			row[10] = nil
			table.insert(row, 1, id)
			out[#out + 1] = row
		end
	else
		redis.call("SREM", KEYS[1], id)
	end
end
return out`,
	},
	/**
	 * KEYS: index. ARGV: prefix, except id ("" = none). Counts sessions, not their aliases. The except id
	 * may have been rotated since the caller loaded it (another tab): its live successor is the same
	 * session and is spared too, decided in the same script as the deletes.
	 */
	revoke: {
		uses: ["destroy"],
		deletesOnly: true,
		lua: `
local spare, hop = {}, ARGV[2]
for _ = 1, 16 do
	if hop == "" or spare[hop] then break end
	spare[hop] = true
	hop = redis.call("HGET", ARGV[1] .. "s:" .. hop, "s") or ""
end
local n = 0
for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
	local succ = redis.call("HGET", ARGV[1] .. "s:" .. id, "s")
	if succ ~= "" then
		redis.call("SREM", KEYS[1], id)
	elseif not spare[id] then
		destroy(ARGV[1], id)
		n = n + 1
	end
end
return n`,
	},
	/**
	 * KEYS: row. ARGV: prefix, id, expected version, graceUntil ("" = none), successor id. The second half of
	 * a rotation whose successor lives in another slot (RedisSpreadStore writes it first): `rotate` without
	 * the put, the compare-and-set that decides whether the new ID wins. 1, or 0 writing nothing.
	 */
	retire: {
		uses: ["nearer", "indexKeys", "file", "destroy"],
		lua: `
local P, id = ARGV[1], ARGV[2]
local cur = redis.call("HMGET", KEYS[1], "v", "s", "a", "x")
if cur[1] ~= ARGV[3] or cur[2] ~= "" then return 0 end
if ARGV[4] == "" then
	destroy(P, id)
else
	for _, ik in ipairs(indexKeys(cur[4])) do redis.call("SREM", ik, id) end
	local deadline = nearer(string.format("%d", tonumber(ARGV[4]) + ${ALIAS_SLACK_MS}), cur[3])
	redis.call("HSET", KEYS[1], "s", ARGV[5], "d", "", "i", ARGV[4], "x", "")
	redis.call("PEXPIREAT", KEYS[1], deadline)
	if file(P, id, KEYS[1], ARGV[5], {}, deadline) then redis.call("ZADD", P .. "d", nearer(ARGV[4], cur[3]), id) end
end
return 1`,
	},
	/**
	 * KEYS: a value's directory. ARGV: tag, deadline. Notes that rows holding the value live under that tag
	 * too (RedisSpreadStore), before they are written; kept at least until the rows' absolute deadline.
	 */
	enlist: {
		uses: ["extend"],
		lua: `
extend(KEYS[1], ARGV[2], redis.call("SADD", KEYS[1], ARGV[1]))
return 1`,
	},
	/**
	 * KEYS: index of the limited value, next row. ARGV: prefix, max, policy, now, next row. The first step
	 * of a login whose anonymous session lives in another slot: writes the row staged (p = 1), so that
	 * admits neither count nor evict it under `evict` and list hides it, and nothing is evicted before the
	 * login takes effect. Under `refuse` the staged rows count, so two racing logins never pass the limit
	 * together. { "staged" } or { "refused" }, the latter writing nothing.
	 */
	stage: {
		uses: ["trim", "put"],
		lua: `
local P, now = ARGV[1], tonumber(ARGV[4])
if redis.call("EXISTS", KEYS[2]) == 1 then return redis.error_reply("session id collision") end
if ARGV[3] == "refuse" then
	local live = 0
	for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
		local row = redis.call("HMGET", P .. "s:" .. id, "s", "i", "a")
		if row[1] == "" and tonumber(row[2]) > now and tonumber(row[3]) > now then live = live + 1 end
	end
	if live >= tonumber(ARGV[2]) then return { "refused" } end
end
trim(P)
put(P, ARGV, 5)
if redis.call("EXISTS", KEYS[2]) == 1 then redis.call("HSET", KEYS[2], "p", "1") end
return { "staged" }`,
	},
	/**
	 * KEYS: index of the limited value, the staged row. ARGV: prefix, its id, max, now. The last step, once
	 * the old session is retired: seats the row and evicts the least recently seen beyond the limit, as
	 * admit does. { "admitted", evicted ids… }; nothing to do if a revoke took the row meanwhile.
	 */
	seat: {
		uses: ["destroy", "leastRecentFirst"],
		lua: `
local P, id, now = ARGV[1], ARGV[2], tonumber(ARGV[4])
if redis.call("HDEL", KEYS[2], "p") == 0 then return { "admitted" } end
local live = {}
for _, other in ipairs(redis.call("SMEMBERS", KEYS[1])) do
	if other ~= id then
		local row = redis.call("HMGET", P .. "s:" .. other, "s", "l", "c", "i", "a", "p")
		if row[1] == "" and not row[6] and tonumber(row[4]) > now and tonumber(row[5]) > now then
			live[#live + 1] = { other, tonumber(row[2]), tonumber(row[3]) }
		end
	end
end
leastRecentFirst(live)
local out = { "admitted" }
for j = 1, #live - tonumber(ARGV[3]) + 1 do
	destroy(P, live[j][1])
	out[#out + 1] = live[j][1]
end
return out`,
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
