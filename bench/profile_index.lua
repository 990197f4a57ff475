-- bench/profile_index.lua: one ad.index run to profile (bench/results/profile-*.md).
--
--   perf record -e cpu-clock -F 999 -g -- lua5.4 bench/profile_index.lua DIR [THREADS] [path|collection]
--
-- Builds the index of DIR from the path (default) or from an opened
-- Collection (the open is then outside the timed part), with THREADS
-- threads (default 1), and prints the wall and CPU time of each stage, the
-- peak RSS (VmHWM) and the RSS after the build.
package.path = (os.getenv("BENCH_LPATH") or "lua/?.lua;lua/?/init.lua") .. ";" .. package.path
package.cpath = (os.getenv("BENCH_CPATH") or "build/?.so") .. ";" .. package.cpath
local ad = require "arxivdigest"
local ok, system = pcall(require, "system")
local now = ok and system.monotime or os.clock
local dir, threads, mode = arg[1], tonumber(arg[2] or "1"), arg[3] or "path"
if not dir then
  io.stderr:write("usage: lua5.4 bench/profile_index.lua DIR [THREADS] [path|collection]\n")
  os.exit(2)
end
local function kb(key)
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  return tonumber(s:match(key .. ":%s*(%d+)")) * 1024
end
local src = dir
if mode == "collection" then
  local w0, t0 = now(), os.clock()
  src = assert(ad.open(dir, { threads = threads }))
  print(string.format("ad.open     %.3f s wall %.3f s CPU, %d records, RSS %.0f MB",
    now() - w0, os.clock() - t0, #src, kb("VmRSS") / 1e6))
end
local w0, t0 = now(), os.clock()
local idx = assert(ad.index(src, { threads = threads }))
print(string.format("ad.index    %.3f s wall %.3f s CPU (%s, threads = %d)", now() - w0, os.clock() - t0,
  mode, threads))
print(string.format("peak RSS    %.0f MB (VmHWM); RSS after the build %.0f MB", kb("VmHWM") / 1e6, kb("VmRSS") / 1e6))
src = nil  -- luacheck: ignore
collectgarbage(); collectgarbage()
print(string.format("RSS after the collection is collected %.0f MB (index kept)", kb("VmRSS") / 1e6))
idx:close()
