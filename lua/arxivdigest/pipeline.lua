--- Report pipelines: source -> filters / query -> sort -> group -> limit ->
-- format -> write.
--
--   local ad = require "arxivdigest"
--   local f = ad.filter
--   ad.from("digests/")
--     :where(f.category("cs.CV") * f.keywords{"diffusion", "nerf"} * -f.keywords{"survey"})
--     :sort("date", "desc")
--     :group_by("primary_category")
--     :format("html", {title = "This week"})
--     :write("week.html")
--
-- Every step returns a new pipeline (the receiver is not modified), so a
-- base pipeline can be reused. Nothing is read until a terminal method runs:
-- :papers(), :collect(), :groups(), :count(), :render(), :write().
--
-- One path for a query: a query is parsed once (arxivdigest.query) into a
-- tree; the layers below take the tree. With an index as the source, the
-- trees of :query() and of the :where() filters the query language can
-- express are ANDed into one tree, which the index runs with the limit,
-- the offset and the order pushed down (a ranked top-k with a limit costs
-- what idx:search costs); the other filters run in Lua on its hits, read in
-- pages. With a Collection, the parts that need no text run in C
-- (c:select); the rest, in Lua (arxivdigest.match evaluates trees).
--
-- A pipeline may be made unable to write files (`io = false`, for
-- sandboxed scripts): the pipelines derived from it inherit that.

local query = require "arxivdigest.query"

