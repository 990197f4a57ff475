-- Regressions of the Lua binding (issue 11): the findings of the
-- adversarial pass, each checked against the current design, and what the
-- wrong-type matrix (spec/binding_matrix_spec.lua) and the tree fuzzer
-- (csrc/fuzz/fuzz_tree.c) found since. Tests that could crash run in a
-- child lua5.4 (with the ASan runtime under `make test-asan`), so that a
-- crash fails one test, not the suite.
local core = require "arxivdigest.core"
local ad = require "arxivdigest"
local query = require "arxivdigest.query"

local FILES = {"spec/fixtures/fuzz/scan", "examples/data"}


local H = dofile("spec/helper.lua")
local shell_quote, run, run_lua = H.shell_quote, H.sh, H.run_lua


local function ids(hits)
  local out = {}
  for i, h in ipairs(hits) do out[i] = h.paper.id .. "@" .. ("%.5f"):format(h.score) end
  return out
end

describe("binding: a query tree answers like its canonical text (found by fuzz_tree)", function()
  local c, idx
  setup(function()
    c = assert(core.open(FILES, {threads = 1}))
    idx = assert(core.index(c, {threads = 1}))
  end)
  teardown(function() idx:close(); c:close() end)

  -- the tree, its text through query.format, and both through the index
  local function same_answers(tree)
    local text = query.format(tree)
    assert.are.equal(idx:count(text), idx:count(tree), text)
    assert.are.same(ids(idx:search(text, {limit = 20})), ids(idx:search(tree, {limit = 20})), text)
    return text
  end

  it("a version node without min matches no paper without a version (format writes v:1+)", function()
    assert.are.equal("v:1+", same_answers{type = "version"})
    same_answers{type = "version", max = 1}
    same_answers{type = "not", {type = "version", max = 1}}
    -- the unversioned papers of the daily listings are not 'v:1'
    assert.is_true(idx:count{type = "version"} < #idx)
    -- a cheap filter too: select agrees with the Lua evaluator
    local listing = c:select{type = "version"}
    for _, i in ipairs(listing) do assert.is_not_nil(c[i].version) end
  end)

  it("a double negation scores like its operand, as the parser reads --x", function()
    local t = {type = "term", text = "segmentation"}
    assert.are.equal("--segmentation", same_answers{type = "not", {type = "and", {type = "not", t}}})
    same_answers{type = "not", {type = "not", t}}
    local deep = t
    for _ = 1, 20 do deep = {type = "not", {type = "or", deep}} end
    same_answers(deep)
    assert.is_true(idx:search(deep)[1].score > 0)
  end)

  it("a phrase with prefix = true is a phrase (format writes no prefix)", function()
    local tree = {type = "phrase", field = "abs", text = "state-of-the-art", prefix = true}
    assert.are.equal('abs:"state-of-the-art"', same_answers(tree))
    same_answers{type = "and", tree, tree}
  end)
end)

describe("binding: entry points that take a tree (found by the matrix)", function()
  it("core.index(list) names its own argument in errors, not 'arxivdigest.core.open'", function()
    local ok, e = pcall(function() return core.index({}) end)
    assert.is_false(ok)
    assert.truthy(e:find("bad argument #1 to 'index' (empty list of paths)", 1, true), e)
    ok, e = pcall(function() return core.index({1}) end)
    assert.is_false(ok)
    assert.truthy(e:find("bad argument #1 to 'index' (item 1 is a number", 1, true), e)
  end)

  it("the Listing finalizer refuses any other userdata (no crash through the registry)", function()
    local rc, out = run_lua([[
      local core = require "arxivdigest.core"
local ad = require "arxivdigest"
      local gc = debug.getregistry()["arxivdigest.Listing"].__gc
      local c = core.parse("### 1.T\n", "x.md")
      local ok, e = pcall(gc, c)
      assert(not ok and e:find("arxivdigest.Listing expected", 1, true), e)
      ok, e = pcall(gc, io.stdout)
      assert(not ok, e)
      print("survived")
    ]])
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("survived", 1, true), out)
  end)

  it("idx:save() checks self before the path", function()
    local idx = assert(core.index(core.parse("", "e.md"), {threads = 1}))
    local ok, e = pcall(function() return idx.save() end)
    assert.is_false(ok)
    assert.truthy(e:find("bad argument #1 to 'save'", 1, true), e)
    idx:close()
  end)

  it("idx:trend's periods add up to the count (room for one period per paper)", function()
    local c = assert(core.open(FILES, {threads = 1}))
    local idx = assert(core.index(c, {threads = 1}))
    local all = {type = "all"}
    for _, period in ipairs{"day", "month", "year"} do
      local sum = 0
      for _, p in ipairs(idx:trend(all, period)) do sum = sum + p.count end
      assert.are.equal(idx:count(all), sum)
    end
    idx:close(); c:close()
  end)
end)

