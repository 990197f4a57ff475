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
--   opts.terms   precomputed top terms { {term=, count=[, weight=]}, ... }
--   opts.df, opts.ndocs  df(term) -> number of archive papers holding the
--                term (an index term: arxivdigest.core.tokens), and the
--                archive's paper count: the top terms are weighed by tf-idf
--                against the archive; without them, by count * log((n+1) /
--                count) within the n papers shown, after a stop-word list
--                (M.top_terms). The query's own terms are left out.
--   The papers-over-time chart has one bar per day, week, month or year,
--   the first unit giving at most 60 bars over the span of the dates.
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
  local note = type(opts.notes) == "table" and opts.notes[p]
  if type(note) == "string" and note ~= "" then
    out[#out + 1] = '<p class="why"><b>Why:</b> ' .. esc(note) .. "</p>"
  end
  local links = {}
  if abs then links[#links + 1] = link(abs, "abs") or ("abs: " .. esc(abs)) end
  local pdf = p.pdf_url
  if pdf ~= nil then
    links[#links + 1] = link(pdf, "pdf") or ('<span class="bad-url">pdf: ' .. esc(pdf) .. "</span>")
  elseif id ~= "" then
    links[#links + 1] = link(id_url(id, "pdf"), "pdf")
  end
  for _, doi in ipairs(util.dois(p.doi)) do      -- each DOI of the field
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

-- Words that say nothing about a topic: English function words and the
-- boilerplate of abstracts ("across", "available", "propose"...).
local STOP = {}
for w in ([[a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off
on once only or other our ours out over own same she should so some such than that the their theirs them
then there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours via using based use used uses new propose proposed proposes method
methods approach approaches paper show shows shown results result however first second third two one three
four five well many work works problem problems state art existing recent recently furthermore moreover
different large able performance task tasks thus therefore significantly significant extensive experiments
experiment experimental demonstrate demonstrates demonstrated achieve achieves achieved without specifically
address addresses novel framework introduce introduces introduced present presents presented provide provides
provided et al across available availability code codes publicly public github com https http www
including include includes included several various within among upon whether often even still yet since
although though another further given make makes made making allow allows allowed enable enables enabled
consider considered considering obtain obtained outperform outperforms outperformed improve improves improved
improvement improvements compared comparison comparable better best effective effectively efficient
efficiently high higher low lower key main important particular particularly respectively especially simple
similar previous prior current general generally common commonly widely wide order terms way ways number
numbers lead leads leading found find finds study studies studied aim aims goal focus focuses due per less
much may might must need needs needed take takes taken via etc ie eg i.e e.g fig figure table tables section
sota benchmark benchmarks extensive comprehensive superior strong robust robustness
state-of-the-art]]):gmatch("[%a%.%-]+") do
  STOP[w] = true
end
M.STOP = STOP

local has_core, core = pcall(require, "arxivdigest.core")
if not (has_core and type(core) == "table" and type(core.tokens) == "function") then has_core = false end

-- Tokens as the index makes them (arxivdigest.core.tokens: lower case,
-- diacritics folded, a hyphenated word and its parts), else an
-- approximation (lower-cased words of letters, digits and hyphens).
local function tokens(s)
  if has_core then
    local ok, t = pcall(core.tokens, s)
    if ok and type(t) == "table" then return t end
  end
  local out = {}
  for w in s:lower():gmatch("[%w\128-\255][%w\128-\255%-]*") do
    w = w:gsub("%-+$", "")
    out[#out + 1] = w
    if w:find("-", 1, true) then
      for part in w:gmatch("[^%-]+") do out[#out + 1] = part end
    end
  end
  return out
end
M.tokens = tokens

-- The query's own terms (not negated ones), as tokens: left out of the
-- top terms.
-- The positive prefix terms of a query AST (segment* in "segment* -nerf*")
local function prefixes(node, positive, out)
  local t = node.type
  if t == "term" and node.prefix and positive then out[#out + 1] = node.text
  elseif t == "not" then prefixes(node[1], not positive, out)
  elseif t == "and" or t == "or" then
    for i = 1, #node do prefixes(node[i], positive, out) end
  end
  return out
end

local function query_tokens(q)
  local out = {}
  if type(q) ~= "string" or q == "" then return out end
  local texts, ast
  local okq, query = pcall(require, "arxivdigest.query")
  if okq then
    local ok, parsed = pcall(query.parse, q)
    if ok then
      ast = parsed
      local okt, t = pcall(query.terms, ast)
      if okt then texts = t end
    end
  end
  texts = texts or { q }
  for _, t in ipairs(texts) do
    for _, tok in ipairs(tokens(tostring(t))) do out[tok] = true end
  end
  -- prefixes in the array part: every word they expand to is the query's
  -- own too (not a negated one's)
  for _, pre in ipairs(ast and prefixes(ast, true, {}) or {}) do
    local tok = tokens(pre)[1]
    if tok then out[#out + 1] = tok end
  end
  return out
end
M.query_tokens = query_tokens

-- Is w one of the query's tokens, its plural, or a compound holding one
-- (clouds for "cloud", nerf-based for "nerf")?
local function dropped(w, drop)
  if next(drop) == nil then return false end       -- (no query: the common case)
  if drop[w] then return true end
  if w:byte(-1) == 115 then                        -- "s": a plural ("es" too)
    if drop[w:sub(1, -2)] or (w:byte(-2) == 101 and drop[w:sub(1, -3)]) then return true end
  end
  for _, pre in ipairs(drop) do                     -- a prefix's expansions
    if w:sub(1, #pre) == pre then return true end
  end
  if w:find("-", 1, true) then
    for part in w:gmatch("[^%-]+") do
      if drop[part] or (part:byte(-1) == 115 and drop[part:sub(1, -2)]) then return true end
    end
  end
  return false
end

-- Distinct topic words of a text (without math, URLs and TeX commands):
-- no stop words, numbers, words under 3 characters, query terms,
-- nor the parts of a hyphenated word already counted whole.
local function text_terms(text, drop, seen, memo)
  text = text:gsub("%$[^$]*%$", " "):gsub("[Hh][Tt][Tt][Pp][Ss]?://%S+", " "):gsub("\\%a+", " ")
  local parts = {}
  for _, w in ipairs(tokens(text)) do
    if parts[w] then
      parts[w] = parts[w] - 1
      if parts[w] == 0 then parts[w] = nil end
    else
      -- what a word is, once per distinct word (memo: 1 a term, 0 not,
      -- plus 2 when it is hyphenated)
      local m = memo[w]
      if m == nil then
        m = (#w >= 3 and not STOP[w] and not dropped(w, drop) and not w:find("^[%d%-%.]+$")
          and w:find("%a")) and 1 or 0
        if w:find("-", 1, true) then m = m + 2 end
        memo[w] = m
      end
      if m >= 2 then
        for part in w:gmatch("[^%-]+") do parts[part] = (parts[part] or 0) + 1 end
      end
      if m % 2 == 1 then seen[w] = true end
    end
  end
end

-- Is w (a distinct word) a topic word? Not a stop word, a number, a word
-- under 3 characters nor one of the query's (text_terms' memo rule).
local function is_term(w, drop)
  return (#w >= 3 and not STOP[w] and not dropped(w, drop) and not w:find("^[%d%-%.]+$")
    and w:find("%a")) and true or false
end

local term_counter = has_core and type(core.term_counter) == "function" and core.term_counter or nil

-- Papers holding each topic word held by at least min (default 1) papers:
-- df[w] (in the title or the abstract) and tf[w] (in the title, when it
-- is), as text_terms counts them. M.lua_term_counts: the Lua loop;
-- M.term_counts: the core counts every word in one pass over the texts
-- (core.term_counter, csrc/ad_terms.c) and the Lua keeps the topic words:
-- the same counts (the Lua loop when the core is not there).
function M.lua_term_counts(papers, drop, min)
  local df, tf, memo = {}, {}, {}
  for i = 1, #papers do
    local p = papers[i]
    local seen, intitle = {}, {}
    text_terms(util.line(p.title), drop, intitle, memo)
    text_terms(util.line(p.abstract), drop, seen, memo)
    for w in pairs(intitle) do
      seen[w] = true
      tf[w] = (tf[w] or 0) + 1
    end
    for w in pairs(seen) do df[w] = (df[w] or 0) + 1 end
  end
  if (min or 1) > 1 then
    for w, c in pairs(df) do
      if c < min then df[w] = nil; tf[w] = nil end
    end
  end
  return df, tf
end

function M.term_counts(papers, drop, min)
  if not term_counter then return M.lua_term_counts(papers, drop, min) end
  local df, tf = {}, {}
  local tc = term_counter()
  for i = 1, #papers do
    local p = papers[i]
    tc:add(util.line(p.title), util.line(p.abstract))
  end
  local words, dfs, tfs = tc:counts(min or 1)
  for i = 1, #words do
    local w = words[i]
    if is_term(w, drop) then
      df[w] = dfs[i]
      if tfs[i] > 0 then tf[w] = tfs[i] end
    end
  end
  return df, tf
end

-- The weigher of the top terms (below): weight(w, c) of a term in c of
-- the n papers of the result.
local function weigher(opts, n, tf)
  local df = opts.df
  if type(df) == "function" and tonumber(opts.ndocs) and tonumber(opts.ndocs) > 0 then
    local ndocs = tonumber(opts.ndocs)
    return function(w, c)
      local d = tonumber(df(w)) or 0
      return c * math.log((ndocs + 1) / (math.max(d, c) + 1))
    end
  end
  return function(w, c) return (c + 2 * (tf[w] or 0)) * math.log((n + 1) / c) end
end

-- Their order: weight, then count (descending), then the term; a strict
-- order (terms are distinct), so the first n of a full sort are the n
-- that one pass keeps.
local function before(a, b)
  if a.weight ~= b.weight then return a.weight > b.weight end
  if a.count ~= b.count then return a.count > b.count end
  return a.term < b.term
end

-- Top n terms of titles and abstracts, weighed by how distinctive they
-- are: { {term=, count=, weight=}, ... }, count = papers of the result
-- using the term.
--   opts.query  its terms are left out
--   opts.df, opts.ndocs  df(term) -> number of archive papers holding the
--               term, and the archive's size: weight = count *
--               log((ndocs + 1) / (df + 1)) (tf-idf against the archive)
--   without them (fallback): weight = (count + 2 * title count) *
--               log((n + 1) / count) over the n papers of the result: a term
--               in every paper weighs little, one in titles more (titles
--               name topics, abstracts add generic words), after the
--               stop-word list above.
-- Terms used by a single paper are left out when the result has 10 papers
-- or more.
-- M.top_terms counts with M.term_counts and keeps the n best as they come;
-- M.lua_top_terms, the Lua computation (M.lua_term_counts, every term
-- sorted), is its fallback without the core: the same terms, counts,
-- weights and order (spec/format_terms_spec.lua).
function M.lua_top_terms(papers, n, opts)
  opts = opts or {}
  local N = #papers
  local min = N >= 10 and 2 or 1
  local df, tf = M.lua_term_counts(papers, query_tokens(opts.query), min)
  local weight = weigher(opts, N, tf)
  local terms = {}
  for w, c in pairs(df) do
    local x = weight(w, c)
    if x > 0 then terms[#terms + 1] = { term = w, count = c, weight = x } end
  end
  table.sort(terms, before)
  local out = {}
  for i = 1, math.min(n, #terms) do out[i] = terms[i] end
  return out
end

function M.top_terms(papers, n, opts)
  if not term_counter then return M.lua_top_terms(papers, n, opts) end
  opts = opts or {}
  local N = #papers
  local df, tf = M.term_counts(papers, query_tokens(opts.query), N >= 10 and 2 or 1)
  local weight = weigher(opts, N, tf)
  local top, k = {}, 0
  local lim = n >= 1 and math.floor(n) or 0          -- (as 1, math.min(n, #terms) above)
  if lim == 0 then return top end
  for w, c in pairs(df) do
    local x = weight(w, c)
    if x > 0 then
      local t = { term = w, count = c, weight = x }
      if k < lim or before(t, top[k]) then
        if k < lim then k = k + 1 end
        local j = k
        while j > 1 and before(t, top[j - 1]) do top[j] = top[j - 1]; j = j - 1 end
        top[j] = t
      end
    end
  end
  return top
end

local function fmt(x)
  return string.format("%.1f", x)
end

-- {======================================================================
-- Papers over time
-- =======================================================================

local days_from_civil, civil_from_days = util.days_from_civil, util.civil_from_days
M.days_from_civil, M.civil_from_days = days_from_civil, civil_from_days

-- The bucket for a span of days: day when it is at most 60 days, else
-- week, month or year, the first that gives at most 60 bars.
function M.bucket_unit(first, last)
  local span = last - first + 1
  if span <= 60 then return "day" end
  if (last - first) // 7 + 1 <= 60 then return "week" end
  local y1, m1 = civil_from_days(first)
  local y2, m2 = civil_from_days(last)
  if (y2 - y1) * 12 + (m2 - m1) + 1 <= 60 then return "month" end
  return "year"
end

-- Bucket index (consecutive integers) and label of a day number.
local function bucket(unit, z)
  if unit == "day" then
    return z, string.format("%04d-%02d-%02d", civil_from_days(z))
  elseif unit == "week" then
    -- weeks start on Monday; 1970-01-01 was a Thursday
    local monday = z - (z + 3) % 7
    return monday // 7, string.format("week of %04d-%02d-%02d", civil_from_days(monday))
  elseif unit == "month" then
    local y, m = civil_from_days(z)
    return y * 12 + m - 1, string.format("%04d-%02d", y, m)
  end
  local y = civil_from_days(z)
  return y, string.format("%04d", y)
end

-- Papers per day, week, month or year (from the span of their dates) as
-- vertical bars, empty buckets included. Returns the SVG, the number of
-- buckets and the unit.
function M.days_chart(papers)
  local first, last
  local zs = {}
  for i = 1, #papers do
    local y, m, d = util.ymd(papers[i].date)
    if y then
      local z = days_from_civil(y, m, d)
      zs[#zs + 1] = z
      if not first or z < first then first = z end
      if not last or z > last then last = z end
    end
  end
  if not first then return nil end
  local unit = M.bucket_unit(first, last)
  local b0 = bucket(unit, first)
  local nb = bucket(unit, last) - b0 + 1
  local counts, labels = {}, {}
  for k = 1, nb do counts[k] = 0 end
  for _, z in ipairs(zs) do
    local b, label = bucket(unit, z)
    b = b - b0 + 1
    counts[b] = counts[b] + 1
    labels[b] = label
  end
  -- labels of empty buckets (the first and last are never empty)
  local W, H, left, bottom, top = 640, 220, 36, 30, 14
  local max = 0
  for k = 1, nb do max = math.max(max, counts[k]) end
  local plotw, ploth = W - left - 8, H - bottom - top
  local bw = plotw / nb
  local out = {
    string.format('<svg class="chart-days" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" '
      .. 'aria-label="papers per %s">', W, H, unit),
    "<title>Papers per " .. unit .. "</title>",
    string.format('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>', left, H - bottom, W - 8, H - bottom),
    string.format('<text x="%d" y="%d" text-anchor="end">%d</text>', left - 4, top + 4, max),
    string.format('<text x="%d" y="%d" text-anchor="end">0</text>', left - 4, H - bottom),
  }
  for k = 1, nb do
    if counts[k] > 0 then
      local h = ploth * counts[k] / max
      out[#out + 1] = string.format(
        '<rect class="bar" x="%s" y="%s" width="%s" height="%s"><title>%s: %d</title></rect>',
        fmt(left + (k - 1) * bw + bw * 0.1), fmt(H - bottom - h), fmt(math.max(bw * 0.8, 0.5)), fmt(h),
        esc(labels[k]), counts[k])
    end
  end
  -- label the first and last bucket (and the middle one when there are many)
  local function label_of(k)
    if labels[k] then return labels[k] end
    local _, l = bucket(unit, first + (k - 1) * (unit == "day" and 1 or unit == "week" and 7 or 0))
    return l
  end
  local marks = { 1 }
  if nb > 2 and (unit == "day" or unit == "week") then marks[#marks + 1] = (nb + 1) // 2 end
  if nb > 1 then marks[#marks + 1] = nb end
  for _, k in ipairs(marks) do
    local anchor = k == 1 and "start" or (k == nb and "end" or "middle")
    local x = k == 1 and left or (k == nb and W - 8 or left + (k - 0.5) * bw)
    out[#out + 1] = string.format('<text x="%s" y="%d" text-anchor="%s">%s</text>', fmt(x), H - bottom + 16, anchor,
      esc(label_of(k)))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n"), nb, unit
end

-- Top terms as horizontal bars: length by weight (or count), labelled with
-- the count (papers using the term).
function M.terms_chart(terms)
  if #terms == 0 then return nil end
  local W, row, left = 640, 20, 150
  local H = #terms * row + 10
  local max = 0
  local function size(t) return tonumber(t.weight) or tonumber(t.count) or 0 end
  for _, t in ipairs(terms) do max = math.max(max, size(t)) end
  if max <= 0 then return nil end
  local out = {
    string.format('<svg class="chart-terms" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" '
      .. 'aria-label="top terms">', W, H),
    "<title>Top terms</title>",
  }
  for i, t in ipairs(terms) do
    local y = (i - 1) * row + 5
    local c = tonumber(t.count) or 0
    local w = (W - left - 50) * size(t) / max
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
      local svg, _, unit = M.days_chart(all)
      if svg then
        parts[#parts + 1] = '<div class="chart">\n<h2>Papers per ' .. unit .. "</h2>\n" .. svg .. "\n</div>"
      end
    end
    if want_terms then
      local svg = M.terms_chart(opts.terms or M.top_terms(all, 15, opts))
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
