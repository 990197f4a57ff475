-- arxivdigest.format.markdown: write papers back in the two digest formats
-- the parser reads, so that parsing the output gives the same records.
--
--   opts.style = "catalog" | "listing" | "auto" (each paper in the format
--                it was read from: p.format); default: "listing" when every
--                paper was read from a daily listing (p.format) and the
--                output is not ranked (opts.ranked: a search by score, a
--                recommendation: a list for reading, not a digest), so
--                that a listing written back parses to the same records;
--                else "catalog" (it holds every field)
--   opts.category  header category (catalog: default the category every
--                  paper of the day shares, else the most common primary;
--                  listing: always the paper's primary category)
--
-- catalog ("# Arxiv Papers in cs.CV on 2019-10-19", then per paper
-- "### Title" and "- **Field**: value" lines, None for absent values, the
-- primary category in bold first, three blank lines between records).
-- listing ("# ArXiv cs.CV --Wed, 20 May 2020", "### N.Title  [ :arrow_down: ](pdf)",
-- ">  abstract"); listings are read back as HTML, so & < > are escaped.
-- Date-ordered papers (M.date_ordered: each day one run of consecutive
-- papers, the days in order or two papers a day on average) are sectioned
-- by day (catalog) or day and primary category (listing), one header per
-- section, in order of first appearance; inside a listing section new
-- submissions come before cross-lists. Other orders (a ranking by score
-- over many days) are written as given, without day headers, with the date
-- on each paper ("- **Date**: 2020-05-20" after a catalog title; after the
-- link in a listing title): such output is for reading, the parser reads
-- it without digest dates.
--
-- Text is written on one line per field (whitespace runs collapsed), as valid
-- UTF-8 without control or bidi-override characters, so a field value cannot
-- start a new field or record.

local util = require "arxivdigest.format.util"

local type, tostring, ipairs, error, math_type = type, tostring, ipairs, error, math.type
local table, string = table, string

local M = { name = "markdown", extension = "md", mime = "text/markdown; charset=utf-8" }

local function one_line(s)
  if s == nil then return nil end
  return util.line(tostring(s))
end

local function value(s)
  s = one_line(s)
  if s == nil or s == "" then return "None" end
  return s
end

local function esc_pattern(s)
  return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

-- A URL may be written back only if it has no characters that would end the
-- markdown link or the line.
local function plain_url(u)
  return type(u) == "string" and u:match("^https?://[%w%-%._~/%%:]+$") ~= nil
end

local function version_suffix(p)
  local v = p.version
  if v ~= nil and (math_type(v) == "integer" or (type(v) == "string" and v:match("^%d+$"))) then
    return "v" .. tostring(v)
  end
  return ""
end

local function abs_url(p, id)
  local u = p.abs_url
  local base = "^https?://arxiv%.org/abs/" .. esc_pattern(id)
  if plain_url(u) and (u:match(base .. "$") or u:match(base .. "v%d+$")) then
    return u
  end
  return "http://arxiv.org/abs/" .. id .. version_suffix(p)
end

local function pdf_url_catalog(p, id)
  local u = p.pdf_url
  local base = "^https?://arxiv%.org/pdf/" .. esc_pattern(id)
  if plain_url(u) and (u:match(base .. "$") or u:match(base .. "v%d+$") or u:match(base .. "%.pdf$")
      or u:match(base .. "v%d+%.pdf$")) then
    return u
  end
  return "http://arxiv.org/pdf/" .. id .. version_suffix(p)
end

local function pdf_url_listing(p, id)
  local u = p.pdf_url
  local base = "^https?://arxiv%.org/pdf/" .. esc_pattern(id)
  if plain_url(u) and (u:match(base .. "%.pdf$") or u:match(base .. "v%d+%.pdf$")) then
    return u
  end
  return "https://arxiv.org/pdf/" .. id .. version_suffix(p) .. ".pdf"
end

-- "2019-10-19T00:02:48Z" -> "2019-10-19 00:02:48+00:00"
local function api_time(t)
  if t == nil then return "None" end
  t = one_line(t)
  local d, hms = t:match("^(%d%d%d%d%-%d%d%-%d%d)T(%d%d:%d%d:%d%d)Z$")
  if d then return d .. " " .. hms .. "+00:00" end
  return t ~= "" and t or "None"
end

local function paper_id(p)
  local id = one_line(p.id) or ""
  -- an id is written inside URLs: keep only characters ids are made of
  return (id:gsub("[^%w%./%-]", ""))
end

-- Day of a paper: its digest date, else the day it was published.
local function paper_date(p)
  local d = p.date
  if type(d) == "string" and util.ymd(d) then return d:sub(1, 10) end
  local pub = p.published
  if type(pub) == "string" and util.ymd(pub) then return pub:sub(1, 10) end
  return nil
end

-- Split papers into sections keyed by key(p), in order of first appearance.
local function sections(papers, key)
  local order, by = {}, {}
  for i = 1, #papers do
    local p = papers[i]
    local k = key(p)
    local s = by[k]
    if not s then
      s = { key = k, papers = {} }
      by[k] = s
      order[#order + 1] = s
    end
    s.papers[#s.papers + 1] = p
  end
  return order
end

-- {======================================================================
-- catalog
-- =======================================================================

local function header_category(ps, opts)
  if opts.category then return one_line(opts.category) end
  -- a category every paper lists, tried in the first paper's order
  local first = util.array(ps[1].categories)
  table.insert(first, 1, ps[1].primary_category)
  for _, c in ipairs(first) do
    if c then
      local all = true
      for i = 2, #ps do
        local found = ps[i].primary_category == c
        if not found then
          local cats = util.array(ps[i].categories)
          for _, x in ipairs(cats) do if x == c then found = true; break end end
        end
        if not found then all = false; break end
      end
      if all then return one_line(c) end
    end
  end
  local count, best, bestn = {}, nil, 0
  for i = 1, #ps do
    local c = ps[i].primary_category
    if c then
      count[c] = (count[c] or 0) + 1
      if count[c] > bestn then best, bestn = c, count[c] end
    end
  end
  return one_line(best) or "cs"
end

local function categories_line(p)
  local prim = one_line(p.primary_category)
  local cats = util.array(p.categories)
  local out = {}
  if prim and prim ~= "" then out[1] = "**" .. prim .. "**" end
  for _, c in ipairs(cats) do
    c = one_line(c)
    if c ~= "" and c ~= prim then out[#out + 1] = c end
  end
  if #out == 0 then return "None" end
  return table.concat(out, ", ")
end

-- opts.notes (paper -> one line, e.g. a recommendation's evidence)
local function note_of(opts, p)
  local n = type(opts) == "table" and type(opts.notes) == "table" and opts.notes[p]
  return type(n) == "string" and n ~= "" and one_line(n) or nil
end

local function catalog_record(p, write, dated, note)
  local id = paper_id(p)
  local authors = util.array(p.authors)
  for i, a in ipairs(authors) do authors[i] = one_line(a) end
  local buf = {
    "### ", one_line(p.title) or "", "\n",
    dated and ("- **Date**: " .. (paper_date(p) or "None") .. "\n") or "",
    "- **Arxiv ID**: ", id ~= "" and abs_url(p, id) or "None", "\n",
    "- **DOI**: ", value(p.doi), "\n",
    "- **Categories**: ", categories_line(p), "\n",
    "- **Links**: ", (id ~= "" and p.pdf_url ~= nil) and ("[PDF](" .. pdf_url_catalog(p, id) .. ")") or "None", "\n",
    "- **Published**: ", api_time(p.published), "\n",
    "- **Updated**: ", api_time(p.updated), "\n",
    "- **Authors**: ", #authors > 0 and table.concat(authors, ", ") or "None", "\n",
    "- **Comment**: ", value(p.comment), "\n",
    "- **Journal**: ", value(p.journal), "\n",
    "- **Summary**: ", value(p.abstract), "\n",
    note and ("- **Why**: " .. note .. "\n") or "",
    "\n\n\n",
  }
  write(table.concat(buf))
end

local function render_catalog(papers, opts, write, headers)
  if not headers then
    for i = 1, #papers do catalog_record(papers[i], write, true, note_of(opts, papers[i])) end
    return
  end
  for _, s in ipairs(sections(papers, function(p) return paper_date(p) or "" end)) do
    write("# Arxiv Papers in " .. header_category(s.papers, opts) .. " on " .. s.key .. "\n")
    for _, p in ipairs(s.papers) do catalog_record(p, write, nil, note_of(opts, p)) end
  end
end

-- {======================================================================
-- listing
-- =======================================================================

local HTML_ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;" }

local function html(s)
  s = one_line(s) or ""
  return (s:gsub("[&<>]", HTML_ESC))
end

-- "2020-05-20" -> "Wed, 20 May 2020"
local function listing_day(date)
  local y, m, d = util.ymd(date)
  if not y then return "" end
  return string.format("%s, %02d %s %04d", util.DAYS[util.weekday(y, m, d)], d, util.MONTHS[m], y)
end

local function render_listing(papers, opts, write, headers)
  local function why(p)
    local n = note_of(opts, p)
    return n and (">  *Why*: " .. html(n) .. "      \n") or ""
  end
  if not headers then
    for n = 1, #papers do
      local p = papers[n]
      local id = paper_id(p)
      local link = id ~= "" and ("  [ :arrow_down: ](" .. pdf_url_listing(p, id) .. ")") or ""
      write("### " .. n .. "." .. html(p.title) .. link .. "  " .. (paper_date(p) or "") .. " "
        .. html(p.primary_category) .. "\n" .. ">  " .. html(p.abstract) .. "      \n" .. why(p))
    end
    return
  end
  local function key(p)
    return (paper_date(p) or "") .. " " .. (one_line(p.primary_category) or "")
  end
  for _, s in ipairs(sections(papers, key)) do
    local p1 = s.papers[1]
    local cat = one_line(p1.primary_category) or ""
    write("# ArXiv " .. cat .. " --" .. listing_day(paper_date(p1)) .. "\n")
    local ordered = {}
    for _, p in ipairs(s.papers) do if not p.crosslist then ordered[#ordered + 1] = p end end
    for _, p in ipairs(s.papers) do if p.crosslist then ordered[#ordered + 1] = p end end
    for n, p in ipairs(ordered) do
      local id = paper_id(p)
      local link = id ~= "" and ("  [ :arrow_down: ](" .. pdf_url_listing(p, id) .. ")") or ""
      write("### " .. n .. "." .. html(p.title) .. link .. "\n" .. ">  " .. html(p.abstract) .. "      \n" .. why(p))
    end
  end
end

-- Are the papers date-ordered, so that day headers group them without
-- reordering or repeating a day? Each day must form one run of consecutive
-- papers, and the days must follow each other in order (either way), or
-- the runs must hold two papers on average. A list ranked by score over
-- many days is not: its papers are written in their order without day
-- headers, each with its date.
function M.date_ordered(papers)
  local seen, runs, last = {}, 0, nil
  local up, down = true, true
  for i = 1, #papers do
    local d = paper_date(papers[i]) or ""
    if d ~= last then
      if seen[d] then return false end
      seen[d] = true
      if last ~= nil then
        if d < last then up = false else down = false end
      end
      runs = runs + 1
      last = d
    end
  end
  return up or down or #papers >= 2 * runs
end

-- The default style: listing when every paper was read from a daily
-- listing (and there is one) and the output is not ranked, else catalog.
function M.default_style(papers, opts)
  if #papers == 0 or (type(opts) == "table" and opts.ranked) then return "catalog" end
  for i = 1, #papers do
    if papers[i].format ~= "listing" then return "catalog" end
  end
  return "listing"
end

local STYLES = { catalog = true, listing = true, auto = true }

-- The check of the options (render and :format() run it): a message or nil.
function M.check_opts(opts)
  local st = opts.style
  if st ~= nil and not STYLES[st] then
    return "markdown: unknown style " .. (type(st) == "string" and ("'" .. st .. "'") or type(st))
      .. " (catalog, listing or auto)"
  end
  return nil
end

function M.render(papers, opts, write)
  local style = opts.style or M.default_style(papers, opts)
  local headers = M.date_ordered(papers)
  if style == "catalog" then
    render_catalog(papers, opts, write, headers)
  elseif style == "listing" then
    render_listing(papers, opts, write, headers)
  elseif style == "auto" then
    -- each paper in the format it was read from, in runs of one format
    local run, kind = {}, nil
    local function flush()
      if #run > 0 then
        if kind == "listing" then render_listing(run, opts, write, headers)
        else render_catalog(run, opts, write, headers) end
      end
      run = {}
    end
    for i = 1, #papers do
      local k = papers[i].format == "listing" and "listing" or "catalog"
      if k ~= kind then flush(); kind = k end
      run[#run + 1] = papers[i]
    end
    flush()
  else
    error("markdown: unknown style '" .. tostring(style) .. "' (catalog, listing or auto)", 0)
  end
end

return M
