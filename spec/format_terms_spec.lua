-- spec/format_terms_spec.lua: the html format's top terms have one rule,
-- the Lua computation (format.html's lua_top_terms, lua_term_counts);
-- top_terms counts the words in the core (core.term_counter,
-- csrc/ad_terms.c) and keeps the n best in one pass. Both must give the
-- same terms, counts, weights and order.
local core = require "arxivdigest.core"
local ad = require "arxivdigest"
local html = require "arxivdigest.format.html"

local function same_counts(papers, drop, min, what)
  local d1, t1 = html.lua_term_counts(papers, drop, min)
  local d2, t2 = html.term_counts(papers, drop, min)
  assert.same(d1, d2, what)
  assert.same(t1, t2, what)
  return d1
end

local function same_top(papers, n, opts, what)
  local a = html.lua_top_terms(papers, n, opts)
  local b = html.top_terms(papers, n, opts)
  assert.equal(#a, #b, what)
  for i = 1, #a do
    assert.equal(a[i].term, b[i].term, what .. " #" .. i)
    assert.equal(a[i].count, b[i].count, what .. " #" .. i)
    assert.equal(a[i].weight, b[i].weight, what .. " #" .. i)
  end
  return a
end

local QUERIES = { false, "nerf", "segment*", "zero-shot", '"radiance fields" -relighting', "deform* -relight*",
  "cloud", "title:transformer", "image* OR video*" }

-- top_terms and lua_top_terms over papers, with each query, with and
-- without the archive's df, for several n
local function compare_all(papers, df, ndocs, what)
  for _, q in ipairs(QUERIES) do
    for _, n in ipairs({ 0, 1, 3, 15, 1000 }) do
      local w = what .. " q=" .. tostring(q) .. " n=" .. n
      same_top(papers, n, { query = q or nil }, w)
      if df then same_top(papers, n, { query = q or nil, df = df, ndocs = ndocs }, w .. " (archive)") end
    end
    same_counts(papers, html.query_tokens(q or nil), 1, what .. " counts q=" .. tostring(q))
  end
end

describe("top terms (html)", function()
  it("the core's counter: one count per paper, the title's in tf, hyphen parts once after the compound", function()
    local tc = core.term_counter()
    tc:add("Zero-Shot segmentation", "Zero-shot  segmentation: zero $x^2 + zero$ https://x.org/zero \\zero shot")
    tc:add("", "segmentation of shot-noise shot-noise")
    tc:add("semi-supervised", "supervised")
    local words, df, tf = tc:counts()
    local got = {}
    for i, w in ipairs(words) do got[w] = { df[i], tf[i] } end
    assert.same({ 1, 1 }, got["zero-shot"])
    assert.same({ 2, 1 }, got.segmentation)
    -- "zero" and "shot" after "zero-shot" are its parts (not counted);
    -- the later "zero" and "shot" are words of their own
    assert.same({ 1, 0 }, got.shot)
    assert.same({ 1, 0 }, got.zero)
    assert.is_nil(got.noise)         -- (parts only, twice)
    assert.is_nil(got.semi)          -- the title's parts; the abstract's
    assert.same({ 1, 0 }, got.supervised) -- word is its own (not in tf)
    assert.is_nil(got.x)             -- math, URLs and TeX commands are not words
    assert.is_nil(got.org)
    assert.same({ 1, 0 }, got["shot-noise"])
    assert.same({ 1, 1 }, got["semi-supervised"])
    assert.same({ 1, 0 }, got.of)
    local w2 = tc:counts(2)
    assert.same({ "segmentation" }, w2)
    assert.has_error(function() tc:add("x") end)
    assert.has_error(function() tc:add("x", {}) end)
  end)

  it("tc:counts survives a finalizer that frees the counter while the words are pushed", function()
    -- review w21: counts read its entry again after lua_pushlstring, whose
    -- GC step may run a finalizer calling the counter's __gc (entries
    -- freed): a use after free, a crash in the plain build. A chain of
    -- finalizers started inside the call frees it K cycles later.
    local rc, out = dofile("spec/helper.lua").run_lua([[
      local core = require "arxivdigest.core"
      for K = 1, 8 do
        local tc = core.term_counter()
        local words = {}
        for i = 1, 50000 do words[i] = "word" .. i end
        tc:add("title words", table.concat(words, " "))
        words = nil
        local counts = tc.counts
        collectgarbage("collect")
        collectgarbage("incremental", 100, 100, 0)
        local gen, started = 0, false
        local chain
        chain = {__gc = function()
          gen = gen + 1
          if gen == K then getmetatable(tc).__gc(tc) else setmetatable({}, chain) end
        end}
        local mt = {__gc = function()
          if not started and (debug.getinfo(2, "f").func == counts or
                              debug.getinfo(3, "f").func == counts) then
            started = true; setmetatable({}, chain)
          end
        end}
        for _ = 1, 2000 do setmetatable({}, mt) end
        local w, d, t = counts(tc)
        collectgarbage("incremental", 200, 100, 13)
        collectgarbage()
        assert(started and gen >= K, "the finalizers did not run inside the call")
        assert(#w == #d and #w == #t and #w <= 50002)
        for i = 1, #w do
          assert(w[i]:find("^word%d*$") or w[i] == "title" or w[i] == "words", w[i])
          assert(d[i] == 1 and (t[i] == (w[i] == "title" and 1 or 0) or w[i] == "words"))
        end
        print(K, #w)
      end
      print("survived")
    ]], {timeout = 300})
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("survived", 1, true), out)
  end)

  it("the same as the Lua computation on the sample archive and the fixtures", function()
    local c = assert(ad.open("examples/data"))
    local papers = {}
    for p in c:papers() do papers[#papers + 1] = p end
    assert.is_true(#papers > 100)
    local idx = ad.index(c)
    local df = function(t) return idx:df(t) end
    compare_all(papers, df, #idx, "examples/data")
    -- small results (fewer than 10 papers keep terms of one paper)
    for _, k in ipairs({ 1, 2, 9, 10, 11 }) do
      local some = {}
      for i = 1, k do some[i] = papers[(i * 7) % #papers + 1] end
      compare_all(some, df, #idx, "examples/data x" .. k)
    end
    for _, dir in ipairs({ "spec/fixtures/format", "spec/fixtures/index", "spec/fixtures/doi" }) do
      local fc = ad.open(dir)
      if fc then
        local ps = {}
        for p in fc:papers() do ps[#ps + 1] = p end
        if #ps > 0 then compare_all(ps, nil, nil, dir) end
      end
    end
  end)

  it("the same as the Lua computation on random texts", function()
    local pieces = { "segmentation", "Segmentation", "zero-shot", "Zero-Shot", "zero", "shot", "shots", "nerf",
      "NeRF-based", "nerfs", "cloud", "clouds", "point-cloud", "point", "the", "and", "propose", "via",
      "state-of-the-art", "state", "art", "3d", "3D-aware", "aware", "2019", "1.5", "v2", "x-ray", "ray", "rays",
      "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r", "q", "r", "deformation", "deformable", "relighting", "radiance",
      "fields", "$", "$x$", "$\\alpha-beta$", "https://github.com/a/b", "HTTP://X.org/seg", "http://", "https:// x",
      "\\textbf", "\\emph{word}", "\\", "Müller", "Łukasz", "caf\195\169", "na\195\175ve", "\206\177-\206\178",
      "foo--bar", "-lead", "trail-", "co-co-co", "co", "e.g.", "i.e.", "u.s.", ("long" .. ("x"):rep(70) .. "-part"),
      "part", "image", "images", "video", "transformer", "title:x", "(", ")", ",", ".", "\t", "\n", "\0", "\255",
      "\226\128\174", "&amp;", "<b>" }
    local seps = { " ", " ", " ", "", "-", ", ", "  " }
    math.randomseed(17)
    local function text(k)
      local t = {}
      for _ = 1, k do
        t[#t + 1] = pieces[math.random(#pieces)]
        t[#t + 1] = seps[math.random(#seps)]
      end
      return table.concat(t)
    end
    for round = 1, 300 do
      local papers = {}
      for i = 1, math.random(0, 14) do
        local p = {}
        if math.random() < 0.9 then p.title = text(math.random(0, 6)) end
        if math.random() < 0.9 then p.abstract = text(math.random(0, 30)) end
        papers[i] = p
      end
      local dfs = {}
      local df = function(t)
        if dfs[t] == nil then dfs[t] = math.random(0, 40) end
        return dfs[t]
      end
      for _, q in ipairs({ false, "nerf", "zero-shot", "point*", "cloud -ray*" }) do
        local w = "round " .. round .. " q=" .. tostring(q)
        same_top(papers, 15, { query = q or nil }, w)
        same_top(papers, 4, { query = q or nil, df = df, ndocs = 50 }, w .. " (archive)")
        same_counts(papers, html.query_tokens(q or nil), 1, w .. " counts")
        same_counts(papers, html.query_tokens(q or nil), 2, w .. " counts min 2")
      end
    end
  end)

  it("the same as the Lua computation on a month of the real archive", function()
    local dir = "../shared/corpus/cs.CV-2019/03"
    if not dofile("spec/helper.lua").have(dir .. "/20190301.md") then return pending("no " .. dir) end
    local c = assert(ad.open(dir))
    local papers = {}
    for p in c:papers() do papers[#papers + 1] = p end
    assert.is_true(#papers > 500)
    local idx = ad.index(c)
    local df = function(t) return idx:df(t) end
    for _, q in ipairs({ false, "segment*", "zero-shot" }) do
      same_top(papers, 15, { query = q or nil }, "2019-03 q=" .. tostring(q))
      same_top(papers, 15, { query = q or nil, df = df, ndocs = #idx }, "2019-03 archive q=" .. tostring(q))
    end
    same_counts(papers, {}, 2, "2019-03 counts")
  end)

  it("strips math, URLs and TeX commands as the Lua passes do", function()
    -- (through the counts: a word inside a stripped span is not counted)
    local cases = {
      { "a $b$ c $d", { "a", "c", "d" } },
      { "$$ word $ x $", { "word" } },
      { "httpx://no HTTPS://yes.example/p ok", { "httpx", "no", "ok" } },
      { "http://", { "http" } },
      { "https:// space", { "https", "space" } },
      { "\\alpha\\beta gamma \\1 delta\\", { "gamma", "1", "delta" } },
      { "httpS://x.y/z\\cmd tail", { "tail" } },
    }
    for _, c in ipairs(cases) do
      local tc = core.term_counter()
      tc:add("", c[1])
      local words = tc:counts()
      table.sort(words)
      table.sort(c[2])
      assert.same(c[2], words, c[1])
    end
  end)
end)
