--- Composable predicates over papers.
--
--   local f = require "arxivdigest.filter"
--   local mine = f.category("cs.CV") * f.keywords{"diffusion", "nerf"} * -f.keywords{"survey"}
--   if mine(paper) then ... end
--
-- `*` is AND, `+` is OR, unary `-` is NOT. Plain Lua functions
-- `function(paper) return bool end` are accepted wherever a filter is
-- expected (and on either side of an operator).
--
-- Every filter is a table with:
--   f(paper) -> boolean       (callable)
--   tostring(f)               a description ("category(cs.CV) AND NOT keywords(survey)")
--   f.kind                    "category", "keywords", "and", "fn", ...
--   f.cheap                   true when it only needs id/date/categories (category,
--                             primary, date, id, query on those) and can be pushed
--                             down to the C core or an index
--   f:to_query()              a query-language string equivalent to the filter, or nil
--                             when the filter cannot be expressed in it
--   f:explain(paper)          boolean plus a list of lines saying which part matched
--
-- Papers may be Paper userdata or plain tables: filters only index them by
-- field name.

local lpeg = require "lpeg"
local re = require "re"

local type, error, ipairs, select, tostring, setmetatable, getmetatable =
      type, error, ipairs, select, tostring, setmetatable, getmetatable
local concat = table.concat
local find, format, lower = string.find, string.format, string.lower

local M = {}

-- {======================================================
-- Text normalisation: lowercase, diacritics folded, words
-- =======================================================

-- ASCII base of U+00C0..U+00FF and U+0100..U+017F ("" = keep as is)
local LATIN1 = {
  "a","a","a","a","a","a","ae","c","e","e","e","e","i","i","i","i",
  "d","n","o","o","o","o","o","","o","u","u","u","u","y","th","ss",
  "a","a","a","a","a","a","ae","c","e","e","e","e","i","i","i","i",
  "d","n","o","o","o","o","o","","o","u","u","u","u","y","th","y",
}
local EXTA = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii" ..
             "IIjjkkkllllllllllnnnnnnnnnooooooOOrrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs"
local FOLD = {}
for i, b in ipairs(LATIN1) do
  local cp = 0xBF + i
  if b ~= "" then FOLD[utf8.char(cp)] = b end
end
do
  local i = 0
  for ch in EXTA:gmatch(".") do
    local cp = 0x100 + i
    if ch == "I" then ch = "ij" elseif ch == "O" then ch = "oe" end
    FOLD[utf8.char(cp)] = ch
    i = i + 1
  end
  assert(i == 128)
  -- a few other letters common in names
  FOLD["\u{1E9E}"] = "ss"
end

--- Lowercase with diacritics folded ("Müller" -> "muller", "Łukasz" -> "lukasz").
local function fold(s)
  s = s:lower()
  if s:find("[\128-\255]") then
    s = s:gsub("[\195-\197][\128-\191]", FOLD)
    -- combining diacritical marks U+0300..U+036F
    s = s:gsub("\204[\128-\191]", ""):gsub("\205[\128-\175]", "")
    s = s:gsub("\225\186\158", "ss")
  end
  return s
end
M.fold = fold

--- Folded words separated by single spaces ("Zero-Shot, NeRF!" -> "zero shot nerf").
local function words(s)
  s = fold(s):gsub("[^%w\128-\255]+", " ")
  return (s:gsub("^ ", ""):gsub(" $", ""))
end
M.words = words

-- }======================================================

local Filter = {}
Filter.__index = Filter
Filter.__name = "arxivdigest.filter"

local function is_filter(x)
  return getmetatable(x) == Filter
end
M.is_filter = is_filter

local function new(kind, desc, fn, extra)
  local o = extra or {}
  o.kind, o.desc, o.fn = kind, desc, fn
  return setmetatable(o, Filter)
end

function Filter.__call(self, paper)
  return self.fn(paper) and true or false
end

function Filter.__tostring(self)
  return self.desc
end

--- Turn a filter, a function or a query string into a filter.
local function wrap(x, argn, fname)
  if is_filter(x) then return x end
  local t = type(x)
  if t == "function" then
    local src = debug.getinfo(x, "S")
    local where = src and src.short_src and src.linedefined and src.linedefined > 0
      and format("%s:%d", src.short_src, src.linedefined) or "?"
    return new("fn", "function(" .. where .. ")", x)
  elseif t == "string" then
    return M.query(x)
  end
  error(format("bad argument #%d to '%s' (filter, function or query string expected, got %s)",
    argn or 1, fname or "filter", t), 3)
