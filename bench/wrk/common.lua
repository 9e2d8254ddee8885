-- Shared by the benchmark's wrk scripts: a JSON summary on stdout with the responses
-- counted by status, and a count of those whose status is not one of WRK_EXPECT ("303",
-- "200,204"; wrk itself counts only >= 400).
local threads = {}
expected = {}
for code in string.gmatch(os.getenv("WRK_EXPECT") or "200", "%d+") do
  expected[tonumber(code)] = true
end

-- A monotonic clock in microseconds (LuaJIT's FFI): a one-pass run (answers.lua) times
-- its own pass, because wrk's duration is always the whole -d, even when every thread
-- stopped early.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } wrk_timespec; int clock_gettime(int, wrk_timespec *); ]]
local clock_buffer = ffi.new("wrk_timespec")

function now_us()
  ffi.C.clock_gettime(1, clock_buffer)  -- CLOCK_MONOTONIC
  return tonumber(clock_buffer.tv_sec) * 1000000 + math.floor(tonumber(clock_buffer.tv_nsec) / 1000)
end

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function count_status(status)
  statuses = statuses or {}
  statuses[status] = (statuses[status] or 0) + 1
  if not expected[status] then
    unexpected = (unexpected or 0) + 1
    bad_status = status
  end
end

function done(summary, latency, requests)
  local bad, sample, seen = 0, 0, {}
  -- The pass's wall time, when every thread finished one (0 otherwise).
  local first, last, complete = math.huge, 0, #threads > 0
  for _, thread in ipairs(threads) do
    local started, finished = thread:get("started_us"), thread:get("finished_us")
    if started and finished then
      first, last = math.min(first, started), math.max(last, finished)
    else
      complete = false
    end
  end
  local pass_us = complete and (last - first) or 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("unexpected") or 0)
    sample = thread:get("bad_status") or sample
    for status, count in pairs(thread:get("statuses") or {}) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(seen) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "pass_us": %d, "bytes": %d, "unexpected_status": %d, "bad_status": %d, ' ..
    '"statuses": {%s}, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d}}\n',
    summary.requests, summary.duration, pass_us, summary.bytes, bad, sample, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99)))
end
