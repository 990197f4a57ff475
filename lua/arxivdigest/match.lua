--- arxivdigest.match: the query tree of arxivdigest.query evaluated on one
-- paper, without an index: the one Lua evaluator, for papers that are not
-- in an index (a Collection's papers, plain tables). Its answers follow
-- the index's rules: text is matched as the index's words (core.words:
-- folded, hyphen groups split; a bare hyphenated term as its compound,
-- core.qterm), categories case-insensitively, has:code
-- by the core's rule (core.has_code); au:"A Name" is the words of the
-- name, as in the index (the name rule of arxivdigest.names, initials
-- and "Surname, Given", is f.authors's and a watch's, not the query's).
--
--   local match = require "arxivdigest.match"
--   local f = match.compile(require("arxivdigest.query").parse("nerf cat:cs.CV"))
--   if f(paper) then ... end

local core = require "arxivdigest.core"

local type, error, tostring, concat, find = type, error, tostring,
  table.concat, string.find
local words, has_code, qterm, category_has = core.words, core.has_code, core.qterm,
  core.category_has

local M = {}

--- The text of one field as a string ("" when absent); arrays are joined
-- with ", ".
local function field_text(paper, name)
  local v = paper[name]
  if v == nil then return "" end
  if type(v) == "table" then return concat(v, ", ") end
  return tostring(v)
end
M.field_text = field_text

local QFIELD = {ti = "title", abs = "abstract", au = "authors", co = "comment"}
local ALL_TEXT = {"title", "abstract", "authors", "comment"}

-- the words of a field of the paper, " w1 w2 ... ", or with compounds its
-- hyphen groups' compounds, " zero-shot ... " (cached per paper)
local function norm_field(paper, cache, name, compounds)
  local key = compounds and name .. "-" or name
  local s = cache[key]
  if s == nil then
    local raw = field_text(paper, name)
    s = raw == "" and "" or " " .. words(raw, compounds) .. " "
    cache[key] = s
  end
  return s
end

--- Canonical arXiv id of s (version, URL and "arXiv:" prefix dropped).
function M.norm_id(s)
  s = s:gsub("^%s+", ""):gsub("%s+$", "")
  s = s:gsub("^https?://arxiv%.org/abs/", ""):gsub("^https?://arxiv%.org/pdf/", "")
  s = s:gsub("^arXiv:", ""):gsub("%.pdf$", "")
  s = s:gsub("v%d+$", "")
  return s
end

--- Does the paper link to a code-hosting site (abstract or comment)?
function M.paper_has_code(paper)
  local a, c = paper.abstract, paper.comment
  return (type(a) == "string" and has_code(a)) or (type(c) == "string" and has_code(c)) or false
end

local function text_node(node)
  -- what the text matches is the index's rule (core.qterm): "zero-shot"
  -- alone is the hyphenated compound, "zero-shot learning" quoted the words
  local kind, needle, prefix = qterm(node.text or "", node.type == "phrase", node.prefix)
  if kind == "empty" then return function() return false end end
  local fields = node.field and {QFIELD[node.field]
    or error("unknown query field '" .. tostring(node.field) .. "'", 0)} or ALL_TEXT
  local compounds = kind == "compound"
  needle = " " .. needle .. (prefix and "" or " ")
  local nf = #fields
  return function(paper, cache)
    for i = 1, nf do
      if find(norm_field(paper, cache, fields[i], compounds), needle, 1, true) then return true end
    end
    return false
  end
end

-- a category node: value, or with prefix every category starting with
-- value (query.category_node), case-insensitively; the categories of a
-- field are the index's (core.category_has: "eess.IV - Image and Video
-- Processing" holds eess.IV)
local function category_node(value, primary_only, prefix)
  prefix = prefix and true or false
  local function is(cat, first)
    return type(cat) == "string" and category_has(cat, value, prefix, first)
  end
  return function(paper)
    if is(paper.primary_category, true) then return true end
    if primary_only then return false end
    local cats = paper.categories
    if type(cats) == "table" then
      for i = 1, #cats do
        if is(cats[i], false) then return true end
      end
    end
    return false
  end
end

local compile_node

local function compile_list(node, depth)
  local subs = {}
  for i = 1, #node do subs[i] = compile_node(node[i], depth + 1) end
  local n = #subs
  if n == 0 then error("'" .. node.type .. "' node without operands", 0) end
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

function compile_node(node, depth)
  if type(node) ~= "table" then error("query node is not a table", 0) end
  if depth > 200 then error("query nested too deeply", 0) end
  local t = node.type
  if t == "and" or t == "or" then
    return compile_list(node, depth)
  elseif t == "not" then
    local sub = compile_node(node[1], depth + 1)
    return function(paper, cache) return not sub(paper, cache) end
  elseif t == "term" or t == "phrase" then
    return text_node(node)
  elseif t == "cat" or t == "primary" then
    if node.prefix ~= nil and type(node.prefix) ~= "boolean" then
      error("'" .. t .. "' node: 'prefix' must be a boolean", 0)
    end
    return category_node(tostring(node.value), t == "primary", node.prefix)
  elseif t == "id" then
    local want = M.norm_id(tostring(node.value))
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
    if v == "code" then return M.paper_has_code end
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
  elseif t == "all" then
    return function() return true end
  end
  error("unknown query node type '" .. tostring(t) .. "'", 0)
end

--- Compiles a query tree into function(paper) -> boolean.
function M.compile(tree)
  local f = compile_node(tree, 0)
  return function(paper) return f(paper, {}) and true or false end
end

--- True when the tree tests no text (id, date, categories, version, has):
-- a Collection can evaluate it in C (c:select) without decoding.
function M.cheap(node)
  local t = node.type
  if t == "and" or t == "or" or t == "not" then
    for i = 1, #node do if not M.cheap(node[i]) then return false end end
    return true
  end
  return t ~= "term" and t ~= "phrase"
end

return M
