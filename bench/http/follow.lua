-- wrk script for stateless sessions: every request carries the latest Set-Cookie this thread received,
-- as a browser would; done() prints each thread's last cookie so the harness can read the final counter.
local name = os.getenv("BENCH_COOKIE_NAME")
local foreign = os.getenv("BENCH_FOREIGN")
cookie = os.getenv("BENCH_COOKIE")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  return wrk.format("GET", "/inc", { ["Cookie"] = foreign .. "; " .. cookie })
end

function response(status, headers, body)
  local set = headers["Set-Cookie"] or headers["set-cookie"]
  if set ~= nil then
    local pair = set:match("^([^;]+)")
    if pair ~= nil and pair:sub(1, #name + 1) == name .. "=" then cookie = pair end
  end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write("LASTCOOKIE " .. t:get("cookie") .. "\n")
  end
end
