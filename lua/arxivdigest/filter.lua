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
--   f.cheap                   true when it only needs id/date/categories/version/has
--                             (no text): a Collection runs it in C (c:select)
--   f:to_tree()               the query tree (arxivdigest.query) equivalent to the
--                             filter, or nil when some part cannot be written in the
--                             query language (keywords, pattern, authors, Lua
--                             functions): an index runs the tree
--   f:to_query()              the same as query text (query.format of the tree)
--   f:explain(paper)          boolean plus a list of lines saying which part matched
--
-- Papers may be Paper userdata or plain tables: filters only index them by
-- field name.

local lpeg = require "lpeg"
local re = require "re"
local core = require "arxivdigest.core"
local query = require "arxivdigest.query"
local match = require "arxivdigest.match"
local names = require "arxivdigest.names"

local type, error, ipairs, pairs, select, tostring, setmetatable, getmetatable =
      type, error, ipairs, pairs, select, tostring, setmetatable, getmetatable
local concat = table.concat
local find, format, lower = string.find, string.format, string.lower

local M = {}

--- Lowercase with diacritics folded like the index ("Müller" -> "muller").
M.fold = core.fold
--- The words of a text as the index sees them ("Zero-Shot, NeRF!" -> "zero shot nerf").
local words = core.words
M.words = words

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
  if o.cheap == nil and o.tree then o.cheap = match.cheap(o.tree) end
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
    local src = debug and debug.getinfo(x, "S")
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
  if n == 0 then return new("all", "all", function() return true end, {tree = {type = "all"}}) end
  local acc = wrap((...), 1, "all")
  for i = 2, n do acc = combine("and", acc, (select(i, ...))) end
  return acc
end

--- OR of any number of filters / functions (`any()` matches nothing).
function M.any(...)
  local n = select("#", ...)
  if n == 0 then
    return new("none", "none", function() return false end, {tree = {type = "not", {type = "all"}}})
  end
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
  if opts ~= nil and type(opts) ~= "table" then
    error(format("bad argument #2 to '%s' (table expected, got %s)", fname, type(opts)), 3)
  end
  for k in pairs(opts or {}) do   -- (a mistyped option is said, not ignored)
    if k ~= "field" then
      error(format("bad argument #2 to '%s' (unknown option '%s' (known: field))", fname, tostring(k)), 3)
    end
  end
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
local field_text = match.field_text
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
  local fields = fields_of(opts, "keywords")
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
  local fields = fields_of(opts, "pattern")
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

M.paper_has_code = match.paper_has_code

