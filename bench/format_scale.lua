-- bench/format_scale.lua: every formatter is linear in its input (issue 11,
-- F11). For every format and every text field (id, title, an author,
-- abstract, a category, primary category, doi, comment, journal, the two
-- URLs), a paper whose field holds one unbroken word of 1 MB, for several kinds of word (plain
-- letters, capitals, hyphens, dots, a URL, UTF-8, wide characters, TeX,
-- dollars, braces, control characters, invalid UTF-8...). Each row is the
-- slowest kind for that format and field, against the 1 s bound, beside
-- the same render with a 100 KB word from the same run: for a linear
-- formatter t(1 MB) / (10 * t(100 KB)) is about 1 (a quadratic one gives
-- about 10). A last row per format puts the word in every field at once
-- (11 MB of input; the format's slowest kind of word only), against a
-- bound of 1 s per field.
--
--   lua5.4 bench/format_scale.lua [--size BYTES] [--formats a,b] [--kinds a,b]
--
-- Times are CPU seconds (os.clock). Exit status 1 when a render exceeds
-- its bound.

package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
-- the C core when built (html top terms tokenize with it, as in real runs)
package.cpath = "build/?.so;" .. package.cpath
local format = require "arxivdigest.format"

local clock, fmt = os.clock, string.format

local opt = { size = 1000000 }
do
  local i = 1
  while i <= #arg do
    local a, v = arg[i], arg[i + 1]
    if a == "--size" then opt.size = assert(tonumber(v), "--size BYTES"); i = i + 2
    elseif a == "--formats" then opt.formats = v; i = i + 2
    elseif a == "--kinds" then opt.kinds = v; i = i + 2
    else error("unknown option " .. tostring(a)) end
  end
end

local function rep(unit, size)
  return unit:rep(size // #unit + 1):sub(1, size)
end

-- Each kind makes a word of about size bytes (cut on a unit boundary).
local KINDS = {
  { "letters", function(n) return rep("a", n) end },
  { "capitals", function(n) return rep("Ab", n) end },
  { "hyphens", function(n) return rep("Ab-", n) end },
  { "dots", function(n) return rep(".", n - 1) .. "x" end },
  { "punct", function(n) return rep("a.,;)", n) end },
  { "url", function(n) return "https://github.com/" .. rep("a", n - 21) .. "}." end },
  { "urls", function(n) return rep("http://x.org/a}", n) end },
  { "utf8", function(n) return rep("\195\169", n) end },
  { "wide", function(n) return rep("\230\188\162", n - n % 3) end },
  { "tex", function(n) return rep("\\'e\\alpha{", n) end },
  { "dollars", function(n) return rep("$\\x$", n) end },
  { "dollar1", function(n) return "$" .. rep("a", n - 1) end },
  { "braces", function(n) return rep("{", n // 2) .. rep("}", n // 2) end },
  { "openbraces", function(n) return rep("{", n) end },
  { "controls", function(n) return rep("a\1\27", n) end },
  { "badutf8", function(n) return rep("\255a", n) end },
  { "quotes", function(n) return rep("\"<&'", n) end },
  { "carets", function(n) return rep("^^5c", n) end },
}

local FORMATS = { "text", "markdown", "html", "atom", "csv", "jsonl", "bibtex",
  "{id} {title} {authors} {abstract} {comment} {journal} {doi}" }

local function pick(list, csv, key)
  if not csv then return list end
  local want, out = {}, {}
  for w in csv:gmatch("[^,]+") do want[w] = true end
  for _, x in ipairs(list) do if want[key and x[key] or x] then out[#out + 1] = x end end
  return out
end

local FIELDS = { "id", "title", "authors", "abstract", "categories", "primary_category", "doi", "comment",
  "journal", "pdf_url", "abs_url" }

local function paper(field, w)
  local p = {
    id = "2101.00001", version = 1, title = "A title", authors = { "Ann Author", "Bo Writer" },
    abstract = "An abstract with https://github.com/a/b and $x^2$.", categories = { "cs.CV", "cs.LG" },
    primary_category = "cs.CV", pdf_url = "https://arxiv.org/pdf/2101.00001v1",
    abs_url = "https://arxiv.org/abs/2101.00001v1", doi = "10.1234/abc", comment = "10 pages",
    journal = "A journal", published = "2021-01-04T00:00:00Z", updated = "2021-01-04T00:00:00Z",
    date = "2021-01-04", format = "catalog",
  }
  local all = field == "all"
  if all or field == "id" then p.id = w end
  if all or field == "title" then p.title = w end
  if all or field == "authors" then p.authors = { w, "Bo Writer" } end
  if all or field == "abstract" then p.abstract = w end
  if all or field == "categories" then p.categories = { w, "cs.CV" } end
  if all or field == "primary_category" then p.primary_category = w end
  if all or field == "doi" then p.doi = "10.1234/" .. w end
  if all or field == "comment" then p.comment = w end
  if all or field == "journal" then p.journal = w end
  if all or field == "pdf_url" then p.pdf_url = "https://arxiv.org/pdf/" .. w end
  if all or field == "abs_url" then p.abs_url = "https://arxiv.org/abs/" .. w end
  return p
end

local OPTS = { color = false, abstract = true, comment = true, now = "2024-01-01T00:00:00Z", scores = { 1.5 } }

local function time(f, p)
  collectgarbage()
  local t0 = clock()
  local out = format.render({ p }, f, OPTS)
  return clock() - t0, #out
end

local words = {}
local function word(kind, size)
  local key = kind[1] .. size
  if not words[key] then words[key] = kind[2](size) end
  return words[key]
end

local fails = 0
local kinds = pick(KINDS, opt.kinds, 1)
print(fmt("format_scale: one field holds one word of %d bytes (%d kinds of word); bound 1 s per render",
  opt.size, #kinds))
print(fmt("%-9s %-16s %-10s %9s %10s %7s %11s  %s", "format", "field", "worst word", "t(1/10)", "t(size)",
  "ratio", "output", "bound"))
for _, f in ipairs(pick(FORMATS, opt.formats)) do
  local name = f:find("{", 1, true) and "template" or f
  local fields = { table.unpack(FIELDS) }
  fields[#fields + 1] = "all"
  local fworst, fwk = -1, nil
  for _, field in ipairs(fields) do
    local worst, wk, wn = -1, nil, 0
    -- every kind per field; the word in all fields at once only with the
    -- format's slowest kind (a 13 MB render per kind would take minutes)
    for _, k in ipairs(field == "all" and { fwk } or kinds) do
      local t, n = time(f, paper(field, word(k, opt.size)))
      if t > worst then worst, wk, wn = t, k, n end
    end
    if field ~= "all" and worst > fworst then fworst, fwk = worst, wk end
    local ts = time(f, paper(field, word(wk, opt.size // 10)))
    local ratio = worst / math.max(10 * ts, 1e-6)
    local bound = field == "all" and #FIELDS or 1
    local ok = worst <= bound
    if not ok then fails = fails + 1 end
    print(fmt("%-9s %-16s %-10s %8.3fs %9.3fs %7.2f %10dB  %s", name, field, wk[1], ts, worst, ratio, wn,
      ok and ("ok (<= " .. bound .. " s)") or ("OVER " .. bound .. " s")))
  end
end
if fails > 0 then
  print(fails .. " render(s) over the bound")
  os.exit(1)
end
print("every render within its bound")
