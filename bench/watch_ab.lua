-- bench/watch_ab.lua: the daily run of a watch file with a `library` watch,
-- for two trees side by side, days interleaved (base, new; then new, base;
-- ...): each day one new digest file goes to both archives, then each tree
-- runs `arxivdigest watch run library.lua` in a child process, as cron
-- would. Wall time (monotonic clock) and CPU time (the child's user +
-- system) of each run; the medians at the end. For a change of the watch
-- or the recommendations, on a machine shared with other jobs.
--
--   lua5.4 bench/watch_ab.lua --base DIR [--days N] [--first K]
--
-- DIR: a checkout of the base commit, built (`make`), in which
-- `lua5.4 bench/watch.lua` of this tree has run once (it leaves
-- bench/out/watch with library.lua, its archive, index and state); the
-- same for this tree. Day K (default 24) to K + N - 1 (N default 7): the
-- new files are 2021-01-K, with ids 21KK.NNNNN that neither archive has
-- (bench/watch.lua's days are 1 to 17).

package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath

local core = require "arxivdigest.core"
local fmt = string.format

local opt = {days = 7, first = 24}
do
  local i = 1
  while i <= #arg do
    local a, v = arg[i], arg[i + 1]
    if a == "--base" then opt.base = v
    elseif a == "--days" then opt.days = tonumber(v)
    elseif a == "--first" then opt.first = tonumber(v)
    else io.stderr:write("usage: lua5.4 bench/watch_ab.lua --base DIR [--days N] [--first K]\n"); os.exit(2) end
    i = i + 2
  end
end
if not opt.base or opt.first + opt.days - 1 > 31 then
  io.stderr:write("usage: lua5.4 bench/watch_ab.lua --base DIR [--days N] [--first K] (days of January)\n")
  os.exit(2)
end

local C = dofile("bench/common.lua")
local q, read = C.shq, C.read_file
local function write(p, s) local f = assert(io.open(p, "wb")) assert(f:write(s)) assert(f:close()) end

local ROOT = assert(io.popen("pwd")):read("l")
local TREES = {base = opt.base:sub(1, 1) == "/" and opt.base or (ROOT .. "/" .. opt.base), new = ROOT}
for name, root in pairs(TREES) do
  if not io.open(root .. "/bench/out/watch/library.lua", "rb") then
    io.stderr:write(fmt("bench/watch_ab.lua: no %s/bench/out/watch/library.lua (run bench/watch.lua there: %s)\n",
      root, name))
    os.exit(1)
  end
end

-- the day's file: a corpus file with its ids and its day moved
local SOURCE = read(ROOT .. "/bench/out/corpus/copy0/2019/12/20191231.md")
local function new_day(work, k)
  local day = fmt("2021-01-%02d", k)
  local text = SOURCE:gsub("on 2019%-12%-31", "on " .. day)
  text = text:gsub("(arxiv%.org/%a+/)(%d%d)(%d%d)%.(%d%d%d%d%d)", function(pre, _, _, n)
    return fmt("%s21%02d.%05d", pre, k, tonumber(n))
  end)
  local path = fmt("%s/new/%s.md", work, day:gsub("%-", ""))
  write(path, text)
  assert(os.execute("touch -d '1 hour ago' " .. q(path)))
end

local function run(root)
  local env = ("LUA_PATH=%s LUA_CPATH=%s "):format(q(root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;;"),
    q(root .. "/build/?.so;;"))
  local t0 = core.now()
  local p = assert(io.popen("cd " .. q(root .. "/bench/out/watch") .. " && " .. env .. "lua5.4 "
    .. q(root .. "/bin/arxivdigest") .. " watch run library.lua 2>&1; rc=$?; times; exit $rc"))
  local out = p:read("a")
  local ok = p:close()
  local dt = core.now() - t0
  if not ok then error("watch run failed:\n" .. out, 0) end
  local m = {}
  for mm, ss in out:gmatch("(%d+)m([%d%.]+)s") do m[#m + 1] = tonumber(mm) * 60 + tonumber(ss) end
  return dt, (m[3] or 0) + (m[4] or 0), out
end

local function median(t)
  local s = {table.unpack(t)}
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

local function load() return (read("/proc/loadavg"):match("^(%S+)")) end
local R = {base = {w = {}, c = {}}, new = {w = {}, c = {}}}
local top = {}
local la0, t0 = load(), core.now()
for i = 0, opt.days - 1 do
  local k = opt.first + i
  for _, name in ipairs{"base", "new"} do new_day(TREES[name] .. "/bench/out/watch", k) end
  for _, name in ipairs(i % 2 == 0 and {"base", "new"} or {"new", "base"}) do
    local w, c, out = run(TREES[name])
    table.insert(R[name].w, w)
    table.insert(R[name].c, c)
    print(fmt("day %d %-4s wall %.3f s, CPU %.3f s; %s", k, name, w, c, out:match("for me: [^\n]*") or "?"))
  end
  -- the two trees' deliveries of the day (ids in order)
  local ids = {}
  for _, name in ipairs{"base", "new"} do
    local list = {}
    for l in read(TREES[name] .. "/bench/out/watch/out-lib/today.jsonl"):gmatch("[^\n]+") do
      if l:find('"watch":"for me"', 1, true) then list[#list + 1] = l:match('"id":"([^"]+)"') end
    end
    ids[name] = table.concat(list, " ")
  end
  top[#top + 1] = ids.base == ids.new
end
local same = 0
for _, v in ipairs(top) do if v then same = same + 1 end end
print(fmt("watch_ab: %d days, load average %s -> %s, %.0f s", opt.days, la0, load(), core.now() - t0))
for _, name in ipairs{"base", "new"} do
  print(fmt("watch_ab: %-4s daily run with a library watch: wall median %.3f s (min %.3f, max %.3f), "
    .. "CPU median %.3f s", name, median(R[name].w), math.min(table.unpack(R[name].w)),
    math.max(table.unpack(R[name].w)), median(R[name].c)))
end
print(fmt("watch_ab: the library watch delivered the same papers in the same order on %d of %d days", same,
  #top))
