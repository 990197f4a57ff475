-- bench/gen_corpus.lua: build a benchmark corpus from real digest files.
--
--   lua5.4 bench/gen_corpus.lua [--src DIR]... [--out DIR] [--copies N]
--
-- Sources: every *.md under each --src (default: ../shared/corpus/cs.CV-2019
-- and ../shared/corpus/cs.CV-years, that is all ten real years, 50,887
-- papers, 91 MB; or $ARXIVDIGEST_CORPUS).  Writes N copies of them as
-- OUT/copyK/YYYY/MM/YYYYMMDD.md (K = 0..N-1; a file whose name is not a date
-- keeps its path, under OUT/copyK/srcI/).  The digest dates are kept: the
-- copies of a day are other files of the same day.
--
-- Ids.  The arXiv id on every "Arxiv ID" and "Links" line (the only lines
-- that carry a paper's own id in these files; ids quoted in comments or
-- abstracts are other papers and stay) is rewritten so that every paper of
-- every copy has a distinct, valid id, in the style of its source:
--   * copy 0 is the source itself (ids unchanged);
--   * the source ids fall into namespaces, each a range of valid ids:
--       n4  YYMM.NNNN   months 0704..1412, numbers 0001..9999
--       n5  YYMM.NNNNN  months 1501..9912, numbers 00001..99999
--       o:A A(.XX)/YYMMNNN, per archive A (subject class XX kept as written),
--           months 9108..0703, numbers 001..999
--     (an id outside its style's range, e.g. 0612.1234, is an error);
--   * the G_S distinct source ids of namespace S, sorted, have ranks
--     r = 0..G_S-1; in copy k >= 1 the id of rank r becomes the j-th FREE
--     slot of S (a slot no source id uses), j = (k-1)*G_S + r.  Slots are
--     taken in order (month by month, number by number), so a copy keeps the
--     order of its ids and no copy meets another copy or the source;
--   * when S (n4 or an old-style archive) has no free slot left, the id goes
--     to n5 instead, at free n5 slot (k-1)*G + p, where G counts all distinct
--     source ids and p is the id's place among them (n5 ids first): n5 keeps
--     a band of G slots per copy, so overflow ids never meet n5 ids.
--   The mapping of copy k does not depend on the number of copies (a corpus
--   of N copies is the first N copies of a larger one), and it is injective
--   as long as n5 has room: about 100M ids.  Source ids that are the same
--   paper (math.GT/0309136 and math/0309136) map to the same paper.
-- On the real years: the 3,016 ids of 2009..2014 are n4 (copies fill
-- 0704.0001 onwards), the 47,871 of 2015.. n5 (copies fill 1501.00001
-- onwards); there are no old-style ids in cs.CV since 2009.
--
-- Idempotent: OUT/.stamp records the sources, the copies and the bytes and
-- files written; when it matches and the files on disk add up, nothing is
-- done; more copies than recorded only writes the missing ones.
-- Streams: each source file is read once and its copies written one by one.
-- Prints the output directory and its size in bytes on the last line.

local io, os, string, table, math = io, os, string, table, math
local tonumber, tostring, ipairs, pairs, print, assert, error, type, select, setmetatable, pcall =
  tonumber, tostring, ipairs, pairs, print, assert, error, type, select, setmetatable, pcall
local fmt = string.format

local M = {}
M.VERSION = 2

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- Sorted list of "*.md" files under dir, as paths relative to dir.
local function list_md(dir)
  local f = assert(io.popen("cd " .. shell_quote(dir) .. " && find . -type f -name '*.md' | LC_ALL=C sort"))
  local files = {}
  for line in f:lines() do files[#files + 1] = line:gsub("^%./", "") end
  f:close()
  return files
end

-- Sum of the sizes of the "*.md" files under dir (0 when dir is missing).
local function tree_size(dir)
  local f = io.popen("find " .. shell_quote(dir) .. " -type f -name '*.md' -printf '%s\\n' 2>/dev/null")
  local total, n = 0, 0
  for line in f:lines() do total = total + tonumber(line); n = n + 1 end
  f:close()
  return total, n
end
M.tree_size = tree_size

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  local s = f:read("a")
  f:close()
  return s
end

---------------------------------------------------------------- id namespaces
-- A namespace: months m0..m1 (ordinal y*12 + month-1), `per` numbers a month
-- (1..per), `digits` digits of a number.
local N4 = { name = "n4", m0 = 2007 * 12 + 3, m1 = 2014 * 12 + 11, per = 9999, digits = 4 }
local N5 = { name = "n5", m0 = 2015 * 12, m1 = 2099 * 12 + 11, per = 99999, digits = 5 }
local OLD = { m0 = 1991 * 12 + 7, m1 = 2007 * 12 + 2, per = 999, digits = 3 }
for _, ns in ipairs { N4, N5, OLD } do ns.cap = (ns.m1 - ns.m0 + 1) * ns.per end

local function slot_of(ns, y, m, n)
  local mo = y * 12 + m - 1
  if m < 1 or m > 12 or mo < ns.m0 or mo > ns.m1 or n < 1 or n > ns.per then return nil end
  return (mo - ns.m0) * ns.per + (n - 1)
end

-- "YYMM" and the number of a slot, formatted.
local function slot_digits(ns, slot)
  local mo = slot // ns.per + ns.m0
  local n = slot % ns.per + 1
  return fmt("%02d%02d", (mo // 12) % 100, mo % 12 + 1), fmt("%0" .. ns.digits .. "d", n)
end

-- Parse an id token as written ("1901.05894", "math.GT/0309136") into
-- canonical key, namespace info; or nil, reason.
local function parse_id(tok)
  local yy, mm, num = tok:match("^(%d%d)(%d%d)%.(%d%d%d%d%d?)$")
  if yy then
    local ns = #num == 4 and N4 or N5
    local slot = slot_of(ns, 2000 + tonumber(yy), tonumber(mm), tonumber(num))
    if not slot then return nil, "not a valid " .. ns.digits .. "-digit new-style id" end
    return { key = tok, ns = ns, slot = slot }
  end
  local archive, class, d7
  archive, class, d7 = tok:match("^([a-z][a-z%-]*)(%.?[A-Za-z%-]*)/(%d%d%d%d%d%d%d)$")
  if archive and not archive:find("%-$") and (class == "" or #class > 1) then
    local y = tonumber(d7:sub(1, 2))
    y = y >= 91 and 1900 + y or 2000 + y
    local slot = slot_of(OLD, y, tonumber(d7:sub(3, 4)), tonumber(d7:sub(5, 7)))
    if not slot then return nil, "not a valid old-style id (months 9108..0703, numbers 001..999)" end
    return { key = archive .. "/" .. d7, ns = "o:" .. archive, slot = slot, prefix = archive .. class }
  end
  return nil, "not an arXiv id"
end
M.parse_id = parse_id

-- The lines that carry a paper's own id, and the URL before it.
local ID_LINES = {
  { "\n- **Arxiv ID**: ", "^https?://arxiv%.org/abs/()" },
  { "\n- **Links**: ", "^%[PDF%]%(https?://arxiv%.org/pdf/()" },
}

-- Every id of a text: list of { start, stop, token }, in text order.
local function scan(text, where)
  local found = {}
  for li, l in ipairs(ID_LINES) do
    local init = 1
    while true do
      local s, e = text:find(l[1], init, true)
      if not s then break end
      init = e + 1
      local at = text:match(l[2], e + 1)
      local tok = at and (text:match("^(%d%d%d%d%.%d%d%d%d%d?)%f[%D]", at)
        or text:match("^([a-z][a-z%-]*%.?[A-Za-z%-]*/%d%d%d%d%d%d%d)%f[%D]", at))
      if not tok then
        local line = select(2, text:sub(1, s):gsub("\n", "")) + 1
        error(fmt("%s:%d: no arXiv id on this %s line", where, line, li == 1 and "Arxiv ID" or "Links"), 0)
      end
      found[#found + 1] = { at, at + #tok - 1, tok }
    end
  end
  table.sort(found, function(a, b) return a[1] < b[1] end)
  return found
end
M.scan = scan

---------------------------------------------------------------- the mapper
local Mapper = {}
Mapper.__index = Mapper

-- A mapper over the source files: mapper(list of { path =, where = }).
local function new_mapper()
  return setmetatable({ ids = {}, spaces = {}, n_ids = 0, sealed = false }, Mapper)
end

function Mapper:add_text(text, where)
  local found = scan(text, where)
  for _, f in ipairs(found) do
    local tok = f[3]
    local e, why = parse_id(tok)
    if not e then error(fmt("%s: %s: %s", where, tok, why), 0) end
    local old = self.ids[e.key]
    if not old then
      self.ids[e.key] = e
      local sname = type(e.ns) == "table" and e.ns.name or e.ns
      local sp = self.spaces[sname]
      if not sp then
        sp = { name = sname, ns = type(e.ns) == "table" and e.ns or OLD, list = {} }
        self.spaces[sname] = sp
      end
      sp.list[#sp.list + 1] = e
      e.space = sp
    end
  end
  return #found
end

-- After every source: ranks within each namespace and the global places.
function Mapper:seal()
  local names = {}
  for name, sp in pairs(self.spaces) do
    names[#names + 1] = name
    table.sort(sp.list, function(a, b) return a.slot < b.slot end)
    sp.used = {}
    for i, e in ipairs(sp.list) do e.rank = i - 1; sp.used[i] = e.slot end
    sp.free = sp.ns.cap - #sp.list
  end
  table.sort(names, function(a, b)  -- n5 first, then the others by name
    if (a == "n5") ~= (b == "n5") then return a == "n5" end
    return a < b
  end)
  local p = 0
  for _, name in ipairs(names) do
    for _, e in ipairs(self.spaces[name].list) do e.place = p; p = p + 1 end
  end
  self.n_ids = p
  if not self.spaces.n5 then  -- overflow needs an n5 space, even empty
    self.spaces.n5 = { name = "n5", ns = N5, list = {}, used = {}, free = N5.cap }
  end
  self.sealed = true
  return self
end

-- The j-th (0-based) slot of space sp that no source id uses.
local function free_slot(sp, j)
  local u = sp.used
  local lo, hi = 0, #u  -- lo = how many i have u[i] - (i - 1) <= j
  while lo < hi do
    local mid = (lo + hi + 1) // 2
    if u[mid] - (mid - 1) <= j then lo = mid else hi = mid - 1 end
  end
  return j + lo
end
M._free_slot = free_slot

-- The token that replaces source token `tok` in copy k.
function Mapper:map(k, tok)
  if k == 0 then return tok end
  local e = self.ids[tok]
  if not e then
    local pe = parse_id(tok)
    e = pe and self.ids[pe.key]
    if not e then error("unknown source id " .. tostring(tok), 0) end
  end
  local sp = e.space
  if sp.name ~= "n5" then
    local j = (k - 1) * #sp.list + e.rank
    if j < sp.free then
      local yymm, num = slot_digits(sp.ns, free_slot(sp, j))
      if sp.ns == N4 then return yymm .. "." .. num end
      -- old style: the archive and subject class as this token writes them
      local prefix = tok:match("^(.-)/")
      return prefix .. "/" .. yymm .. num
    end
  end
  local n5 = self.spaces.n5
  local j = (k - 1) * self.n_ids + e.place
  if j >= n5.free then error(fmt("copy %d: no room left for new-style ids (too many copies)", k), 0) end
  local yymm, num = slot_digits(N5, free_slot(n5, j))
  return yymm .. "." .. num
end

-- The text of copy k of a source text, and its number of ids.
function Mapper:rewrite(text, k, where)
  local found = scan(text, where or "?")
  if k == 0 then return text, #found end
  local parts, prev = {}, 1
  for _, f in ipairs(found) do
    parts[#parts + 1] = text:sub(prev, f[1] - 1)
    parts[#parts + 1] = self:map(k, f[3])
    prev = f[2] + 1
  end
  parts[#parts + 1] = text:sub(prev)
  return table.concat(parts), #found
end

---------------------------------------------------------------- sources
local function default_srcs()
  local env = os.getenv("ARXIVDIGEST_CORPUS")
  if env and env ~= "" then return { env } end
  for _, base in ipairs { "../shared/corpus", "/work/shared/corpus" } do
    local list = {}
    for _, d in ipairs { base .. "/cs.CV-2019", base .. "/cs.CV-years" } do
      if tree_size(d) > 0 then list[#list + 1] = d end
    end
    if #list > 0 then return list end
  end
  return nil
end
M.default_srcs = default_srcs

-- Every source file: { path =, rel = output path inside a copy }, sorted by rel.
local function source_files(srcs)
  local files, seen = {}, {}
  for si, src in ipairs(srcs) do
    local list = list_md(src)
    if #list == 0 then error(src .. ": no *.md files", 0) end
    for _, rel in ipairs(list) do
      local base = rel:match("([^/]+)$")
      local y, m = base:match("^(%d%d%d%d)(%d%d)%d%d%.md$")
      local orel = y and (y .. "/" .. m .. "/" .. base) or ("src" .. si .. "/" .. rel)
      if seen[orel] then
        error(fmt("%s/%s and %s both make %s", src, rel, seen[orel], orel), 0)
      end
      seen[orel] = src .. "/" .. rel
      files[#files + 1] = { path = src .. "/" .. rel, rel = orel }
    end
  end
  table.sort(files, function(a, b) return a.rel < b.rel end)
  return files
end

-- The mapper of a list of source directories (reads every source file once).
function M.mapper(srcs)
  srcs = srcs or default_srcs()
  if type(srcs) == "string" then srcs = { srcs } end
  if not srcs then error("no source corpus: set ARXIVDIGEST_CORPUS or pass --src", 0) end
  local mp = new_mapper()
  local files = source_files(srcs)
  local n = 0
  for _, f in ipairs(files) do n = n + mp:add_text(read_file(f.path), f.path) end
  mp:seal()
  mp.files, mp.srcs = files, srcs
  mp.n_records = n // 2  -- an Arxiv ID and a Links line per paper
  return mp
end

local function stamp_of(srcs, src_bytes, src_files, per_copy, copies, bytes, files)
  return fmt("gen_corpus v%d src=%s src_bytes=%d src_files=%d records_per_copy=%d copies=%d bytes=%d files=%d\n",
    M.VERSION, table.concat(srcs, ";"), src_bytes, src_files, per_copy, copies, bytes, files)
end

local function parse_stamp(s)
  local v, src, sb, sf, r, c, b, f = s:match("^gen_corpus v(%d+) src=(.-) src_bytes=(%d+) src_files=(%d+)"
    .. " records_per_copy=(%d+) copies=(%d+) bytes=(%d+) files=(%d+)\n$")
  if not v then return nil end
  return { version = tonumber(v), src = src, src_bytes = tonumber(sb), src_files = tonumber(sf),
    per_copy = tonumber(r), copies = tonumber(c), bytes = tonumber(b), files = tonumber(f) }
end

-- Generate (or reuse) the corpus; returns out_dir, total_bytes, n_files, n_records.
-- srcs: a directory or a list of them (nil: the default sources).
function M.generate(srcs, out, copies, log)
  log = log or function(...) io.stderr:write(..., "\n") end
  srcs = srcs or default_srcs()
  if type(srcs) == "string" then srcs = { srcs } end
  if not srcs then error("no source corpus: set ARXIVDIGEST_CORPUS or pass --src", 0) end
  copies = copies or 4
  if math.type(copies) ~= "integer" or copies < 1 then error("copies must be a positive integer", 0) end
  local src_bytes, src_files = 0, 0
  for _, d in ipairs(srcs) do
    local b, n = tree_size(d)
    if n == 0 then error(d .. ": no *.md files", 0) end
    src_bytes, src_files = src_bytes + b, src_files + n
  end
  local stamp_path = out .. "/.stamp"
  local have_copies, total = 0, 0
  local ok, old = pcall(read_file, stamp_path)
  local st = ok and parse_stamp(old)
  if st and st.version == M.VERSION and st.src == table.concat(srcs, ";") and st.src_bytes == src_bytes
     and st.src_files == src_files then
    local have, nfiles = tree_size(out)
    if have == st.bytes and nfiles == st.files then
      if st.copies > copies then  -- a smaller corpus: drop the last copies
        for k = copies, st.copies - 1 do assert(os.execute("rm -rf " .. shell_quote(out .. "/copy" .. k))) end
        have, nfiles = tree_size(out)
        local w = assert(io.open(stamp_path, "wb"))
        w:write(stamp_of(srcs, src_bytes, src_files, st.per_copy, copies, have, nfiles))
        w:close()
        st.copies = copies
      end
      if st.copies == copies then
        log(fmt("corpus: %s up to date (%d files, %d bytes)", out, nfiles, have))
        return out, have, nfiles, st.per_copy * copies
      end
      have_copies, total = st.copies, have
    end
  end
  if have_copies == 0 then
    assert(os.execute("rm -rf " .. shell_quote(out) .. " && mkdir -p " .. shell_quote(out)))
  end
  os.remove(stamp_path)
  local t0 = os.time()
  log(fmt("corpus: generating copies %d..%d of %s (%d files, %d bytes each) into %s",
    have_copies, copies - 1, table.concat(srcs, " + "), src_files, src_bytes, out))
  local mp = M.mapper(srcs)
  local files = mp.files
  -- the folders of every copy to write
  local dirs = {}
  for _, f in ipairs(files) do dirs[f.rel:match("^(.*)/") or "."] = true end
  local dlist = {}
  for d in pairs(dirs) do dlist[#dlist + 1] = d end
  table.sort(dlist)
  for k = have_copies, copies - 1 do
    local mk = {}
    for _, d in ipairs(dlist) do mk[#mk + 1] = shell_quote(out .. "/copy" .. k .. "/" .. d) end
    assert(os.execute("mkdir -p " .. table.concat(mk, " ")))
  end
  for _, f in ipairs(files) do
    local text = read_file(f.path)
    local found = scan(text, f.path)
    local parts, slots, prev = {}, {}, 1
    for _, x in ipairs(found) do
      parts[#parts + 1] = text:sub(prev, x[1] - 1)
      parts[#parts + 1] = x[3]
      slots[#slots + 1] = #parts
      prev = x[2] + 1
    end
    parts[#parts + 1] = text:sub(prev)
    for k = have_copies, copies - 1 do
      for i, x in ipairs(found) do parts[slots[i]] = mp:map(k, x[3]) end
      local s = table.concat(parts)
      local w = assert(io.open(out .. "/copy" .. k .. "/" .. f.rel, "wb"))
      assert(w:write(s))
      assert(w:close())
      total = total + #s
    end
  end
  local nfiles = #files * copies
  local have, hn = tree_size(out)
  if have ~= total or hn ~= nfiles then
    error(fmt("%s holds %d files, %d bytes; expected %d, %d", out, hn, have, nfiles, total), 0)
  end
  local w = assert(io.open(stamp_path, "wb"))
  w:write(stamp_of(srcs, src_bytes, src_files, mp.n_records, copies, total, nfiles))
  w:close()
  log(fmt("corpus: %d files, %d bytes, %d papers (%d per copy) in %d s", nfiles, total,
    mp.n_records * copies, mp.n_records, os.time() - t0))
  return out, total, nfiles, mp.n_records * copies
end

local function main(argv)
  local srcs, out, copies = nil, "bench/out/corpus", 4
  local i = 1
  local usage = "usage: lua5.4 bench/gen_corpus.lua [--src DIR]... [--out DIR] [--copies N]\n"
  while i <= #argv do
    local a = argv[i]
    if a == "--src" and argv[i + 1] then srcs = srcs or {}; srcs[#srcs + 1] = argv[i + 1]; i = i + 2
    elseif a == "--out" and argv[i + 1] then out = argv[i + 1]; i = i + 2
    elseif a == "--copies" and argv[i + 1] then copies = math.tointeger(tonumber(argv[i + 1])); i = i + 2
    else io.stderr:write(usage); os.exit(2) end
  end
  if not copies or copies < 1 then
    io.stderr:write("gen_corpus: --copies must be a positive integer\n"); os.exit(2)
  end
  local ok, dir, bytes = pcall(M.generate, srcs, out, copies)
  if not ok then io.stderr:write("gen_corpus: ", tostring(dir), "\n"); os.exit(1) end
  print(dir .. " " .. bytes)
end

-- Run as a script, or require()d by bench/run.lua.
if arg and arg[0] and arg[0]:match("gen_corpus%.lua$") then
  main(arg)
end

return M
