-- bench/scale.lua: `make bench-scale` (issue 15).  At several corpus sizes
-- (copies of all ten real cs.CV years, bench/gen_corpus.lua), each figure in
-- a fresh Lua process: ad.open, ad.index from the Collection and from the
-- path (default threads and threads = 1), idx:save, ad.load, the query set of
-- `make bench`, idx:update with one new day's file, peak RSS; then a table of
-- each figure's growth against the first size and the issue-15 targets beside
-- the largest.
--
--   lua5.4 bench/scale.lua [--sizes "190k 1m 2.7m"] [--runs N] [--keep]
--
-- The largest size is generated once as bench/out/scale/corpus (grown when a
-- larger size is asked); a smaller size is a hard-linked view of its first
-- copies (bench/out/scale/view), made and removed around each size.  Sizes
-- are paper counts (k, m suffixes), rounded to whole copies of 50,887 papers.
-- Wall times are lua-system's monotonic clock; peak RSS is VmHWM of
-- /proc/self/status, reset (/proc/self/clear_refs) where a process measures
-- more than one stage; index-from-path has its own process, so its peak is
-- that stage's.
--
-- Internally: lua5.4 bench/scale.lua --stage NAME DIR ADX runs one stage and
-- prints "R key value" lines.

package.path = (os.getenv("BENCH_LPATH") or "lua/?.lua;lua/?/init.lua") .. ";" .. package.path
package.cpath = (os.getenv("BENCH_CPATH") or "build/?.so") .. ";" .. package.cpath

local io, os, string, table, math = io, os, string, table, math
local ipairs, pairs, pcall, type, tostring, tonumber, collectgarbage, error, assert =
  ipairs, pairs, pcall, type, tostring, tonumber, collectgarbage, error, assert
local fmt = string.format
local C = dofile("bench/common.lua")
local read_file, status, shq, sh = C.read_file, C.status, C.shq, C.sh
local clock = os.clock



-- bytes this process has made the storage read (page-cache misses)
local function disk_read()
  local f = io.open("/proc/self/io", "rb")
  if not f then return 0 end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("read_bytes:%s*(%d+)")) or 0
end

local function reset_peak()
  local f = io.open("/proc/self/clear_refs", "w")
  if f then f:write("5"); f:close() end
end


local function first_line(msg)
  local m = tostring(msg):gsub("\nstack traceback:.*", ""):gsub("%s*\n%s*", " ")
  if #m > 160 then m = m:sub(1, 157) .. "..." end
  return m
end

