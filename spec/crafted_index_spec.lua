-- Crafted saved indexes (issue 11, F13): files whose checksums are right but
-- whose numbers are not. Every number read from a saved index is checked
-- once (META at load, the rest by the accessor that reads it): a crafted
-- file gives "<path>: corrupted index (...)", never a crash, and (under
-- `make test-asan`) no sanitizer report.
local ad = require "arxivdigest"
local H = dofile("spec/helper.lua")

local SCAN = "spec/fixtures/fuzz/scan"
local F13 = "spec/fixtures/fuzz/load/regress-f13-nan-impact"

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  return p
end

-- {====================================================== the file's checksums
-- csrc/ad_text.c's ad_hash64, in Lua (integer arithmetic wraps, >> is logical)
local M1, M2, M3 = 0x9E3779B97F4A7C15, 0x100000001b3, 0xff51afd7ed558ccd
local INIT = 0xcbf29ce484222325
local function mix(h, w)
  h = (h ~ w) * M1
  return h ~ (h >> 29)
end

local function hash64(s, at, n, h)     -- bytes s[at .. at + n - 1]
  local i = 0
  if n >= 64 then
    local l = {h, h ~ 0x6a09e667f3bcc908, h ~ 0xbb67ae8584caa73b, h ~ 0x3c6ef372fe94f82b}
    while i + 32 <= n do
      local w1, w2, w3, w4 = string.unpack("<i8i8i8i8", s, at + i)
      l[1], l[2], l[3], l[4] = mix(l[1], w1), mix(l[2], w2), mix(l[3], w3), mix(l[4], w4)
      i = i + 32
    end
    for k = 1, 4 do h = mix(h, l[k]) end
  end
  while i + 8 <= n do
    h = mix(h, (string.unpack("<i8", s, at + i)))
    i = i + 8
  end
  while i < n do
    h = (h ~ s:byte(at + i)) * M2
    i = i + 1
  end
  h = (h ~ n) * M3
  return h ~ (h >> 33)
end

-- The header (csrc/ad_store.h): magic, version, bom, szrec, szdoc, szterm,
-- chunkshift, filesize, off[14], len[14], sumsoff, nchunks, sumsum, headsum.
local NSEC, HDRSIZE, HEADSUM = 14, 320, 288
local SEC = {META = 0, DOCS = 1, TERMS = 5, TSTR = 6, POST = 7, FILES = 10, FSTR = 11}

local function header(s)
  local h = {chunkshift = string.unpack("<I4", s, 29), off = {}, len = {}}
  for k = 0, NSEC - 1 do
    h.off[k] = string.unpack("<i8", s, 41 + 8 * k)
    h.len[k] = string.unpack("<i8", s, 41 + 8 * (NSEC + k))
  end
  h.sumsoff = string.unpack("<i8", s, 41 + 16 * NSEC)
  return h
end

-- Recompute every checksum of a saved index (what fuzz_load's mode 2 does),
-- so that a crafted change passes them.
local function reseal(s)
  local h = header(s)
  local cs, sums = 1 << h.chunkshift, {}
  for start = HDRSIZE, h.sumsoff - 1, cs do
    local e = math.min(start + cs, h.sumsoff)
    sums[#sums + 1] = string.pack("<i8", hash64(s, start + 1, e - start, INIT))
  end
  local tab = table.concat(sums)
  s = s:sub(1, h.sumsoff) .. tab
  -- filesize, then sumsum, then the header's own checksum
  s = s:sub(1, 32) .. string.pack("<i8", #s) .. s:sub(41)
  local at = 41 + 16 * NSEC + 16
  s = s:sub(1, at - 1) .. string.pack("<i8", hash64(tab, 1, #tab, INIT)) .. s:sub(at + 8)
  return s:sub(1, HEADSUM) .. string.pack("<i8", hash64(s, 1, HEADSUM, INIT)) .. s:sub(HEADSUM + 9)
end

-- s with the bytes at offset `off` (0-based) of section sec replaced by v
local function patch(s, sec, off, v)
  local at = header(s).off[sec] + off + 1
  return reseal(s:sub(1, at - 1) .. v .. s:sub(at + #v))
end
-- }======================================================

describe("crafted saved indexes", function()
  local dir, good, path

  setup(function()
    dir = tmpdir()
    local idx = assert(ad.index(SCAN))
    path = dir .. "/good.adx"
    assert(idx:save(path))
    good = H.read(path)
  end)

  teardown(function()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  local function try(bytes)
    local p = dir .. "/crafted.adx"
    H.write(p, bytes)
    return p, ad.load(p)
  end

  it("the spec's checksum helper reproduces a saved file", function()
    assert.equal(good, reseal(good))
  end)

  it("F13: the fuzz finding loads, and its update fails cleanly instead of computing with NaN", function()
    -- the fuzz input: a mode byte (2: recompute the checksums), then the file
    local p, idx, err = try(reseal(H.read(F13):sub(2)))
    assert.is_nil(err)
    -- its k1 is 0, a value a build accepts: searches answer
    assert.equal(0, idx:info().k1)
    assert.truthy(idx:count("learning") >= 0)
    -- its postings are not what its terms say: the update stops there
    -- (it computed a NaN impact from k1 = 0 before, UBSan in ad_b_encpart)
    local ok, e = pcall(idx.update, idx)
    assert.is_false(ok)
    assert.truthy(tostring(e):find(p .. ": corrupted index", 1, true), e)
  end)

  it("rejects parameters out of range at load, naming the file", function()
    local nan, inf = string.pack("<f", 0 / 0), string.pack("<f", math.huge)
    local cases = {
      {40, nan, "parameters"},                    -- k1
      {40, string.pack("<f", -1), "parameters"},
      {40, string.pack("<f", 1000), "parameters"},
      {44, string.pack("<f", 1.5), "parameters"}, -- b
      {44, nan, "parameters"},
      {24, string.pack("<f", -0.5), "parameters"}, -- weights.ti
      {36, inf, "parameters"},                     -- weights.co
      {48, nan, "average field lengths"},          -- avglen[title]
      {52, string.pack("<f", 70000), "average field lengths"},
      {8, string.pack("<I4", 7), "counts do not match sections"}, -- napps
    }
    for _, c in ipairs(cases) do
      local p, idx, err = try(patch(good, SEC.META, c[1], c[2]))
      assert.is_nil(idx)
      assert.equal(p .. ": corrupted index (" .. c[3] .. ")", err)
    end
  end)

  it("a shared search whose threads meet a corrupt block fails cleanly, on every thread count", function()
    -- (review rev39) a block in the middle of a long list whose docs do not
    -- end at its skip entry's last: whichever thread decodes it (the
    -- caller or a pool thread, in one of its chunks) fails the search
    local built = assert(ad.index(assert(ad.parse(H.gen_catalog(31, 3000), "gen.md"))))
    local gp = dir .. "/par.adx"
    assert(built:save(gp))
    local s = H.read(gp)
    local h = header(s)
    -- the term "image": TERMS rows are str, len, df, post, postlen, pos, poslen, maximp
    local t
    for i = 0, h.len[SEC.TERMS] // 32 - 1 do
      local at = h.off[SEC.TERMS] + 32 * i + 1
      local str, len, df, post = string.unpack("<I4I4I4I4", s, at)
      if s:sub(h.off[SEC.TSTR] + str + 1, h.off[SEC.TSTR] + str + len) == "image" then
        t = { df = df, post = post }
      end
    end
    assert.is_truthy(t)
    local nb = (t.df + 127) // 128
    assert.is_true(nb >= 8, "blocks of image: " .. nb)
    local b = nb - 3                         -- late in the list: a later chunk
    local off = select(2, string.unpack("<I4I4", s, h.off[SEC.POST] + t.post + 16 * b + 1))
    local at = t.post + off                  -- the block's first delta (in POST)
    local byte = s:byte(h.off[SEC.POST] + at + 1)
    assert.is_true(byte < 0x80)
    local p, idx = try(patch(s, SEC.POST, at, string.char(byte > 0 and byte - 1 or byte + 1)))
    assert.is_truthy(idx, p)
    local want = H.ranked(built:search("image", { limit = 10, threads = 1 }))
    local function check(opts)
      local ok, hits = pcall(idx.search, idx, "image", opts)
      if ok then return H.ranked(hits) end
      assert.truthy(tostring(hits):find(p .. ": corrupted index", 1, true), hits)
      return false
    end
    for round = 1, 8 do
      for _, th in ipairs({ 1, 2, 3, 4 }) do
        -- every match: every block is decoded, so every thread count fails
        assert.is_false(check({ limit = 1000000, threads = th, _parallel_min_blocks = round % 3 }))
        -- the top 10: the block may be skipped (the hits are then right)
        local r = check({ limit = 10, threads = th, _parallel_min_blocks = round % 3 })
        if r then assert.are.same(want, r) end
      end
    end
    -- the index still answers what does not need the block
    assert.are.same(H.ranked(built:search("network", { limit = 20, threads = 1 })),
      H.ranked(idx:search("network", { limit = 20, threads = 3, _parallel_min_blocks = 0 })))
    idx:close()
  end)

  it("checks a document's numbers when it is read, not at load", function()
    -- ad_ixdoc: best, date, first, last, app, napp, fstart[4], len[4] (u16),
    -- version (u16), flags, pad, norm (float), idoff, idlen
    local cases = {
      {52, string.pack("<f", 0 / 0)},        -- norm NaN
      {52, string.pack("<f", math.huge)},    -- norm infinite
      {52, string.pack("<f", -1)},           -- norm negative
      {20, string.pack("<I4", 0)},           -- napp 0
      {16, string.pack("<I4", 1 << 30)},     -- app past APPS
      {0, string.pack("<I4", 1 << 30)},      -- best record past RECS
      {24, string.pack("<I4", 5)},           -- fstart[0] not 0
      {28, string.pack("<I4", 1 << 30)},     -- fstart decreasing
      {60, string.pack("<I4", 0)},           -- idlen 0
      {56, string.pack("<I4", 1 << 30)},     -- id past IDSTR
    }
    for _, c in ipairs(cases) do
      local p, idx, err = try(patch(good, SEC.DOCS, c[1], c[2]))
      assert.is_nil(err)                     -- a load reads no document
      local ok, e = pcall(idx.stats, idx)    -- stats reads every document
      assert.is_false(ok)
      assert.truthy(tostring(e):find(p .. ": corrupted index", 1, true), e)
      idx:close()
    end
  end)

  it("checks a file entry when a record of it is read, not at load (issue 15: lazy file table)", function()
    -- ad_ixfile: path, pathlen (u32), size, hash (u64), mtime (i64), first,
    -- nrec, format, pad (u32): 48 bytes. Entry 0's path now points past FSTR.
    local fstr = header(good).len[SEC.FSTR]
    local p, idx, err = try(patch(good, SEC.FILES, 0, string.pack("<I4", fstr + 100)))
    assert.is_nil(err)                       -- a load reads no file entry
    local bad, fine = 0, 0
    for paper in idx:papers() do
      local ok, e = pcall(function() return paper.title end)
      if ok then fine = fine + 1
      else
        bad = bad + 1
        assert.truthy(tostring(e):find(p .. ": corrupted index", 1, true), e)
      end
    end
    -- the papers of file 0 fail with the file's name, the others are read
    assert.truthy(bad > 0 and fine > 0, bad .. " bad, " .. fine .. " fine")
    assert.is_false(pcall(idx.files, idx))
    idx:close()
    -- a changed byte of the file table fails its chunk's checksum on first use
    local h = header(good)
    local at = h.off[SEC.FILES] + 8 + 1           -- entry 0's size
    local s2 = good:sub(1, at - 1) .. string.char((good:byte(at) + 1) % 256) .. good:sub(at + 1)
    local p2, idx2, err2 = try(s2)
    if idx2 then                                 -- (the same chunk may hold META)
      local ok, e = pcall(function()
        for paper in idx2:papers() do local _ = paper.title end
      end)
      assert.is_false(ok)
      assert.truthy(tostring(e):find(p2 .. ": corrupted index", 1, true), e)
      idx2:close()
    else
      assert.truthy(err2:find(p2 .. ": corrupted index", 1, true), err2)
    end
  end)

  it("an update over documents whose field lengths deny their postings computes no NaN", function()
    -- with b = 1 a field's weight divides by its length: a kept posting in a
    -- field its document says is empty divided by zero (then a NaN impact,
    -- UBSan under `make test-asan`); it now weighs 0
    local src = dir .. "/src2"
    assert(os.execute("mkdir -p '" .. src .. "' && cp " .. SCAN .. "/*.md '" .. src .. "'"
                      .. " && touch -d '2020-07-01 12:00' '" .. src .. "'/*.md"))
    local idx = assert(ad.index(src, {b = 1}))
    local p0 = dir .. "/b1.adx"
    assert(idx:save(p0))
    local s = H.read(p0)
    local docs = header(s).off[SEC.DOCS]
    for d = 0, idx:info().papers - 1 do      -- every title: 0 tokens
      local at = docs + d * 64 + 40 + 1
      s = s:sub(1, at - 1) .. string.pack("<I2", 0) .. s:sub(at + 2)
    end
    local _, loaded, err = try(reseal(s))
    assert.is_nil(err)
    local f = src .. "/listing_small.md"      -- the catalog's papers are kept
    local text = H.read(f)
    H.write(f, text:sub(1, #text // 2))
    assert(os.execute("touch -d '2020-07-02 12:00' '" .. f .. "'"))
    assert(loaded:update())
    for _, h in ipairs(loaded:search("learning", {limit = 20})) do
      assert.is_true(h.score == h.score and h.score >= 0 and h.score < math.huge)
    end
  end)

  it("an index built with k1 = 0, b = 1 and a zero weight updates like a fresh build", function()
    -- the edges of the parameters' ranges are valid: no 0/0, no x/0
    local src = dir .. "/src"
    assert(os.execute("mkdir -p '" .. src .. "' && cp " .. SCAN .. "/*.md '" .. src .. "'"
                      .. " && touch -d '2020-07-01 12:00' '" .. src .. "'/*.md"))
    local opts = {k1 = 0, b = 1, weights = {co = 0, au = 0}}
    local idx = assert(ad.index(src, opts))
    local p = dir .. "/k0.adx"
    assert(idx:save(p))
    local loaded = assert(ad.load(p))
    -- change one file: its papers are indexed again, the others keep their postings
    local f = src .. "/listing_small.md"
    local text = H.read(f)
    H.write(f, text:sub(1, #text // 2))
    assert(os.execute("touch -d '2020-07-02 12:00' '" .. f .. "'"))
    assert(loaded:update())
    local fresh = assert(ad.index(src, opts))
    for _, q in ipairs({"learning", "image", "segmentation", "cat:cs.CV"}) do
      local a, b = loaded:search(q, {limit = 50}), fresh:search(q, {limit = 50})
      assert.equal(#b, #a)
      for i = 1, #a do
        assert.equal(b[i].id, a[i].id)
        assert.equal(b[i].score, a[i].score)
      end
    end
  end)
end)

-- Crafted saved recommendation models (csrc/ad_rsave.c): the file's hash is
-- right, its numbers are not. A model is checked whole when it is read:
-- "<path>: corrupted ..." (and the index keeps its own model), never a
-- crash; what passes the checks ranks without a crash.
describe("crafted saved recommendation models", function()
  local core = require "arxivdigest.core"
  local dir, idx, good, model
  -- the header: magic, u32 version, bom, u64 sig, u32 ndocs, nsample, n, cap
  local N_AT, BODY = 33, 128

  setup(function()
    dir = tmpdir()
    idx = assert(ad.index(SCAN))
    model = dir .. "/good.model"
    assert.is_true(idx:save_model(model))
    good = H.read(model)
  end)

  teardown(function()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  -- the layout: table (cap x {u64 key, u32 id, u32 pad}), then per id
  -- keys (u64), idf (f32), background (f32), term (u32)
  local function layout(s)
    local n, cap = string.unpack("<I4I4", s, N_AT)
    local t = BODY + 1
    local k = t + 16 * cap
    return { n = n, cap = cap, t = t, keys = k, idf = k + 8 * n, mu = k + 12 * n, term = k + 16 * n }
  end

  local function put(s, at, fmt, v)
    local b = string.pack(fmt, v)
    return s:sub(1, at - 1) .. b .. s:sub(at + #b)
  end

  local function reseal_model(s)      -- the hash of every byte before it
    s = s:sub(1, #s - 8)
    return s .. string.pack("<i8", hash64(s, 1, #s, INIT))
  end

  local tried = 0
  local function try(bytes)         -- (a new file each time: a model read is mapped)
    tried = tried + 1
    local p = dir .. "/crafted" .. tried .. ".model"
    H.write(p, bytes)
    return idx:load_model(p)
  end

  local function libdocs()
    local out = {}
    for d = 0, 4 do out[#out + 1] = d end
    return out
  end

  local function ranks()
    local ok, hits = pcall(core.recommend, idx, libdocs(), nil, nil,
      { limit = 20, papers = 2, terms = 3, exact = 0, shortlist = 30 })
    assert(ok, hits)
    return hits
  end

  it("the spec's hash reproduces the file; the file reads back", function()
    assert.is_true(reseal_model(good) == good)
    assert.is_true((try(good)))
  end)

  it("refuses ids, keys, terms and values out of their ranges", function()
    local L = layout(good)
    assert.is_true(L.n > 10)
    local first, second              -- two used slots
    for i = 0, L.cap - 1 do
      if string.unpack("<i8", good, L.t + 16 * i) ~= 0 then
        if first then second = i; break end
        first = i
      end
    end
    local function slot_id(i) return L.t + 16 * i + 8 end
    local id1 = string.unpack("<I4", good, slot_id(first))
    local id2 = string.unpack("<I4", good, slot_id(second))
    local nan, inf = string.pack("<f", 0 / 0), string.pack("<f", 1 / 0)
    local cases = {
      { "an id out of range", put(good, slot_id(first), "<I4", L.n) },
      { "an id twice", put(good, slot_id(first), "<I4", id2) },
      { "two ids swapped (keys differ)", put(put(good, slot_id(first), "<I4", id2), slot_id(second), "<I4", id1) },
      { "a key of no slot", put(good, L.keys + 8 * id1, "<i8", 12345) },
      { "a NaN idf", good:sub(1, L.idf - 1) .. nan .. good:sub(L.idf + 4) },
      { "an infinite background", good:sub(1, L.mu + 3) .. inf .. good:sub(L.mu + 8) },
      { "a negative background", put(good, L.mu + 4 * id1, "<f", -0.5) },
      { "an idf too large", put(good, L.idf + 4 * id2, "<f", 1e30) },
      { "a term beyond the index's", put(good, L.term + 4 * id1, "<I4", 0x7ffffff0) },
      { "a term UINT32_MAX - 1", put(good, L.term + 4 * id2, "<I4", 0xfffffffe) },
      { "more features than slots allow", put(good, N_AT, "<I4", L.cap) },
    }
    for _, c in ipairs(cases) do
      local ok, why = try(reseal_model(c[2]))
      assert.is_false(ok, c[1])
      assert.matches("corrupted", why, 1, true)
      assert.is_true(#ranks() > 0)           -- the index's own model still ranks
    end
    -- a word with no term (UINT32_MAX) is a model's own value: taken
    local ok = try(reseal_model(put(good, L.term + 4 * id1, "<I4", 0xffffffff)))
    assert.is_true(ok)
    assert.is_true(#ranks() > 0)
  end)

  it("ranks without a crash with any terms and values in range, or with any bytes changed", function()
    local L = layout(good)
    math.randomseed(13)
    local rnd = math.random
    for _ = 1, 40 do
      local s = good
      for _ = 1, rnd(1, 20) do         -- terms of other words (the index's terms, any)
        s = put(s, L.term + 4 * rnd(0, L.n - 1), "<I4", rnd(0, 300))
      end
      for _ = 1, rnd(0, 5) do
        s = put(s, L.idf + 4 * rnd(0, L.n - 1), "<f", rnd() * 20)
        s = put(s, L.mu + 4 * rnd(0, L.n - 1), "<f", rnd())
      end
      local ok, why = try(reseal_model(s))
      assert(ok or why:find("corrupted", 1, true), why)
      ranks()
    end
    for _ = 1, 60 do                   -- any bytes of the body
      local s = good
      for _ = 1, rnd(1, 4) do
        local at = rnd(BODY + 1, #good - 8)
        s = s:sub(1, at - 1) .. string.char(rnd(0, 255)) .. s:sub(at + 1)
      end
      local ok, why = try(reseal_model(s))
      assert(ok or why:find("corrupted", 1, true), why)
      ranks()
    end
  end)
end)