describe("binding: the findings of issue 11", function()
  it("F5: a proxy tree whose 'type' read grows it is read raw, never overflows", function()
    local rc, out = run_lua([[
      local ad = require "arxivdigest"
      local c = assert(ad.open("examples/data/003_ce175d6736be5667.txt"))
      local idx = assert(ad.index(c))
      local function proxy()
        return setmetatable({}, {__index = function(t, k)
          if k == "type" then
            for i = 1, 2000 do rawset(t, i, {type = "all"}) end
            return "or"
          end
        end})
      end
      for name, f in pairs{count = function(q) return idx:count(q) end,
                           search = function(q) return idx:search(q) end,
                           trend = function(q) return idx:trend(q) end,
                           select = function(q) return c:select(q) end,
                           snippet = function(q) return require("arxivdigest.core").snippet("a b", q) end} do
        local ok, e = pcall(f, proxy())
        assert(not ok and tostring(e):find("query node without a type", 1, true), name .. ": " .. tostring(e))
      end
      -- the same tree, raw: 2000 children are fine
      local t = {type = "or"}
      for i = 1, 2000 do t[i] = {type = "all"} end
      assert(idx:count(t) == #idx)
      print("survived")
    ]])
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("survived", 1, true), out)
  end)

  it("F6: number texts under incremental GC give a clear error, no use-after-free", function()
    local rc, out = run_lua([[
      local ad = require "arxivdigest"
      local core = require "arxivdigest.core"
local ad = require "arxivdigest"
      local c = assert(ad.open("examples/data/003_ce175d6736be5667.txt"))
      local idx = assert(ad.index(c))
      collectgarbage("incremental", 1, 1000)
      local q = {type = "or"}
      for i = 1, 3000 do q[i] = {type = "term", text = 1e15 + 7.25 + i} end
      for name, f in pairs{count = function() return idx:count(q) end,
                           search = function() return idx:search(q, {limit = 5}) end,
                           snippet = function() return core.snippet("a b", q) end} do
        local ok, e = pcall(f)
        assert(not ok and tostring(e):find("'text' must be a string (got number)", 1, true),
               name .. ": " .. tostring(e))
      end
      local ok, e = pcall(c.select, c, {type = "or", {type = "cat", value = 1e15 + 7.25}})
      assert(not ok and tostring(e):find("value must be a string (got number)", 1, true), tostring(e))
      collectgarbage("incremental", 200, 100)
      print("survived")
    ]])
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("survived", 1, true), out)
  end)

  it("F7: a hit keeps its query terms in C: editing the hit table cannot crash snippet", function()
    local rc, out = run_lua([[
      local ad = require "arxivdigest"
      local core = require "arxivdigest.core"
local ad = require "arxivdigest"
      local idx = assert(ad.index("examples/data/003_ce175d6736be5667.txt"))
      local h = assert(idx:search("depth")[1])
      local want = h:snippet()
      assert(want:find("\u{AB}[Dd]epth\u{BB}"), want)
      h._query = {prefixes = 1}
      rawset(h, "_query", 1)
      assert(h:snippet() == want, "the hit's terms changed")
      h.paper = "not a paper"
      local ok, e = pcall(h.snippet, h)
      assert(not ok and tostring(e):find("hit without its paper", 1, true), tostring(e))
      ok, e = pcall(core.snippet, "t", {"a"}, 0)
      assert(not ok and tostring(e):find("query node without a type", 1, true), tostring(e))
      ok, e = pcall(core.snippet, "t", {type = "term", text = 1e15 + 7.25})
      assert(not ok and tostring(e):find("must be a string", 1, true), tostring(e))
      assert(core.snippet("the depth of it", "depth", "[", "]") == "the [depth] of it")
      print("survived")
    ]])
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("survived", 1, true), out)
  end)
end)

