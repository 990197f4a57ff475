--- `arxivdigest recommend`: which papers to read, ranked against a library
-- (a BibTeX export or a list of ids, --library) and/or --like ids, with
-- --dislike ids ranked down (arxivdigest.recommend, idx:recommend).
-- Registered by cli.lua (M.EXTERNAL).

local format, concat = string.format, table.concat
local ipairs, tostring, type, pcall = ipairs, tostring, type, pcall

local function usage_error(msg) return require("arxivdigest.cli").usage_error(msg) end
local function parse_id(s) return require("arxivdigest.library").parse_id(s) end

local EXPLAINED = {text = true, markdown = true, html = true}

-- "bad argument #2 to 'recommend' (the library has ...)" -> "the library has ..."
local function plain(err)
  err = tostring(err)
  return err:match("bad argument #%d+ to '[%w_]+' %((.*)%)$") or err
end

local function is_date(s)
  return type(s) == "string" and s:match("^%d%d%d%d%-%d%d%-%d%d$") ~= nil
    or (type(s) == "string" and (s:match("^%d%d%d%d%-%d%d$") or s:match("^%d%d%d%d$")) ~= nil)
end

-- the library the options name: a list of papers and ids (nil: none given)
local function library_of(ctx, idx)
  local o = ctx.opts
  local core = require "arxivdigest.core"
  local list = {}
  -- one paper both liked and disliked: a contradiction, said before any work
  local liked = {}
  for _, id in ipairs(o.like or {}) do liked[parse_id(id) or id] = id end
  for _, id in ipairs(o.dislike or {}) do
    local l = liked[parse_id(id) or id]
    if l then usage_error(format("--like %s and --dislike %s name the same paper", l, id)) end
  end
  if o.library then
    local lib, err = require("arxivdigest").library(o.library)
    if not lib then error(tostring(err), 0) end
    -- matched first: matching adds its own warnings (an entry naming the
    -- same paper as another, a title several papers have)
    lib:resolve(idx)
    -- as the input's: the first ones and a count, every one with --warnings
    -- (a library keeps 1,000 warnings, then one saying more were not kept)
    local ws = lib:warnings()
    local shown = o.warnings and #ws or math.min(#ws, 10)
    for i = 1, shown do ctx:warn(ws[i]) end
    if #ws > shown then
      local more = math.min(#ws, 1000) - shown
      ctx:warn(format("and %s%d more warning%s about %s; --warnings lists them all", #ws > 1000 and "over " or "",
        more, more == 1 and "" or "s", o.library))
    end
    local un = lib:unmatched()
    if #un > 0 then
      local first = un[1]
      ctx:warn(format("%d of the library's entries %s not in the index (first: %s:%s: %s%s)", #un,
        #un == 1 and "is" or "are",
        o.library, tostring(first.line or "?"), first.entry and first.entry.key and (first.entry.key .. ": ") or "",
        tostring(first.reason)))
    end
    for _, d in ipairs(lib:_docs_for(idx)) do list[#list + 1] = core._rpaper(idx, d) end
    if #list == 0 and not o.like then
      error(format("%s: none of its %d entr%s is in the index (%s)", o.library, #lib:entries(),
        #lib:entries() == 1 and "y" or "ies", #un > 0 and tostring(un[1].reason) or "no entry names a paper"), 0)
    end
  end
  -- an id the index lacks, or an argument that is no arXiv id at all
  local function why_not(id)
    return parse_id(id) and "not in the index" or "not an arXiv id"
  end
  local missing = {}
  for _, id in ipairs(o.like or {}) do
    if core._rfind(idx, id) then list[#list + 1] = id
    else missing[#missing + 1] = format("--like %s: %s", id, why_not(id)) end
  end
  if #missing > 0 then
    local msg = concat(missing, "; ")
    if #list == 0 then error(msg, 0) end
    ctx:warn(msg)
  end
  for _, id in ipairs(o.dislike or {}) do
    if not core._rfind(idx, id) then ctx:warn(format("--dislike %s: %s", id, why_not(id))) end
  end
  return list
end

-- the line under --evaluate's figures (r: recommend.evaluate's result)
local function verdict(r)
  if r.centroid.recall > 0 and r.method.recall <= r.centroid.recall * 0.8 then
    return "the baseline does better: the library may not be typical of what you read"
  elseif r.method.recall == 0 then
    return "no hidden paper came back: the library says little about those days"
  end
  return format("%d of %d hidden papers came back in the first %d",
    math.floor(r.method.recall * r.hidden + 0.5), r.hidden, r.k)
end

-- --evaluate's options, checked before anything is read: days, k
local function evaluate_opts(ctx)
  local days = ctx:int_option("days") or 30
  if days < 1 then usage_error("option '--days' needs a number of days >= 1") end
  local k = ctx:int_option("limit") or 50
  if k < 1 then usage_error("option '--limit' needs k >= 1 with --evaluate") end
  local fmt = ctx:output_format("text")
  if not (fmt == "text" or fmt == "jsonl" or fmt == "json") then
    usage_error(format("'recommend --evaluate' writes text or jsonl, not '%s'", tostring(fmt)))
  end
  return days, k
end

local function evaluate(ctx, idx, list, weights)
  local rec = require "arxivdigest.recommend"
  local days, k = evaluate_opts(ctx)
  local ok, r = pcall(rec.evaluate, idx, list, {days = days, k = k, weights = weights})
  if not ok then error(plain(r), 0) end
  local fmt = ctx:output_format("text")
  if fmt == "jsonl" or fmt == "json" then
    ctx:write_text(require("arxivdigest.json").encode(r) .. "\n")
  elseif fmt == "text" then
    local out = {}
    out[#out + 1] = format("evaluation: the library's papers of the last %d digest days (%s to %s) hidden",
      r.days, tostring(r.from), tostring(r.to))
    out[#out + 1] = format("  candidates %d (every paper of those days), hidden %d, library left %d, k = %d",
      r.candidates, r.hidden, r.library, r.k)
    if not r.method then
      out[#out + 1] = "  not measured: " .. tostring(r.reason)
    else
      out[#out + 1] = format("  %-22s %10s %10s", "", "recall@" .. r.k, "nDCG@" .. r.k)
      out[#out + 1] = format("  %-22s %10.3f %10.3f", "arxivdigest", r.method.recall, r.method.ndcg)
      out[#out + 1] = format("  %-22s %10.3f %10.3f", "tf-idf centroid", r.centroid.recall, r.centroid.ndcg)
      out[#out + 1] = "  " .. verdict(r)
    end
    ctx:write_text(concat(out, "\n") .. "\n")
  else
    usage_error(format("'recommend --evaluate' writes text or jsonl, not '%s'", fmt))
  end
  return r.method and 0 or 1
end

local function run(ctx, pos)
  local o = ctx.opts
  local ad = require "arxivdigest"
  if not o.library and not o.like then
    usage_error("'recommend' needs a library: --library FILE (BibTeX or ids, one a line) or --like ID")
  end
  if o.since and not is_date(o.since) then
    usage_error(format("option '--since' needs a date YYYY-MM-DD (got '%s')", o.since))
  end
  if o.since and o.query then usage_error("give --since or -q, not both (-q 'date:DAY.. ...' does both)") end
  if o.days and not o.evaluate then usage_error("option '--days' goes with --evaluate") end
  if o.evaluate and (o.query or o.since or o.dislike) then
    usage_error("--evaluate picks its own candidates and hides its own papers: no -q, --since or --dislike")
  end
  local q = o.query
  if o.since then q = "date:" .. o.since .. ".." end
  if q then
    local okq, err = pcall(require("arxivdigest.query").parse, q)
    if not okq then
      if o.since then usage_error(format("option '--since' needs a real date (got '%s')", o.since)) end
      usage_error("bad query: " .. tostring(err))
    end
  end
  local weights
  if o["no-authors"] then weights = {au = 0} end
  local fmt = ctx:output_format("text")
  if o.explain and not o.evaluate and not (type(fmt) == "string" and EXPLAINED[fmt]) then
    usage_error(format("--explain shows in text, markdown and html output, not '%s'", tostring(fmt)))
  end
  if o.evaluate then evaluate_opts(ctx) end   -- (said before the input and the library are read)
  local idx = ctx:input(pos, true)
  -- the library first: a --like id the index lacks, an empty library, are
  -- said before any model is built (2 s on the real archive)
  local list = library_of(ctx, idx)
  if not o.evaluate and ctx:int_option("limit") == 0 then
    -- as search -n 0: how many papers are candidates, none ranked (no model)
    local echo = q and require("arxivdigest.cli").echo_query(q)
    local n = q and idx:count(q) or #require("arxivdigest.core")._rcands(idx, nil, 1)
    if n == 0 then
      ctx:warn(q and format("no candidate paper matches %s", echo) or "no candidate paper (empty index?)")
      return 1
    end
    ctx:warn(format("%d candidate paper%s%s (none shown: -n 0)", n, n == 1 and "" or "s",
      q and (" match" .. (n == 1 and "es " or " ") .. echo) or ""))
    return 0
  end
  if o.index then
    -- the model kept beside a saved index (a watch keeps INDEX.model; or
    -- idx:save_model): used when made from this index with these options,
    -- else the model is built as usual
    local mpath = o.index .. ".model"
    if not idx:load_model(mpath, {weights = weights}) and weights == nil then
      -- none that fits: built now and kept for the next runs (as a watch
      -- keeps it; not for --no-authors, whose model would replace it)
      if idx:save_model(mpath) then
        ctx:warn(format("kept the recommendation model in %s: the next runs start faster", mpath))
      end
    end
  end
  if o.evaluate then return evaluate(ctx, idx, list, weights) end
  local limit = ctx:int_option("limit") or 20
  -- (a --dislike that is no arXiv id was said above, and is left out)
  local negative
  for _, id in ipairs(o.dislike or {}) do
    if parse_id(id) then negative = negative or {}; negative[#negative + 1] = id end
  end
  local ropts = {query = q, negative = negative, weights = weights, explain = o.explain and true or nil}
  local pipe = ad.from(idx):recommend(list, ropts):limit(limit)
  -- the feed's id and title: the library that defines it (not the
  -- candidates: a daily --since keeps one feed)
  local about = {}
  if o.library then about[#about + 1] = o.library end
  for _, id in ipairs(o.like or {}) do about[#about + 1] = "like " .. id end
  for _, id in ipairs(o.dislike or {}) do about[#about + 1] = "dislike " .. id end
  about = concat(about, ", ")
  local ok, n = pcall(ctx.output, ctx, pipe, "text",
    {title = (o.explain and "Recommended, with why" or "Recommended") .. ": " .. about, about = about})
  if not ok then
    if type(n) == "table" then error(n, 0) end    -- a usage error
    error(plain(n), 0)
  end
  if n == 0 then
    -- the default candidates are the newest day's papers, less the
    -- library's and the disliked ones
    ctx:warn(q and format("no candidate paper matches %s", require("arxivdigest.cli").echo_query(q))
      or #idx == 0 and "no candidate paper (empty index)"
      or "no candidate paper: every paper of the newest digest day is in the library or disliked "
        .. "(--since DAY or -q QUERY gives others)")
    return 1
  end
  return 0
end

return {
  _verdict = verdict,          -- (for the specs)
  synopsis = "recommend --library FILE [PATH...]",
  summary = "Papers to read, ranked against your library",
  doc = "Ranks candidate papers (default: the newest digest day; --since DAY or -q QUERY) against a\n"
    .. "library: --library FILE (a BibTeX export of Zotero, JabRef, arXiv or Google Scholar, or arXiv\n"
    .. "ids one a line) and/or --like ID; --dislike ID ranks papers like it down. Library papers are\n"
    .. "never recommended. --explain shows why (the library papers and the terms that weigh most).\n"
    .. "--evaluate hides the library's papers of the last --days digest days (30) and prints how many\n"
    .. "come back in the first -n (50), beside a plain tf-idf centroid. With -i INDEX, the model kept\n"
    .. "in INDEX.model (a watch keeps one; idx:save_model writes one) is used when it fits; when none\n"
    .. "fits, the one built is written there (when it can be) for the next runs. Default -n: 20.\n"
    .. "Exit status 1 when no paper is a candidate, 2 on a usage error.",
  args = {"PATH"},
  options = {
    {long = "library", short = "l", value = "FILE", doc = "the library: BibTeX, or arXiv ids one a line"},
    {long = "like", value = "ID", multi = true, doc = "a paper you like (repeatable)"},
    {long = "dislike", value = "ID", multi = true, doc = "a paper you do not want more of (repeatable)"},
    {long = "query", short = "q", value = "QUERY", doc = "the candidates (default: the newest digest day)"},
    {long = "since", value = "DAY", doc = "the candidates: the papers dated DAY or later"},
    {long = "explain", doc = "show why each paper is recommended (text, markdown, html)"},
    {long = "no-authors", doc = "authors' names do not count (only the text)"},
    {long = "evaluate", doc = "measure: recall@k and nDCG@k on the library's own recent papers"},
    {long = "days", value = "N", doc = "--evaluate: the digest days hidden (default 30)"},
  },
  example = "arxivdigest recommend --library my.bib -i archive.adx --since 2024-03-01 --explain",
  run = run,
}
