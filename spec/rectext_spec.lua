-- A loaded index reads the text of a paper's records on demand (issue 12:
-- a filter printing 20,000 papers read every file whole and kept it): the
-- file is read into a reused buffer and checked (size, hash) as before, and
-- only the records' bytes are kept (ad_rec_load, csrc/ad_corpus.c); a file
-- asked again once the buffers hold others is read whole, as it always was.
-- idx:_preload(papers) reads the records of a list in file order (the
-- pipeline does it before a built-in format renders). What any field says
-- must not change, whatever the order papers are read in.
local ad = require "arxivdigest"
local core = require "arxivdigest.core"

-- the sample (five files of about 40 papers) three times over (18 files in
-- all: more than the buffers a loaded index reads files into, so files are
-- read again; each paper then appears in three files) and the index
-- fixtures (both digest formats)
local FIXES = { { "examples/data", "a" }, { "examples/data", "b" }, { "examples/data", "c" },
  { "spec/fixtures/index", "." } }
local FIELDS = core.fields("merged")

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir -p " .. d))
  return d
end

-- every field of p as plain data (appearances and history are tables)
local function fields(p)
  local t = {}
  for _, f in ipairs(FIELDS) do t[f] = p[f] end
  return t
end

local function shuffled(list, seed)
  math.randomseed(seed)
  local out = {}
  for i, v in ipairs(list) do out[i] = v end
  for i = #out, 2, -1 do
    local j = math.random(i)
    out[i], out[j] = out[j], out[i]
  end
  return out
end

describe("a loaded index's records read on their own", function()
  local dir, adx, want, ids
  setup(function()
    dir = tmpdir()
    for _, fix in ipairs(FIXES) do
      assert(os.execute(string.format("mkdir -p %s/%s && cp -R %s/. %s/%s", dir, fix[2], fix[1], dir, fix[2])))
    end
    adx = dir .. "/x.adx"
    -- the reference: an index of an open Collection (its text all kept)
    local idx = assert(ad.index(assert(ad.open(dir))))
    assert(idx:save(adx))
    want, ids = {}, {}
    for p in idx:papers() do
      want[p.id] = fields(p)
      ids[#ids + 1] = p.id
    end
    assert.is_true(#ids > 50)
  end)
  teardown(function() os.execute("rm -rf " .. dir) end)

  it("gives every field of every paper, in index order", function()
    local idx = assert(ad.load(adx))
    local n = 0
    for p in idx:papers() do
      assert.same(want[p.id], fields(p), p.id)
      n = n + 1
    end
    assert.equal(#ids, n)
  end)

  for _, seed in ipairs({ 1, 2, 3 }) do
    it("gives every field in a shuffled order, one field at a time (seed " .. seed .. ")", function()
      local idx = assert(ad.load(adx))
      local order = shuffled(ids, seed)
      -- first one field of each paper (files read for single records, then
      -- read whole once asked again), then all of them
      for _, id in ipairs(order) do assert.same(want[id].abstract, idx:get(id).abstract, id) end
      for _, id in ipairs(shuffled(order, seed + 10)) do assert.same(want[id], fields(idx:get(id)), id) end
    end)
  end

  it("preloads a shuffled list in file order, and answers the same", function()
    local idx = assert(ad.load(adx))
    local list = {}
    for i, id in ipairs(shuffled(ids, 7)) do list[i] = idx:get(id) end
    -- what is not a paper of this index is passed over
    local other = assert(ad.load(adx))
    local mixed = { 1, "x", {}, other:get(ids[1]), true }
    for _, p in ipairs(list) do mixed[#mixed + 1] = p end
    idx:_preload(mixed)
    idx:_preload({})
    for _, p in ipairs(list) do assert.same(want[p.id], fields(p), p.id) end
    assert.same(want[ids[1]], fields(other:get(ids[1])))
  end)

  it("renders a ranked list as it renders it from the open Collection", function()
    local idx = assert(ad.load(adx))
    local ref = assert(ad.index(assert(ad.open(dir))))
    for _, fmt in ipairs({ "text", "markdown", "jsonl", "bibtex" }) do
      local a = ad.from(idx):query("depth OR segmentation OR nerf"):format(fmt):render()
      local b = ad.from(ref):query("depth OR segmentation OR nerf"):format(fmt):render()
      assert.is_true(#a > 1000, fmt)
      assert.equal(b, a, fmt)
    end
  end)

  it("refuses a file changed since it was indexed, read for a record or preloaded", function()
    local d2 = tmpdir()
    assert(os.execute(string.format("cp -R %s/. %s", dir, d2)))
    local idx2 = assert(ad.index(assert(ad.open(d2))))
    assert(idx2:save(d2 .. "/y.adx"))
    local idx = assert(ad.load(d2 .. "/y.adx"))
    local early = assert(ad.load(d2 .. "/y.adx"))
    local p = idx:search("depth", { limit = 1 })[1].paper
    local src = p.source
    -- a paper of the same file read (by another loaded index) before the change
    local before = early:get(p.id)
    local kept = before.abstract
    assert.is_string(kept)
    local f = assert(io.open(src, "rb")); local text = f:read("a"); f:close()
    f = assert(io.open(src, "wb")); f:write((text:gsub("a", "e"))); f:close()
    idx:_preload({ p })
    local ok, err = pcall(function() return p.abstract end)
    assert.is_false(ok)
    assert.matches("changed since it was indexed", err)
    ok, err = pcall(function() return p.title end)
    assert.is_false(ok)
    assert.matches("changed since it was indexed", err)
    -- what was read before the change is kept
    assert.equal(kept, before.abstract)
    os.execute("rm -rf " .. d2)
  end)
end)
