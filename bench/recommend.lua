-- bench/recommend.lua: `make bench-recommend`, the quality and speed of the
-- recommendations (issue 13) beside arxiv-sanity-lite's SVM and a tf-idf
-- centroid, from one run.
--
--   lua5.4 bench/recommend.lua [--corpus DIR] [--cut YYYY-MM-DD] [--days N]
--     [--out DIR] [--python PATH] [--no-peer] [--methods] [--dev] [--held]
--     [--big DIR] [--big-libraries N]
--
-- Protocol "author continuation" (issue 13): on the corpus (default
-- ../shared/corpus/cs.CV-2019), for every author (name as written) with at
-- least 5 papers before the cut (2019-10-01) and at least 3 in the window
-- (the 31 days from the cut), the library is their latest 50 papers before
-- the cut, the candidates are every paper of the window, the relevant ones
-- that author's window papers. Recommendations run with weights = {au = 0}.
-- Figures: recall@50 and nDCG@50 averaged over the authors, and CPU
-- milliseconds per library (os.clock here, time.process_time in Python: on a
-- shared machine CPU time is steadier than wall time; all of it is
-- single-threaded).
--
-- The protocol goes to OUT/recommend-protocol.jsonl and the papers' text
-- to OUT/recommend-papers.jsonl (JSON lines), which bench/recommend_peer.py
-- reads; its figures come back in OUT/recommend-peer.json.
--
-- --methods: the alternatives measured on the same protocol (centroid,
-- nearest library papers with m = 1/3/5/10, with and without word pairs,
-- BM25 or tf-idf weights, the background); --dev: the same table on five
-- other cuts (two more of 2019, 2018 and twice 2022 from
-- ../shared/corpus/cs.CV-years), which is where the method's parameters
-- were chosen; --held: the same on seven more cuts (2017, 2018, 2019 and
-- 2022, windows apart from the others), which confirm a choice made on
-- the development cuts (their means are over the authors of all seven,
-- most of whom are in the 2022 cuts). --big DIR (default: bench/out/corpus if it exists): time per
-- library on that corpus (the protocol's libraries, found there by id),
-- with one digest day and with the whole archive as candidates, beside the
-- SVM's fit over all its papers.
package.path = (os.getenv("BENCH_LPATH") or "lua/?.lua;lua/?/init.lua") .. ";" .. package.path
package.cpath = (os.getenv("BENCH_CPATH") or "build/?.so") .. ";" .. package.cpath

local ad = require "arxivdigest"
local core = require "arxivdigest.core"
local rec = require "arxivdigest.recommend"
local json = require "arxivdigest.json"

local io, os, string, table, math = io, os, string, table, math
local ipairs, pairs, tonumber, print, collectgarbage = ipairs, pairs, tonumber, print, collectgarbage
local fmt, clock = string.format, os.clock

---------------------------------------------------------------- options
local opt = { corpus = "../shared/corpus/cs.CV-2019", cut = "2019-10-01", days = 31,
              out = "bench/out", python = "/usr/bin/python3", k = 50, big_libraries = 3 }
do
  local i = 1
  while i <= #arg do
    local a, v = arg[i], arg[i + 1]
    if a == "--corpus" then opt.corpus = v; i = i + 1
    elseif a == "--cut" then opt.cut = v; i = i + 1
    elseif a == "--days" then opt.days = tonumber(v); i = i + 1
    elseif a == "--out" then opt.out = v; i = i + 1
    elseif a == "--python" then opt.python = v; i = i + 1
    elseif a == "--big" then opt.big = v; i = i + 1
    elseif a == "--big-libraries" then opt.big_libraries = tonumber(v); i = i + 1
    elseif a == "--no-peer" then opt.no_peer = true
    elseif a == "--methods" then opt.methods = true
    elseif a == "--dev" then opt.dev = true
    elseif a == "--held" then opt.held = true
    else
      io.stderr:write("usage: lua5.4 bench/recommend.lua [--corpus DIR] [--cut DATE] [--days N] "
        .. "[--out DIR] [--python PATH] [--no-peer] [--methods] [--dev] [--held] [--big DIR] [--big-libraries N]\n")
      os.exit(2)
    end
    i = i + 1
  end
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close(); return true end
  return os.execute("test -d '" .. path:gsub("'", "'\\''") .. "'") == true
end

local function log(...) io.stderr:write(fmt(...), "\n") end

-- the date `days` - 1 days after `date` (YYYY-MM-DD)
local function add_days(date, days)
  local y, m, d = date:match("^(%d+)-(%d+)-(%d+)$")
  local t = os.time { year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 }
  return os.date("%Y-%m-%d", t + (days - 1) * 86400)
end

---------------------------------------------------------------- protocol
-- The protocol over index idx: {candidates = {docs}, libs = {{author, lib =
-- {docs}, rel = {docs}}}}, docs in doc order (newest first).
local function protocol(idx, cut, days)
  local stop = add_days(cut, days)
  local before, window, cands = {}, {}, {}
  local function add(t, a, d)
    local l = t[a]
    if not l then l = {}; t[a] = l end
    l[#l + 1] = d
  end
  for d = 0, #idx - 1 do
    local p = core._rpaper(idx, d)
    local date = p.date
    if date then
      local inwin = date >= cut and date <= stop
      if inwin then cands[#cands + 1] = d end
      for _, a in ipairs(p.authors) do
        if date < cut then add(before, a, d) elseif inwin then add(window, a, d) end
      end
    end
  end
  local names = {}
  for a, l in pairs(before) do
    if #l >= 5 and window[a] and #window[a] >= 3 then names[#names + 1] = a end
  end
  table.sort(names)
  local libs = {}
  for i, a in ipairs(names) do
    local lib = {}
    for j = 1, math.min(50, #before[a]) do lib[j] = before[a][j] end
    libs[i] = { author = a, lib = lib, rel = window[a] }
  end
  return { candidates = cands, libs = libs, cut = cut, stop = stop }
end

-- our figures for one set of core options over protocol P
local function evaluate(idx, P, copts)
  local R, N, t, per = 0, 0, 0, {}
  local o = { limit = opt.k, papers = 0, terms = 0 }
  for k, v in pairs(copts) do o[k] = v end
  -- the model (the sample statistics, built once per index and options)
  local t0 = clock()
  core.recommend(idx, P.libs[1].lib, nil, P.candidates, o)
  local model = clock() - t0
  for _, L in ipairs(P.libs) do
    local rel = {}
    for _, d in ipairs(L.rel) do rel[d] = true end
    t0 = clock()
    local hits = core.recommend(idx, L.lib, nil, P.candidates, o)
    t = t + clock() - t0
    local ranked = {}
    for i, h in ipairs(hits) do ranked[i] = h.doc end
    local m = rec._measure(ranked, rel, #L.rel, opt.k)
    R, N = R + m.recall, N + m.ndcg
    per[#per + 1] = m
  end
  local n = #P.libs
  return { recall = R / n, ndcg = N / n, ms = t / n * 1000, model_s = model, per = per }
end

local function with(base, extra)
  local o = {}
  for k, v in pairs(base) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local NOAU = { au = 0 }
local DEFAULT = { weights = NOAU }
-- the method before categories were features (weights.cat = 0): the rows
-- measured before them are its variants, measured as they were
local BEFORE = { weights = { au = 0, cat = 0 } }
local CENTROID = with(rec.CENTROID, { weights = { ti = 1, abs = 1, au = 0, co = 0, cat = 0 } })

-- the alternatives: each differs from the method (last) in what its name
-- says; all weigh the fields alike (title 1, abstract 1, comment 0.5,
-- authors 0) except the plain baseline. The rows down to "profile -
-- background, BM25, pairs" are the variants of the method before the local
-- background (PLAIN), measured as they were.
local PLAIN = with(BEFORE, { ["local"] = 0 })
local PROFILE = with(PLAIN, { background = 0 })
local NEAREST = with(PLAIN, { alpha = 0 })
local METHODS = {
  { "plain tf-idf centroid, words, title + abstract", CENTROID },
  { "centroid, tf-idf, words", with(PROFILE, { scheme = "tfidf", bigrams = false }) },
  { "centroid, tf-idf, words and pairs", with(PROFILE, { scheme = "tfidf" }) },
  { "centroid, BM25, words and pairs", PROFILE },
  { "nearest m = 1, BM25, pairs", with(NEAREST, { m = 1, background = 0 }) },
  { "nearest m = 3, BM25, pairs", with(NEAREST, { m = 3, background = 0 }) },
  { "nearest m = 5, BM25, pairs", with(NEAREST, { m = 5, background = 0 }) },
  { "nearest m = 10, BM25, pairs", with(NEAREST, { m = 10, background = 0 }) },
  { "nearest m = 5, BM25, words only", with(NEAREST, { m = 5, background = 0, bigrams = false }) },
  { "nearest m = 5, tf-idf, pairs", with(NEAREST, { m = 5, background = 0, scheme = "tfidf" }) },
  { "nearest m = 1 - background", with(NEAREST, { m = 1 }) },
  { "nearest m = 5 - background", with(NEAREST, { m = 5 }) },
  { "nearest m = 10 - background", with(NEAREST, { m = 10 }) },
  { "0.8 profile + 0.2 nearest m = 10 - background", with(PLAIN, { alpha = 0.8, m = 10 }) },
  { "profile - background, tf-idf", with(PLAIN, { scheme = "tfidf" }) },
  { "profile - background, words only", with(PLAIN, { bigrams = false }) },
  { "profile - background, pairs of content words only", with(PLAIN, { bigrams = "content" }) },
  { "profile - background x 0.5", with(PLAIN, { background = 0.5 }) },
  { "profile - background x 2", with(PLAIN, { background = 2 }) },
  { "profile - background, title x 2", with(PLAIN, { weights = { au = 0, ti = 2, cat = 0 } }) },
  { "profile - background, comment ignored", with(PLAIN, { weights = { au = 0, co = 0, cat = 0 } }) },
  { "profile - background, sample 2,000 docs", with(PLAIN, { sample = 2000 }) },
  { "profile - background, BM25, pairs (before)", PLAIN },
  { "local background share 0.1", with(BEFORE, { ["local"] = 0.1 }) },
  { "local background share 0.3", with(BEFORE, { ["local"] = 0.3 }) },
  { "local background share 0.5", with(BEFORE, { ["local"] = 0.5 }) },
  { "local background of 500 papers", with(BEFORE, { nlocal = 500 }) },
  { "local background of 2,000 papers", with(BEFORE, { nlocal = 2000 }) },
  { "local background, + 0.2 nearest m = 10", with(BEFORE, { alpha = 0.8, m = 10 }) },
  { "profile - background - 0.2 local (before categories)", BEFORE },
  { "+ categories as found 0.25 times", { weights = { au = 0, cat = 0.25 } } },
  { "+ categories as found 1 time", { weights = { au = 0, cat = 1 } } },
  { "+ categories as found 4 times", { weights = { au = 0, cat = 4 } } },
  { "+ categories as found 64 times", { weights = { au = 0, cat = 64 } } },
  { "+ categories as found 16 times (the method)", DEFAULT },
}

local DEV = {
  { "../shared/corpus/cs.CV-2019", "2019-04-01" },
  { "../shared/corpus/cs.CV-2019", "2019-07-01" },
  { "../shared/corpus/cs.CV-years/2018", "2018-10-01" },
  { "../shared/corpus/cs.CV-years/2022", "2022-04-01" },
  { "../shared/corpus/cs.CV-years/2022", "2022-10-01" },
}

-- --held: more cuts, looked at only to confirm a choice made on DEV
local HELD = {
  { "../shared/corpus/cs.CV-years/2017", "2017-07-01" },
  { "../shared/corpus/cs.CV-years/2017", "2017-10-01" },
  { "../shared/corpus/cs.CV-years/2018", "2018-07-01" },
  { "../shared/corpus/cs.CV-years/2018", "2018-12-01" },
  { "../shared/corpus/cs.CV-2019", "2019-05-15" },
  { "../shared/corpus/cs.CV-years/2022", "2022-07-01" },
  { "../shared/corpus/cs.CV-years/2022", "2022-12-01" },
}

---------------------------------------------------------------- main
if not exists(opt.corpus) then
  print(fmt("bench-recommend: %s not found: skipped", opt.corpus))
  os.exit(0)
end
os.execute("mkdir -p '" .. opt.out .. "'")
log("indexing %s", opt.corpus)
local idx = assert(ad.index(opt.corpus))
local P = protocol(idx, opt.cut, opt.days)
log("protocol: %d papers, %d candidates (%s..%s), %d libraries", #idx, #P.candidates,
    P.cut, P.stop, #P.libs)

-- the exchange files: the papers' text and the protocol, for the peers
local function export(xidx, XP, tag)
  local papers = fmt("%s/recommend%s-papers.jsonl", opt.out, tag)
  local proto = fmt("%s/recommend%s-protocol.jsonl", opt.out, tag)
  local function id_list(docs)
    local out = {}
    for i, d in ipairs(docs) do out[i] = core._rpaper(xidx, d).id end
    return json.array(out)
  end
  local f = assert(io.open(papers, "wb"))
  for p in xidx:papers() do
    f:write(json.encode({ id = p.id, text = (p.title or "") .. " " .. (p.abstract or "") },
                        { keys = { "id", "text" } }), "\n")
  end
  f:close()
  f = assert(io.open(proto, "wb"))
  f:write(json.encode({ candidates = id_list(XP.candidates), k = opt.k, cut = XP.cut, stop = XP.stop }), "\n")
  for _, L in ipairs(XP.libs) do
    f:write(json.encode({ author = L.author, library = id_list(L.lib), relevant = id_list(L.rel) },
                        { keys = { "author", "library", "relevant" } }), "\n")
  end
  f:close()
  return papers, proto
end

-- run the peers over exported files; returns their figures or nil
local function run_peer(papers, proto, tag, extra)
  local out = fmt("%s/recommend%s-peer.json", opt.out, tag)
  local cmd = fmt("%s bench/recommend_peer.py %s %s %s%s", opt.python, papers, proto, out, extra or "")
  log("peers: %s", cmd)
  if not os.execute(cmd) then
    log("the peers failed (python3-sklearn missing?): their figures are left out")
    return nil
  end
  local f = assert(io.open(out, "rb"))
  local r = json.decode(f:read("a"))
  f:close()
  return r
end

local papers_path, proto_path = export(idx, P, "")

-- the big corpus (bench/out/corpus*: `make bench-corpus` or another generator)
local big = opt.big
if not big then
  for _, d in ipairs { "bench/out/corpus", "bench/out/corpus-16" } do
    if exists(d) then big = d; break end
  end
end
local bigidx, big_papers_path
if big then
  log("indexing the big corpus %s", big)
  local t0 = os.time()
  bigidx = assert(ad.index(big))
  log("  %d papers (%d s)", #bigidx, os.time() - t0)
  if not opt.no_peer then
    big_papers_path = opt.out .. "/recommend-big-papers.jsonl"
    local f = assert(io.open(big_papers_path, "wb"))
    for p in bigidx:papers() do
      f:write(json.encode({ id = p.id, text = (p.title or "") .. " " .. (p.abstract or "") },
                          { keys = { "id", "text" } }), "\n")
    end
    f:close()
  end
end

-- the peers
local peer
if not opt.no_peer then
  peer = run_peer(papers_path, proto_path, "", big_papers_path
    and fmt(" --big %s --big-libraries %d", big_papers_path, opt.big_libraries))
end

-- ours
collectgarbage()
local ours = evaluate(idx, P, DEFAULT)
local cen = evaluate(idx, P, CENTROID)
-- the Lua API (query -> candidates -> hits with papers), same libraries
local api_ms
do
  local q = fmt("date:%s..%s", P.cut, P.stop)
  local t, n = 0, 0
  for _, L in ipairs(P.libs) do
    local ids = {}
    for i, d in ipairs(L.lib) do ids[i] = core._rpaper(idx, d).id end
    local t0 = clock()
    rec.recommend(idx, ids, { query = q, limit = opt.k, weights = NOAU })
    t = t + clock() - t0
    n = n + 1
  end
  api_ms = t / n * 1000
end

print(fmt("\n== recommendations (issue 13): author continuation on %s, cut %s, %d days ==",
          opt.corpus, opt.cut, opt.days))
print(fmt("%d libraries (authors), %d candidates, %d papers; weights = {au = 0}", #P.libs,
          #P.candidates, #idx))
print(fmt("%-44s %10s %10s %14s", "", "recall@" .. opt.k, "nDCG@" .. opt.k, "ms/library"))
local function row(name, r, ms)
  print(fmt("%-44s %10.4f %10.4f %14s", name, r.recall, r.ndcg, ms and fmt("%.2f", ms) or "-"))
end
row("arxivdigest (C, core.recommend)", ours, ours.ms)
print(fmt("%-44s %10s %10s %14.2f", "arxivdigest (Lua API: query, hits, papers)", "", "", api_ms))
row("tf-idf centroid (arxivdigest, C)", cen, cen.ms)
if peer then
  row("arxiv-sanity-lite SVM (sklearn)", peer.svm, peer.svm.ms)
  row("tf-idf centroid (sklearn)", peer.centroid, peer.centroid.ms)
  local rr, nr, sp = ours.recall / peer.svm.recall, ours.ndcg / peer.svm.ndcg, peer.svm.ms / ours.ms
  print(fmt("ratios to the SVM: recall x%.3f (target >= 1.05: %s), nDCG x%.3f (target >= 1: %s), "
            .. "speed x%.0f (target >= 50: %s)",
            rr, rr >= 1.05 and "met" or "NOT met", nr, nr >= 1 and "met" or "NOT met",
            sp, sp >= 50 and "met" or "NOT met"))
  print(fmt("ratios to the sklearn centroid: recall x%.3f, nDCG x%.3f", ours.recall / peer.centroid.recall,
            ours.ndcg / peer.centroid.ndcg))
  print(fmt("one-time work per index: our model (sample statistics and vectors) %.2f s CPU; "
            .. "sklearn's TfidfVectorizer over the papers %.2f s", ours.model_s, peer.vectorize_s))
  -- per library, paired: how often each is ahead
  local w, t, l = 0, 0, 0
  for i, m in ipairs(ours.per) do
    local s = peer.svm.per_library[i][1]
    if m.recall > s + 1e-12 then w = w + 1 elseif m.recall < s - 1e-12 then l = l + 1 else t = t + 1 end
  end
  print(fmt("per library, recall@%d against the SVM: ahead on %d, level on %d, behind on %d (of %d)",
            opt.k, w, t, l, #ours.per))
else
  print("(peers not run)")
end

-- the big corpus: per-library time
if bigidx then
  local libs = {}
  for _, L in ipairs(P.libs) do
    local docs = {}
    for _, d in ipairs(L.lib) do
      local bd = core._rfind(bigidx, core._rpaper(idx, d).id)
      if bd then docs[#docs + 1] = bd end
    end
    if #docs > 0 then libs[#libs + 1] = docs end
  end
  local day = core._rpaper(bigidx, 0).date
  local daycands = core._rcands(bigidx, "date:" .. day)
  local o = { limit = opt.k, papers = 5, terms = 8, weights = NOAU }
  local t0 = clock()
  core.recommend(bigidx, libs[1], nil, daycands, o)
  local model = clock() - t0
  -- two passes over the libraries: the first also faults in the pages of
  -- the index file the postings and records lie in (once per process, as
  -- the SVM's matrix is built once, by its vectorizer); the second is the
  -- per-library time, against the SVM's fit
  local tday, tall, cday, call = 0, 0, 0, 0
  for pass = 1, 2 do
    tday, tall = 0, 0
    for _, lib in ipairs(libs) do
      t0 = clock()
      core.recommend(bigidx, lib, nil, daycands, o)
      tday = tday + clock() - t0
      t0 = clock()
      core.recommend(bigidx, lib, nil, nil, o)
      tall = tall + clock() - t0
    end
    if pass == 1 then cday, call = tday, tall end
  end
  local n = #libs
  print(fmt("\n-- per library on %s (%d papers), %d libraries, evidence for 50 hits --", big, #bigidx, n))
  print(fmt("%-44s %14.2f  (first pass, the file's pages faulted in: %.2f)",
            fmt("one digest day (%s, %d candidates)", day, #daycands), tday / n * 1000, cday / n * 1000))
  print(fmt("%-44s %14.2f  (first pass: %.2f)",
            fmt("the whole archive (%d candidates)", #bigidx), tall / n * 1000, call / n * 1000))
  print(fmt("%-44s %14.2f s", "model (once per index and options)", model))
  if peer and peer.big and peer.big.svm_ms then
    print(fmt("%-44s %14.2f  (%d libraries; its vectorizer: %.1f s once)", "arxiv-sanity-lite SVM fit",
              peer.big.svm_ms, peer.big.libraries, peer.big.vectorize_s))
    print(fmt("speed: x%.0f (one day), x%.0f (whole archive) (target >= 50); first pass x%.0f, x%.0f",
              peer.big.svm_ms / (tday / n * 1000), peer.big.svm_ms / (tall / n * 1000),
              peer.big.svm_ms / (cday / n * 1000), peer.big.svm_ms / (call / n * 1000)))
  end
else
  print("\n(no big bench corpus in bench/out/corpus*: the 190k-paper timing is left out; "
        .. "make bench-corpus builds one)")
end

-- the alternatives; the mean is over the cuts, or over all their authors
-- (pooled)
local function methods_table(sets, pooled)
  print(fmt("\n%-50s %s", "method", "recall@50 / nDCG@50 per protocol; mean"
            .. (pooled and " over all authors" or "")))
  local function mean(cells_of)
    local sr, sn, n = 0, 0, 0
    for _, s in ipairs(sets) do
      local r, nr = cells_of(s)
      local w = pooled and nr or 1
      sr, sn, n = sr + r.recall * w, sn + r.ndcg * w, n + w
    end
    return sr / n, sn / n
  end
  if not opt.no_peer then
    for _, who in ipairs { { "arxiv-sanity-lite SVM (sklearn)", "svm" },
                           { "tf-idf centroid (sklearn)", "centroid" } } do
      local cells, ok = {}, true
      for _, s in ipairs(sets) do
        local r = s.peer and s.peer[who[2]]
        if not r then ok = false; break end
        cells[#cells + 1] = fmt("%.3f/%.3f", r.recall, r.ndcg)
      end
      if ok then
        local mr, mn = mean(function(s) return s.peer[who[2]], #s.P.libs end)
        print(fmt("%-50s %s  | %.3f/%.3f", who[1], table.concat(cells, " "), mr, mn))
      end
    end
  end
  for _, m in ipairs(METHODS) do
    local cells, res = {}, {}
    for i, s in ipairs(sets) do
      res[i] = evaluate(s.idx, s.P, m[2])
      cells[i] = fmt("%.3f/%.3f", res[i].recall, res[i].ndcg)
    end
    local k = 0
    local mr, mn = mean(function(s) k = k + 1; return res[k], #s.P.libs end)
    print(fmt("%-50s %s  | %.3f/%.3f", m[1], table.concat(cells, " "), mr, mn))
  end
end
if opt.methods then
  print("\n-- the alternatives, on the protocol above --")
  methods_table { { idx = idx, P = P, peer = peer } }
end
local cache = {}
local function cuts(list, what, tag, pooled)
  local sets, names = {}, {}
  for _, d in ipairs(list) do
    if exists(d[1]) then
      cache[d[1]] = cache[d[1]] or assert(ad.index(d[1]))
      local p = protocol(cache[d[1]], d[2], opt.days)
      local dpeer
      if not opt.no_peer then
        local t = tag .. #sets + 1
        local pp, pr = export(cache[d[1]], p, t)
        dpeer = run_peer(pp, pr, t)
      end
      sets[#sets + 1] = { idx = cache[d[1]], P = p, peer = dpeer }
      names[#names + 1] = fmt("%s@%s (%d)", d[1]:match("[^/]+$"), d[2], #p.libs)
    end
  end
  if #sets > 0 then
    print("\n-- the alternatives, on the " .. what .. ": " .. table.concat(names, ", ") .. " --")
    methods_table(sets, pooled)
  end
end
if opt.dev then cuts(DEV, "development cuts", "-dev") end
if opt.held then cuts(HELD, "held-out cuts", "-held", true) end
