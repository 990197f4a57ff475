-- bench/run.lua: `make bench`.  From one run, prints each figure of the core
-- and index issues beside its baselines (Lua patterns, LPeg, SQLite FTS5,
-- `wc -l`), the target it must meet and whether it was met.
--
--   lua5.4 bench/run.lua [--copies N] [--corpus DIR] [--runs N]
--
-- --copies 4 (the default) is the realistic corpus of bench/gen_corpus.lua:
-- 4 copies of all ten real cs.CV years (203,548 papers, 344.5 MB);
-- --copies 1 is the real years once (50,887 papers, 86 MB), to try it out.
-- Times are CPU seconds of this process (os.clock: user + system), which on
-- a shared machine are steadier than wall time; everything measured here is
-- single-threaded and runs in this process (SQLite through LuaSQL), except
-- `wc -l`, whose CPU time is read from the shell's `time`, and ad.open and
-- ad.index, which work on several threads by default: their CPU time is the
-- sum over their threads, so their default figures are wall time (lua-system's
-- monotonic clock), printed beside a threads = 1 figure (CPU time, as before).

-- BENCH_LPATH / BENCH_CPATH replace the in-tree lua/ and build/, and BENCH_BIN
-- the command bin/arxivdigest (to bench another build, e.g. a baseline checkout)
package.path = (os.getenv("BENCH_LPATH") or "lua/?.lua;lua/?/init.lua") .. ";" .. package.path
package.cpath = (os.getenv("BENCH_CPATH") or "build/?.so") .. ";" .. package.cpath

local io, os, string, table, math = io, os, string, table, math
local ipairs, pcall, type, tostring, tonumber, select, error, collectgarbage =
  ipairs, pcall, type, tostring, tonumber, select, error, collectgarbage
local clock = os.clock
local fmt = string.format
local C = dofile("bench/common.lua")
local sh, read_file, file_size, shq = C.sh, C.read_file, C.file_size, C.shq
-- a monotonic wall clock (lua-system, a dependency of busted), for ad.open's threads
local has_system, system = pcall(require, "system")
local now = has_system and system.monotime or nil

local gen = dofile("bench/gen_corpus.lua")
local B_pat = dofile("bench/baseline_patterns.lua")
local B_lpeg = dofile("bench/baseline_lpeg.lua")
local F = dofile("bench/fts5.lua")
local QUERIES = dofile("bench/queries.lua")

---------------------------------------------------------------- options
local opt = { copies = 4, runs = 30, fts_runs = 5 }
do
  local i = 1
  while i <= #arg do
    local a, v = arg[i], arg[i + 1]
    if a == "--copies" then opt.copies = tonumber(v)
    elseif a == "--corpus" then opt.corpus = v
    elseif a == "--runs" then opt.runs = tonumber(v)
    else io.stderr:write("usage: lua5.4 bench/run.lua [--copies N] [--corpus DIR] [--runs N]\n"); os.exit(2) end
    i = i + 2
  end
end
opt.corpus = opt.corpus or (opt.copies == 4 and "bench/out/corpus" or ("bench/out/corpus-" .. opt.copies))

