-- wrk script for bench/http/run.sh: rotates through the paths of one target and
-- prints the latency percentiles that docs/benchmarks.md records (wrk's own summary
-- has no p95).
--
--   wrk -s load.lua URL -- TARGET      TARGET: search | contacts | api-search | api-contacts

local targets = {
  -- Searches a commune officer makes: surnames and full names without diacritics,
  -- with diacritics, a given name alone, and a name nobody has.
  search = {
    "/persons?q=nguyen", "/persons?q=lo+van", "/persons?q=Giàng+A", "/persons?q=vang+thi",
    "/persons?q=tran+thi+mai", "/persons?q=sung", "/persons?q=Lò+Thị", "/persons?q=tao+van",
    "/persons?q=ly+seo", "/persons?q=hoang", "/persons?q=lu+a", "/persons?q=khong+co+ai",
  },
  ["api-search"] = {
    "/api/v1/persons?q=nguyen", "/api/v1/persons?q=lo+van", "/api/v1/persons?q=giang+a",
    "/api/v1/persons?q=vang+thi", "/api/v1/persons?q=sung", "/api/v1/persons?q=hoang",
  },
  contacts = { "/contacts" },
  ["api-contacts"] = { "/api/v1/contacts" },
}

local paths = targets.search
local n = 0

function init(args)
  paths = targets[args[1] or "search"] or error("unknown target " .. tostring(args[1]))
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "requests %d, %.1f s, %.1f req/s, errors: status %d, connect %d, read %d, timeout %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    e.status, e.connect, e.read, e.timeout))
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