-- arxivdigest.filter (with re, match and names) is loaded when a pipeline
-- first needs it: a query on an index does not (the command's start-up)
local function filter_mod() return require "arxivdigest.filter" end

local type, error, ipairs, pairs, pcall, tostring, tonumber, setmetatable, getmetatable, rawget =
      type, error, ipairs, pairs, pcall, tostring, tonumber, setmetatable, getmetatable, rawget
local format, concat, sort, huge = string.format, table.concat, table.sort, math.huge
local tointeger = math.tointeger
-- (a sandbox's state has no io library: its pipelines cannot write files)
local io = io
local io_type = io and io.type or function() return nil end

local M = {}

local Pipeline = {}
Pipeline.__index = Pipeline
Pipeline.__name = "arxivdigest.Pipeline"

-- private state of each pipeline, out of reach of the pipeline table itself
-- (sandboxed scripts get pipelines but must not reach their source object)
local state = setmetatable({}, {__mode = "k"})

local function is_pipeline(x)
  return getmetatable(x) == Pipeline and state[x] ~= nil
end
M.is_pipeline = is_pipeline

local function S(self, fname, level)
  local st = state[self]
  if not st then
    error(format("bad argument #1 to '%s' (pipeline expected, got %s)", fname, type(self)), level or 3)
  end
  return st
end

-- closed_kind(x): "index" or "collection" when x is a closed one (below)
local closed_kind

-- The state of a pipeline about to run (a terminal method): its source
-- must still be open.
local function T(self, fname)
  local st = S(self, fname, 4)
  local closed = closed_kind(st.src)
  if closed then
    error(format("bad argument #1 to '%s' (the pipeline's %s is closed)", fname, closed), 3)
  end
  return st
end

local function copy_state(st)
  local n = {}
  for k, v in pairs(st) do n[k] = v end
  n.plan = nil
  n.notes = nil
  n.filters = {}
  for i, f in ipairs(st.filters) do n.filters[i] = f end
  n.queries = {}
  for i, q in ipairs(st.queries) do n.queries[i] = q end
  return n
end

local function new_pipeline(st)
  local p = setmetatable({}, Pipeline)
  state[p] = st
  return p
end

local function derive(self, fname, change)
  local st = copy_state(S(self, fname))
  change(st)
  return new_pipeline(st)
end

-- The one check of a step's options table: nil or a table whose keys are
-- all in `known` (a list); `hints` (key -> text) explains a key that is
-- not an option here. Raises "bad argument #argn to 'fname' (...)" at the
-- caller of the step.
local function check_options(opts, known, argn, fname, hints)
  if opts == nil then return end
  if type(opts) ~= "table" then
    error(format("bad argument #%d to '%s' (options table expected, got %s)", argn, fname, type(opts)), 3)
  end
  for k in pairs(opts) do
    local ok = false
    for i = 1, #known do if known[i] == k then ok = true; break end end
    if not ok then
      local hint = hints and hints[k]
      error(format("bad argument #%d to '%s' (unknown option '%s'%s; known: %s)", argn, fname, tostring(k),
        hint and (": " .. hint) or "", concat(known, ", ")), 3)
    end
  end
end

-- The paper fields a step may name (:sort adds "score"): those of
-- format.util (FIELDS and the merged index's EXTRA_FIELDS).
local function field_list(extra)
  local util = require "arxivdigest.format.util"
  local out = {}
  for _, f in ipairs(util.FIELDS) do out[#out + 1] = f end
  for _, f in ipairs(util.EXTRA_FIELDS) do out[#out + 1] = f end
  if extra then out[#out + 1] = extra end
  return out
end

local function check_field(name, known, argn, fname, what)
  for i = 1, #known do if known[i] == name then return end end
  error(format("bad argument #%d to '%s' (unknown field '%s'; known: %s; or %s)", argn, fname, name,
    concat(known, ", "), what), 3)
end

-- {======================================================
-- Sources
-- =======================================================

local function method(obj, name)
  local t = type(obj)
  if t ~= "table" and t ~= "userdata" then return nil end
  local ok, v = pcall(function() return obj[name] end)
  if ok and type(v) == "function" then return v end
  return nil
end

local function is_index(x)
  return type(x) == "userdata" and method(x, "search") ~= nil and method(x, "count") ~= nil
end

local function is_collection(x)
  return type(x) == "userdata" and method(x, "papers") ~= nil and not is_index(x)
end
M.is_collection = is_collection

-- the kind of a closed index or collection (its length raises), else nil
local CLOSABLE = {["arxivdigest.Index"] = "index", ["arxivdigest.Collection"] = "collection"}
function closed_kind(x)
  if type(x) ~= "userdata" or pcall(function() return #x end) then return nil end
  local mt = getmetatable(x)
  return type(mt) == "table" and CLOSABLE[rawget(mt, "__name")] or nil
end

--- What x is as a source: "pipeline", "index", "collection" or nil, and
-- true as a second value when it is a closed index or collection.
function M.kind(x)
  if is_pipeline(x) then return "pipeline" end
  local closed = closed_kind(x)
  if closed then return closed, true end
  if is_index(x) then return "index" end
  if is_collection(x) then return "collection" end
  return nil
end

local function open_paths(paths, level)
  local ad = require "arxivdigest"
  local arg = #paths == 1 and paths[1] or paths
  local c, err = ad.open(arg)
  if not c then error("from: " .. tostring(err), level + 1) end
  return c
end

--- Start a pipeline. `src` is a path (file or folder), a list of paths, a
-- saved index path (*.adx), a Collection (ad.open), an index (ad.index /
-- ad.load), an array of papers (userdata or plain tables) or a pipeline.
function M.from(src)
  if is_pipeline(src) then return derive(src, "from", function() end) end
  local closed = closed_kind(src)
  if closed then error(format("bad argument #1 to 'from' (the %s is closed)", closed), 2) end
  local st = {filters = {}, queries = {}, io = io ~= nil}
  local t = type(src)
  if t == "string" then
    if src:match("%.adx$") then
      local idx, err = require("arxivdigest").load(src)
      if not idx then error("from: " .. tostring(err), 2) end
      st.kind, st.src = "index", idx
    else
      st.kind, st.src = "collection", open_paths({src}, 2)
    end
  elseif is_index(src) then
    st.kind, st.src = "index", src
  elseif is_collection(src) then
    st.kind, st.src = "collection", src
  elseif t == "table" then
    if #src > 0 and type(src[1]) == "string" then
      for i, v in ipairs(src) do
        if type(v) ~= "string" then
          error(format("bad argument #1 to 'from' (path expected at index %d, got %s)", i, type(v)), 2)
        end
      end
      st.kind, st.src = "collection", open_paths(src, 2)
    else
      st.kind, st.src = "array", src
    end
  else
    error(format("bad argument #1 to 'from' (path, list of paths, collection, index or array of papers "
      .. "expected, got %s)", t), 2)
  end
  return new_pipeline(st)
end

--- The source of a pipeline that has no step yet (a Collection, an Index,
-- an array of papers), else nil.
function M.source_of(p)
  local st = S(p, "source_of")
  if #st.filters > 0 or #st.queries > 0 or st.sort or st.rank or st.recommend or st.group or st.limit
     or st.fmt then
    return nil
  end
  return st.src
end

--- A pipeline like p (over a Collection) whose pipelines that need text
-- run on an index of that Collection instead: index_of(collection) returns
-- it (the caller makes it once; called when such a pipeline first runs,
-- never before). A pipeline "needs text" when a query or a filter's query tree
-- tests words (ti:, abs:, au:, a bare term...) or it recommends; the
-- others (id, date, category, version, has) stay on the Collection, where
-- C selects them without an index. What the index runs is what it runs
-- with the index as the source (-i): same answers, same order. The
-- pipelines derived from it inherit index_of. For report sources over
-- digest files (arxivdigest.script): a report that queries text many
-- times costs one index build, not a Lua pass over every paper per query.
function M.indexed_by(p, index_of)
  if type(index_of) ~= "function" then
    error(format("bad argument #2 to 'indexed_by' (function expected, got %s)", type(index_of)), 2)
  end
  return derive(p, "indexed_by", function(n)
    if n.kind == "collection" then n.index_of = index_of end
  end)
end

--- A pipeline like p that cannot write files (nor can any pipeline derived
-- from it): for sandboxed scripts.
function M.without_io(p)
  return derive(p, "without_io", function(n) n.io = false end)
end

-- }======================================================

-- {======================================================
-- Steps
-- =======================================================

--- Keep the papers for which the filter (or function, or query string) is true.
function Pipeline:where(f)
  S(self, "where")
  local t = type(f)
  if not (filter_mod().is_filter(f) or t == "function" or t == "string") then
    error(format("bad argument #1 to 'where' (filter, function or query string expected, got %s)", t), 2)
  end
  local ok, w = pcall(filter_mod().wrap, f, 1, "where")
  -- (a query string that does not parse: the message without its position
  -- in filter.lua, raised at the caller's line)
  if not ok then
    error((tostring(w):gsub("^[^:]*:%d+: ", ""):gsub("^bad argument #1 to 'query'", "bad argument #1 to 'where'")), 2)
  end
  return derive(self, "where", function(n) n.filters[#n.filters + 1] = w end)
end

--- Keep the papers matching a query of the query language (a string,
-- parsed here once, or a tree of arxivdigest.query). With an index as the
-- source the index runs it (and ranks by it); otherwise it is evaluated on
-- each paper.
function Pipeline:query(q)
  S(self, "query")
  local tree
  if type(q) == "string" then
    local ok, res = pcall(query.parse, q)
    if not ok then error(res, 2) end
    tree = res
  elseif type(q) == "table" and type(q.type) == "string" then
    tree = q
  else
    error(format("bad argument #1 to 'query' (query string or tree expected, got %s)", type(q)), 2)
  end
  return derive(self, "query", function(n) n.queries[#n.queries + 1] = tree end)
end

local DIRS = {asc = "asc", desc = "desc", ascending = "asc", descending = "desc"}

--- Sort by a field ("date", "title", "id", "score", ...), ascending unless
-- dir is "desc", or by a comparator function(a, b) -> a before b.
-- The sort is stable; papers without the field come last.
function Pipeline:sort(field, dir)
  S(self, "sort")
  local t = type(field)
  if t ~= "string" and t ~= "function" then
    error(format("bad argument #1 to 'sort' (field name or comparator expected, got %s)", t), 2)
  end
  if t == "string" then check_field(field, field_list("score"), 1, "sort", "a comparator function(a, b)") end
  if dir ~= nil and not DIRS[dir] then
    error(format("bad argument #2 to 'sort' ('asc' or 'desc' expected, got %s)", tostring(dir)), 2)
  end
  dir = DIRS[dir] or (field == "score" and "desc" or "asc")
  return derive(self, "sort", function(n) n.sort = {field = field, dir = dir} end)
end

--- Score each paper with fn(paper) -> number (nil or false drops the paper)
-- and order by score, highest first. The scores reach the formatter as
-- opts.scores (parallel to the papers).
function Pipeline:rank(fn)
  if type(fn) ~= "function" then
    error(format("bad argument #1 to 'rank' (function expected, got %s)", type(fn)), 2)
  end
  return derive(self, "rank", function(n)
    n.rank = fn
    n.sort = {field = "score", dir = "desc"}
  end)
end

--- Rank by recommendation against a library (idx:recommend): the
-- candidates are the papers the pipeline's queries and filters select
-- (opts.query, when given, instead; with neither, the newest digest day),
-- scored against `library` (ids, papers, a Library or text) and ordered
-- best first; the scores reach the formatter as opts.scores, like :rank's.
-- opts: those of idx:recommend (negative, weights, ...) and explain = true
-- (the formatter gets opts.notes, each paper's evidence as one line: text,
-- markdown and html print it). The formatter also gets opts.recommend,
-- idx:recommend's info: library (papers of the library found), unmatched
-- (what was not: ids, or a Library's lib:unmatched() records), candidates. The source is an index, or a collection
-- (indexed when the pipeline runs, once per collection).
function Pipeline:recommend(library, opts)
  local st0 = S(self, "recommend")
  if st0.kind ~= "index" and st0.kind ~= "collection" then
    error("bad argument #1 to 'recommend' (the pipeline's source must be an index or a collection)", 2)
  end
  if library == nil then
    error("bad argument #1 to 'recommend' (library expected: ids, papers, a Library or text)", 2)
  end
  if type(opts) == "table" and opts.candidates ~= nil then
    error("bad argument #2 to 'recommend' (candidates: a pipeline ranks its own papers; "
      .. "idx:recommend takes candidates)", 2)
  end
  check_options(opts, {"query", "negative", "weights", "explain"}, 2, "recommend",
    {limit = "use :limit(n)", offset = "use :limit(n, offset)"})
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  return derive(self, "recommend", function(n)
    n.recommend = {library = library, opts = o}
    n.sort = {field = "score", dir = "desc"}
  end)
end

--- Group by a field or by fn(paper) -> key (or a list of keys). A paper with a
-- list-valued field (categories) lands in each of its groups. opts.order:
-- "first" (default: in order of first appearance, which follows the sort),
-- "key", "key desc", "count" (largest first).
function Pipeline:group_by(key, opts)
  local t = type(key)
  if t ~= "string" and t ~= "function" then
    error(format("bad argument #1 to 'group_by' (field name or function expected, got %s)", t), 2)
  end
  if t == "string" then check_field(key, field_list(), 1, "group_by", "a function(paper) -> key") end
  check_options(opts, {"order"}, 2, "group_by")
  local order = opts and opts.order or "first"
  if order ~= "first" and order ~= "key" and order ~= "key desc" and order ~= "count" then
    error(format("bad argument #2 to 'group_by' (order must be 'first', 'key', 'key desc' or 'count', got '%s')",
      tostring(order)), 2)
  end
  return derive(self, "group_by", function(n) n.group = {key = key, order = order} end)
end

--- Keep at most n papers (after sorting, before grouping); skip `offset` first.
function Pipeline:limit(n, offset)
  local ni, oi = tointeger(n), offset == nil and 0 or tointeger(offset)
  if type(n) ~= "number" or not ni or ni < 0 then
    error(format("bad argument #1 to 'limit' (non-negative integer expected, got %s)", tostring(n)), 2)
  end
  if type(oi) ~= "number" or oi < 0 then
    error(format("bad argument #2 to 'limit' (non-negative integer expected, got %s)", tostring(offset)), 2)
  end
  return derive(self, "limit", function(st) st.limit = ni; st.offset = oi end)
end

--- Output format: a name ("markdown", "jsonl", "csv", "bibtex", "html",
-- "atom", "text"), a function(papers, opts, write), a format table or a
-- template string ("{id}  {title}"). opts go to the formatter.
function Pipeline:format(fmt, opts)
  local t = type(fmt)
  if t ~= "string" and t ~= "function" and t ~= "table" then
    error(format("bad argument #1 to 'format' (format name, function, table or template expected, got %s)", t), 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(format("bad argument #2 to 'format' (table expected, got %s)", type(opts)), 2)
  end
  if t == "string" then
    local fm = require "arxivdigest.format"
    if not fmt:find("[{}]") then
      local f = fm.get(fmt)
      if not f then
        error(format("bad argument #1 to 'format' (unknown format '%s'; known: %s)", fmt,
          concat(fm.names(), ", ")), 2)
      end
      local bad = opts and fm.check_opts(f, opts)
      if bad then error(format("bad argument #2 to 'format' (%s)", bad), 2) end
    else                              -- a template: its mistakes are told now
      local ok, err = pcall(fm.template, fmt)
      if not ok then
        error(format("bad argument #1 to 'format' (%s)", tostring(err):gsub("^[^:]*:%d+: ", "")), 2)
      end
    end
  end
  return derive(self, "format", function(n) n.fmt = fmt; n.fmt_opts = opts end)
end

-- }======================================================

-- {======================================================
-- Planning
-- =======================================================

local ALL = {type = "all"}

local function and_of(trees)
  if #trees == 0 then return nil end
  if #trees == 1 then return trees[1] end
  local node = {type = "and"}
  for i, t in ipairs(trees) do node[i] = t end
  return node
end

-- does the tree rank (a term or phrase that is not negated)?
local function ranks(node, positive)
  local t = node.type
  if t == "term" or t == "phrase" then return positive end
  if t == "not" then return ranks(node[1], not positive) end
  if t == "and" or t == "or" then
    for i = 1, #node do if ranks(node[i], positive) then return true end end
  end
  return false
end

local function flatten_and(filters)
  local out = {}
  local function add(f)
    if f.kind == "and" then
      for _, p in ipairs(f.parts) do add(p) end
    else
      out[#out + 1] = f
    end
  end
  for _, f in ipairs(filters) do add(f) end
  return out
end

-- The plan of a pipeline (computed once): with an index, the tree it runs
-- (nil: every paper) and whether its scores rank; with a collection, the
-- tree c:select runs; in every case the filters left for Lua, cheap ones
-- first. A query that does not go to the index or to select becomes a
-- Lua filter evaluating its tree.
local function plan(st)
  if st.plan then return st.plan end
  local pl = {lua = {}}
  local filters = flatten_and(st.filters)
  if st.kind == "index" then
    local trees = {}
    for _, q in ipairs(st.queries) do trees[#trees + 1] = q end
    for _, f in ipairs(filters) do
      local t = f:to_tree()
      if t then trees[#trees + 1] = t else
        pl.lua[#pl.lua + 1] = f
        -- f.narrow: a tree every paper f keeps matches (a sandboxed filter's
        -- expressible AND parts, which would go to the index here were the
        -- filter not sandboxed); the index runs it, f runs on the hits
        if type(f.narrow) == "table" then trees[#trees + 1] = f.narrow end
      end
    end
    pl.tree = and_of(trees)
    pl.ranked = pl.tree ~= nil and ranks(pl.tree, true)
  else
    local lua = {}
    for _, q in ipairs(st.queries) do lua[#lua + 1] = filter_mod().query(q) end
    for _, f in ipairs(filters) do lua[#lua + 1] = f end
    if st.kind == "collection" and method(st.src, "select") then
      local cheap = {}
      for _, f in ipairs(lua) do
        local t = f.cheap and f:to_tree()
        if t then cheap[#cheap + 1] = t else pl.lua[#pl.lua + 1] = f end
      end
      pl.select = and_of(cheap)
    else
      pl.lua = lua
    end
    -- cheap filters first: they reject most papers without touching the text
    local c, rest = {}, {}
    for _, f in ipairs(pl.lua) do
      if f.cheap then c[#c + 1] = f else rest[#rest + 1] = f end
    end
    for _, f in ipairs(rest) do c[#c + 1] = f end
    pl.lua = c
  end
  st.plan = pl
  return pl
end

-- Does the pipeline need text, i.e. would a Collection evaluate part of
-- it in Lua on each paper where an index answers from its postings (a
-- query or a filter tree that tests words, a recommendation)?
local function needs_text(st)
  if st.recommend then return true end
  local cheap = require("arxivdigest.match").cheap
  for _, q in ipairs(st.queries) do
    if not cheap(q) then return true end
  end
  for _, f in ipairs(flatten_and(st.filters)) do
    if not f.cheap then
      local t = f:to_tree()
      if t and not cheap(t) then return true end
      if type(f.narrow) == "table" and not cheap(f.narrow) then return true end
    end
  end
  return false
end

-- A Collection source with index_of (M.indexed_by) becomes its index when
-- the pipeline needs text (once: the pipeline keeps it).
local function resolve(st)
  if st.kind == "collection" and st.index_of and needs_text(st) then
    local idx = st.index_of(st.src)
    if not is_index(idx) then error("indexed_by: the function did not return an index", 0) end
    st.kind, st.src, st.index_of, st.plan = "index", idx, nil, nil
  end
end

-- }======================================================

-- {======================================================
-- Execution
-- =======================================================

local function paper_id(p)
  local ok, id = pcall(function() return p.id end)
  return ok and tostring(id) or "?"
end

-- Runs the Lua filters on paper p; a failure names the filter and the paper.
local function keep(lua, p)
  for k = 1, #lua do
    local f = lua[k]
    local ok, r = pcall(f.fn, p)
    if not ok then
      error(format("filter %s failed on paper %s: %s", f.desc, paper_id(p), tostring(r)), 0)
    end
    if not r then return false end
  end
  return true
end

-- The index order a pipeline's sort maps to ("score" or "date", newest
-- first), or nil when the index cannot give that order.
local function index_order(st, pl)
  local s = st.sort
  if s == nil or st.rank then return pl.ranked and "score" or "date" end
  if s.field == "score" and s.dir == "desc" then return pl.ranked and "score" or "date" end
  if s.field == "date" and s.dir == "desc" then return "date" end
  return nil
end

-- Iterator over (paper, score) of an index source after every filter, in
-- index order `order`; `want` is how many papers are needed (nil: all).
-- Without Lua filters one search of exactly `want` hits does it; with
-- them, hits are read in growing pages until enough papers pass.
local function index_iter(st, pl, order, want)
  local src, tree, lua = st.src, pl.tree or ALL, pl.lua
  local size
  if #lua == 0 then size = want or src:count(tree)
  else size = want and want * 2 + 16 or 256 end
  local pos, hits, i, done = 0, {}, 0, false
  local ranked = pl.ranked
  return function()
    while true do
      i = i + 1
      local h = hits[i]
      if h ~= nil then
        local p = h.paper
        if #lua == 0 or keep(lua, p) then return p, ranked and h.score or nil end
      elseif done then
        return nil
      else
        hits = src:search(tree, {limit = size, offset = pos, sort = order})
        i = 0
        pos = pos + #hits
        if #hits < size or size == 0 then done = true end
        size = size * 4
      end
    end
  end
end

-- Iterator over (paper, score) of a collection or array source after the
-- filters, in source order.
local function list_iter(st, pl)
  local src, lua = st.src, pl.lua
  local get, n
  if pl.select then
    local selected = src:select(pl.select)
    n = #selected
    get = function(k) return src[selected[k]] end
  else
    n = #src
    get = function(k) return src[k] end
  end
  local i = 0
  return function()
    while i < n do
      i = i + 1
      local p = get(i)
      if #lua == 0 or keep(lua, p) then return p, nil end
    end
    return nil
  end
end

local function compare_values(a, b)
  local ta, tb = type(a), type(b)
  if ta == tb and (ta == "number" or ta == "string") then
    if a == b then return nil end
    return a < b
  end
  if ta == "boolean" and tb == "boolean" then
    if a == b then return nil end
    return (not a) and b
  end
  return nil
end

local function sort_entries(st, entries)
  local s = st.sort
  if not s then return end
  if type(s.field) == "function" then
    local cmp = s.field
    sort(entries, function(x, y)
      if cmp(x.paper, y.paper) then return true end
      if cmp(y.paper, x.paper) then return false end
      return x.pos < y.pos
    end)
    return
  end
  local field, desc = s.field, s.dir == "desc"
  for _, e in ipairs(entries) do
    local v
    if field == "score" then v = e.score
    else
      v = e.paper[field]
      if type(v) == "table" then v = v[1] end
    end
    e.key = v
  end
  sort(entries, function(x, y)
    local a, b = x.key, y.key
    if a == nil or b == nil then
      if a ~= nil then return true end
      if b ~= nil then return false end
      return x.pos < y.pos
    end
    local lt = compare_values(a, b)
    if lt == nil then return x.pos < y.pos end
    if desc then return not lt end
    return lt
  end)
end

local function group_entries(st, entries)
  local g = st.group
  local keyf = g.key
  if type(keyf) == "string" then
    local field = keyf
    keyf = function(p) return p[field] end
  end
  local groups, by_key = {}, {}
  local function add(key, e)
    if key == nil then key = "" end
    local grp = by_key[key]
    if not grp then
      grp = {key = key, papers = {}, scores = {}, first = #groups + 1}
      by_key[key] = grp
      groups[#groups + 1] = grp
    end
    grp.papers[#grp.papers + 1] = e.paper
    grp.scores[#grp.scores + 1] = e.score
  end
  for _, e in ipairs(entries) do
    local k = keyf(e.paper)
    if type(k) == "table" then
      if #k == 0 then add(nil, e) end
      for i = 1, #k do add(k[i], e) end
    else
      add(k, e)
    end
  end
  local order = g.order
  if order == "key" or order == "key desc" then
    local desc = order == "key desc"
    sort(groups, function(a, b)
      local ka, kb = tostring(a.key), tostring(b.key)
      if ka == kb then return a.first < b.first end
      if desc then return ka > kb end
      return ka < kb
    end)
  elseif order == "count" then
    sort(groups, function(a, b)
      if #a.papers ~= #b.papers then return #a.papers > #b.papers end
      return a.first < b.first
    end)
  end
  for _, grp in ipairs(groups) do grp.first = nil end
  return groups
end

-- The papers and scores before grouping, limited, in their final order,
-- and the number of matches before the limit when it is known cheaply.
-- why(hit) as one line: the nearest library papers, then the terms
local function why_line(hit)
  local w = hit:why()
  local parts = {}
  local ps = {}
  for i, x in ipairs(w.papers) do
    if i > 3 then break end
    ps[#ps + 1] = format("%s (%s)", tostring(x.paper.title or ""), tostring(x.paper.id))
  end
  if #ps > 0 then parts[#parts + 1] = "like " .. concat(ps, "; ") end
  if #w.terms > 0 then parts[#parts + 1] = "terms: " .. concat(w.terms, ", ", 1, #w.terms < 6 and #w.terms or 6) end
  return concat(parts, " | ")
end
M.why_line = why_line

-- The recommendations of a pipeline with a recommend step: papers and
-- scores before grouping, in their final order; notes: paper -> why line
-- (with opts.explain).
local function recommend_papers(st, pl, limit, offset)
  local r = st.recommend
  local idx = st.src
  local ro = {}
  for k, v in pairs(r.opts) do ro[k] = v end
  ro.explain = nil
  if ro.query == nil then ro.query = pl.tree end
  local sorted = st.sort and st.sort.field == "score" and st.sort.dir == "desc"
  if #pl.lua == 0 and sorted and limit < huge then ro.limit = limit + offset
  else ro.limit = #idx end
  ro.offset = 0
  local ok, hits, info = pcall(idx.recommend, idx, r.library, ro)
  if not ok then error(tostring(hits):gsub("^bad argument #(%d) to 'recommend'", function(n)
    return format("bad argument #%d to 'recommend'", tonumber(n) - 1) end), 0) end
  local entries = {}
  for _, h in ipairs(hits) do
    if #pl.lua == 0 or keep(pl.lua, h.paper) then
      entries[#entries + 1] = {paper = h.paper, score = h.score, pos = #entries + 1, hit = h}
    end
  end
  if not sorted then sort_entries(st, entries) end
  local papers, scores, notes = {}, {}, r.opts.explain and {} or nil
  local last = offset + limit
  if last > #entries then last = #entries end
  for k = offset + 1, last do
    local e = entries[k]
    papers[#papers + 1] = e.paper
    scores[#papers] = e.score
    if notes then notes[e.paper] = why_line(e.hit) end
  end
  st.notes = notes
  st.rinfo = info
  return papers, scores
end

-- the index of a collection, for :recommend (made once per collection)
local indexes = setmetatable({}, {__mode = "k"})

local function select_papers(st)
  local limit, offset = st.limit or huge, st.offset or 0
  if st.recommend and st.kind == "collection" then
    local idx = indexes[st.src]
    if not idx then
      local ok, ad = pcall(require, "arxivdigest")
      local make = ok and type(ad) == "table" and rawget(ad, "index") or nil
      if type(make) ~= "function" then
        error("recommend: the source is a collection, and indexing is not allowed here "
          .. "(a sandbox): give an index as the source (-i FILE)", 0)
      end
      idx = make(st.src)
      indexes[st.src] = idx
    end
    local ist = copy_state(st)
    ist.kind, ist.src = "index", idx
    local papers, scores = recommend_papers(ist, plan(ist), limit, offset)
    st.notes, st.rinfo = ist.notes, ist.rinfo
    return papers, scores
  end
  local pl = plan(st)
  local papers, scores = {}, {}
  if st.recommend then return recommend_papers(st, pl, limit, offset) end
  local order = st.kind == "index" and index_order(st, pl)
  if (order or not (st.sort or st.rank)) and not st.rank then
    -- the source's own order: stream, stop at the limit
    local want = limit < huge and limit + offset or nil
    local it = order and index_iter(st, pl, order, want) or list_iter(st, pl)
    local skipped = 0
    while #papers < limit do
      local p, sc = it()
      if p == nil then break end
      if skipped < offset then skipped = skipped + 1
      else
        papers[#papers + 1] = p
        scores[#papers] = sc
      end
    end
  else
    local it = st.kind == "index" and index_iter(st, pl, pl.ranked and "score" or "date") or list_iter(st, pl)
    local entries = {}
    local rank = st.rank
    for p, sc in it do
      if rank then
        local ok, r = pcall(rank, p)
        if not ok then error(format("rank function failed on paper %s: %s", paper_id(p), tostring(r)), 0) end
        if r ~= nil and r ~= false then
          if type(r) ~= "number" then
            error(format("rank function returned %s for paper %s (number expected)", type(r), paper_id(p)), 0)
          end
          entries[#entries + 1] = {paper = p, score = r, pos = #entries + 1}
        end
      else
        entries[#entries + 1] = {paper = p, score = sc, pos = #entries + 1}
      end
    end
    sort_entries(st, entries)
    local last = offset + limit
    if last > #entries then last = #entries end
    for k = offset + 1, last do
      local e = entries[k]
      papers[#papers + 1] = e.paper
      scores[#papers] = e.score
    end
  end
  return papers, scores
end

-- Runs the pipeline. Returns the papers (array), their scores (array, may have
-- holes) and the groups (or nil).
local function execute(st)
  resolve(st)
  local papers, scores = select_papers(st)
  local groups
  if st.group then
    local entries = {}
    for k, p in ipairs(papers) do entries[k] = {paper = p, score = scores[k]} end
    groups = group_entries(st, entries)
    -- the papers in group order, each once (format.util.flatten: the rule
    -- of every flat output)
    papers, scores = require("arxivdigest.format.util").flatten(groups)
  end
  return papers, scores, groups
end

-- The number of matching papers before limit and offset, when the source
-- can tell it without reading them all (an index without Lua filters).
local function total(st)
  local pl = plan(st)
  if st.kind == "index" and #pl.lua == 0 and not st.rank and not st.recommend then
    return st.src:count(pl.tree or ALL)
  end
  return nil
end

--- Two values: all resulting papers as an array, and the groups
-- ({ {key=, papers=, scores=}, ... }) when the pipeline groups (else nil).
-- Grouped, the array is in group order and lists each paper once (at its
-- first group), as every flat output does; a paper with a list-valued key
-- (categories) is in each of its groups.
function Pipeline:collect()
  local st = T(self, "collect")
  local papers, _, groups = execute(st)
  return papers, groups
end

--- The groups { {key=, papers=, scores=}, ... } (one group "" when not
-- grouped); a paper is in each of its groups.
function Pipeline:groups()
  local st = T(self, "groups")
  local papers, scores, groups = execute(st)
  return groups or {{key = "", papers = papers, scores = scores}}
end

--- Iterator over the resulting papers: `for p, score in pipe:papers() do`.
-- Streams from the source when the pipeline neither sorts, ranks nor groups.
function Pipeline:papers()
  local st = T(self, "papers")
  resolve(st)
  local pl = plan(st)
  local order = st.kind == "index" and index_order(st, pl)
  if st.group or st.rank or st.recommend or (st.sort and not order) then
    local papers, scores = execute(st)
    local i = 0
    return function()
      i = i + 1
      local p = papers[i]
      if p ~= nil then return p, scores[i] end
    end
  end
  local it
  local limit, offset, given, skipped = st.limit or huge, st.offset or 0, 0, 0
  return function()
    if given >= limit then return nil end
    if not it then
      local want = limit < huge and limit + offset or nil
      it = order and index_iter(st, pl, order, want) or list_iter(st, pl)
    end
    while true do
      local p, sc = it()
      if p == nil then return nil end
      if skipped < offset then skipped = skipped + 1
      else
        given = given + 1
        return p, sc
      end
    end
  end
end

--- Number of resulting papers (after limit). With an index source and only
-- index-expressible filters, the index counts without materialising hits.
function Pipeline:count()
  local st = T(self, "count")
  resolve(st)
  local n = total(st)
  if n == nil and st.sort == nil and st.group == nil and st.rank == nil then
    local pl = plan(st)
    local it = st.kind == "index" and index_iter(st, pl, "date") or list_iter(st, pl)
    n = 0
    local stop = st.limit and st.limit + (st.offset or 0) or huge
    while n < stop and it() do n = n + 1 end
  end
  if n ~= nil then
    n = n - (st.offset or 0)
    if n < 0 then n = 0 end
    if st.limit and n > st.limit then n = st.limit end
    return n
  end
  local papers = execute(st)
  return #papers           -- (grouped: each paper once, as :collect() lists them)
end

local function fmt_for(st, path)
  if st.fmt then return st.fmt end
  if type(path) == "string" then
    local name = require("arxivdigest.format").for_path(path)
    if name then return name end
  end
  return "text"
end

-- Renders through write (nil: to a string). The formatter's opts get, as
-- well as the pipeline's format options: groups, scores, ranked (whether
-- the scores rank), total (the matches before the limit, when known),
-- query (the query text, when the pipeline has queries), and with an index
-- as the source ndocs and df(term) (the papers holding a term).
-- The built-in formats read every paper's text: from an index, the
-- records are read first in file order (idx:_preload: each file once, only
-- the records kept), not file by file in the order of the output (a ranked
-- list jumps between files). What is printed is the same.
local TEXT_FORMATS = { markdown = true, jsonl = true, csv = true, bibtex = true, html = true, atom = true,
  text = true, md = true, json = true, bib = true, txt = true, xml = true, htm = true }

local function preload(st, fname, papers)
  if st.kind ~= "index" or type(fname) ~= "string" or not TEXT_FORMATS[fname] or #papers == 0 then return end
  local idx = st.src
  if type(idx._preload) == "function" then idx:_preload(papers) end
end

local function render_to(st, write, path)
  local fm = require "arxivdigest.format"
  local papers, scores, groups = execute(st)
  preload(st, fmt_for(st, path), papers)     -- (papers holds the groups' too)
  local opts = {}
  local pl = plan(st)
  if #st.queries > 0 then
    local ok, q = pcall(query.format, and_of(st.queries))
    if ok then opts.query = q end
  end
  opts.ranked = (st.rank ~= nil) or (pl.ranked == true and index_order(st, pl) == "score")
  opts.total = total(st)
  opts.first = (st.offset or 0) + 1
  if st.kind == "index" then       -- what distinguishes a term, for formats
    local idx = st.src
    opts.ndocs = #idx
    opts.df = function(term) return idx:df(term) end
  end
  if st.fmt_opts then for k, v in pairs(st.fmt_opts) do opts[k] = v end end
  opts.groups = groups
  opts.scores = scores
  if st.recommend then
    opts.ranked = true; opts.total = nil; opts.notes = st.notes
    opts.recommend = st.rinfo        -- idx:recommend's info (library =, unmatched =, ...)
  end
  return fm.render(papers, fmt_for(st, path), opts, write), #papers
end

--- The formatted output as a string.
function Pipeline:render()
  local st = T(self, "render")
  return (render_to(st, nil))
end

--- Render and write to a path (atomically: a temporary file renamed over the
-- target), an open file, or a function(chunk); no argument writes to
-- io.stdout. Without :format(), the format is the path's extension's
-- (.html, .md, .csv, .bib, .jsonl, .atom, .txt; another name is an error,
-- as the command's -o), "text" for a file or a function.
-- Returns the number of papers written, or nil and a message on I/O failure.
-- `hint` (a file name) chooses the format for a function target when the
-- pipeline has none.
function Pipeline:write(target, hint)
  local st = T(self, "write")
  local t = type(target)
  if target == nil then
    if not io then error("sandbox: file access is not allowed (write to stdout)", 2) end
    target = io.stdout
  end
  if t == "string" then
    if not st.io then
      error(format("sandbox: file access is not allowed (write %s)", target), 2)
    end
    if not st.fmt and not require("arxivdigest.format").for_path(target) then
      -- as the command's -o: a name that tells no format is refused
      error(format("bad argument #1 to 'write' (cannot tell the format of '%s' from its name: "
        .. "give one with :format() (%s))", target, concat(require("arxivdigest.format").names(), ", ")), 2)
    end
    return require("arxivdigest.output").atomic(target, function(write)
      local _, n = render_to(st, write, target)
      return n
    end)
  elseif io_type(target) == "file" or t == "function" then
    if io_type(target) == "file" and not st.io then
      error("sandbox: file access is not allowed (write to a file handle)", 2)
    end
    local _, n = render_to(st, target, t == "function" and hint or nil)
    return n
  elseif t == "table" and type(target.write) == "function" then
    local _, n = render_to(st, function(s) target:write(s) end)
    return n
  end
  error(format("bad argument #1 to 'write' (path, file, function or nil expected, got %s)", t), 2)
end

--- The combined filter of the pipeline (queries included), or filter.all().
function Pipeline:filter()
  local st = S(self, "filter")
  local parts = {}
  for _, q in ipairs(st.queries) do parts[#parts + 1] = filter_mod().query(q) end
  for _, f in ipairs(st.filters) do parts[#parts + 1] = f end
  return filter_mod().all(table.unpack(parts))
end

--- One line per stage, for --explain and error messages.
function Pipeline:describe()
  local st = S(self, "describe")
  local out = {}
  local src = st.src
  out[#out + 1] = "from " .. st.kind .. (st.kind == "array" and format(" (%d papers)", #src) or "")
    .. (st.index_of and needs_text(st) and " (its index runs the text: made when this runs)" or "")
  local pl = plan(st)
  local function fmt_tree(t)
    local ok, q = pcall(query.format, t)
    return ok and q or "<tree>"
  end
  if pl.tree then out[#out + 1] = "index query " .. fmt_tree(pl.tree) end
  if pl.select then out[#out + 1] = "where " .. fmt_tree(pl.select) .. " [in C]" end
  for _, f in ipairs(pl.lua) do out[#out + 1] = "where " .. f.desc end
  if st.rank then out[#out + 1] = "rank by function" end
  if st.recommend then out[#out + 1] = "recommend against a library" end
  if st.sort and not st.rank and not st.recommend then
    local s = st.sort
    out[#out + 1] = "sort " .. (type(s.field) == "function" and "by comparator" or s.field .. " " .. s.dir)
  end
  if st.limit then out[#out + 1] = "limit " .. st.limit .. (st.offset > 0 and " offset " .. st.offset or "") end
  if st.group then
    out[#out + 1] = "group by " .. (type(st.group.key) == "function" and "function" or st.group.key)
  end
  local fm = st.fmt
  out[#out + 1] = "format " .. (type(fm) == "string" and fm or fm and type(fm) or "(from output)")
  return concat(out, "\n")
end

Pipeline.__tostring = function(self) return "pipeline: " .. self:describe():gsub("\n", " | ") end

M.Pipeline = Pipeline
M.ranks = function(tree) return ranks(tree, true) end
return M