-- The paper fields the baselines build (the core's data fields).
local FIELDS = { "id", "version", "title", "authors", "abstract", "categories", "primary_category",
  "pdf_url", "abs_url", "doi", "comment", "journal", "published", "updated", "date" }

---------------------------------------------------------------- helpers



local function rss()
  local s = read_file("/proc/self/status")
  return (tonumber(s:match("VmRSS:%s*(%d+)")) or 0) * 1024
end

local function mb(bytes) return bytes / 1e6 end

local function ms(s)
  if s == nil then return "n/a" end
  local v = s * 1e3
  if v < 1 then return fmt("%.3f ms", v) end
  if v < 100 then return fmt("%.1f ms", v) end
  return fmt("%.0f ms", v)
end

local function secs(s) return s and fmt("%.2f s", s) or "n/a" end

local function rate(x)
  if x >= 100 then return fmt("%.0f", x) end
  if x >= 10 then return fmt("%.1f", x) end
  return fmt("%.2f", x)
end

local function ratio(a, b)  -- "(N.Nx)" = a / b
  if not a or not b or b == 0 then return "" end
  return "(" .. rate(a / b) .. "x)"
end

-- An error message on one line (without a traceback), at most 140 characters.
local function first_line(msg)
  local m = tostring(msg):gsub("\nstack traceback:.*", ""):gsub("%s*\n%s*", " ")
  if #m > 140 then m = m:sub(1, 137) .. "..." end
  return m
end

local function percentile(sorted, p)
  if #sorted == 0 then return nil end
  local k = math.max(1, math.ceil(p * #sorted))
  return sorted[k]
end

local function sorted_copy(t)
  local c = {}
  for i = 1, #t do c[i] = t[i] end
  table.sort(c)
  return c
end

local function same(a, b)
  if type(a) == "table" and type(b) == "table" then
    if #a ~= #b then return false end
    for i = 1, #a do if a[i] ~= b[i] then return false end end
    return true
  end
  return a == b
end

local function show(v)
  if type(v) == "table" then return "{" .. table.concat(v, ", ") .. "}" end
  if type(v) == "string" and #v > 60 then return fmt("%q...", v:sub(1, 60)) end
  return type(v) == "string" and fmt("%q", v) or tostring(v)
end

-- Each target: figure name, description, and met = true/false/nil (n/a).
local targets = {}
local function target(name, want, got, met)
  targets[#targets + 1] = { name = name, want = want, got = got, met = met }
end

local function out(...) io.write(...); io.write("\n"); io.flush() end

---------------------------------------------------------------- machine
local wall0 = os.time()
local cpuinfo = read_file("/proc/cpuinfo")
local cpu = cpuinfo:match("model name%s*:%s*([^\n]+)") or "unknown CPU"
local cores = select(2, cpuinfo:gsub("\nprocessor%s*:", "")) + (cpuinfo:match("^processor") and 1 or 0)
local memtotal = tonumber(read_file("/proc/meminfo"):match("MemTotal:%s*(%d+)")) or 0
local lpeg = require "lpeg"
local drv = F.driver()

out("arxivdigest benchmark (make bench)")
out(fmt("machine   %s, %d cores, %.0f GiB RAM, %s", cpu, cores, memtotal / 1048576,
  (sh("uname -sr"):gsub("%s+$", ""))))
out(fmt("software  %s, LPeg %s, SQLite %s (LuaSQL)", _VERSION, lpeg.version(),
  drv and (function()
    local env = drv.sqlite3(); local con = env:connect(":memory:")
    local cur = con:execute("SELECT sqlite_version()"); local v = cur:fetch(); cur:close()
    con:close(); env:close(); return v
  end)() or "missing"))

---------------------------------------------------------------- corpus
local ok, dir, total = pcall(gen.generate, nil, opt.corpus, opt.copies, function() end)
if not ok then io.stderr:write("bench: corpus: ", tostring(dir), "\n"); os.exit(1) end
local files = {}
for line in io.popen("find " .. dir .. " -type f -name '*.md' | LC_ALL=C sort"):lines() do
  files[#files + 1] = line
end
out(fmt("corpus    %s: %d files, %.1f MB (%d x all ten real cs.CV years 2009..2022, ids rewritten)",
  dir, #files, mb(total), opt.copies))

---------------------------------------------------------------- wc -l ceiling
local wc_cpu, wc_wall
do
  -- wc reads the files itself (--files0-from): no find/xargs/cat in the timing
  local list = "bench/out/files0.lst"
  local f = assert(io.open(list, "wb"))
  f:write(table.concat(files, "\0"), "\0")
  f:close()
  local cmd = "bash -c 'TIMEFORMAT=\"%R %U %S\"; time wc -l --files0-from=" .. list .. " >/dev/null' 2>&1"
  sh(cmd)  -- once to bring the corpus into the page cache
  for _ = 1, 3 do  -- best of 3
    local r, u, s = sh(cmd):match("([%d.]+) ([%d.]+) ([%d.]+)%s*$")
    local t = tonumber(u) + tonumber(s)
    if t == 0 then t = tonumber(r) end
    if not wc_cpu or t < wc_cpu then wc_cpu, wc_wall = t, tonumber(r) end
  end
end
out(fmt("ceiling   wc -l %s MB/s (%.3f s CPU, %.3f s wall)", rate(mb(total) / wc_cpu), wc_cpu, wc_wall))
out("times are CPU seconds of this process (os.clock), best of 2 for parsing; MB = 10^6 bytes")
out("ad.open and ad.index on several threads are timed in wall seconds (the CPU time of threads adds up)")
out("")

---------------------------------------------------------------- ad (guarded)
local ad_ok, ad = pcall(require, "arxivdigest")
local ad_err = not ad_ok and first_line(ad) or nil
if not ad_ok then ad = nil end

---------------------------------------------------------------- sanity check
do
  local sample = {}
  local step = math.max(1, #files // 6)
  for i = 1, #files, step do sample[#sample + 1] = files[i] end
  sample[#sample + 1] = files[#files]
  local nrec, ad_diff, ad_note = 0, 0, nil
  for _, path in ipairs(sample) do
    local text = read_file(path)
    local a, b = B_pat.parse(text, path), B_lpeg.parse(text, path)
    if #a ~= #b then error(fmt("sanity: %s: patterns %d records, lpeg %d", path, #a, #b)) end
    for i = 1, #a do
      for _, k in ipairs(FIELDS) do
        if not same(a[i][k], b[i][k]) then
          error(fmt("sanity: %s record %d field %s: patterns %s, lpeg %s", path, i, k, show(a[i][k]), show(b[i][k])))
        end
      end
    end
    nrec = nrec + #a
    if ad and ad.parse then
      local c = ad.parse(text, path)
      if #c ~= #b then
        ad_diff = ad_diff + 1
        ad_note = ad_note or fmt("%s: ad %d records, lpeg %d", path, #c, #b)
      else
        for i = 1, #b do
          local p = c[i]
          for _, k in ipairs(FIELDS) do
            local v = p[k]
            if not same(v, b[i][k]) then
              ad_diff = ad_diff + 1
              ad_note = ad_note or fmt("%s record %d field %s: ad %s, lpeg %s", path, i, k, show(v), show(b[i][k]))
            end
          end
        end
      end
    end
  end
  out(fmt("sanity    %d files, %d records: patterns and lpeg baselines give the same records (all %d fields)",
    #sample, nrec, #FIELDS))
  if ad and ad.parse then
    out(fmt("          ad.parse agrees with them: %s", ad_diff == 0 and "yes, every field"
      or (ad_diff .. " differences, first: " .. ad_note)))
  end
end

---------------------------------------------------------------- ad.open
-- Best of 2 (like the baselines) with threads = 1, timed in CPU seconds as
-- always (open_t), then best of 2 with the default thread count, timed in
-- wall seconds (par_t; its CPU time par_cpu); the last collection is kept.
local c, open_t, mem, rss_delta, read_t, ad_values
local par_t, par_cpu, par_threads, open1_wall
if ad then
  local okc, res, why
  local function run(opts)
    res, c = nil, nil  -- luacheck: ignore (frees the previous run's collection)
    collectgarbage()
    collectgarbage()
    local r0 = rss()
    local w0, t0 = now and now(), clock()
    okc, res, why = pcall(ad.open, dir, opts)
    local t, w = clock() - t0, now and (now() - w0)
    rss_delta = rss() - r0
    return t, w
  end
  for _ = 1, 2 do
    local t, w = run({ threads = 1 })
    if not (okc and res) then break end
    if not open_t or t < open_t then open_t, open1_wall = t, w end
  end
  for _ = 1, 2 do
    if not (okc and res) or not now then break end
    local t, w = run(nil)
    if not (okc and res) then break end
    if not par_t or w < par_t then
      par_t, par_cpu = w, t
      par_threads = type(res._threads) == "function" and res:_threads() or nil
    end
  end
  if okc and res then
    c = res
    mem = type(c.memory) == "function" and c:memory() or nil
    local t1 = clock()
    local n = 0
    for p in c:papers() do
      for j = 1, #FIELDS do
        local v = p[FIELDS[j]]
        if type(v) == "table" then n = n + #v elseif v ~= nil then n = n + 1 end
      end
    end
    read_t, ad_values = clock() - t1, n
  else
    ad_err = first_line(okc and why or res)
  end
end


---------------------------------------------------------------- queries
-- Time fn() `runs` times after one warm-up; returns the sorted samples.
local function sample(fn, runs)
  fn()
  local s = {}
  for i = 1, runs do
    local t0 = clock()
    fn()
    s[i] = clock() - t0
  end
  table.sort(s)
  return s
end

-- ad.index: threads = 1 in CPU seconds (build1_t), then the default (two
-- threads on a multi-core machine) in wall seconds (build_t; its CPU time
-- build_cpu); the second index is kept
local idx, build_t, build_cpu, build1_t, idx_err
if c then
  collectgarbage()
  local t0 = clock()
  local oki, res = pcall(ad.index, c, { threads = 1 })
  build1_t = clock() - t0
  if oki and res then
    res:close()
    res = nil  -- luacheck: ignore
    collectgarbage()
    local w0 = now and now()
    t0 = clock()
    oki, res = pcall(ad.index, c)
    build_cpu = clock() - t0
    build_t = now and now() - w0 or build_cpu
  end
  if oki and res then idx = res else idx_err = first_line(res) end
else
  idx_err = ad_err or "ad.open not available"
end

local ad_q = {}
if idx then
  for i, q in ipairs(QUERIES) do
    local okq, hits = pcall(idx.search, idx, q[1], { limit = 10 })
    if okq then
      local okc2, cnt = pcall(idx.count, idx, q[1])
      -- one thread, as FTS5 (CPU time): a costly search may be shared by
      -- the cores (make bench-scale times that, wall)
      ad_q[i] = { samples = sample(function() idx:search(q[1], { limit = 10, threads = 1 }) end,
        opt.runs),
        rows = #hits, count = okc2 and cnt or nil }
    else
      ad_q[i] = { err = first_line(hits) }
    end
  end
end

-- index build

---------------------------------------------------------------- parse baselines
local function count_values(p, n)
  for j = 1, #FIELDS do
    local v = p[FIELDS[j]]
    if type(v) == "table" then n = n + #v elseif v ~= nil then n = n + 1 end
  end
  return n
end

-- Streamed: each file is parsed into its paper tables, whose fields are then
-- all read (when `read`), and the tables are dropped before the next file.
-- This is each baseline at its fastest (a small Lua heap), so the ratios
-- printed against it are the conservative ones.  Best of 2 runs.
local function stream(B, read)
  local best
  for _ = 1, 2 do
    collectgarbage()
    collectgarbage()
    local parse_t, rd_t, n, values, wall = 0, 0, 0, 0, 0
    for _, path in ipairs(files) do
      local w0 = now and now()
      local t0 = clock()
      local f = io.open(path, "rb")
      local text = f:read("a")
      f:close()
      local recs = B.parse(text, path)
      local t1 = clock()
      if now then wall = wall + (now() - w0) end
      parse_t = parse_t + (t1 - t0)
      n = n + #recs
      if read then
        for i = 1, #recs do values = count_values(recs[i], values) end
        rd_t = rd_t + (clock() - t1)
      end
    end
    if not best or parse_t + rd_t < best.parse + best.read then
      best = { parse = parse_t, read = rd_t, n = n, values = values, wall = now and wall }
    end
  end
  return best
end

-- Kept: every paper table of the corpus alive at the end, as ad.open keeps
-- every record; gives the heap the tables take (and the rows for FTS5).
local function keep_all(B)
  collectgarbage()
  collectgarbage()
  local m0 = collectgarbage("count")
  local t0 = clock()
  local papers, n = {}, 0
  for _, path in ipairs(files) do
    local f = io.open(path, "rb")
    local text = f:read("a")
    f:close()
    local recs = B.parse(text, path)
    for i = 1, #recs do n = n + 1; papers[n] = recs[i] end
  end
  local t = clock() - t0
  local t1 = clock()
  local values = 0
  for i = 1, n do values = count_values(papers[i], values) end
  local rd_t = clock() - t1
  collectgarbage()
  collectgarbage()
  return papers, t, rd_t, (collectgarbage("count") - m0) * 1024, values
end

local pat = stream(B_pat, false)
local lp = stream(B_lpeg, true)
local pat_t, lpeg_t, lpeg_read_t, lpeg_values, n_papers = pat.parse, lp.parse, lp.read, lp.values, lp.n
local lpeg_wall = lp.wall
local lpeg_papers, lpeg_keep_t, lpeg_keep_read_t, lpeg_mem = keep_all(B_lpeg)
out(fmt("baselines patterns %s MB/s (%.2f s), lpeg %s MB/s (%.2f s) streamed; lpeg keeping all tables %s MB/s (%.2f s)",
  rate(mb(total) / pat_t), pat_t, rate(mb(total) / lpeg_t), lpeg_t, rate(mb(total) / lpeg_keep_t), lpeg_keep_t))
out(fmt("          %d papers (patterns: %d, lpeg kept: %d)", n_papers, pat.n, #lpeg_papers))

---------------------------------------------------------------- FTS5 build
local db, fts_load_t, fts_build_t, fts_opt_t, fts_idx_bytes, fts_file_bytes
if drv then
  db = assert(F.open("bench/out/fts5.db"))
  fts_load_t = db:load(lpeg_papers)
  fts_build_t, fts_opt_t = db:build()
  fts_idx_bytes, fts_file_bytes = db:sizes()
  out(fmt("fts5      rows inserted in %.2f s; FTS5 'rebuild' %.2f s + 'optimize' %.2f s; index %.1f MB, file %.1f MB",
    fts_load_t, fts_build_t, fts_opt_t, mb(fts_idx_bytes or 0), mb(fts_file_bytes or 0)))
else
  out("fts5      n/a (" .. select(2, F.driver()) .. ")")
end
lpeg_papers = nil  -- luacheck: ignore
collectgarbage()
collectgarbage()

local fts_q = {}
if db then
  for i, q in ipairs(QUERIES) do
    local sql = db:sql_for(q[2], q[3])
    local t0 = clock()
    local rows = db:top10(sql)
    local first = clock() - t0
    local runs = first > 0.05 and 3 or opt.fts_runs
    fts_q[i] = { samples = sample(function() db:top10(sql) end, runs), rows = #rows,
      count = db:count(q[2], q[3]) }
  end
end

out("")
local function na(why) return "n/a (" .. (why or "not available") .. ")" end

-- parse: the default (threaded) ad.open in wall seconds, and ad.open with
-- threads = 1 in CPU seconds, both against the same LPeg run (its CPU time;
-- its wall time, never lower for one thread, is printed too)
if c then
  local r1 = mb(total) / open_t
  local r, t = r1, open_t
  if par_t then
    r, t = mb(total) / par_t, par_t
    out(fmt("parse     ad.open %s MB/s with %s threads (%.3f s wall, %.3f s CPU, %d papers) %s lpeg"
      .. " | ad.open threads=1 %s MB/s (%.3f s CPU, %.3f s wall) %s lpeg",
      rate(r), tostring(par_threads or "?"), par_t, par_cpu, #c, ratio(lpeg_t, par_t),
      rate(r1), open_t, open1_wall or 0, ratio(lpeg_t, open_t)))
    out(fmt("          lpeg %s MB/s (%.2f s CPU, %s wall) | patterns %s MB/s %s | wc -l %s MB/s %s"
      .. " (ratios: against threads=1)",
      rate(mb(total) / lpeg_t), lpeg_t, lpeg_wall and fmt("%.2f s", lpeg_wall) or "n/a",
      rate(mb(total) / pat_t), ratio(pat_t, open_t), rate(mb(total) / wc_cpu), ratio(wc_cpu, open_t)))
  else
    out(fmt("parse     ad.open %s MB/s (%.3f s, %d papers) | lpeg %s MB/s %s | patterns %s MB/s %s | wc -l %s MB/s %s",
      rate(r), open_t, #c, rate(mb(total) / lpeg_t), ratio(lpeg_t, open_t), rate(mb(total) / pat_t),
      ratio(pat_t, open_t), rate(mb(total) / wc_cpu), ratio(wc_cpu, open_t)))
    out("          (no wall clock: lua-system is missing; ad.open timed with threads = 1 only)")
  end
  if #c ~= n_papers then out(fmt("          WARNING: ad.open found %d papers, the baselines %d", #c, n_papers)) end
  target("parse", ">= 1000 MB/s and >= 10x lpeg",
    fmt("%s MB/s, %sx lpeg (%s threads); 1 thread %s MB/s, %sx", rate(r), rate(lpeg_t / t),
      tostring(par_threads or 1), rate(r1), rate(lpeg_t / open_t)),
    r >= 1000 and lpeg_t / t >= 10)
else
  out(fmt("parse     ad.open %s | lpeg %s MB/s | patterns %s MB/s | wc -l %s MB/s", na(ad_err),
    rate(mb(total) / lpeg_t), rate(mb(total) / pat_t), rate(mb(total) / wc_cpu)))
  target("parse", ">= 1000 MB/s and >= 10x lpeg", "n/a", nil)
end

-- every field
local lpeg_fields_t = lpeg_t + lpeg_read_t
local lpeg_keep_fields_t = lpeg_keep_t + lpeg_keep_read_t
if c then
  local ad_fields_t = open_t + read_t
  out(fmt("fields    ad.open threads=1 + read all %.2f s (read %.2f s) | lpeg tables + read all %.2f s (read %.2f s) %s"
    .. " | lpeg keeping all tables %.2f s %s",
    ad_fields_t, read_t, lpeg_fields_t, lpeg_read_t, ratio(lpeg_fields_t, ad_fields_t),
    lpeg_keep_fields_t, ratio(lpeg_keep_fields_t, ad_fields_t)))
  if ad_values ~= lpeg_values then
    out(fmt("          WARNING: ad read %d values, lpeg %d", ad_values, lpeg_values))
  end
  target("fields", ">= 3x lpeg", fmt("%sx", rate(lpeg_fields_t / ad_fields_t)), lpeg_fields_t / ad_fields_t >= 3)
else
  out(fmt("fields    ad %s | lpeg tables + read all %.2f s", na(ad_err), lpeg_fields_t))
  target("fields", ">= 3x lpeg", "n/a", nil)
end

-- memory
if c then
  local over, how
  if mem then
    over, how = mem.overhead, fmt("c:memory(): text %.1f MB + overhead", mb(mem.text))
  else
    over, how = math.max(0, rss_delta - total), "RSS delta minus the text"
  end
  out(fmt("memory    ad overhead %.1f MB = %sx corpus [%s; process RSS grew %.1f MB]"
    .. " | lpeg tables %.1f MB = %sx corpus",
    mb(over), rate(over / total), how, mb(rss_delta), mb(lpeg_mem), rate(lpeg_mem / total)))
  target("memory", "<= 0.3x corpus", fmt("%sx", rate(over / total)), over / total <= 0.3)
else
  out(fmt("memory    ad %s | lpeg tables %.1f MB = %sx corpus", na(ad_err), mb(lpeg_mem), rate(lpeg_mem / total)))
  target("memory", "<= 0.3x corpus", "n/a", nil)
end

if idx then
  out(fmt("index     ad.index %.2f s %s (%.2f s CPU) %s fts5 | threads=1 %.2f s CPU %s fts5 | fts5 %s",
    build_t, now and "wall" or "CPU", build_cpu, ratio(fts_build_t, build_t), build1_t,
    ratio(fts_build_t, build1_t), secs(fts_build_t)))
  target("index build", ">= 5x fts5", fts_build_t and fmt("%sx", rate(fts_build_t / build_t)) or "n/a",
    (fts_build_t or nil) and fts_build_t / build_t >= 5)
else
  out(fmt("index     ad.index %s | fts5 %s", na(idx_err), secs(fts_build_t)))
  target("index build", ">= 5x fts5", "n/a", nil)
end

-- per-query table
out("")
out(fmt("%-40s %10s %10s %8s   %7s %7s", "query (top 10)", "ad p50", "fts5 p50", "ratio", "ad hits", "fts5"))
local all_ad, all_fts, worst_ad, slow = {}, {}, 0, 0
for i, q in ipairs(QUERIES) do
  local a, f = ad_q[i], fts_q[i]
  local ap = a and a.samples and percentile(a.samples, 0.5)
  local fp = f and percentile(f.samples, 0.5)
  if a and a.samples then
    for _, v in ipairs(a.samples) do all_ad[#all_ad + 1] = v end
    worst_ad = math.max(worst_ad, percentile(a.samples, 0.99))
    if ap >= 0.001 then slow = slow + 1 end
  end
  if f then for _, v in ipairs(f.samples) do all_fts[#all_fts + 1] = v end end
  local acol = a and (a.err and "error" or ms(ap)) or "n/a"
  out(fmt("%-40s %10s %10s %8s   %7s %7s", q[1], acol, f and ms(fp) or "n/a",
    (ap and fp) and ratio(fp, ap) or "", a and a.count and tostring(a.count) or "",
    f and tostring(f.count) or ""))
  if a and a.err then out("    error: " .. a.err) end
end
all_ad, all_fts = sorted_copy(all_ad), sorted_copy(all_fts)
local ad50, ad99 = percentile(all_ad, 0.5), percentile(all_ad, 0.99)
local f50, f99 = percentile(all_fts, 0.5), percentile(all_fts, 0.99)
out("")
if idx then
  local failed = 0
  for i = 1, #QUERIES do if not (ad_q[i] and ad_q[i].samples) then failed = failed + 1 end end
  out(fmt("query     ad p50 %s p99 %s (%d queries x %d runs) | fts5 p50 %s p99 %s %s",
    ms(ad50), ms(ad99), #QUERIES - failed, opt.runs, ms(f50), ms(f99), ratio(f50, ad50)))
  target("query latency", "every query < 1 ms (its p50)", fmt("%d of %d over 1 ms%s, worst p99 %s", slow,
    #QUERIES, failed > 0 and fmt(", %d failed", failed) or "", ms(worst_ad)), slow == 0 and failed == 0)
  target("query p50", ">= 10x fts5", f50 and ad50 and fmt("%sx", rate(f50 / ad50)) or "n/a",
    (f50 and ad50 or nil) and f50 / ad50 >= 10)
else
  out(fmt("query     ad %s | fts5 p50 %s p99 %s", na(idx_err), ms(f50), ms(f99)))
  target("query latency", "every query < 1 ms (its p50)", "n/a", nil)
  target("query p50", ">= 10x fts5", "n/a", nil)
end

-- save / load
local adx = "bench/out/bench.adx"
if idx then
  os.remove(adx)
  local t0 = clock()
  local oks, r1, r2 = pcall(idx.save, idx, adx)
  local save_t = clock() - t0
  local size = file_size(adx)
  if oks and r1 and size then
    out(fmt("size      saved index %.1f MB = %sx corpus (saved in %.2f s) | fts5 index %s",
      mb(size), rate(size / total), save_t,
      fts_idx_bytes and fmt("%.1f MB = %sx corpus", mb(fts_idx_bytes), rate(fts_idx_bytes / total)) or "n/a"))
    target("index size", "<= 0.5x corpus", fmt("%sx", rate(size / total)), size / total <= 0.5)
    collectgarbage()
    local t1 = clock()
    local okl, idx2, lerr = pcall(ad.load, adx)
    local load_t = clock() - t1
    if okl and idx2 then
      local t2 = clock()
      local okq, hits = pcall(idx2.search, idx2, QUERIES[1][1], { limit = 10 })
      local q_t = clock() - t2
      idx2 = nil  -- luacheck: ignore
      local best = load_t
      for _ = 1, 2 do  -- two more loads: how much of the first one was noise
        collectgarbage()
        local t3 = clock()
        ad.load(adx)  -- the index is garbage at once
        best = math.min(best, clock() - t3)
      end
      out(fmt("load      ad.load %s the first time, best of 3 %s (first query after it %s, %s hits)",
        ms(load_t), ms(best), ms(q_t), okq and tostring(#hits) or "error: " .. first_line(hits)))
      target("load", "< 50 ms (first load)", ms(load_t), load_t < 0.05)
    else
      out("load      ad.load " .. na(first_line(okl and lerr or idx2)))
      target("load", "< 50 ms (first load)", "n/a", nil)
    end
  else
    out("size      idx:save " .. na(first_line(oks and r2 or r1)))
    target("index size", "<= 0.5x corpus", "n/a", nil)
    target("load", "< 50 ms (first load)", "n/a", nil)
  end
else
  out(fmt("size      saved index %s | fts5 index %s", na(idx_err),
    fts_idx_bytes and fmt("%.1f MB = %sx corpus", mb(fts_idx_bytes), rate(fts_idx_bytes / total)) or "n/a"))
  out("load      ad.load " .. na(idx_err))
  target("index size", "<= 0.5x corpus", "n/a", nil)
  target("load", "< 50 ms (first load)", "n/a", nil)
end

-- incremental update of the saved index: one day's file removed, then added
-- back (each reads only what it must; a rebuild is the ad.index figure)
if idx and file_size(adx) then
  local okl, l = pcall(ad.load, adx)
  if okl and l then
    local all = {}
    for i, f in ipairs(files) do all[i] = f end
    table.remove(all, #all // 2)
    local wall = now or clock
    collectgarbage()
    local t0 = wall()
    local ok1, s1 = pcall(l.update, l, all)
    local u1 = wall() - t0
    collectgarbage()
    t0 = wall()
    local ok2, s2 = pcall(l.update, l, dir)
    local u2 = wall() - t0
    if ok1 and s1 and ok2 and s2 then
      out(fmt("update    idx:update, one file removed %.2f s (%d files read) | the file added back %.2f s"
        .. " (%d read) | rebuild (ad.index) %.2f s (%s)", u1, s1.read, u2, s2.read, build_t,
        now and "wall" or "CPU"))
    else
      local why = (not ok1 and s1) or (not s1 and "the removal failed") or (not ok2 and s2)
        or "the addition failed"
      out("update    idx:update " .. na(first_line(why)))
    end
    l:close()
  end
end

if db then db:close() end

---------------------------------------------------------------- pipeline vs direct (issue 10)
-- The same top-3 query three ways: idx:search (the index directly), the
-- pipeline ad.from(idx):query(q):limit(3):collect() in the same process (CPU
-- time, median of several runs), and the command `bin/arxivdigest search`
-- on the saved index (wall time of the whole process, median of 5) beside a
-- Lua process that only loads the saved index and runs idx:search (start-up
-- against start-up).  Target (issue 10): the pipeline within 2x of direct.
local PIPE_QUERIES = { "learning", "image", "segmentation", "detection -survey" }
local BIN = os.getenv("BENCH_BIN") or "bin/arxivdigest"

-- Median wall seconds of `runs` runs of a shell command (after a warm-up run
-- when `warm`), its exit status, and the first line of its stderr when it failed.
local function time_cmd(cmd, runs, cap, warm)
  local errf = "bench/out/cmd.err"
  local full = fmt("timeout %d %s >/dev/null 2>%s", cap or 120, cmd, errf)
  local s, code = {}, nil
  for i = warm and 0 or 1, runs do
    local w0 = now()
    local _, _, st = os.execute(full)
    local w = now() - w0
    code = st
    if st ~= 0 then break end
    if i > 0 then s[#s + 1] = w end
  end
  if code ~= 0 then
    local ef = io.open(errf, "rb")
    local e = ef and ef:read("a") or ""
    if ef then ef:close() end
    return nil, code, first_line(e ~= "" and e or ("exit status " .. tostring(code)))
  end
  table.sort(s)
  return s[(#s + 1) // 2], code
end

-- Median CPU seconds of fn() over runs adapted to its cost (3 to 31 runs).
local function median_cpu(fn)
  local t0 = clock()
  fn()
  local first = clock() - t0
  local runs = first > 0.2 and 3 or first > 0.02 and 7 or 31
  local s = sample(fn, runs)
  return percentile(s, 0.5)
end

if idx and ad.from and now and file_size(adx) then
  out("")
  out("pipeline vs direct (issue 10: within 2x), top 3")
  out(fmt("%-20s %12s %12s %8s   %12s %12s %8s  %s", "query", "idx:search", "pipeline", "ratio",
    "lua+search", "command", "ratio", "same top 3"))
  local lua_direct = fmt("%s -e %s", "lua5.4", shq(fmt(
    "package.path = %q .. package.path; package.cpath = %q .. package.cpath; "
    .. "local ad = require 'arxivdigest'; local idx = assert(ad.load(%q)); "
    .. "for i, h in ipairs(idx:search(os.getenv('Q'), {limit = 3})) do "
    .. "print(i, h.paper.id, h.paper.title) end",
    (os.getenv("BENCH_LPATH") or "lua/?.lua;lua/?/init.lua") .. ";",
    (os.getenv("BENCH_CPATH") or "build/?.so") .. ";", adx)))
  local worst_in, worst_cmd = 0, 0
  for _, q in ipairs(PIPE_QUERIES) do
    local okd, direct = pcall(idx.search, idx, q, { limit = 3 })
    local okp, piped = pcall(function() return ad.from(idx):query(q):limit(3):collect() end)
    local d_t = okd and median_cpu(function() idx:search(q, { limit = 3 }) end)
    local p_t = okp and median_cpu(function() ad.from(idx):query(q):limit(3):collect() end)
    local same_top = "n/a"
    if okd and okp then
      local a, b = {}, {}
      for i, h in ipairs(direct) do a[i] = h.paper.id end
      for i, p in ipairs(piped) do b[i] = p.id end
      same_top = table.concat(a, " ") == table.concat(b, " ") and "yes"
        or ("no: " .. table.concat(a, " ") .. " | " .. table.concat(b, " "))
    end
    local l_t, _, l_err = time_cmd("env Q=" .. shq(q) .. " " .. lua_direct, 5, 120, true)
    local c_t, _, c_err = time_cmd(fmt("%s search %s --limit 3 -i %s --no-progress", BIN, shq(q), adx),
      5, 120, true)
    if d_t and p_t then worst_in = math.max(worst_in, p_t / d_t) end
    if l_t and c_t then worst_cmd = math.max(worst_cmd, c_t / l_t) end
    out(fmt("%-20s %12s %12s %8s   %12s %12s %8s  %s", q, okd and ms(d_t) or "error",
      okp and ms(p_t) or "error", ratio(p_t, d_t), l_t and ms(l_t) or "FAIL", c_t and ms(c_t) or "FAIL",
      ratio(c_t, l_t), same_top))
    if not okd then out("    idx:search error: " .. first_line(direct)) end
    if not okp then out("    pipeline error: " .. first_line(piped)) end
    if l_err then out("    lua+search FAIL: " .. l_err) end
    if c_err then out("    command FAIL: " .. c_err) end
  end
  out("          in-process: CPU time, median of 3..31 runs; processes: wall time, median of 5 runs")
  target("pipeline", "<= 2x idx:search (issue 10)", fmt("worst %sx in-process, %sx as a command",
    rate(worst_in), rate(worst_cmd)), worst_in <= 2 and worst_cmd <= 2)
end

---------------------------------------------------------------- shipped examples (issue 12)
-- Every examples/reports/*.lua (with --settings examples/reports/interests.lua)
-- and examples/filters/*.lua through the
-- command on the saved bench index, with and without --sandbox: wall time
-- of the whole process against the 2 s target, each capped at 120 s; a
-- failure prints FAIL and its reason and the bench goes on.
if now and file_size(adx) then
  out("")
  out("shipped examples on the bench index (issue 12: each < 2 s wall)")
  out(fmt("%-40s %14s %14s", "script", "plain", "--sandbox"))
  local scripts = {}
  for _, kind in ipairs { "reports", "filters" } do
    local lf = io.popen("ls examples/" .. kind .. "/*.lua 2>/dev/null | LC_ALL=C sort")
    for path in lf:lines() do
      -- interests.lua is the reports' settings file (data), not a report
      if not path:find("/interests%.lua$") then scripts[#scripts + 1] = { kind = kind, path = path } end
    end
    lf:close()
  end
  local n_ok, n_all, worst = 0, 0, 0
  local notes = {}
  for _, sc in ipairs(scripts) do
    local cmd = sc.kind == "reports" and "report" or "filter"
    local cols = {}
    for _, sandbox in ipairs { false, true } do
      n_all = n_all + 1
      -- the reports take their interests from the shipped settings file
      local settings = sc.kind == "reports" and " --settings examples/reports/interests.lua" or ""
      local t, code, err = time_cmd(fmt("%s %s %s -i %s --no-progress%s%s", BIN, cmd, shq(sc.path), adx,
        settings, sandbox and " --sandbox" or ""), 1, 120)
      local col
      if t then
        col = fmt("%.2f s%s", t, t < 2 and "" or " SLOW")
        if t < 2 then n_ok = n_ok + 1 end
        worst = math.max(worst, t)
      elseif code == 124 then
        col = "FAIL"
        notes[#notes + 1] = fmt("    %s%s FAIL: over 120 s (killed)", sc.path, sandbox and " --sandbox" or "")
        worst = math.huge
      elseif code == 1 and err == "exit status 1" then
        col = "nothing"  -- exit 1, no message: nothing kept
        notes[#notes + 1] = fmt("    %s%s: exit 1 (nothing found), not timed", sc.path, sandbox and " --sandbox" or "")
      else
        col = "FAIL"
        notes[#notes + 1] = fmt("    %s%s FAIL: %s", sc.path, sandbox and " --sandbox" or "", err)
      end
      cols[#cols + 1] = col
    end
    out(fmt("%-40s %14s %14s", sc.path, cols[1], cols[2]))
  end
  for _, l in ipairs(notes) do out(l) end
  out("          wall time of one run of the command (start-up, index load, script, output to /dev/null)")
  target("examples", "each < 2 s (issue 12)", fmt("%d of %d under 2 s, slowest %s", n_ok, n_all,
    worst == math.huge and "over 120 s" or fmt("%.2f s", worst)), n_ok == n_all)
end

---------------------------------------------------------------- summary
out("")
out("targets")
local met, missed, nas = 0, 0, 0
for _, t in ipairs(targets) do
  local verdict = t.met == nil and "n/a" or (t.met and "MET" or "NOT MET")
  if t.met == nil then nas = nas + 1 elseif t.met then met = met + 1 else missed = missed + 1 end
  out(fmt("  %-14s %-30s %-40s %s", t.name, t.want, t.got, verdict))
end
out(fmt("%d met, %d not met, %d n/a; bench took %d s wall", met, missed, nas, os.time() - wall0))