--- A link to a code-hosting site (GitHub, GitLab, Bitbucket, Hugging Face,
-- Codeberg, ...) in the abstract or the comment (the core's rule).
function M.has_code()
  return new("has_code", "has_code()", match.paper_has_code, {tree = {type = "has", value = "code"}})
end

--- Papers that have a DOI, a journal reference or a link to code: the
-- query language's has: (its values, query.HAS_VALUES, and its matcher):
-- f.has("doi") is f.query("has:doi"). Another name is an error listing them.
function M.has(field)
  if type(field) ~= "string" then
    error(format("bad argument #1 to 'has' (string expected, got %s)", type(field)), 2)
  end
  local v = query.HAS_VALUES[lower(field)]
  if not v then
    local known = {}
    for k in pairs(query.HAS_VALUES) do known[#known + 1] = k end
    table.sort(known)
    error(format("bad argument #1 to 'has' (unknown field '%s'; known: %s)", field, concat(known, ", ")), 2)
  end
  if v == "code" then return M.has_code() end
  local tree = {type = "has", value = v}
  return new("has", "has(" .. v .. ")", match.compile(tree), {tree = tree})
end

-- }======================================================

-- {======================================================
-- Authors
-- =======================================================

M.parse_name = names.parse
M.same_author = names.same

--- A follow list: matches a paper with at least one author in the list.
-- Names are compared by arxivdigest.names: "K. He", "Kaiming He" and
-- "He, Kaiming" all match "Kaiming He"; diacritics are folded; a
-- hyphenated given name is one name ("Li-Heng Chen" never matches "Li
-- Chen"); a bare surname matches anyone with that surname. f:explain(p)
-- says which followed name matched which author of the paper.
function M.authors(...)
  local list = list_args("authors", ...)
  local wanted = {}
  for i, n in ipairs(list) do
    local p = names.parse(n)
    if not p then
      error(format("bad argument #1 to 'authors' (empty name at index %d)", i), 2)
    end
    wanted[i] = p
  end
  local nw = #wanted
  -- the (followed name, paper author) pairs that match, the first only
  -- unless all is true
  local function pairs_of(paper, all)
    local au = paper.authors
    local out = {}
    if type(au) ~= "table" then return out end
    for k = 1, #au do
      local pn = names.parse(au[k])
      if pn then
        for i = 1, nw do
          if names.follows(wanted[i], pn) then
            out[#out + 1] = {list[i], au[k]}
            if not all then return out end
          end
        end
      end
    end
    return out
  end
  return new("authors", "authors(" .. concat(list, "; ") .. ")", function(paper)
    return #pairs_of(paper, false) > 0
  end, {names = list, why = function(paper)
    local lines = {}
    for _, m in ipairs(pairs_of(paper, true)) do
      lines[#lines + 1] = format("followed '%s' matched author '%s'", m[1], m[2])
    end
    return lines
  end})
end

-- }======================================================

-- {======================================================
-- Cheap filters: category, primary, date, id
-- =======================================================

-- {type="or", node, ...} (or the one node) of the values: categories or
-- globs ("cs.*"), by the query language's rule (query.category_node)
local function values_ast(kind, list, fname)
  local nodes = {type = "or"}
  for i, v in ipairs(list) do
    -- (an empty name matched nothing: cat:"" is an error too)
    if fname and v:match("^%s*$") then
      error(format("bad argument #%d to '%s' (a category name expected, got '%s')", i, fname, v), 3)
    end
    nodes[i] = query.category_node(kind, v)
  end
  if #nodes == 1 then return nodes[1] end
  return nodes
end

--- Papers listed in any of the categories (cross-lists included). "cs.*" matches
-- every cs category. Case-insensitive, like the index and c:select: the one
-- Lua evaluator of the same tree (match.lua) decides.
function M.category(...)
  local list = list_args("category", ...)
  local tree = values_ast("cat", list, "category")
  return new("category", "category(" .. concat(list, ", ") .. ")", match.compile(tree),
    {values = list, tree = tree})
end

--- Papers whose primary category is one of the given ones.
function M.primary(...)
  local list = list_args("primary", ...)
  local tree = values_ast("primary", list, "primary")
  return new("primary", "primary(" .. concat(list, ", ") .. ")", match.compile(tree),
    {values = list, tree = tree})
end

local DAYS_IN = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

local function days_in(y, m)
  if m == 2 and y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) then return 29 end
  return DAYS_IN[m]
end

local function value_text(v)
  return type(v) == "string" and ("'" .. v .. "'") or tostring(v)
end

-- "2020", "2020-05", "2020-05-20", a year number (2019), an os.time()
-- number (10000 and more: seconds since 1970) or an os.date table (year,
-- and month, and day: the year, the month or the day) -> first and last
-- day of that period
local function date_bounds(v, argn, fname)
  if type(v) == "number" then
    local n = math.tointeger(v)
    if not n or n < 1 then
      error(format("bad argument #%d to '%s' (a year (2019), a date string or an os.time() value "
        .. "expected, got %s)", argn, fname, value_text(v)), 3)
    end
    -- a year: no one means the first hours of 1970-01-01
    if n <= 9999 then v = format("%04d", n) else v = os.date("!%Y-%m-%d", n) end
  end
  if type(v) == "table" then
    local y, m, d = v.year, v.month, v.day
    if math.type(y) ~= "integer" or (m ~= nil and math.type(m) ~= "integer")
       or (d ~= nil and (m == nil or math.type(d) ~= "integer")) then
      error(format("bad argument #%d to '%s' (date table with integer year (month, day) expected)",
        argn, fname), 3)
    end
    v = d and format("%04d-%02d-%02d", y, m, d) or m and format("%04d-%02d", y, m) or format("%04d", y)
  end
  if type(v) ~= "string" then
    error(format("bad argument #%d to '%s' (date string expected, got %s)", argn, fname, type(v)), 3)
  end
  local y, m, d = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if y then
    local mm, dd = tonumber(m), tonumber(d)
    if mm < 1 or mm > 12 or dd < 1 or dd > days_in(tonumber(y), mm) then
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
    return v .. "-01", format("%s-%02d", v, days_in(tonumber(y), mm))
  end
  if v:match("^%d%d%d%d$") then return v .. "-01-01", v .. "-12-31" end
  error(format("bad argument #%d to '%s' (date 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' expected, got '%s')",
    argn, fname, v), 3)
end
M.date_bounds = date_bounds

--- Papers whose digest day is within [from, to] (inclusive).
-- Each bound is "YYYY", "YYYY-MM" or "YYYY-MM-DD", a year number (2019), an
-- os.time() value (a number of 10000 or more) or an os.date("*t") table
-- ({year =} alone is that year, with month that month); "2020-05" as
-- `from` means 2020-05-01, as `to` 2020-05-31.
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
  return new("date", desc, function(paper)
    local d = paper[field]
    if type(d) ~= "string" then return false end
    d = d:sub(1, 10)
    if lo and d < lo then return false end
    if hi and d > hi then return false end
    return true
  end, {from = lo, to = hi, field = field,
         tree = field == "date" and {type = "date", from = lo or query.MIN_DATE,
                                     to = hi or query.MAX_DATE} or nil})
end

--- Papers of a digest day on or after `from`: date(from, nil).
function M.since(from) return M.date(from, nil) end

local norm_id = match.norm_id
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
  end, {values = norm, tree = values_ast("id", norm)})
end

--- Revised papers: version >= min (and <= max when given).
function M.version(min, max)
  -- as the query language's v:N, v:N+ and v:N..M: versions from 1, a
  -- range that is not empty (version(1.5) failed inside string.format,
  -- version(0) and version(3, 2) were taken)
  min = min or 2
  if type(min) ~= "number" then
    error(format("bad argument #1 to 'version' (number expected, got %s)", type(min)), 2)
  end
  if not math.tointeger(min) or min < 1 then
    error(format("bad argument #1 to 'version' (an integer >= 1 expected, got %s)", tostring(min)), 2)
  end
  min = math.tointeger(min)
  if max ~= nil then
    if type(max) ~= "number" or not math.tointeger(max) or max < min then
      error(format("bad argument #2 to 'version' (nil or an integer >= %d expected, got %s)",
        min, type(max) == "number" and tostring(max) or type(max)), 2)
    end
    max = math.tointeger(max)
  end
  return new("version", format("version(%d%s)", min, max and ".." .. max or "+"), function(paper)
    local v = paper.version
    if type(v) ~= "number" then return false end
    return v >= min and (max == nil or v <= max)
  end, {tree = math.type(min) == "integer" and (max == nil or math.type(max) == "integer")
         and min >= 0 and {type = "version", min = min, max = max} or nil})
end

-- }======================================================

-- {======================================================
-- Query language on one paper
-- =======================================================

--- The query language (see arxivdigest.query) evaluated on one paper,
-- without an index (arxivdigest.match). `q` is a query string or a tree.
function M.query(q)
  local tree, desc
  if type(q) == "string" then
    local ok, res = pcall(query.parse, q)
    if not ok then
      error(format("bad argument #1 to 'query' (%s)", tostring(res)), 2)
    end
    tree, desc = res, q
  elseif type(q) == "table" and q.type then
    tree = q
    local ok, res = pcall(query.format, q)
    desc = ok and res or "<tree>"
  else
    error(format("bad argument #1 to 'query' (query string expected, got %s)", type(q)), 2)
  end
  local ok, matcher = pcall(match.compile, tree)
  if not ok then error(format("bad argument #1 to 'query' (%s)", tostring(matcher)), 2) end
  return new("query", "query(" .. desc .. ")", matcher, {tree = tree})
end

-- }======================================================

--- The query tree equivalent to this filter, or nil when some part
-- (keywords, pattern, authors, Lua function...) cannot be written in the
-- query language.
function Filter.to_tree(self)
  local k = self.kind
  if k == "and" or k == "or" or k == "not" then
    local node = {type = k}
    for i, p in ipairs(self.parts) do
      local a = p:to_tree()
      if not a then return nil end
      node[i] = a
    end
    return node
  end
  if k == "all" then return {type = "all"} end
  return self.tree
end
Filter.to_ast = Filter.to_tree

--- The query text of to_tree(), or nil.
function Filter.to_query(self)
  local tree = self:to_tree()
  if not tree then return nil end
  local ok, q = pcall(query.format, tree)
  return ok and q or nil
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
    if r and self.why then
      for _, line in ipairs(self.why(paper)) do
        out[#out + 1] = ("  "):rep(depth + 1) .. line
      end
    end
  end
  return r, out
end

M.Filter = Filter
return M
