-- The index (issue 3): merging, every operator and field of the query
-- language, ranking, snippets, similar papers, statistics, the saved index
-- (round trip, corruption) and update.
local ad = require "arxivdigest"
local core = require "arxivdigest.core"

local FIX = "spec/fixtures/index"

local function ids(idx, q, opts)
  local out = {}
  for _, h in ipairs(idx:search(q, opts or { limit = 100 })) do out[#out + 1] = h.paper.id end
  return out
end

local function sorted_ids(idx, q)
  local out = ids(idx, q)
  table.sort(out)
  return table.concat(out, " ")
end

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir -p " .. d))
  return d
end

local function copy_tree(from, to)
  assert(os.execute(string.format("cp -R %s/. %s", from, to)))
end

local H = dofile("spec/helper.lua")
local read, write = H.read, H.write


-- every query used to compare two indexes
local QUERIES = {
  "depth", "defocus estimation", '"neural radiance fields"', "segment*",
  "zero-shot", "shot", "ti:transformers", "abs:street", "au:muller",
  'au:"Kaiming He"', "co:cvpr", "cat:cs.LG", "primary:cs.CV", "id:2005.09623",
  "date:2020-05-20..2020-05-21", "year:2020", "has:doi", "has:journal", "has:code",
  "v:2+", "image OR video", "street -transformers", "NOT image",
  "(depth OR radiance) AND neural", "images", "attention",
}

local function snapshot(idx)
  local out = {}
  for _, q in ipairs(QUERIES) do
    local hits = idx:search(q, { limit = 50 })
    local parts = { q, idx:count(q) }
    for _, h in ipairs(hits) do
      parts[#parts + 1] = h.paper.id .. "=" .. string.format("%.5f", h.score)
    end
    out[#out + 1] = table.concat(parts, " ")
  end
  for p in idx:papers() do
    out[#out + 1] = table.concat({ p.id, tostring(p.version), p.title, p.date,
      p.first_seen, p.last_seen, #p.appearances, table.concat(p.categories, ","),
      tostring(p.doi), tostring(p.journal), table.concat(p.authors, ";") }, "|")
  end
  return table.concat(out, "\n")
end

describe("ad.index", function()
  local idx
  setup(function() idx = assert(ad.index(FIX)) end)

  describe("merging", function()
    it("keeps one entry per arXiv id", function()
      assert.equal(7, #idx)
      local c = assert(ad.open(FIX))
      assert.equal(9, #c)
      local idx2 = ad.index(c)
      assert.equal(7, #idx2)
    end)

    it("takes the fields of the highest version and unites the categories", function()
      local p = assert(idx:get("2005.09623"))
      assert.equal("2005.09623", p.id)
      assert.equal(2, p.version)
      assert.equal("Focus on Defocus: Bridging the Synthetic to Real Domain Gap for Depth Estimation (revised)",
        p.title)
      assert.equal("2020-06-10", p.date)
      assert.equal("catalog", p.format)
      assert.same({ "cs.CV", "eess.IV", "cs.LG" }, p.categories)
      assert.same({ "Maxim Maximov", "Kevin Galim", "Laura Leal-Taixé" }, p.authors)
      assert.equal("10.1109/CVPR42600.2020.00112", p.doi)
      assert.equal("Proceedings of CVPR 2020", p.journal)
    end)

    it("records first/last seen and every appearance (listing and catalog)", function()
      local p = idx:get("2005.09623")
      assert.equal("2020-05-20", p.first_seen)
      assert.equal("2020-06-10", p.last_seen)
      local a = p.appearances
      assert.equal(3, #a)
      assert.same({ "listing", "catalog", "catalog" }, { a[1].format, a[2].format, a[3].format })
      assert.same({ "2020-05-20", "2020-05-21", "2020-06-10" }, { a[1].date, a[2].date, a[3].date })
      assert.equal(FIX .. "/listing/20200520.md", a[1].source)
      assert.equal(2, a[1].line)
      assert.equal(FIX .. "/catalog/05/20200521.md", a[2].source)
      assert.equal(2, a[2].line)
      assert.equal(1, a[2].version)
      assert.equal(2, a[3].version)
    end)

    it("records a later version, DOI and journal reference in history", function()
      local h = idx:get("2005.09623").history
      assert.equal(3, #h)
      assert.same({ "version", "2020-06-10", 2 }, { h[1].event, h[1].date, h[1].version })
      assert.same({ "doi", "10.1109/CVPR42600.2020.00112" }, { h[2].event, h[2].doi })
      assert.same({ "journal", "Proceedings of CVPR 2020" }, { h[3].event, h[3].journal })
      assert.same({}, idx:get("2005.10000").history)
    end)

    it("totable gives the same keys as the paper", function()
      local p = idx:get("2005.10000")
      local t = p:totable()
      assert.equal(p.title, t.title)
      assert.equal("2020-05-21", t.first_seen)
      assert.same(p.authors, t.authors)
      assert.equal(1, #t.appearances)
    end)
  end)

  describe("get", function()
    it("accepts ids with or without version, URLs and old-style ids", function()
      assert.equal("2005.09623", idx:get("2005.09623v1").id)
      assert.equal("2005.09623", idx:get("2005.09623v2").id)
      assert.equal("2005.09623", idx:get("https://arxiv.org/abs/2005.09623v2").id)
      assert.equal("cs/9810003", idx:get("cs/9810003").id)
      assert.equal("cs/9810003", idx:get("cs/9810003v1").id)
      assert.is_nil(idx:get("2101.00001"))
      assert.is_nil(idx:get("not an id"))
    end)

    it("names a bad argument", function()
      assert.error_matches(function() idx:get(12) end, "bad argument #1 to 'get'")
    end)
  end)

  describe("query language", function()
    it("terms, case-insensitively, with implicit AND", function()
      assert.equal("2005.09623", sorted_ids(idx, "defocus"))
      assert.equal("2005.09623", sorted_ids(idx, "DEFOCUS"))
      assert.equal("2005.09623", sorted_ids(idx, "depth defocus"))
      assert.equal("", sorted_ids(idx, "defocus radiance"))
    end)

    it("AND, OR, NOT, -term and parentheses", function()
      assert.equal("2005.09623", sorted_ids(idx, "depth AND defocus"))
      assert.equal("2005.09531 2005.09544", sorted_ids(idx, "video OR ultrasound"))
      assert.equal("2006.00002", sorted_ids(idx, "street -segmentation"))
      assert.equal("2006.00002", sorted_ids(idx, "street NOT segmentation"))
      assert.equal("2005.09623 2005.10000", sorted_ids(idx, "(depth OR radiance) AND neural"))
      assert.equal(5, idx:count("-video"))
      assert.equal("2005.10000", sorted_ids(idx, "radiance OR (depth AND video)"))
    end)

    it("phrases need the words in order and adjacent", function()
      assert.equal("2005.10000", sorted_ids(idx, '"neural radiance fields"'))
      assert.equal("", sorted_ids(idx, '"fields radiance neural"'))
      assert.equal("", sorted_ids(idx, '"neural fields"'))
      assert.equal(1, idx:count('"Neural Radiance Fields"'))
    end)

    it("prefixes", function()
      assert.equal("2005.10001", sorted_ids(idx, "segment*"))
      assert.equal("2005.10001 2006.00002", sorted_ids(idx, "transform*"))
      assert.equal("", sorted_ids(idx, "zzz*"))
    end)

    it("hyphenated words match whole and by their parts", function()
      assert.equal("2005.09544", sorted_ids(idx, "zero-shot"))
      assert.equal("2005.09544", sorted_ids(idx, "zero"))
      assert.equal("2005.09544", sorted_ids(idx, "shot"))
      assert.equal("2005.09544", sorted_ids(idx, '"zero-shot anonymization"'))
      assert.equal("2005.09623", sorted_ids(idx, "data-driven"))
    end)

    it("ti: abs: au: co: fields", function()
      assert.equal("2005.10001", sorted_ids(idx, "ti:transformers"))
      assert.equal("2006.00002", sorted_ids(idx, "abs:transformers"))
      assert.equal("2005.10000", sorted_ids(idx, 'ti:"neural radiance"'))
      assert.equal("2005.10000", sorted_ids(idx, 'au:"Kaiming He"'))
      assert.equal("2005.10000", sorted_ids(idx, "au:he"))
      assert.equal("", sorted_ids(idx, 'au:"He Kaiming"'))
      assert.equal("2005.10000", sorted_ids(idx, "au:müller"))
      assert.equal("2005.10000", sorted_ids(idx, "au:muller"))
      assert.equal("2005.10000", sorted_ids(idx, "au:MÜLLER"))
      assert.equal("2005.09623", sorted_ids(idx, "au:leal-taixe"))
      assert.equal("2005.09623", sorted_ids(idx, "co:cvpr"))
      assert.equal("", sorted_ids(idx, "ti:cvpr"))
      assert.equal("2005.10000", sorted_ids(idx, "ti:neur*"))
    end)

    it("cat: primary: id:", function()
      assert.equal("2005.09623 cs/9810003", sorted_ids(idx, "cat:cs.LG OR cat:cs.IT"))
      assert.equal("2005.09623", sorted_ids(idx, "cat:eess.iv"))
      assert.equal(7, idx:count("cat:cs.CV"))
      assert.equal("2005.10000", sorted_ids(idx, "primary:cs.GR"))
      assert.equal(6, idx:count("primary:cs.CV"))
      assert.equal("2005.09623", sorted_ids(idx, "id:2005.09623"))
      assert.equal("2005.09623", sorted_ids(idx, "id:2005.09623v2"))
      assert.equal("cs/9810003", sorted_ids(idx, "id:cs/9810003"))
    end)

    it("date: year: ranges over appearance days", function()
      assert.equal(3, idx:count("date:2020-05-20"))
      assert.equal(6, idx:count("date:2020-05"))
      assert.equal(2, idx:count("date:2020-06"))
      assert.equal(6, idx:count("date:2020-05-20..2020-05-21"))
      assert.equal(7, idx:count("year:2020"))
      assert.equal(0, idx:count("year:2019"))
    end)

    it("has: and v:", function()
      assert.equal("2005.09623", sorted_ids(idx, "has:doi"))
      assert.equal("2005.09623", sorted_ids(idx, "has:journal"))
      assert.equal("2005.09531 2005.10000", sorted_ids(idx, "has:code"))
      assert.equal("2005.09623", sorted_ids(idx, "v:2+"))
      assert.equal("2005.09623", sorted_ids(idx, "v:2"))
      assert.equal(4, idx:count("v:1"))
    end)

    it("malformed queries raise errors with their column", function()
      assert.error_matches(function() idx:search("depth AND (video") end,
        "unbalanced parenthesis at column 11", 1, true)
      assert.error_matches(function() idx:count('"open phrase') end, "at column 1")
      assert.error_matches(function() idx:search("") end, "empty query")
      assert.error_matches(function() idx:search(nil) end, "bad argument #1 to 'search'")
    end)
  end)

  describe("ranking", function()
    it("a title match outranks an abstract-only match", function()
      local hits = idx:search("transformers")
      assert.equal(2, #hits)
      assert.equal("2005.10001", hits[1].paper.id)
      assert.is_true(hits[1].score > hits[2].score)
    end)

    it("more matching terms rank higher; filters do not score", function()
      local hits = idx:search("street images attention")
      assert.equal("2006.00002", hits[1].paper.id)
      for _, h in ipairs(idx:search("has:code")) do assert.equal(0, h.score) end
    end)

    it("limit, offset and sort by date (newest first)", function()
      local all = ids(idx, "cat:cs.CV", { limit = 100 })
      assert.equal(7, #all)
      assert.same({ all[3], all[4] }, ids(idx, "cat:cs.CV", { limit = 2, offset = 2 }))
      local bydate = idx:search("cat:cs.CV", { limit = 100, sort = "date" })
      for i = 2, #bydate do
        assert.is_true(bydate[i - 1].paper.date >= bydate[i].paper.date)
      end
      assert.equal(0, #idx:search("depth", { limit = 0 }))
      assert.error_matches(function() idx:search("depth", { sort = "size" }) end, "sort must be")
      assert.error_matches(function() idx:search("depth", { limit = -1 }) end, "limit must be")
    end)

    -- review C18: {limit = 1e5} said "limit must be an integer >= 0"
    it("takes a limit or an offset written as a float with an integral value", function()
      assert.same(ids(idx, "cat:cs.CV", { limit = 100 }), ids(idx, "cat:cs.CV", { limit = 1e5 }))
      assert.same(ids(idx, "cat:cs.CV", { limit = 2, offset = 2 }), ids(idx, "cat:cs.CV", { limit = 2.0, offset = 2.0 }))
      assert.error_matches(function() idx:search("depth", { limit = 2.5 }) end, "limit must be an integer >= 0")
      assert.error_matches(function() idx:search("depth", { offset = "2" }) end, "offset must be an integer >= 0")
      assert.error_matches(function() idx:search("depth", { limit = 0 / 0 }) end, "limit must be an integer >= 0")
    end)

    it("k1, b and field weights are options of ad.index", function()
      local flat = assert(ad.index(FIX, { weights = { ti = 0, abs = 1, au = 1, co = 1 }, k1 = 2, b = 0.5 }))
      local hits = flat:search("transformers")
      assert.equal("2006.00002", hits[1].paper.id)   -- the title counts for nothing
      local info = flat:info()
      assert.equal(2, info.k1)
      assert.equal(0.5, info.b)
      -- as given, not as the float stored (k1 = 1.2 was 1.2000000476837)
      local info2 = assert(ad.index(FIX, { k1 = 1.2, b = 0.3, weights = { co = 0.1 } })):info()
      assert.equal(1.2, info2.k1)
      assert.equal(0.3, info2.b)
      assert.equal(0.1, info2.weights.co)
      assert.error_matches(function() ad.index(FIX, { k1 = -1 }) end, "k1 must be")
    end)
  end)

  describe("snippets", function()
    it("marks the query terms in the best passage", function()
      local h = idx:search('"neural radiance fields" indoor')[1]
      local s = h:snippet()
      assert.truthy(s:find("«neural» «radiance» «fields»", 1, true))
      local s2 = h:snippet({ open = "[", close = "]", width = 5 })
      assert.truthy(s2:find("[radiance]", 1, true))
      assert.truthy(idx:search("zero-shot")[1]:snippet():find("«zero-shot»", 1, true))
    end)

    -- review C23: width 0 or -1 and open = 42 were taken silently
    it("names a wrong width, open or close", function()
      local h = idx:search('"neural radiance fields" indoor')[1]
      assert.equal(h:snippet({ width = 5 }), h:snippet({ width = 5.0 }))
      for _, o in ipairs({ { width = 0 }, { width = -1 }, { width = 2.5 }, { width = "3" } }) do
        assert.error_matches(function() h:snippet(o) end,
          "bad argument #1 to 'snippet' (width must be an integer >= 1 (words), got ", 1, true)
      end
      assert.error_matches(function() h:snippet({ open = 42 }) end,
        "bad argument #1 to 'snippet' (open must be a string, got number)", 1, true)
      assert.error_matches(function() h:snippet({ close = true }) end,
        "bad argument #1 to 'snippet' (close must be a string, got boolean)", 1, true)
    end)
  end)

  describe("similar", function()
    it("ranks papers by tf-idf cosine and excludes the paper itself", function()
      local hits = idx:similar("2005.10001", 3)
      assert.is_true(#hits >= 1)
      assert.equal("2006.00002", hits[1].paper.id)
      for _, h in ipairs(hits) do assert.not_equal("2005.10001", h.paper.id) end
      local byp = idx:similar(idx:get("2005.10001"), 1)
      assert.equal("2006.00002", byp[1].paper.id)
      local bytext = idx:similar("radiance fields for indoor scenes", 2)
      assert.equal("2005.10000", bytext[1].paper.id)
    end)

    it("says an id the index lacks is not there (nil, message), never searching it as text", function()
      for _, x in ipairs { "9999.99999", " 9999.99999v3 ", "arXiv:9999.99999", "https://arxiv.org/abs/9999.99999v2",
                           "http://arxiv.org/pdf/9999.99999v1.pdf", "hep-th/9901999", "math.GT/0309999" } do
        local hits, err = idx:similar(x, 3)
        assert.is_nil(hits, x)
        local shown = x:gsub("^%s+", ""):gsub("%s+$", "")
        assert.are.equal("no paper with id '" .. shown .. "'", err)
      end
      -- text that holds an id among other words is text
      assert.are.equal("table", type(idx:similar("9999.99999 radiance fields", 2)))
      assert.are.equal("2006.00002", idx:similar("arXiv:2005.10001v1", 1)[1].paper.id)
    end)
  end)

  describe("stats and trend", function()
    it("counts by category, primary, day, month and author", function()
      local st = idx:stats()
      assert.equal(7, st.papers)
      assert.equal(7, st.categories["cs.CV"])
      assert.equal(1, st.categories["cs.LG"])
      assert.equal(1, st.primary["cs.GR"])
      assert.equal(2, st.days["2020-06-10"])
      assert.equal(5, st.months["2020-05"])
      assert.equal(2, st.authors["Wei Zhang"])
    end)

    it("trend counts a query per period", function()
      local t = idx:trend("cat:cs.CV", "month")
      assert.same({ period = "2020-05", count = 5 }, t[1])
      assert.same({ period = "2020-06", count = 2 }, t[2])
      assert.equal(5, t["2020-05"])
      local d = idx:trend("street OR segmentation", "day")
      assert.equal(1, d["2020-05-21"])
      assert.equal(1, d["2020-06-10"])
      assert.equal(7, idx:trend("cat:cs.CV", "year")["2020"])
    end)
  end)

  it("tokens folds diacritics and splits hyphenated words", function()
    assert.same({ "muller", "zero-shot", "zero", "shot", "strasse" },
      core.tokens("Müller zero-shot Straße"))
    assert.same({ "leal-taixe", "leal", "taixe" }, require("arxivdigest.index").tokens("Leal-Taixé"))
    assert.same({ "muller" }, core.tokens("Mu\204\136ller"))
  end)

  it("tokens: a plain ASCII word ends only at an ASCII separator that is not a hyphen", function()
    -- each ending below leaves the common plain-word path for the general scan
    assert.same({ "net", "x-ray", "x", "ray", "a" }, core.tokens("Net, X-ray a"))
    assert.same({ "cafe", "cafes" }, core.tokens("Café cafés"))
    assert.same({ "softhyphen" }, core.tokens("soft\194\173hyphen"))      -- U+00AD ignored
    assert.same({ "a-b", "a", "b" }, core.tokens("a\226\128\144b"))         -- U+2010 hyphen
    assert.same({ "a", "b" }, core.tokens("a\226\128\148b"))               -- U+2014 separates
    assert.same({ "a", "b" }, core.tokens("a--b"))
    assert.same({ "a" }, core.tokens("-a-"))
    assert.same({ "ab", "c" }, core.tokens("AB\255c"))                     -- invalid byte
    assert.same({ "x" }, core.tokens("x"))
    local long = string.rep("Ab", 40)                                      -- 80 bytes
    local t = core.tokens(long .. " " .. long .. "-z")
    assert.same(string.rep("ab", 32), t[1])                                -- cut at 64 bytes
    assert.same(string.rep("ab", 32), t[2])                                -- a part of the group
    assert.equal("z", t[3])
  end)
end)

describe("saved index", function()
  local idx, dir
  setup(function()
    idx = assert(ad.index(FIX))
    dir = tmpdir()
  end)
  teardown(function() os.execute("rm -rf " .. dir) end)

  it("loads and answers exactly like the built index", function()
    local path = dir .. "/a.adx"
    assert.is_true(idx:save(path))
    local idx2 = assert(ad.load(path))
    assert.equal(#idx, #idx2)
    assert.equal(snapshot(idx), snapshot(idx2))
    assert.is_true(idx2:info().loaded)
    assert.equal("Proceedings of CVPR 2020", idx2:get("2005.09623").journal)
    assert.equal(3, #idx2:get("2005.09623").history)
    assert.equal(idx:similar("2005.10001", 3)[1].paper.id, idx2:similar("2005.10001", 3)[1].paper.id)
    -- saving a loaded index gives the same file
    assert.is_true(idx2:save(dir .. "/b.adx"))
    assert.equal(read(path), read(dir .. "/b.adx"))
  end)

  it("replaces the target atomically and leaves no temporary file", function()
    local path = dir .. "/c.adx"
    write(path, "old")
    assert.is_true(idx:save(path))
    assert.truthy(ad.load(path))
    local p = io.popen("ls " .. dir)
    local names = p:read("a")
    p:close()
    assert.falsy(names:find("tmp"))
  end)

  it("reports I/O failures as nil, message", function()
    local ok, err = idx:save(dir .. "/no/such/dir/x.adx")
    assert.is_nil(ok)
    assert.truthy(err:find("x.adx", 1, true))
    local l, lerr = ad.load(dir .. "/missing.adx")
    assert.is_nil(l)
    assert.truthy(lerr:find("missing.adx: No such file", 1, true))
  end)

  it("rejects empty, foreign, truncated, wrong-version and corrupted files", function()
    local path = dir .. "/good.adx"
    assert(idx:save(path))
    local good = read(path)
    local function try(bytes)
      local p = dir .. "/bad.adx"
      write(p, bytes)
      return ad.load(p)
    end
    local r, e = try("")
    assert.is_nil(r); assert.truthy(e:find("bad.adx: empty file", 1, true))
    r, e = try(read("README.md"))
    assert.is_nil(r); assert.truthy(e:find("not an arxivdigest index", 1, true))
    r, e = try(good:sub(1, #good // 2))
    assert.is_nil(r); assert.truthy(e:find("truncated", 1, true))
    r, e = try(good:sub(1, 100))
    assert.is_nil(r); assert.truthy(e:find("truncated", 1, true))
    r, e = try(good:sub(1, 8) .. "\99" .. good:sub(10))
    assert.is_nil(r); assert.truthy(e:find("unsupported index format version 99", 1, true))
    r, e = try(good .. "x")
    assert.is_nil(r); assert.truthy(e:find("bad.adx:", 1, true))
  end)

  it("never gives wrong results for a flipped byte anywhere", function()
    local path = dir .. "/good.adx"
    assert(idx:save(path))
    local good = read(path)
    local expect = snapshot(idx)
    local step = math.max(1, #good // 97)
    for pos = 1, #good, step do
      local b = good:byte(pos)
      write(dir .. "/flip.adx", good:sub(1, pos - 1) .. string.char((b + 1) % 256) .. good:sub(pos + 1))
      local l = ad.load(dir .. "/flip.adx")
      if l then
        local ok, res = pcall(snapshot, l)
        if ok then
          -- padding bytes are covered by the checksums too: any accepted
          -- file must answer exactly like the original
          assert.equal(expect, res)
        else
          assert.truthy(tostring(res):find("corrupted index", 1, true), res)
        end
      end
    end
  end)

  it("verify = true checks every chunk at load time", function()
    local path = dir .. "/good.adx"
    assert(idx:save(path))
    local good = read(path)
    local pos = #good - 200
    write(dir .. "/v.adx", good:sub(1, pos - 1) .. string.char((good:byte(pos) + 1) % 256) .. good:sub(pos + 1))
    local l, e = require("arxivdigest.index").load(dir .. "/v.adx", { verify = true })
    assert.is_nil(l)
    assert.truthy(e:find("v.adx: corrupted index", 1, true))
    assert.truthy(require("arxivdigest.index").load(path, { verify = true }))
  end)
end)

describe("update", function()
  local dir
  before_each(function()
    dir = tmpdir()
    copy_tree(FIX, dir)
    -- files written less than 3 s before a build are read again by the next
    -- update (their mtime may not show a change made in the same tick):
    -- date these in the past
    assert(os.execute("find " .. dir .. " -type f -exec touch -d '2020-07-01 12:00' {} +"))
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  local NEW = [[
# Arxiv Papers in cs.CV on 2020-06-11
### Diffusion models for street scenes
- **Arxiv ID**: http://arxiv.org/abs/2006.00003v1
- **DOI**: None
- **Categories**: **cs.CV**
- **Links**: [PDF](http://arxiv.org/pdf/2006.00003v1)
- **Published**: 2020-06-10 09:00:00+00:00
- **Updated**: 2020-06-10 09:00:00+00:00
- **Authors**: Wei Zhang
- **Comment**: None
- **Journal**: None
- **Summary**: Diffusion models generate street scenes with attention.
]]

  it("adds new files, re-reads changed ones, drops removed ones: same as a rebuild", function()
    local idx = assert(ad.index(dir))
    local path = dir .. "/i.adx"
    assert(idx:save(path))
    write(dir .. "/catalog/06/20200611.md", NEW)
    os.remove(dir .. "/listing/20200520.md")
    local f = read(dir .. "/catalog/05/20200521.md")
    write(dir .. "/catalog/05/20200521.md",
      (f:gsub("Segmentation Transformers", "Segmentation Transformers Revisited")))
    local loaded = assert(ad.load(path))
    local sum = assert(loaded:update(dir))
    assert.same({ added = 1, changed = 1, rechecked = 0, removed = 1, unchanged = 1, read = 3,
                  warnings = {} }, sum)
    local fresh = assert(ad.index(dir))
    assert.equal(snapshot(fresh), snapshot(loaded))
    assert.equal(1, loaded:count("diffusion"))
    assert.equal("2020-05-21", loaded:get("2005.09623").first_seen)
    -- the built index updates the same way
    assert.same({ added = 1, changed = 1, rechecked = 0, removed = 1, unchanged = 1, read = 3,
                  warnings = {} }, idx:update(dir))
    assert.equal(snapshot(fresh), snapshot(idx))
    -- and a saved updated index loads with the same answers
    assert(loaded:save(path))
    assert.equal(snapshot(fresh), snapshot(assert(ad.load(path))))
  end)

  it("with no argument re-checks the indexed files", function()
    local idx = assert(ad.index(dir))
    local sum = idx:update()
    assert.same({ added = 0, changed = 0, rechecked = 0, removed = 0, unchanged = 3, read = 0,
                  warnings = {} }, sum)
  end)

  it("reads nothing when no file changed", function()
    assert(ad.index(dir)):save(dir .. "/u.adx")
    local loaded = assert(ad.load(dir .. "/u.adx"))
    assert.same({ added = 0, changed = 0, rechecked = 0, removed = 0, unchanged = 3, read = 0,
                  warnings = {} }, loaded:update(dir))
    assert.is_true(loaded:info().loaded)      -- not rebuilt: still the mapped file
    assert.same({ added = 0, changed = 0, rechecked = 0, removed = 0, unchanged = 3, read = 0,
                  warnings = {} }, loaded:update({ dir .. "/catalog", dir .. "/listing" }))
    assert.is_true(loaded:info().loaded)
    -- a touched file is re-read (mtime changed) and found unchanged
    -- ("rechecked", not "changed"), nothing else is read
    assert(os.execute("touch -d '2001-01-01' " .. dir .. "/listing/20200520.md"))
    assert.same({ added = 0, changed = 0, rechecked = 1, removed = 0, unchanged = 2, read = 1,
                  warnings = {} }, loaded:update(dir))
    assert.is_false(loaded:info().loaded)
    local missing, err = loaded:update(dir .. "/nope")
    assert.is_nil(missing)
    assert.truthy(err:find("nope", 1, true))
  end)
end)

describe("incremental update", function()
  -- Built from files of the 2019 corpus when present, else from the
  -- fixtures; every check compares the updated index with a fresh build of
  -- the same files: the saved files must be byte for byte the same.
  local CORPUS = "../shared/corpus/cs.CV-2019"
  local have = io.open(CORPUS .. "/01/20190115.md") ~= nil
  local dir
  local function past(path, when)
    assert(os.execute(string.format("touch -d '%s' %s", when or "2020-07-01 12:00", path)))
  end
  before_each(function()
    dir = tmpdir()
    assert(os.execute("mkdir -p " .. dir .. "/a " .. dir .. "/b"))
    if have then
      assert(os.execute(string.format("cp %s/01/201901[01]*.md %s/a/", CORPUS, dir)))
      assert(os.execute(string.format("cp %s/02/2019020*.md %s/b/", CORPUS, dir)))
    else
      -- six files in a (two small real 2009 days among them), as the
      -- rounds below need
      copy_tree("spec/fixtures/catalog", dir .. "/a")
      copy_tree("spec/fixtures/update", dir .. "/a")
      copy_tree("spec/fixtures/index/listing", dir .. "/b")
    end
    assert(os.execute("find " .. dir .. " -type f -exec touch -d '2020-07-01 12:00' {} +"))
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  local function same_as_fresh(idx)
    local fresh = assert(ad.index(dir))
    assert(fresh:save(dir .. "/fresh.adx"))
    assert(idx:save(dir .. "/upd.adx"))
    local a, b = read(dir .. "/fresh.adx"), read(dir .. "/upd.adx")
    assert.equal(#a, #b)
    assert.is_true(a == b, "the updated index differs from a fresh build")
    assert.equal(snapshot(fresh), snapshot(idx))
    os.remove(dir .. "/fresh.adx"); os.remove(dir .. "/upd.adx")
  end

  local function files(sub)
    local out = {}
    local p = io.popen("ls " .. dir .. "/" .. sub)
    for name in p:lines() do out[#out + 1] = dir .. "/" .. sub .. "/" .. name end
    p:close()
    return out
  end

  it("reads only the added file when its papers are new", function()
    local idx = assert(ad.index(dir))
    local n = #idx
    write(dir .. "/b/new.md", [[
# Arxiv Papers in cs.CV on 2020-06-11
### Diffusion models for street scenes
- **Arxiv ID**: http://arxiv.org/abs/2006.00003v1
- **Categories**: **cs.CV**, cs.LG
- **Authors**: Wei Zhang
- **Summary**: Diffusion models generate street scenes with attention.
]])
    past(dir .. "/b/new.md", "2020-06-11 12:00")
    local sum = assert(idx:update(dir))
    assert.same({ added = 1, changed = 0, rechecked = 0, removed = 0,
                  unchanged = #files("a") + #files("b") - 1, read = 1, warnings = {} }, sum)
    assert.equal(n + 1, #idx)
    assert.equal("Diffusion models for street scenes", idx:get("2006.00003").title)
    same_as_fresh(idx)
  end)

  it("merges new versions, edits, removals and touches like a rebuild, again and again", function()
    assert(assert(ad.index(dir)):save(dir .. "/i.adx"))
    local idx = assert(ad.load(dir .. "/i.adx"))
    local a = files("a")
    -- round 1: a file re-listing five papers of a[2] as v2 with new titles,
    -- an edited file, a removed file, a touched file
    local src = read(a[2])
    local k = 0
    local v2 = src:gsub("(%*%*Arxiv ID%*%*: http://arxiv.org/abs/[%w%./]+)v(%d+)", function(id, v)
      k = k + 1
      if k <= 5 then return id .. "v" .. (tonumber(v) + 1) end
    end)
    v2 = v2:gsub("\n### ", "\n### Revised: ", 5)
    v2 = v2:gsub("# Arxiv Papers in (%S+) on %d+%-%d+%-%d+", "# Arxiv Papers in %1 on 2019-12-30", 1)
    write(dir .. "/b/revised.md", v2)
    past(dir .. "/b/revised.md", "2020-01-02 10:00")
    local edited = read(a[3]):gsub("(%*%*Summary%*%*: )", "%1Netwerk ", 1)
    write(a[3], edited)
    past(a[3], "2020-01-03 10:00")
    os.remove(a[4])
    past(a[5], "2020-01-05 10:00")
    local sum = assert(idx:update(dir, { threads = 2, _parallel_min_docs = 0 }))
    assert.equal(1, sum.added); assert.equal(1, sum.removed)
    assert.equal(1, sum.changed); assert.equal(1, sum.rechecked)  -- edited; touched
    -- read: the new file, the edited one, the touched one, and a[2], whose
    -- five papers now have a better record elsewhere; a file holding no
    -- paper of a changed one is not read
    assert.is_true(sum.read >= 4 and sum.read < #a, "read " .. sum.read)
    if have then
      assert.equal("Revised:", idx:get(src:match("abs/([%w%./]+)v%d")).title:match("^%S+"))
      assert.equal(1, idx:count("netwerk"))
    end
    same_as_fresh(idx)
    -- round 2, on the updated index: drop the revisions again, add a file
    os.remove(dir .. "/b/revised.md")
    write(dir .. "/a/zz.md", read(a[4] and "spec/fixtures/catalog/old-style.md"))
    past(dir .. "/a/zz.md", "2020-01-09 10:00")
    sum = assert(idx:update(dir))
    assert.equal(1, sum.added); assert.equal(1, sum.removed)
    same_as_fresh(idx)
    -- round 2b: the same update in 8 threads gives the same bytes
    write(dir .. "/a/zy.md", (read("spec/fixtures/catalog/old-style.md"):gsub("on 1997%-11%-27", "on 1997-11-28")))
    past(dir .. "/a/zy.md", "2020-01-10 10:00")
    sum = assert(idx:update(dir, { threads = 8, _parallel_min_docs = 0 }))
    assert.equal(1, sum.added)
    same_as_fresh(idx)
    -- round 3: save, load, update with nothing changed reads nothing
    assert(idx:save(dir .. "/i.adx"))
    idx = assert(ad.load(dir .. "/i.adx"))
    assert.same({ added = 0, changed = 0, rechecked = 0, removed = 0,
                  unchanged = #files("a") + #files("b"), read = 0,
                  warnings = {} }, idx:update(dir))
    same_as_fresh(idx)
  end)

  it("notices a file changed within the second it was indexed", function()
    local a = files("a")
    assert(os.execute("touch " .. a[1]))           -- mtime: now
    assert(os.execute("cp -p " .. a[1] .. " " .. dir .. "/mtime.keep"))
    local idx = assert(ad.index(dir))
    -- same size and the very same mtime as when indexed: only the "racy"
    -- mark stored for files modified just before the build tells
    local t = read(a[1])
    local i = t:find("%*%*Summary%*%*: %a")
    t = t:sub(1, i + 12) .. (t:sub(i + 13, i + 13) == "X" and "Y" or "X") .. t:sub(i + 14)
    write(a[1], t)
    assert(os.execute("touch -r " .. dir .. "/mtime.keep " .. a[1]))
    local sum = assert(idx:update(dir))
    assert.equal(1, sum.changed)
    same_as_fresh(idx)
  end)

  it("equals a fresh build when a path is listed twice (its records twice)", function()
    -- the same paper as v2 in A and v1 in C (more categories, a journal);
    -- C removed and A listed twice: the entry has two records, as before,
    -- but both are A's: it must not keep C's postings
    write(dir .. "/b/A.md", [[
# Arxiv Papers in cs.CV on 2020-06-12
### Diffusion models for street scenes
- **Arxiv ID**: http://arxiv.org/abs/2006.00003v2
- **Categories**: **cs.CV**
- **Authors**: Wei Zhang
- **Summary**: Diffusion models generate street scenes with attention.
]])
    write(dir .. "/b/C.md", [[
# Arxiv Papers in cs.CV on 2020-06-11
### Diffusion models for street scenes
- **Arxiv ID**: http://arxiv.org/abs/2006.00003v1
- **Categories**: **cs.CV**, math.OC
- **Authors**: Wei Zhang
- **Journal**: Some Journal 2020
- **Summary**: Diffusion models generate street scenes with attention.
]])
    past(dir .. "/b/A.md"); past(dir .. "/b/C.md")
    local A, C = dir .. "/b/A.md", dir .. "/b/C.md"
    local idx = assert(ad.index({ A, C }))
    assert.equal(1, idx:count("cat:math.OC"))
    assert(idx:update({ A, A }))
    local fresh = assert(ad.index({ A, A }))
    assert.equal(0, idx:count("cat:math.OC"))
    assert.equal(0, idx:count("has:journal"))
    assert(fresh:save(dir .. "/f.adx")); assert(idx:save(dir .. "/u.adx"))
    assert.is_true(read(dir .. "/f.adx") == read(dir .. "/u.adx"))
  end)

  it("keeps a skipped file over 2 GiB through save, load and update", function()
    local big = dir .. "/b/huge.md"
    local f = assert(io.open(big, "wb"))     -- sparse: no disk space used
    assert(f:seek("set", 2 * 1024 * 1024 * 1024))
    assert(f:write("\n"))
    f:close()
    past(big)
    local idx = assert(ad.index(dir))
    local n = #idx
    assert(idx:save(dir .. "/i.adx"))
    local l = assert(ad.load(dir .. "/i.adx"))
    local a = files("a")
    past(a[1], "2020-08-01 00:00")
    local sum = assert(l:update(dir))
    assert.equal(1, sum.rechecked)
    assert.equal(n, #l)
    same_as_fresh(l)
  end)

  it("checks update's options", function()
    local idx = assert(ad.index(dir))
    assert(idx:update(dir, { threads = 2.0 }))
    assert.has_error(function() idx:update(dir, { threads = 0 }) end,
      "bad argument #2 to 'update' (threads must be an integer >= 1)")
    assert.has_error(function() idx:update(dir, 5) end,
      "bad argument #2 to 'update' (options table expected, got number)")
  end)

  it("gives a clear error when a file changed behind its size and mtime", function()
    local a = files("a")
    local idx = assert(ad.index(dir))
    -- a new version of a paper of a[1], and a[1] rewritten in place with
    -- the same size and mtime: merging the paper needs a[1], which changed
    local src = read(a[1])
    local id = src:match("abs/([%w%./]+)v%d")
    write(dir .. "/b/v9.md", "# Arxiv Papers in cs.CV on 2019-12-31\n### Later\n" ..
      "- **Arxiv ID**: http://arxiv.org/abs/" .. id .. "v9\n- **Summary**: x\n")
    local j = src:find("%*%*Summary%*%*: %a")
    write(a[1], src:sub(1, j + 12) .. (src:sub(j + 13, j + 13) == "X" and "Y" or "X") .. src:sub(j + 14))
    past(a[1])
    local r, err = idx:update(dir)
    assert.is_nil(r)
    assert.truthy(err:find(a[1], 1, true), err)
    assert.truthy(err:find("size and mtime", 1, true), err)
    -- the index is unchanged and usable; a touch lets the update through
    assert.is_true(idx:get(id).version < 9)
    past(a[1], "2020-08-01 00:00")
    assert(idx:update(dir))
    assert.equal(9, idx:get(id).version)
    same_as_fresh(idx)
  end)
end)

describe("old-style ids with a subject class", function()
  it("math.GT/0309136 is the paper math/0309136: one paper, found by either form", function()
    local function day(date, id, v, title)
      return ("# Arxiv Papers in math.GT on %s\n### %s\n- **Arxiv ID**: http://arxiv.org/abs/%sv%d\n"
        .. "- **Categories**: **math.GT**\n- **Published**: 2003-09-12 00:00:00+00:00\n"
        .. "- **Authors**: A. Knot\n- **Summary**: Knots and links.\n"):format(date, title, id, v)
    end
    local c = assert(ad.parse(day("2003-09-12", "math.GT/0309136", 1, "First")
      .. day("2004-01-02", "math/0309136", 2, "Revised") .. day("2004-02-02", "math.GT/0309136", 3, "Third"), "k.md"))
    local idx = assert(ad.index(c))
    assert.equal(1, #idx)
    for _, form in ipairs({ "math.GT/0309136", "math/0309136", "arXiv:math.GT/0309136v2" }) do
      local p = idx:get(form)
      assert.is_not_nil(p, form)
      assert.equal("math/0309136", p.id)
      assert.equal(3, p.version)
    end
    assert.equal(1, #idx:search("id:math.GT/0309136"))
    assert.equal(1, #idx:search("id:math/0309136"))
    local bib = {}
    ad.from(idx):format("bibtex"):write(function(s) bib[#bib + 1] = s end)
    bib = table.concat(bib)
    assert.matches("eprint%s*= {math/0309136}", bib)
    assert.not_matches("math.GT/", bib, 1, true)
  end)
end)

describe("threads", function()
  it("a build in 2 to 13 threads is byte for byte the build in one", function()
    local CORPUS = "../shared/corpus/cs.CV-2019"
    local srcs = { FIX, "spec/fixtures/catalog", "examples/data" }
    if io.open(CORPUS .. "/01/20190101.md") then srcs[#srcs + 1] = CORPUS end
    local dir = tmpdir()
    for _, src in ipairs(srcs) do
      local c = assert(ad.open(src))
      assert(ad.index(c, { threads = 1 }):save(dir .. "/one.adx"))
      local one = read(dir .. "/one.adx")
      -- _parallel_min_docs = 0: the other threads work even on the fixtures
      -- (more threads than docs, than encoding parts (8), odd counts)
      for _, t in ipairs({ 2, 3, 5, 8, 13 }) do
        assert(ad.index(c, { threads = t, _parallel_min_docs = 0 }):save(dir .. "/n.adx"))
        assert.is_true(one == read(dir .. "/n.adx"), src .. ", threads = " .. t)
      end
      assert(ad.index(c):save(dir .. "/auto.adx"))
      assert.is_true(one == read(dir .. "/auto.adx"), src)
    end
    os.execute("rm -rf " .. dir)
  end)

  it("reports how long each stage of its build took (for the benchmarks)", function()
    local dir = tmpdir()
    local idx = assert(ad.index(FIX, { threads = 1 }))
    local bt = idx:_build_times()
    for _, k in ipairs({ "open", "prepare", "tokenize", "encode", "files" }) do
      assert.is_true(bt[k].wall >= 0 and bt[k].cpu >= 0, k)
    end
    assert.is_true(bt.open.wall > 0, "built from a path: the files were read")
    -- from a Collection nothing is read: open is 0; a loaded index has none
    assert.equal(0, assert(ad.index(assert(ad.open(FIX)))):_build_times().open.wall)
    assert(idx:save(dir .. "/i.adx"))
    assert.is_nil(assert(ad.load(dir .. "/i.adx")):_build_times())
    os.execute("rm -rf " .. dir)
  end)

  it("rejects a bad thread count", function()
    local c = assert(ad.open(FIX))
    assert.has_error(function() ad.index(c, { threads = 0 }) end,
      "bad argument #2 to 'index' (threads must be an integer >= 1)")
    assert.has_error(function() ad.index(c, { threads = "x" }) end,
      "bad argument #2 to 'index' (threads must be an integer >= 1)")
    assert.has_error(function() ad.index(FIX, { threads = 1.5 }) end,
      "bad argument #2 to 'index' (threads must be an integer >= 1)")
    assert.equal(7, #ad.index(FIX, { threads = 2.0 }))
  end)

  it("gives the warnings of the files it read (idx:warnings), as c:warnings() does", function()
    -- ad.index(path) reads the files itself: their warnings (file and line)
    -- had no way to the API user
    local BAD = "spec/fixtures/bad"
    local c = assert(ad.open(BAD, { threads = 1 }))
    local want = c:warnings()
    assert.is_true(#want > 10)
    local idx = assert(ad.index(BAD, { threads = 1 }))
    assert.same(want, idx:warnings())
    assert.same(want, assert(ad.index(c, { threads = 1 })):warnings())
    local w = idx:warnings()[1]
    assert.equal("spec/fixtures/bad/abstract_before_title.md", w.source)
    assert.equal(2, w.line)
    -- a saved index keeps none; an update that reads files gives theirs
    local dir = os.tmpname(); os.remove(dir); assert(os.execute("mkdir -p " .. dir))
    assert(idx:save(dir .. "/b.adx"))
    assert.same({}, assert(ad.load(dir .. "/b.adx")):warnings())
    assert(os.execute("cp spec/fixtures/bad/unknown_field.md " .. dir .. "/u.md"))
    local r = assert(idx:update({ BAD, dir .. "/u.md" }))
    assert.equal(1, r.added)
    assert.same({ { source = dir .. "/u.md", line = 5, message = "unknown field 'Mood' (ignored)" } }, idx:warnings())
    c:close()
    idx:close()
    assert.has_error(function() idx:warnings() end, "calling 'warnings' on bad self (index is closed)")
    os.execute("rm -rf " .. dir)
  end)

  it("says a mistyped option instead of ignoring it (open, index, weights, load, search, recommend, update)", function()
    local function err_of(fn)
      local ok, e = pcall(fn)
      assert.is_false(ok)
      return tostring(e)
    end
    local function has(e, s) assert.truthy(e:find(s, 1, true), e) end
    has(err_of(function() ad.open(FIX, { thread = 2 }) end), "unknown option 'thread' (known: threads)")
    has(err_of(function() ad.open(FIX, { 2 }) end), "option keys are names, got a number (known: threads)")
    has(err_of(function() ad.index(FIX, { weight = { ti = 1 } }) end),
      "unknown option 'weight' (known: weights, k1, b, threads)")
    has(err_of(function() ad.index(FIX, { weights = { title = 2 } }) end),
      "unknown field 'title' in weights (known: ti, abs, au, co)")
    local dir = os.tmpname(); os.remove(dir); assert(os.execute("mkdir -p " .. dir))
    local idx = assert(ad.index(FIX, { weights = { ti = 4 }, k1 = 1.2, b = 0.75, threads = 1,
      _parallel_min_docs = 0 }))
    assert(idx:save(dir .. "/i.adx"))
    local e = err_of(function() ad.load(dir .. "/i.adx", { verfy = true }) end)
    has(e, "bad argument #2 to ")
    has(e, "(unknown option 'verfy' (known: verify))")
    assert(ad.load(dir .. "/i.adx", { verify = true }))
    assert.has_error(function() idx:search("depth", { limt = 3 }) end,
      "bad argument #2 to 'search' (unknown option 'limt' (known: limit, offset, sort, threads))")
    assert.equal(#idx:search("depth", { limit = 2 }), #idx:search("depth", { limit = 2, offset = 0, sort = "date" }))
    local id = idx:search("depth", { limit = 1 })[1].paper.id
    has(err_of(function() idx:recommend({ id }, { lim = 3 }) end),
      "bad argument #3 to 'recommend' (unknown option 'lim' (known: query, limit, offset, negative, weights, "
      .. "candidates))")
    assert.is_true(#idx:recommend({ id }, { limit = 2, query = "depth" }) <= 2)
    -- idx:update took any key (it reads only threads): {thread = 1} was ignored
    assert.has_error(function() idx:update(nil, { thread = 1 }) end,
      "bad argument #2 to 'update' (unknown option 'thread' (known: threads))")
    assert(idx:update(nil, { threads = 1, _parallel_min_docs = 0 }))
    assert(ad.open(FIX, { threads = 1, _parallel_min_bytes = 0 }))
    os.execute("rm -rf " .. dir)
  end)
end)

describe("the 2019 corpus", function()
  local CORPUS = "../shared/corpus/cs.CV-2019"
  local f = io.open(CORPUS .. "/01/20190101.md")
  if not f then
    pending("../shared/corpus/cs.CV-2019 is absent: corpus index checks skipped")
    return
  end
  f:close()

  it("indexes every paper once and answers common queries", function()
    local c = assert(ad.open(CORPUS))
    local idx = assert(ad.index(c))
    local seen, n = {}, 0
    for p in c:papers() do
      if not seen[p.id] then seen[p.id] = true; n = n + 1 end
    end
    assert.equal(n, #idx)
    assert.is_true(idx:count("image") > 1000)
    local hits = idx:search("diffusion", { limit = 10 })
    assert.equal(10, #hits)
    for i = 2, #hits do assert.is_true(hits[i - 1].score >= hits[i].score) end
    -- top-k with early termination equals exhaustive ranking
    for _, q in ipairs({ "image", "neural network", "segmentation OR detection", '"neural network"',
                         "image -video", "deep learning image segmentation",
                         "(image OR video) AND (segmentation OR detection)",
                         "gan OR diffusion OR transformer OR attention", "segment* image",
                         'ti:"neural network" OR au:wang', '"convolutional neural network"',
                         '"generative adversarial networks"', '"domain adaptation" -unsupervised',
                         '"network neural"', "segment*", "net*", "de* le*", "ti:seg* OR au:wa*",
                         "abs:attention ti:segmentation", "segmentation AND (medical OR mri)",
                         "ti:image abs:segmentation -video", "detection year:2019" }) do
      local top = idx:search(q, { limit = 10 })
      local all = idx:search(q, { limit = 100000 })
      assert.equal(idx:count(q), #all)
      for i = 1, #top do
        assert.equal(all[i].paper.id, top[i].paper.id)
        assert.equal(all[i].score, top[i].score)
      end
    end
  end)
end)

describe("idx:df", function()
  it("counts the papers holding a term, folded like the index", function()
    local idx = assert(ad.index("examples/data"))
    assert.equal(idx:count("depth"), idx:df("depth"))
    assert.equal(idx:count("depth"), idx:df("DEPTH"))
    assert.equal(0, idx:df("zzzyyyxxx"))
    assert.equal(0, idx:df(""))
    assert.error_matches(function() idx:df(nil) end, "bad argument #1 to 'df'")
  end)
end)

describe("has:code", function()
  -- the index finds a code host's link by the dots of the text (ad_bstream.c):
  -- far from the text's ends, at them, among dots that are no host's, in
  -- the comment; it agrees with core.has_code (the Lua evaluator's rule)
  local function paper(id, summary, comment)
    return ([[
### Paper %s
- **Arxiv ID**: http://arxiv.org/abs/%sv1
- **DOI**: None
- **Categories**: **cs.CV**
- **Links**: [PDF](http://arxiv.org/pdf/%sv1)
- **Published**: 2020-06-10 09:00:00+00:00
- **Updated**: 2020-06-10 09:00:00+00:00
- **Authors**: Wei Zhang
- **Comment**: %s
- **Journal**: None
- **Summary**: %s
]]):format(id, id, id, comment or "None", summary)
  end
  local pad = ("Depth from defocus e.g.Co x.org a.net b.Ne c.OR. "):rep(40)
  local cases = {
    { "2006.00001", pad .. "Code: https://GitHub.Com/x/y", nil, true },
    { "2006.00002", pad .. "see www.example.org, foo.com, Hugging Face.co and gitlab .com", nil, false },
    { "2006.00003", pad, "Project page at " .. pad .. "paperswithcode.com/paper/x", true },
    { "2006.00004", "github.com/a first " .. pad, nil, true },
    { "2006.00005", pad .. "weights at huggingface.co", nil, true },
    { "2006.00006", pad .. "ends with github.", nil, false },
    { "2006.00007", pad .. "mirrors: sourceforge.net and codeberg.org", nil, true },
    { "2006.00008", pad .. "sourceforge" .. (" "):rep(40) .. ".net", nil, false },
  }
  it("finds the hosts the evaluator finds", function()
    local text = { "# Arxiv Papers in cs.CV on 2020-06-10" }
    local want = {}
    for _, c in ipairs(cases) do
      text[#text + 1] = paper(c[1], c[2], c[3])
      assert.equal(c[4], core.has_code(c[2]) or (c[3] ~= nil and core.has_code(c[3])), c[1])
      if c[4] then want[#want + 1] = c[1] end
    end
    local dir = tmpdir()
    write(dir .. "/20200610.md", table.concat(text, "\n"))
    local idx = assert(ad.index(dir))
    assert.equal(table.concat(want, " "), sorted_ids(idx, "has:code"))
    idx:close()
    os.execute("rm -rf " .. dir)
  end)
end)
