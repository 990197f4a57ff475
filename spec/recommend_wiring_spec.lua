-- Recommendations as the user reaches them: idx:recommend (a method of the
-- Index), the pipeline step ad.from(idx):recommend, the `arxivdigest
-- recommend` command with each of its options and failures,
-- examples/reports/for-me.lua, and a property test of the entry point.
local ad = require "arxivdigest"
local script = require "arxivdigest.script"

local FIX = "spec/fixtures/library/"
local CORPUS = os.getenv("ARXIVDIGEST_CORPUS") or "../shared/corpus/cs.CV-2019"

-- runs the command in-process: status, stdout, stderr (spec/helper.lua)
local H_ = dofile("spec/helper.lua")
local function run(...) return H_.run_cli({...}) end

local function count(s, pat) return select(2, s:gsub(pat, "")) end

local idx, adx
setup(function()
  idx = assert(ad.index(ad.sample()))
  adx = os.tmpname() .. ".adx"
  assert(idx:save(adx))
end)
teardown(function() if adx then os.remove(adx) end end)

local function ids(hits)
  local out = {}
  for i, h in ipairs(hits) do out[i] = h.paper.id end
  return out
end

describe("idx:recommend", function()
  it("is a method of every Index, loaded or built, like search", function()
    local loaded = assert(ad.load(adx))
    local a = idx:recommend({"2005.09623"}, {query = "cat:cs.CV", limit = 5})
    local b = loaded:recommend({"2005.09623"}, {query = "cat:cs.CV", limit = 5})
    assert.are.equal(5, #a)
    assert.are.same(ids(a), ids(b))
    for i = 1, 5 do
      assert.are.equal(a[i].score, b[i].score)
      assert.is_true(a[i].score >= (a[i + 1] or {score = -math.huge}).score)
      assert.are.equal("function", type(a[i].why))
      assert.are.equal(a[i].paper, idx:get(a[i].paper.id))
    end
    loaded:close()
    assert.error_matches(function() loaded:recommend({"2005.09623"}) end, "closed")
  end)

  it("returns the library's resolution: unmatched ids are listed, not fatal", function()
    local hits, info = idx:recommend({"2005.09623", "1706.03762", "arXiv:2011.10043"}, {query = "cat:cs.CV"})
    assert.is_true(#hits > 0)
    assert.are.same({"1706.03762"}, info.unmatched)
    assert.are.equal(2, info.library)
  end)

  it("refuses a list item that is not an arXiv id, naming it (it was listed as unmatched)", function()
    local ok, err = pcall(idx.recommend, idx, {"2005.09623", "semantic segmentation"}, {query = "cat:cs.CV"})
    assert.is_false(ok)
    assert.matches("bad argument #2 to 'recommend' (item 2 is not an arXiv id ('semantic segmentation'): "
      .. "a list holds ids and papers (free text goes alone, as the whole library))", err, 1, true)
    -- the pipeline step alike; an id in any form idx:get takes is an id
    assert.error_matches(function() ad.from(idx):recommend({"depth maps"}):count() end,
      "item 1 is not an arXiv id ('depth maps')", 1, true)
    local _, info = idx:recommend({"https://arxiv.org/abs/2005.09623v1", "1706.03762 (attention)"},
      {query = "cat:cs.CV"})
    assert.are.equal(1, info.library)
    assert.are.same({"1706.03762 (attention)"}, info.unmatched)
    assert.error_matches(function() idx:recommend({"2005.09623"}, {negative = {"2011.10043", "gans"}}) end,
      "bad argument #3 to 'recommend' (negative: item 2 is not an arXiv id ('gans'): a list holds ids and papers)",
      1, true)
  end)

  it("takes a Library read by ad.library, matched by id, DOI and title", function()
    local lib = assert(ad.library(FIX .. "zotero.bib"))
    local hits, info = idx:recommend(lib, {query = "cat:cs.CV", limit = 3})
    assert.are.equal(3, #hits)
    assert.are.equal(#lib, info.library)
    for _, id in ipairs(lib:ids()) do
      for _, h in ipairs(hits) do assert.are_not.equal(id, h.paper.id) end
    end
  end)

  it("lists a Library's entries not found in info.unmatched, as lib:unmatched() does (one source)", function()
    -- my-library.bib: four papers of the sample and a book
    local lib = assert(ad.library("examples/reports/my-library.bib"))
    local _, info = idx:recommend(lib, {query = "cat:cs.CV", limit = 3})
    assert.are.equal(4, info.library)
    assert.are.same(lib:unmatched(), info.unmatched)
    assert.are.equal(1, #info.unmatched)
    assert.are.equal("hartley_multiple_2004", info.unmatched[1].entry.key)
    -- with candidates from another index, an entry found there is not unmatched
    local archive = assert(ad.index({"examples/data/000_21fb7b7deb0de965.txt", "examples/data/001_906e1fea553eeaa8.txt"}))
    local today = assert(ad.index("examples/data/002_3ae2b7cffb64a415.txt"))
    local lib2 = assert(ad.library([[
@misc{a, eprint = {2005.09623}, archivePrefix = {arXiv}}
@misc{b, title = {Instance-aware Image Colorization}}
@book{c, title = {Multiple View Geometry in Computer Vision}}
]]))
    local _, info2 = archive:recommend(lib2, {candidates = today, limit = 3})
    assert.are.equal(2, info2.library)
    assert.are.equal(1, #info2.unmatched)
    assert.are.equal("c", info2.unmatched[1].entry.key)
    assert.are.equal(2, #lib2:unmatched())          -- against the archive alone: b and c
  end)

  it("raises a clear error on misuse, naming the argument", function()
    assert.error_matches(function() idx:recommend() end, "bad argument #2 to 'recommend'")
    assert.error_matches(function() idx:recommend({"2005.09623"}, 5) end, "options table expected")
    assert.error_matches(function() idx:recommend({"2005.09623"}, {limit = -1}) end, "limit must be")
    assert.error_matches(function() idx:recommend({"2005.09623"}, {query = "date:2020-13"}) end, "date")
    assert.error_matches(function() idx:recommend({}, {}) end, "no paper in this index")
    assert.error_matches(function() idx.recommend(nil, {"2005.09623"}) end, "Index expected")
  end)

  it("never crashes on random arguments (property test)", function()
    math.randomseed(13)
    local values = {
      function() return nil end, function() return 0 end, function() return -1 end,
      function() return 1e300 end, function() return 0 / 0 end, function() return "" end,
      function() return "2005.09623" end, function() return "cat:cs.CV" end,
      function() return "date:2020-05-20" end, function() return "\255\0\1" end,
      function() return ("x"):rep(100000) end, function() return {} end,
      function() return {"2005.09623", "2005.09623"} end, function() return {1, 2, 3} end,
      function() return {true} end, function() return {ti = 0, abs = 0, au = 0, co = 0} end,
      function() return {au = 0} end, function() return {ti = -1} end, function() return idx end,
      function() return idx:get("2005.09544") end, function() return setmetatable({}, {__index = function() error("hostile value", 0) end}) end,
    }
    local keys = {"query", "limit", "offset", "negative", "weights", "papers", "terms"}
    local function any() return values[math.random(#values)]() end
    for _ = 1, 400 do
      local opts = {}
      for _, k in ipairs(keys) do if math.random() < 0.4 then opts[k] = any() end end
      local lib = any()
      local ok, err = pcall(idx.recommend, idx, lib, math.random() < 0.9 and opts or any())
      if ok then
        assert.are.equal("table", type(err))
        for _, h in ipairs(err) do
          assert.are.equal("number", type(h.score))
          assert.is_true(h.score == h.score)
          local w = h:why()
          assert.are.equal("table", type(w.papers))
        end
      else
        assert.are.equal("string", type(err))
        assert.is_true(#err > 0)
      end
    end
  end)
end)

describe("pipeline :recommend", function()
  it("ranks like :rank: scores reach the format, limit, offset and groups work", function()
    local direct = idx:recommend({"2005.09623"}, {query = "cat:cs.CV", limit = 8})
    local p = ad.from(idx):query("cat:cs.CV"):recommend({"2005.09623"})
    local papers = p:limit(8):collect()
    assert.are.same(ids(direct), (function()
      local out = {}
      for i, x in ipairs(papers) do out[i] = x.id end
      return out
    end)())
    local second = p:limit(3, 2):collect()
    assert.are.equal(direct[3].paper.id, second[1].id)
    local groups = p:limit(8):group_by("date"):groups()
    local n = 0
    for _, g in ipairs(groups) do
      n = n + #g.papers
      for k = 2, #g.scores do assert.is_true(g.scores[k - 1] >= g.scores[k]) end
    end
    assert.are.equal(8, n)
    local text = p:limit(2):format("text"):render()
    assert.matches("score " .. string.format("%.3g", direct[1].score), text, 1, true)
  end)

  it("runs the pipeline's filters on the recommendations, and opts.query instead of the pipeline's", function()
    local all = ad.from(idx):recommend({"2005.09623"}, {query = "cat:cs.CV"}):collect()
    local kept = ad.from(idx):recommend({"2005.09623"}, {query = "cat:cs.CV"})
      :where(function(x) return x.title:find("Learning") ~= nil end):collect()
    assert.is_true(#kept > 0 and #kept < #all)
    for _, x in ipairs(kept) do assert.matches("Learning", x.title) end
  end)

  it("explains in text, markdown and html with explain = true", function()
    local p = ad.from(idx):recommend({"2005.09623"}, {query = "cat:cs.CV", explain = true}):limit(3)
    assert.are.equal(3, count(p:format("text"):render(), "Why: like "))
    assert.are.equal(3, count(p:format("markdown"):render(), "%- %*%*Why%*%*: like "))
    assert.are.equal(3, count(p:format("html"):render(), '<p class="why"><b>Why:</b> like '))
    local plain = ad.from(idx):recommend({"2005.09623"}, {query = "cat:cs.CV"}):limit(3)
    assert.are.equal(0, count(plain:format("text"):render(), "Why:"))
    -- review E34 (the why is there, after each summary: the review read the
    -- first 800 characters): grouped, and in the listing style too
    local grouped = ad.from(idx):query("cat:cs.CV"):recommend({"2005.09623"}, {explain = true})
      :limit(10):group_by("date")
    assert.are.equal(10, count(grouped:format("markdown"):render(), "%- %*%*Why%*%*: like "))
    assert.are.equal(3, count(p:format("markdown", {style = "listing"}):render(), ">  %*Why%*: like "))
  end)

  it("indexes a collection source once, and refuses other sources", function()
    local c = assert(ad.open(ad.sample()))
    local a = ad.from(c):recommend({"2005.09623"}, {query = "cat:cs.CV"}):limit(5):collect()
    local b = ad.from(idx):recommend({"2005.09623"}, {query = "cat:cs.CV"}):limit(5):collect()
    for i = 1, 5 do assert.are.equal(b[i].id, a[i].id) end
    assert.error_matches(function() ad.from({{id = "1"}}):recommend({"x"}) end, "index or a collection")
    assert.error_matches(function() ad.from(idx):recommend() end, "library expected")
    assert.error_matches(function() ad.from(idx):recommend({"2005.09623"}, 3) end, "options table")
    assert.error_matches(function() ad.from(idx):recommend({}):collect() end, "no paper in this index")
  end)
end)

describe("arxivdigest recommend", function()
  it("ranks the newest digest day against a library, from digest files or an index", function()
    local st, out, err = run("recommend", "--library", FIX .. "ids.txt", "-n", "5")
    assert.are.equal(0, st)
    assert.are.equal(5, count(out, "\n%[%d%] "))
    assert.matches("not an arXiv id: not%-an%-id", err)
    assert.matches("not in the index", err)
    local st2, out2 = run("recommend", "--library", FIX .. "ids.txt", "-n", "5", "-i", adx)
    assert.are.equal(0, st2)
    assert.are.equal(out, out2)
    for id in out:gmatch("\n    (%d+%.%d+) |") do assert.are.equal("2020-11-20", idx:get(id).date) end
  end)

  -- audit of issue 13: the warnings that matching adds (an entry naming the
  -- same paper as another, a title several papers have) were printed
  -- before the library was matched, so never shown
  it("says the library's warnings as file:line, those of reading and those of matching", function()
    for _, extra in ipairs{{}, {"-i", adx}} do
      local st, _, err = run("recommend", "--library", FIX .. "hostile.bib", "-n", "1", "-f", "{id}",
                             table.unpack(extra))
      assert.are.equal(0, st)
      for _, w in ipairs{
        "arxivdigest: " .. FIX .. "hostile.bib:14: malformed field in @article entry 'unbalanced': entry skipped\n",
        "arxivdigest: " .. FIX .. "hostile.bib:22: undefined macro 'undefinedmacro'\n",
        "arxivdigest: " .. FIX .. "hostile.bib:29: the same paper as the entry at line 28\n",
      } do
        assert.matches(w, err, 1, true)
      end
      local _, _, zerr = run("recommend", "--library", FIX .. "zotero.bib", "-n", "1", "-f", "{id}",
                             table.unpack(extra))
      assert.matches(FIX .. "zotero.bib:17: the same paper as the entry at line 1\n", zerr, 1, true)
    end
  end)

  -- audit of issue 13: a library of thousands of duplicated entries wrote
  -- 1,000 lines to stderr; as for the input, the first ones and a count,
  -- every one with --warnings
  it("says the first 10 of the library's warnings and how many more; --warnings lists them all", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    for i = 1, 30 do f:write(("@misc{k%d, eprint = {2005.09623}}\n"):format(i)) end
    f:close()
    local st, _, err = run("recommend", "--library", path, "-n", "1", "-f", "{id}", "-i", adx)
    assert.are.equal(0, st)
    assert.are.equal(10, count(err, "the same paper as the entry at line 1\n"))
    assert.matches(path .. ":2: the same paper as the entry at line 1\n", err, 1, true)
    assert.matches("arxivdigest: and 19 more warnings about " .. path .. "; --warnings lists them all\n", err, 1, true)
    local st2, _, err2 = run("recommend", "--library", path, "-n", "1", "-f", "{id}", "-i", adx, "--warnings")
    assert.are.equal(0, st2)
    assert.are.equal(29, count(err2, "the same paper as the entry at line 1\n"))
    assert.is_nil(err2:find("more warnings", 1, true))
    os.remove(path)
  end)

  -- audit of issue 13: -n 0 said "no candidate paper (empty index?)", exit 1
  it("-n 0 says how many papers are candidates, as search -n 0 says how many match", function()
    local st, out, err = run("recommend", "--like", "2005.09623", "-n", "0", "-i", adx)
    assert.are.equal(0, st)
    assert.are.equal("", out)
    assert.are.equal(("arxivdigest: %d candidate papers (none shown: -n 0)\n"):format(idx:count("date:2020-11-20")),
                     err)
    local st2, out2, err2 = run("recommend", "--like", "2005.09623", "-n", "0", "-q", "cat:cs.CV", "-i", adx)
    assert.are.equal(0, st2)
    assert.are.equal("", out2)
    assert.are.equal(("arxivdigest: %d candidate papers match 'cat:cs.CV' (none shown: -n 0)\n")
                     :format(idx:count("cat:cs.CV")), err2)
    local st3, _, err3 = run("recommend", "--like", "2005.09623", "-n", "0", "-q", "cat:no.such", "-i", adx)
    assert.are.equal(1, st3)
    assert.matches("no candidate paper matches 'cat:no.such'", err3, 1, true)
  end)

  it("uses the model kept beside a saved index (INDEX.model) when it fits, else builds and keeps one", function()
    local core = require "arxivdigest.core"
    local base = { "recommend", "--library", FIX .. "ids.txt", "-n", "8", "-i", adx }   -- (text: with scores)
    local function exists() local f = io.open(adx .. ".model", "rb"); if f then f:close() end; return f ~= nil end
    os.remove(adx .. ".model")
    local st0, want, err0 = run(table.unpack(base))
    assert.are.equal(0, st0)
    -- none beside it: built, and kept for the next runs
    assert.is_true(exists())
    assert.matches("kept the recommendation model in", err0, 1, true)
    local orig, loaded = core._rmodel_load, {}
    core._rmodel_load = function(...)
      local r = { orig(...) }
      loaded[#loaded + 1] = r[1]
      return table.unpack(r, 1, 2)
    end
    -- the command gives the very same ranking, and loaded the model or not
    local function same(was_loaded)
      loaded = {}
      local st, out = run(table.unpack(base))
      assert.are.equal(0, st); assert.are.equal(want, out)
      assert.are.same({ was_loaded }, loaded)
    end
    local ok, err = pcall(function()
      same(true)                                     -- the one kept: loaded
      assert(idx:save_model(adx .. ".model", { weights = { au = 0 } }))
      same(false)                                    -- made with other options: not used, replaced
      same(true)
      local f = assert(io.open(adx .. ".model", "wb")); f:write("not a model"); f:close()
      same(false)                                    -- damaged: not used, replaced
      same(true)
      -- --no-authors asks for the model made with authors ignored, and
      -- never replaces the default one
      assert(idx:save_model(adx .. ".model", { weights = { au = 0 } }))
      loaded = {}
      assert.are.equal(0, run("recommend", "--library", FIX .. "ids.txt", "-n", "8", "--no-authors", "-i", adx))
      assert.are.same({ true }, loaded)
      assert(idx:save_model(adx .. ".model"))
      loaded = {}
      assert.are.equal(0, run("recommend", "--library", FIX .. "ids.txt", "-n", "8", "--no-authors", "-i", adx))
      assert.are.same({ false }, loaded)
      same(true)                                     -- (still the default one)
    end)
    core._rmodel_load = orig
    os.remove(adx .. ".model")
    assert(ok, err)
  end)

  it("says an unknown --like id before building or keeping any model (review D28)", function()
    local path = os.tmpname() .. ".adx"
    assert(idx:save(path))
    os.remove(path .. ".model")
    local built = 0
    local core = require "arxivdigest.core"
    local orig = core._rmodel_dump
    core._rmodel_dump = function(...) built = built + 1; return orig(...) end
    local st, _, err = run("recommend", "--like", "9999.99999", "-i", path)
    core._rmodel_dump = orig
    assert.are.equal(1, st)
    assert.matches("--like 9999.99999: not in the index", err, 1, true)
    assert.are.equal(0, built)
    local f = io.open(path .. ".model", "rb")
    if f then f:close() end
    assert.is_nil(f)
    os.remove(path); os.remove(path .. ".model")
  end)

  it("refuses one paper both liked and disliked (any form of its id)", function()
    local st, out, err = run("recommend", "--like", "2005.09623", "--dislike", "arXiv:2005.09623v1")
    assert.are.equal(2, st)
    assert.are.equal("", out)
    assert.matches("--like 2005.09623 and --dislike arXiv:2005.09623v1 name the same paper", err, 1, true)
  end)

  it("tells an argument that is no arXiv id from an id the index lacks (--like, --dislike)", function()
    local st, _, err = run("recommend", "--like", "foo")
    assert.are.equal(1, st)
    assert.matches("--like foo: not an arXiv id", err, 1, true)
    st, _, err = run("recommend", "--like", "foo", "--like", "9999.99999")
    assert.are.equal(1, st)
    assert.matches("--like foo: not an arXiv id; --like 9999.99999: not in the index", err, 1, true)
    local out
    st, out, err = run("recommend", "--like", "2005.09623", "--dislike", "bar", "--dislike", "9999.99999")
    assert.are.equal(0, st)
    assert.truthy(#out > 0)
    assert.matches("--dislike bar: not an arXiv id", err, 1, true)
    assert.matches("--dislike 9999.99999: not in the index", err, 1, true)
  end)

  it("report -i INDEX keeps the model a :recommend step built, as recommend -i does (review D27)", function()
    local path = os.tmpname() .. ".adx"
    assert(idx:save(path))
    os.remove(path .. ".model")
    local function exists() local f = io.open(path .. ".model", "rb"); if f then f:close() end; return f ~= nil end
    -- a report without a recommendation builds no model and keeps none
    local st0 = run("report", "examples/reports/daily.lua", "-i", path, "--settings", "examples/reports/interests.lua")
    assert.are.equal(0, st0)
    assert.is_false(exists())
    local st1, out1, err1 = run("report", "examples/reports/for-me.lua", "-i", path,
                                "--settings", "examples/reports/interests.lua")
    assert.are.equal(0, st1)
    assert.is_true(exists())
    assert.matches("kept the recommendation model in " .. path .. ".model", err1, 1, true)
    -- the next run reads it (nothing built, so nothing kept again): the same report
    local st2, out2, err2 = run("report", "examples/reports/for-me.lua", "-i", path,
                                "--settings", "examples/reports/interests.lua")
    assert.are.equal(0, st2)
    assert.are.equal(out1, out2)
    assert.is_nil(err2:find("kept the recommendation model", 1, true))
    os.remove(path); os.remove(path .. ".model")
  end)

  it("report --sandbox -i INDEX keeps the model its :recommend step built, written by the command", function()
    local path = os.tmpname() .. ".adx"
    assert(idx:save(path))
    os.remove(path .. ".model")
    local function exists() local f = io.open(path .. ".model", "rb"); if f then f:close() end; return f ~= nil end
    local for_me = { "report", "examples/reports/for-me.lua", "-i", path,
                     "--settings", "examples/reports/interests.lua" }
    local sandboxed = { table.unpack(for_me) }
    sandboxed[#sandboxed + 1] = "--sandbox"
    -- a sandboxed report without a recommendation keeps none
    assert.are.equal(0, (run("report", "examples/reports/daily.lua", "-i", path, "--sandbox",
                             "--settings", "examples/reports/interests.lua")))
    assert.is_false(exists())
    local st1, out1, err1 = run(table.unpack(sandboxed))
    assert.are.equal(0, st1)
    assert.is_true(exists())
    assert.matches("kept the recommendation model in " .. path .. ".model", err1, 1, true)
    -- the very file the unsandboxed run keeps (the same model, the same bytes)
    local kept = H_.read(path .. ".model")
    os.remove(path .. ".model")
    local st2, out2 = run(table.unpack(for_me))
    assert.are.equal(0, st2)
    assert.are.equal(out1, out2)
    assert.are.equal(kept, H_.read(path .. ".model"))
    -- the next sandboxed run reads it (nothing built, nothing kept again)
    local st3, out3, err3 = run(table.unpack(sandboxed))
    assert.are.equal(0, st3)
    assert.are.equal(out1, out3)
    assert.is_nil(err3:find("kept the recommendation model", 1, true))
    os.remove(path); os.remove(path .. ".model")
  end)

  it("a sandbox's model reaches INDEX.model only when built there with the default options", function()
    local path = os.tmpname() .. ".adx"
    assert(idx:save(path))
    local loaded = assert(ad.load(path))
    local core = require "arxivdigest.core"
    local dir = H_.tmpdir({
      ["plain.lua"] = "return function(ad, args) return args.source:recommend({'2005.09623'}) end\n",
      ["noauthors.lua"] = "return function(ad, args)\n"
        .. "  return args.source:recommend({'2005.09623'}, {weights = {au = 0}}) end\n",
      ["none.lua"] = "return function(ad, args) return args.source:limit(1) end\n"})
    local function sandboxed(name)
      local pipe = assert(script.report(dir .. "/" .. name, { sandbox = true, source = loaded }))
      pipe:format("text"):collect()
      return pipe.sb
    end
    assert.is_nil(core._rmodel_sandboxed(sandboxed("none.lua"), loaded))     -- no recommendation: none
    assert.is_nil(core._rmodel_sandboxed(sandboxed("noauthors.lua"), loaded)) -- other options: none
    local sb = sandboxed("plain.lua")
    local bytes = assert(core._rmodel_sandboxed(sb, loaded))
    assert.are.equal(core._rmodel_dump(assert(ad.load(path))), bytes)        -- what save_model writes
    assert.is_nil(core._rmodel_sandboxed(sb, idx))                           -- another index: none
    assert.has_error(function() core._rmodel_sandboxed(loaded, loaded) end)
    -- a model the sandbox read from INDEX.model is not written again
    assert(loaded:save_model(path .. ".model"))
    assert.is_nil(core._rmodel_sandboxed(sandboxed("plain.lua"), assert(ad.load(path))))
    os.execute("rm -rf " .. H_.shell_quote(dir))
    os.remove(path); os.remove(path .. ".model")
  end)

  it("core._rmodel_sandboxed: a finalizer that closes the sandbox while the bytes are allocated", function()
    -- the found model lives in the sandbox's state: a host finalizer run by
    -- the allocation of the result's buffer may close that state (review
    -- w21: the model was then read after lua_close freed it)
    local path = os.tmpname() .. ".adx"
    assert(idx:save(path))
    local loaded = assert(ad.load(path))
    local core = require "arxivdigest.core"
    local dir = H_.tmpdir({
      ["plain.lua"] = "return function(ad, args) return args.source:recommend({'2005.09623'}) end\n"})
    local pipe = assert(script.report(dir .. "/plain.lua", { sandbox = true, source = loaded }))
    pipe:format("text"):collect()
    local sb, fn = pipe.sb, core._rmodel_sandboxed
    assert.is_string(fn(sb, loaded))
    collectgarbage()
    -- finalizers pending (some already run), the collector stopped in
    -- their phase: the next allocation of the host runs the others; the
    -- first of them inside the call closes the sandbox
    local armed, ran, inside = false, 0, false
    local mt = { __gc = function()
      ran = ran + 1
      if armed and not inside and debug.getinfo(2, "f").func == fn then
        inside = true
        sb:close()
      end
    end }
    local pad = {}
    for i = 1, 2000 do pad[i] = i end
    for _ = 1, 1000 do setmetatable({}, mt) end
    collectgarbage("incremental", 100, 100, 0)
    while ran == 0 do collectgarbage("step", 0) end
    collectgarbage("stop")
    -- (a stack grown now: the call's own frame allocates nothing)
    assert.are.equal(2000, select("#", table.unpack(pad)))
    armed = true
    collectgarbage("restart")
    local ok, err = pcall(fn, sb, loaded)
    collectgarbage("incremental", 200, 100, 13)
    collectgarbage()
    assert.are.equal(1000, ran)
    assert.is_true(inside)
    assert.is_false(ok)
    assert.matches("sandbox is closed", err, 1, true)
    os.execute("rm -rf " .. H_.shell_quote(dir))
    os.remove(path)
  end)

  it("a loaded index reads the model kept beside it (INDEX.model) when it fits, else builds it", function()
    local path = os.tmpname() .. ".adx"
    assert(idx:save(path))
    local lib, q = { "2005.09623" }, { query = "cat:cs.CV", limit = 10 }
    local function ranking(i)
      local hits, info = i:recommend(lib, q)
      local t = {}
      for k, h in ipairs(hits) do t[k] = h.paper.id .. " " .. h.score end
      return table.concat(t, "\n"), info.model
    end
    local want, how = ranking(assert(ad.load(path)))
    assert.are.equal("built", how)                 -- none beside it
    local _, again = ranking(assert(ad.load(path)))
    assert.are.equal("built", again)               -- the API writes no file
    assert(idx:save_model(path .. ".model"))
    local loaded = assert(ad.load(path))
    local got, how2 = ranking(loaded)
    assert.are.equal("kept", how2)
    assert.are.equal(want, got)                    -- the same scores
    assert.are.equal("cached", select(2, ranking(loaded)))
    local f = assert(io.open(path .. ".model", "wb")); f:write("not a model"); f:close()
    local got3, how3 = ranking(assert(ad.load(path)))
    assert.are.equal("built", how3)                -- damaged: built
    assert.are.equal(want, got3)
    assert(idx:save_model(path .. ".model", { weights = { au = 0 } }))
    assert.are.equal("built", select(2, ranking(assert(ad.load(path)))))   -- other options
    os.remove(path); os.remove(path .. ".model")
  end)

  it("says what is wrong with --since and --days", function()
    local s1, _, e1 = run("recommend", "--like", "2005.09623", "--since", "2020-13-45")
    assert.are.equal(2, s1)
    assert.matches("option '--since' needs a real date (got '2020-13-45')", e1, 1, true)
    local s2, _, e2 = run("recommend", "--like", "2005.09623", "--days", "3")
    assert.are.equal(2, s2)
    assert.matches("option '--days' goes with --evaluate", e2, 1, true)
  end)

  it("--evaluate names the baseline better only when it found something", function()
    local verdict = require("arxivdigest.cmd.recommend")._verdict
    local function r(m, c) return { method = { recall = m }, centroid = { recall = c }, hidden = 10, k = 50 } end
    assert.matches("^no hidden paper came back", verdict(r(0, 0)))        -- a tie at nothing
    assert.matches("^the baseline does better", verdict(r(0, 0.2)))
    assert.matches("^the baseline does better", verdict(r(0.3, 0.5)))
    assert.matches("^5 of 10 hidden papers came back in the first 50", verdict(r(0.5, 0.5)))
  end)

  it("--like, --dislike, -q, --since, -f, -o", function()
    local st, out = run("recommend", "--like", "2005.09623", "--like", "2011.10043", "-q", "cat:cs.CV",
      "-f", "{id}", "-n", "50", "-i", adx)
    assert.are.equal(0, st)
    local list = {}
    for id in out:gmatch("[^\n]+") do list[#list + 1] = id end
    assert.are.equal(50, #list)
    assert.is_nil(out:find("2005.09623", 1, true))
    local st2, out2 = run("recommend", "--like", "2005.09623", "--like", "2011.10043", "--dislike", list[1],
      "-q", "cat:cs.CV", "-f", "{id}", "-n", "50", "-i", adx)
    assert.are.equal(0, st2)
    assert.is_nil(out2:find(list[1], 1, true))
    local _, since = run("recommend", "--like", "2005.09623", "--since", "2020-11-01", "-f", "{date}", "-n", "100", "-i", adx)
    for d in since:gmatch("[^\n]+") do assert.is_true(d >= "2020-11-01") end
    local path = os.tmpname() .. ".html"
    local st3 = run("recommend", "--like", "2005.09623", "--explain", "-o", path, "-i", adx)
    assert.are.equal(0, st3)
    local html = assert(io.open(path)):read("a")
    os.remove(path)
    assert.matches('<p class="why">', html, 1, true)
    for _, fmt in ipairs{"jsonl", "csv", "bibtex", "atom", "markdown"} do
      local s, o = run("recommend", "--like", "2005.09623", "-f", fmt, "-n", "2", "-i", adx)
      assert.are.equal(0, s)
      assert.is_true(#o > 0)
    end
  end)

  it("--explain shows the library papers and the terms, in text and markdown", function()
    local st, out = run("recommend", "--library", FIX .. "zotero.bib", "--explain", "-n", "3", "-i", adx)
    assert.are.equal(0, st)
    assert.are.equal(3, count(out, "Why: like "))
    assert.matches("terms: ", out)
    local _, md = run("recommend", "--library", FIX .. "zotero.bib", "--explain", "-n", "3", "-f", "markdown", "-i", adx)
    assert.are.equal(3, count(md, "%*%*Why%*%*"))
  end)

  it("--evaluate prints recall@k and nDCG@k beside the tf-idf centroid", function()
    local lib = os.tmpname()
    local f = assert(io.open(lib, "w"))
    -- papers of the older days (the library) and of the newest (hidden)
    local n = 0
    for p in idx:papers() do
      if p.date < "2020-11-20" and n < 30 and p.title:find("[Ss]egmentation") then f:write(p.id, "\n"); n = n + 1 end
      if p.date == "2020-11-20" and p.title:find("[Ss]egmentation") then f:write(p.id, "\n") end
    end
    f:close()
    local st, out = run("recommend", "--library", lib, "--evaluate", "--days", "1", "-n", "10", "-i", adx)
    assert.are.equal(0, st)
    assert.matches("recall@10", out, 1, true)
    assert.matches("arxivdigest%s+%d%.%d+%s+%d%.%d+", out)
    assert.matches("tf%-idf centroid%s+%d%.%d+%s+%d%.%d+", out)
    local st2, js = run("recommend", "--library", lib, "--evaluate", "--days", "1", "-f", "jsonl", "-i", adx)
    assert.are.equal(0, st2)
    local r = require("arxivdigest.json").decode(js)
    assert.are.equal(1, r.days)
    assert.is_true(r.method.recall >= 0 and r.method.recall <= 1)
    os.remove(lib)
    -- a library of the newest day only: nothing to learn from
    local st3, out3 = run("recommend", "--like", "2011.10043", "--evaluate", "--days", "1", "-i", adx)
    assert.are.equal(1, st3)
    assert.matches("not measured", out3)
  end)

  it("fails clearly: no library, none matched, bad options, unreadable files", function()
    local none = os.tmpname()
    local fh = assert(io.open(none, "w"))
    fh:write("@book{hartley, title = {Multiple View Geometry}}\n@misc{x, eprint = {1706.03762}}\n@article{broken, title = {oops\n")
    fh:close()
    local empty = os.tmpname()
    local cases = {
      {{"recommend", "--library", none, "-i", adx}, 1, "none of its 2 entries is in the index"},
      {{"recommend", "--library", empty, "-i", adx}, 1, "none of its 0 entries"},
      {{"recommend"}, 2, "needs a library"},
      {{"recommend", "--like", "9999.99999"}, 1, "not in the index"},
      {{"recommend", "--library", "/nonexistent/my.bib"}, 1, "/nonexistent/my.bib"},
      {{"recommend", "--like", "2005.09623", "--since", "yesterday"}, 2, "needs a date"},
      {{"recommend", "--like", "2005.09623", "--since", "2020-01-01", "-q", "x"}, 2, "not both"},
      {{"recommend", "--like", "2005.09623", "-q", "date:2020-13"}, 2, "bad query"},
      {{"recommend", "--like", "2005.09623", "-f", "csv", "--explain"}, 2, "text, markdown and html"},
      {{"recommend", "--like", "2005.09623", "--evaluate", "-q", "x"}, 2, "no %-q"},
      {{"recommend", "--like", "2005.09623", "--evaluate", "-f", "html"}, 2, "text or jsonl"},
      {{"recommend", "--like", "2005.09623", "-n", "x"}, 2, "non%-negative integer"},
      {{"recommend", "--like", "2005.09623", "-q", "cat:nothing.here"}, 1, "no candidate"},
      {{"recommend", "--like", "2005.09623", "--days"}, 2, "needs a value"},
      {{"recommend", "--like", "2005.09623", "-i", "/nonexistent.adx"}, 1, "nonexistent"},
    }
    for _, c in ipairs(cases) do
      local st, _, err = run(table.unpack(c[1]))
      assert.are.equal(c[2], st, table.concat(c[1], " ") .. ": " .. err)
      assert.matches(c[3], err)
    end
    os.remove(none); os.remove(empty)
  end)

  it("has --help", function()
    local st, out = run("recommend", "--help")
    assert.are.equal(0, st)
    for _, o in ipairs{"--library", "--like", "--dislike", "--query", "--since", "--explain", "--evaluate"} do
      assert.matches(o, out, 1, true)
    end
  end)
end)

describe("examples/reports/for-me.lua", function()
  local R = "examples/reports/for-me.lua"
  it("gives the day's top 20 for a library, with why", function()
    local p = assert(script.report(R, {source = idx, args = {library = FIX .. "zotero.bib"}}))
    local out = p:render()
    assert.matches("^# For me, 2020%-11%-20", out)
    assert.are.equal(20, count(out, "\n%d+%. %*%*"))
    assert.are.equal(20, count(out, "\n   Why: like "))
  end)

  it("counts the library papers found in the input and says how many entries were not", function()
    -- my-library.bib: five entries, four papers of the sample and a book
    local out = assert(script.report(R, {source = idx, args = {library = "examples/reports/my-library.bib"}}))
      :render()
    assert.truthy(out:find("closest to my library of 4 papers, best first. "
      .. "1 more entry of the library is not in the input.\n", 1, true), out)
    local out2 = assert(script.report(R, {source = idx, args = {ids = "2005.09623, 1706.03762, 1512.03385"},
      sandbox = true})):render()
    assert.truthy(out2:find("closest to my library of 1 paper, best first. "
      .. "2 more entries of the library are not in the input.\n", 1, true), out2)
    local out3 = assert(script.report(R, {source = idx, args = {ids = "2005.09623 2011.10043"}})):render()
    assert.truthy(out3:find("closest to my library of 2 papers, best first.\n", 1, true), out3)
  end)

  it("takes ids (in the sandbox too), and says what is missing", function()
    local p = assert(script.report(R, {source = idx, args = {ids = "2005.09623, 2011.10043", limit = "5"},
      sandbox = true}))
    assert.are.equal(5, count(p:render(), "\n%d+%. %*%*"))
    local ok, err = pcall(script.report, R, {source = idx, args = {}})
    if ok then ok, err = pcall(function() return err:render() end) end
    assert.is_false(ok)
    assert.matches("no library", tostring(err))
    local st, out = run("report", R, "-i", adx, "--settings", "examples/reports/interests.lua")
    assert.are.equal(0, st)
    assert.matches("Why: like", out, 1, true)
  end)
end)

describe("recommend on the 2019 corpus (command)", function()
  local f = io.open(CORPUS .. "/01/20190101.md", "rb")
  if not f then
    pending("corpus not found at " .. CORPUS .. " (set ARXIVDIGEST_CORPUS): skipped")
    return
  end
  f:close()
  it("recommends the whole archive against a library and evaluates it", function()
    local big = assert(ad.index(CORPUS))
    local path = os.tmpname() .. ".adx"
    assert(big:save(path))
    local lib = os.tmpname()
    local fh = assert(io.open(lib, "w"))
    for h in ipairs(big:search("gaussian OR nerf OR \"radiance fields\"", {limit = 200})) do
      fh:write(big:search("gaussian OR nerf OR \"radiance fields\"", {limit = 200})[h].paper.id, "\n")
    end
    fh:close()
    local st, out = run("recommend", "--library", lib, "-q", "year:2019", "-n", "10", "-f", "{id}", "-i", path)
    assert.are.equal(0, st)
    assert.are.equal(10, count(out, "\n"))
    local st2, ev = run("recommend", "--library", lib, "--evaluate", "-i", path)
    assert.are.equal(0, st2)
    assert.matches("arxivdigest", ev)
    os.remove(lib); os.remove(path)
  end)
end)
