-- arxivdigest.query: the query language (an LPeg grammar).
--
-- parse(str) turns a query string into an AST (see README.md, "The query language"):
--
--   node = {type="and", node, node, ...} | {type="or", node, node, ...}
--        | {type="not", node}
--        | {type="term", text=, field=F|nil, prefix=true|nil}
--        | {type="phrase", text=, field=F|nil}
--        | {type="cat", value=, prefix=true|nil} | {type="primary", value=, prefix=true|nil}
--        | {type="id", value=}
--        | {type="date", from="YYYY-MM-DD", to="YYYY-MM-DD"}     (inclusive)
--        | {type="has", value="doi"|"journal"|"code"}
--        | {type="version", min=N, max=N|nil}
--   F = "ti" | "abs" | "au" | "co"
--   A category node with prefix=true matches every category that starts
--   with value, case-insensitively: `cat:cs.*` is {type="cat", value="cs.",
--   prefix=true} (category_node: the one rule of a category glob).
--
-- Every node carries `col`, its 1-based column (in characters) in the query.
-- A malformed query raises a Lua error (level 0) whose message names the
-- problem and ends with "at column N" (or is exactly "empty query").
--
-- This is the only query parser in the project: the index executes the AST,
-- the CLI and the filters call parse().

local lpeg = require "lpeg"

local P, R, S, V = lpeg.P, lpeg.R, lpeg.S, lpeg.V
local C, Cc, Cp, Ct, Cmt = lpeg.C, lpeg.Cc, lpeg.Cp, lpeg.Ct, lpeg.Cmt
local match = lpeg.match

local error, pcall, type, tostring, tonumber, ipairs, select =
      error, pcall, type, tostring, tonumber, ipairs, select
local concat, sort = table.concat, table.sort
local fmt, byte, find, sub, lower, gsub =
      string.format, string.byte, string.find, string.sub, string.lower,
      string.gsub
local utf8len = utf8.len

local _ENV = nil -- luacheck: ignore 211 (no global access below)

-- Open date ranges use these bounds, so that a date node always has both
-- `from` and `to` and the index can compare strings without special cases.
local MIN_DATE, MAX_DATE = "0000-01-01", "9999-12-31"

-- Deepest parenthesis nesting accepted (checked before matching, so that a
-- hostile query cannot exhaust LPeg's backtrack stack: each level of
-- parentheses takes up to about 14 of its 400 default entries).
local MAX_DEPTH = 16

-- {======================================================
-- Errors and columns
-- =======================================================

-- 1-based column (in UTF-8 characters) of byte position `pos` of `s`.
-- `s` has been validated as UTF-8 before any column is computed.
local function column (s, pos)
  return (utf8len(s, 1, pos - 1) or pos - 1) + 1
end

-- Raise the query error `msg` located at byte position `pos` of `s`.
local function raise (s, pos, msg, ...)
  if select("#", ...) > 0 then msg = fmt(msg, ...) end
  error(msg .. " at column " .. column(s, pos), 0)
end

-- A pattern that raises `msg` when `patt` matches; `msg` may be a function
-- receiving the captures of `patt` and returning the message. The error is
-- located at the start of `patt`.
local function fail (patt, msg)
  return Cmt(Cp() * patt, function (s, _, pos, ...)
    local m = msg
    if type(m) == "function" then m = m(...) end
    raise(s, pos, "%s", m)
  end)
end

-- }======================================================

