-- bench/ab.lua: two cores side by side on the same corpus, in the same
-- session, rounds interleaved (base, new, base, new, ...), every stage in a
-- fresh process: the build from the path (threads = 1 and default: CPU,
-- wall, peak RSS), the build from an opened Collection (threads = 1, CPU),
-- the query set of `make bench` (each query's p50) and idx:update with one
-- new file. For a change of the core, on a machine shared with other jobs:
-- each figure is the median over the rounds, printed beside the base's with
-- their ratio.
--
--   lua5.4 bench/ab.lua --base DIR [--corpus DIR] [--rounds N] [--runs N]
--
-- DIR: a checkout of the base commit, built (`make`): its build/?.so and
-- lua/ are used (DIR/.commit may name its commit, e.g. for `git archive`).
-- --corpus: a corpus folder (default bench/out/corpus, from
-- `make bench-corpus`); a hard-linked view of it (bench/out/ab/view) gets
-- one new day's file for the update.
--
-- Internally: lua5.4 bench/ab.lua --stage NAME DIR ADX RUNS prints
-- "R key value" lines (the core is chosen by BENCH_CPATH/BENCH_LPATH).

package.path = (os.getenv("BENCH_LPATH") or "lua/?.lua;lua/?/init.lua") .. ";" .. package.path
package.cpath = (os.getenv("BENCH_CPATH") or "build/?.so") .. ";" .. package.cpath

local fmt = string.format
local C = dofile("bench/common.lua")
local read_file, status, shq, sh = C.read_file, C.status, C.shq, C.sh


---------------------------------------------------------------- stages
if arg[1] == "--stage" then
  local name, dir, adx, runs = arg[2], arg[3], arg[4], tonumber(arg[5]) or 30
  local ad = require "arxivdigest"
  local now = require("system").monotime
  local function R(k, v) io.write("R ", k, " ", tostring(v), "\n") end
  if name == "path1" or name == "path2" then
    local w0, c0 = now(), os.clock()
    local idx = assert(ad.index(dir, name == "path1" and { threads = 1 } or nil))
    R(name .. "_wall", now() - w0); R(name .. "_cpu", os.clock() - c0)
    R(name .. "_peak", status("VmHWM"))
    collectgarbage(); collectgarbage()
    R(name .. "_after", status("VmRSS"))
    if name == "path2" then assert(idx:save(adx)) end
  elseif name == "coll1" then
    local c = assert(ad.open(dir))
    local c0 = os.clock()
    assert(ad.index(c, { threads = 1 }))
    R("coll1_cpu", os.clock() - c0)
  elseif name == "query" then
    local w0 = now()
    local idx = assert(ad.load(adx))
    R("load_wall", now() - w0)
    for i, q in ipairs(dofile("bench/queries.lua")) do
      local t = C.samples(function() idx:search(q[1], { limit = 10 }) end, runs, now)
      table.sort(t)
      R("q" .. i, t[(runs + 1) // 2])
    end
  elseif name == "update" then
    local idx = assert(ad.load(adx))
    local w0, c0 = now(), os.clock()
    local st = assert(idx:update(dir))
    R("update_wall", now() - w0); R("update_cpu", os.clock() - c0)
    assert(st.added == 1, "the view must have one new file")
  end
  os.exit(0)
end

---------------------------------------------------------------- orchestrator
local opt = { corpus = "bench/out/corpus", rounds = 3, runs = 30 }
do
  local i = 1
  while i <= #arg do
    local a, v = arg[i], arg[i + 1]
    if a == "--base" then opt.base = v
    elseif a == "--corpus" then opt.corpus = v
    elseif a == "--rounds" then opt.rounds = tonumber(v)
    elseif a == "--runs" then opt.runs = tonumber(v)
    else
      io.stderr:write("usage: lua5.4 bench/ab.lua --base DIR [--corpus DIR] [--rounds N] [--runs N]\n")
      os.exit(2)
    end
    i = i + 2
  end
end
if not opt.base then io.stderr:write("bench/ab.lua: --base DIR is required\n"); os.exit(2) end

local function out(...) io.write(...); io.write("\n"); io.flush() end

local BASE = "bench/out/ab"
local VIEW = BASE .. "/view"
assert(os.execute("rm -rf " .. shq(VIEW) .. " && mkdir -p " .. shq(BASE)
  .. " && cp -al " .. shq(opt.corpus) .. " " .. shq(VIEW)))
os.remove(VIEW .. "/.stamp")
-- the new day's file: the last source day as the next copy (new ids)
local gen = dofile("bench/gen_corpus.lua")
local mp = gen.mapper(nil)
local last = mp.files[#mp.files]
local ncopies = 0
for name in sh("ls " .. shq(VIEW)):gmatch("[^\n]+") do if name:match("^copy%d+$") then ncopies = ncopies + 1 end end
local newtext = mp:rewrite(read_file(last.path), ncopies, last.path)
local NEWDIR = VIEW .. "/copy" .. ncopies .. "/new"
local NEWF = NEWDIR .. "/" .. last.rel:gsub("/", "_")

local cores = {
  { name = "base", env = fmt("BENCH_CPATH=%s BENCH_LPATH=%s", shq(opt.base .. "/build/?.so"),
      shq(opt.base .. "/lua/?.lua;" .. opt.base .. "/lua/?/init.lua")) },
  { name = "new", env = "" },
}
local res = { base = {}, new = {} }
local function stage(core, name, adx)
  local cmd = fmt("%s lua5.4 bench/ab.lua --stage %s %s %s %d", core.env, name, shq(VIEW), shq(adx), opt.runs)
  local f = io.popen(cmd)
  for line in f:lines() do
    local k, v = line:match("^R (%S+) (.*)$")
    if k then
      local t = res[core.name][k] or {}
      t[#t + 1] = tonumber(v)
      res[core.name][k] = t
    end
  end
  assert(f:close(), "stage " .. name .. " failed for " .. core.name)
end

local load0 = read_file("/proc/loadavg"):match("^(%S+)")
local t0 = os.time()
for r = 1, opt.rounds do
  for _, core in ipairs(cores) do
    local adx = BASE .. "/" .. core.name .. ".adx"
    os.execute("rm -rf " .. shq(VIEW .. "/copy" .. ncopies))
    stage(core, "path1", adx)
    stage(core, "coll1", adx)
    stage(core, "path2", adx)
    stage(core, "query", adx)
    assert(os.execute("mkdir -p " .. shq(NEWDIR)))
    local f = assert(io.open(NEWF, "wb")); f:write(newtext); f:close()
    stage(core, "update", adx)
    io.stderr:write(fmt("bench/ab: round %d, %s done\n", r, core.name))
  end
end
os.execute("rm -rf " .. shq(VIEW))
local load1 = read_file("/proc/loadavg"):match("^(%S+)")

local function median(t)
  if not t then return nil end
  table.sort(t)
  return t[(#t + 1) // 2]
end
local bytes = tonumber(sh("du -sb " .. shq(opt.corpus) .. " | cut -f1")) or 0
out(fmt("bench/ab: base %s (%s) against this tree (%s), corpus %s (%.1f MB), %d rounds, medians;"
  .. " load average %s -> %s, %d s", opt.base, (io.open(opt.base .. "/.commit") and read_file(opt.base .. "/.commit")
    or sh("git -C " .. shq(opt.base) .. " rev-parse --short HEAD 2>/dev/null")):gsub("%s+$", ""),
  sh("git rev-parse --short HEAD"):gsub("%s+$", ""), opt.corpus, bytes / 1e6, opt.rounds, load0, load1, os.time() - t0))
out(fmt("%-44s %14s %14s %8s", "figure", "base", "new", "new/base"))
local function row(label, key, scale, unit)
  local b, n = median(res.base[key]), median(res.new[key])
  if not b or not n then return end
  out(fmt("%-44s %11.3f %-2s %11.3f %-2s %8.2f", label, b * scale, unit, n * scale, unit, n / b))
end
row("ad.index(path) threads=1, CPU", "path1_cpu", 1, "s")
row("ad.index(path) threads=1, wall", "path1_wall", 1, "s")
row("  peak RSS (x corpus)", "path1_peak", 1 / bytes, "x")
row("  RSS after the build (x corpus)", "path1_after", 1 / bytes, "x")
row("ad.index(path) default threads, wall", "path2_wall", 1, "s")
row("ad.index(path) default threads, CPU", "path2_cpu", 1, "s")
row("  peak RSS (x corpus)", "path2_peak", 1 / bytes, "x")
row("ad.index(Collection) threads=1, CPU", "coll1_cpu", 1, "s")
row("ad.load, wall", "load_wall", 1e3, "ms")
row("idx:update one new file, wall", "update_wall", 1, "s")
row("idx:update one new file, CPU", "update_cpu", 1, "s")
local QUERIES = dofile("bench/queries.lua")
local allb, alln = {}, {}
for i, q in ipairs(QUERIES) do
  row("q " .. q[1], "q" .. i, 1e3, "ms")
  for _, v in ipairs(res.base["q" .. i] or {}) do allb[#allb + 1] = v end
  for _, v in ipairs(res.new["q" .. i] or {}) do alln[#alln + 1] = v end
end
res.base.qall, res.new.qall = allb, alln
row("query p50 over all queries (of their p50s)", "qall", 1e3, "ms")
