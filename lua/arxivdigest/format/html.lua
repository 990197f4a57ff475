-- arxivdigest.format.html: one self-contained HTML page.
--
--   opts.title   page title and heading; without it they name opts.query
--                ("arXiv: diffusion"; opts.command "similar" gives "arXiv
--                similar: ..."), else "arXiv digest"
--   opts.query   the query shown (see opts.title); also left out of the
--                top terms
--   opts.command the command that made the page (default "search")
--   opts.total   the number of matches before a limit ("2 of 75 papers")
--   opts.groups  one <section> per group ({key=, papers=})
--   opts.charts  true (default) / false, or { days = bool, terms = bool }:
--                inline SVG bar charts of papers per day and top terms
--   opts.terms   precomputed top terms { {term=, count=}, ... } for the chart
--   opts.now     timestamp shown in the footer (string, or epoch seconds)
--   opts.abstract false to leave abstracts out
--   opts.scores  scores parallel to the papers (groups may carry .scores),
--                shown when the output is ranked
--   opts.ranked  true / false: show scores or not; nil: ranked when some
--                score is a non-zero number (never "score 0" on every paper)
--
-- The page references nothing outside itself: no external CSS, script,
-- font or image; a Content-Security-Policy forbids them too. Every piece of
-- paper text is escaped (the page is also well-formed XML); only http(s)
-- URLs become links, anything else (javascript:...) is shown as text.

local util = require "arxivdigest.format.util"

local type, tostring, ipairs, pairs, tonumber = type, tostring, ipairs, pairs, tonumber
local table, string, math = table, string, math

local M = { name = "html", extension = "html", mime = "text/html; charset=utf-8" }

local esc = util.xml

local STYLE = [[
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--mute:#666;--acc:#b31b1b;--bar:#4a78b5;--line:#ddd}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--bg:#161616;--mute:#aaa;--acc:#ff6b6b;--bar:#7aa7e0;--line:#333}}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);
max-width:60rem;margin:0 auto;padding:1rem 1.25rem}
header h1{margin:.2rem 0;font-size:1.6rem}.count{color:var(--mute);margin:0}
h2{border-bottom:2px solid var(--line);padding-bottom:.2rem;margin-top:2rem}
h2 .n{color:var(--mute);font-weight:normal;font-size:.9em}
article.paper{border-bottom:1px solid var(--line);padding:.6rem 0}
article.paper h3{font-size:1.08rem;margin:.1rem 0}
a{color:var(--acc)}.meta,.authors{color:var(--mute);font-size:.9rem;margin:.15rem 0}
.abstract{margin:.3rem 0;text-align:justify;hyphens:auto}.links a{margin-right:.8rem;font-size:.9rem}
.cat{display:inline-block;border:1px solid var(--line);border-radius:3px;padding:0 .3rem;margin-right:.2rem}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.chart{flex:1 1 26rem}.chart h2{font-size:1rem}
svg{width:100%;height:auto}svg .bar{fill:var(--bar)}svg text{fill:var(--fg);font:11px sans-serif}
svg .axis{stroke:var(--mute);stroke-width:1}footer{color:var(--mute);font-size:.8rem;margin-top:2rem}
]]

