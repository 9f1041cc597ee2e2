-- wrk script: replays prepared requests and reports JSON at the end.
--
-- WRK_REQUESTS  a file with one request per line, tab-separated:
--               METHOD  PATH  COOKIE  CSRF-TOKEN  JSON-BODY   (empty fields allowed)
--               Each thread takes every Nth line (N = number of threads), so with as many
--               lines as requests no line (no voter, no idea) is sent twice.
-- WRK_THREADS   the -t value (wrk does not tell the script)
-- WRK_RATE      optional: requests per second to aim at in all: each thread sends its
--               requests on a fixed schedule (one every threads/rate seconds), whatever the
--               answers' latency; a thread that fell behind (every connection busy) catches
--               up as fast as its connections allow, with at most one second of backlog.
--               0 or unset: as fast as possible
-- WRK_RECEIPTS  optional: file to which receipt codes of 201 answers are written
--
-- The last line printed is "WRKJSON {...}" with requests, statuses, latency percentiles (ms).

local threads = {}
local counter = 1

function setup(thread)
   thread:set("index", #threads)
   table.insert(threads, thread)
end

local function split(line)
   local fields = {}
   local start = 1
   while true do
      local tab = string.find(line, "\t", start, true)
      if not tab then
         table.insert(fields, string.sub(line, start))
         break
      end
      table.insert(fields, string.sub(line, start, tab - 1))
      start = tab + 1
   end
   return fields
end

function init(args)
   lines = {}
   statuses = {}
   receipts = {}
   local count = tonumber(os.getenv("WRK_THREADS") or "1")
   local total = 0
   for _ in io.lines(os.getenv("WRK_REQUESTS")) do total = total + 1 end
   if total < count then count = 1 end  -- too few lines to share: every thread takes all
   local mine = 0
   local n = 0
   for line in io.lines(os.getenv("WRK_REQUESTS")) do
      if count == 1 or n % count == index then
         local f = split(line)
         local headers = {}
         if f[3] and f[3] ~= "" then headers["Cookie"] = f[3] end
         if f[4] and f[4] ~= "" then headers["X-CSRFToken"] = f[4] end
         local body = nil
         if f[5] and f[5] ~= "" then
            body = f[5]
            headers["Content-Type"] = "application/json"
         end
         if f[1] == "FORM" then
            -- an HTML form post: body is already url-encoded
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = nil
            f[1] = "POST"
         end
         table.insert(lines, wrk.format(f[1], f[2], headers, body))
         mine = mine + 1
      end
      n = n + 1
   end
   local rate = tonumber(os.getenv("WRK_RATE") or "0")
   if rate > 0 then
      -- this thread's share of the rate; a fixed wait between answers instead would make the
      -- rate reached depend on the server's latency (connections / (wait + latency))
      slot = tonumber(os.getenv("WRK_THREADS") or "1") * 1000 / rate
   end
end

-- Only defined when pacing is asked for: wrk decides at load time whether to call delay().
if tonumber(os.getenv("WRK_RATE") or "0") > 0 then
   local ffi = require("ffi")
   ffi.cdef[[
      typedef struct { long tv_sec; long tv_nsec; } replay_timespec;
      int clock_gettime(int clock_id, replay_timespec *tp);
   ]]
   local now = ffi.new("replay_timespec")
   local CLOCK_MONOTONIC = 1

   local function now_ms()
      ffi.C.clock_gettime(CLOCK_MONOTONIC, now)
      return tonumber(now.tv_sec) * 1000 + tonumber(now.tv_nsec) / 1e6
   end

   function delay()
      local t = now_ms()
      if not due or due < t - 1000 then due = t end  -- at most one second of backlog
      local wait = due - t
      due = due + slot
      if wait > 0 then return math.floor(wait) end
      return 0
   end
end

function request()
   local r = lines[counter]
   counter = counter + 1
   if counter > #lines then counter = 1 end
   return r
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 201 and body then
      local code = string.match(body, '"receipt_code"%s*:%s*"([^"]+)"')
      if code then table.insert(receipts, code) end
   end
end

function done(summary, latency, requests)
   local all = {}
   local codes = {}
   for _, t in ipairs(threads) do
      local s = t:get("statuses")
      for code, n in pairs(s) do
         all[code] = (all[code] or 0) + n
      end
      local r = t:get("receipts")
      for _, c in ipairs(r) do table.insert(codes, c) end
   end
   local path = os.getenv("WRK_RECEIPTS")
   if path and path ~= "" then
      local f = io.open(path, "w")
      for _, c in ipairs(codes) do f:write(c, "\n") end
      f:close()
   end
   local parts = {}
   for code, n in pairs(all) do table.insert(parts, string.format('"%d": %d', code, n)) end
   io.write(string.format(
      'WRKJSON {"requests": %d, "duration_s": %.3f, "rps": %.1f, ' ..
      '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, ' ..
      '"socket_errors": %d, "timeouts": %d, "non_2xx_3xx": %d, "receipts": %d, ' ..
      '"statuses": {%s}}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      summary.errors.connect + summary.errors.read + summary.errors.write,
      summary.errors.timeout, summary.errors.status, #codes, table.concat(parts, ", ")))
end
