-- POST one GraphQL document, rotating bearer tokens, and check every answer.
--
-- Environment (set by bench/run.py):
--   BENCH_BODY     file holding the JSON request body ({"query": ..., "variables": ...})
--   BENCH_TOKENS   file with one bearer token a line (empty or unset: no Authorization header)
--   BENCH_EXPECT   a string every good answer contains (e.g. '"me":{"' so a null `me` is an error)
--
-- A response counts as an error when its status is not 200, its body carries "errors" or lacks BENCH_EXPECT:
-- a fast failure must never pass for a fast answer. done() prints one JSON line, prefixed
-- with BENCH_RESULT, that run.py parses.

local function read_file(path)
  if path == nil or path == "" then return nil end
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  body = read_file(os.getenv("BENCH_BODY"))
  tokens = {}
  local raw = read_file(os.getenv("BENCH_TOKENS"))
  if raw then
    for line in raw:gmatch("[^\r\n]+") do table.insert(tokens, line) end
  end
  -- each thread starts at its own place in the token list, so threads do not share residents
  cursor = (id * 7919) % math.max(#tokens, 1)
  expect = os.getenv("BENCH_EXPECT") or ""
  responses = 0
  errors = 0
  non_200 = 0
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  wrk.headers["X-Access-Purpose"] = "performance benchmark"
  -- one pre-built request per token: request() then costs a table lookup
  prepared = {}
  if #tokens == 0 then
    prepared[1] = wrk.format()
  else
    for i, token in ipairs(tokens) do
      wrk.headers["Authorization"] = "Bearer " .. token
      prepared[i] = wrk.format()
    end
  end
end

function request()
  cursor = cursor % #prepared + 1
  return prepared[cursor]
end

function response(status, headers, response_body)
  responses = responses + 1
  if status ~= 200 then
    non_200 = non_200 + 1
    errors = errors + 1
  elseif response_body:find('"errors"', 1, true) then
    errors = errors + 1
  elseif expect ~= "" and not response_body:find(expect, 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local errs, bad = 0, 0
  for _, thread in ipairs(threads) do
    errs = errs + (thread:get("errors") or 0)
    bad = bad + (thread:get("non_200") or 0)
  end
  local s = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "max_us": %d, "answer_errors": %d, "non_200": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max, errs, bad,
    s.connect + s.read + s.write + s.timeout))
end