---------------------------------------------------------------- stages
-- Each runs in a fresh process and prints "R key value" lines.
local function stage(name, dir, adx, runs)
  local ad = require "arxivdigest"
  local system = require "system"
  local now = system.monotime
  local function R(k, v) io.write("R ", k, " ", tostring(v), "\n"); io.flush() end
  local function gc() collectgarbage(); collectgarbage() end

  if name == "open" then
    -- best of 2 each: default threads, then threads = 1 (wall; CPU beside)
    local best, best1, cpu1, n, peak, threads
    for i = 1, 2 do
      gc()
      reset_peak()
      local d0, w0 = disk_read(), now()
      local c = assert(ad.open(dir))
      local w = now() - w0
      if i == 1 then R("open_disk", disk_read() - d0) end
      if not best or w < best then best = w end
      peak = math.max(peak or 0, status("VmHWM"))
      n = #c
      threads = type(c._threads) == "function" and c:_threads() or nil
      c = nil  -- luacheck: ignore
    end
    for _ = 1, 2 do
      gc()
      local w0, t0 = now(), clock()
      assert(ad.open(dir, { threads = 1 }))  -- garbage at once
      local w, t = now() - w0, clock() - t0
      if not best1 or w < best1 then best1, cpu1 = w, t end
    end
    R("records", n)
    R("open_wall", best)
    R("open_threads", threads or "?")
    R("open_peak", peak)
    R("open1_wall", best1)
    R("open1_cpu", cpu1)

  elseif name == "index_coll" then
    local d0 = disk_read()
    local c = assert(ad.open(dir))
    R("icoll_disk", disk_read() - d0)
    gc()
    local base = status("VmRSS")
    reset_peak()
    local w0, t0 = now(), clock()
    local idx = assert(ad.index(c))
    R("icoll_wall", now() - w0)
    R("icoll_cpu", clock() - t0)
    R("icoll_peak", status("VmHWM"))
    R("icoll_base", base)
    idx:close()
    idx = nil  -- luacheck: ignore
    gc()
    w0, t0 = now(), clock()
    assert(ad.index(c, { threads = 1 }))
    R("icoll1_wall", now() - w0)
    R("icoll1_cpu", clock() - t0)

  elseif name == "index_path" or name == "index_path1" then
    local one = name == "index_path1"
    local d0, w0, t0 = disk_read(), now(), clock()
    local idx = assert(ad.index(dir, one and { threads = 1 } or nil))
    local w, t = now() - w0, clock() - t0
    R((one and "ipath1_" or "ipath_") .. "disk", disk_read() - d0)
    local peak = status("VmHWM")
    gc()
    local kept = status("VmRSS")
    local p = one and "ipath1_" or "ipath_"
    R(p .. "wall", w)
    R(p .. "cpu", t)
    R(p .. "peak", peak)
    R(p .. "kept", kept)
    local bt = type(idx._build_times) == "function" and idx:_build_times()
    for _, k in ipairs(bt and { "open", "prepare", "tokenize", "encode", "files" } or {}) do
      R(p .. "bt_" .. k .. "_wall", bt[k].wall)
      R(p .. "bt_" .. k .. "_cpu", bt[k].cpu)
    end
    if not one and type(idx.info) == "function" then
      local info = idx:info()
      R("ix_papers", info.papers)   -- distinct ids: equal to the records when every id is distinct
      R("ix_records", info.records)
      R("ix_terms", info.terms)
    end
    if not one then
      os.remove(adx)
      w0 = now()
      local ok, err = idx:save(adx)
      if not ok then error("idx:save: " .. tostring(err)) end
      R("save_wall", now() - w0)
      local f = assert(io.open(adx, "rb"))
      R("save_bytes", f:seek("end"))
      f:close()
    end

  elseif name == "load_query" then
    local QUERIES = dofile("bench/queries.lua")
    local w0 = now()
    local idx = assert(ad.load(adx))
    R("load_first", now() - w0)
    local best = math.huge
    for _ = 1, 3 do
      gc()
      w0 = now()
      local i2 = assert(ad.load(adx))
      best = math.min(best, now() - w0)
      i2:close()
    end
    R("load_best", best)
    -- each query: one warm-up, then `runs` timed runs of the top 10 with
    -- threads = 1 (CPU time, as make bench) and `runs` with the default
    -- threads (wall time: a costly search is shared by the cores)
    -- (every query on one thread first: the process's CPU time would also
    -- count a search thread that stays awake after a shared search)
    local ok_q = {}
    for i, q in ipairs(QUERIES) do
      local ok, err = pcall(idx.search, idx, q[1], { limit = 10, threads = 1 })
      if not ok then
        R("qerr" .. i, first_line(err))
      else
        ok_q[i] = true
        local s = C.samples(function() idx:search(q[1], { limit = 10, threads = 1 }) end, runs, clock)
        R("q" .. i, table.concat(s, ","))
      end
    end
    for i, q in ipairs(QUERIES) do
      if ok_q[i] then
        local w = C.samples(function() idx:search(q[1], { limit = 10 }) end, runs, now)
        R("qw" .. i, table.concat(w, ","))
      end
    end

  elseif name == "update" then
    local idx = assert(ad.load(adx))
    gc()
    reset_peak()
    local w0 = now()
    local st = assert(idx:update(dir))
    R("update_wall", now() - w0)
    R("update_peak", status("VmHWM"))
    if type(st) == "table" then
      for k, v in pairs(st) do if type(v) == "number" then R("update_" .. k, v) end end
    end

  elseif name == "recommend" then
    -- idx:recommend per library on the saved index: five libraries of 50
    -- papers each (the top 50 of a topic query, so every size has them),
    -- candidates one digest day (the default: the newest) and the whole
    -- archive; the model of the index is built by the first call (timed
    -- apart), CPU time per library after it, mean over the libraries
    local idx = assert(ad.load(adx))
    local topics = { "segmentation medical", '"point cloud"', "adversarial robustness",
                     '"neural radiance"', "ti:tracking" }
    local libs = {}
    for _, q in ipairs(topics) do
      local ids = {}
      for _, h in ipairs(idx:search(q, { limit = 50 })) do ids[#ids + 1] = h.paper.id end
      if #ids > 0 then libs[#libs + 1] = ids end
    end
    local w0 = now()
    local _, info = idx:recommend(libs[1], { limit = 50 })
    R("recommend_model", now() - w0)
    R("recommend_day_candidates", info.candidates)
    local tday, tall = 0, 0
    for _, lib in ipairs(libs) do
      local t0 = clock()
      idx:recommend(lib, { limit = 50 })
      tday = tday + clock() - t0
      t0 = clock()
      idx:recommend(lib, { query = "date:..2100", limit = 50 })
      tall = tall + clock() - t0
    end
    R("recommend_day", tday / #libs)
    R("recommend_all", tall / #libs)
    R("recommend_libs", #libs)

  else
    error("unknown stage " .. tostring(name))
  end
end

if arg[1] == "--stage" then
  local ok, err = pcall(stage, arg[2], arg[3], arg[4], tonumber(arg[5]) or 30)
  if not ok then io.stderr:write("stage ", tostring(arg[2]), ": ", tostring(err), "\n"); os.exit(1) end
  os.exit(0)
end

---------------------------------------------------------------- orchestrator
local gen = dofile("bench/gen_corpus.lua")
local QUERIES = dofile("bench/queries.lua")
local has_system, system = pcall(require, "system")
if not has_system then io.stderr:write("bench-scale: lua-system is missing (make bench-deps)\n"); os.exit(1) end
local now = system.monotime

local opt = { sizes = "190k 1m 2.7m", runs = 30, keep = false }
do
  local i = 1
  while i <= #arg do
    local a, v = arg[i], arg[i + 1]
    if a == "--sizes" then opt.sizes = v; i = i + 2
    elseif a == "--runs" then opt.runs = tonumber(v); i = i + 2
    elseif a == "--keep" then opt.keep = true; i = i + 1
    else
      io.stderr:write("usage: lua5.4 bench/scale.lua [--sizes \"190k 1m 2.7m\"] [--runs N] [--keep]\n")
      os.exit(2)
    end
  end
end

local function out(...) io.write(...); io.write("\n"); io.flush() end
local function log(...) io.stderr:write(...); io.stderr:write("\n"); io.stderr:flush() end
local function meminfo(key) return (tonumber(read_file("/proc/meminfo"):match(key .. ":%s*(%d+)")) or 0) * 1024 end

local wall0 = now()
local BASE = "bench/out/scale"
local CORPUS = BASE .. "/corpus"
local VIEW = BASE .. "/view"
local ADX = BASE .. "/scale.adx"

log("bench-scale: reading the sources")
local mp = gen.mapper(nil)
local per_copy = mp.n_records

local sizes = {}
for w in opt.sizes:gmatch("%S+") do
  local num, suf = w:lower():match("^([%d%.]+)([km]?)$")
  if not num then io.stderr:write("bench-scale: bad size " .. w .. "\n"); os.exit(2) end
  local n = tonumber(num) * (suf == "k" and 1e3 or suf == "m" and 1e6 or 1)
  local copies = math.max(1, math.floor(n / per_copy + 0.5))
  sizes[#sizes + 1] = { label = w, copies = copies }
end
local maxc = 0
for _, s in ipairs(sizes) do maxc = math.max(maxc, s.copies) end

local cpuinfo = read_file("/proc/cpuinfo")
out("arxivdigest scale benchmark (make bench-scale)")
out(fmt("machine   %s, %d cores, %.0f GiB RAM (%.1f GiB available at start), %s",
  cpuinfo:match("model name%s*:%s*([^\n]+)") or "unknown CPU", tonumber(sh("nproc")) or 0,
  meminfo("MemTotal") / 2^30, meminfo("MemAvailable") / 2^30, (sh("uname -sr"):gsub("%s+$", ""))))
-- fresh memory (bench/firsttouch.c): new pages written, against pages
-- already mapped; what a build or an update pays for each GB it writes anew
do
  local cc = os.getenv("CC") or "cc"
  local ok = os.execute("mkdir -p " .. shq(BASE))
    and os.execute(cc .. " -O2 -o " .. BASE .. "/firsttouch bench/firsttouch.c 2>/dev/null")
  local r = ok and sh(BASE .. "/firsttouch") or ""
  local fresh, again = r:match("^(%S+) (%S+)")
  if fresh then
    out(fmt("memory    new pages written at %.2f GB/s (1 GiB, first touch), the same pages again at %.1f GB/s",
      tonumber(fresh), tonumber(again)))
  else
    out("memory    (bench/firsttouch.c could not be built or run)")
  end
end
out(fmt("commit    %s", (sh("git rev-parse --short HEAD 2>/dev/null"):gsub("%s+$", ""))))
out(fmt("corpus    copies of all ten real cs.CV years (%d papers, %d files a copy), ids rewritten;"
  .. " sizes %s = %s copies", per_copy, #mp.files, opt.sizes,
  table.concat((function() local t = {} for i, s in ipairs(sizes) do t[i] = s.copies end return t end)(), "/")))
out("")

local t0 = now()
local okg, gerr = pcall(gen.generate, nil, CORPUS, maxc, log)
if not okg then io.stderr:write("bench-scale: corpus: ", tostring(gerr), "\n"); os.exit(1) end
log(fmt("bench-scale: corpus of %d copies ready (%.0f s)", maxc, now() - t0))

-- the new day of the update: the last source file, as copy `copies` (new ids)
local last = mp.files[#mp.files]
local last_text = read_file(last.path)

local function run_stage(name, dir, res)
  local w0 = now()
  local cmd = fmt("lua5.4 bench/scale.lua --stage %s %s %s %d", name, shq(dir), shq(ADX), opt.runs)
  local f = io.popen(cmd .. " 2>" .. BASE .. "/stage.err")
  local got = 0
  for line in f:lines() do
    local k, v = line:match("^R (%S+) (.*)$")
    if k then res[k] = tonumber(v) or v; got = got + 1 end
  end
  local ok, _, code = f:close()
  local err = read_file(BASE .. "/stage.err")
  if not ok then
    res["err_" .. name] = first_line(err ~= "" and err or ("exit status " .. tostring(code)
      .. (code == 137 and " (killed: out of memory?)" or "")))
    log(fmt("  %s FAILED: %s", name, res["err_" .. name]))
  else
    log(fmt("  %s done (%.1f s)", name, now() - w0))
  end
  return ok
end

local results = {}
for si, s in ipairs(sizes) do
  local res = { label = s.label, copies = s.copies }
  results[si] = res
  log(fmt("bench-scale: %s = %d copies", s.label, s.copies))
  assert(os.execute("rm -rf " .. shq(VIEW) .. " && mkdir -p " .. shq(VIEW)))
  local links = {}
  for k = 0, s.copies - 1 do links[#links + 1] = shq(CORPUS .. "/copy" .. k) end
  -- hard links: no disk space, and real files (ad.open does not follow links to folders)
  for i = 1, #links, 64 do
    assert(os.execute("cp -al " .. table.concat(links, " ", i, math.min(#links, i + 63)) .. " " .. shq(VIEW)))
  end
  res.bytes, res.files = gen.tree_size(VIEW)
  res.papers = per_copy * s.copies
  -- bring the corpus into the page cache before each stage that reads it
  -- (this VM pages out file pages unused for about a minute: the stages
  -- report how many bytes they still read from the disk)
  local function warm(key)
    local w0 = now()
    os.execute("find " .. shq(VIEW) .. " -name '*.md' -print0 | xargs -0 cat > /dev/null")
    res["warm_" .. key] = res.bytes / (now() - w0)
  end
  res.avail = meminfo("MemAvailable")
  warm("open")
  run_stage("open", VIEW, res)
  if res.avail < 2.6 * res.bytes then
    log(fmt("  only %.1f GB available: index from the Collection skipped", res.avail / 1e9))
    res.err_index_coll = fmt("skipped: %.1f GB available", res.avail / 1e9)
  else
    warm("icoll")
    run_stage("index_coll", VIEW, res)
  end
  warm("ipath")
  run_stage("index_path", VIEW, res)
  warm("ipath1")
  run_stage("index_path1", VIEW, res)
  if not res.err_index_path then
    run_stage("load_query", VIEW, res)
    -- one new day's file: the last source day as copy `copies` (papers no copy has)
    local rel = "copy" .. s.copies .. "/" .. last.rel
    local newf = VIEW .. "/" .. rel
    assert(os.execute("mkdir -p " .. shq(newf:match("^(.*)/"))))
    local text, n = mp:rewrite(last_text, s.copies, last.path)
    local f = assert(io.open(newf, "wb"))
    f:write(text)
    f:close()
    res.update_file = fmt("%s (%d papers, %d bytes)", rel, n // 2, #text)
    run_stage("update", VIEW, res)
    run_stage("recommend", VIEW, res)
  end
  os.remove(ADX)
end
if not opt.keep then os.execute("rm -rf " .. shq(VIEW)) end

---------------------------------------------------------------- the table
local function median(t) return t[(#t + 1) // 2] end
-- the query figures of one series: "q" (threads = 1, CPU) or "qw" (the
-- default threads, wall), as r[pre .. "_p50"] and the like
local function query_stats(r, pre)
  local all, worst, worst_q, worst_max = {}, 0, nil, 0
  local nq, failed = 0, 0
  for i, q in ipairs(QUERIES) do
    local v = r[pre .. i]
    if type(v) == "string" or type(v) == "number" then
      local s = {}
      for x in tostring(v):gmatch("[^,]+") do s[#s + 1] = tonumber(x) end
      table.sort(s)
      for _, x in ipairs(s) do all[#all + 1] = x end
      local p50 = median(s)
      r[pre .. "p50_" .. i] = p50
      if p50 > worst then worst, worst_q = p50, q[1] end
      worst_max = math.max(worst_max, s[#s])
      nq = nq + 1
    elseif r["qerr" .. i] then
      failed = failed + 1
    end
  end
  if #all > 0 then
    table.sort(all)
    r[pre .. "_p50"] = median(all)
    r[pre .. "_p99"] = all[math.max(1, math.ceil(0.99 * #all))]
    r[pre .. "_worst"], r[pre .. "_worst_name"], r[pre .. "_max"] = worst, worst_q, worst_max
    r.q_n, r.q_failed = nq, failed
  end
end
for _, r in ipairs(results) do
  query_stats(r, "q")
  query_stats(r, "qw")
end

local function ms(v) if not v then return nil end
  v = v * 1e3
  if v < 1 then return fmt("%.3f ms", v) end
  if v < 100 then return fmt("%.1f ms", v) end
  return fmt("%.0f ms", v)
end
local function secs(v) return v and fmt("%.2f s", v) or nil end
local function gb(v) return v and fmt("%.2f GB", v / 1e9) or nil end
local function mbs(v) return v and fmt("%.0f MB", v / 1e6) or nil end
local function x(v) return v and fmt("%.2fx", v) or nil end

-- rows: label, value function (number), format, target { text, test(value) }
local ROWS = {
  { "records (ad.open)", function(r) return r.records or r.papers end, function(v) return fmt("%d", v) end },
  { "papers in the index (distinct ids)", function(r) return r.ix_papers end, function(v) return fmt("%d", v) end },
  { "terms in the index", function(r) return r.ix_terms end, function(v) return fmt("%d", v) end },
  { "corpus bytes", function(r) return r.bytes end, mbs },
  { "ad.open, default threads (wall)", function(r) return r.open_wall end, secs },
  { "ad.open speed", function(r) return r.open_wall and r.bytes / r.open_wall end,
    function(v) return fmt("%.2f GB/s", v / 1e9) end, { ">= 1 GB/s", function(v) return v >= 1e9 end } },
  { "  read from the disk (first ad.open)", function(r) return r.open_disk end, mbs },
  { "  page-cache warm-up before it (cat)", function(r) return r.warm_open end,
    function(v) return fmt("%.0f MB/s", v / 1e6) end },
  { "ad.open threads=1 (wall)", function(r) return r.open1_wall end, secs },
  { "ad.open peak RSS", function(r) return r.open_peak end, gb },
  { "ad.index(Collection), default (wall)", function(r) return r.icoll_wall end, secs },
  { "ad.index(Collection), threads=1 (wall)", function(r) return r.icoll1_wall end, secs },
  { "open + index(Collection) peak RSS", function(r) return r.icoll_peak end, gb },
  { "ad.index(path), default (wall)", function(r) return r.ipath_wall end, secs,
    { "<= 20 s", function(v) return v <= 20 end } },
  { "ad.index(path), default (CPU)", function(r) return r.ipath_cpu end, secs },
  { "  read from the disk", function(r) return r.ipath_disk end, mbs },
  { "ad.index(path), threads=1 (wall)", function(r) return r.ipath1_wall end, secs },
  { "ad.index(path) peak RSS", function(r) return r.ipath_peak end, gb },
  { "  peak RSS / corpus bytes", function(r) return r.ipath_peak and r.ipath_peak / r.bytes end, x,
    { "<= 1.3x", function(v) return v <= 1.3 end } },
  { "  RSS kept after the build", function(r) return r.ipath_kept end, gb },
  { "ad.index(path) threads=1 peak RSS", function(r) return r.ipath1_peak end, gb },
  { "idx:save (wall)", function(r) return r.save_wall end, secs },
  { "saved index", function(r) return r.save_bytes end, mbs },
  { "  saved index / corpus bytes", function(r) return r.save_bytes and r.save_bytes / r.bytes end, x },
  { "ad.load, first in a fresh process", function(r) return r.load_first end, ms,
    { "< 20 ms", function(v) return v < 0.02 end } },
  { "ad.load, best of 3 more", function(r) return r.load_best end, ms },
  { "query p50, default threads (wall)", function(r) return r.qw_p50 end, ms,
    { "< 0.2 ms", function(v) return v < 0.0002 end } },
  { "query p99, default threads (wall)", function(r) return r.qw_p99 end, ms },
  { "slowest query's p50, default threads (wall)", function(r) return r.qw_worst end, ms,
    { "< 1 ms (every query)", function(v) return v < 0.001 end } },
  { "slowest single run, default threads (wall)", function(r) return r.qw_max end, ms },
  { "query p50, threads=1 (CPU)", function(r) return r.q_p50 end, ms },
  { "query p99, threads=1 (CPU)", function(r) return r.q_p99 end, ms },
  { "slowest query's p50, threads=1 (CPU)", function(r) return r.q_worst end, ms },
  { "slowest single run, threads=1 (CPU)", function(r) return r.q_max end, ms },
  { "idx:update, one new day's file (wall)", function(r) return r.update_wall end, secs,
    { "< 2 s", function(v) return v < 2 end } },
  { "idx:update peak RSS", function(r) return r.update_peak end, gb },
  { "recommend: model of the index (once)", function(r) return r.recommend_model end, secs },
  { "recommend per library, one day", function(r) return r.recommend_day end, ms },
  { "recommend per library, whole archive", function(r) return r.recommend_all end, ms },
}

local W = 22
local head = { fmt("%-40s", "figure") }
for _, r in ipairs(results) do head[#head + 1] = fmt("%" .. W .. "s", r.label .. " (" .. r.copies .. " copies)") end
head[#head + 1] = "   issue-15 target (at " .. results[#results].label .. ")"
out(table.concat(head, " "))
local base = results[1]
for _, row in ipairs(ROWS) do
  local cells = { fmt("%-40s", row[1]) }
  local lastv
  for i, r in ipairs(results) do
    local v = row[2](r)
    local s = v and row[3](v) or "n/a"
    if v and i > 1 then
      local b = row[2](base)
      if b and b ~= 0 then s = s .. fmt(" (x%.1f)", v / b) end
    end
    cells[#cells + 1] = fmt("%" .. W .. "s", s)
    lastv = v
  end
  if row[4] then
    local verdict = lastv == nil and "n/a" or (row[4][2](lastv) and "MET" or "NOT MET")
    cells[#cells + 1] = fmt("   %-22s %s", row[4][1], verdict)
  end
  out(table.concat(cells, " "))
end
out("")
do
  local t = {}
  for i = 2, #results do t[#t + 1] = fmt("x%.1f", results[i].copies / base.copies) end
  out("(xN) = growth against the first size; papers grow " .. table.concat(t, ", "))
end
for _, r in ipairs(results) do
  if r.q_worst_name then
    out(fmt("%s: slowest query %s (p50 %s wall, default threads; threads=1: %s, p50 %s CPU); "
      .. "%d queries x %d runs each way%s; update added %s", r.label, r.qw_worst_name or "n/a",
      ms(r.qw_worst) or "n/a", r.q_worst_name, ms(r.q_worst), r.q_n, opt.runs,
      r.q_failed > 0 and fmt(", %d failed", r.q_failed) or "", r.update_file or "n/a"))
  end
  if r.update_read then out(fmt("  update read %d file(s)", r.update_read)) end
  for k, v in pairs(r) do
    if k:match("^err_") then out(fmt("  %s %s: %s", r.label, k:sub(5), v)) end
  end
  if r.recommend_libs then
    out(fmt("  recommend: %d libraries of 50 papers (top 50 of a topic query); one day = %d candidates",
      r.recommend_libs, r.recommend_day_candidates or -1))
  end
end
-- per-query p50 at each size
out("")
local qh = { fmt("%-40s", "query p50 (top 10)") }
for _, r in ipairs(results) do
  qh[#qh + 1] = fmt("%12s %12s", r.label .. " t=1", r.label .. " wall")
end
out(table.concat(qh, " "))
for i, q in ipairs(QUERIES) do
  local cells = { fmt("%-40s", q[1]) }
  for _, r in ipairs(results) do
    cells[#cells + 1] = fmt("%12s %12s", ms(r["qp50_" .. i]) or "n/a", ms(r["qwp50_" .. i]) or "n/a")
  end
  out(table.concat(cells, " "))
end
-- the build's stages: which run on several threads (open: up to 64;
-- tokenize and encode: up to 8), and what more cores could give at best
out("")
local STAGES = { "open", "prepare", "tokenize", "encode", "files" }
local PAR = { open = 64, tokenize = 8, encode = 8 }
for _, r in ipairs(results) do
  if r.ipath1_bt_open_cpu then
    local cells, serial, par = {}, 0, {}
    for _, k in ipairs(STAGES) do
      local c1 = r["ipath1_bt_" .. k .. "_cpu"]
      cells[#cells + 1] = fmt("%s %.1f s (%.1f s with default threads)", k, c1, r["ipath_bt_" .. k .. "_wall"] or 0)
      if PAR[k] then par[k] = c1 else serial = serial + c1 end
    end
    -- what the stages do not cover (Lua, the Index object) counts as serial
    local staged = 0
    for _, k in ipairs(STAGES) do staged = staged + r["ipath1_bt_" .. k .. "_wall"] end
    serial = serial + math.max(0, r.ipath1_wall - staged)
    out(fmt("%s: ad.index(path) stages, threads=1 CPU: %s", r.label, table.concat(cells, ", ")))
    local proj = {}
    for _, n in ipairs({ 2, 4, 8, 16 }) do
      local t = serial
      for k, c1 in pairs(par) do t = t + c1 / math.min(n, PAR[k]) end
      proj[#proj + 1] = fmt("%d cores %.1f s", n, t)
    end
    out(fmt("  serial part %.1f s; with perfect scaling of the threaded stages: %s (measured here, %s cores: %.1f s)",
      serial, table.concat(proj, ", "), sh("nproc"):gsub("%s+$", ""), r.ipath_wall or 0))
  end
end
out("")
out(fmt("bench-scale took %.0f s wall", now() - wall0))