-- {======================================================
-- Field values
-- =======================================================

local TEXT_FIELDS = { ti = "ti", abs = "abs", au = "au", co = "co",
  title = "ti", abstract = "abs", author = "au", comment = "co" }
local VALUE_FIELDS = { cat = "cat", primary = "primary", id = "id",
  date = "date", year = "year", has = "has", v = "version" }
-- An unquoted category: "cs.CV", "q-bio.NC", "68T45", "I.2.10;I.4".
local CATEGORY = "^[%w][%w%.%-;]*$"
-- A category prefix, in a query: an archive (or any category) then ".*":
-- "cs.*", "math.*", "q-bio.*", "astro-ph.*".
local CATEGORY_PREFIX = "^[%w][%w%.%-;]*%.%*$"

-- The node of kind "cat" or "primary" for value v: a glob (v ends with
-- '*': what comes before it, without a final '.', is an archive, and the
-- node matches its categories: "cs.*" and "cs*" match "cs.CV", "cs.LG", ...)
-- or one category. The one rule of category globs: the query language
-- (which writes them "cs.*") and f.category / f.primary take it from here.
local function category_node (kind, v)
  local pre = v:match("^(.-)%.?%*$")
  if pre then return { type = kind, value = pre .. ".", prefix = true } end
  return { type = kind, value = v }
end
local HAS_VALUES = { doi = "doi", journal = "journal", code = "code" }

local function leap (y)
  return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
end

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function month_days (y, m)
  if m == 2 and leap(y) then return 29 end
  return MONTH_DAYS[m]
end

-- First and last day ("YYYY-MM-DD") of the period written `t`: "YYYY",
-- "YYYY-MM" or "YYYY-MM-DD" (only "YYYY" when `year_only`). nil if invalid.
local function period (t, year_only)
  local y, m, d
  y = t:match("^(%d%d%d%d)$")
  if y then return y .. "-01-01", y .. "-12-31" end
  if year_only then return nil end
  y, m = t:match("^(%d%d%d%d)-(%d%d)$")
  if y then
    local mm = tonumber(m)
    if mm < 1 or mm > 12 then return nil end
    return fmt("%s-%s-01", y, m), fmt("%s-%s-%02d", y, m, month_days(tonumber(y), mm))
  end
  y, m, d = t:match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  if y then
    local yy, mm, dd = tonumber(y), tonumber(m), tonumber(d)
    if mm < 1 or mm > 12 or dd < 1 or dd > month_days(yy, mm) then return nil end
    return t, t
  end
  return nil
end

-- A date node from `t` ("A", "A..B", "A..", "..B"). `pos` is the byte
-- position of `t` in `s`; `exact` is false when `t` is not a verbatim slice
-- of `s` (a phrase), so errors point at `pos` itself.
local function date_node (s, pos, t, exact, year_only)
  local what = year_only and "year" or "date"
  local a, b = t:match("^(.-)%.%.(.*)$")
  local single = a == nil
  if single then a = t end
  if not single and a == "" and b == "" then
    raise(s, pos, "empty %s range '%s'", what, t)
  end
  local from, to = MIN_DATE, MAX_DATE
  if a ~= "" then
    local f, l = period(a, year_only)
    if not f then raise(s, pos, "invalid %s '%s'", what, a) end
    from = f
    if single then to = l end
  end
  if not single and b ~= "" then
    local _, l = period(b, year_only)
    if not l then
      raise(s, exact and pos + #a + 2 or pos, "invalid %s '%s'", what, b)
    end
    to = l
  end
  if from > to then
    raise(s, pos, "empty %s range '%s' (start after end)", what, t)
  end
  return { type = "date", from = from, to = to }
end

-- Canonical arXiv id ("2005.09623", "cs/9810003") of `t`, or nil: accepts a
-- version suffix, an "arXiv:" prefix and abs/pdf URLs, and drops the subject
-- class of old-style ids ("math.GT/0309136" -> "math/0309136").
local function normalize_id (t)
  local u = lower(t)
  u = gsub(u, "^https?://", "")
  u = gsub(u, "^www%.", "")
  u = gsub(u, "^export%.", "")
  local rest = u:match("^arxiv%.org/abs/(.+)$") or u:match("^arxiv%.org/pdf/(.+)$")
  if rest then
    t = sub(t, #t - #rest + 1)
    t = gsub(t, "%.[Pp][Dd][Ff]$", "")
  elseif u:match("^arxiv:") then
    t = sub(t, 7)
  end
  t = t:match("^(.-)[vV]%d+$") or t            -- version suffix
  local yymm, num = t:match("^(%d%d%d%d)%.(%d%d%d%d%d?)$")
  local archive, digits
  if not yymm then
    archive, digits = t:match("^(%a[%a%-]*)/(%d%d%d%d%d%d%d)$")
    if not archive then
      archive, digits = t:match("^(%a[%a%-]*)%.%a[%a%-]*/(%d%d%d%d%d%d%d)$")
    end
    if not archive or find(archive, "%-$") then return nil end
    yymm = digits
  end
  local m = tonumber(sub(yymm, 3, 4))
  if m < 1 or m > 12 then return nil end
  if archive then return lower(archive) .. "/" .. digits end
  return yymm .. "." .. num
end

local function version_node (t)
  local a = t:match("^(%d%d?%d?)$")
  if a then
    local n = tonumber(a)
    if n >= 1 then return { type = "version", min = n, max = n } end
    return nil
  end
  a = t:match("^(%d%d?%d?)%+$")
  if a then
    local n = tonumber(a)
    if n >= 1 then return { type = "version", min = n } end
    return nil
  end
  local b
  a, b = t:match("^(%d%d?%d?)%.%.(%d%d?%d?)$")
  if a then
    local n, m = tonumber(a), tonumber(b)
    if n >= 1 and n <= m then return { type = "version", min = n, max = m } end
  end
  return nil
end

-- The node for value field `field` (a key of VALUE_FIELDS' values) with value
-- text `t` found at byte position `pos` of `s` (see date_node for `exact`).
local function value_node (s, pos, field, t, exact)
  if field == "cat" or field == "primary" then
    if not (t:match(CATEGORY) or t:match(CATEGORY_PREFIX)
            or (not exact and t ~= "" and not t:find("*", 1, true))) then
      raise(s, pos, "invalid category '%s'", t)
    end
    return category_node(field, t)
  elseif field == "id" then
    local id = normalize_id(t)
    if not id then raise(s, pos, "invalid arXiv id '%s'", t) end
    return { type = "id", value = id }
  elseif field == "date" then
    return date_node(s, pos, t, exact, false)
  elseif field == "year" then
    return date_node(s, pos, t, exact, true)
  elseif field == "has" then
    local v = HAS_VALUES[lower(t)]
    if not v then
      raise(s, pos, "unknown value '%s' for has: (expected doi, journal or code)", t)
    end
    return { type = "has", value = v }
  else -- version
    local node = version_node(t)
    if not node then
      raise(s, pos, "invalid version '%s' (expected N, N+ or N..M)", t)
    end
    return node
  end
end

-- The field name written before `field:` as typed, for messages.
local function field_label (field)
  if field == "version" then return "v" end
  return field
end

-- Apply `field` to the terms and phrases of `node` (the body of `field:(...)`)
-- that carry no field of their own. Text fields are set on them; value fields
-- turn them into value nodes (so `cat:(cs.CV OR cs.LG)` works).
local function apply_field (s, node, field, text)
  local t = node.type
  if t == "term" or t == "phrase" then
    if node.field then return node end
    if text then
      node.field = field
      return node
    end
    local value = node.text
    if node.prefix then
      if field ~= "cat" and field ~= "primary" then
        raise(s, node.pos, "wildcard '*' not allowed in %s: values", field_label(field))
      end
      value = value .. "*"            -- cat:(cs.* OR math.*)
    end
    local new = value_node(s, node.pos, field, value, t == "term")
    new.pos = node.pos
    return new
  elseif t == "and" or t == "or" or t == "not" then
    for i = 1, #node do node[i] = apply_field(s, node[i], field, text) end
  end
  return node
end

-- }======================================================

-- {======================================================
-- Node constructors
-- =======================================================

-- n-ary node of `kind` ("and"/"or") from a capture table of children,
-- flattening children of the same kind; one child stands for itself.
local function nary (kind)
  return function (pos, list)
    if #list == 1 then return list[1] end
    local node = { type = kind, pos = pos }
    for _, child in ipairs(list) do
      if child.type == kind then
        for _, c in ipairs(child) do node[#node + 1] = c end
      else
        node[#node + 1] = child
      end
    end
    return node
  end
end

-- A negated node from a capture table: positions of the NOT/- operators
-- followed by the operand. Double negations cancel (also `-(-x)`), so
-- chains of operators never build deep trees.
local function negate (list)
  local n = #list
  local node = list[n]
  if (n - 1) % 2 == 1 then
    if node.type == "not" then return node[1] end
    node = { type = "not", node, pos = list[1] }
  end
  return node
end

-- Split phrase text into words separated by any whitespace.
local ws_ascii = S" \t\n\r\f\v"
local ws_uni = P"\xC2\x85" + P"\xC2\xA0" + P"\xE1\x9A\x80"
             + P"\xE2\x80" * (R"\x80\x8B" + S"\xA8\xA9\xAF")
             + P"\xE2\x81\x9F" + P"\xE3\x80\x80" + P"\xEF\xBB\xBF"
local ws = ws_ascii + ws_uni
local words = Ct((ws^0 * C((1 - ws)^1))^0)

-- }======================================================

-- {======================================================
-- Grammar
-- =======================================================

local sp = ws^0
local eof = P(-1)
local tchar = 1 - (ws + S'()"*')         -- term characters (UTF-8 bytes included)
local vchar = 1 - (ws + S'()"')          -- value characters (`id:`, `date:` ...)
local kdelim = ws + S'()"' + eof         -- what may follow a keyword
local AND, OR, NOT = P"AND" * #kdelim, P"OR" * #kdelim, P"NOT" * #kdelim

-- Where an operand is required, none can start at these.
local no_operand = eof + P")" + AND + OR

-- Raise `msg` located at the position captured first by `patt`, when `patt`
-- matches (used for errors reported at an operator seen earlier).
local function fail_at (patt, msg)
  return Cmt(patt, function (s, _, pos) raise(s, pos, "%s", msg) end)
end

-- "term", "term*"; "te*rm" is an error.
local word = Cp() * C(tchar^1) * (
    fail(P"*" * #(tchar + "*"), "wildcard '*' is only allowed at the end of a term")
  + P"*" * Cc(true)
  + Cc(nil))
local function term_node (pos, text, prefix)
  return { type = "term", text = text, prefix = prefix, pos = pos }
end

-- A phrase: captures the position of its opening quote and its words
-- joined by one space.
local phrase_raw =
    Cmt(Cp() * '"' * C((1 - P'"')^0) * '"', function (s, i, pos, text)
      local t = concat(match(words, text), " ")
      if t == "" then raise(s, pos, "empty phrase") end
      return i, pos, t
    end)
  + fail('"' * (1 - P'"')^0 * eof, "unterminated phrase")
local function phrase_node (pos, text)
  return { type = "phrase", text = text, pos = pos }
end

-- A field name followed by ':' (any case), and its lookups.
local fname = C(R("az", "AZ")^1) * ":"
local function lookup (fields)
  return Cmt(fname, function (_, i, name)
    local f = fields[lower(name)]
    if f then return i, f end
    return false
  end)
end
local text_field, value_field = lookup(TEXT_FIELDS), lookup(VALUE_FIELDS)
local function known_field (name)
  name = lower(name)
  return TEXT_FIELDS[name] or VALUE_FIELDS[name]
end

local grammar = P{ "query",
  query = sp * (
      eof / function () error("empty query", 0) end
    + fail(")", "unbalanced parenthesis")
    + fail(C(AND + OR), function (op)
        return fmt("operator %s without left operand", op)
      end)
    + V"or_expr" * sp * (eof + fail(")", "unbalanced parenthesis"))),

  -- a OR b OR c
  or_expr = (Cp() * Ct(V"and_expr" * (sp * V"or_clause")^0)) / nary"or",
  or_clause =
      fail_at(Cp() * OR * sp * #no_operand, "operator OR without right operand")
    + OR * sp * V"and_expr",

  -- a AND b c (implicit AND)
  and_expr = (Cp() * Ct(V"unary" * (sp * -(eof + ")" + OR) * (
      V"and_clause" + V"unary"))^0)) / nary"and",
  and_clause =
      fail_at(Cp() * AND * sp * #no_operand, "operator AND without right operand")
    + AND * sp * V"unary",

  -- NOT x, -x (any number of them)
  unary = Ct((Cp() * (
        fail_at(Cp() * NOT * sp * #no_operand, "missing term after NOT")
      + NOT * sp
      + fail_at(Cp() * "-" * #(ws + no_operand), "missing term after '-'")
      + P"-"))^0 * V"primary") / negate,

  primary = V"group"
    + V"field"
    + (phrase_raw / phrase_node)
    + fail("*", "wildcard '*' must follow a term")
    + (word / term_node),

  -- ( ... )
  group =
      fail_at(Cp() * "(" * sp * #P")", "empty parentheses")
    + fail_at(Cp() * "(" * sp * eof, "unbalanced parenthesis")
    + "(" * sp * fail(C(AND + OR), function (op)
        return fmt("operator %s without left operand", op)
      end)
    + Cmt(Cp() * "(" * sp * V"or_expr" * sp * (P")" * Cc(true) + Cc(false)),
        function (s, i, pos, node, closed)
          if not closed then raise(s, pos, "unbalanced parenthesis") end
          return i, node
        end),

  field =
      fail(fname * #(ws + eof + ")"), function (name)
        if known_field(name) then return fmt("missing value after '%s:'", name) end
        return fmt("unknown field '%s'", name)
      end)
    + V"text_field_expr"
    + V"value_field_expr"
    + fail(fname, function (name) return fmt("unknown field '%s'", name) end),

  -- ti:term, ti:term*, ti:"a phrase", ti:(a OR b)
  text_field_expr = Cmt(Cp() * text_field * (
        fail("-", "a field value cannot start with '-' (write -field:value to exclude)")
      + V"group" * Cc(true)
      + (phrase_raw / phrase_node) * Cc(false)
      + fail("*", "wildcard '*' must follow a term")
      + (word / term_node) * Cc(false)),
      function (s, i, pos, field, node, grouped)
        node = apply_field(s, node, field, true)
        if not grouped then node.pos = pos end
        return i, node
      end),

  -- cat:cs.CV, id:..., date:..., year:..., has:..., v:...; "quoted" or (grouped)
  value_field_expr =
      Cmt(Cp() * value_field * V"group", function (s, i, _, field, node)
        return i, apply_field(s, node, field, false)
      end)
    + Cmt(Cp() * value_field * phrase_raw, function (s, i, pos, field, vpos, text)
        local node = value_node(s, vpos, field, text, false)
        node.pos = pos
        return i, node
      end)
    + Cmt(Cp() * value_field * Cp() * C(vchar^1), function (s, i, pos, field, vpos, text)
        local node = value_node(s, vpos, field, text, true)
        node.pos = pos
        return i, node
      end),
}

-- }======================================================

-- {======================================================
-- parse
-- =======================================================

-- Reject what the grammar should never see: invalid UTF-8, control
-- characters, and parentheses nested deeper than MAX_DEPTH.
local function check_input (s)
  local n, bad = utf8len(s)
  if not n then
    error("invalid UTF-8 at column " .. ((utf8len(s, 1, bad - 1) or 0) + 1), 0)
  end
  local ctl = find(s, "[%z\1-\8\14-\31\127]")
  if ctl then raise(s, ctl, "invalid control character") end
  local depth, in_phrase, i = 0, false, 1
  while true do
    i = find(s, '[()"]', i)
    if not i then break end
    local c = byte(s, i)
    if c == 34 then
      in_phrase = not in_phrase
    elseif not in_phrase then
      if c == 40 then
        depth = depth + 1
        if depth > MAX_DEPTH then
          raise(s, i, "too many nested parentheses (at most %d)", MAX_DEPTH)
        end
      elseif depth > 0 then
        depth = depth - 1
      end
    end
    i = i + 1
  end
end

local function gather (node, list)
  list[#list + 1] = node
  for i = 1, #node do gather(node[i], list) end
  return list
end

-- Replace the byte positions of all nodes by columns, in one pass over `s`.
local function finish (s, ast)
  local nodes = gather(ast, {})
  if not find(s, "[\128-\255]") then
    for _, node in ipairs(nodes) do node.col, node.pos = node.pos, nil end
    return ast
  end
  sort(nodes, function (a, b) return a.pos < b.pos end)
  local pos, col = 1, 1
  for _, node in ipairs(nodes) do
    if node.pos > pos then
      col = col + utf8len(s, pos, node.pos - 1)
      pos = node.pos
    end
    node.col, node.pos = col, nil
  end
  return ast
end

-- Parse query string `str` into an AST; raises on a malformed query.
local function parse (str)
  if type(str) ~= "string" then
    error(fmt("bad argument #1 to 'parse' (string expected, got %s)", type(str)), 2)
  end
  check_input(str)
  local ok, ast = pcall(match, grammar, str)
  if not ok then
    -- LPeg's own limits (MAX_DEPTH should keep them out of reach) are
    -- reported as a query error, never as LPeg's text; anything else,
    -- query errors included, goes on unchanged.
    if type(ast) == "string" and find(ast, "stack overflow", 1, true) then
      error("query too complex at column 1", 0)
    end
    error(ast, 0)
  end
  return finish(str, ast)
end

-- }======================================================

-- {======================================================
-- terms and format
-- =======================================================

local function check_ast (ast, fname_)
  if type(ast) ~= "table" then
    error(fmt("bad argument #1 to '%s' (table expected, got %s)", fname_, type(ast)), 3)
  end
end

local function collect (node, positive, out, seen)
  local t = node.type
  if t == "term" or t == "phrase" then
    if positive and not seen[node.text] then
      seen[node.text] = true
      out[#out + 1] = node.text
    end
  elseif t == "not" then
    collect(node[1], not positive, out, seen)
  elseif t == "and" or t == "or" then
    for i = 1, #node do collect(node[i], positive, out, seen) end
  end
  return out
end

-- The texts of the terms and phrases of `ast` that are not negated, in
-- query order, without duplicates (prefix terms without their '*').
local function terms (ast)
  check_ast(ast, "terms")
  return collect(ast, true, {}, {})
end

local plain_term = tchar^1 * eof
local plain_value = vchar^1 * eof

-- Can `text` be written as a bare term (it would parse back as one)? After
-- a field prefix (`fielded`) keywords and colons are plain text; before a
-- '*' (`prefix`) a keyword is a plain word.
local function bare (text, fielded, prefix)
  if not match(plain_term, text) or find(text, "^%-") then return false end
  if fielded then return true end
  if find(text, "^%a+:") then return false end
  return prefix or (text ~= "AND" and text ~= "OR" and text ~= "NOT")
end

local function quote (text)
  if find(text, '"', 1, true) or concat(match(words, text), " ") ~= text or text == "" then
    error(fmt("format: cannot write %q as a query phrase", text), 0)
  end
  return '"' .. text .. '"'
end

local function fmt_value (text, pattern)
  if type(text) ~= "string" then
    error("format: value expected, got " .. type(text), 0)
  end
  if match(plain_value, text) and (not pattern or find(text, pattern)) then return text end
  return quote(text)
end

-- Shortest writing of an inclusive date range.
local function fmt_date (from, to)
  if from == MIN_DATE and to == MAX_DATE then return "0000..9999" end
  if from == MIN_DATE then return ".." .. to end
  if to == MAX_DATE then return from .. ".." end
  local fy, fm, fd = from:match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  local ty, tm, td = to:match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  if not (fy and ty) then
    error(fmt("format: invalid date range %s..%s", tostring(from), tostring(to)), 0)
  end
  local a, b
  if fm == "01" and fd == "01" and tm == "12" and td == "31" then
    a, b = fy, ty
  elseif fd == "01" and tonumber(td) == month_days(tonumber(ty), tonumber(tm)) then
    a, b = fy .. "-" .. fm, ty .. "-" .. tm
  else
    a, b = from, to
  end
  if a == b then return a end
  return a .. ".." .. b
end

local fmt_node

local function fmt_text (node)
  local prefix = node.field and (node.field .. ":") or ""
  if node.type == "phrase" then return prefix .. quote(node.text) end
  local text = node.text
  if type(text) ~= "string" then
    error("format: term text expected, got " .. type(text), 0)
  end
  if node.prefix then
    if not bare(text, node.field, true) then
      error(fmt("format: cannot write prefix term %q", text), 0)
    end
    return prefix .. text .. "*"
  end
  if bare(text, node.field) then return prefix .. text end
  return prefix .. quote(text)
end

-- `ctx` is the type of the enclosing node ("and", "or", "not" or nil).
function fmt_node (node, ctx)
  local t = node.type
  if t == "and" or t == "or" then
    if #node == 0 then error("format: empty '" .. t .. "' node", 0) end
    if #node == 1 then return fmt_node(node[1], ctx) end
    local parts = {}
    for i = 1, #node do parts[i] = fmt_node(node[i], t) end
    local out = concat(parts, t == "and" and " " or " OR ")
    if ctx == "not" or (ctx and ctx ~= t) then out = "(" .. out .. ")" end
    return out
  elseif t == "not" then
    local child = node[1]
    if type(child) ~= "table" then error("format: 'not' node without operand", 0) end
    local inner = fmt_node(child, "not")
    if child.type == "not" then inner = "(" .. inner .. ")" end
    return "-" .. inner
  elseif t == "term" or t == "phrase" then
    return fmt_text(node)
  elseif t == "cat" or t == "primary" then
    if node.prefix then
      local v = tostring(node.value)
      if not (v .. "*"):find(CATEGORY_PREFIX) then
        error(fmt("format: cannot write category prefix %q", v), 0)
      end
      return t .. ":" .. v .. "*"
    end
    return t .. ":" .. fmt_value(node.value, CATEGORY)
  elseif t == "id" then
    return "id:" .. fmt_value(node.value)
  elseif t == "has" then
    return "has:" .. fmt_value(node.value)
  elseif t == "date" then
    return "date:" .. fmt_date(node.from or MIN_DATE, node.to or MAX_DATE)
  elseif t == "version" then
    local min, max = node.min or 1, node.max
    if max == nil then return "v:" .. min .. "+" end
    if max == min then return "v:" .. min end
    return "v:" .. min .. ".." .. max
  end
  error(fmt("format: unknown node type '%s'", tostring(t)), 0)
end

-- Canonical query text of `ast`: parse(format(ast)) gives `ast` back
-- (columns aside) for any AST made by parse.
local function format (ast)
  check_ast(ast, "format")
  return fmt_node(ast, nil)
end

-- }======================================================

return {
  parse = parse,
  terms = terms,
  format = format,
  MIN_DATE = MIN_DATE,
  MAX_DATE = MAX_DATE,
  MAX_DEPTH = MAX_DEPTH,
  -- the values of has: (name, lower case -> value); filter.has takes the same
  HAS_VALUES = HAS_VALUES,
  -- the node of a category or a category glob; f.category / f.primary take it
  category_node = category_node,
}
