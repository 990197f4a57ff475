-- arxivdigest.format.bibtex: one @misc entry per paper, the way arXiv
-- itself cites e-prints:
--
--   @misc{ceolini2019sensor,
--     title         = {Sensor fusion using {EMG} and vision ...},
--     author        = {Enea Ceolini and Gemma Taverni and ...},
--     year          = {2019},
--     eprint        = {1910.11126},
--     archivePrefix = {arXiv},
--     primaryClass  = {cs.CV},
--     doi           = {10.48550/arXiv.1910.11126},
--     url           = {https://arxiv.org/abs/1910.11126},
--   }
--
-- Keys: first author's surname (ASCII, diacritics folded; "anon" for papers
-- without authors), year, first significant title word; papers whose keys
-- clash get a, b, c... suffixes in order of their ids, so keys are stable.
-- Text outside $math$ has \ { } # % & _ ~ ^ $ escaped; $math$ is kept as
-- written when its braces balance. No entry ever has unbalanced braces.
-- opts.abstract = true adds the abstract, opts.comment = true the comment.

local util = require "arxivdigest.format.util"

local type, tostring, tonumber, ipairs, pairs = type, tostring, tonumber, ipairs, pairs
local table, string, utf8 = table, string, utf8

local M = { name = "bibtex", extension = "bib", mime = "application/x-bibtex; charset=utf-8" }