-- Text with the links it contains (util.links: bare http(s) URLs, \url{},
-- \href{}{}, www. and code hosts) turned into links; everything else
-- escaped.
local function linkify(s)
  local out = {}
  for _, seg in ipairs(util.links(util.line(s))) do
    if seg.url then
      out[#out + 1] = '<a href="' .. esc(seg.url) .. '" rel="noopener noreferrer nofollow">' .. esc(seg.text) .. "</a>"
    else
      out[#out + 1] = esc(seg.text)
    end
  end
  return table.concat(out)
end
M.linkify = linkify

local function link(url, label)
  if util.is_http_url(url) then
    return '<a href="' .. esc(url) .. '" rel="noopener noreferrer nofollow">' .. esc(label) .. "</a>"
  end
  return nil
end

local function id_url(id, kind)
  return "https://arxiv.org/" .. kind .. "/" .. util.id_path(util.line(id))
end

local function paper_html(p, opts, score)
  local out = {}
  local id = util.line(p.id)
  local v = p.version
  local vid = id .. (v ~= nil and ("v" .. util.line(v)) or "")
  local abs = p.abs_url
  if not util.is_http_url(abs) then abs = id ~= "" and id_url(id, "abs") or nil end
  out[#out + 1] = '<article class="paper" id="' .. esc("arxiv-" .. vid:gsub("[^%w%.%-]", "-")) .. '">'
  local title = esc(p.title)
  if title == "" then title = "(untitled)" end
  local tl = title
  if util.is_http_url(abs) then
    tl = '<a href="' .. esc(abs) .. '" rel="noopener noreferrer nofollow">' .. title .. "</a>"
  end
  out[#out + 1] = '<h3 class="title">' .. tl .. "</h3>"
  local meta = { '<span class="id">' .. esc(vid) .. "</span>" }
  if p.date then meta[#meta + 1] = '<time datetime="' .. esc(p.date) .. '">' .. esc(p.date) .. "</time>" end
  local cats = util.array(p.categories)
  local prim = p.primary_category
  if #cats == 0 and prim then cats = { prim } end
  local cs = {}
  for _, c in ipairs(cats) do
    cs[#cs + 1] = '<span class="cat">' .. (c == prim and "<b>" .. esc(c) .. "</b>" or esc(c)) .. "</span>"
  end
  if #cs > 0 then meta[#meta + 1] = table.concat(cs) end
  if p.crosslist then meta[#meta + 1] = "cross-list" end
  if score then
    meta[#meta + 1] = '<span class="score">score ' .. string.format("%.3g", score) .. "</span>"
  end
  out[#out + 1] = '<p class="meta">' .. table.concat(meta, " &#183; ") .. "</p>"
  local authors = util.array(p.authors)
  if #authors > 0 then
    for i, a in ipairs(authors) do authors[i] = esc(a) end
    out[#out + 1] = '<p class="authors">' .. table.concat(authors, ", ") .. "</p>"
  end
  if opts.abstract ~= false and p.abstract then
    out[#out + 1] = '<p class="abstract">' .. linkify(p.abstract) .. "</p>"
  end
  local extra = {}
  if p.comment then extra[#extra + 1] = "<b>Comment:</b> " .. linkify(p.comment) end
  if p.journal then extra[#extra + 1] = "<b>Journal:</b> " .. esc(p.journal) end
  if #extra > 0 then out[#out + 1] = '<p class="meta">' .. table.concat(extra, "<br/>") .. "</p>" end
  local links = {}
  if abs then links[#links + 1] = link(abs, "abs") or ("abs: " .. esc(abs)) end
  local pdf = p.pdf_url
  if pdf ~= nil then
    links[#links + 1] = link(pdf, "pdf") or ('<span class="bad-url">pdf: ' .. esc(pdf) .. "</span>")
  elseif id ~= "" then
    links[#links + 1] = link(id_url(id, "pdf"), "pdf")
  end
  if p.doi then
    local doi = util.line(p.doi)
    links[#links + 1] = link("https://doi.org/" .. util.pct(doi, "/:;()"), "doi:" .. doi)
      or ("doi:" .. esc(doi))
  end
  if p.abs_url ~= nil and not util.is_http_url(p.abs_url) then
    links[#links + 1] = '<span class="bad-url">' .. esc(p.abs_url) .. "</span>"
  end
  if #links > 0 then out[#out + 1] = '<p class="links">' .. table.concat(links, " ") .. "</p>" end
  out[#out + 1] = "</article>"
  return table.concat(out, "\n") .. "\n"
end

-- {======================================================================
-- Charts
-- =======================================================================

local STOP = {}
for w in ([[a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off
on once only or other our ours out over own same she should so some such than that the their theirs them
then there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours via using based use used new propose proposed method methods
approach paper show shows results result however first two one three also well many work problem problems
state art existing recent recently furthermore moreover model models different large able can performance
task tasks while thus therefore significantly extensive experiments demonstrate achieve achieves without
specifically address novel framework introduce present provide et al]]):gmatch("%a+") do
  STOP[w] = true
end

-- Top n terms of titles and abstracts: { {term=, count=}, ... } (count =
-- number of papers using the term).
function M.top_terms(papers, n)
  local df = {}
  for i = 1, #papers do
    local p = papers[i]
    local text = (util.line(p.title) .. " " .. util.line(p.abstract)):lower()
    text = text:gsub("%$[^$]*%$", " "):gsub("https?://%S+", " ")
    local seen = {}
    for w in text:gmatch("%a[%a%-]*%a") do
      if #w >= 3 and not STOP[w] and not seen[w] then
        seen[w] = true
        df[w] = (df[w] or 0) + 1
      end
    end
  end
  local terms = {}
  for w, c in pairs(df) do terms[#terms + 1] = { term = w, count = c } end
  table.sort(terms, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.term < b.term
  end)
  local out = {}
  for i = 1, math.min(n, #terms) do out[i] = terms[i] end
  return out
end

local function fmt(x)
  return string.format("%.1f", x)
end

-- Papers per day as vertical bars.
function M.days_chart(papers)
  local counts, days = {}, {}
  for i = 1, #papers do
    local d = papers[i].date
    if type(d) == "string" and util.ymd(d) then
      d = d:sub(1, 10)
      if not counts[d] then counts[d] = 0; days[#days + 1] = d end
      counts[d] = counts[d] + 1
    end
  end
  if #days == 0 then return nil end
  table.sort(days)
  local W, H, left, bottom, top = 640, 220, 36, 30, 14
  local max = 0
  for _, d in ipairs(days) do max = math.max(max, counts[d]) end
  local plotw, ploth = W - left - 8, H - bottom - top
  local bw = plotw / #days
  local out = {
    string.format('<svg class="chart-days" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" '
      .. 'aria-label="papers per day">', W, H),
    "<title>Papers per day</title>",
    string.format('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>', left, H - bottom, W - 8, H - bottom),
    string.format('<text x="%d" y="%d" text-anchor="end">%d</text>', left - 4, top + 4, max),
    string.format('<text x="%d" y="%d" text-anchor="end">0</text>', left - 4, H - bottom),
  }
  for i, d in ipairs(days) do
    local h = ploth * counts[d] / max
    out[#out + 1] = string.format('<rect class="bar" x="%s" y="%s" width="%s" height="%s"><title>%s: %d</title></rect>',
      fmt(left + (i - 1) * bw + bw * 0.1), fmt(H - bottom - h), fmt(math.max(bw * 0.8, 0.5)), fmt(h),
      esc(d), counts[d])
  end
  -- label the first and last day (and the middle one when there are many)
  local labels = { 1 }
  if #days > 2 then labels[#labels + 1] = (#days + 1) // 2 end
  if #days > 1 then labels[#labels + 1] = #days end
  for _, i in ipairs(labels) do
    local anchor = i == 1 and "start" or (i == #days and "end" or "middle")
    local x = i == 1 and left or (i == #days and W - 8 or left + (i - 0.5) * bw)
    out[#out + 1] = string.format('<text x="%s" y="%d" text-anchor="%s">%s</text>', fmt(x), H - bottom + 16, anchor,
      esc(days[i]))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n"), #days
end

-- Top terms as horizontal bars.
function M.terms_chart(terms)
  if #terms == 0 then return nil end
  local W, row, left = 640, 20, 150
  local H = #terms * row + 10
  local max = 0
  for _, t in ipairs(terms) do max = math.max(max, tonumber(t.count) or 0) end
  if max <= 0 then return nil end
  local out = {
    string.format('<svg class="chart-terms" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" '
      .. 'aria-label="top terms">', W, H),
    "<title>Top terms</title>",
  }
  for i, t in ipairs(terms) do
    local y = (i - 1) * row + 5
    local c = tonumber(t.count) or 0
    local w = (W - left - 50) * c / max
    out[#out + 1] = string.format('<text x="%d" y="%s" text-anchor="end">%s</text>', left - 6, fmt(y + row * 0.65),
      esc(t.term))
    out[#out + 1] = string.format('<rect class="bar" x="%d" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>',
      left, fmt(y + 2), fmt(math.max(w, 0.5)), fmt(row - 6), esc(t.term), esc(c))
    out[#out + 1] = string.format('<text x="%s" y="%s">%s</text>', fmt(left + w + 4), fmt(y + row * 0.65), esc(c))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

-- {======================================================================
-- Page
-- =======================================================================

function M.render(papers, opts, write)
  local title = util.output_title(opts, "arXiv digest")
  local all = papers
  if opts.groups and #papers == 0 then all = util.flatten(opts.groups) end
  local n = #all
  write('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8"/>\n'
    .. '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
    .. 'img-src data:; form-action \'none\'; base-uri \'none\'"/>\n'
    .. '<meta name="referrer" content="no-referrer"/>\n'
    .. '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
    .. "<title>" .. esc(title) .. "</title>\n<style>\n" .. STYLE .. "</style>\n</head>\n<body>\n"
    .. "<header>\n<h1>" .. esc(title) .. "</h1>\n"
    .. ((opts.query ~= nil and opts.title ~= nil)
      and ('<p class="count">Query: <code>' .. esc(opts.query) .. "</code></p>\n") or "")
    .. '<p class="count"><span id="paper-count">' .. n .. "</span> "
    .. util.count_line(n, opts.total):gsub("^%d+ ", "") .. "</p>\n"
    .. "</header>\n")
  local charts = opts.charts
  if charts == nil then charts = true end
  if charts then
    local want_days = charts == true or charts.days ~= false
    local want_terms = charts == true or charts.terms ~= false
    local parts = {}
    if want_days then
      local svg = M.days_chart(all)
      if svg then parts[#parts + 1] = '<div class="chart">\n<h2>Papers per day</h2>\n' .. svg .. "\n</div>" end
    end
    if want_terms then
      local svg = M.terms_chart(opts.terms or M.top_terms(all, 15))
      if svg then parts[#parts + 1] = '<div class="chart">\n<h2>Top terms</h2>\n' .. svg .. "\n</div>" end
    end
    if #parts > 0 then
      write('<section class="charts">\n' .. table.concat(parts, "\n") .. "\n</section>\n")
    end
  end
  local ranked = util.ranked(opts)
  write("<main>\n")
  if opts.groups then
    for gi, g in ipairs(opts.groups) do
      local ps = g.papers or {}
      write('<section class="group" id="group-' .. gi .. '">\n<h2>' .. esc(g.key == nil and "(none)" or tostring(g.key))
        .. ' <span class="n">(' .. #ps .. ")</span></h2>\n")
      local sc = type(g.scores) == "table" and g.scores or {}
      for i = 1, #ps do write(paper_html(ps[i], opts, util.score(ranked, sc[i]))) end
      write("</section>\n")
    end
  else
    local sc = type(opts.scores) == "table" and opts.scores or {}
    for i = 1, #papers do write(paper_html(papers[i], opts, util.score(ranked, sc[i]))) end
  end
  write("</main>\n<footer>Generated by arxivdigest on " .. esc(util.timestamp(opts.now))
    .. "</footer>\n</body>\n</html>\n")
end

return M
