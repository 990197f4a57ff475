-- bench/watch.lua: the daily run of standing watches (arxivdigest watch run)
-- on the bench archive, beside a full index rebuild of the same archive.
--
--   lua5.4 bench/watch.lua [--corpus DIR] [--days N] [--library-days N]
--
-- The archive is the bench corpus (bench/gen_corpus.lua: 4 copies of all
-- ten real years, 203,548 papers; built by `make bench-corpus`) plus a scratch folder that
-- receives one new digest file per simulated day (a corpus file with its ids
-- moved to an unused range and its day moved to 2021). The watch file holds
-- six watches (three queries, followed authors, a filter with a query tree,
-- a Lua function filter run in the sandbox) and five outputs (an Atom feed
-- of 300 entries accumulated from the state, HTML, markdown, jsonl, an
-- e-mail). Before the measured days, a first run delivers every paper since
-- 2019-12-01 (the state then holds thousands of deliveries).
--
-- Printed: the wall time of each daily `arxivdigest watch run` (a child
-- process, as cron runs it: start-up, listing, the saved index loaded, the
-- new file indexed beside it, every watch, every output, the state), its
-- median beside a full rebuild of the index (ad.index of the archive, in
-- this process) as a ratio, and the run that brings the saved index up to
-- date (what `pending` defers: idx:update + save), also beside the rebuild.
-- Then the same watch file with a seventh watch, a `library` watch (the
-- newest 50 papers of an author, ranked by recommendations): its first run
-- (the saved index's recommendation model built and kept beside it), its
-- daily runs with one new digest file each (the model read, the new papers
-- ranked as candidates from their small index), and its run with --full
-- (update, save, and the model built again for the new index).
-- Wall times (a monotonic clock): the run is what a user waits for.

package.path = (os.getenv("BENCH_LPATH") or "lua/?.lua;lua/?/init.lua") .. ";" .. package.path
package.cpath = (os.getenv("BENCH_CPATH") or "build/?.so") .. ";" .. package.cpath

local ad = require "arxivdigest"
local core = require "arxivdigest.core"
local now = core.now
local fmt = string.format

local opt = {corpus = "bench/out/corpus", days = 7, libdays = 7}
do
  local i = 1
  while i <= #arg do
    local a, v = arg[i], arg[i + 1]
    if a == "--corpus" then opt.corpus = v
    elseif a == "--days" then opt.days = tonumber(v)
    elseif a == "--library-days" then opt.libdays = tonumber(v)
    else io.stderr:write("usage: lua5.4 bench/watch.lua [--corpus DIR] [--days N] [--library-days N]\n"); os.exit(2) end
    i = i + 2
  end
end

local C = dofile("bench/common.lua")
local q, read = C.shq, C.read_file
local function sh(cmd)
  local ok = os.execute(cmd)
  if ok ~= true then error("failed: " .. cmd, 0) end
end
local function write(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  assert(f:close())
end

local ROOT = assert(io.popen("pwd")):read("l")
local corpus = opt.corpus:sub(1, 1) == "/" and opt.corpus or (ROOT .. "/" .. opt.corpus)
if not io.open(corpus .. "/copy0/2019/12/20191231.md", "rb") then
  io.stderr:write("bench/watch.lua: no bench corpus in " .. corpus .. " (run: make bench-corpus)\n")
  os.exit(1)
end
local work = ROOT .. "/bench/out/watch"
sh("rm -rf " .. q(work) .. " && mkdir -p " .. q(work .. "/new"))

-- a new digest day: a corpus file with its ids in 21MM (no corpus paper has
-- year 21) and its header on 2021-01-DD
local SOURCE = read(corpus .. "/copy0/2019/12/20191231.md")
local function new_day(k)
  local day = fmt("2021-01-%02d", k)
  local text = SOURCE:gsub("on 2019%-12%-31", "on " .. day)
  text = text:gsub("(arxiv%.org/%a+/)(%d%d)(%d%d)%.(%d%d%d%d%d)", function(pre, _, _, n)
    return fmt("%s21%02d.%05d", pre, k, tonumber(n))
  end)
  local path = fmt("%s/new/%s.md", work, day:gsub("%-", ""))
  write(path, text)
  sh("touch -d '1 hour ago' " .. q(path))
  return path
end

local WATCHES = [[
local f = require "arxivdigest.filter"
return {
  archive = { %q, %q },
  index = "archive.adx", state = "watches.state.lua", pending = 30,
  watches = {
    { name = "splatting", query = '"gaussian splatting" OR nerf OR "neural radiance"' },
    { name = "depth", query = 'depth AND (monocular OR stereo) -survey', limit = 50 },
    { name = "segmentation", query = 'ti:segmentation cat:cs.CV', limit = 50 },
    { name = "people", authors = { "Kaiming He", "Vedaldi, Andrea", "Luc Van Gool", "Li Fei-Fei" } },
    { name = "code", filter = f.has_code() * f.keywords{ "detection" }, limit = 50 },
    { name = "fn", filter = function(p) return (p.title or ""):find("Transformer") ~= nil end },
  },
  outputs = {
    { format = "atom", path = "out/feed.atom", keep = 300 },
    { format = "html", path = "out/today.html" },
    { format = "markdown", path = "out/today.md" },
    { format = "jsonl", path = "out/today.jsonl" },
    { format = "email", path = "out/today.eml", to = "me@example.org" },
  },
}
]]
write(work .. "/watches.lua", WATCHES:format(corpus, work .. "/new"))

local ENV = ("LUA_PATH=%s LUA_CPATH=%s "):format(q(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;"),
  q(ROOT .. "/build/?.so;;"))
-- a run in a child process: its wall time (this process's monotonic
-- clock) and its CPU time (user + system, from the shell's `times`: on a
-- busy machine the wall time also counts the waits for a core)
local function run(args, file)
  local t0 = now()
  local p = assert(io.popen("cd " .. q(work) .. " && " .. ENV .. "lua5.4 " .. q(ROOT .. "/bin/arxivdigest")
    .. " watch run " .. (file or "watches.lua") .. " " .. (args or "") .. " 2>&1; rc=$?; times; exit $rc"))
  local out = p:read("a")
  local ok = p:close()
  local dt = now() - t0
  if not ok then error("watch run failed:\n" .. out, 0) end
  -- `times`: the shell's user/system, then its children's ("0m0.123s 0m0.045s")
  local m = {}
  for mm, ss in out:gmatch("(%d+)m([%d%.]+)s") do m[#m + 1] = tonumber(mm) * 60 + tonumber(ss) end
  local cpu = (m[3] or 0) + (m[4] or 0)
  return dt, out, cpu
end

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

-- the baseline: a full build of the index of the archive
collectgarbage()
local t0 = now()
local idx = assert(ad.index({corpus, work .. "/new"}))
local rebuild = now() - t0
local papers = #idx
-- the library of the library watch: the newest 50 papers of an author
do
  local lines = {}
  for _, h in ipairs(idx:search('au:"Luc Van Gool"', {limit = 50, sort = "date"})) do
    lines[#lines + 1] = h.paper.id
  end
  write(work .. "/library.txt", table.concat(lines, "\n") .. "\n")
end
idx:close()
collectgarbage()

-- the first run: builds and saves the index, delivers since 2019-12-01
write(work .. "/watches.lua",
  (read(work .. "/watches.lua"):gsub('name = "(%w+)",', 'name = "%1", since = "2019-12-01",')))
local first, out1 = run()
write(work .. "/watches.lua", WATCHES:format(corpus, work .. "/new"))
local delivered = 0
for n in out1:gmatch(": (%d+) new") do delivered = delivered + tonumber(n) end

-- the daily runs: one new file each
local times, cpus, last = {}, {}, nil
for k = 1, opt.days do
  new_day(k)
  local dt, out, cpu = run()
  times[#times + 1] = dt
  cpus[#cpus + 1] = cpu
  last = out
end
local med = median(times)

-- one more day in this process, for the phases of a run
new_day(opt.days + 1)
local watch = require "arxivdigest.watch"
local t1 = now()
local report = watch.run(watch.load(work .. "/watches.lua"), {})
local inproc = now() - t1
local phases = {}
for _, t in ipairs(report.times) do phases[#phases + 1] = fmt("%s %.3f", t[1], t[2]) end

-- the run that brings the saved index up to date (--full): what the
-- pending files defer
new_day(opt.days + 2)
local full = run("--full")

-- a watch file with a library watch too (recommendations against
-- library.txt): its own state and outputs, the same saved index; its
-- first run, then one new digest file a day
local LIBWATCHES = WATCHES:gsub('state = "watches.state.lua"', 'state = "library.state.lua"')
  :gsub('watches = {\n', 'watches = {\n    { name = "for me", library = "library.txt", limit = 20 },\n', 1)
  :gsub('"out/', '"out-lib/')
write(work .. "/library.lua", LIBWATCHES:format(corpus, work .. "/new"))
local function runlib(args) return run(args, "library.lua") end
local libfirst = runlib()
local libtimes, libcpus, liblast = {}, {}, nil
for k = 1, opt.libdays do
  new_day(opt.days + 2 + k)
  local dt, out, cpu = runlib()
  libtimes[#libtimes + 1] = dt
  libcpus[#libcpus + 1] = cpu
  liblast = out
end
new_day(opt.days + 3 + opt.libdays)
local libfull = runlib("--full")

-- What ranking beside the saved index changes: a day dated after the
-- archive's newest papers (the simulated days above are dated 2021, before
-- the corpus's 2022: they never enter the model's sample of the newest
-- papers), ranked as candidates beside the saved index, against the same
-- day merged into it (idx:update in memory), as the library watch ranked
-- before
local shift
do
  local base = assert(ad.load(work .. "/archive.adx"))
  local files = {}
  for _, f in ipairs(base:files()) do files[#files + 1] = f.path end
  local text = read(corpus .. "/copy0/2022/06/20220615.md"):gsub("on 2022%-06%-15", "on 2023-01-05")
    :gsub("(arxiv%.org/%a+/)(%d%d)(%d%d)%.(%d%d%d%d%d)", function(pre, _, _, n)
      return fmt("%s2301.%05d", pre, tonumber(n))
    end)
  sh("mkdir -p " .. q(work .. "/later"))
  write(work .. "/later/20230105.md", text)
  local day = assert(ad.index(work .. "/later/20230105.md"))
  for p in day:papers() do assert(not base:get(p.id), "the later day's ids are new") end
  local lib = assert(ad.library(work .. "/library.txt"))
  local got = {}
  for i, h in ipairs(base:recommend(lib, {candidates = day, limit = #day})) do got[i] = h.paper.id end
  files[#files + 1] = work .. "/later/20230105.md"
  assert(base:update(files))
  local want = base:recommend(lib, {query = "date:2023-01-05", limit = #day})
  local pos, in20 = {}, {}
  for i, h in ipairs(want) do pos[h.paper.id] = i; if i <= 20 then in20[h.paper.id] = true end end
  local same, top20, conc, disc = 0, 0, 0, 0
  for i, id in ipairs(got) do
    if pos[id] == i then same = same + 1 end
    if i <= 20 and in20[id] then top20 = top20 + 1 end
    for j = i + 1, #got do
      if pos[id] < pos[got[j]] then conc = conc + 1 else disc = disc + 1 end
    end
  end
  shift = fmt("%d papers, %d at the same rank, top 20 in common %d of %d, Kendall tau %.4f", #got, same,
    top20, math.min(20, #got), (conc - disc) / math.max(1, conc + disc))
  base:close()
end

print(fmt("watch: archive of %d papers (up to %d new digest files beside the saved index), 6 watches, "
  .. "5 outputs; first run (index build + %d deliveries since 2019-12-01): %.2f s", papers, opt.days + 1,
  delivered, first))
print(fmt("watch: daily run, one new digest file (child process, wall): median %.3f s of %d "
  .. "(min %.3f, max %.3f); full index rebuild %.2f s; ratio %.3f; target < 1 s: %s",
  med, #times, math.min(table.unpack(times)), math.max(table.unpack(times)), rebuild, med / rebuild,
  med < 1 and "met" or "NOT met"))
print(fmt("watch: daily run, CPU time (user + system) of the child: median %.3f s (min %.3f)",
  median(cpus), math.min(table.unpack(cpus))))
print(fmt("watch: phases of a daily run (in this process, %.3f s): %s", inproc, table.concat(phases, ", ")))
print(fmt("watch: run bringing the saved index up to date (--full: update + save): %.2f s; "
  .. "ratio to the rebuild %.2f", full, full / rebuild))
print(fmt("watch: with a library watch too (7 watches; library of 50 papers): first run %.2f s; daily run, "
  .. "one new digest file (child process, wall): median %.3f s of %d (min %.3f, max %.3f); CPU median %.3f s; "
  .. "target < 1 s: %s; --full (update, save, model built again) %.2f s", libfirst, median(libtimes), #libtimes,
  math.min(table.unpack(libtimes)), math.max(table.unpack(libtimes)), median(libcpus),
  median(libtimes) < 1 and "met" or "NOT met", libfull))
print("watch: a later day ranked beside the saved index against the same day merged into it (as before): " .. shift)
io.stderr:write(last)
io.stderr:write(liblast)
