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
-- Execution: without sort, rank or group the papers stream from the source
-- through the filters and stop as soon as the limit is reached. With an index
-- as the source, :query() strings and the parts of :where() filters that the
-- query language can express (category, primary, date, id, query, version)
-- are executed by the index; the other filters run in Lua on its hits.

local filter = require "arxivdigest.filter"

local type, error, ipairs, pairs, pcall, tostring, setmetatable, getmetatable =
      type, error, ipairs, pairs, pcall, tostring, setmetatable, getmetatable
local format, concat, sort, huge = string.format, table.concat, table.sort, math.huge
local io_type = io.type

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

local function S(self, fname)
  local st = state[self]
  if not st then
    error(format("bad argument #1 to '%s' (pipeline expected, got %s)", fname, type(self)), 3)
  end
  return st
end

local function copy_state(st)
  local n = {}
  for k, v in pairs(st) do n[k] = v end
  n.filters = {}
  for i, f in ipairs(st.filters) do n.filters[i] = f end
  n.queries = {}
  for i, q in ipairs(st.queries) do n.queries[i] = q end
  return n
end

local function derive(self, fname, change)
  local st = copy_state(S(self, fname))
  change(st)
  local p = setmetatable({}, Pipeline)
  state[p] = st
  return p
end

-- Hook for arxivdigest.script: called before the pipeline touches a file,
-- with a description of the access; raises when it is not allowed.
M.check_io = nil

local function check_io(what)
  if M.check_io then M.check_io(what) end
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
  return method(x, "search") ~= nil and method(x, "count") ~= nil
end

local function is_collection(x)
  return type(x) == "userdata" and method(x, "papers") ~= nil and not is_index(x)
end

local function open_paths(paths, level)
  local ad = require "arxivdigest"
  for _, p in ipairs(paths) do check_io("read " .. p) end
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
  local st = {filters = {}, queries = {}}
  local t = type(src)
  if t == "string" then
    if src:match("%.adx$") then
      check_io("read " .. src)
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
  local p = setmetatable({}, Pipeline)
  state[p] = st
  return p
end

-- }======================================================

