-- Regressions of the Lua binding (issue 11): the findings of the
-- adversarial pass, each checked against the current design, and what the
-- wrong-type matrix (spec/binding_matrix_spec.lua) and the tree fuzzer
-- (csrc/fuzz/fuzz_tree.c) found since. Tests that could crash run in a
-- child lua5.4 (with the ASan runtime under `make test-asan`), so that a
-- crash fails one test, not the suite.
local core = require "arxivdigest.core"
local query = require "arxivdigest.query"

local FILES = {"spec/fixtures/fuzz/scan", "examples/data"}

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- run a shell command, return its exit status and output
local function run(cmd)
  local f = assert(io.popen(cmd .. " 2>&1; echo \"::rc=$?\""))
  local out = f:read("a")
  f:close()
  local rc = tonumber(out:match("::rc=(%d+)%s*$"))
  return rc, (out:gsub("::rc=%d+%s*$", ""))
end

-- run Lua source in a child lua5.4 with this process's module paths
local function run_lua(src)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(src)
  f:close()
  local env = ""
  local rt = os.getenv("AD_ASAN_RT")
  if rt then env = "LD_PRELOAD=" .. shell_quote(rt) .. " ASAN_OPTIONS=detect_leaks=0 " end
  local pre = ("package.path=%q package.cpath=%q"):format(package.path, package.cpath)
  local rc, out = run(env .. "lua5.4 -e " .. shell_quote(pre) .. " " .. shell_quote(path))
  os.remove(path)
  return rc, out
end

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

