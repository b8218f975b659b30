-- wrk script for bench/peers.py: mix.lua's request cycling, plus a count of every response whose
-- status is not 2xx (wrk itself counts only status >= 400 as errors).
--
-- Usage: wrk -t2 -c8 -d10s -s bench/wrk/checked.lua http://127.0.0.1:PORT -- REQUESTS_FILE
-- REQUESTS_FILE holds one request per line: "<Accept header>\t<path with query string>".
-- done() prints one line "WRK_JSON {...}" with the counts (non2xx included) and the latency
-- percentiles (µs).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local i = 0
non2xx = 0

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the requests file")
  for line in file:lines() do
    local accept, path = line:match("^([^\t]*)\t(.+)$")
    if path then
      requests[#requests + 1] = wrk.format("GET", path, { ["Accept"] = accept })
    end
  end
  file:close()
  assert(#requests > 0, "no requests in the file")
  i = (offset or 0) * math.floor(#requests / 2)
end

function request()
  i = i % #requests + 1
  return requests[i]
end

function response(status, _, _)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, _)
  local e = summary.errors
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "non2xx": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, bad, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
