-- wrk script of the create-read scenario: create a record, then read it back.
-- Arguments after "--", as scenario.lua takes them:
--   method expected_status body_file id_prefix ["Name: value" ...]
-- The URL is the collection (POST there creates). Each 201 answer's "id" is
-- queued; the next request of that thread is a GET of URL/<id>, otherwise a
-- new POST with a unique name in the body's "{{ID}}". POST must answer 201,
-- GET 200; anything else is unexpected. A GET whose record carries the name
-- that was posted for its id counts as read back: a stateful server reads back
-- every record, a stateless one (the spec's example) none.
-- setup() and done() are scenario.lua's (loaded from this script's folder).
local folder = debug.getinfo(1, "S").source:sub(2):match("^(.*/)") or "./"
dofile(folder .. "scenario.lua")

function init(args)
  local f = assert(io.open(args[3], "rb"))
  template = f:read("*a")
  f:close()
  prefix = args[4] .. "-" .. thread_id .. "-"
  hdrs = headers_of(args, 5)
  collection = wrk.path:gsub("%?.*$", "")
  seq = 0
  created = {}   -- ids answered by POSTs, not read yet
  names = {}     -- id -> the name posted for it
  matched = 0
  unexpected = 0
  last_unexpected = 0
  read_back = 0
  reads = 0
end

function request()
  local id = table.remove(created, 1)
  if id ~= nil then
    return wrk.format("GET", collection .. "/" .. id, hdrs)
  end
  seq = seq + 1
  return wrk.format("POST", collection, hdrs, template:gsub("{{ID}}", prefix .. seq))
end

function response(status, headers, body)
  local id = body and body:match('"id"%s*:%s*"?([%w%-]+)')
  if status == 201 then
    matched = matched + 1
    local name = body:match('"name"%s*:%s*"([^"]*)"')
    if id ~= nil then
      -- the name of the POST that got this id is in the body of its answer
      names[id] = name
      table.insert(created, id)
    end
  elseif status == 200 then
    matched = matched + 1
    reads = reads + 1
    local name = body:match('"name"%s*:%s*"([^"]*)"')
    if id ~= nil and name ~= nil and name:sub(1, #prefix) == prefix and names[id] == name then
      read_back = read_back + 1
    end
  else
    count_unexpected(status)
  end
end

function extra_fields(threads)
  local back, got = 0, 0
  for _, t in ipairs(threads) do
    back = back + t:get("read_back")
    got = got + t:get("reads")
  end
  return string.format(',"reads":%d,"read_back":%d', got, back)
end