-- {======================================================================
-- Escaping
-- =======================================================================

local TEXT_ESC = {
  ["\\"] = "\\textbackslash{}", ["{"] = "\\{", ["}"] = "\\}",
  ["#"] = "\\#", ["%"] = "\\%", ["&"] = "\\&", ["_"] = "\\_",
  ["~"] = "\\textasciitilde{}", ["^"] = "\\textasciicircum{}", ["$"] = "\\$",
}

-- Brace depth never negative and ending at 0 (BibTeX counts every brace,
-- escaped or not).
local function balanced(s)
  local depth = 0
  for c in s:gmatch("[{}]") do
    depth = depth + (c == "{" and 1 or -1)
    if depth < 0 then return false end
  end
  return depth == 0
end
M.balanced = balanced

-- Escape plain text. Braces become \{ \} only while they pair up (BibTeX
-- counts \{ as a brace); an unpaired one becomes \textbraceleft{} /
-- \textbraceright{}, so the field stays balanced.
local function escape_text(s, protect)
  -- find which braces pair up
  local pair, stack = {}, {}
  for i = 1, #s do
    local c = s:sub(i, i)
    if c == "{" then stack[#stack + 1] = i
    elseif c == "}" and #stack > 0 then
      pair[stack[#stack]] = true; pair[i] = true; stack[#stack] = nil
    end
  end
  local out = {}
  local i = 1
  while i <= #s do
    local c = s:sub(i, i)
    if c == "{" or c == "}" then
      if pair[i] then out[#out + 1] = TEXT_ESC[c]
      else out[#out + 1] = c == "{" and "\\textbraceleft{}" or "\\textbraceright{}" end
      i = i + 1
    elseif TEXT_ESC[c] then
      out[#out + 1] = TEXT_ESC[c]
      i = i + 1
    else
      local j = s:find("[\\{}#%%&_~^$]", i) or #s + 1
      local chunk = s:sub(i, j - 1)
      if protect then
        -- keep the capitals of acronyms and names: {EMG}, {ImageNet}
        chunk = chunk:gsub("(%f[%w][%w%-]*%u[%w%-]*)", function(w)
          if w:sub(2):find("%u") then return "{" .. w .. "}" end
          return w
        end)
      end
      out[#out + 1] = chunk
      i = j
    end
  end
  return table.concat(out)
end

-- Escape s, keeping $...$ spans as written when they are well formed.
function M.escape(s, protect)
  s = util.line(s)
  local out = {}
  local i = 1
  while i <= #s do
    -- next unescaped $
    local a = i
    local open
    repeat
      open = s:find("$", a, true)
      if open and open > 1 and s:sub(open - 1, open - 1) == "\\" then a = open + 1; open = false end
    until open ~= false
    if not open then out[#out + 1] = escape_text(s:sub(i), protect); break end
    local b = open + 1
    local close
    repeat
      close = s:find("$", b, true)
      if close and s:sub(close - 1, close - 1) == "\\" then b = close + 1; close = false end
    until close ~= false
    if not close then out[#out + 1] = escape_text(s:sub(i), protect); break end
    local math = s:sub(open, close)
    out[#out + 1] = escape_text(s:sub(i, open - 1), protect)
    if close > open + 1 and balanced(math) then
      -- a bare % or # would end the line or break the macro argument
      math = math:gsub("(\\?)([%%#])", function(bs, c) return bs == "" and "\\" .. c or bs .. c end)
      out[#out + 1] = math
    else
      out[#out + 1] = escape_text(math, protect)
    end
    i = close + 1
  end
  return table.concat(out)
end

-- {======================================================================
-- Keys
-- =======================================================================

-- Fold common Latin letters with diacritics to ASCII.
local FOLD = {}
do
  local groups = {
    a = "àáâãäåāăą", A = "ÀÁÂÃÄÅĀĂĄ", c = "çćĉċč", C = "ÇĆĈĊČ", d = "ďđ", D = "ĎĐ",
    e = "èéêëēĕėęě", E = "ÈÉÊËĒĔĖĘĚ", g = "ĝğġģ", G = "ĜĞĠĢ", h = "ĥħ", H = "ĤĦ",
    i = "ìíîïĩīĭįı", I = "ÌÍÎÏĨĪĬĮİ", j = "ĵ", J = "Ĵ", k = "ķ", K = "Ķ",
    l = "ĺļľŀł", L = "ĹĻĽĿŁ", n = "ñńņňŉ", N = "ÑŃŅŇ", o = "òóôõöøōŏő", O = "ÒÓÔÕÖØŌŎŐ",
    r = "ŕŗř", R = "ŔŖŘ", s = "śŝşšș", S = "ŚŜŞŠȘ", t = "ţťŧț", T = "ŢŤŦȚ",
    u = "ùúûüũūŭůűų", U = "ÙÚÛÜŨŪŬŮŰŲ", w = "ŵ", W = "Ŵ", y = "ýÿŷ", Y = "ÝŸŶ",
    z = "źżž", Z = "ŹŻŽ",
  }
  for ascii, chars in pairs(groups) do
    for _, c in utf8.codes(chars) do FOLD[utf8.char(c)] = ascii end
  end
  FOLD["ß"] = "ss"; FOLD["æ"] = "ae"; FOLD["Æ"] = "AE"; FOLD["œ"] = "oe"; FOLD["Œ"] = "OE"
  FOLD["þ"] = "th"; FOLD["ð"] = "d"
end

local function ascii_word(s)
  s = util.valid_utf8(s or "")
  s = s:gsub("[\192-\247][\128-\191]*", function(c) return FOLD[c] or "" end)
  -- drop LaTeX accent commands such as \"{o} -> o
  s = s:gsub("\\[%a]+", ""):gsub("\\.", "")
  return (s:lower():gsub("[^%w]", ""))
end
M.ascii_word = ascii_word

local STOP = {}
for w in ("a an the on of for in to and with via from by at is are towards toward"
    .. " do does can using how what when why which"):gmatch("%a+") do
  STOP[w] = true
end

local function surname(name)
  name = util.line(name)
  -- "Last, First" or "First Last"
  local last = name:match("^([^,]+),") or name
  local words = {}
  for w in last:gmatch("[%w\128-\255]+") do
    w = ascii_word(w)
    if w:find("%a") then words[#words + 1] = w end
  end
  local n = #words
  -- skip suffixes such as Jr / III
  while n > 1 and (words[n] == "jr" or words[n]:match("^i+v?$")) do n = n - 1 end
  return words[n] or ""
end

local function year_of(p)
  for _, f in ipairs({ "published", "date" }) do
    local v = p[f]
    if type(v) == "string" then
      local y = v:match("^(%d%d%d%d)")
      if y then return y end
    end
  end
  local id = type(p.id) == "string" and p.id or ""
  local yy = id:match("^(%d%d)%d%d%.") or id:match("/(%d%d)%d%d")
  if yy then return (tonumber(yy) >= 91 and "19" or "20") .. yy end
  return ""
end

local function first_word(title)
  -- words outside $math$, split at anything but letters and digits
  local text = util.line(title):gsub("%$[^$]*%$", " ")
  for w in text:gmatch("[%w\128-\255]+") do
    local a = ascii_word(w)
    if a:find("%a") and not STOP[a] then return a end
  end
  return ""
end

function M.base_key(p)
  local authors = util.array(p.authors)
  local sur = authors[1] and surname(authors[1]) or ""
  if sur == "" then sur = "anon" end
  return sur .. year_of(p) .. first_word(p.title)
end

local function suffix(n)
  -- 1 -> a ... 26 -> z, 27 -> aa
  local s = ""
  repeat
    n = n - 1
    s = string.char(97 + n % 26) .. s
    n = n // 26
  until n == 0
  return s
end

-- Keys for all papers, unique and independent of the papers' order.
function M.keys(papers)
  local groups, used = {}, {}
  for i = 1, #papers do
    local k = M.base_key(papers[i])

    groups[k] = groups[k] or {}
    table.insert(groups[k], i)
    used[k] = true
  end
  local keys = {}
  for k, idxs in pairs(groups) do
    if #idxs == 1 then
      keys[idxs[1]] = k
    else
      table.sort(idxs, function(x, y)
        local a, b = tostring(papers[x].id or ""), tostring(papers[y].id or "")
        if a ~= b then return a < b end
        return x < y
      end)
      local n = 0
      for _, i in ipairs(idxs) do
        local key
        repeat n = n + 1; key = k .. suffix(n) until not used[key]
        used[key] = true
        keys[i] = key
      end
    end
  end
  return keys
end

-- {======================================================================
-- Entries
-- =======================================================================

local function author_field(p)
  local names = {}
  for _, a in ipairs(util.array(p.authors)) do
    local n = M.escape(a, false)
    if n ~= "" then
      -- a literal "and" or a comma inside one name would split or reorder it
      n = n:gsub("%f[%w]and%f[^%w]", "{and}")
      if n:find(",") then n = "{" .. n .. "}" end
      names[#names + 1] = n
    end
  end
  return table.concat(names, " and ")
end

local function clean_id(id)
  return (util.line(id):gsub("[^%w%./%-]", ""))
end

local function field(buf, name, value)
  if value == nil or value == "" then return end
  buf[#buf + 1] = string.format("  %-13s = {%s},\n", name, value)
end

function M.render(papers, opts, write)
  local keys = M.keys(papers)
  for i = 1, #papers do
    local p = papers[i]
    local id = clean_id(p.id or "")
    local buf = { "@misc{", keys[i], ",\n" }
    field(buf, "title", M.escape(p.title, true))
    field(buf, "author", author_field(p))
    field(buf, "year", year_of(p))
    field(buf, "eprint", id)
    field(buf, "archivePrefix", "arXiv")
    field(buf, "primaryClass", M.escape(p.primary_category))
    local doi = p.doi and util.line(p.doi) or ""
    if doi == "" and id ~= "" then doi = "10.48550/arXiv." .. id end
    -- a DOI is read verbatim by biblatex: written as is, minus what would
    -- break the entry
    field(buf, "doi", (doi:gsub("[%s{}\\\"%%#]", "")))
    if id ~= "" then field(buf, "url", "https://arxiv.org/abs/" .. id) end
    if p.journal then field(buf, "note", M.escape(p.journal, false)) end
    if opts.comment and p.comment then field(buf, "comment", M.escape(p.comment, false)) end
    if opts.abstract and p.abstract then field(buf, "abstract", M.escape(p.abstract, false)) end
    buf[#buf + 1] = "}\n"
    if i < #papers then buf[#buf + 1] = "\n" end
    write(table.concat(buf))
  end
end

return M
