-- Recommendations (lua/arxivdigest/recommend.lua over csrc/ad_recommend.c,
-- bound by csrc/lad_recommend.c): ranking, evidence, options, failures.
local ad = require "arxivdigest"
local core = require "arxivdigest.core"
local rec = require "arxivdigest.recommend"

local CORPUS = os.getenv("ARXIVDIGEST_CORPUS") or "../shared/corpus/cs.CV-2019"

-- the bundled sample: 210 papers of five digest days
local function sample_index()
  return assert(ad.index(ad.sample()))
end

local function ids_of(hits)
  local out = {}
  for i, h in ipairs(hits) do out[i] = h.paper.id end
  return out
end

local ranked = dofile("spec/helper.lua").ranked

-- the words of a text as the index folds them
local function words(text)
  local set = {}
  for _, t in ipairs(core.tokens(text or "")) do set[t] = true end
  return set
end

describe("recommend", function()
  local idx
  setup(function() idx = sample_index() end)

  it("ranks the candidates of a query for a list of ids, like search, never returning the library", function()
    local lib = { "2005.09623", "2005.09544" }
    local hits, info = idx:recommend(lib, { query = "cat:cs.CV", limit = 20 })
    assert.are.equal(20, #hits)
    assert.is_truthy(info.model == "built" or info.model == "cached", info.model)  -- (a fresh index)
    info.model = nil
    assert.are.same({ library = 2, candidates = idx:count("cat:cs.CV"), unmatched = {} }, info)
    for i, h in ipairs(hits) do
      assert.are.equal("number", type(h.score))
      assert.is_truthy(h.paper.id and h.paper.title)
      assert.is_not.equal("2005.09623", h.paper.id)
      assert.is_not.equal("2005.09544", h.paper.id)
      if i > 1 then assert.is_true(hits[i - 1].score >= h.score) end
    end
    -- the defocus-blur paper is the closest to "Focus on defocus"
    hits = idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 3 })
    assert.are.equal("2011.09677", hits[1].paper.id)
  end)

  it("explains each hit with its score's decomposition: library papers and terms", function()
    local lib = { "2005.09623", "2005.09544" }
    local hits = idx:recommend(lib, { query = "cat:cs.CV", limit = 10 })
    local inlib = { ["2005.09623"] = true, ["2005.09544"] = true }
    for _, h in ipairs(hits) do
      local why = h:why()
      local sum = 0
      for i, p in ipairs(why.papers) do
        assert.is_true(inlib[p.paper.id])
        assert.is_true(p.score > 0)
        if i > 1 then assert.is_true(why.papers[i - 1].score >= p.score) end
        sum = sum + p.score
      end
      -- score = the papers' shares - the background share (>= 0)
      assert.is_true(sum >= h.score - 1e-6)
      assert.are.equal(#why.terms, #why.weights)
      assert.is_true(#why.terms > 0 and #why.terms <= 8)
      for i, t in ipairs(why.terms) do
        assert.are.equal("string", type(t))
        assert.is_true(why.weights[i] > 0)
        if i > 1 then assert.is_true(why.weights[i - 1] >= why.weights[i]) end
      end
    end
    -- function words and URL pieces count in the score but are no evidence
    local FUNC = { the = true, of = true, a = true, to = true, ["and"] = true, we = true, ["in"] = true,
                   is = true, ["for"] = true, https = true, www = true, be = true, that = true }
    for _, h in ipairs(idx:recommend(lib, { query = "cat:cs.CV", limit = 50 })) do
      for _, t in ipairs(h:why().terms) do
        for w in t:gmatch("%S+") do assert.is_nil(FUNC[w], t) end   -- (state-of-the-art is one word)
      end
    end
    local top = idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 1 })[1]:why()
    assert.are.equal("defocus blur", top.terms[1])
    assert.are.equal("2005.09623", top.papers[1].paper.id)
    assert.error_matches(function() idx:recommend(lib, { query = "cat:cs.CV" })[1].why({}) end,
                         "bad argument #1 to 'why'")
  end)

  it("takes a share of the background from the papers nearest to the library (the local background)", function()
    local nd, lib, cands = #idx, {}, {}
    for _, id in ipairs { "2005.09623", "2005.09544", "2011.10043" } do lib[#lib + 1] = idx:get(id):_doc() end
    for d = 0, nd - 1 do cands[#cands + 1] = d end
    local function scores(o)
      local t = { limit = 40, papers = 0, terms = 0 }
      for k, v in pairs(o) do t[k] = v end
      local out = {}
      for _, h in ipairs(core.recommend(idx, lib, nil, cands, t)) do out[#out + 1] = { h.doc, h.score } end
      return out
    end
    local plain = scores { ["local"] = 0 }
    assert.are.equal(40, #plain)
    assert.are.same(plain, scores { nlocal = 0 })            -- no papers: no local background
    assert.are.not_same(plain, scores {})                    -- the default takes 0.2 of it
    assert.are.not_same(scores {}, scores { ["local"] = 1 })
    -- it is a share of the background: none without one
    assert.are.same(scores { background = 0, ["local"] = 0 }, scores { background = 0, ["local"] = 0.5 })
  end)

  it("ranks the papers nearest to a library first when few papers share its words", function()
    -- a word a few papers hold, as free text or as one of those papers:
    -- the local background is the mean of nlocal papers, the missing ones
    -- the global background's (its mean over the few found took their
    -- whole vectors from the profile, and ranked the paper holding
    -- 'capsule' last of 210)
    for _, word in ipairs { "capsule", "hyperspectral" } do
      local holders = {}
      for _, h in ipairs(idx:search("ti:" .. word .. " OR abs:" .. word, { limit = 100 })) do
        holders[h.paper.id] = true
      end
      local n = 0
      for _ in pairs(holders) do n = n + 1 end
      assert.is_true(n >= 1 and n <= 3, word .. ": " .. n)
      local hits = idx:recommend(word, { limit = n, query = "date:2000..2100" })
      for i, h in ipairs(hits) do assert.is_true(holders[h.paper.id], word .. " #" .. i .. " " .. h.paper.id) end
    end
    -- (the local background's weight is as before when nlocal papers are found)
    local lib = {}
    for _, id in ipairs { "2005.09623", "2005.09544", "2011.10043" } do lib[#lib + 1] = idx:get(id):_doc() end
    local few = core.recommend(idx, lib, nil, nil, { limit = 40, nlocal = 5 })
    local off = core.recommend(idx, lib, nil, nil, { limit = 40, nlocal = 5, ["local"] = 0 })
    assert.are.not_same(off, few)
  end)

  it("narrows a free-text library by its words the sample lacks too", function()
    -- a word only papers older than the sample hold (idf and background
    -- come from the newest `sample` papers) has no index term in the
    -- model: found by its text in the library's papers, but not in the
    -- free text, whose own words did not narrow. Free text 'WORD image'
    -- was narrowed by 'image' alone, and the papers holding WORD (first
    -- when every candidate is scored) were left out ('rbm image' on the
    -- real archive: its 19 papers ranks 1-19 scored exactly, none of the
    -- top 20 narrowed)
    local S = 60
    local word, holders
    local old = {}
    for _, h in ipairs(idx:search("date:2000..2100", { limit = 1000 })) do
      if h.paper:_doc() >= S then old[#old + 1] = h.paper end
    end
    table.sort(old, function(x, y) return x:_doc() < y:_doc() end)
    for _, p in ipairs(old) do
      local ws = {}
      for w in pairs(words(p.title)) do ws[#ws + 1] = w end
      table.sort(ws)
      for _, w in ipairs(ws) do
        if #w >= 6 and w:match("^%l+$") then
          local hs = idx:search("ti:" .. w .. " OR abs:" .. w, { limit = 100 })
          local ok = #hs >= 1 and #hs <= 3
          for _, h in ipairs(hs) do if h.paper:_doc() < S then ok = false end end
          if ok then
            word, holders = w, {}
            for _, h in ipairs(hs) do holders[h.paper:_doc()] = true end
            break
          end
        end
      end
      if word then break end
    end
    assert.is_truthy(word)
    local n = 0
    for _ in pairs(holders) do n = n + 1 end
    local text = word .. " image"
    local function top(o)
      local t = { text = text, limit = n, sample = S, papers = 0, terms = 0 }
      for k, v in pairs(o) do t[k] = v end
      local out = {}
      for _, h in ipairs(core.recommend(idx, {}, nil, nil, t)) do out[#out + 1] = h.doc end
      return out
    end
    local exact = top { exact = 100000 }
    for i, d in ipairs(exact) do assert.is_true(holders[d], word .. " #" .. i) end
    assert.are.same(exact, top { exact = 0, shortlist = 1 })
  end)

  it("takes a string that is an arXiv id the index lacks as an id, not as text", function()
    -- as idx:similar: '2301.99999' was the words '2301' and '99999', and
    -- whatever papers held them came back, the id never reported
    for _, s in ipairs { "2301.99999", " arXiv:2301.99999v2 ", "https://arxiv.org/abs/2301.99999" } do
      assert.error_matches(function() idx:recommend(s, { query = "cat:cs.CV" }) end,
        "the library has no paper in this index")
      assert.error_matches(function() idx:recommend({ s }, { query = "cat:cs.CV" }) end,
        "the library has no paper in this index")
    end
    -- an id in a text is text; a known id a paper
    local hits, info = idx:recommend("2301.99999 image segmentation", { query = "cat:cs.CV", limit = 3 })
    assert.are.equal(3, #hits)
    assert.are.equal(1, info.library)
    assert.are.same(ranked(idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 5 })),
      ranked(idx:recommend("2005.09623", { query = "cat:cs.CV", limit = 5 })))
  end)

  it("is deterministic", function()
    local a = idx:recommend({ "2005.09623", "2011.10043" }, { query = "cat:cs.CV", limit = 30 })
    local b = idx:recommend({ "2005.09623", "2011.10043" }, { query = "cat:cs.CV", limit = 30 })
    assert.are.same(ranked(a), ranked(b))
    local wa, wb = a[1]:why(), b[1]:why()
    assert.are.same(wa.terms, wb.terms)
    assert.are.same(wa.weights, wb.weights)
  end)

  it("takes ids in any form, merged papers, a Library, one id or free text", function()
    local q = { query = "cat:cs.CV", limit = 10 }
    local base = ranked(idx:recommend({ "2005.09623", "2005.09544" }, q))
    assert.are.same(base, ranked(rec.recommend(idx,
      { "https://arxiv.org/abs/2005.09623v2", "arXiv:2005.09544" }, q)))
    assert.are.same(base, ranked(idx:recommend({ idx:get("2005.09623"), idx:get("2005.09544") }, q)))
    assert.are.same(base, ranked(idx:recommend(ad.library("2005.09623\n2005.09544\n"), q)))
    assert.are.same(base, ranked(rec.recommend(idx,
      ad.library("spec/fixtures/library/zotero.bib"), q)))   -- the same two papers
    assert.are.same(ranked(idx:recommend({ "2005.09623" }, q)),
                    ranked(idx:recommend("2005.09623", q)))
    local hits = idx:recommend("depth from defocus blur", q)
    assert.are.equal("2011.09677", hits[1].paper.id)
    assert.are.same({}, hits[1]:why().papers)              -- free text is no paper
    assert.are.same({ "defocus blur", "depth" }, { hits[1]:why().terms[1], hits[1]:why().terms[2] })
  end)

  it("pages with limit and offset through one ranking", function()
    local all = ranked(idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 15 }))
    local page = ranked(idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 10, offset = 5 }))
    assert.are.same({ table.unpack(all, 6, 15) }, page)
    assert.are.same({}, idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 0 }))
    assert.are.same({}, idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", offset = 1000 }))
  end)

  it("ranks papers like the negatives down, and never returns them", function()
    local q = { query = "cat:cs.CV", limit = 300 }
    local plain = idx:recommend({ "2005.09623" }, q)
    q.negative = { "2005.09544", idx:get("2005.05535") }   -- CIAGAN, DeepFaceLab: faces
    local neg = idx:recommend({ "2005.09623" }, q)
    assert.are.equal(#plain - 2, #neg)
    local before = {}
    for _, h in ipairs(plain) do before[h.paper.id] = h.score end
    local lower = 0
    for _, h in ipairs(neg) do
      assert.is_not.equal("2005.09544", h.paper.id)
      assert.is_not.equal("2005.05535", h.paper.id)
      assert.is_true(h.score <= before[h.paper.id] + 1e-7)
      if h.score < before[h.paper.id] - 1e-6 then lower = lower + 1 end
    end
    assert.is_true(lower > 0)
    -- a face paper falls
    local function rank(hits, id)
      for i, h in ipairs(hits) do if h.paper.id == id then return i end end
    end
    assert.is_true(rank(neg, "2005.10360") > rank(plain, "2005.10360"))
  end)

  it("weighs the fields as asked: a key left out keeps its default, 0 ignores a field", function()
    local q = { query = "cat:cs.CV", limit = 10, weights = { abs = 0, co = 0 } }   -- the title only
    local hits = idx:recommend({ "2005.09623" }, q)
    for _, h in ipairs(hits) do
      local title = words(h.paper.title)
      for _, t in ipairs(h:why().terms) do
        for w in t:gmatch("[^ %-]+") do assert.is_true(title[w], t .. " not in " .. h.paper.title) end
      end
    end
    assert.are_not.same(ranked(hits), ranked(idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 10 })))
    assert.are.same(ranked(idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", weights = { ti = 1 } })),
                    ranked(idx:recommend({ "2005.09623" }, { query = "cat:cs.CV" })))
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { weights = { ti = 0, abs = 0, au = 0, co = 0 } }) end,
      "bad argument #3 to 'recommend' %(weights: at least one field must weigh more than 0%)")
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { weights = { title = 1 } }) end,
      "bad argument #3 to 'recommend' %(weights: unknown field title")
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { weights = { ti = -1 } }) end,
      "weights.ti must be a number >= 0")
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { weights = 3 }) end,
      "weights must be a table")
  end)

  it("defaults to the papers of the newest digest day", function()
    local day = core._rpaper(idx, 0).date
    local hits, info = idx:recommend({ "2005.09623" }, { limit = 100 })
    assert.are.equal(idx:count("date:" .. day), info.candidates)
    assert.are.equal(math.min(100, info.candidates), #hits)
    for _, h in ipairs(hits) do assert.are.equal(day, h.paper.date) end
    assert.are.same({}, (idx:recommend({ "2005.09623" }, { query = "cat:no.such" })))
  end)

  -- review C18: an integral float (1e5, 5.0) was "not an integer"
  it("takes limit, offset, days and k written as floats with integral values", function()
    local a = idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 3, offset = 1 })
    local b = idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 3.0, offset = 1.0 })
    assert.are.equal(3, #b)
    for i = 1, 3 do assert.are.equal(a[i].paper.id, b[i].paper.id) end
    assert.are.equal(#idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 1000 }),
      #idx:recommend({ "2005.09623" }, { query = "cat:cs.CV", limit = 1e5 }))
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { limit = "3" }) end,
      "limit must be an integer >= 0")
    local r1 = rec.evaluate(idx, { "2005.09623" }, { days = 1, k = 50 })
    local r2 = rec.evaluate(idx, { "2005.09623" }, { days = 1.0, k = 50.0 })
    assert.are.equal(r1.reason, r2.reason)
    assert.are.equal(r1.days, r2.days)
    assert.error_matches(function() rec.evaluate(idx, { "2005.09623" }, { days = 1.5 }) end,
      "days must be an integer >= 1")
  end)

  it("raises clear errors on misuse", function()
    assert.error_matches(function() rec.recommend({}, { "2005.09623" }) end,
      "bad argument #1 to 'recommend' %(Index expected, got table%)")
    assert.error_matches(function() idx:recommend(42) end,
      "bad argument #2 to 'recommend' %(list of ids or papers, Library or text expected, got number%)")
    assert.error_matches(function() idx:recommend({ {} }) end,
      "bad argument #2 to 'recommend' %(item 1 is a table, an arXiv id or a paper was expected%)")
    assert.error_matches(function() idx:recommend({ "2005.09623" }, 5) end,
      "bad argument #3 to 'recommend' %(options table expected, got number%)")
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { limit = -1 }) end,
      "bad argument #3 to 'recommend' %(limit must be an integer >= 0%)")
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { offset = 1.5 }) end,
      "offset must be an integer >= 0")
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { query = 42 }) end,
      "bad argument #3 to 'recommend' %(query must be a query string, got number%)")
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { negative = 42 }) end,
      "negative must be a list of ids or papers, got number")
    assert.error_matches(function() idx:recommend({ "2005.09623" }, { query = "cat:(" }) end, "")
    local other = assert(ad.index("spec/fixtures/index"))
    assert.error_matches(function() idx:recommend({ other:get("2006.00002") }) end,
      "item 1 is a paper of another index")
  end)

  it("answers an empty library, or one not in the index, with a clear error; duplicates count once", function()
    assert.error_matches(function() idx:recommend({}) end,
      "bad argument #2 to 'recommend' %(the library has no paper in this index%)")
    assert.error_matches(function() idx:recommend({ "1706.03762", "2003.08934" }) end,
      "the library has no paper in this index")
    assert.are.equal(2, select(2, idx:recommend(ad.library("spec/fixtures/library/arxiv.bib"))).library)
    local lib = ad.library("1706.03762\n", idx)
    assert.are.equal(0, #lib)
    assert.error_matches(function() idx:recommend(lib) end, "the library has no paper in this index")
    local _, info = idx:recommend({ "2005.09623", "1706.03762" }, { query = "cat:cs.CV" })
    assert.are.same({ "1706.03762" }, info.unmatched)
    local one = ranked(idx:recommend({ "2005.09623" }, { query = "cat:cs.CV" }))
    local dup, dinfo = idx:recommend({ "2005.09623", "2005.09623v2", idx:get("2005.09623") },
                                     { query = "cat:cs.CV" })
    assert.are.equal(1, dinfo.library)
    assert.are.same(one, ranked(dup))
    -- a free text none of whose words a paper holds (it ranked every
    -- paper by its background alone), and one with a single such word
    assert.error_matches(function() idx:recommend("zzqxw qqvvz") end,
      "bad argument #2 to 'recommend' %(no word of the library's text is in the index%)")
    assert.is_true(#idx:recommend("zzqxw depth", { query = "date:2000..2100" }) > 0)
  end)

  it("ranks a candidate set of one paper, or the whole archive (narrowed by the postings)", function()
    local hits = idx:recommend({ "2005.09623" }, { query = "id:2011.09677" })
    assert.are.same({ "2011.09677" }, ids_of(hits))
    assert.are.same({}, (idx:recommend({ "2005.09623" }, { query = "id:2005.09623" })))
    local d = core._rfind(idx, "2005.09623")
    local all = {}
    for i = 0, #idx - 1 do all[#all + 1] = i end
    local exact = core.recommend(idx, { d }, nil, nil, { limit = 20 })
    assert.are.same(exact, core.recommend(idx, { d }, nil, all, { limit = 20 }))
    -- narrowed (exact = 0): the shortlist is scored exactly, so the scores agree
    local narrowed = core.recommend(idx, { d }, nil, nil, { limit = 20, exact = 0 })
    assert.are.same(exact, narrowed)
    local tiny, _, scored = core.recommend(idx, { d }, nil, nil, { limit = 5, exact = 0, shortlist = 10 })
    assert.are.equal(40, scored)               -- 8 x (offset + limit) when larger than shortlist
    local byid = {}
    for _, h in ipairs(exact) do byid[h.doc] = h.score end
    for _, h in ipairs(tiny) do
      if byid[h.doc] then assert.are.equal(byid[h.doc], h.score) end
    end
    -- asked for (nearly) every candidate, or for more than the narrowing
    -- finds, every candidate is scored: the same as unnarrowed
    local every = core.recommend(idx, { d }, nil, nil, { limit = 100000, exact = 10 })
    assert.are.equal(#idx - 1, #every)
    assert.are.same(core.recommend(idx, { d }, nil, nil, { limit = 100000 }), every)
    -- a paper's score does not depend on the other candidates
    local day = core.recommend(idx, { d }, nil, { exact[3].doc, exact[1].doc }, { limit = 2 })
    assert.are.equal(exact[1].score, day[1].score)
    assert.are.equal(exact[3].score, day[2].score)
  end)

  it("recommends the same from a saved and loaded index, and after an update", function()
    local path = os.tmpname()
    assert(idx:save(path))
    local loaded = assert(ad.load(path))
    local q = { query = "cat:cs.CV", limit = 15 }
    assert.are.same(ranked(idx:recommend({ "2005.09623", "2011.10043" }, q)),
                    ranked(rec.recommend(loaded, { "2005.09623", "2011.10043" }, q)))
    loaded:close()
    os.remove(path)
    local small = assert(ad.index(ad.sample()))
    local before = ranked(rec.recommend(small, { "2005.09623" }, q))
    assert(small:update({ ad.sample(), "spec/fixtures/index" }))
    local after = ranked(rec.recommend(small, { "2005.09623" }, q))
    local fresh = assert(ad.index({ ad.sample(), "spec/fixtures/index" }))
    assert.are.same(ranked(rec.recommend(fresh, { "2005.09623" }, q)), after)
    assert.are_not.same(before, after)
    small:close()
    assert.error_matches(function() rec.recommend(small, { "2005.09623" }) end, "index is closed")
  end)

  it("never crashes on hostile core calls", function()
    local nd = #idx
    assert.error_matches(function() core.recommend(idx, { nd }, nil, nil) end,
      "bad argument #2 to 'recommend' %(item 1 is not a document number%)")
    assert.error_matches(function() core.recommend(idx, { 0 }, { -1 }, nil) end, "item 1 is not a document number")
    assert.error_matches(function() core.recommend(idx, { 0 }, nil, { 1.5 }) end, "item 1 is not a document number")
    assert.error_matches(function() core.recommend(idx, { 0 }, nil, nil, { m = 0 }) end, "m must be an integer")
    assert.error_matches(function() core.recommend(idx, { 0 }, nil, nil, { scheme = "svm" }) end,
      "scheme must be")
    assert.error_matches(function() core.recommend(idx, { 0 }, nil, nil, { text = 1 }) end, "text must be a string")
    assert.error_matches(function() core.recommend(idx, { 0 }, nil, nil, { ["local"] = 2 }) end,
      "local must be a number")
    assert.error_matches(function() core.recommend(idx, { 0 }, nil, nil, { nlocal = -1 }) end,
      "nlocal must be an integer")
    math.randomseed(7)
    local rnd = math.random
    local function docs(n)
      local t = {}
      for i = 1, n do t[i] = rnd(0, nd - 1) end
      return t
    end
    for _ = 1, 60 do
      local lib, neg = docs(rnd(0, 30)), docs(rnd(0, 10))
      local cand = rnd(1, 4) == 1 and nil or docs(rnd(0, 300))
      local o = { limit = rnd(0, 50), offset = rnd(0, 20), papers = rnd(0, 6), terms = rnd(0, 10),
                  weights = { ti = rnd(0, 2), abs = rnd(0, 2), au = rnd(0, 2), co = rnd(0, 2) },
                  alpha = rnd(0, 4) / 4, m = rnd(1, 64), exact = rnd(0, 300), shortlist = rnd(1, 50),
                  ["local"] = rnd(0, 4) / 4, nlocal = rnd(0, 300),
                  text = rnd(1, 3) == 1 and "gaussian {splatting} \255\0 depth" or nil }
      local any = o.weights.ti + o.weights.abs + o.weights.au + o.weights.co > 0
      local ok, hits, nlib = pcall(core.recommend, idx, lib, neg, cand, o)
      if not any then
        assert.is_false(ok)
      else
        assert(ok, hits)
        local excluded = {}
        for _, d in ipairs(lib) do excluded[d] = true end
        for _, d in ipairs(neg) do excluded[d] = true end
        for i, h in ipairs(hits) do
          assert.is_nil(excluded[h.doc])
          if i > 1 then assert.is_true(hits[i - 1].score >= h.score) end
        end
        assert.is_true(nlib <= #lib + 1)
      end
    end
  end)
end)

describe("evaluate", function()
  local idx
  setup(function() idx = sample_index() end)

  it("hides the library's papers of the last days and measures how they come back", function()
    local day = core._rpaper(idx, 0).date
    local lib = { "2011.09677", "2011.09594", "2005.09623", "2005.09544", "2005.09531", "2011.10043" }
    local r = rec.evaluate(idx, lib, { days = 1, k = 10 })
    assert.are.equal(1, r.days)
    assert.are.equal(10, r.k)
    assert.are.equal(day, r.from)
    assert.are.equal(day, r.to)
    assert.are.equal(idx:count("date:" .. day), r.candidates)
    assert.are.equal(3, r.hidden)                -- 2011.09677, 2011.09594, 2011.10043
    assert.are.equal(3, r.library)
    for _, m in ipairs { r.method, r.centroid } do
      assert.is_true(m.recall >= 0 and m.recall <= 1)
      assert.is_true(m.ndcg >= 0 and m.ndcg <= 1)
    end
    -- the same figure by hand
    local rest = { core._rfind(idx, "2005.09623"), core._rfind(idx, "2005.09544"), core._rfind(idx, "2005.09531") }
    local cands = {}
    for d = 0, #idx - 1 do if core._rpaper(idx, d).date == day then cands[#cands + 1] = d end end
    local hits = core.recommend(idx, rest, nil, cands, { limit = 10 })
    local found = 0
    for _, h in ipairs(hits) do
      local id = core._rpaper(idx, h.doc).id
      if id == "2011.09677" or id == "2011.09594" or id == "2011.10043" then found = found + 1 end
    end
    assert.are.equal(found / 3, r.method.recall)
  end)

  it("says why it cannot measure, and raises on misuse", function()
    local r = rec.evaluate(idx, { "2005.09623" }, { days = 1 })
    assert.is_nil(r.method)
    assert.are.equal("the library has no paper in the last 1 digest days", r.reason)
    r = rec.evaluate(idx, { "2011.09677" }, { days = 1 })
    assert.are.equal("the library has no paper before the last 1 digest days", r.reason)
    assert.error_matches(function() rec.evaluate(idx, { "2005.09623" }, { days = 0 }) end,
      "bad argument #3 to 'evaluate' %(days must be an integer >= 1%)")
    assert.error_matches(function() rec.evaluate(idx, {}, {}) end,
      "bad argument #2 to 'evaluate' %(the library has no paper in this index%)")
    assert.error_matches(function() rec.evaluate(42, {}) end, "bad argument #1 to 'evaluate'")
  end)
end)

describe("recommend on the 2019 corpus", function()
  local f = io.open(CORPUS .. "/01/20190101.md", "rb")
  if not f then
    pending("corpus not found at " .. CORPUS .. " (set ARXIVDIGEST_CORPUS): skipped")
    return
  end
  f:close()
  local idx
  setup(function() idx = assert(ad.index(CORPUS)) end)

  it("takes a library of 5,000 papers and the whole archive as candidates", function()
    local lib = {}
    for d = 1000, 5999 do lib[#lib + 1] = d end
    local hits, nlib = core.recommend(idx, lib, nil, nil, { limit = 20 })
    assert.are.equal(5000, nlib)
    assert.are.equal(20, #hits)
    for _, h in ipairs(hits) do assert.is_true(h.doc < 1000 or h.doc > 5999) end
    -- the default candidates: the newest day
    local papers = {}
    for i, d in ipairs(lib) do papers[i] = core._rpaper(idx, d) end
    local rhits, info = idx:recommend(papers, { limit = 5 })
    assert.are.equal(5, #rhits)
    assert.are.equal(idx:count("date:" .. core._rpaper(idx, 0).date), info.candidates)
  end)

  it("narrowing the whole archive keeps the exact ranking's best papers", function()
    -- a library on one topic, exact scoring of all 11,601 papers against
    -- the narrowed default
    local lib = {}
    for _, h in ipairs(idx:search("domain adaptation segmentation", { limit = 50 })) do
      lib[#lib + 1] = h.paper:_doc()
    end
    assert.are.equal(50, #lib)
    local exact = core.recommend(idx, lib, nil, nil, { limit = 10, exact = 100000 })
    local narrowed = core.recommend(idx, lib, nil, nil, { limit = 10 })
    local inexact = {}
    for _, h in ipairs(exact) do inexact[h.doc] = h.score end
    local same = 0
    for _, h in ipairs(narrowed) do
      if inexact[h.doc] then same = same + 1; assert.are.equal(inexact[h.doc], h.score) end
    end
    assert.is_true(same >= 9, same .. " of 10")
  end)

  it("ranks down papers more like a negative than like the library, not the library's field", function()
    -- a negative of the library's own field: what it shares with the
    -- library's papers is no reason to rank a paper down (its similarity to
    -- the negative counts above that to the nearest library paper, not
    -- above the background alone: one crowd-counting paper disliked left 3
    -- crowd-counting papers in the top 20 of a library of 5 of them, and 1
    -- of the 20 it had)
    local lib = {}
    for _, h in ipairs(idx:search('"crowd counting"', { limit = 5 })) do lib[#lib + 1] = h.paper.id end
    local q = { query = "date:2000..2100", limit = 200 }
    local plain = idx:recommend(lib, q)
    local negid = plain[1].paper.id
    q.negative = { negid }
    local neg = idx:recommend(lib, q)
    local function crowd(hs)
      local n = 0
      for i = 1, 20 do
        if (hs[i].paper.title .. " " .. hs[i].paper.abstract):lower():find("crowd", 1, true) then n = n + 1 end
      end
      return n
    end
    assert.are.equal(20, crowd(plain))
    assert.is_true(crowd(neg) >= 18, crowd(neg) .. " of 20")
    local kept, top = 0, {}
    for i = 1, 20 do top[plain[i].paper.id] = true end
    for i = 1, 20 do if top[neg[i].paper.id] then kept = kept + 1 end end
    assert.is_true(kept >= 10, kept .. " of 20")
    -- and what is nearer the negative than any library paper falls (no
    -- score rises)
    local before = {}
    for _, h in ipairs(plain) do before[h.paper.id] = h.score end
    local lower = 0
    for _, h in ipairs(neg) do
      if before[h.paper.id] then
        assert.is_true(h.score <= before[h.paper.id] + 1e-7)
        if h.score < before[h.paper.id] - 1e-6 then lower = lower + 1 end
      end
    end
    assert.is_true(lower > 0)
    -- a library of more than `near` papers (16) is measured on its `near`
    -- papers nearest to each negative: a subset, so no score is higher
    -- than measured on all of them, and `near` = the library's size is all
    local docs = {}
    for i, id in ipairs(lib) do docs[i] = idx:get(id):_doc() end
    local nd = { idx:get(negid):_doc() }
    local function scores(o)
      local t = { limit = 50, papers = 0, terms = 0 }
      for k, v in pairs(o) do t[k] = v end
      local out = {}
      for _, h in ipairs(core.recommend(idx, docs, nd, nil, t)) do out[h.doc] = h.score end
      return out
    end
    local all, one = scores {}, scores { near = 1 }
    assert.are.same(all, scores { near = 5 })
    assert.are_not.same(all, one)
    for d, sc in pairs(one) do if all[d] then assert.is_true(sc <= all[d] + 1e-7) end end
  end)

  it("evaluates a library on the last days", function()
    local lib = {}
    for _, h in ipairs(idx:search("gaussian OR point cloud", { limit = 400 })) do lib[#lib + 1] = h.paper end
    local r = rec.evaluate(idx, lib, { days = 30, k = 50 })
    assert.is_true(r.hidden > 0 and r.library > 0, r.reason)
    assert.is_true(r.method.recall > 0)
    assert.is_true(r.method.recall >= r.centroid.recall)
  end)
end)

describe("recommend weighs categories", function()
  -- a catalog day: a library of papers cross-listed to eess.IV, and two
  -- candidates with the same text, one of them cross-listed too
  local TOPICS = { "graph", "video", "pose", "depth", "point", "cloud", "scene", "light",
                   "motion", "face", "hand", "text", "font", "map", "road", "tree" }
  local function paper(id, title, abstract, cats)
    return table.concat({
      "### " .. title,
      "- **Arxiv ID**: http://arxiv.org/abs/" .. id .. "v1",
      "- **Categories**: " .. cats,
      "- **Authors**: A. Author",
      "- **Summary**: " .. abstract,
      "", "" }, "\n")
  end
  local idx, text
  setup(function()
    local t = { "# Arxiv Papers in cs.CV on 2020-05-20", "" }
    for i = 1, 40 do            -- filler, so that idf means something
      local a, b = TOPICS[i % #TOPICS + 1], TOPICS[(i * 7) % #TOPICS + 1]
      t[#t + 1] = paper(string.format("2005.%05d", 100 + i), "Learning " .. a .. " " .. b,
        "We study " .. a .. " and " .. b .. " with a network.", "**cs.CV**")
    end
    for i = 1, 3 do
      t[#t + 1] = paper(string.format("2005.%05d", 200 + i), "Retinal vessel segmentation " .. i,
        "We segment retinal vessels in fundus images with a network " .. i .. ".", "**cs.CV**, eess.IV")
    end
    t[#t + 1] = paper("2005.00301", "Fundus lesion grading",
      "We grade lesions in fundus images with a network.", "**cs.CV**, eess.IV")
    t[#t + 1] = paper("2005.00302", "Fundus lesion grading",
      "We grade lesions in fundus images with a network.", "**cs.CV**")
    text = table.concat(t, "\n")
    idx = assert(ad.index(assert(ad.parse(text, "20200520.md"))))
  end)

  local LIB = { "2005.00201", "2005.00202", "2005.00203" }
  local function score_of(hits, id)
    for _, h in ipairs(hits) do if h.paper.id == id then return h.score, h end end
  end

  it("a shared category counts (weights.cat, 16 by default), and is its evidence", function()
    local hits = idx:recommend(LIB, { query = "fundus", limit = 10 })
    local s1, h1 = score_of(hits, "2005.00301")
    local s2 = score_of(hits, "2005.00302")
    assert.is_true(s1 > s2, s1 .. " vs " .. s2)
    local found = false
    for _, term in ipairs(h1:why().terms) do if term == "cat:eess.IV" then found = true end end
    assert.is_true(found, "cat:eess.IV in the evidence")
    -- a weight of 0: categories are no feature, the two texts tie
    hits = idx:recommend(LIB, { query = "fundus", limit = 10, weights = { cat = 0 } })
    assert.are.equal(score_of(hits, "2005.00301"), score_of(hits, "2005.00302"))
    -- a smaller weight counts less
    hits = idx:recommend(LIB, { query = "fundus", limit = 10, weights = { cat = 1 } })
    local t1, t2 = score_of(hits, "2005.00301"), score_of(hits, "2005.00302")
    assert.is_true(t1 > t2 and t1 - t2 < s1 - s2)
  end)

  it("checks weights.cat, and categories alone are no profile", function()
    assert.error_matches(function() idx:recommend(LIB, { weights = { cat = -1 } }) end,
      "bad argument #3 to 'recommend' %(weights.cat must be a number >= 0%)")
    assert.error_matches(function() idx:recommend(LIB, { weights = { ti = 0, abs = 0, au = 0, co = 0, cat = 5 } }) end,
      "bad argument #3 to 'recommend' %(weights: at least one field must weigh more than 0%)")
    assert.error_matches(function() idx:recommend(LIB, { weights = { cats = 1 } }) end,
      "unknown field cats %(ti, abs, au, co or cat expected%)")
  end)

  it("a saved model keeps its categories' weight", function()
    local path = os.tmpname()
    assert.is_true(idx:save_model(path))
    local again = assert(ad.index(assert(ad.parse(text, "20200520.md"))))
    local ok, why = again:load_model(path, { weights = { cat = 0 } })
    assert.is_false(ok)
    assert.matches("made with other options", why)
    assert.is_true((again:load_model(path)))
    local a = idx:recommend(LIB, { query = "fundus", limit = 10 })
    local b = again:recommend(LIB, { query = "fundus", limit = 10 })
    assert.are.same(ranked(a), ranked(b))
    assert.is_true(score_of(b, "2005.00301") > score_of(b, "2005.00302"))
    os.remove(path)
  end)
end)
