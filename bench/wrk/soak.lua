-- wrk script of the soak (bench/soak.ts): rotates a table of request kinds and counts, per kind, the
-- statuses the server answered, and per second the responses, printed as one JSON line (SOAK_JSON).
--
-- The kinds come from the file named by SOAK_TABLE (written by soak.ts), which sets
--   kindCount = N    (request kinds, numbered 1..N)
--   kinds = { { kind = k, before = "...", after = "...", dynamic = bool }, ... }   (the rotation)
-- A request is before .. "soak-<kind>-<n>" .. after: the id goes into an X-Request-Id header, which
-- the server echoes, so each response is attributed to its kind whatever connection carried it. In a
-- `dynamic` kind, "{n}" in `before` becomes the request's counter (404s on paths never seen before).
dofile(os.getenv("SOAK_TABLE"))

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local n = 0
local t0 = nil
-- Flat tables only: wrk's thread:get() crashes copying nested ones.
-- counts["<kind>:<status>"] = responses, kind 0 for a response without a usable X-Request-Id;
-- perSecond[s] = responses completed in second s of the run (os.time() granularity).
counts = {}
perSecond = {}

function request()
  n = n + 1
  local kind = kinds[(n - 1) % #kinds + 1]
  local before = kind.before
  if kind.dynamic then before = string.gsub(before, "{n}", tostring(n)) end
  return before .. "soak-" .. kind.kind .. "-" .. n .. kind.after
end

function response(status, headers, body)
  local now = os.time()
  t0 = t0 or now
  local s = now - t0
  perSecond[s] = (perSecond[s] or 0) + 1
  local id = headers["x-request-id"] or headers["X-Request-Id"]
  local i = id and string.match(id, "^soak%-(%d+)%-") or "0"
  local key = i .. ":" .. status
  counts[key] = (counts[key] or 0) + 1
end

local function object(t)
  local parts = {}
  for k, v in pairs(t) do table.insert(parts, string.format('"%s":%d', tostring(k), v)) end
  return "{" .. table.concat(parts, ",") .. "}"
end

done = function(summary, latency, requests)
  local e = summary.errors
  local byKind, lost, seconds = {}, {}, {}
  for _, thread in ipairs(threads) do
    for key, k in pairs(thread:get("counts")) do
      local i, status = string.match(key, "^(%d+):(%d+)$")
      i = tonumber(i)
      local bucket = lost
      if i > 0 then
        byKind[i] = byKind[i] or {}
        bucket = byKind[i]
      end
      bucket[status] = (bucket[status] or 0) + k
    end
    for s, k in pairs(thread:get("perSecond")) do seconds[s] = (seconds[s] or 0) + k end
  end
  local kindsJson = {}
  for i = 1, kindCount do table.insert(kindsJson, object(byKind[i] or {})) end
  local maxSecond = -1
  for s, _ in pairs(seconds) do if s > maxSecond then maxSecond = s end end
  local secondsJson = {}
  for s = 0, maxSecond do table.insert(secondsJson, tostring(seconds[s] or 0)) end
  io.write(string.format(
    'SOAK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},"kinds":[%s],"unattributed":%s,"perSecond":[%s]}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(kindsJson, ","), object(lost), table.concat(secondsJson, ",")))
end
