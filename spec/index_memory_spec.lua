-- An index built from paths does not keep the text of its files (issue 15,
-- bounded memory): each file's text is released once the papers that need
-- it are tokenized, and read again on demand (size and hash checked), as a
-- loaded index reads it. What it answers must not change.
local ad = require "arxivdigest"

local FIX = "spec/fixtures/index"

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir -p " .. d))
  return d
end

local FIELDS = { "id", "title", "abstract", "authors", "comments", "categories", "date", "version" }

local function same_papers(a, b)
  local n = 0
  for p in a:papers() do
    local q = b:get(p.id)
    assert.is_not_nil(q, p.id)
    for _, f in ipairs(FIELDS) do assert.same(q[f], p[f], p.id .. " " .. f) end
    n = n + 1
  end
  assert.is_true(n > 0)
  return n
end

local QUERIES = { "depth", '"neural radiance fields"', "segment*", "zero-shot", "au:muller",
  "cat:cs.LG", "has:code", "depth year:2020", "segmentation AND (medical OR mri)" }

local function same_hits(a, b)
  for _, q in ipairs(QUERIES) do
    local ha, hb = a:search(q, { limit = 50 }), b:search(q, { limit = 50 })
    assert.equal(#ha, #hb, q)
    for i = 1, #ha do
      assert.equal(ha[i].paper.id, hb[i].paper.id, q)
      assert.equal(ha[i].score, hb[i].score, q)
      assert.equal(ha[i]:snippet(), hb[i]:snippet(), q)
    end
  end
end

describe("index from paths (text not kept)", function()
  local dir
  before_each(function()
    dir = tmpdir()
    assert(os.execute(string.format("cp -R %s/. %s", FIX, dir)))
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  -- On a real year (many files over many 2 MiB pages of text, so that the
  -- tokenizing threads do release text while the others still work): the
  -- same bytes from a path in 1, 3 and 8 threads as from the Collection.
  it("releases each file's text only after its last reader, in any thread count", function()
    local CORPUS = "../shared/corpus/cs.CV-2019"
    if not io.open(CORPUS .. "/01/20190101.md") then
      pending("needs ../shared/corpus/cs.CV-2019")
      return
    end
    local tmp = tmpdir()
    assert(ad.index(assert(ad.open(CORPUS)), { threads = 1 }):save(tmp .. "/coll.adx"))
    local f = io.open(tmp .. "/coll.adx", "rb")
    local want = f:read("a")
    f:close()
    for _, threads in ipairs({ 1, 3, 8 }) do
      assert(ad.index(CORPUS, { threads = threads, _parallel_min_docs = 0 }):save(tmp .. "/p.adx"))
      f = io.open(tmp .. "/p.adx", "rb")
      local got = f:read("a")
      f:close()
      assert.is_true(got == want, "threads = " .. threads)
    end
    os.execute("rm -rf " .. tmp)
  end)

  -- (3 and 8: more builders and encoding threads than two; 8 is the most
  -- that tokenize and encode, AD_MAXPAR)
  for _, threads in ipairs({ 1, 2, 3, 8 }) do
    it("answers like an index of an open Collection, threads = " .. threads, function()
      local opts = { threads = threads, _parallel_min_docs = 0 }
      local c = assert(ad.open(dir))
      local from_coll = assert(ad.index(c, opts))
      local from_path = assert(ad.index(dir, opts))
      same_papers(from_coll, from_path)
      same_hits(from_coll, from_path)
      -- and the saved files are the same bytes
      assert(from_coll:save(dir .. "/a.adx")); assert(from_path:save(dir .. "/b.adx"))
      local fa, fb = io.open(dir .. "/a.adx", "rb"), io.open(dir .. "/b.adx", "rb")
      local sa, sb = fa:read("a"), fb:read("a")
      fa:close(); fb:close()
      assert.is_true(sa == sb)
      -- the Collection given by the caller keeps its text
      assert.is_true(#c > 0)
      assert.is_string(c[1].title)
    end)
  end

  it("reads a file again on demand, and refuses one changed since", function()
    local idx = assert(ad.index(dir, { threads = 1 }))
    local files = idx:files()
    assert.is_true(#files > 0)
    local p = idx:search("depth", { limit = 1 })[1].paper
    local src = p.source
    assert.is_string(p.abstract)
    -- rewrite the paper's file with other bytes: its text cannot be shown
    local f = assert(io.open(src, "rb")); local text = f:read("a"); f:close()
    local other = ad.index(dir, { threads = 1 })
    local q = other:get(p.id)
    f = assert(io.open(src, "wb")); f:write((text:gsub("a", "e"))); f:close()
    local ok, err = pcall(function() return q.abstract end)
    assert.is_false(ok)
    assert.matches("changed since it was indexed", err)
    -- an update of the index reads it again and shows the new text
    assert(other:update(dir))
    assert.is_string(other:get(p.id).abstract)
  end)

  it("keeps the text of a named pipe (it could not be read again)", function()
    local fifo = dir .. "/fifo.md"
    assert(os.execute("mkfifo " .. fifo))
    assert(os.execute(string.format("cat %s/listing/20200520.md > %s &", dir, fifo)))
    local idx = assert(ad.index(fifo, { threads = 1 }))
    local n = 0
    for p in idx:papers() do
      assert.is_string(p.title); assert.is_string(p.abstract)
      n = n + 1
    end
    assert.is_true(n > 0)
  end)

  it("is updated like any index", function()
    local idx = assert(ad.index(dir, { threads = 1 }))
    local sum = assert(idx:update(dir))
    assert.same({ 0, 0, 0 }, { sum.added, sum.changed, sum.removed })
    local fresh = assert(ad.index(assert(ad.open(dir))))
    same_papers(fresh, idx)
    same_hits(fresh, idx)
  end)
end)