describe("binding: papers, hits and saved indexes (issue 11)", function()
  local function tmpdir()
    local d = os.tmpname()
    os.remove(d)
    assert(os.execute("mkdir -p " .. shell_quote(d)))
    return d
  end

  it("F8: after idx:update, a paper or hit taken before raises 'stale' or is itself, never another", function()
    local dir = tmpdir()
    assert(os.execute("cp examples/data/*.txt " .. shell_quote(dir)))
    local idx = assert(ad.index(dir, {threads = 1}))
    local papers, want = {}, {}
    for p in idx:papers() do papers[#papers + 1] = p; want[#papers] = p.id end
    local hits = idx:search("the", {limit = 1000})
    local hit_ids = {}
    for i, h in ipairs(hits) do hit_ids[i] = h.paper.id end
    assert.are.equal(210, #papers)
    assert.is_true(#hits > 100)
    assert(os.remove(dir .. "/002_3ae2b7cffb64a415.txt"))
    local r = assert(idx:update(dir))
    assert.are.equal(1, r.removed)
    local wrong, stale, same = {}, 0, 0
    local function check(get, id)
      local ok, v = pcall(get)
      if ok and v == id then same = same + 1
      elseif not ok and tostring(v):find("stale", 1, true) then stale = stale + 1
      else wrong[#wrong + 1] = id .. " -> " .. tostring(v) end
    end
    for i, p in ipairs(papers) do
      check(function() return p.id end, want[i])
      check(function() return p:totable().id end, want[i])
      check(function() return tostring(p):match("%((.-)%)") end, want[i])
    end
    for i, h in ipairs(hits) do
      check(function() return h.paper.id end, hit_ids[i])
      check(function() h:snippet(); return hit_ids[i] end, hit_ids[i])
    end
    assert.are.same({}, wrong)
    assert.is_true(stale > 0)
    -- the index itself answers for the new files, and its new papers are right
    assert.are.equal(#idx, idx:count{type = "all"})
    for p in idx:papers() do assert.are.equal(p.id, idx:get(p.id).id) end
    -- a loop over idx:papers() across an update says so (it said "the index
    -- was closed during the loop", of an index that is open)
    local it = idx:papers()
    assert(it())
    assert(os.execute("touch -d '2001-01-01' " .. shell_quote(dir .. "/000_21fb7b7deb0de965.txt")))
    assert(idx:update(dir))
    local ok, err = pcall(it)
    assert.is_false(ok)
    assert.matches("papers: the index was updated during the loop", tostring(err), 1, true)
    assert.is_true(#idx > 0)
    idx:close()
    os.execute("rm -rf " .. shell_quote(dir))
  end)

  it("F9: mp:record() without an argument is the best record's Paper", function()
    local c = assert(ad.open("examples/data", {threads = 1}))
    local idx = assert(ad.index(c, {threads = 1}))
    local n = 0
    for p in idx:papers() do
      local r = p:record()
      assert.are.equal("arxivdigest.Paper", getmetatable(r).__name)
      assert.are.equal(p.id, r.id)
      assert.are.equal(p.title, r.title)
      local first = p:record(1)
      assert.are.equal(p.id, first.id)
      n = n + 1
      if n == 20 then break end
    end
    idx:close(); c:close()
  end)

  it("idx:similar(a paper of another index) looks its id up, else uses its text", function()
    local both = assert(ad.index({"examples/data/000_21fb7b7deb0de965.txt",
                                    "examples/data/001_906e1fea553eeaa8.txt"}, {threads = 1}))
    local one = assert(ad.index("examples/data/001_906e1fea553eeaa8.txt", {threads = 1}))
    local only = assert(ad.index("examples/data/003_ce175d6736be5667.txt", {threads = 1}))
    local function list(hits)
      local out = {}
      for i, h in ipairs(hits) do out[i] = h.paper.id end
      return out
    end
    local n = 0
    for p in one:papers() do                 -- in both: the same as its own paper there
      local own = assert(both:get(p.id))
      local got = list(both:similar(p, 5))
      assert.are.same(list(both:similar(own, 5)), got)
      for _, id in ipairs(got) do assert.are_not.equal(p.id, id) end
      n = n + 1
      if n == 10 then break end
    end
    n = 0
    for p in only:papers() do                -- not in both: its title and abstract
      if not both:get(p.id) then
        assert.are.same(list(both:similar((p.title or "") .. " " .. (p.abstract or ""), 5)),
                        list(both:similar(p, 5)))
        n = n + 1
        if n == 5 then break end
      end
    end
    assert.are.equal(5, n)
    both:close(); one:close(); only:close()
  end)

  it("F12: a saved index is searched from another working directory (absolute paths)", function()
    local dir = tmpdir()
    local root = assert(io.popen("pwd")):read("l")
    local rc, out = run("bin/arxivdigest index build examples/data -o " .. shell_quote(dir .. "/x.adx"))
    assert.are.equal(0, rc, out)
    rc, out = run("cd " .. shell_quote(dir) .. " && " .. shell_quote(root .. "/bin/arxivdigest") ..
                  " search -i x.adx depth")
    os.execute("rm -rf " .. shell_quote(dir))
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("Depth Estimation", 1, true), out)
    assert.is_nil(out:find("No such file", 1, true), out)
  end)
end)

describe("binding: methods name themselves however they are called (review C17)", function()
  -- pcall(idx.search, idx, nil) said "bad argument #2 to '?'": Lua has no
  -- name for a function called from C. Every method of Index, Collection,
  -- MergedPaper and Hit (lad_newmethods, csrc/lad.c) then names itself and
  -- counts its arguments after self, as a method call does.
  local c, idx, closed, cc
  setup(function()
    c = assert(core.open(FILES, {threads = 1}))
    idx = assert(core.index(c, {threads = 1}))
    cc = assert(core.open(FILES, {threads = 1}))
    closed = assert(core.index(cc, {threads = 1}))
    closed:close()
  end)
  teardown(function() idx:close(); c:close(); cc:close() end)

  local function methods(obj)
    local mt = getmetatable(obj)
    local ix = mt.__index
    local t = {}
    if type(ix) == "table" then
      for k, v in pairs(ix) do if type(v) == "function" then t[k] = v end end
    else       -- an __index function over the method table (its upvalue 1)
      local _, tbl = debug.getupvalue(ix, 1)
      for k, v in pairs(tbl) do if type(v) == "function" and type(k) == "string" then t[k] = v end end
    end
    return t
  end

  it("a closed or wrong self: calling 'NAME' on bad self, for every Index method", function()
    local n = 0
    for name, m in pairs(methods(idx)) do
      local ok, err = pcall(m, 42)
      assert.is_false(ok, name)
      assert.are.equal("calling '" .. name .. "' on bad self (arxivdigest.Index expected, got number)", err)
      if name ~= "close" then
        ok, err = pcall(m, closed, "x")
        assert.is_false(ok, name)
        assert.are.equal("calling '" .. name .. "' on bad self (index is closed)", err)
      end
      n = n + 1
    end
    assert.is_true(n >= 18, n)      -- 15 C methods, recommend, save_model, load_model
  end)

  it("a bad argument after self: 'bad argument #N to NAME', N counted after self", function()
    local m = methods(idx)
    local CASES = {
      {"search", {nil}, "bad argument #1 to 'search' (query string or tree expected, got nil)"},
      {"search", {"x", {sort = 1}}, "bad argument #2 to 'search' (sort must be \"score\" or \"date\")"},
      {"count", {n = 0}, "bad argument #1 to 'count' (value expected)"},
      {"trend", {"x", "week"}, "bad argument #2 to 'trend' (invalid option 'week')"},
      {"get", {12}, "bad argument #1 to 'get' (string expected, got number)"},
      {"similar", {"x", -1}, "bad argument #2 to 'similar' (non-negative integer expected, got -1)"},
      {"similar", {true}, "bad argument #1 to 'similar' (id, text or paper expected, got boolean)"},
      {"df", {nil}, "bad argument #1 to 'df' (string expected, got nil)"},
      {"save", {nil}, "bad argument #1 to 'save' (string expected, got nil)"},
      {"update", {FILES, 5}, "bad argument #2 to 'update' (options table expected, got number)"},
      {"_preload", {5}, "bad argument #1 to '_preload' (table expected, got number)"},
    }
    for _, k in ipairs(CASES) do
      local f = assert(m[k[1]], k[1])
      local n = k[2].n or 2
      local ok, err = pcall(f, idx, table.unpack(k[2], 1, n))
      assert.is_false(ok, k[1])
      assert.are.equal(k[3], err)
      -- called with a computed key (Lua names it '?'): the same, with the position
      local ok2, err2 = pcall(function() return idx[k[1]](idx, table.unpack(k[2], 1, n)) end)
      assert.is_false(ok2)
      assert.are.equal("spec/binding_regress_spec.lua:", err2:sub(1, 30))
      assert.are.equal(k[3], err2:match("^[^:]*:%d+: (.*)$"))
    end
    -- the other types' methods too
    local cm = methods(c)
    local _, e1 = pcall(cm.select, c, nil)
    assert.are.equal("bad argument #1 to 'select' (query string or tree expected, got nil)", e1)
    local _, e2 = pcall(cm.papers, 5)
    assert.are.equal("calling 'papers' on bad self (arxivdigest.Collection expected, got number)", e2)
    local hit = idx:search("the", {limit = 1})[1]
    local _, e3 = pcall(methods(hit).snippet, 5)
    assert.truthy(e3:find("^calling 'snippet' on bad self"), e3)
    local mp = hit.paper
    local _, e4 = pcall(methods(mp).totable, 5)
    assert.truthy(e4:find("^calling 'totable' on bad self"), e4)
  end)

  it("keeps Lua's own messages when Lua knows a name (a method call, a local)", function()
    local s = idx.search
    local _, e = pcall(function() return s(idx, nil) end)
    assert.truthy(e:find("bad argument #2 to 's' (query string or tree expected, got nil)", 1, true), e)
    local _, e2 = pcall(function() idx:search(nil) end)
    assert.truthy(e2:find(":%d+: bad argument #1 to 'search' %(query string or tree expected, got nil%)$"), e2)
  end)
end)
