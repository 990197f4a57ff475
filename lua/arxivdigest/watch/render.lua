--- arxivdigest.watch.render: the outputs of a watch run (arxivdigest.watch):
-- text, markdown, HTML (grouped by watch, with why each paper matched and
-- a chart of each watch's deliveries over the last weeks), jsonl, an Atom
-- feed that accumulates (regenerated from the state at every run: the
-- newest `keep` deliveries, one entry per paper version, stable ids,
-- `updated` = when it was first delivered), and an e-mail
-- (arxivdigest.mail: text and HTML).
--
--   render.text(report), render.markdown(report), render.html(report [, opts]),
--   render.jsonl(report), render.atom(report, output), render.email(report, output)
--   render.deliver(output, report)     -- writes one output (atomically) / sends it
--
-- Paper text is cleaned and escaped as in every format
-- (arxivdigest.format.util): valid UTF-8, no control or bidi characters,
-- XML/HTML-escaped, links only to http(s) URLs; markdown escapes its
-- punctuation so that no text becomes markup or HTML.

local util = require "arxivdigest.format.util"
local json = require "arxivdigest.json"
local output = require "arxivdigest.output"

local tostring, ipairs, error, pcall = tostring, ipairs, error, pcall
local format, concat, sort = string.format, table.concat, table.sort
local floor, max = math.floor, math.max

local M = {}

local esc = util.xml
local line = util.line

M.DEFAULT_WEEKS = 8

-- {======================================================
-- Shared pieces
-- =======================================================

-- days since 1970-01-01 of "YYYY-MM-DD" (proleptic Gregorian), or nil
local function days_of(s)
  local y, m, d = util.ymd(s)
  if not y then return nil end
  return util.days_from_civil(y, m, d)
end

local function day_of(z)
  return format("%04d-%02d-%02d", util.civil_from_days(z))
end
M.days_of, M.day_of = days_of, day_of

--- Weekly counts of a watch's deliveries (by digest day) for the `weeks`
-- weeks ending on day `last`: { {from=, to=, new=, revised=}, ... } oldest first.
function M.weekly(delivered, last, weeks)
  local z = days_of(last)
  if not z then return {} end
  local out = {}
  for k = weeks - 1, 0, -1 do
    local to = z - 7 * k
    out[#out + 1] = {from = day_of(to - 6), to = day_of(to), lo = to - 6, hi = to, new = 0, revised = 0}
  end
  for _, d in ipairs(delivered or {}) do
    local dz = days_of(d.day)
    if dz then
      for _, b in ipairs(out) do
        if dz >= b.lo and dz <= b.hi then
          if d.revised then b.revised = b.revised + 1 else b.new = b.new + 1 end
          break
        end
      end
    end
  end
  return out
end

local function vid(it)
  local v = math.tointeger(it.version)
  return line(it.id) .. (v and ("v" .. v) or "")
end

local function abs_url(p)
  if util.is_http_url(p.abs_url) then return p.abs_url end
  return "https://arxiv.org/abs/" .. util.id_path(line(p.id))
end

local function pdf_url(p)
  if util.is_http_url(p.pdf_url) then return p.pdf_url end
  return "https://arxiv.org/pdf/" .. util.id_path(line(p.id))
end

local function plural(n, one, many) return n .. " " .. (n == 1 and one or (many or one .. "s")) end

local function summary_counts(r)
  local parts = {}
  if #r.new > 0 or #r.revised == 0 then parts[#parts + 1] = plural(#r.new, "new paper") end
  if #r.revised > 0 then parts[#parts + 1] = #r.revised .. " revised" end
  if (r.more or 0) > 0 then parts[#parts + 1] = r.more .. " more not shown (limit " .. r.watch.limit .. ")" end
  return concat(parts, ", ")
end

local function totals(report)
  local n, rv = 0, 0
  for _, r in ipairs(report.watches) do n = n + #r.new; rv = rv + #r.revised end
  return n, rv
end
M.totals = totals

local function kind_desc(r)
  local w = r.watch
  if w.kind == "query" then return "query: " .. line(w.query)
  elseif w.kind == "authors" then return "authors: " .. line(concat(w.authors, "; "))
  elseif w.kind == "filter" then return "filter: " .. line(w.filter and w.filter.desc or "")
  elseif w.kind == "library" then return "library: " .. line(w.library) end
  return w.kind
end

local function title_of(report)
  local cfg = report.cfg
  return line((cfg and cfg.title) or ("arXiv watches" .. (report.newest and (": " .. report.newest) or "")))
end

local function authors_line(p, n)
  local a = util.array(p.authors)
  if #a == 0 then return nil end
  local out = {}
  for i = 1, math.min(#a, n or #a) do out[i] = line(a[i]) end
  if n and #a > n then out[#out + 1] = "et al." end
  return concat(out, ", ")
end

-- }======================================================

-- {======================================================
-- Text (the e-mail's text part; `watch test`)
-- =======================================================

-- prefix .. s wrapped to 76 columns, the next lines indented
local function wrap(prefix, s, indent)
  local body = require("arxivdigest.format.text").wrap(line(s), 76, indent)
  return prefix .. body:sub(#indent + 1)
end

function M.text(report)
  local out = {}
  local n, rv = totals(report)
  out[#out + 1] = title_of(report)
  out[#out + 1] = format("%s, %d revised (run %d, %s)", plural(n, "new paper"), rv, report.run or 0,
    report.at or "")
  for _, r in ipairs(report.watches) do
    out[#out + 1] = ""
    out[#out + 1] = format("== %s: %s", line(r.name), r.error and "FAILED" or summary_counts(r))
    out[#out + 1] = "   " .. kind_desc(r)
    if r.error then out[#out + 1] = "   error: " .. line(r.error) end
    for i, it in ipairs(r.new) do
      local p = it.paper
      out[#out + 1] = ""
      out[#out + 1] = wrap(format("%2d. ", i), p.title, "    ")
      local meta = vid(it) .. "  " .. line(p.first_seen or p.date)
      out[#out + 1] = "    " .. meta .. "  " .. abs_url(p)
      local au = authors_line(p, 8)
      if au then out[#out + 1] = wrap("    ", au, "    ") end
      for _, w in ipairs(it.why or {}) do out[#out + 1] = wrap("    why: ", w, "         ") end
    end
    for _, it in ipairs(r.revised) do
      local p = it.paper
      out[#out + 1] = ""
      out[#out + 1] = wrap("    revised: ", p.title, "    ")
      out[#out + 1] = "    " .. vid(it) .. "  " .. abs_url(p)
      for _, c in ipairs(it.changes or {}) do out[#out + 1] = wrap("    - ", c, "      ") end
    end
  end
  return concat(out, "\n") .. "\n"
end

-- }======================================================

-- {======================================================
-- Markdown
-- =======================================================

-- every ASCII punctuation that markdown may read as markup, backslashed;
-- the text is one clean line
local function md(s)
  return (line(s):gsub("[%\\`%*_%[%]<>#!|~&]", "\\%0"))
end
M.md = md

function M.markdown(report)
  local out = {}
  local n, rv = totals(report)
  out[#out + 1] = "# " .. md(title_of(report))
  out[#out + 1] = ""
  out[#out + 1] = format("%s, %d revised (run %d, %s)", plural(n, "new paper"), rv, report.run or 0,
    md(report.at or ""))
  for _, r in ipairs(report.watches) do
    out[#out + 1] = ""
    out[#out + 1] = "## " .. md(r.name) .. " (" .. md(r.error and "failed" or summary_counts(r)) .. ")"
    out[#out + 1] = ""
    out[#out + 1] = "*" .. md(kind_desc(r)) .. "*"
    if r.error then
      out[#out + 1] = ""
      out[#out + 1] = "**Error:** " .. md(r.error)
    end
    if #r.new > 0 then out[#out + 1] = "" end
    for i, it in ipairs(r.new) do
      local p = it.paper
      out[#out + 1] = format("%d. **[%s](<%s>)** (%s, %s)  ", i, md(p.title), abs_url(p), md(vid(it)),
        md(p.first_seen or p.date or ""))
      local au = authors_line(p, 8)
      if au then out[#out + 1] = "   " .. md(au) .. "  " end
      for _, w in ipairs(it.why or {}) do out[#out + 1] = "   *why:* " .. md(w) .. "  " end
    end
    if #r.revised > 0 then
      out[#out + 1] = ""
      out[#out + 1] = "Revised:"
      out[#out + 1] = ""
      for _, it in ipairs(r.revised) do
        local p = it.paper
        out[#out + 1] = format("- **[%s](<%s>)** (%s): %s", md(p.title), abs_url(p), md(vid(it)),
          md(concat(it.changes or {}, "; ")))
      end
    end
  end
  return concat(out, "\n") .. "\n"
end

-- }======================================================

-- {======================================================
-- JSON lines
-- =======================================================

local function json_item(r, it)
  local p = it.paper
  local o = {
    watch = line(r.name), kind = it.kind, id = line(it.id), version = math.tointeger(it.version),
    title = line(p.title), authors = json.array(util.array(p.authors)), abstract = p.abstract and line(p.abstract),
    categories = json.array(util.array(p.categories)), primary_category = p.primary_category,
    date = p.date, first_seen = p.first_seen, day = it.day, abs_url = abs_url(p), pdf_url = pdf_url(p),
    doi = p.doi, journal = p.journal, comment = p.comment and line(p.comment),
    why = json.array(it.why or {}), changes = it.changes and json.array(it.changes) or nil,
    score = it.score, run = nil,
  }
  return json.encode(o, {keys = {"watch", "kind", "id", "version", "title", "authors", "abstract", "categories",
    "primary_category", "date", "first_seen", "day", "abs_url", "pdf_url", "doi", "journal", "comment", "why",
    "changes", "score"}})
end

function M.jsonl(report)
  local out = {}
  for _, r in ipairs(report.watches) do
    if r.error then
      out[#out + 1] = json.encode({watch = line(r.name), error = line(r.error)}, {keys = {"watch", "error"}})
    end
    for _, list in ipairs{r.new, r.revised} do
      for _, it in ipairs(list) do out[#out + 1] = json_item(r, it) end
    end
  end
  return #out > 0 and (concat(out, "\n") .. "\n") or ""
end

-- }======================================================

-- {======================================================
-- HTML
-- =======================================================

local STYLE = [[
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--mute:#666;--acc:#b31b1b;--bar:#4a78b5;--rev:#c98a1b;--line:#ddd}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--bg:#161616;--mute:#aaa;--acc:#ff6b6b;--bar:#7aa7e0;--line:#333}}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);
max-width:60rem;margin:0 auto;padding:1rem 1.25rem}
h1{margin:.2rem 0;font-size:1.6rem}.count,.kind,.meta,.authors{color:var(--mute);margin:.15rem 0}
h2{border-bottom:2px solid var(--line);padding-bottom:.2rem;margin-top:2rem}
h2 .n{color:var(--mute);font-weight:normal;font-size:.9em}
article.paper{border-bottom:1px solid var(--line);padding:.6rem 0}article.paper h3{font-size:1.08rem;margin:.1rem 0}
a{color:var(--acc)}.meta,.authors{font-size:.9rem}.abstract{margin:.3rem 0}
ul.why{margin:.2rem 0;padding-left:1.2rem;font-size:.9rem}mark{background:#fff3a0;color:inherit}
.error{color:var(--acc);font-weight:bold}table.chart{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}
table.chart td{padding:1px 4px;white-space:nowrap}footer{color:var(--mute);font-size:.8rem;margin-top:2rem}
]]

-- a why line: escaped, with the snippet's «marks» as <mark> (balanced by
-- construction: a mark opens only when none is open)
local function why_html(s)
  s = line(s)
  local OPEN, CLOSE = "\u{ab}", "\u{bb}"
  local out, open, i = {}, false, 1
  while true do
    local la = s:find(OPEN, i, true)
    local lb = s:find(CLOSE, i, true)
    local a = la and lb and math.min(la, lb) or la or lb
    if not a then break end
    out[#out + 1] = esc(s:sub(i, a - 1))
    if a == la and not open then out[#out + 1] = "<mark>"; open = true
    elseif a == lb and open then out[#out + 1] = "</mark>"; open = false end
    i = a + #OPEN
  end
  out[#out + 1] = esc(s:sub(i))
  if open then out[#out + 1] = "</mark>" end
  return concat(out)
end
M.why_html = why_html

local function link(url, label)
  if util.is_http_url(url) then
    return '<a href="' .. esc(url) .. '" rel="noopener noreferrer nofollow">' .. label .. "</a>"
  end
  return label
end

-- a bar chart of weekly counts as an HTML table (renders in mail clients
-- too, where SVG often does not)
local function chart_html(weeks)
  if #weeks == 0 then return "" end
  local top = 0
  for _, b in ipairs(weeks) do top = max(top, b.new + b.revised) end
  local out = {'<table class="chart" role="img" aria-label="deliveries per week">'}
  for _, b in ipairs(weeks) do
    local total = b.new + b.revised
    local wn = top > 0 and floor(200 * b.new / top + 0.5) or 0
    local wr = top > 0 and floor(200 * b.revised / top + 0.5) or 0
    local bars = {}
    local BAR = '<span style="display:inline-block;height:10px;width:%dpx;background:%s"></span>'
    if wn > 0 then bars[#bars + 1] = format(BAR, wn, "#4a78b5") end
    if wr > 0 then bars[#bars + 1] = format(BAR, wr, "#c98a1b") end
    out[#out + 1] = format('<tr><td>%s</td><td style="width:210px">%s</td><td>%d%s</td></tr>', esc(b.from),
      concat(bars), total, b.revised > 0 and format(" (%d revised)", b.revised) or "")
  end
  out[#out + 1] = "</table>"
  return concat(out, "\n")
end

local function paper_html(it)
  local p = it.paper
  local out = {}
  local anchor = "arxiv-" .. vid(it):gsub("[^%w%.%-]", "-")
  out[#out + 1] = '<article class="paper ' .. (it.kind == "revised" and "revised" or "new") .. '" id="'
    .. esc(anchor) .. '">'
  local title = esc(p.title)
  if title == "" then title = "(untitled)" end
  out[#out + 1] = '<h3 class="title">' .. (it.kind == "revised" and "Revised: " or "") .. link(abs_url(p), title)
    .. "</h3>"
  local meta = {'<span class="id">' .. esc(vid(it)) .. "</span>"}
  local day = p.first_seen or p.date
  if util.ymd(day) then meta[#meta + 1] = '<time datetime="' .. esc(day) .. '">' .. esc(day) .. "</time>" end
  local cats = util.array(p.categories)
  if #cats > 0 then
    for i, c in ipairs(cats) do cats[i] = esc(c) end
    meta[#meta + 1] = concat(cats, " ")
  end
  meta[#meta + 1] = link(pdf_url(p), "pdf")
  for _, doi in ipairs(util.dois(p.doi)) do      -- each DOI of the field
    meta[#meta + 1] = link("https://doi.org/" .. util.pct(doi, "/:;()"), "doi:" .. esc(doi))
  end
  out[#out + 1] = '<p class="meta">' .. concat(meta, " &#183; ") .. "</p>"
  local au = authors_line(p)
  if au then out[#out + 1] = '<p class="authors">' .. esc(au) .. "</p>" end
  local list = it.kind == "revised" and it.changes or it.why
  if list and #list > 0 then
    local li = {}
    for _, w in ipairs(list) do li[#li + 1] = "<li>" .. why_html(w) .. "</li>" end
    out[#out + 1] = '<ul class="why">' .. concat(li) .. "</ul>"
  end
  if p.abstract and it.kind ~= "revised" then
    out[#out + 1] = '<p class="abstract">' .. esc(p.abstract) .. "</p>"
  end
  out[#out + 1] = "</article>"
  return concat(out, "\n")
end

--- The HTML page (or the e-mail's HTML part, opts.email): one section per
-- watch with its counts, its chart (opts.weeks weeks, default 8) and its
-- papers, each with why it matched.
function M.html(report, opts)
  opts = opts or {}
  local weeks = opts.weeks or M.DEFAULT_WEEKS
  local title = title_of(report)
  local n, rv = totals(report)
  local out = {'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8"/>'}
  if not opts.email then
    out[#out + 1] = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
      .. 'style-src \'unsafe-inline\'; img-src data:; form-action \'none\'; base-uri \'none\'"/>'
    out[#out + 1] = '<meta name="referrer" content="no-referrer"/>'
  end
  out[#out + 1] = '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
  out[#out + 1] = "<title>" .. esc(title) .. "</title>\n<style>\n" .. STYLE .. "</style>\n</head>\n<body>"
  out[#out + 1] = "<header>\n<h1>" .. esc(title) .. "</h1>"
  out[#out + 1] = format('<p class="count"><span id="new-count">%d</span> new, <span id="revised-count">%d</span> '
    .. "revised</p>\n</header>\n<main>", n, rv)
  local st = report.state
  for gi, r in ipairs(report.watches) do
    out[#out + 1] = format('<section class="watch" id="watch-%d">', gi)
    out[#out + 1] = "<h2>" .. esc(r.name) .. ' <span class="n">(' .. esc(r.error and "failed" or summary_counts(r))
      .. ")</span></h2>"
    out[#out + 1] = '<p class="kind">' .. esc(kind_desc(r)) .. "</p>"
    if r.error then out[#out + 1] = '<p class="error">Error: ' .. esc(r.error) .. "</p>" end
    local ws = st and st.watches and st.watches[r.name]
    if report.newest and ws then
      out[#out + 1] = chart_html(M.weekly(ws.delivered, report.newest, weeks))
    end
    for _, it in ipairs(r.new) do out[#out + 1] = paper_html(it) end
    for _, it in ipairs(r.revised) do out[#out + 1] = paper_html(it) end
    if not r.error and #r.new == 0 and #r.revised == 0 then
      out[#out + 1] = '<p class="none">Nothing new.</p>'
    end
    out[#out + 1] = "</section>"
  end
  out[#out + 1] = "</main>\n<footer>arxivdigest watch run " .. esc(tostring(report.run or ""))
    .. ", " .. esc(report.at or "") .. "</footer>\n</body>\n</html>\n"
  return concat(out, "\n")
end

-- }======================================================

-- {======================================================
-- Atom (accumulated from the state)
-- =======================================================

local function entry_id(id, v)
  v = math.tointeger(v)
  return "urn:arxivdigest:paper:" .. util.pct(line(id), "/") .. (v and ("v" .. v) or "")
end
M.entry_id = entry_id

--- The newest `keep` entries of a state: { {id=, v=, at=, revised=, watches={names}, why=, title=} }
-- one per paper version, newest first.
function M.feed_entries(st, keep)
  local by, list = {}, {}
  for wi, w in ipairs(st.watches) do
    for k, d in ipairs(w.delivered or {}) do
      local key = entry_id(d.id, d.v)
      local e = by[key]
      if not e then
        e = {key = key, id = d.id, v = d.v, at = d.at, revised = d.revised, watches = {}, why = d.why,
          title = d.title, day = d.day, doi = d.doi, journal = d.journal, order = wi * 1e7 + k}
        by[key] = e
        list[#list + 1] = e
      elseif d.at and (not e.at or d.at < e.at) then
        e.at = d.at
      end
      e.watches[#e.watches + 1] = w.name
    end
  end
  sort(list, function(a, b)
    if (a.at or "") ~= (b.at or "") then return (a.at or "") > (b.at or "") end
    return a.order > b.order
  end)
  local out = {}
  for i = 1, math.min(keep, #list) do out[i] = list[i] end
  return out
end

-- a short hash (FNV-1a, 32 bits, hex)
local function fnv(str)
  local h = 2166136261
  for i = 1, #str do h = ((h ~ str:byte(i)) * 16777619) & 0xffffffff end
  return format("%08x", h)
end

-- What decides an entry's text besides the paper: once written, a
-- delivery record never changes, so an entry with the same signature as
-- one of the previous feed is that entry (its text is reused: reading and
-- escaping 300 papers again at every run would cost more than the run).
local ENTRY_FORMAT = "1"
local function entry_sig(e)
  return fnv(concat({ENTRY_FORMAT, e.key, e.at or "", e.revised and "r" or "", concat(e.watches, "\1")}, "\0"))
end

-- the entries of the feed at path (our own output): signature -> text
local function previous_entries(path)
  local cache = {}
  if not path then return cache end
  local f = io.open(path, "rb")
  if not f then return cache end
  local text = f:read("a") or ""
  f:close()
  local pos = 1
  while true do
    local a, b, sig = text:find("<entry>\n<!%-%- sig (%x+) %-%->\n", pos)
    if not a then break end
    local c, d = text:find("\n</entry>", b, true)
    if not c then break end
    cache[sig] = text:sub(a, d)
    pos = d + 1
  end
  return cache
end

local function render_entry(e, sig, A, feed_updated)
  local p
  if A then
    local ok, b, d = pcall(A.entries, A, e.id)
    if ok and (b or d) then p = A:paper(b, d) end
  end
  p = p or {id = e.id, title = e.title}
  local x = {"<entry>", "<!-- sig " .. sig .. " -->"}
  x[#x + 1] = "<id>" .. esc(e.key) .. "</id>"
  local t = line(p.title)
  if t == "" then t = line(e.title) end
  if t == "" then t = line(e.id) end
  if e.revised then t = t .. " [revised: v" .. tostring(math.tointeger(e.v) or "?") .. "]" end
  x[#x + 1] = '<title type="text">' .. esc(t) .. "</title>"
  x[#x + 1] = "<updated>" .. esc(e.at or feed_updated) .. "</updated>"
  x[#x + 1] = "<published>" .. esc(e.at or feed_updated) .. "</published>"
  for _, a in ipairs(util.array(p.authors)) do
    local nm = line(a)
    if nm ~= "" then x[#x + 1] = "<author><name>" .. esc(nm) .. "</name></author>" end
  end
  x[#x + 1] = '<link rel="alternate" type="text/html" href="' .. esc(abs_url(p)) .. '"/>'
  x[#x + 1] = '<link rel="related" type="application/pdf" title="pdf" href="' .. esc(pdf_url(p)) .. '"/>'
  for _, wn in ipairs(e.watches) do
    x[#x + 1] = '<category term="' .. esc(wn) .. '" label="' .. esc(wn) .. '" scheme="urn:arxivdigest:watch"/>'
  end
  local summary = {}
  if e.why and e.why ~= "" then summary[#summary + 1] = (e.revised and "" or "Why: ") .. line(e.why) end
  if e.revised then
    summary[#summary + 1] = "Revised: v" .. tostring(math.tointeger(e.v) or "?")
      .. (e.doi and ("; DOI " .. line(e.doi)) or "") .. (e.journal and ("; " .. line(e.journal)) or "")
  end
  if p.abstract then summary[#summary + 1] = line(p.abstract) end
  if #summary > 0 then
    x[#x + 1] = '<summary type="text">' .. esc(concat(summary, " ")) .. "</summary>"
  end
  x[#x + 1] = "</entry>"
  return concat(x, "\n")
end

--- The feed of output o (opts: keep, id, title, link, path): the newest
-- `keep` deliveries of the state; returns its text and its entry count.
function M.atom(report, o)
  local st = report.state
  local A = report.archive_view
  local cfg = report.cfg
  local keep = o.keep or 200
  local entries = M.feed_entries(st, keep)
  local feed_updated = entries[1] and entries[1].at or st.at or util.timestamp()
  local id = o.id or ("urn:arxivdigest:watch:" .. util.pct(cfg and cfg.abspath or "watches", "/"))
  local title = o.title or title_of({cfg = cfg})
  local out = {
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    "<id>" .. esc(id) .. "</id>",
    '<title type="text">' .. esc(title) .. "</title>",
    "<updated>" .. esc(feed_updated) .. "</updated>",
    "<generator>arxivdigest</generator>",
    "<author><name>arxivdigest</name></author>",
  }
  if util.is_http_url(o.link) then
    out[#out + 1] = '<link rel="self" type="application/atom+xml" href="' .. esc(o.link) .. '"/>'
  end
  out[#out + 1] = '<link rel="alternate" type="text/html" href="https://arxiv.org/"/>'
  local cache = previous_entries(o.path)
  for _, e in ipairs(entries) do
    local sig = entry_sig(e)
    out[#out + 1] = cache[sig] or render_entry(e, sig, A, feed_updated)
  end
  out[#out + 1] = "</feed>"
  return concat(out, "\n") .. "\n", #entries
end

-- }======================================================

-- {======================================================
-- E-mail
-- =======================================================

function M.email_subject(report, o)
  if o.subject then return o.subject end
  local n, rv = totals(report)
  local parts = {}
  for _, r in ipairs(report.watches) do
    local k = #r.new + #r.revised
    if k > 0 then parts[#parts + 1] = format("%s %d", r.name, k) end
  end
  local s = format("arXiv: %s%s", plural(n, "new paper"), rv > 0 and format(", %d revised", rv) or "")
  if #parts > 0 then s = s .. " (" .. concat(parts, ", ") .. ")" end
  local failed = 0
  for _, r in ipairs(report.watches) do if r.error then failed = failed + 1 end end
  if failed > 0 then s = s .. " [" .. plural(failed, "watch", "watches") .. " failed]" end
  return s
end

function M.email(report, o, eol)
  local mail = require "arxivdigest.mail"
  return mail.message{
    from = o.from, to = o.to, subject = M.email_subject(report, o), date = report.now,
    text = M.text(report), html = M.html(report, {email = true, weeks = o.weeks}), eol = eol,
  }
end

-- }======================================================

-- {======================================================
-- Delivery
-- =======================================================

-- writes text atomically to path (crash points "output:N:half" and "output:N")
local function write_file(path, text, n)
  local watch = require "arxivdigest.watch"
  local dir = path:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then
    local f = io.open(dir .. "/.", "r")
    if f then f:close() else os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "' 2>/dev/null") end
  end
  local half = floor(#text / 2)
  local ok, err = output.atomic(path, function(write)
    write(text:sub(1, half))
    watch._crash_point("output:" .. n .. ":half")
    write(text:sub(half + 1))
  end)
  if not ok then error(err, 0) end
  watch._crash_point("output:" .. n)
end

--- Writes output o of a run (n: its number, for the crash points);
-- returns {entries = n} for a feed, {sent = true} for a mail sent.
function M.deliver(o, report, n)
  n = n or 1
  local fmt = o.format
  if fmt == "atom" then
    local text, k = M.atom(report, o)
    write_file(o.path, text, n)
    return {entries = k}
  elseif fmt == "html" then
    write_file(o.path, M.html(report, {weeks = o.weeks}), n)
  elseif fmt == "markdown" then
    write_file(o.path, M.markdown(report), n)
  elseif fmt == "jsonl" then
    write_file(o.path, M.jsonl(report), n)
  elseif fmt == "text" then
    write_file(o.path, M.text(report), n)
  elseif fmt == "email" then
    local res = {}
    if o.path then write_file(o.path, M.email(report, o), n) end
    local total = 0
    for _, r in ipairs(report.watches) do total = total + #r.new + #r.revised end
    local failed = false
    for _, r in ipairs(report.watches) do if r.error then failed = true end end
    if o.sendmail and (total > 0 or o.always or failed) then
      local mail = require "arxivdigest.mail"
      local ok, err = mail.send(M.email(report, o, "\n"), o.sendmail)
      if not ok then error(err, 0) end
      require("arxivdigest.watch")._crash_point("output:" .. n .. ":sent")
      res.sent = true
    end
    return res
  else
    error("unknown output format " .. tostring(fmt), 0)
  end
  return {}
end

-- }======================================================

return M