end
M.wrap = wrap

--- Wrap a plain Lua predicate; `desc` is an optional description.
function M.fn(f, desc)
  if type(f) ~= "function" then
    error(format("bad argument #1 to 'fn' (function expected, got %s)", type(f)), 2)
  end
  local o = wrap(f)
  if desc ~= nil then o.desc = tostring(desc) end
  return o
end

local function paren(f, kind)
  local d = f.desc
  if (f.kind == "and" or f.kind == "or") and f.kind ~= kind then return "(" .. d .. ")" end
  return d
end

local function combine(kind, a, b)
  a, b = wrap(a, 1, kind), wrap(b, 2, kind)
  local parts = {}
  for _, x in ipairs({a, b}) do
    if x.kind == kind then
      for _, y in ipairs(x.parts) do parts[#parts + 1] = y end
    else
      parts[#parts + 1] = x
    end
  end
  local descs, cheap = {}, true
  for i, p in ipairs(parts) do
    descs[i] = paren(p, kind)
    cheap = cheap and p.cheap or false
  end
  local n = #parts
  local fn
  if kind == "and" then
    fn = function(paper)
      for i = 1, n do
        if not parts[i].fn(paper) then return false end
      end
      return true
    end
  else
    fn = function(paper)
      for i = 1, n do
        if parts[i].fn(paper) then return true end
      end
      return false
    end
  end
  return new(kind, concat(descs, kind == "and" and " AND " or " OR "), fn,
    {parts = parts, cheap = cheap})
end

function Filter.__mul(a, b) return combine("and", a, b) end
function Filter.__add(a, b) return combine("or", a, b) end
function Filter.__unm(a)
  local inner = a.fn
  local d = (a.kind == "and" or a.kind == "or") and "(" .. a.desc .. ")" or a.desc
  return new("not", "NOT " .. d, function(paper) return not inner(paper) end,
    {parts = {a}, cheap = a.cheap})
end

--- AND of any number of filters / functions (`all()` matches everything).
function M.all(...)
  local n = select("#", ...)
  if n == 0 then return new("all", "all", function() return true end, {cheap = true}) end
  local acc = wrap((...), 1, "all")
  for i = 2, n do acc = combine("and", acc, (select(i, ...))) end
  return acc
end

--- OR of any number of filters / functions (`any()` matches nothing).
function M.any(...)
  local n = select("#", ...)
  if n == 0 then return new("none", "none", function() return false end, {cheap = true}) end
  local acc = wrap((...), 1, "any")
  for i = 2, n do acc = combine("or", acc, (select(i, ...))) end
  return acc
end

function M.none(...) return -M.any(...) end

-- {======================================================
-- Field access
-- =======================================================

local FIELD_ALIAS = {
  ti = "title", abs = "abstract", au = "authors", co = "comment",
  title = "title", abstract = "abstract", authors = "authors", comment = "comment",
  journal = "journal", doi = "doi", id = "id", categories = "categories",
  primary_category = "primary_category", date = "date", source = "source",
}
local TEXT_FIELDS = {"title", "abstract", "authors", "comment"}

-- Returns the list of field names selected by opts.field (string or list)
local function fields_of(opts, fname)
  if opts == nil or opts.field == nil then return TEXT_FIELDS end
  local fl = opts.field
  if type(fl) == "string" then fl = {fl} end
  if type(fl) ~= "table" then
    error(format("bad argument #2 to '%s' (field must be a string or a list, got %s)", fname, type(fl)), 3)
  end
  local out = {}
  for i, name in ipairs(fl) do
    local real = FIELD_ALIAS[name]
    if not real then
      error(format("bad argument #2 to '%s' (unknown field '%s')", fname, tostring(name)), 3)
    end
    out[i] = real
  end
  return out
end

-- The text of one field as a string ("" when absent); arrays are joined with ", ".
local function field_text(paper, name)
  local v = paper[name]
  if v == nil then return "" end
  if type(v) == "table" then return concat(v, ", ") end
  return tostring(v)
end
M.field_text = field_text

local function fields_desc(opts)
  if opts and opts.field then
    local fl = opts.field
    if type(fl) == "table" then fl = concat(fl, ",") end
    return ", field=" .. fl
  end
  return ""
end

-- Normalises a list argument: accepts f(x, y), f{x, y}.
local function list_args(fname, ...)
  local n = select("#", ...)
  local first = ...
  local list
  if n == 1 and type(first) == "table" and not is_filter(first) then
    list = first
  else
    list = {...}
  end
  for i, v in ipairs(list) do
    if type(v) ~= "string" then
      error(format("bad argument #%d to '%s' (string expected, got %s)", i, fname, type(v)), 3)
    end
  end
  if #list == 0 then
    error(format("bad argument #1 to '%s' (at least one value expected)", fname), 3)
  end
  return list
end

-- }======================================================

-- {======================================================
-- Text filters
-- =======================================================

--- Whole-word, case-insensitive, diacritic-folded keywords; matches when any
-- keyword occurs. A keyword may be several words ("neural radiance fields").
-- opts.field: "title" | "abstract" | "authors" | "comment" (or ti/abs/au/co) or a list.
function M.keywords(list, opts)
  if type(list) == "string" then list = {list} end
  if type(list) ~= "table" then
    error(format("bad argument #1 to 'keywords' (list of strings expected, got %s)", type(list)), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(format("bad argument #2 to 'keywords' (table expected, got %s)", type(opts)), 2)
  end
  local needles = {}
  for i, k in ipairs(list) do
    if type(k) ~= "string" then
      error(format("bad argument #1 to 'keywords' (string expected at index %d, got %s)", i, type(k)), 2)
    end
    local norm = words(k)
    if norm == "" then
      error(format("bad argument #1 to 'keywords' (keyword %d has no word characters)", i), 2)
    end
    needles[#needles + 1] = " " .. norm .. " "
  end
  if #needles == 0 then
    error("bad argument #1 to 'keywords' (at least one keyword expected)", 2)
  end
  local fields = fields_of(opts, "keywords")
  local nf, nn = #fields, #needles
  -- quick rejection: on ASCII text, a keyword can only match if its first
  -- word occurs in the lowercased text (folding changes only non-ASCII bytes)
  local firsts = {}
  for j = 1, nn do firsts[j] = needles[j]:match("^ (%S+)") end
  return new("keywords", "keywords(" .. concat(list, ", ") .. fields_desc(opts) .. ")", function(paper)
    for i = 1, nf do
      local s = field_text(paper, fields[i])
      if s ~= "" then
        local maybe = true
        if not find(s, "[\128-\255]") then
          local ls = lower(s)
          maybe = false
          for j = 1, nn do
            if find(ls, firsts[j], 1, true) then maybe = true; break end
          end
        end
        if maybe then
          s = " " .. words(s) .. " "
          for j = 1, nn do
            if find(s, needles[j], 1, true) then return true end
          end
        end
      end
    end
    return false
  end, {keywords = list})
end

local function search_anywhere(p)
  return lpeg.P{ p + 1 * lpeg.V(1) }
end

--- An LPeg pattern or a `re` syntax string, searched anywhere in the raw text
-- of the chosen field(s) (default: title, abstract, authors, comment).
function M.pattern(p, opts)
  local desc
  if type(p) == "string" then
    local ok, compiled = pcall(re.compile, p)
    if not ok then
      error(format("bad argument #1 to 'pattern' (invalid re pattern: %s)",
        tostring(compiled):gsub("^.-:%d+: ", "")), 2)
    end
    desc = "pattern(" .. p .. fields_desc(opts) .. ")"
    p = compiled
  elseif lpeg.type(p) == "pattern" then
    desc = "pattern(<lpeg>" .. fields_desc(opts) .. ")"
  else
    error(format("bad argument #1 to 'pattern' (LPeg pattern or re string expected, got %s)", type(p)), 2)
  end
  local fields = fields_of(opts, "pattern")
  local anywhere = search_anywhere(p)
  local nf = #fields
  return new("pattern", desc, function(paper)
    for i = 1, nf do
      local s = field_text(paper, fields[i])
      if s ~= "" and anywhere:match(s) then return true end
    end
    return false
  end)
end

-- Code hosting sites recognised by has_code().
M.CODE_HOSTS = {
  "github.com", "gitlab.com", "bitbucket.org", "huggingface.co",
  "codeberg.org", "sourceforge.net", "gitee.com", "paperswithcode.com",
}

local function has_code(paper)
  for _, name in ipairs({"abstract", "comment"}) do
    local s = paper[name]
    if type(s) == "string" and s ~= "" then
      s = lower(s)
      for _, host in ipairs(M.CODE_HOSTS) do
        if find(s, host, 1, true) then return true end
      end
    end
  end
  return false
end
M.paper_has_code = has_code

--- A link to a code-hosting site (GitHub, GitLab, Bitbucket, Hugging Face,
-- Codeberg, ...) in the abstract or the comment.
function M.has_code()
  return new("has_code", "has_code()", has_code,
    {cheap = true, ast = {type = "has", value = "code"}, query = "has:code"})
end

--- Papers that have a value for the field (doi, journal, comment, ...).
function M.has(field)
  if type(field) ~= "string" then
    error(format("bad argument #1 to 'has' (string expected, got %s)", type(field)), 2)
  end
  if field == "code" then return M.has_code() end
  local pushable = field == "doi" or field == "journal"
  return new("has", "has(" .. field .. ")", function(paper)
    local v = paper[field]
    if v == nil or v == "" or v == false then return false end
    if type(v) == "table" then return #v > 0 end
    return true
  end, pushable and {cheap = true, ast = {type = "has", value = field}, query = "has:" .. field} or nil)
end

-- }======================================================

-- {======================================================
-- Authors
-- =======================================================

local PARTICLES = {
  van = true, von = true, der = true, den = true, de = true, la = true, le = true,
  du = true, di = true, da = true, del = true, della = true, dos = true, das = true,
  ter = true, ten = true, ["van't"] = true, bin = true, al = true, el = true,
}

--- Parses a name ("Kaiming He", "K. He", "He, Kaiming", "Laurens van der Maaten")
-- into { last = "he", given = {"kaiming"} } (folded, lowercase).
local function parse_name(name)
  name = fold(name)
  local last, given
  local a, b = name:match("^%s*(.-)%s*,%s*(.-)%s*$")
  if a and a ~= "" then
    last, given = a, b
  else
    local toks = {}
    for t in name:gmatch("[^%s]+") do toks[#toks + 1] = t end
    if #toks == 0 then return nil end
    local i = #toks
    -- trailing suffixes like "Jr." belong to the surname
    while i > 1 and (toks[i] == "jr." or toks[i] == "jr" or toks[i] == "ii" or toks[i] == "iii") do
      i = i - 1
    end
    local j = i
    while j > 1 and PARTICLES[toks[j - 1]] do j = j - 1 end
    last = concat(toks, " ", j, i)
    given = concat(toks, " ", 1, j - 1)
  end
  local g = {}
  -- "K.-M." -> k, m ; "Jean-Luc" -> jean, luc
  for t in given:gmatch("[^%s%.%-]+") do g[#g + 1] = t end
  last = last:gsub("[%.]", ""):gsub("%s+", " ")
  return {last = last, given = g}
end
M.parse_name = parse_name

local function given_compatible(a, b)
  local n = #a < #b and #a or #b
  for i = 1, n do
    local x, y = a[i], b[i]
    if x ~= y then
      -- an initial matches any name starting with it
      if not ((#x == 1 and y:sub(1, 1) == x) or (#y == 1 and x:sub(1, 1) == y)) then
        return false
      end
    end
  end
  return true
end

--- True when two author names may denote the same person.
function M.same_author(a, b)
  local pa, pb = type(a) == "table" and a or parse_name(a), type(b) == "table" and b or parse_name(b)
  if not pa or not pb then return false end
  if pa.last ~= pb.last then
    -- tolerate hyphen/space differences in surnames ("Juefei-Xu", "Juefei Xu")
    if pa.last:gsub("[%-%s]", "") ~= pb.last:gsub("[%-%s]", "") then return false end
  end
  return given_compatible(pa.given, pb.given)
end

--- A follow list: matches a paper with at least one author in the list.
-- Names are compared tolerantly: "K. He", "Kaiming He" and "He, Kaiming"
-- all match "Kaiming He"; diacritics are folded; a bare surname matches
-- anyone with that surname.
function M.authors(...)
  local list = list_args("authors", ...)
  local wanted = {}
  for i, n in ipairs(list) do
    local p = parse_name(n)
    if not p then
      error(format("bad argument #1 to 'authors' (empty name at index %d)", i), 2)
    end
    wanted[i] = p
  end
  local nw = #wanted
  return new("authors", "authors(" .. concat(list, "; ") .. ")", function(paper)
    local au = paper.authors
    if type(au) ~= "table" then return false end
    for k = 1, #au do
      local pn = parse_name(au[k])
      if pn then
        for i = 1, nw do
          if M.same_author(wanted[i], pn) then return true end
        end
      end
    end
    return false
  end, {names = list})
end

-- }======================================================

-- {======================================================
-- Cheap filters: category, primary, date, id
-- =======================================================

local function glob_matcher(values)
  local exact, prefixes = {}, {}
  for _, v in ipairs(values) do
    local pre = v:match("^(.-)%.?%*$")
    if pre then prefixes[#prefixes + 1] = pre .. "." else exact[v] = true end
  end
  return function(cat)
    if exact[cat] then return true end
    for i = 1, #prefixes do
      if cat:sub(1, #prefixes[i]) == prefixes[i] then return true end
    end
    return false
  end
end

-- {type="or", {type=kind, value=v}, ...} or nil when a value is a glob
local function values_ast(kind, list)
  local nodes = {type = "or"}
  for i, v in ipairs(list) do
    if v:find("%*") then return nil end
    nodes[i] = {type = kind, value = v}
  end
  if #nodes == 1 then return nodes[1] end
  return nodes
end

local function query_values(prefix, list)
  local parts = {}
  for i, v in ipairs(list) do
    if v:find("[%s()\"]") or v:find("%*") then return nil end
    parts[i] = prefix .. v
  end
  if #parts == 1 then return parts[1] end
  return "(" .. concat(parts, " OR ") .. ")"
end

--- Papers listed in any of the categories (cross-lists included). "cs.*" matches
-- every cs category.
function M.category(...)
  local list = list_args("category", ...)
  local match = glob_matcher(list)
  return new("category", "category(" .. concat(list, ", ") .. ")", function(paper)
    local cats = paper.categories
    if type(cats) == "table" then
      for i = 1, #cats do
        if match(cats[i]) then return true end
      end
    end
    local pc = paper.primary_category
    return pc ~= nil and match(pc) or false
  end, {cheap = true, values = list, query = query_values("cat:", list), ast = values_ast("cat", list)})
end

--- Papers whose primary category is one of the given ones.
function M.primary(...)
  local list = list_args("primary", ...)
  local match = glob_matcher(list)
  return new("primary", "primary(" .. concat(list, ", ") .. ")", function(paper)
    local pc = paper.primary_category
    return pc ~= nil and match(pc) or false
  end, {cheap = true, values = list, query = query_values("primary:", list), ast = values_ast("primary", list)})
end

local DAYS_IN = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

-- "2020", "2020-05", "2020-05-20" (or an os.date table / os.time number) ->
-- first and last day of that period
local function date_bounds(v, argn, fname)
  if type(v) == "number" then v = os.date("!%Y-%m-%d", v) end
  if type(v) == "table" and v.year then
    v = format("%04d-%02d-%02d", v.year, v.month or 1, v.day or 1)
  end
  if type(v) ~= "string" then
    error(format("bad argument #%d to '%s' (date string expected, got %s)", argn, fname, type(v)), 3)
  end
  local y, m, d = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if y then
    if tonumber(m) < 1 or tonumber(m) > 12 or tonumber(d) < 1 or tonumber(d) > DAYS_IN[tonumber(m)] then
      error(format("bad argument #%d to '%s' (invalid date '%s')", argn, fname, v), 3)
    end
    return v, v
  end
  y, m = v:match("^(%d%d%d%d)%-(%d%d)$")
  if y then
    local mm = tonumber(m)
    if mm < 1 or mm > 12 then
      error(format("bad argument #%d to '%s' (invalid month '%s')", argn, fname, v), 3)
    end
    local last = DAYS_IN[mm]
    if mm == 2 then
      local yy = tonumber(y)
      last = (yy % 4 == 0 and (yy % 100 ~= 0 or yy % 400 == 0)) and 29 or 28
    end
    return v .. "-01", format("%s-%02d", v, last)
  end
  if v:match("^%d%d%d%d$") then return v .. "-01-01", v .. "-12-31" end
  error(format("bad argument #%d to '%s' (date 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' expected, got '%s')",
    argn, fname, v), 3)
end
M.date_bounds = date_bounds

--- Papers whose digest day is within [from, to] (inclusive).
-- Each bound is "YYYY", "YYYY-MM" or "YYYY-MM-DD" (or os.time()/os.date("*t")
-- values); "2020-05" as `from` means 2020-05-01, as `to` 2020-05-31.
-- Pass nil for an open end: date("2020-05-01", nil), date(nil, "2019").
-- With a single argument, date("2020-05") is that whole period.
-- `field` (default "date", the digest day) may be "published" or "updated".
function M.date(...)
  local nargs = select("#", ...)
  local from, to, field = ...
  local lo, hi
  if nargs == 1 then
    if from == nil then error("bad argument #1 to 'date' (at least one bound expected)", 2) end
    lo, hi = date_bounds(from, 1, "date")
  else
    if from == nil and to == nil then
      error("bad argument #1 to 'date' (at least one bound expected)", 2)
    end
    if from ~= nil then lo = (date_bounds(from, 1, "date")) end
    if to ~= nil then
      local _
      _, hi = date_bounds(to, 2, "date")
    end
  end
  if lo and hi and lo > hi then
    error(format("bad argument #2 to 'date' (range is empty: %s > %s)", lo, hi), 2)
  end
  if field ~= nil and field ~= "date" and field ~= "published" and field ~= "updated"
     and field ~= "first_seen" and field ~= "last_seen" then
    error(format("bad argument #3 to 'date' (date field expected, got '%s')", tostring(field)), 2)
  end
  field = field or "date"
  local desc = format("date(%s..%s%s)", lo or "", hi or "", field ~= "date" and ", " .. field or "")
  local q
  if field == "date" then
    q = format("date:%s..%s", lo or "0000-01-01", hi or "9999-12-31")
  end
  return new("date", desc, function(paper)
    local d = paper[field]
    if type(d) ~= "string" then return false end
    d = d:sub(1, 10)
    if lo and d < lo then return false end
    if hi and d > hi then return false end
    return true
  end, {cheap = field == "date", from = lo, to = hi, field = field, query = q,
         ast = field == "date" and {type = "date", from = lo, to = hi} or nil})
end

--- Papers of a digest day on or after `from`: date(from, nil).
function M.since(from) return M.date(from, nil) end

local function norm_id(s)
  s = s:gsub("^%s+", ""):gsub("%s+$", "")
  s = s:gsub("^https?://arxiv%.org/abs/", ""):gsub("^https?://arxiv%.org/pdf/", "")
  s = s:gsub("^arXiv:", ""):gsub("%.pdf$", "")
  s = s:gsub("v%d+$", "")
  return s
end
M.norm_id = norm_id

--- Papers with one of these arXiv ids (version, URL or "arXiv:" prefix ignored).
function M.id(...)
  local list = list_args("id", ...)
  local set = {}
  local norm = {}
  for i, v in ipairs(list) do
    norm[i] = norm_id(v)
    set[norm[i]] = true
  end
  local desc = #list > 5 and format("id(%s, ... %d ids)", concat(norm, ", ", 1, 3), #list)
    or "id(" .. concat(norm, ", ") .. ")"
  return new("id", desc, function(paper)
    local pid = paper.id
    return pid ~= nil and set[pid] == true
  end, {cheap = true, values = norm, query = query_values("id:", norm), ast = values_ast("id", norm)})
end

--- Revised papers: version >= min (and <= max when given).
function M.version(min, max)
  min = min or 2
  if type(min) ~= "number" then
    error(format("bad argument #1 to 'version' (number expected, got %s)", type(min)), 2)
  end
  return new("version", format("version(%d%s)", min, max and ".." .. max or "+"), function(paper)
    local v = paper.version
    if type(v) ~= "number" then return false end
    return v >= min and (max == nil or v <= max)
  end, {cheap = true, query = max == nil and format("v:%d+", min) or nil,
         ast = {type = "version", min = min, max = max}})
end

-- }======================================================

-- {======================================================
-- Query language on one paper
-- =======================================================

-- The query AST (see arxivdigest.query) evaluated on one paper.
-- Each compiled node is function(paper, cache) -> boolean; `cache` holds the
-- normalised text of each field for the paper being tested.

local QFIELD = {ti = "title", abs = "abstract", au = "authors", co = "comment"}
local ALL_TEXT = {"title", "abstract", "authors", "comment"}

local function norm_field(paper, cache, name)
  local s = cache[name]
  if s == nil then
    local raw = field_text(paper, name)
    s = raw == "" and "" or " " .. words(raw) .. " "
    cache[name] = s
  end
  return s
end

local function text_node(node)
  local needle = words(node.text or "")
  if needle == "" then return function() return false end end
  local fields = node.field and {QFIELD[node.field] or error("unknown query field '" .. tostring(node.field) .. "'", 0)}
    or ALL_TEXT
  needle = " " .. needle .. (node.prefix and "" or " ")
  local author_name = node.field == "au" and node.type == "phrase" and parse_name(node.text)
  local nf = #fields
  return function(paper, cache)
    for i = 1, nf do
      if find(norm_field(paper, cache, fields[i]), needle, 1, true) then return true end
    end
    if author_name then
      local au = paper.authors
      if type(au) == "table" then
        for k = 1, #au do
          if M.same_author(author_name, au[k]) then return true end
        end
      end
    end
    return false
  end
end

local compile_node

local function compile_list(node)
  local subs = {}
  for i = 1, #node do subs[i] = compile_node(node[i]) end
  local n = #subs
  if node.type == "and" then
    return function(paper, cache)
      for i = 1, n do if not subs[i](paper, cache) then return false end end
      return true
    end
  end
  return function(paper, cache)
    for i = 1, n do if subs[i](paper, cache) then return true end end
    return false
  end
end

function compile_node(node)
  local t = node.type
  if t == "and" or t == "or" then
    return compile_list(node)
  elseif t == "not" then
    local sub = compile_node(node[1])
    return function(paper, cache) return not sub(paper, cache) end
  elseif t == "term" or t == "phrase" then
    return text_node(node)
  elseif t == "cat" or t == "primary" then
    local match = glob_matcher({node.value})
    if t == "primary" then
      return function(paper)
        local pc = paper.primary_category
        return pc ~= nil and match(pc)
      end
    end
    return function(paper)
      local cats = paper.categories
      if type(cats) == "table" then
        for i = 1, #cats do if match(cats[i]) then return true end end
      end
      local pc = paper.primary_category
      return pc ~= nil and match(pc)
    end
  elseif t == "id" then
    local want = norm_id(node.value)
    return function(paper) return paper.id == want end
  elseif t == "date" then
    local lo, hi = node.from, node.to
    return function(paper)
      local d = paper.date
      if type(d) ~= "string" then return false end
      return (lo == nil or d >= lo) and (hi == nil or d <= hi)
    end
  elseif t == "has" then
    local v = node.value
    if v == "code" then return has_code end
    return function(paper)
      local x = paper[v]
      return x ~= nil and x ~= ""
    end
  elseif t == "version" then
    local lo, hi = node.min, node.max
    return function(paper)
      local v = paper.version
      if type(v) ~= "number" then return false end
      return (lo == nil or v >= lo) and (hi == nil or v <= hi)
    end
  end
  error("unknown query node type '" .. tostring(t) .. "'", 0)
end

--- Compiles a query AST into function(paper) -> boolean.
function M.compile_query(ast)
  local f = compile_node(ast)
  return function(paper) return f(paper, {}) and true or false end
end

local function quote(s)
  if s:find('[%s"():]') or s == "AND" or s == "OR" or s == "NOT" or s:sub(1, 1) == "-" then
    return '"' .. s:gsub('"', "") .. '"'
  end
  return s
end

--- A query AST written back as a query string.
function M.query_string(node)
  local t = node.type
  if t == "and" or t == "or" then
    local parts = {}
    for i = 1, #node do
      local sub = node[i]
      local q = M.query_string(sub)
      if sub.type == "and" or sub.type == "or" then q = "(" .. q .. ")" end
      parts[i] = q
    end
    return concat(parts, t == "and" and " AND " or " OR ")
  elseif t == "not" then
    local sub = node[1]
    local q = M.query_string(sub)
    if sub.type == "and" or sub.type == "or" then q = "(" .. q .. ")" end
    return "NOT " .. q
  elseif t == "term" then
    return (node.field and node.field .. ":" or "") .. quote(node.text) .. (node.prefix and "*" or "")
  elseif t == "phrase" then
    return (node.field and node.field .. ":" or "") .. '"' .. node.text:gsub('"', "") .. '"'
  elseif t == "cat" or t == "primary" or t == "id" or t == "has" then
    return t .. ":" .. node.value
  elseif t == "date" then
    return "date:" .. (node.from or "0000-01-01") .. ".." .. (node.to or "9999-12-31")
  elseif t == "version" then
    return "v:" .. (node.min or 1) .. (node.max and ".." .. node.max or "+")
  end
  return "?"
end

-- true when the AST only tests id/date/categories/version/has (no text)
local function ast_cheap(node)
  local t = node.type
  if t == "and" or t == "or" or t == "not" then
    for i = 1, #node do if not ast_cheap(node[i]) then return false end end
    return true
  end
  if t == "cat" or t == "primary" then return not node.value:find("%*") end
  return t == "id" or t == "date" or t == "version" or t == "has"
end

--- The index query language (see arxivdigest.query) evaluated on one paper,
-- without an index. `q` is a query string or an AST.
function M.query(q)
  local ast, desc
  if type(q) == "string" then
    local query = require "arxivdigest.query"
    local ok, res = pcall(query.parse, q)
    if not ok then
      error(format("bad argument #1 to 'query' (%s)", tostring(res)), 2)
    end
    ast, desc = res, q
  elseif type(q) == "table" and q.type then
    ast, desc = q, M.query_string(q)
  else
    error(format("bad argument #1 to 'query' (query string expected, got %s)", type(q)), 2)
  end
  local ok, matcher = pcall(M.compile_query, ast)
  if not ok then error(format("bad argument #1 to 'query' (%s)", tostring(matcher)), 2) end
  -- a query is always pushed down to an index; it is "cheap" (can run in C
  -- on a plain collection) only when it tests no text
  local cheap = ast_cheap(ast)
  return new("query", "query(" .. desc .. ")", matcher,
    {cheap = cheap, ast = cheap and ast or nil, full_ast = ast, query = desc})
end

-- }======================================================

--- The query-language string equivalent to this filter, or nil when some part
-- (keywords, pattern, authors, Lua function...) cannot be written in it.
function Filter.to_query(self)
  local k = self.kind
  if k == "and" or k == "or" then
    local parts = {}
    for i, p in ipairs(self.parts) do
      local q = p:to_query()
      if not q then return nil end
      parts[i] = "(" .. q .. ")"
    end
    return concat(parts, k == "and" and " AND " or " OR ")
  elseif k == "not" then
    local q = self.parts[1]:to_query()
    return q and "NOT (" .. q .. ")" or nil
  end
  return self.query
end

--- The query AST of a cheap filter (category, primary, date, id, version,
-- has, cheap queries and their and/or/not), for evaluation in C by
-- Collection:select(ast); nil when some part needs the paper text or Lua.
function Filter.to_ast(self)
  local k = self.kind
  if k == "and" or k == "or" or k == "not" then
    local node = {type = k}
    for i, p in ipairs(self.parts) do
      local a = p:to_ast()
      if not a then return nil end
      node[i] = a
    end
    return node
  end
  if k == "all" then return {type = "all"} end
  return self.ast
end

--- Evaluates the filter on one paper and explains the decision.
-- Returns the result and an array of lines (indented by nesting).
function Filter.explain(self, paper, depth, out)
  depth, out = depth or 0, out or {}
  local slot = #out + 1
  out[slot] = false
  local r
  if self.kind == "and" or self.kind == "or" or self.kind == "not" then
    local results = {}
    for i, p in ipairs(self.parts) do results[i] = (p:explain(paper, depth + 1, out)) end
    if self.kind == "and" then
      r = true
      for _, v in ipairs(results) do r = r and v end
    elseif self.kind == "or" then
      r = false
      for _, v in ipairs(results) do r = r or v end
    else
      r = not results[1]
    end
    out[slot] = format("%s%s %s", ("  "):rep(depth), r and "yes" or "no ", self.kind:upper())
  else
    r = self(paper)
    out[slot] = format("%s%s %s", ("  "):rep(depth), r and "yes" or "no ", self.desc)
  end
  return r, out
end

M.Filter = Filter
return M
