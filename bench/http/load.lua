-- wrk script for bench/http/run.sh: rotates through the paths of one target and
-- prints the latency percentiles that docs/benchmarks.md records (wrk's own summary
-- has no p95).
--
--   wrk -s load.lua URL -- TARGET [FIRST_ID]
--
-- TARGET: search | contacts | cases | dashboard | audit | api-search | api-contacts
-- (reads), or api-case | api-contact (writes, with a Bearer token: each request
-- registers a case for the next person from FIRST_ID, or adds a contact between two
-- persons from FIRST_ID on).

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
  -- The case list: all, then filtered by sample date and by classification.
  cases = { "/cases", "/cases?from=2021-05-01&to=2021-05-11", "/cases?classification=confirmed" },
  dashboard = { "/dashboard" },
  audit = { "/audit" },
}

local writes = { ["api-case"] = true, ["api-contact"] = true }

-- The command line's headers (the Bearer token) and a JSON body's type: wrk.format
-- sends only the headers it is given.
local function json_headers()
  local h = { ["Content-Type"] = "application/json" }
  for k, v in pairs(wrk.headers) do h[k] = v end
  return h
end
local target = "search"
local next_id = 1

local paths = targets.search
local n = 0

function init(args)
  target = args[1] or "search"
  next_id = tonumber(args[2] or "1")
  if not writes[target] then
    paths = targets[target] or error("unknown target " .. tostring(target))
  end
end

function request()
  n = n + 1
  if target == "api-case" then
    -- A new confirmed case for a person who has none.
    local id = next_id + n
    return wrk.format("POST", "/api/v1/persons/" .. id .. "/case", json_headers(),
      '{"sample_date":"2021-05-11"}')
  elseif target == "api-contact" then
    -- Two persons of the same neighbourhood met for half an hour on the last day.
    local a = next_id + 2 * n
    local body = string.format(
      '{"a_id":%d,"b_id":%d,"start":"2021-05-11T%02d:00","end":"2021-05-11T%02d:30","setting":"bench"}',
      a, a + 1, 8 + n % 12, 8 + n % 12)
    return wrk.format("POST", "/api/v1/contacts", json_headers(), body)
  end
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
