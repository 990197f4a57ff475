-- bench/export_formats.lua: the command's export of the whole archive
-- (../shared/corpus: ten cs.CV years, 50,887 papers, from a saved index)
-- and a large search ('segment*', every hit) in each format, each beside
-- jsonl's time from the same round, as a ratio (html: at most about 2x).
--
--   lua5.4 bench/export_formats.lua [--index FILE] [--corpus DIR] [--runs N]
--                                   [--formats a,b]
--
-- Without --index, the index of --corpus (default ../shared/corpus) is
-- built once into bench/out/export-all.adx. Each round runs every format
-- once, in turn (so that a busy machine slows them alike); a figure is the
-- best round's wall time (the command's whole process: start-up, load,
-- render, the atomic write of the file into bench/out/), and user + system
-- CPU seconds of that process when /usr/bin/time is there.

package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local core = require "arxivdigest.core"
local C = dofile("bench/common.lua")

local opt = { corpus = "../shared/corpus", runs = 2, formats = "jsonl,text,html" }
do
  local i = 1
  while i <= #arg do
    local a, v = arg[i], arg[i + 1]
    if a == "--index" then opt.index = v
    elseif a == "--corpus" then opt.corpus = v
    elseif a == "--runs" then opt.runs = assert(math.tointeger(tonumber(v)), "--runs N")
    elseif a == "--formats" then opt.formats = v
    else error("unknown option " .. tostring(a)) end
    i = i + 2
  end
end

local formats = {}
for f in opt.formats:gmatch("[^,]+") do formats[#formats + 1] = f end
local has_time = io.open("/usr/bin/time", "rb")
if has_time then has_time:close() end

os.execute("mkdir -p bench/out")
local index = opt.index
if not index then
  index = "bench/out/export-all.adx"
  if not C.file_size(index) then
    local t = core.now()
    assert(os.execute("bin/arxivdigest index build -o " .. C.shq(index) .. " " .. C.shq(opt.corpus)
      .. " 2>/dev/null"), "index build of " .. opt.corpus)
    print(string.format("built %s in %.1f s", index, core.now() - t))
  end
end

-- wall seconds, CPU seconds (or nil) of one command
local function timed(args)
  local tf = "bench/out/export-time.txt"
  local cmd = "bin/arxivdigest " .. args .. " 2>/dev/null"
  if has_time then cmd = "/usr/bin/time -o " .. tf .. " -f '%U %S' " .. cmd end
  local t = core.now()
  local ok = os.execute(cmd)
  local wall = core.now() - t
  assert(ok, "failed: " .. cmd)
  local cpu
  if has_time then
    local u, s = C.read_file(tf):match("([%d%.]+) ([%d%.]+)")
    cpu = tonumber(u) + tonumber(s)
  end
  return wall, cpu
end

local JOBS = {
  { name = "export (every paper)", args = function(f)
    return "export -i " .. C.shq(index) .. " -f " .. f .. " -o bench/out/export-all." .. f
  end },
  { name = "search 'segment*' -n 100000", args = function(f)
    return "search -i " .. C.shq(index) .. " 'segment*' -n 100000 -f " .. f .. " -o bench/out/export-seg." .. f
  end },
}

print(string.format("index %s, %d rounds, best round per figure (wall; CPU = user + system)", index, opt.runs))
for _, job in ipairs(JOBS) do
  local best = {}
  for _ = 1, opt.runs do
    for _, f in ipairs(formats) do
      local w, c = timed(job.args(f))
      local b = best[f]
      if not b or w < b.wall then best[f] = { wall = w, cpu = c } end
    end
  end
  print(job.name .. ":")
  local base = best.jsonl
  for _, f in ipairs(formats) do
    local b = best[f]
    print(string.format("  %-8s %6.2f s wall%s%s", f, b.wall,
      b.cpu and string.format(" (%5.2f s CPU)", b.cpu) or "",
      base and f ~= "jsonl" and string.format("  %.2fx jsonl's wall%s", b.wall / base.wall,
        (b.cpu and base.cpu) and string.format(", %.2fx its CPU", b.cpu / base.cpu) or "") or ""))
  end
end
