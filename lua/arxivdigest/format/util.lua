-- arxivdigest.format.util: helpers shared by the formatters.
-- Papers are read by field name only (p.title, p.authors...), so that Paper
-- userdata and plain tables work the same; nothing here calls pairs() on a paper.

local string, table, utf8 = string, table, utf8
local type, tostring, tonumber, pcall, ipairs, error, require = type, tostring, tonumber, pcall, ipairs, error, require
local io, os, setmetatable, math = io, os, setmetatable, math
local rawget, getmetatable, next = rawget, getmetatable, next

local M = {}

-- The paper fields, in the order the preamble lists them (they are the JSON keys).
M.FIELDS = {
  "id", "version", "title", "authors", "abstract", "categories",
  "primary_category", "pdf_url", "abs_url", "doi", "comment", "journal",
  "published", "updated", "date", "source", "line", "format", "position",
  "crosslist",
}
-- Fields that only merged index papers carry.
M.EXTRA_FIELDS = { "first_seen", "last_seen", "appearances", "history" }
M.ARRAY_FIELDS = { authors = true, categories = true }

M.KNOWN = {}
for _, f in ipairs(M.FIELDS) do M.KNOWN[f] = true end
for _, f in ipairs(M.EXTRA_FIELDS) do M.KNOWN[f] = true end
M.KNOWN.raw = true
local STANDARD = {}
for _, f in ipairs(M.FIELDS) do STANDARD[f] = true end

-- Read a field. Standard fields are indexed directly; fields a paper may
-- not have (the merged-index extras, raw) are read under pcall because a
-- Paper userdata may raise on a key it does not know.
local function try_index(p, field) return p[field] end

function M.get(p, field)
  if STANDARD[field] then return p[field] end
  local ok, v = pcall(try_index, p, field)
  if ok then return v end
  return nil
end

-- A search or recommend hit ({score =, paper =}).
local function is_hit(x)
  if type(x) ~= "table" then return false end
  local p = rawget(x, "paper")
  return type(p) == "table" or type(p) == "userdata"
end
M.is_hit = is_hit

local function list_error(what)
  error("bad argument #1 to 'render' (" .. what .. ")", 4)
end

