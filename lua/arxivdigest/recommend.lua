--- arxivdigest.recommend: which papers should I read? Candidates ranked
-- against a library of papers, each with the evidence of its rank.
--
--   local rec = require "arxivdigest.recommend"
--   local hits, info = rec.recommend(idx, library [, opts])
--   for _, hit in ipairs(hits) do
--     print(hit.score, hit.paper.id, hit.paper.title)
--     local why = hit:why()   -- {papers = {{paper =, score =}, ...},
--                             --  terms = {"gaussian splatting", ...},
--                             --  weights = {0.031, ...} (one per term)}
--   end
--   local report = rec.evaluate(idx, library [, {days = 30, k = 50}])
--
-- recommend(idx, library [, opts]) -> hits, info
--   idx: an Index (ad.index / ad.load).
--   library: a list of arXiv ids (any form: versions, abs/pdf URLs, old
--     style) and/or merged papers (idx:get), a Library (ad.library: it is
--     resolved against idx), one id, or free text (a string that is not an
--     arXiv id: its words and word pairs stand for one more paper; an id
--     the index lacks is an id, as in a list, not a text).
--     Ids the index does not have are left out (info.unmatched lists them;
--     for a Library, its entries found in no index: lib:unmatched()'s
--     records {entry =, line =, reason =}).
--   opts.query: the candidates, in the query language (default: the
--     papers of the newest digest day in the index). opts.limit (10),
--     opts.offset (0). opts.negative: ids or papers the reader does not
--     want (papers like them rank down; they are never returned, nor are
--     the library's papers). opts.weights = {ti =, abs =, au =, co =,
--     cat =}: how much each field counts (title, abstract, authors,
--     comment, categories; defaults 1, 1, 1, 0.5, 16; a key left out keeps
--     its default, 0 ignores the field). A category is one feature,
--     "cat:eess.IV", weighed by BM25 like a word found cat times (16: about
--     twice a word found once, as rare).
--   hits: like idx:search's, {score =, paper =}, best first, each with
--     hit:why() -> {papers = {{paper =, score =}, ...} the library papers
--     that weigh most in the score (their share of it), terms = {...} the
--     words and word pairs that weigh most in its favour, weights = {...}}.
--     The evidence is the score's own decomposition, not a second guess.
--   info: {library = papers of the library used, candidates = how many
--     were ranked, unmatched = {ids the index does not have} (a Library:
--     the records of its entries not found), model =
--     "kept" (read from INDEX.model beside a loaded index), "built" or
--     "cached" (this index's model, made by an earlier call)}.
--   Raises an error naming the argument on misuse, and when the library
--   has no paper in the index (and no text).
--
-- evaluate(idx, library [, opts]) -> report
--   Hides the library's papers of the last opts.days digest days (30),
--   recommends among all the papers of those days from the rest of the
--   library, and measures how well the hidden ones come back in the first
--   opts.k (50): report = {days =, k =, from =, to = (dates), candidates =,
--   hidden =, library =, method = {recall =, ndcg =}, centroid = {recall =,
--   ndcg =}} (centroid: a plain tf-idf centroid, the baseline). When the
--   library has no paper in those days, or none before them, report.method
--   is nil and report.reason says why. opts.weights as in recommend.
--
-- The method (csrc/ad_recommend.c; measured by bench/recommend.lua, see
-- the README): each paper is a BM25-weighted vector of its words and pairs
-- of adjacent words, of length 1; the library's profile is the mean of its
-- papers' vectors minus the background: the mean vector of the index's
-- newest papers (what every paper shares weighs nothing), a fifth of it
-- taken from the papers nearest to the library (what its field shares
-- weighs less); a candidate scores its dot product with that profile, less
-- its similarity to the nearest negative above the larger of its similarity
-- to the background and to the nearest library paper.
local core = require "arxivdigest.core"
local LIB = require "arxivdigest.library"

local type, error, ipairs, pairs, setmetatable, tostring, math_type, pcall, rawequal =
      type, error, ipairs, pairs, setmetatable, tostring, math.type, pcall, rawequal
local require = require
local fmt, log, math_tointeger = string.format, math.log, math.tointeger

local _ENV = nil -- luacheck: ignore 211

local M = {}

-- The indexes whose model of the default options (no weights, the method's
-- defaults) a recommendation of this process built (weak keys): what a
-- command keeps beside a saved index, INDEX.model (cli.lua, Ctx:keep_model)
local built_default = setmetatable({}, { __mode = "k" })

local function argerror(n, fname, msg, level)
  error(fmt("bad argument #%d to '%s' (%s)", n, fname, msg), (level or 2) + 1)
end

local function check_index(idx, fname)
  if not core._risindex(idx) then
    argerror(1, fname, "Index expected, got " .. type(idx), 2)
  end
end

local WEIGHT_KEYS = { ti = true, abs = true, au = true, co = true, cat = true }

local function check_weights(w, fname)
  if w == nil then return nil end
  if type(w) ~= "table" then
    argerror(3, fname, "weights must be a table, got " .. type(w), 3)
  end
  local out, any = {}, false
  for k, v in pairs(w) do
    if not WEIGHT_KEYS[k] then
      argerror(3, fname, "weights: unknown field " .. tostring(k) .. " (ti, abs, au, co or cat expected)", 3)
    end
    if type(v) ~= "number" or v ~= v or v < 0 or v > 1e6 then
      argerror(3, fname, "weights." .. k .. " must be a number >= 0", 3)
    end
    out[k] = v
  end
  for k in pairs(WEIGHT_KEYS) do
    if k ~= "cat" then                       -- (categories alone are no text)
      local v = out[k]
      if v == nil then v = (k == "co") and 0.5 or 1 end
      if v > 0 then any = true end
    end
  end
  if not any then argerror(3, fname, "weights: at least one field must weigh more than 0", 3) end
  return out
end

-- an integral number (10, 1e5) as an integer, else nil
local function integer(v)
  return math_type(v) ~= nil and math_tointeger(v) or nil
end

local function int_opt(opts, name, default, fname)
  local v = opts[name]
  if v == nil then return default end
  v = integer(v)
  if not v or v < 0 then
    argerror(3, fname, name .. " must be an integer >= 0", 3)
  end
  return v
end

local is_library = LIB.is_library

-- the doc of a MergedPaper of idx; false: a paper of another index; nil:
-- not a paper
local function paper_doc(idx, x)
  local ok, d = pcall(core._rdoc, idx, x)
  if not ok then return nil end
  return d or false
end

-- Is s an arXiv id and nothing else (any form idx:get takes)?
local function is_id(s)
  s = s:match("^%s*(.-)%s*$")
  return LIB.parse_id(s) ~= nil and not s:find("[%s,;]")
end

-- The doc numbers of a library argument (a list), its free text if any,
-- and the ids found nowhere. With cidx (a second index: see
-- opts.candidates), a paper found only there is #idx + its doc there.
local function library_docs(idx, library, fname, argn, cidx, label)
  local t = type(library)
  local nd = cidx and #idx
  if t == "string" then
    local d = core._rfind(idx, library)
    if d then return { d }, nil, {} end
    d = cidx and core._rfind(cidx, library)
    if d then return { nd + d }, nil, {} end
    -- an arXiv id and nothing else names a paper, as for idx:similar: one
    -- the index lacks is an unmatched id, never a text ('2301.99999' was
    -- the words '2301' and '99999', and the papers holding them came back)
    if is_id(library) then return {}, nil, { library } end
    return {}, library, {}
  elseif is_library(library) then
    -- its entries that name no paper of idx (nor of cidx) are lib:unmatched()'s
    -- records ({entry =, line =, reason =}): one source for both
    local docs = library:_docs_for(idx)
    local out = {}
    for i, d in ipairs(docs) do out[i] = d end
    if cidx then
      local among, rest = library:_docs_among(idx, cidx)
      for _, d in ipairs(among) do out[#out + 1] = nd + d end
      return out, nil, rest
    end
    return out, nil, library:unmatched()
  elseif t == "table" then
    local docs, unmatched = {}, {}
    for i, x in ipairs(library) do
      if type(x) == "string" then
        -- a list holds ids: a text there is no paper to find, and listing
        -- it as unmatched would hide that its words were never used
        if not LIB.parse_id(x) then
          argerror(argn, fname, fmt("%sitem %d is not an arXiv id ('%s'): a list holds ids and papers%s",
            label and label .. ": " or "", i, #x > 40 and x:sub(1, 37) .. "..." or x,
            label and "" or " (free text goes alone, as the whole library)"), 3)
        end
        local d = core._rfind(idx, x)
        local cd = not d and cidx and core._rfind(cidx, x)
        if d then docs[#docs + 1] = d
        elseif cd then docs[#docs + 1] = nd + cd
        else unmatched[#unmatched + 1] = x end
      elseif type(x) == "userdata" and paper_doc(idx, x) ~= nil then
        local d = paper_doc(idx, x)
        local cd = not d and cidx and paper_doc(cidx, x)
        if d then docs[#docs + 1] = d
        elseif cd then docs[#docs + 1] = nd + cd
        else argerror(argn, fname, fmt("item %d is a paper of another index", i), 3) end
      else
        argerror(argn, fname, fmt("item %d is a %s, an arXiv id or a paper was expected", i, type(x)), 3)
      end
    end
    return docs, nil, unmatched
  elseif t == "userdata" and paper_doc(idx, library) ~= nil then
    return library_docs(idx, { library }, fname, argn, cidx)
  end
  argerror(argn, fname, "list of ids or papers, Library or text expected, got " .. t, 3)
end

-- opts.candidates: nil, an open Index, or a list of papers of idx and of
-- at most one other index. Returns cidx (the other index, or nil) and the
-- candidates: a list of doc numbers (a paper of cidx: #idx + its doc
-- there), or "all" (every paper of cidx) or "query" (the query's, in idx).
local function check_candidates(idx, c, q, fname)
  if c == nil then return nil, "query" end
  if core._risindex(c) then
    if not pcall(function() return #c end) then
      argerror(3, fname, "candidates: the index is closed", 3)
    end
    if rawequal(c, idx) then return nil, q == nil and "all" or "query" end
    return c, q == nil and "all" or "query"
  end
  if type(c) ~= "table" or is_library(c) then
    argerror(3, fname, "candidates must be an Index or a list of papers, got "
      .. (is_library(c) and "a Library" or type(c)), 3)
  end
  if q ~= nil then
    argerror(3, fname, "query and a list of candidates exclude each other", 3)
  end
  local docs, cidx, nd = {}, nil, #idx
  for i, x in ipairs(c) do
    local d = nil
    if type(x) == "userdata" then d = paper_doc(idx, x) end
    if d == nil then
      argerror(3, fname, fmt("candidates: item %d is a %s, a paper was expected", i, type(x)), 3)
    end
    if d then
      docs[#docs + 1] = d
    else
      local cd = cidx and paper_doc(cidx, x)
      if not cd then
        if cidx then argerror(3, fname, "candidates: papers of more than one other index", 3) end
        cidx = core._rindexof(x)
        cd = paper_doc(cidx, x)
      end
      docs[#docs + 1] = nd + cd
    end
  end
  return cidx, docs
end

-- candidate doc numbers of a query (nil: the newest digest day)
local function candidates(idx, q)
  if q == nil then return (core._rcands(idx, nil, 1)) end
  return core._rcands(idx, q)
end

-- hits are plain tables {score =, paper =}; their evidence stays here
local evidence = setmetatable({}, { __mode = "k" })
local hit_methods = {}
local hit_mt = { __index = hit_methods, __name = "arxivdigest.RecommendHit" }

--- hit:why() -> {papers = {{paper =, score =}, ...}, terms = {...}, weights = {...}}
function hit_methods.why(hit)
  local e = type(hit) == "table" and evidence[hit]
  if not e then
    argerror(1, "why", "recommendation hit expected", 1)
  end
  local w, idx, cidx, nd = e[1], e[2], e[3], e[4]
  local papers, terms, weights = {}, {}, {}
  for i, p in ipairs(w.papers) do
    -- a library paper found only in the second index: nd + its doc there
    local paper = (cidx and p.doc >= nd) and core._rpaper(cidx, p.doc - nd) or core._rpaper(idx, p.doc)
    papers[i] = { paper = paper, score = p.score }
  end
  for i, t in ipairs(w.terms) do terms[i] = t.term; weights[i] = t.weight end
  return { papers = papers, terms = terms, weights = weights }
end

local RECOMMEND_KEYS = { query = true, limit = true, offset = true, negative = true, weights = true,
  candidates = true, papers = true, terms = true, with = true }

local function core_opts(opts, weights, text, extra)
  local o = { limit = opts.limit, offset = opts.offset, weights = weights, text = text,
              papers = opts.papers, terms = opts.terms, with = opts.with }
  if extra then for k, v in pairs(extra) do o[k] = v end end
  return o
end

--- recommend(idx, library [, opts]) -> hits, info (see the top of the file)
function M.recommend(idx, library, opts)
  local fname = "recommend"
  check_index(idx, fname)
  if opts ~= nil and type(opts) ~= "table" then
    argerror(3, fname, "options table expected, got " .. type(opts))
  end
  opts = opts or {}
  -- a mistyped option ({lim = 3}) is said, not ignored (keys starting with
  -- '_' and papers/terms/with, the evidence's sizes, are the library's own)
  for k in pairs(opts) do
    if type(k) ~= "string" or not (RECOMMEND_KEYS[k] or k:sub(1, 1) == "_") then
      argerror(3, fname, "unknown option '" .. tostring(k)
        .. "' (known: query, limit, offset, negative, weights, candidates)", 3)
    end
  end
  local limit = int_opt(opts, "limit", 10, fname)
  local offset = int_opt(opts, "offset", 0, fname)
  local weights = check_weights(opts.weights, fname)
  local q = opts.query
  if q ~= nil and type(q) ~= "string" and type(q) ~= "table" then
    argerror(3, fname, "query must be a query string, got " .. type(q))
  end
  local cidx, which = check_candidates(idx, opts.candidates, q, fname)
  local docs, text, unmatched = library_docs(idx, library, fname, 2, cidx)
  if #docs == 0 and not text then
    argerror(2, fname, "the library has no paper in this index", 2)
  end
  if #docs == 0 then
    -- a text none of whose words any paper holds: nothing to rank by (every
    -- paper would score the same, less its background)
    local found = false
    for _, w in ipairs(core.tokens(text)) do
      local node = { type = "term", text = w }
      -- (one hit says it: a count of a common word reads its whole list)
      if #idx:search(node, { limit = 1 }) > 0 or (cidx and #cidx:search(node, { limit = 1 }) > 0) then
        found = true; break
      end
    end
    if not found then argerror(2, fname, "no word of the library's text is in the index", 2) end
  end
  local neg, _ = nil, nil
  if opts.negative ~= nil then
    local ng = opts.negative
    if type(ng) == "string" or (type(ng) == "userdata" and paper_doc(idx, ng) ~= nil) then ng = { ng } end
    if type(ng) ~= "table" or is_library(ng) then
      argerror(3, fname, "negative must be a list of ids or papers, got " .. type(opts.negative))
    end
    neg, _ = library_docs(idx, ng, fname, 3, cidx, "negative")
  end
  -- the candidates: a query's in idx (default: the newest digest day), the
  -- papers given, or every paper of the candidates' index (nil)
  local cands, ncands
  if which == "query" then cands = candidates(cidx or idx, q)
  elseif which ~= "all" then cands = which end
  if cands and cidx and which == "query" then
    local nd = #idx
    for i, d in ipairs(cands) do cands[i] = nd + d end
  end
  ncands = cands and #cands or #(cidx or idx)
  local info = { library = 0, candidates = ncands, unmatched = unmatched }
  if ncands == 0 then
    info.library = #docs + (text and 1 or 0)
    return {}, info
  end
  local raw, nlib, _, model = core.recommend(idx, docs, neg, cands,
    core_opts({ limit = limit, offset = offset, papers = 5, terms = 8, with = cidx }, weights, text,
              opts._method))
  if nlib == 0 then
    argerror(2, fname, "the library has no paper with words in the fields weighed", 2)
  end
  info.library = nlib
  info.model = model      -- "kept" (INDEX.model beside a loaded index), "built" or "cached"
  if model == "built" and weights == nil and opts._method == nil then built_default[idx] = true end
  local hits = {}
  local nd = #idx
  for i, h in ipairs(raw) do
    local paper = (cidx and h.doc >= nd) and core._rpaper(cidx, h.doc - nd) or core._rpaper(idx, h.doc)
    local hit = setmetatable({ score = h.score, paper = paper }, hit_mt)
    evidence[hit] = { h, idx, cidx, nd }
    hits[i] = hit
  end
  return hits, info
end

-- the core's options of a model: the weights (checked) and the method's
local function model_opts(opts, fname)
  if opts ~= nil and type(opts) ~= "table" then
    argerror(3, fname, "options table expected, got " .. type(opts), 2)
  end
  opts = opts or {}
  return core_opts({}, check_weights(opts.weights, fname), nil, opts._method)
end

--- _built_default(idx) -> true when a recommendation of this process built
-- idx's model of the default options (it is in idx's cache: saving it
-- builds nothing)
function M._built_default(idx) return built_default[idx] == true end

--- _save_sandboxed(idx, sb, path) -> true | nil, "path: reason", errno |
-- false: writes to path the model of the default options that a
-- recommendation run in sandbox sb (a report's) built for idx, as
-- idx:save_model(path) would write it; false when sb built none. The host
-- takes the model from the sandbox's cache in C (core._rmodel_sandboxed),
-- never from what the script returns, and writes the file itself.
function M._save_sandboxed(idx, sb, path)
  local bytes = core._rmodel_sandboxed(sb, idx)
  if bytes == nil then return false end
  return require("arxivdigest.output").atomic(path, function(write) write(bytes) end)
end

--- save_model(idx, path [, opts]) -> true | nil, "path: reason", errno
-- Writes the recommendation model of idx for opts.weights (built now
-- unless idx has it) to path, atomically.
function M.save_model(idx, path, opts)
  local fname = "save_model"
  check_index(idx, fname)
  if type(path) ~= "string" or path == "" then
    argerror(2, fname, "file name expected, got " .. (path == "" and "an empty string" or type(path)))
  end
  local bytes = core._rmodel_dump(idx, model_opts(opts, fname))
  return require("arxivdigest.output").atomic(path, function(write) write(bytes) end)
end

--- load_model(idx, path [, opts]) -> true | false, reason
-- Reads a model written by save_model: when it was made from an index with
-- the contents of idx and with these options, idx:recommend uses it from
-- now on (no model to build) and the result is true; otherwise false and
-- why ("path: No such file or directory", "made from an index with other
-- contents", "made with other options", "not a saved model of this
-- version", "corrupted (its checks failed)"), and nothing changes.
function M.load_model(idx, path, opts)
  local fname = "load_model"
  check_index(idx, fname)
  if type(path) ~= "string" or path == "" then
    argerror(2, fname, "file name expected, got " .. (path == "" and "an empty string" or type(path)))
  end
  return core._rmodel_load(idx, path, model_opts(opts, fname))
end

-- recall@k and nDCG@k of ranked docs against the set rel (nrel members)
local function measure(docs, rel, nrel, k)
  local hit, dcg, idcg = 0, 0, 0
  for i, d in ipairs(docs) do
    if i > k then break end
    if rel[d] then hit = hit + 1; dcg = dcg + 1 / (log(i + 1) / log(2)) end
  end
  for i = 1, (nrel < k and nrel or k) do idcg = idcg + 1 / (log(i + 1) / log(2)) end
  return { recall = hit / nrel, ndcg = idcg > 0 and dcg / idcg or 0 }
end
M._measure = measure

--- The plain tf-idf centroid (the baseline of evaluate and of the bench).
M.CENTROID = { scheme = "tfidf", bigrams = false, background = 0, alpha = 1 }

--- evaluate(idx, library [, {days = 30, k = 50, weights =}]) -> report
function M.evaluate(idx, library, opts)
  local fname = "evaluate"
  check_index(idx, fname)
  if opts ~= nil and type(opts) ~= "table" then
    argerror(3, fname, "options table expected, got " .. type(opts))
  end
  opts = opts or {}
  local days = opts.days == nil and 30 or integer(opts.days)
  if not days or days < 1 then
    argerror(3, fname, "days must be an integer >= 1")
  end
  local k = opts.k == nil and 50 or integer(opts.k)
  if not k or k < 1 then
    argerror(3, fname, "k must be an integer >= 1")
  end
  local weights = check_weights(opts.weights, fname)
  local docs = library_docs(idx, library, fname, 2)
  if #docs == 0 then
    argerror(2, fname, "the library has no paper in this index", 2)
  end
  -- the last `days` digest days: docs are numbered newest first
  local cands, ndays, last, newest = core._rcands(idx, nil, days)
  local report = { days = ndays, k = k, candidates = #cands,
                   from = last, to = newest }
  local incand = {}
  for _, d in ipairs(cands) do incand[d] = true end
  local hidden, rest, rel = 0, {}, {}
  for _, d in ipairs(docs) do
    if incand[d] then
      if not rel[d] then rel[d] = true; hidden = hidden + 1 end
    else
      rest[#rest + 1] = d
    end
  end
  report.hidden, report.library = hidden, #rest
  if hidden == 0 then
    report.reason = fmt("the library has no paper in the last %d digest days", ndays)
    return report
  end
  if #rest == 0 then
    report.reason = fmt("the library has no paper before the last %d digest days", ndays)
    return report
  end
  local function run(extra, w)
    local raw = core.recommend(idx, rest, nil, cands,
      core_opts({ limit = k, offset = 0, papers = 0, terms = 0 }, w, nil, extra))
    local ranked = {}
    for i, h in ipairs(raw) do ranked[i] = h.doc end
    return measure(ranked, rel, hidden, k)
  end
  report.method = run(opts._method, weights)
  local cw = { ti = 1, abs = 1, au = 0, co = 0, cat = 0 }   -- (words of title and abstract only)
  report.centroid = run(M.CENTROID, cw)
  return report
end

return M
