--- arxivdigest.index: one entry per arXiv paper, searched with the query
-- language of arxivdigest.query and ranked by BM25F (see README.md, "Index
-- and search", and docs/index.md for the design).
--
--   local idx = index(src [, opts])   -- src: Collection, path or list of paths
--   local idx = load(path)            -- a saved index (idx:save(path)), mmapped
--
-- The index itself (build, query execution, similar papers, persistence)
-- is C (csrc/ad_index.c, ad_search.c, ad_similar.c, ad_store.c); this
-- module adds the Lua-facing methods to core.index_methods.
local core = require "arxivdigest.core"
local query = require "arxivdigest.query"

local type, error, tostring, setmetatable, ipairs =
      type, error, tostring, setmetatable, ipairs
local math_type, tointeger, fmt = math.type, math.tointeger, string.format

local _ENV = nil -- luacheck: ignore 211

local M = {}
local methods = core.index_methods
local paper_methods = core.paper_methods

local function argerror(n, fname, msg, level)
  error(fmt("bad argument #%d to '%s' (%s)", n, fname, msg), (level or 2) + 1)
end


-- {======================================================
-- building and loading
-- =======================================================

local function check_opts(opts, fname, n)
  if opts ~= nil and type(opts) ~= "table" then
    argerror(n, fname, "table expected, got " .. type(opts), 2)
  end
  return opts or {}
end

-- opts, its threads checked (nil, or an integer-valued number >= 1) so that
-- the error names the function the user called
local function check_threads(opts, fname)
  local th = opts.threads
  if th ~= nil and not (tointeger(th) and th >= 1) then
    argerror(2, fname, "threads must be an integer >= 1", 2)
  end
  return opts
end

--- Build an index. `src`: a Collection, a path (file or folder) or a list
-- of paths. `opts`: weights = {ti=, abs=, au=, co=}, k1, b; threads (an
-- integer >= 1: threads that read the files and build; default: automatic).
-- Returns the Index, or nil, "path: reason", errno when a path cannot be read.
function M.index(src, opts)
  opts = check_threads(check_opts(opts, "index", 2), "index")
  local th = opts.threads
  local t = type(src)
  local coll = src
  if t == "string" or t == "table" then
    local c, err, code = core.open(src, { threads = th })
    if not c then return nil, err, code end
    coll = c
  elseif t ~= "userdata" then
    argerror(1, "index", "Collection, path or list of paths expected, got " .. t)
  end
  local idx = core.index_build(coll, opts)
  return idx
end

--- Load a saved index. Returns the Index or nil, "path: reason".
-- opts.verify = true checks every checksum now (otherwise each 16 KiB chunk
-- is checked the first time it is read, and corruption raises an error).
function M.load(path, opts)
  if type(path) ~= "string" then
    argerror(1, "load", "string expected, got " .. type(path))
  end
  opts = check_opts(opts, "load", 2)
  return core.index_load(path, opts)
end

-- }======================================================

-- {======================================================
-- search
-- =======================================================

local function to_ast(q, fname)
  if type(q) == "table" then return q end
  if type(q) ~= "string" then
    argerror(1, fname, "query string expected, got " .. type(q), 3)
  end
  return query.parse(q)
end

-- positive term and phrase tokens of the AST, for snippets
local function snippet_terms(node, positive, terms, prefixes, seen)
  local t = node.type
  if t == "term" or t == "phrase" then
    if positive and node.field ~= "au" then
      local toks = core.tokens(node.text)
      for i, tok in ipairs(toks) do
        local pre = node.prefix and i == #toks or false
        local key = tok .. (pre and "*" or "")
        if not seen[key] then
          seen[key] = true
          terms[#terms + 1] = tok
          prefixes[#prefixes + 1] = pre
        end
      end
    end
  elseif t == "not" then
    snippet_terms(node[1], not positive, terms, prefixes, seen)
  elseif t == "and" or t == "or" then
    for i = 1, #node do snippet_terms(node[i], positive, terms, prefixes, seen) end
  end
end

local hit_methods = {}
local hit_mt = { __index = hit_methods }

--- hit:snippet([opts]) -> the best passage of the abstract with the query
-- terms marked. opts: open ("«"), close ("»"), width (30 words).
function hit_methods.snippet(hit, opts)
  if type(hit) ~= "table" or hit.paper == nil then
    argerror(1, "snippet", "hit expected", 1)
  end
  opts = check_opts(opts, "snippet", 2)
  local text = hit.paper.abstract or hit.paper.title or ""
  local q = hit._query
  local terms, prefixes = q and q.terms or {}, q and q.prefixes or {}
  return core.snippet(text, terms, prefixes, opts.open, opts.close, opts.width)
end

local function make_hits(idx, docs, scores, first, qinfo)
  local out = {}
  for i = first, #docs do
    out[#out + 1] = setmetatable({
      score = scores[i],
      paper = idx:_paper(docs[i]),
      _query = qinfo,
    }, hit_mt)
  end
  return out
end

local function int_opt(opts, name, default, min, fname)
  local v = opts[name]
  if v == nil then return default end
  if math_type(v) ~= "integer" or v < min then
    argerror(2, fname, fmt("%s must be an integer >= %d", name, min), 3)
  end
  return v
end

--- idx:search(query [, opts]) -> { {score=, paper=}, ... }
-- opts: limit (10), offset (0), sort ("score" | "date", newest first).
function methods.search(idx, q, opts)
  local ast = to_ast(q, "search")
  opts = check_opts(opts, "search", 2)
  local limit = int_opt(opts, "limit", 10, 0, "search")
  local offset = int_opt(opts, "offset", 0, 0, "search")
  local sortby = opts.sort or "score"
  if sortby ~= "score" and sortby ~= "date" then
    argerror(2, "search", "sort must be \"score\" or \"date\"", 2)
  end
  local docs, scores = idx:_search(ast, limit + offset, sortby)
  local terms, prefixes = {}, {}
  snippet_terms(ast, true, terms, prefixes, {})
  return make_hits(idx, docs, scores, offset + 1, { terms = terms, prefixes = prefixes })
end

--- idx:count(query) -> number of matching papers
function methods.count(idx, q)
  return idx:_count(to_ast(q, "count"))
end

--- idx:trend(query [, period]) -> { {period=, count=}, ... } in time order;
-- the result also maps each period to its count. period: "day", "month"
-- (default) or "year", of the papers' dates.
function methods.trend(idx, q, period)
  local ast = to_ast(q, "trend")
  period = period or "month"
  if period ~= "day" and period ~= "month" and period ~= "year" then
    argerror(2, "trend", "\"day\", \"month\" or \"year\" expected, got " .. tostring(period))
  end
  local list = idx:_trend(ast, period)
  for _, e in ipairs(list) do list[e.period] = e.count end
  return list
end

--- idx:get(id) -> merged paper or nil (id with or without version, URL,
-- old-style ids).
function methods.get(idx, id)
  if type(id) ~= "string" then
    argerror(1, "get", "string expected, got " .. type(id))
  end
  local d = idx:_find(id)
  return d and idx:_paper(d) or nil
end

--- idx:similar(id_or_text_or_paper [, k]) -> { {score=, paper=}, ... }
-- tf-idf cosine over title and abstract, excluding the paper itself.
function methods.similar(idx, x, k)
  k = k or 10
  if math_type(k) ~= "integer" or k < 0 then
    argerror(2, "similar", "non-negative integer expected, got " .. tostring(k))
  end
  local doc, text
  if type(x) == "userdata" and x._doc then
    doc = x:_doc()
  elseif type(x) == "string" then
    doc = idx:_find(x)
    if not doc then text = x end
  else
    argerror(1, "similar", "id, text or paper expected, got " .. type(x))
  end
  if doc then
    local p = idx:_paper(doc)
    text = (p.title or "") .. " " .. (p.abstract or "")
  end
  local docs, scores = idx:_similar(text, k, doc)
  return make_hits(idx, docs, scores, 1, nil)
end

--- idx:papers() -> iterator over the merged papers, newest first
function methods.papers(idx)
  local i, n = -1, #idx
  return function()
    i = i + 1
    if i < n then return idx:_paper(i) end
  end
end

--- idx:stats() -> { papers=, records=, files=, categories={cat=n},
-- primary={cat=n}, days={["YYYY-MM-DD"]=n}, months={["YYYY-MM"]=n},
-- authors={name=n} } (reads every paper's text).
function methods.stats(idx)
  local info = idx:info()
  local st = {
    papers = info.papers, records = info.records, files = info.files,
    categories = {}, primary = {}, days = {}, months = {}, authors = {},
  }
  local function inc(t, k) if k then t[k] = (t[k] or 0) + 1 end end
  for p in idx:papers() do
    for _, c in ipairs(p.categories) do inc(st.categories, c) end
    inc(st.primary, p.primary_category)
    local d = p.date
    if d then inc(st.days, d); inc(st.months, d:sub(1, 7)) end
    for _, a in ipairs(p.authors) do inc(st.authors, a) end
  end
  return st
end

--- idx:update([paths [, opts]]) -> summary {added=, changed=, removed=, unchanged=, read=}
-- Lists `paths` (default: the files already indexed) without reading them.
-- A file whose size and mtime are the ones indexed is not read: its records
-- come from the index. Added files and files whose size or mtime changed
-- are read (a touched file with the same bytes keeps its postings). Papers
-- untouched by the change keep their postings; the others are indexed
-- again, which reads an unchanged file only when one of its papers also
-- appears in a changed one. The result answers exactly like a fresh build
-- (same parameters). `read` counts the files read. Returns nil,
-- "path: reason", errno when a path cannot be read. opts.threads as in
-- ad.index.
function methods.update(idx, paths, opts)
  local old = idx:_files()
  if paths == nil then
    paths = {}
    for i, f in ipairs(old) do paths[i] = f.path end
    if #paths == 0 then return { added = 0, changed = 0, removed = 0, unchanged = 0, read = 0 } end
  elseif type(paths) ~= "string" and type(paths) ~= "table" then
    argerror(1, "update", "path or list of paths expected, got " .. type(paths))
  end
  if opts ~= nil and type(opts) ~= "table" then
    argerror(2, "update", "options table expected, got " .. type(opts))
  end
  opts = check_threads(opts or {}, "update")
  local listed = {}
  for i, p in ipairs(type(paths) == "string" and { paths } or paths) do
    if type(p) ~= "string" then
      argerror(1, "update", "item " .. i .. " is a " .. type(p) .. ", a path (string) was expected")
    end
    local l, err = core._list_files(p)
    if not l then return nil, err end
    for _, f in ipairs(l) do listed[#listed + 1] = f end
  end
  local bypath = {}
  for i, f in ipairs(old) do bypath[f.path] = i end
  local list, sum = {}, { added = 0, changed = 0, removed = 0, unchanged = 0, read = 0 }
  local seen, same = {}, #listed == #old
  for i, f in ipairs(listed) do
    local k = bypath[f.path]
    seen[f.path] = true
    if k and old[k].size == f.size and old[k].mtime == f.mtime then
      list[i] = { path = f.path, mtime = f.mtime, old = k }
      sum.unchanged = sum.unchanged + 1
      if k ~= i then same = false end
    else
      list[i] = { path = f.path, prev = k }
      same = false
      if k then sum.changed = sum.changed + 1 else sum.added = sum.added + 1 end
    end
  end
  for _, f in ipairs(old) do
    if not seen[f.path] then sum.removed = sum.removed + 1 end
  end
  -- nothing added, removed, changed or reordered: nothing is read
  if same then return sum end
  local info = idx:info()
  local fresh, nread, code = core.index_rebuild(idx, list,
    { weights = info.weights, k1 = info.k1, b = info.b, threads = opts.threads })
  if not fresh then return nil, nread, code end
  sum.read = nread
  idx:_swap(fresh)
  fresh:close()
  return sum
end

-- merged papers work with code written for plain tables: p:totable()
paper_methods.to_table = paper_methods.totable

-- }======================================================

M.tokens = core.tokens

return M
