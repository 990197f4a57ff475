-- Recommendations of papers that are not in the index whose model ranks
-- them (idx:recommend's `candidates`: another Index, or a list of papers),
-- and the model kept in a file (idx:save_model, idx:load_model): what a
-- standing watch uses to rank the papers of new digest files against a
-- saved index without merging them into it (issue 14).
local ad = require "arxivdigest"
local core = require "arxivdigest.core"

local DATA = "examples/data/"
local D0513, D0520, D0522 = DATA .. "001_906e1fea553eeaa8.txt", DATA .. "000_21fb7b7deb0de965.txt",
  DATA .. "002_3ae2b7cffb64a415.txt"
local D1120 = DATA .. "004_6bca22daa1a0db69.txt"
local LIB = { "2005.09623", "2005.05501" }

local H = dofile("spec/helper.lua")
local ranked, tmpname = H.ranked, H.tmpname

-- a hit's evidence as plain data: library papers' ids and shares, terms
local function why(hit)
  local w = hit:why()
  local out = { terms = w.terms, weights = w.weights, papers = {} }
  for i, x in ipairs(w.papers) do out.papers[i] = { x.paper.id, x.score } end
  return out
end

-- a query tree matching exactly the papers of an index
local function ids_query(other)
  local q = { type = "or" }
  for p in other:papers() do q[#q + 1] = { type = "id", value = p.id } end
  return q
end

describe("recommend with candidates from another index", function()
  local idx, day, cidx
  setup(function()
    idx = assert(ad.index({ D0513, D0520, D0522 }))     -- the archive, 2020-05-22 in it
    day = assert(ad.index({ D0522 }))                   -- that day alone
    cidx = assert(ad.index({ D1120 }))                  -- a day the archive does not have
  end)

  it("ranks the papers of a day as the archive ranks the same papers (they are in it)", function()
    local q = ids_query(day)
    local want = idx:recommend(LIB, { query = q, limit = 1000 })
    local got, info = idx:recommend(LIB, { candidates = day, limit = 1000 })
    assert.are.equal(#day, info.candidates)
    assert.are.equal(#day, #got)
    assert.are.same(ranked(want), ranked(got))
    for i = 1, #got do
      assert.are.same(why(want[i]), why(got[i]))
      assert.is_nil(core._rdoc(idx, got[i].paper))        -- a paper of the day's index
    end
    -- the papers are the candidates' index's own
    assert.are.equal(day:get(got[1].paper.id).title, got[1].paper.title)
    -- offset and limit page through the same ranking
    local page = idx:recommend(LIB, { candidates = day, limit = 5, offset = 3 })
    assert.are.same({ table.unpack(ranked(want), 4, 8) }, ranked(page))
    -- and a query selects among the candidates' papers
    local cv = idx:recommend(LIB, { candidates = day, query = "segmentation", limit = 1000 })
    local wcv = idx:recommend(LIB, { query = { type = "and", q, { type = "term", text = "segmentation" } },
                                     limit = 1000 })
    assert.is_true(#cv > 0 and #cv < #got)
    assert.are.same(ranked(wcv), ranked(cv))
  end)

  it("ranks the papers of a new day with the archive's model, the library and the negatives of both", function()
    local got, info = idx:recommend(LIB, { candidates = cidx, limit = 1000 })
    assert.are.equal(#cidx, #got)
    assert.are.equal(2, info.library)
    for i = 2, #got do assert.is_true(got[i - 1].score >= got[i].score) end
    -- deterministic, and a paper's score does not depend on the others
    assert.are.same(ranked(got), ranked(idx:recommend(LIB, { candidates = cidx, limit = 1000 })))
    local three = idx:recommend(LIB, { candidates = { got[9].paper, got[2].paper, got[5].paper } })
    assert.are.same({ ranked(got)[2], ranked(got)[5], ranked(got)[9] }, ranked(three))
    -- a library paper found only among the candidates counts, and is never returned
    local top = got[1].paper.id
    local more, minfo = idx:recommend({ LIB[1], LIB[2], top }, { candidates = cidx, limit = 1000 })
    assert.are.equal(3, minfo.library)
    assert.are.equal(#cidx - 1, #more)
    for _, h in ipairs(more) do assert.are_not.equal(top, h.paper.id) end
    local named = false
    for _, h in ipairs(more) do
      for _, x in ipairs(h:why().papers) do
        if x.paper.id == top then named = true; assert.are.equal(cidx:get(top).title, x.paper.title) end
      end
    end
    assert.is_true(named)
    -- so does a Library whose entry only the candidates' index has
    local lib = assert(ad.library(LIB[1] .. "\n" .. LIB[2] .. "\n" .. top .. "\n"))
    assert.are.same(ranked(more), ranked(idx:recommend(lib, { candidates = cidx, limit = 1000 })))
    -- negatives: never returned, and papers like them rank down
    local neg = idx:recommend(LIB, { candidates = cidx, negative = { top }, limit = 1000 })
    assert.are.equal(#cidx - 1, #neg)
    for _, h in ipairs(neg) do assert.are_not.equal(top, h.paper.id) end
    -- a paper with the id of a library paper of the archive is never returned
    local again = idx:recommend(LIB, { candidates = assert(ad.index({ D0520 })), limit = 1000 })
    for _, h in ipairs(again) do assert.are_not.equal(LIB[1], h.paper.id) end
  end)

  it("narrows the papers of another index by the same words (their terms there found by their text)", function()
    local nd = #idx
    local lib, own, id_of = {}, {}, {}
    for _, id in ipairs(LIB) do lib[#lib + 1] = idx:get(id):_doc() end
    for p in day:papers() do
      local d = idx:get(p.id):_doc()
      own[#own + 1] = d
      id_of[d] = p.id
      id_of[nd + core._rdoc(day, p)] = p.id
    end
    local function run(cands, o)
      local t = { limit = 1000, papers = 0, terms = 0 }
      for k, v in pairs(o) do t[k] = v end
      local out = {}
      local hits, _, scored = core.recommend(idx, lib, nil, cands, t)
      for _, h in ipairs(hits) do out[#out + 1] = { id_of[h.doc], h.score } end
      return out, scored
    end
    -- a shortlist holding every paper with one of the words: the same papers
    -- in either index, so the same ranking (the impacts differ, the set not).
    -- Narrowed when fewer than an eighth of the candidates are asked for
    local k = 5
    assert.is_true(8 * k < #day)
    local o = { exact = 0, shortlist = #day, limit = k }
    local want, nwant = run(own, o)
    assert.are.equal(k, #want)
    local got, ngot = run(nil, { exact = 0, shortlist = #day, with = day, limit = k })
    assert.are.same(want, got)
    -- the narrowing scored only those papers, the same in either index:
    -- fewer than the day's
    assert.are.equal(nwant, ngot)
    assert.is_true(nwant < #day, nwant .. " of " .. #day)
    -- and without the local background
    o["local"] = 0
    assert.are.same(run(own, o), run(nil, { exact = 0, shortlist = #day, with = day, ["local"] = 0, limit = k }))
    -- asked for every paper, every paper is scored
    local all, nall = run(nil, { exact = 0, shortlist = #day, with = day })
    assert.are.equal(#day, #all)
    assert.are.equal(#day, nall)
  end)

  it("takes a list of papers of the index and of one other index", function()
    local all = idx:recommend(LIB, { candidates = cidx, limit = 1000 })
    local mine = idx:recommend(LIB, { query = "date:2020-05-13", limit = 1000 })
    local list = {}
    for i = 1, 4 do list[#list + 1] = all[i * 2].paper; list[#list + 1] = mine[i * 3].paper end
    local got, info = idx:recommend(LIB, { candidates = list, limit = 100 })
    assert.are.equal(8, info.candidates)
    local want = {}
    for i = 1, 4 do want[#want + 1] = ranked(all)[i * 2]; want[#want + 1] = ranked(mine)[i * 3] end
    table.sort(want, function(a, b) return a[2] > b[2] end)
    assert.are.same(want, ranked(got))
    -- papers of the index only; an empty list
    local own = idx:recommend(LIB, { candidates = { mine[4].paper, mine[1].paper } })
    assert.are.same({ ranked(mine)[1], ranked(mine)[4] }, ranked(own))
    local none, ninfo = idx:recommend(LIB, { candidates = {} })
    assert.are.same({}, none)
    assert.are.equal(0, ninfo.candidates)
    -- the index itself as candidates: all its papers
    local whole = idx:recommend(LIB, { candidates = idx, limit = 3 })
    assert.are.same(ranked(idx:recommend(LIB, { query = { type = "all" }, limit = 3 })), ranked(whole))
  end)

  it("a Library resolved against an index is resolved again once the index is updated", function()
    local small = assert(ad.index({ D0513, D0520 }))
    local lib = assert(ad.library(LIB[1] .. "\n" .. LIB[2] .. "\n2011.10043\n", small))
    assert.are.equal(2, #lib)
    assert(small:update({ D0513, D0520, D0522, D1120 }))     -- newer papers: every doc number moves
    local got, info = small:recommend(lib, { query = "date:2020-05-22", limit = 1000 })
    assert.are.equal(3, info.library)                        -- 2011.10043 is in it now
    local fresh = assert(ad.index({ D0513, D0520, D0522, D1120 }))
    assert.are.same(ranked(fresh:recommend(assert(ad.library(LIB[1] .. "\n" .. LIB[2] .. "\n2011.10043\n")),
      { query = "date:2020-05-22", limit = 1000 })), ranked(got))
  end)

  it("raises clear errors naming the argument", function()
    local function err(opts, pat)
      assert.error_matches(function() idx:recommend(LIB, opts) end, pat)
    end
    err({ candidates = 42 },
      "bad argument #3 to 'recommend' %(candidates must be an Index or a list of papers, got number%)")
    err({ candidates = "2011.10043" }, "candidates must be an Index or a list of papers, got string")
    err({ candidates = ad.library("2011.10043\n") }, "candidates must be an Index or a list of papers, got a Library")
    err({ candidates = { "2011.10043" } },
      "bad argument #3 to 'recommend' %(candidates: item 1 is a string, a paper was expected%)")
    err({ candidates = { idx:get(LIB[1]), {} } }, "candidates: item 2 is a table, a paper was expected")
    err({ candidates = { cidx:get("2011.10043") }, query = "depth" },
      "bad argument #3 to 'recommend' %(query and a list of candidates exclude each other%)")
    local other = assert(ad.index("spec/fixtures/index"))
    err({ candidates = { cidx:get("2011.10043"), other:get("2006.00002") } },
      "candidates: papers of more than one other index")
    err({ candidates = cidx, query = 42 }, "query must be a query string, got number")
    local closed = assert(ad.index({ D1120 }))
    closed:close()
    err({ candidates = closed }, "bad argument #3 to 'recommend' %(candidates: the index is closed%)")
    -- a library paper of a third index
    assert.error_matches(function() idx:recommend({ other:get("2006.00002") }, { candidates = cidx }) end,
      "bad argument #2 to 'recommend' %(item 1 is a paper of another index%)")
    -- a pipeline ranks its own papers
    assert.error_matches(function() ad.from(idx):recommend(LIB, { candidates = cidx }) end,
      "bad argument #2 to 'recommend' %(candidates: a pipeline ranks its own papers")
    -- the core: a second index that is not one
    assert.error_matches(function() core.recommend(idx, { 0 }, nil, nil, { with = 42 }) end,
      "bad argument #5 to 'recommend' %(with must be an Index%)")
    assert.error_matches(function() core.recommend(idx, { 0 }, nil, nil, { with = closed }) end,
      "bad argument #5 to 'recommend' %(with: the index is closed%)")
    assert.error_matches(function() core.recommend(idx, { #idx + #cidx }, nil, nil, { with = cidx }) end,
      "item 1 is not a document number")
  end)

  it("never crashes on hostile core calls with a second index", function()
    local nd, nc = #idx, #cidx
    math.randomseed(11)
    local rnd = math.random
    local function docs(n)
      local t = {}
      for i = 1, n do t[i] = rnd(0, nd + nc - 1) end
      return t
    end
    for _ = 1, 60 do
      local lib, neg = docs(rnd(0, 20)), docs(rnd(0, 8))
      local cand = rnd(1, 4) == 1 and nil or docs(rnd(0, 200))
      local o = { limit = rnd(0, 50), offset = rnd(0, 10), papers = rnd(0, 6), terms = rnd(0, 10),
                  exact = rnd(0, 200), shortlist = rnd(1, 50), with = cidx,
                  text = rnd(1, 3) == 1 and "depth \255\0 defocus" or nil }
      local ok, hits, nlib = pcall(core.recommend, idx, lib, neg, cand, o)
      assert(ok, hits)
      local excluded = {}
      for _, d in ipairs(lib) do excluded[d] = true end
      for _, d in ipairs(neg) do excluded[d] = true end
      for i, h in ipairs(hits) do
        assert.is_nil(excluded[h.doc])
        assert.is_true(h.doc >= 0 and h.doc < nd + nc)
        if not cand then assert.is_true(h.doc >= nd) end
        for _, p in ipairs(h.papers) do assert.is_true(p.doc < nd + nc) end
        if i > 1 then assert.is_true(hits[i - 1].score >= h.score) end
      end
      assert.is_true(nlib <= #lib + 1)
    end
  end)
end)

describe("a recommendation model in a file", function()
  local idx, path, model
  setup(function()
    idx = assert(ad.index({ D0513, D0520, D0522 }))
    path = tmpname()
    model = tmpname()
    assert(idx:save(path))
  end)
  teardown(function()
    os.remove(path)
    os.remove(model)
  end)

  it("is written once, read by the same index saved and loaded, and ranks the same", function()
    local want = ranked(idx:recommend(LIB, { query = "date:2020-05-22", limit = 50 }))
    assert.is_true(idx:save_model(model))
    local loaded = assert(ad.load(path))
    assert.are.same({ true }, { loaded:load_model(model) })
    -- the model read (no sample vectors kept) gives the very same scores
    assert.are.same(want, ranked(loaded:recommend(LIB, { query = "date:2020-05-22", limit = 50 })))
    local day = assert(ad.index({ D1120 }))
    assert.are.same(ranked(idx:recommend(LIB, { candidates = day, limit = 50 })),
                    ranked(loaded:recommend(LIB, { candidates = day, limit = 50 })))
    -- and so does the local background (its sample papers' vectors made
    -- again), its share and size, narrowed or not, with a second index
    local lib = {}
    for _, id in ipairs(LIB) do lib[#lib + 1] = idx:get(id):_doc() end
    local function raw(ix, o)
      local t = { limit = 60, papers = 2, terms = 3 }
      for k, v in pairs(o) do t[k] = v end
      local out = {}
      for _, h in ipairs(core.recommend(ix, lib, nil, nil, t)) do out[#out + 1] = { h.doc, h.score, h.terms } end
      return out
    end
    local plain = raw(loaded, { ["local"] = 0 })
    for _, o in ipairs { {}, { ["local"] = 0 }, { ["local"] = 1, nlocal = 40 }, { exact = 0, shortlist = 30 },
                         { exact = 0, shortlist = 30, ["local"] = 0.5, nlocal = 7 }, { with = day },
                         { with = day, exact = 0, shortlist = 10 } } do
      local built = raw(idx, o)
      assert.is_true(#built > 0)
      assert.are.same(built, raw(loaded, o))
      if o["local"] ~= 0 and not o.with and not o.exact then assert.are_not.same(plain, built) end
    end
    -- written again from the loaded index: the same bytes
    local again = tmpname()
    assert.is_true(loaded:save_model(again))
    local f1, f2 = io.open(model, "rb"), io.open(again, "rb")
    assert.is_true(f1:read("a") == f2:read("a"))
    f1:close(); f2:close()
    os.remove(again)
    -- per weights: a model of other weights is another model
    local w = { au = 0 }
    assert.is_true(idx:save_model(again, { weights = w }))
    assert.are.same({ true }, { loaded:load_model(again, { weights = w }) })
    assert.are.same(ranked(idx:recommend(LIB, { query = "date:2020-05-22", weights = w })),
                    ranked(loaded:recommend(LIB, { query = "date:2020-05-22", weights = w })))
    os.remove(again)
    loaded:close()
  end)

  it("is refused, with why, for another index, other options, or a damaged file", function()
    assert.is_true(idx:save_model(model))
    local other = assert(ad.index({ D0513, D0520 }))
    local ok, reason = other:load_model(model)
    assert.is_false(ok)
    assert.are.equal(model .. ": made from an index with other contents", reason)
    ok, reason = idx:load_model(model, { weights = { au = 0 } })
    assert.is_false(ok)
    assert.are.equal(model .. ": made with other options", reason)
    ok, reason = idx:load_model(model .. ".none")
    assert.is_false(ok)
    assert.are.equal(model .. ".none: No such file or directory", reason)
    ok, reason = idx:load_model("/tmp")
    assert.is_false(ok)
    assert.matches("Is a directory", reason)
    local f = assert(io.open(model, "rb"))
    local good = f:read("a")
    f:close()
    local damaged = tmpname()
    local function try(bytes)
      local g = assert(io.open(damaged, "wb"))
      g:write(bytes)
      g:close()
      return idx:load_model(damaged)
    end
    local cases = {
      { "", "not a saved model" },
      { "hello\n", "not a saved model" },
      { good:sub(1, 200), "corrupted" },
      { good:sub(1, #good - 1), "corrupted" },
      { good .. "x", "corrupted" },
      { good:sub(1, 300) .. string.char((good:byte(301) + 1) % 256) .. good:sub(302), "corrupted" },
      -- version 1 (before the local background: no feature ids nor terms),
      -- version 2 (before categories were features), a later one
      { good:sub(1, 8) .. "\1\0\0\0" .. good:sub(13), "not a saved model of this version" },
      { good:sub(1, 8) .. "\2\0\0\0" .. good:sub(13), "not a saved model of this version" },
      { good:sub(1, 8) .. "\4\0\0\0" .. good:sub(13), "not a saved model of this version" },
      { ("\0"):rep(#good), "not a saved model" },
    }
    for i, c in ipairs(cases) do
      local okc, whyc = try(c[1])
      assert.is_false(okc, "case " .. i)
      assert.matches(c[2], whyc, 1, true)
    end
    os.remove(damaged)
    -- refused models change nothing: the index still ranks (its own model)
    assert.are.same(ranked(other:recommend(LIB, { limit = 5 })), ranked(other:recommend(LIB, { limit = 5 })))
  end)

  it("raises clear errors naming the argument; writes atomically", function()
    assert.error_matches(function() idx:save_model(42) end,
      "bad argument #2 to 'save_model' %(file name expected, got number%)")
    assert.error_matches(function() idx:save_model("") end, "file name expected, got an empty string")
    assert.error_matches(function() idx:load_model() end,
      "bad argument #2 to 'load_model' %(file name expected, got nil%)")
    assert.error_matches(function() idx:save_model(model, 5) end,
      "bad argument #3 to 'save_model' %(options table expected, got number%)")
    assert.error_matches(function() idx:load_model(model, { weights = { xx = 1 } }) end,
      "bad argument #3 to 'load_model' %(weights: unknown field xx")
    assert.error_matches(function() require("arxivdigest.recommend").save_model({}, model) end,
      "bad argument #1 to 'save_model' %(Index expected, got table%)")
    local ok, err = idx:save_model("/nonexistent-dir/m.model")
    assert.is_nil(ok)
    assert.matches("^/nonexistent%-dir/m%.model: ", err)
    local closed = assert(ad.index({ D1120 }))
    closed:close()
    assert.error_matches(function() closed:save_model(model) end, "index is closed")
    assert.error_matches(function() closed:load_model(model) end, "index is closed")
  end)

  it("is not reachable from a sandboxed script", function()
    local script = require "arxivdigest.script"
    local src = os.tmpname()
    local f = assert(io.open(src, "wb"))
    f:write([[local idx = ...
      return idx.save_model == nil, idx.load_model == nil, idx.save == nil, idx.recommend ~= nil]])
    f:close()
    local a, b, c, d = script.run(src, { sandbox = true }, idx)
    os.remove(src)
    assert.are.same({ true, true, true, true }, { a, b, c, d })
  end)
end)