-- The papers render takes as its argument #1 (the one place that says):
-- an array of papers (Paper userdata, merged papers or plain tables), a
-- Collection, or an array of hits ({score =, paper =}, as idx:search and
-- idx:recommend return them): their papers, with their scores as a second
-- value. Anything else raises "bad argument #1 to 'render' (...)". (An
-- Index or a pipeline is rendered through a pipeline: format.render.)
function M.list(papers)
  local t = type(papers)
  if t == "userdata" then
    local ok, n = pcall(function() return #papers end)
    if ok and math.type(n) == "integer" then return papers end
    local mt = getmetatable(papers)
    local name = type(mt) == "table" and rawget(mt, "__name") or "userdata"
    list_error("array of papers expected, got " .. tostring(name)
      .. ((name == "arxivdigest.Paper" or name == "arxivdigest.MergedPaper") and " (one paper: pass {p})" or ""))
  end
  if t ~= "table" then list_error("array of papers expected, got " .. t) end
  local n = #papers
  if n == 0 then
    if next(papers) ~= nil then
      list_error("array of papers expected, got a table without array items (one paper: pass {p})")
    end
    return papers
  end
  if is_hit(papers[1]) then
    local out, scores = {}, {}
    for i = 1, n do
      local h = papers[i]
      if not is_hit(h) then
        list_error(string.format("array of hits expected, item %d is not a hit {score =, paper =}", i))
      end
      out[i], scores[i] = rawget(h, "paper"), rawget(h, "score")
    end
    return out, scores
  end
  for i = 1, n do
    local p = papers[i]
    local tp = type(p)
    if tp ~= "table" and tp ~= "userdata" then
      list_error(string.format("array of papers expected, item %d is %s", i, tp == "nil" and "nil" or "a " .. tp))
    end
    if is_hit(p) then
      list_error(string.format("array of papers expected, item %d is a hit (item 1 is a paper)", i))
    end
  end
  return papers
end

-- Flatten groups ({ {key=, papers=, scores=}, ... }, what :group_by
-- makes) into one array, in group order, each paper once: a paper in
-- several groups (a list-valued key such as categories) is listed at its
-- first group. This is the rule of every flat output (jsonl, csv, bibtex,
-- atom, markdown; pipe:collect(), pipe:count()); sections (html, text)
-- show a paper under each of its groups. Returns the papers and their
-- scores (each paper's score in its first group).
function M.flatten(groups)
  local out, scores, seen = {}, {}, {}
  for _, g in ipairs(groups) do
    local ps = g.papers or {}
    local sc = type(g.scores) == "table" and g.scores or {}
    for i = 1, #ps do
      local p = ps[i]
      if p ~= nil and not seen[p] then
        seen[p] = true
        out[#out + 1] = p
        scores[#out] = sc[i]
      end
    end
  end
  return out, scores
end

-- The number of distinct papers in groups (what M.flatten lists).
function M.distinct(groups)
  local seen, n = {}, 0
  for _, g in ipairs(groups) do
    local ps = g.papers or {}
    for i = 1, #ps do
      local p = ps[i]
      if p ~= nil and not seen[p] then seen[p] = true; n = n + 1 end
    end
  end
  return n
end

-- {======================================================================
-- UTF-8 and control characters
-- =======================================================================

local REPLACEMENT = "\239\191\189" -- U+FFFD

-- The original loop on one cluster (a lead or stray byte and the
-- continuation bytes after it): valid characters kept, each bad byte and
-- the continuation bytes that follow it replaced by one U+FFFD.
local function repair(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local len, bad = utf8.len(s, i)
    if len then out[#out + 1] = s:sub(i); break end
    out[#out + 1] = s:sub(i, bad - 1)
    out[#out + 1] = REPLACEMENT
    -- skip the bad lead byte and any continuation bytes that follow it
    local j = bad + 1
    while j <= n do
      local b = s:byte(j)
      if b < 0x80 or b >= 0xC0 then break end
      j = j + 1
    end
    i = j
  end
  return table.concat(out)
end

local cluster_mt = {
  __index = function(t, c)
    local v = utf8.len(c) and false or repair(c)
    t[c] = v
    return v
  end,
}

-- Return s as valid UTF-8: every byte that does not start a valid (strict:
-- no surrogates, no overlongs, <= U+10FFFF) sequence becomes U+FFFD, with
-- the continuation bytes that follow it. Linear: each cluster of non-ASCII
-- bytes (a lead byte and its continuation bytes) is checked once per
-- distinct cluster.
function M.valid_utf8(s)
  if s == nil then return nil end
  s = tostring(s)
  if utf8.len(s) then return s end
  return (s:gsub("[\128-\255][\128-\191]*", setmetatable({}, cluster_mt)))
end

-- Bidirectional embedding/override/isolate controls (Trojan Source):
-- U+202A..U+202E, U+2066..U+2069.
local BIDI_PATTERN = "\226\128[\170-\174]" -- E2 80 AA..AE
local BIDI_PATTERN2 = "\226\129[\166-\169]" -- E2 81 A6..A9

function M.strip_bidi(s)
  return (s:gsub(BIDI_PATTERN, ""):gsub(BIDI_PATTERN2, ""))
end

-- C1 controls U+0080..U+009F are encoded as C2 80..C2 9F.
local C1_PATTERN = "\194[\128-\159]"

-- Whitespace to collapse: a run of two or more, or any but the space.
local function collapse(s)
  if s:find("[\t\r\n\f\v]") or s:find("  ", 1, true) then
    return (s:gsub("[ \t\r\n\f\v]+", " "))
  end
  return s
end

-- Clean text for display (html, atom, text, csv, bibtex, templates):
-- valid UTF-8, no bidi controls, C0/C1 controls and DEL replaced by
-- `repl` (a string, table or function, as for gsub), whitespace collapsed
-- unless keep_space.
-- (Each pass runs only when a find says it has something to do: a gsub
-- copies its subject even when nothing matches.)
local function lua_clean(s, repl, keep_space)
  if s == nil then return nil end
  if not s:find("[^ -~]") then
    -- printable ASCII: only runs of spaces to collapse
    if keep_space or not s:find("  ", 1, true) then return s end
    return (s:gsub("  +", " "))
  end
  if not s:find("[%z\1-\8\14-\31\127-\255]") then
    -- plain ASCII without controls: only whitespace to collapse
    if keep_space then return s end
    return collapse(s)
  end
  s = M.valid_utf8(s)
  if s:find("\226[\128\129]") then
    s = M.strip_bidi(s)
    s = s:gsub("\226\128[\168\169]", " ") -- U+2028, U+2029 line/paragraph separators
  end
  repl = repl or ""
  -- controls first, so that removing one cannot leave two spaces side by side
  if s:find("[%z\1-\8\14-\31\127]") then s = s:gsub("[%z\1-\8\14-\31\127]", repl) end
  if s:find(C1_PATTERN) then s = s:gsub(C1_PATTERN, repl == "" and "" or REPLACEMENT) end
  if not keep_space then s = collapse(s) end
  return s
end
M.lua_clean = lua_clean

-- The core does the common case (controls dropped) in one C pass
-- (ad_text_clean, the same rule: spec/format_spec.lua compares them);
-- other replacements, and a Lua without the core, take the passes above.
local core_clean
do
  local ok, core = pcall(require, "arxivdigest.core")
  if ok and type(core) == "table" then core_clean = core.clean end
end

function M.clean(s, repl, keep_space)
  if s == nil then return nil end
  if core_clean and (repl == nil or repl == "") and type(s) == "string" then
    return core_clean(s, keep_space)
  end
  return lua_clean(s, repl, keep_space)
end

-- Trimmed, whitespace-collapsed, cleaned single line ("" for nil).
function M.line(s, repl)
  if s == nil then return "" end
  s = M.clean(tostring(s), repl)
  if s:byte(1) == 32 or s:byte(-1) == 32 then s = s:gsub("^ +", ""):gsub(" +$", "") end
  return s
end

-- Join an array field (or a string) with sep.
function M.join(v, sep)
  if v == nil then return "" end
  if type(v) == "table" or type(v) == "userdata" then
    local parts = {}
    for i = 1, #v do parts[i] = tostring(v[i]) end
    return table.concat(parts, sep)
  end
  return tostring(v)
end

-- Array value as a Lua array of strings (accepts a string too).
function M.array(v)
  if v == nil then return {} end
  if type(v) == "table" or type(v) == "userdata" then
    local out = {}
    for i = 1, #v do out[i] = v[i] end
    return out
  end
  return { tostring(v) }
end

-- {======================================================================
-- Escaping
-- =======================================================================

local XML_ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

-- Escape for XML/HTML text and attribute values; also removes characters
-- that XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE/U+FFFF).
-- (M.lua_xml: the rule; the core does it in two C passes, core.xml:
-- ad_text_clean, then ad_xml_escape; spec/json_spec.lua compares them.)
local function lua_xml(s)
  if s == nil then return "" end
  s = M.clean(tostring(s))
  if s:find("\239\191[\190\191]") then s = s:gsub("\239\191[\190\191]", "") end -- U+FFFE, U+FFFF
  if s:find("[&<>\"']") then s = s:gsub("[&<>\"']", XML_ESC) end
  return s
end
M.lua_xml = lua_xml

local core_xml
do
  local ok, core = pcall(require, "arxivdigest.core")
  if ok and type(core) == "table" and core_clean then core_xml = core.xml end
end

function M.xml(s)
  if s == nil then return "" end
  if core_xml then return core_xml(type(s) == "string" and s or tostring(s)) end
  return lua_xml(s)
end

-- Is u an absolute http(s) URL safe to put in href? (no spaces, quotes,
-- angle brackets or control characters).
function M.is_http_url(u)
  if type(u) ~= "string" then return false end
  if not u:match("^[Hh][Tt][Tt][Pp][Ss]?://[^/%s]") then return false end
  if u:find("[%z\1-\32\127\"'<>`\\]") then return false end
  return true
end

-- {======================================================================
-- Links in text: the one link extractor of every format
-- =======================================================================
--
-- M.links(s) splits s into { {text = t}, {url = u, text = label}, ... }
-- whose texts concatenate to s with each link's source replaced by its
-- label. Links are found as arXiv abstracts write them:
--   \url{U}              -> U, label U (\_ \% \# \& \~ unescaped)
--   \href{U}{T}          -> U, label T (and \href{url}{U}, the arguments
--                           swapped as some abstracts do)
--   http(s)://...        bare; also www.host... and code hosts without a
--                        scheme (github.com/...), linked with https://
-- A bare URL ends at whitespace, < > " ' ` \ { } |, at a ) or ] that no
-- ( or [ in the URL opens (so "(https://x.org/a)" and "x.org/a}" end
-- before the bracket), and loses trailing . , ; : ! ? * (sentence
-- punctuation). Only what M.is_http_url accepts becomes a link. Linear in
-- #s.

local CODE_HOSTS = { "github.com", "gitlab.com", "bitbucket.org", "huggingface.co", "codeberg.org",
  "sourceforge.net", "gitee.com", "paperswithcode.com" }
M.CODE_HOSTS = CODE_HOSTS

local TEX_URL_ESC = { ["\\_"] = "_", ["\\%"] = "%", ["\\#"] = "#", ["\\&"] = "&", ["\\~"] = "~", ["\\ "] = " ",
  ["\\$"] = "$", ["\\{"] = "{", ["\\}"] = "}" }

local function untex(u)
  return (u:gsub("\\[_%%#&~ ${}]", TEX_URL_ESC):gsub("^%s+", ""):gsub("%s+$", ""))
end

-- A scheme-less host-like start gets https://.
local function with_scheme(u)
  if u:match("^[Hh][Tt][Tt][Pp][Ss]?://") then return u end
  local l = u:lower()
  if l:match("^www%.") then return "https://" .. u end
  for _, h in ipairs(CODE_HOSTS) do
    if l:sub(1, #h + 1) == h .. "/" then return "https://" .. u end
  end
  return u
end

-- The end of a bare URL starting at a: the position of its last character.
local function bare_end(s, a)
  local b = (s:find("[%s<>\"'`\\{}|]", a) or #s + 1) - 1
  -- a ) or ] without its opener ends the URL (searched within the URL
  -- only, so that many URLs in one text stay linear)
  local u = s:sub(a, b)
  local paren, bracket = 0, 0
  local i = 1
  while true do
    local k = u:find("[%(%)%[%]]", i)
    if not k then break end
    local c = u:sub(k, k)
    if c == "(" then paren = paren + 1
    elseif c == "[" then bracket = bracket + 1
    elseif c == ")" then
      if paren == 0 then b = a + k - 2; break end
      paren = paren - 1
    else
      if bracket == 0 then b = a + k - 2; break end
      bracket = bracket - 1
    end
    i = k + 1
  end
  -- sentence punctuation after it
  while b >= a and s:find("^[%.,;:!%?%*]", b) do b = b - 1 end
  return b
end

-- Finders of the next candidate of each kind at or after i, on s and its
-- lower-cased copy low (same positions): plain finds, each occurrence
-- checked in place (a pattern with a frontier or a class tried at every
-- byte is several times slower on long texts).
local function boundary(low, k)
  return k == 1 or not low:find("^[%w%.%-/@]", k - 1)
end

local FINDERS = {
  { kind = "url", find = function(s, _, i) return s:find("\\url{", i, true) end },
  { kind = "href", find = function(s, _, i) return s:find("\\href{", i, true) end },
  { kind = "bare", find = function(_, low, i)
    while true do
      local k = low:find("http", i, true)
      if not k or low:find("^https?://", k) then return k end
      i = k + 1
    end
  end },
  { kind = "www", find = function(_, low, i)
    while true do
      local k = low:find("www.", i, true)
      if not k or (boundary(low, k) and low:find("^%w", k + 4)) then return k end
      i = k + 1
    end
  end },
}
for _, h in ipairs(CODE_HOSTS) do
  local hs = h .. "/"
  FINDERS[#FINDERS + 1] = { kind = "host", find = function(_, low, i)
    while true do
      local k = low:find(hs, i, true)
      if not k or (boundary(low, k) and low:find("^%w", k + #hs)) then return k end
      i = k + 1
    end
  end }
end

function M.links(s)
  local out = {}
  local function text(t) if t ~= "" then out[#out + 1] = { text = t } end end
  local low = s:lower()
  -- each kind's next position, recomputed only after the scan has passed
  -- it: linear
  local nextpos = {}
  local i, n = 1, #s
  while i <= n do
    -- the earliest candidate of any kind
    local best, bk
    for k, f in ipairs(FINDERS) do
      local pos = nextpos[k]
      if pos ~= false and (pos == nil or pos < i) then
        pos = f.find(s, low, i) or false
        nextpos[k] = pos
      end
      if pos and (not best or pos < best) then best, bk = pos, f.kind end
    end
    if not best then break end
    local a = best
    local url, label, stop
    if bk == "url" then
      local close = s:find("}", a + 5, true)
      if close then
        url = with_scheme(untex(s:sub(a + 5, close - 1)))
        label, stop = url, close
      end
    elseif bk == "href" then
      local close = s:find("}", a + 6, true)
      local tclose = close and s:sub(close + 1, close + 1) == "{" and s:find("}", close + 2, true)
      if tclose then
        local u, t = untex(s:sub(a + 6, close - 1)), untex(s:sub(close + 2, tclose - 1))
        if not M.is_http_url(with_scheme(u)) and M.is_http_url(with_scheme(t)) then u = t end
        url, label, stop = with_scheme(u), t, tclose
      end
    else
      local b = bare_end(s, a)
      if b >= a then
        label = s:sub(a, b)
        url, stop = with_scheme(label), b
      end
    end
    if url and M.is_http_url(url) and url:match("^%a+://[^/]*%w") then
      text(s:sub(i, a - 1))
      out[#out + 1] = { url = url, text = label ~= "" and label or url }
      i = stop + 1
    else
      -- not a link after all: keep the first character as text, go on
      text(s:sub(i, a))
      i = a + 1
    end
  end
  text(s:sub(i))
  return out
end

-- The http(s) URLs in s, in order (see M.links).
function M.urls(s)
  local out = {}
  for _, seg in ipairs(M.links(s)) do
    if seg.url then out[#out + 1] = seg.url end
  end
  return out
end

-- The URLs of code hosts (GitHub, GitLab, Hugging Face...) among them.
function M.code_urls(s)
  local out = {}
  for _, u in ipairs(M.urls(s)) do
    local host = u:match("^%a+://([^/:]+)"):lower():gsub("^www%.", "")
    for _, h in ipairs(CODE_HOSTS) do
      if host == h or host:sub(-#h - 1) == "." .. h then out[#out + 1] = u; break end
    end
  end
  return out
end

-- Percent-encode everything but unreserved characters and those in keep.
function M.pct(s, keep)
  keep = keep or ""
  return (s:gsub("[^%w%-%._~" .. keep .. "]", function(c)
    return string.format("%%%02X", c:byte())
  end))
end

-- {======================================================================
-- DOIs
-- The DOIs of a DOI field, in order, each once (compared without case):
-- white space separates them; a resolver prefix (https://doi.org/, doi:)
-- and trailing ". , ; :" are not part of one (arXiv lists
-- "10.1109/TCYB.2016.2572306." and "10.1145/3243394.3243689
-- 10.1145/3243394.3243689"). {} for nil or none. Outputs link every DOI
-- where they can hold several (html, atom) and take the first where they
-- hold one (BibTeX's doi); the raw field, p.doi, is left as it is (jsonl,
-- csv, text, markdown print it). The rule is the C core's (core.dois:
-- ad_doi_next in csrc/ad_text.c), which the library matcher's DOI table
-- uses too; the Lua copy below serves only without the core, and
-- spec/format_links_spec.lua checks that the two agree.
local DOI_PREFIXES = { "https://doi.org/", "http://doi.org/", "https://dx.doi.org/",
                       "http://dx.doi.org/", "doi.org/", "doi:" }
local okcore, core = pcall(require, "arxivdigest.core")
local core_dois = okcore and type(core) == "table" and core.dois or nil

function M.lua_dois(s)
  local out, seen = {}, {}
  for w in s:gmatch("[^ \t\n\r\f\v]+") do
    local low = w:lower()
    for _, pre in ipairs(DOI_PREFIXES) do
      if low:sub(1, #pre) == pre then w = w:sub(#pre + 1); break end
    end
    w = w:gsub("[%.,;:]+$", "")
    if w ~= "" and not seen[w:lower()] then
      seen[w:lower()] = true
      out[#out + 1] = w
    end
  end
  return out
end

function M.dois(s)
  if s == nil then return {} end
  s = M.line(s)
  if core_dois then return core_dois(s) end
  return M.lua_dois(s)
end

-- The first DOI of a DOI field (M.dois), nil for none.
function M.doi(s) return M.dois(s)[1] end
-- }======================================================================

-- An arXiv id as it may appear in a URL path.
function M.id_path(id)
  return M.pct(M.valid_utf8(tostring(id or "")), "/")
end

-- {======================================================================
-- Dates
-- =======================================================================

M.MONTHS = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }
M.DAYS = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }

-- Day of week (1 = Sunday) of a Gregorian date (Sakamoto's method).
function M.weekday(y, m, d)
  local t = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 }
  if m < 3 then y = y - 1 end
  return (y + y // 4 - y // 100 + y // 400 + t[m] + d) % 7 + 1
end

-- "2020-05-20" -> 2020, 5, 20 (or nil)
function M.ymd(date)
  if type(date) ~= "string" then return nil end
  local y, m, d = date:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)")
  if not y then return nil end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 or d > 31 then return nil end
  return y, m, d
end

--- Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
--- days_from_civil): the one date arithmetic of the Lua side (charts,
--- stats' gaps, watches' weeks).
function M.days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

--- The date (y, m, d) of day z since 1970-01-01 (civil_from_days).
function M.civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp + (mp < 10 and 3 or -9)
  if m <= 2 then y = y + 1 end
  return y, m, d
end

-- RFC 3339 UTC timestamp for opts.now (nil = current time; a number = epoch
-- seconds; a string is used as given).
function M.timestamp(now)
  if type(now) == "string" then return now end
  return os.date("!%Y-%m-%dT%H:%M:%SZ", now or os.time())
end

-- The best RFC 3339 timestamp for a paper: updated, published, date.
function M.paper_time(p, which)
  local v = M.get(p, which)
  if type(v) == "string" and v:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d") then return v end
  return nil
end

-- {======================================================================
-- Scores
-- =======================================================================

-- Should scores be shown? opts.ranked = true / false says so; when it is
-- nil, the output is ranked when some score (in opts.scores or a group's
-- .scores) is a non-zero number: an index answers an unranked query (a
-- filter, a date sort, "-nerf") with every score 0, and a score 0 on every
-- paper says nothing.
function M.ranked(opts)
  if opts.ranked ~= nil then return opts.ranked and true or false end
  local function any(sc)
    if type(sc) ~= "table" then return false end
    for i = 1, #sc do
      local v = sc[i]
      if type(v) == "number" and v ~= 0 and v == v then return true end
    end
    return false
  end
  if any(opts.scores) then return true end
  if type(opts.groups) == "table" then
    for _, g in ipairs(opts.groups) do
      if type(g) == "table" and any(g.scores) then return true end
    end
  end
  return false
end

-- The score to show for a paper: a number (not NaN) of a ranked output.
function M.score(ranked, v)
  if ranked and type(v) == "number" and v == v then return v end
  return nil
end

-- {======================================================================
-- Identity of an output: what it shows (opts.query, opts.command,
-- opts.title)
-- =======================================================================

-- FNV-1a, 64 bits, as 16 hex digits (Lua integers wrap).
function M.fnv1a64(s)
  local h = -3750763034362895579 -- 0xcbf29ce484222325
  for i = 1, #s do
    h = (h ~ s:byte(i)) * 1099511628211
  end
  return string.format("%016x", h)
end

-- The query in a canonical form: parsed and printed again by
-- arxivdigest.query (spacing and quoting normalised), lower-cased (terms
-- match without regard to case); as given, whitespace collapsed, when it
-- does not parse.
function M.normal_query(q)
  q = M.line(q)
  local okq, query = pcall(require, "arxivdigest.query")
  if okq then
    local ok, ast = pcall(query.parse, q)
    if ok then
      local okf, s = pcall(query.format, ast)
      if okf and type(s) == "string" then q = s end
    end
  end
  return q:lower()
end

-- What an output is about when a command defines it by more than a
-- query: opts.about, a string the command makes from its inputs (a filter
-- script and its --arg values, the seed of similar, the library of
-- recommend). It is kept as given (whitespace collapsed): not a query.
local function about(opts)
  if opts.about == nil then return nil end
  local a = M.line(opts.about)
  return a ~= "" and a or nil
end

-- A stable id for the output of opts.command over opts.about, else over
-- opts.query (else over opts.title): the same input gives the same id,
-- another input another.
function M.output_id(opts)
  local cmd = opts.command ~= nil and M.line(opts.command):lower() or "search"
  local ab = about(opts)
  if ab then return "urn:arxivdigest:about:" .. M.fnv1a64(cmd .. "\0" .. ab) end
  if opts.query ~= nil then
    return "urn:arxivdigest:query:" .. M.fnv1a64(cmd .. "\0" .. M.normal_query(opts.query))
  end
  if opts.title ~= nil then
    return "urn:arxivdigest:title:" .. M.fnv1a64(cmd .. "\0" .. M.line(opts.title))
  end
  if opts.command ~= nil then return "urn:arxivdigest:command:" .. M.fnv1a64(cmd) end
  return "urn:arxivdigest:feed"
end

-- The title of an output: opts.title, else one naming what it is about or
-- its query ("arXiv: diffusion", "arXiv similar: 1512.03385", "arXiv
-- filter: code-release.lua"), else default.
function M.output_title(opts, default)
  if opts.title ~= nil then return M.line(opts.title) end
  local what = about(opts) or (opts.query ~= nil and M.line(opts.query)) or nil
  if what then
    local cmd = opts.command ~= nil and M.line(opts.command) or "search"
    return "arXiv" .. ((cmd == "search" or cmd == "") and "" or (" " .. cmd)) .. ": " .. what
  end
  if opts.command ~= nil then return "arXiv digest: " .. M.line(opts.command) end
  return default
end

-- "1 paper", "3 papers", or "2 of 75 papers" when total (the matches
-- before a limit: opts.total) is more than the n shown.
function M.count_line(n, total)
  total = math.tointeger(tonumber(total))
  if total and total > n then return n .. " of " .. total .. " papers" end
  return n .. (n == 1 and " paper" or " papers")
end

-- {======================================================================
-- Misc
-- =======================================================================

-- Output sink: write may be nil (collect and return a string), a function or
-- a file handle.
function M.sink(write)
  if write == nil then
    local buf = {}
    return function(s) buf[#buf + 1] = s end, function() return table.concat(buf) end
  end
  if io and io.type(write) == "file" then
    -- a failed write names the stream, not this line
    local name = write == io.stdout and "stdout" or write == io.stderr and "stderr" or "output file"
    return function(s)
      local ok, err = write:write(s)
      if not ok then error(name .. ": " .. tostring(err), 0) end
    end, function() return nil end
  end
  if type(write) ~= "function" then
    error("bad argument #4 to 'render' (function, file or nil expected, got " .. type(write) .. ")", 3)
  end
  return write, function() return nil end
end

-- Display width of a UTF-8 string (wide East Asian characters count 2,
-- combining marks 0). s must be valid UTF-8.
local function cpwidth(c)
  if c == 0 then return 0 end
  if (c >= 0x300 and c <= 0x36F) or (c >= 0x200B and c <= 0x200F) or c == 0xFE0F then return 0 end
  if (c >= 0x1100 and c <= 0x115F) or (c >= 0x2E80 and c <= 0xA4CF and c ~= 0x303F)
    or (c >= 0xAC00 and c <= 0xD7A3) or (c >= 0xF900 and c <= 0xFAFF)
    or (c >= 0xFE30 and c <= 0xFE4F) or (c >= 0xFF00 and c <= 0xFF60)
    or (c >= 0xFFE0 and c <= 0xFFE6) or (c >= 0x1F300 and c <= 0x1F64F)
    or (c >= 0x1F900 and c <= 0x1F9FF) or (c >= 0x20000 and c <= 0x3FFFD) then
    return 2
  end
  return 1
end
M.cpwidth = cpwidth

function M.width(s)
  if not s:find("[\128-\255]") then return #s end
  -- no character of width 0 or 2 (see cpwidth): every character is one
  -- column (leads CC CD: U+0300..; E1: U+1100..; E3..ED: U+3000..U+D7FF;
  -- F0..F4: U+10000..; E2 80 8B..8F: U+200B..; E2 BA..BF: U+2E80..;
  -- EF A4..AB, B8, B9, BC, BD, BF A0..A6: U+F900.., U+FE00.., U+FF00.., U+FFE0..)
  if not s:find("[\204\205\225\227-\237\240-\244]") and not s:find("\226\128[\139-\143]")
    and not s:find("\226[\186-\191]") and not s:find("\239[\164-\171\184\185\188\189]")
    and not s:find("\239\191[\160-\166]") then
    return utf8.len(s) or #s
  end
  local w = 0
  for _, c in utf8.codes(s) do w = w + cpwidth(c) end
  return w
end

return M
