-- wrk script shared by every scenario. Arguments after "--":
--   method expected_status body_file id_prefix ["Name: value" ...]
-- body_file "-" sends no body. A body holding "{{ID}}" gets a unique value
-- there on every request (prefix, thread number, sequence), so a write is
-- never a repeat. Responses are counted as expected (the scenario's status)
-- or unexpected; done() prints one BENCH_JSON line the harness parses.
-- Another script may load this one (dofile) and replace init, request and
-- response; extra_fields() adds its own counters to the BENCH_JSON line.
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- The "Name: value" arguments from position first on, as wrk.format takes them.
function headers_of(args, first)
  local out = {}
  for i = first, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    out[name] = value
  end
  return out
end

function count_unexpected(status)
  unexpected = unexpected + 1
  last_unexpected = status
end

function init(args)
  method = args[1]
  expected = tonumber(args[2])
  local body_file = args[3]
  prefix = args[4] .. "-" .. thread_id .. "-"
  hdrs = headers_of(args, 5)
  template = nil
  if body_file ~= "-" then
    local f = assert(io.open(body_file, "rb"))
    template = f:read("*a")
    f:close()
  end
  unique = template ~= nil and template:find("{{ID}}", 1, true) ~= nil
  seq = 0
  matched = 0
  unexpected = 0
  last_unexpected = 0
  if not unique then
    fixed = wrk.format(method, nil, hdrs, template)
  end
end

function request()
  if unique then
    seq = seq + 1
    local body = template:gsub("{{ID}}", prefix .. seq)
    return wrk.format(method, nil, hdrs, body)
  end
  return fixed
end

function response(status, headers, body)
  if status == expected then
    matched = matched + 1
  else
    count_unexpected(status)
  end
end

function extra_fields(threads)
  return ""
end

function done(summary, latency, requests)
  local ok, bad, last = 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("matched")
    bad = bad + t:get("unexpected")
    local l = t:get("last_unexpected")
    if l ~= 0 then last = l end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"matched":%d,"unexpected":%d,' ..
    '"last_unexpected_status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f%s}\n',
    summary.requests, summary.duration, ok, bad, last, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, extra_fields(threads)))
end