-- {======================================================
-- Steps
-- =======================================================

--- Keep the papers for which the filter (or function, or query string) is true.
function Pipeline:where(f)
  local st = S(self, "where")
  if f == nil then error("bad argument #1 to 'where' (filter, function or query string expected, got nil)", 2) end
  local ok, w = pcall(filter.wrap, f, 1, "where")
  if not ok then error(w, 2) end
  local _ = st
  return derive(self, "where", function(n) n.filters[#n.filters + 1] = w end)
end

--- Keep the papers matching a query of the query language. With an index as
-- the source the index runs it (and ranks by it); otherwise it is evaluated
-- on each paper.
function Pipeline:query(q)
  if type(q) ~= "string" then
    error(format("bad argument #1 to 'query' (string expected, got %s)", type(q)), 2)
  end
  -- parse now so a malformed query fails here, with its column
  local ok, f = pcall(filter.query, q)
  if not ok then error((tostring(f):gsub("^bad argument #1 to 'query' %((.*)%)$", "%1")), 2) end
  return derive(self, "query", function(n)
    n.queries[#n.queries + 1] = {text = q, filter = f}
  end)
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

--- Group by a field or by fn(paper) -> key (or a list of keys). A paper with a
-- list-valued field (categories) lands in each of its groups. opts.order:
-- "first" (default: in order of first appearance, which follows the sort),
-- "key", "key desc", "count" (largest first).
function Pipeline:group_by(key, opts)
  local t = type(key)
  if t ~= "string" and t ~= "function" then
    error(format("bad argument #1 to 'group_by' (field name or function expected, got %s)", t), 2)
  end
  local order = opts and opts.order or "first"
  if order ~= "first" and order ~= "key" and order ~= "key desc" and order ~= "count" then
    error(format("bad argument #2 to 'group_by' (order must be 'first', 'key', 'key desc' or 'count', got '%s')",
      tostring(order)), 2)
  end
  return derive(self, "group_by", function(n) n.group = {key = key, order = order} end)
end

--- Keep at most n papers (after sorting, before grouping); skip `offset` first.
function Pipeline:limit(n, offset)
  if type(n) ~= "number" or n < 0 or n ~= n // 1 then
    error(format("bad argument #1 to 'limit' (non-negative integer expected, got %s)", tostring(n)), 2)
  end
  if offset ~= nil and (type(offset) ~= "number" or offset < 0 or offset ~= offset // 1) then
    error(format("bad argument #2 to 'limit' (non-negative integer expected, got %s)", tostring(offset)), 2)
  end
  return derive(self, "limit", function(st) st.limit = n; st.offset = offset or 0 end)
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
  if t == "string" and not fmt:find("[{}]") then
    local fm = require "arxivdigest.format"
    if not fm.get(fmt) then
      error(format("bad argument #1 to 'format' (unknown format '%s'; known: %s)", fmt,
        concat(fm.names(), ", ")), 2)
    end
  end
  return derive(self, "format", function(n) n.fmt = fmt; n.fmt_opts = opts end)
end

-- }======================================================

-- {======================================================
-- Execution
-- =======================================================

local function guarded(st, fn, ...)
  if st.guard then return st.guard(fn, ...) end
  return fn(...)
end

-- Combined Lua-side filter list; with an index source, the index query string
-- (or nil) and the filters that remain for Lua.
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

local function plan(st)
  local lua_filters, qparts = {}, {}
  local filters = flatten_and(st.filters)
  if st.kind == "index" then
    for _, q in ipairs(st.queries) do qparts[#qparts + 1] = "(" .. q.text .. ")" end
    for _, f in ipairs(filters) do
      local q = f:to_query()
      if q then qparts[#qparts + 1] = "(" .. q .. ")" else lua_filters[#lua_filters + 1] = f end
    end
  else
    for _, q in ipairs(st.queries) do lua_filters[#lua_filters + 1] = q.filter end
    for _, f in ipairs(filters) do lua_filters[#lua_filters + 1] = f end
    -- cheap filters first: they reject most papers without touching the text
    local cheap, rest = {}, {}
    for _, f in ipairs(lua_filters) do
      if f.cheap then cheap[#cheap + 1] = f else rest[#rest + 1] = f end
    end
    lua_filters = cheap
    for _, f in ipairs(rest) do lua_filters[#lua_filters + 1] = f end
  end
  return lua_filters, #qparts > 0 and concat(qparts, " AND ") or nil
end

local function paper_id(p)
  local ok, id = pcall(function() return p.id end)
  return ok and tostring(id) or "?"
end

-- Runs filter f on paper p; a failure names the filter and the paper.
local function test(f, p)
  local ok, r = pcall(f.fn, p)
  if not ok then
    error(format("filter %s failed on paper %s: %s", f.desc, paper_id(p), tostring(r)), 0)
  end
  return r
end

-- Iterator over (paper, score) of the source after the filters, in source
-- order (index: rank order when a query ran).
local function source_iter(st)
  local lua_filters, q = plan(st)
  local nf = #lua_filters
  local src = st.src
  local i = 0
  local n
  local get, scores
  if st.kind == "index" then
    local hits
    if q then
      local total = src:count(q)
      local ok, res = pcall(src.search, src, q, {limit = total > 0 and total or 1})
      if not ok then error("query: " .. tostring(res), 0) end
      hits = res
    elseif method(src, "papers") then
      hits = {}
      for p in src:papers() do hits[#hits + 1] = {paper = p} end
    else
      error("index source offers no way to list its papers (idx:papers)", 0)
    end
    n = #hits
    get = function(k) return hits[k].paper end
    scores = function(k) return hits[k].score end
  elseif st.kind == "collection" and method(src, "select") then
    -- cheap filters run in C over the records; the rest in Lua on the result
    local nodes, rest = {type = "and"}, {}
    for _, f in ipairs(lua_filters) do
      local a = f.cheap and f:to_ast()
      if a then nodes[#nodes + 1] = a else rest[#rest + 1] = f end
    end
    local selected
    if #nodes > 0 then
      local ok, res = pcall(src.select, src, #nodes == 1 and nodes[1] or nodes)
      if ok then selected = res end
    end
    if selected then
      lua_filters, nf = rest, #rest
      n = #selected
      get = function(k) return src[selected[k]] end
    else
      n = #src
      get = function(k) return src[k] end
    end
  else
    n = #src
    get = function(k) return src[k] end
  end
  return function()
    while i < n do
      i = i + 1
      local p = get(i)
      local keep = true
      for k = 1, nf do
        if not test(lua_filters[k], p) then keep = false; break end
      end
      if keep then return p, scores and scores(i) or nil end
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

-- Runs the pipeline. Returns the papers (array), their scores (array, may have
-- holes) and the groups (or nil).
local function execute(st)
  local it = source_iter(st)
  local limit, offset = st.limit or huge, st.offset or 0
  local needs_all = st.sort or st.rank
  local papers, scores = {}, {}
  if not needs_all then
    -- streaming: stop reading as soon as the limit is reached
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
  local groups
  if st.group then
    local entries = {}
    for k, p in ipairs(papers) do entries[k] = {paper = p, score = scores[k]} end
    groups = group_entries(st, entries)
    -- the papers in group order
    papers, scores = {}, {}
    for _, grp in ipairs(groups) do
      for k, p in ipairs(grp.papers) do
        papers[#papers + 1] = p
        scores[#papers] = grp.scores[k]
      end
    end
  end
  return papers, scores, groups
end

--- All resulting papers as an array (in group order when grouped), plus the
-- groups ({ {key=, papers=}, ... }) when the pipeline groups.
function Pipeline:collect()
  local st = S(self, "collect")
  return guarded(st, function()
    local papers, _, groups = execute(st)
    return papers, groups
  end)
end

--- The groups { {key=, papers=, scores=}, ... } (one group "" when not grouped).
function Pipeline:groups()
  local st = S(self, "groups")
  return guarded(st, function()
    local papers, scores, groups = execute(st)
    return groups or {{key = "", papers = papers, scores = scores}}
  end)
end

--- Iterator over the resulting papers: `for p, score in pipe:papers() do`.
-- Streams from the source when the pipeline neither sorts, ranks nor groups.
function Pipeline:papers()
  local st = S(self, "papers")
  if st.sort or st.rank or st.group then
    local papers, scores = guarded(st, function()
      local ps, sc = execute(st)
      return ps, sc
    end)
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
    return guarded(st, function()
      if not it then it = source_iter(st) end
      while true do
        local p, sc = it()
        if p == nil then return nil end
        if skipped < offset then skipped = skipped + 1
        else
          given = given + 1
          return p, sc
        end
      end
    end)
  end
end

--- Number of resulting papers (after limit). With an index source and only
-- index-expressible filters, the index counts without materialising hits.
function Pipeline:count()
  local st = S(self, "count")
  return guarded(st, function()
    if st.kind == "index" and not st.rank then
      local lua_filters, q = plan(st)
      if #lua_filters == 0 and q then
        local n = st.src:count(q) - (st.offset or 0)
        if n < 0 then n = 0 end
        if st.limit and n > st.limit then n = st.limit end
        return n
      end
    end
    if st.sort == nil and st.group == nil and st.rank == nil then
      local n = 0
      local it = source_iter(st)
      local limit, offset = st.limit or huge, st.offset or 0
      while n < limit + offset and it() do n = n + 1 end
      n = n - offset
      return n < 0 and 0 or n
    end
    local papers = execute(st)
    if st.group then
      -- a paper may sit in several groups: count distinct records
      local seen, n = {}, 0
      for _, p in ipairs(papers) do
        if not seen[p] then seen[p] = true; n = n + 1 end
      end
      return n
    end
    return #papers
  end)
end

local function fmt_for(st, path)
  if st.fmt then return st.fmt end
  if type(path) == "string" then
    local name = require("arxivdigest.format").for_path(path)
    if name then return name end
  end
  return "text"
end

local function render_to(st, write, path)
  local fm = require "arxivdigest.format"
  local papers, scores, groups = execute(st)
  local opts = {}
  if st.fmt_opts then for k, v in pairs(st.fmt_opts) do opts[k] = v end end
  opts.groups = groups
  opts.scores = scores
  return fm.render(papers, fmt_for(st, path), opts, write), #papers
end

--- The formatted output as a string.
function Pipeline:render()
  local st = S(self, "render")
  return guarded(st, function() return (render_to(st, nil)) end)
end

local function atomic_write(st, path)
  check_io("write " .. path)
  local dir = path:match("^(.*)/[^/]*$") or "."
  local tmp = format("%s/.%s.%d%04d.tmp", dir, path:match("[^/]*$"), os.time(), math.random(0, 9999))
  local fh, err = io.open(tmp, "wb")
  if not fh then return nil, err end
  local ok, res, n = pcall(render_to, st, fh, path)
  if ok then
    local okc, cerr = fh:close()
    if not okc then os.remove(tmp); return nil, format("%s: %s", path, tostring(cerr)) end
    local okr, rerr = os.rename(tmp, path)
    if not okr then os.remove(tmp); return nil, rerr end
    return n
  end
  fh:close()
  os.remove(tmp)
  error(res, 0)
end

--- Render and write to a path (atomically: a temporary file renamed over the
-- target), an open file, or a function(chunk); no argument writes to
-- io.stdout. The format defaults to the path's extension (.html, .md, .csv,
-- .bib, .jsonl, .atom, .txt), else "text".
-- Returns the number of papers written, or nil and a message on I/O failure.
function Pipeline:write(target)
  local st = S(self, "write")
  local t = type(target)
  if target == nil then target = io.stdout end
  if t == "string" then
    return guarded(st, atomic_write, st, target)
  elseif io_type(target) == "file" or t == "function" then
    return guarded(st, function()
      local _, n = render_to(st, target)
      return n
    end)
  elseif t == "table" and type(target.write) == "function" then
    return guarded(st, function()
      local _, n = render_to(st, function(s) target:write(s) end)
      return n
    end)
  end
  error(format("bad argument #1 to 'write' (path, file, function or nil expected, got %s)", t), 2)
end

--- The combined filter of the pipeline (queries included), or filter.all().
function Pipeline:filter()
  local st = S(self, "filter")
  local parts = {}
  for _, q in ipairs(st.queries) do parts[#parts + 1] = q.filter end
  for _, f in ipairs(st.filters) do parts[#parts + 1] = f end
  return filter.all(table.unpack(parts))
end

--- One line per stage, for --explain and error messages.
function Pipeline:describe()
  local st = S(self, "describe")
  local out = {}
  local src = st.src
  out[#out + 1] = "from " .. st.kind .. (st.kind == "array" and format(" (%d papers)", #src) or "")
  local lua_filters, q = plan(st)
  if q then out[#out + 1] = "index query " .. q end
  local in_c = st.kind == "collection" and method(src, "select")
  for _, f in ipairs(lua_filters) do
    local c = f.cheap and f:to_ast() and in_c
    out[#out + 1] = "where " .. f.desc .. (c and " [in C]" or "")
  end
  if st.rank then out[#out + 1] = "rank by function" end
  if st.sort and not st.rank then
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

-- For arxivdigest.script: run every terminal method of the pipeline through
-- guard(fn, ...) (the sandbox budget); derived pipelines inherit it.
function M._set_guard(p, guard)
  local st = state[p]
  if st then st.guard = guard end
end

function M._source_kind(p)
  local st = state[p]
  return st and st.kind
end

M.Pipeline = Pipeline
return M
