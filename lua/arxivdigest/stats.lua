--- arxivdigest.stats: what an archive holds, summarised (the one owner of
-- archive statistics: the `stats` command and reports use it).
--
--   local stats = require "arxivdigest.stats"
--   local s = stats.summary(idx_or_collection, {top = 10})
--   io.write(stats.render(s, "text"))
--
-- summary(src, opts) -> {
--   papers, records, files (digest files: with a day's header), files_read
--   (every file read, a NOTICE.md beside the digests too: what
--   idx:info().files counts), days (digest days), first, last (YYYY-MM-DD),
--   years = {{key = "2019", count = n}, ...}, months = {... the last
--   opts.months (24) months ...}, by_day = {...} (only for short archives:
--   60 digest days or fewer), primary, categories, authors = the top
--   opts.top (10) {key =, count =},
--   cadence = "daily" | "weekdays" (which days the archive has digests on),
--   gaps = {{from =, to =, days =}, ...}: runs of missing digest days
--   (opts.min_gap, default 3 days of the cadence, or more), the top
--   longest; nruns: how many runs there are in all,
--   missing = number of missing digest days in all,
--   low = {{key = day, count = n, typical = m}, ...}: days with unusually
--   few papers (under a fifth of the median of the 30 digest days around),
--   duplicates = {{key = day, count = files}, ...}: days with several files }

local json = require "arxivdigest.json"
local util = require "arxivdigest.format.util"

local type, ipairs, pairs, tostring, tonumber = type, ipairs, pairs, tostring, tonumber
local format, concat, sort = string.format, table.concat, table.sort
local floor, max, min = math.floor, math.max, math.min

local M = {}

-- {======================================================
-- Counting
-- =======================================================

local function inc(t, k, n) if k then t[k] = (t[k] or 0) + (n or 1) end end

-- Counts of a Collection: papers merged by id (like an index does), days
-- counted per record.
local function collection_counts(c)
  local st = {papers = 0, records = #c, categories = {}, primary = {}, days = {}, months = {},
              years = {}, authors = {}}
  local seen = {}
  for p in c:papers() do
    local id = p.id
    if id and not seen[id] then
      seen[id] = true
      st.papers = st.papers + 1
      -- (a paper counts once for a category or a name its record lists
      -- twice, as the index's counts do)
      local once = {}
      for _, cat in ipairs(p.categories or {}) do
        if not once[cat] then once[cat] = true; inc(st.categories, cat) end
      end
      inc(st.primary, p.primary_category)
      once = {}
      for _, a in ipairs(p.authors or {}) do
        if not once[a] then once[a] = true; inc(st.authors, a) end
      end
      local d = p.date
      if d then inc(st.days, d); inc(st.months, d:sub(1, 7)); inc(st.years, d:sub(1, 4)) end
    end
  end
  return st
end

-- The key under which an author's spellings are counted together: the
-- words of the name as the index sees them (core.words: folded, so case
-- and diacritics aside, punctuation dropped; "Luc Van Gool" and "Luc van
-- Gool" are one, as au:"Luc Van Gool" finds both); lower-cased when the
-- core is not loaded.
local name_key
do
  local ok, core = pcall(require, "arxivdigest.core")
  local words = ok and type(core) == "table" and core.words
  name_key = function(name)
    local k = words and words(name) or nil
    if k == nil or k == "" then k = name:lower():gsub("%s+", " ") end
    return k
  end
end
M._name_key = name_key       -- (for the specs)

-- Author counts by spelling -> the same, one entry per person (name_key):
-- the sum of the spellings' counts, under the most frequent spelling
-- (ties: the first in byte order). (A paper that lists one person under
-- two spellings counts twice; the counts per spelling count it once.)
local function merge_authors(counts)
  local total, best, best_n = {}, {}, {}
  for name, n in pairs(counts) do
    local k = name_key(name)
    total[k] = (total[k] or 0) + n
    if best[k] == nil or n > best_n[k] or (n == best_n[k] and name < best[k]) then
      best[k], best_n[k] = name, n
    end
  end
  local out = {}
  for k, n in pairs(total) do out[best[k]] = n end
  return out
end

--- The raw counts of an Index (idx:stats(), in C) or a Collection, with
-- files_by_day: the number of digest files of each day. Authors are
-- counted per person, not per spelling (merge_authors).
function M.counts(src)
  local st
  if type(src) == "userdata" and src.stats then st = src:stats()
  else st = collection_counts(src) end
  st.authors = merge_authors(st.authors or {})
  st.files_by_day = {}
  st.files = 0             -- digest files (a day's header): not a NOTICE.md beside them
  local all = src:files()
  for _, f in ipairs(all) do
    if f.date then st.files = st.files + 1; inc(st.files_by_day, f.date) end
  end
  -- every file read, digest or not: idx:info().files, #coll:files()
  st.files_read = #all
  return st
end

-- }======================================================

-- {======================================================
-- Summary
-- =======================================================

local function top(t, n)
  local list = {}
  for k, v in pairs(t) do list[#list + 1] = {key = k, count = v} end
  sort(list, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return tostring(a.key) < tostring(b.key)
  end)
  local out = {}
  for i = 1, min(n, #list) do out[i] = list[i] end
  return out
end

local function by_key(t)
  local list = {}
  for k, v in pairs(t) do list[#list + 1] = {key = k, count = v} end
  sort(list, function(a, b) return a.key < b.key end)
  return list
end

-- days since 1970-01-01 of "YYYY-MM-DD", and back
local function dayno(d)
  return util.days_from_civil(tonumber(d:sub(1, 4)), tonumber(d:sub(6, 7)), tonumber(d:sub(9, 10)))
end

local function dayname(n) return format("%04d-%02d-%02d", util.civil_from_days(n)) end

local function weekday(n) return (n + 3) % 7 end    -- 0 Monday .. 6 Sunday

-- the missing digest days between the first and the last, as runs
local function gaps(days, min_gap)
  local list = by_key(days)
  if #list < 2 then return "daily", {}, 0 end
  local first, last = dayno(list[1].key), dayno(list[#list].key)
  local present, weekend, weekend_present = {}, 0, 0
  for _, e in ipairs(list) do present[dayno(e.key)] = true end
  for n = first, last do
    if weekday(n) >= 5 then
      weekend = weekend + 1
      if present[n] then weekend_present = weekend_present + 1 end
    end
  end
  local cadence = (weekend > 0 and weekend_present / weekend >= 0.2) and "daily" or "weekdays"
  local runs, missing, run = {}, 0, nil
  local function close()
    if run and run.days >= min_gap then runs[#runs + 1] = run end
    run = nil
  end
  for n = first, last do
    local expected = cadence == "daily" or weekday(n) < 5
    if expected and not present[n] then
      missing = missing + 1
      if run then run.to = dayname(n); run.days = run.days + 1
      else run = {from = dayname(n), to = dayname(n), days = 1} end
    elseif expected then
      close()
    end
  end
  close()
  sort(runs, function(a, b) return a.from > b.from end)
  return cadence, runs, missing
end

-- days with under a fifth of the median count of the 30 days around them
local function low_days(days)
  local list = by_key(days)
  local out = {}
  if #list < 10 then return out end
  for i, e in ipairs(list) do
    local around = {}
    for j = max(1, i - 15), min(#list, i + 15) do
      if j ~= i then around[#around + 1] = list[j].count end
    end
    sort(around)
    local median = around[floor((#around + 1) / 2)]
    if median >= 10 and e.count * 5 < median then
      out[#out + 1] = {key = e.key, count = e.count, typical = median}
    end
  end
  sort(out, function(a, b) return a.key > b.key end)
  return out
end

--- The summary of src (an Index or a Collection), or of counts already
-- taken (M.counts). opts: top (10), months (24), min_gap (3).
function M.summary(src, opts)
  opts = opts or {}
  local n = opts.top or 10
  local st = (type(src) == "table" and src.files_by_day) and src or M.counts(src)
  local days = by_key(st.days)
  local s = {
    papers = st.papers, records = st.records, files = st.files, files_read = st.files_read, days = #days,
    first = days[1] and days[1].key, last = days[#days] and days[#days].key,
    years = by_key(st.years or {}),
    primary = top(st.primary, n), categories = top(st.categories, n), authors = top(st.authors, n),
  }
  local months = by_key(st.months)
  local m = opts.months or 24
  s.months = {}
  for i = max(1, #months - m + 1), #months do s.months[#s.months + 1] = months[i] end
  if #days <= 60 then s.by_day = days end
  s.cadence, s.gaps, s.missing = gaps(st.days, opts.min_gap or 3)
  s.nruns = #s.gaps
  -- the longest runs first, at most `top` of them (the count says how many)
  sort(s.gaps, function(a, b)
    if a.days ~= b.days then return a.days > b.days end
    return a.from > b.from
  end)
  for i = #s.gaps, n + 1, -1 do s.gaps[i] = nil end
  s.low = low_days(st.days)
  s.duplicates = {}
  for _, e in ipairs(by_key(st.files_by_day)) do
    if e.count > 1 then s.duplicates[#s.duplicates + 1] = e end
  end
  return s
end

-- }======================================================

-- {======================================================
-- Rendering
-- =======================================================

local SECTIONS = {
  {"years", "papers by year (digest day)"},
  {"months", "papers by month (the last months)"},
  {"by_day", "papers by day"},
  {"primary", "top primary categories"},
  {"categories", "top categories (cross-lists included)"},
  {"authors", "top authors"},
}

local function bar(v, most)
  return ("#"):rep(most > 0 and max(1, floor(v / most * 30)) or 0)
end

local function text(s)
  local out = {}
  out[#out + 1] = format("papers   %d", s.papers)
  if s.records then out[#out + 1] = format("records  %d", s.records) end
  out[#out + 1] = format("files    %d digests%s", s.files or 0, (s.files_read or s.files) ~= s.files
    and format(" (of %d files read: %d not a digest)", s.files_read, s.files_read - (s.files or 0)) or "")
  out[#out + 1] = format("days     %d%s", s.days, s.first and format(" (%s .. %s, %s digests)",
    s.first, s.last, s.cadence) or "")
  for _, sec in ipairs(SECTIONS) do
    local rows = s[sec[1]]
    if rows and #rows > 0 then
      out[#out + 1] = ""
      out[#out + 1] = sec[2]
      local most = 0
      for _, r in ipairs(rows) do most = max(most, r.count) end
      for _, r in ipairs(rows) do
        out[#out + 1] = format("  %-32s %6d %s", tostring(r.key), r.count, bar(r.count, most))
      end
    end
  end
  out[#out + 1] = ""
  out[#out + 1] = format("gaps in the archive (%s digests): %d missing digest days%s", s.cadence,
    s.missing, s.nruns > 0 and format("; %d runs of 3 days or more%s", s.nruns,
      #s.gaps > 0 and ", the longest:" or "") or "")
  for _, g in ipairs(s.gaps) do
    out[#out + 1] = format("  %s .. %s  %d days", g.from, g.to, g.days)
  end
  if #s.low > 0 then
    out[#out + 1] = "days with unusually few papers:"
    for _, l in ipairs(s.low) do
      out[#out + 1] = format("  %s  %d paper%s (typically %d)", l.key, l.count, l.count == 1 and "" or "s",
        l.typical)
    end
  end
  if #s.duplicates > 0 then
    out[#out + 1] = "days with several digest files:"
    for _, d in ipairs(s.duplicates) do out[#out + 1] = format("  %s  %d files", d.key, d.count) end
  end
  return concat(out, "\n") .. "\n"
end

local function markdown(s)
  local out = {"# Archive statistics", "",
    format("%d papers, %d records, %d digest files%s, %d digest days%s.", s.papers, s.records or 0,
      s.files or 0, (s.files_read or s.files) ~= s.files and format(" (of %d files read)", s.files_read) or "",
      s.days, s.first and format(" (%s to %s, %s digests)", s.first, s.last, s.cadence) or "")}
  for _, sec in ipairs(SECTIONS) do
    local rows = s[sec[1]]
    if rows and #rows > 0 then
      out[#out + 1] = ""
      out[#out + 1] = "## " .. sec[2]:sub(1, 1):upper() .. sec[2]:sub(2)
      out[#out + 1] = ""
      out[#out + 1] = "| | papers |"
      out[#out + 1] = "|---|---:|"
      for _, r in ipairs(rows) do
        out[#out + 1] = format("| %s | %d |", tostring(r.key):gsub("|", "\\|"), r.count)
      end
    end
  end
  out[#out + 1] = ""
  out[#out + 1] = "## Gaps"
  out[#out + 1] = ""
  out[#out + 1] = format("%d missing digest days.", s.missing)
  for _, g in ipairs(s.gaps) do out[#out + 1] = format("- %s to %s (%d days)", g.from, g.to, g.days) end
  for _, l in ipairs(s.low) do
    out[#out + 1] = format("- %s: only %d papers (typically %d)", l.key, l.count, l.typical)
  end
  for _, d in ipairs(s.duplicates) do out[#out + 1] = format("- %s: %d digest files", d.key, d.count) end
  return concat(out, "\n") .. "\n"
end

-- one JSON object per line: the totals, then {section =, key =, count =}
-- rows, then the gaps, low days and duplicate days
local function jsonl(s)
  local out = {json.encode{section = "totals", papers = s.papers, records = s.records, files = s.files,
    files_read = s.files_read, days = s.days, first = s.first, last = s.last, cadence = s.cadence, missing = s.missing}}
  for _, sec in ipairs(SECTIONS) do
    for _, r in ipairs(s[sec[1]] or {}) do
      out[#out + 1] = json.encode{section = sec[1], key = tostring(r.key), count = r.count}
    end
  end
  for _, g in ipairs(s.gaps) do
    out[#out + 1] = json.encode{section = "gap", from = g.from, to = g.to, days = g.days}
  end
  for _, l in ipairs(s.low) do
    out[#out + 1] = json.encode{section = "low", key = l.key, count = l.count, typical = l.typical}
  end
  for _, d in ipairs(s.duplicates) do
    out[#out + 1] = json.encode{section = "duplicate", key = d.key, count = d.count}
  end
  return concat(out, "\n") .. "\n"
end

local function csv(s)
  local function q(v)
    v = tostring(v)
    if v:find('[,"\n]') then return '"' .. v:gsub('"', '""') .. '"' end
    return v
  end
  local out = {"section,key,count"}
  for _, k in ipairs{"papers", "records", "files", "files_read", "days", "missing"} do
    out[#out + 1] = format("totals,%s,%s", k, tostring(s[k] or 0))
  end
  for _, sec in ipairs(SECTIONS) do
    for _, r in ipairs(s[sec[1]] or {}) do out[#out + 1] = format("%s,%s,%d", sec[1], q(r.key), r.count) end
  end
  for _, g in ipairs(s.gaps) do out[#out + 1] = format("gap,%s..%s,%d", g.from, g.to, g.days) end
  for _, l in ipairs(s.low) do out[#out + 1] = format("low,%s,%d", l.key, l.count) end
  for _, d in ipairs(s.duplicates) do out[#out + 1] = format("duplicate,%s,%d", d.key, d.count) end
  return concat(out, "\n") .. "\n"
end

M.RENDERERS = {text = text, markdown = markdown, jsonl = jsonl, csv = csv}

--- The summary as text, markdown, jsonl or csv.
function M.render(s, fmt)
  local f = M.RENDERERS[fmt or "text"]
  if not f then return nil, "stats: no '" .. tostring(fmt) .. "' output (text, markdown, jsonl or csv)" end
  return f(s)
end

M.dayno, M.dayname = dayno, dayname
return M
