-- ad.library: BibTeX exports (Zotero, JabRef, arXiv, Google Scholar) and id
-- lists, matched against an index (lua/arxivdigest/library.lua).
local ad = require "arxivdigest"
local L = require "arxivdigest.library"
local core = require "arxivdigest.core"
local H = dofile("spec/helper.lua")

local FIX = "spec/fixtures/library/"

-- the bundled sample (listings) and the small catalog fixture (DOIs,
-- an old-style id): 2005.09623 is in both
local idx
local function index()
  idx = idx or assert(ad.index({ ad.sample(), "spec/fixtures/index" }))
  return idx
end

local function entry_by_key(lib, key)
  for _, e in ipairs(lib:entries()) do
    if e.key == key then return e end
  end
end

local function reasons(lib)
  local out = {}
  for _, u in ipairs(lib:unmatched()) do out[#out + 1] = u.line .. ": " .. u.reason end
  return out
end

describe("ad.library", function()
  describe("reads the exports of", function()
    it("Zotero (preprints by URL, note and arXiv DOI; articles by DOI; books by title)", function()
      -- an empty string is no path ("": No such file or directory)
      assert.error_matches(function() ad.library("") end,
        "bad argument #1 to 'library' (path or text expected, got an empty string)", 1, true)
      local lib = assert(ad.library(FIX .. "zotero.bib"))
      assert.are.equal(5, #lib:entries())
      local e = entry_by_key(lib, "maximov_focus_2020")
      assert.are.equal("misc", e.type)
      assert.are.equal(1, e.line)
      assert.are.equal("2005.09623", e.id)
      assert.are.equal("Maximov, Maxim and Galim, Kevin and Leal-Taixe\u{301}, Laura",
                       L.latex_text(e.fields.author))
      assert.are.equal("May", e.fields.month)         -- the month macro
      e = entry_by_key(lib, "maximov_focus_2020-1")
      assert.is_nil(e.id)
      assert.are.equal("10.1109/CVPR42600.2020.00112", e.doi)
      assert.are.equal("Focus on Defocus: Bridging the Synthetic to Real Domain Gap for Depth Estimation",
                       e.title)
      -- before it is resolved: every entry names a paper
      assert.are.equal(5, #lib)
      assert.are.same({ "2005.09623", "2005.09544" }, lib:ids())
      lib:resolve(index())
      assert.are.equal(2, #lib)                       -- the CVPR version is the same paper
      assert.are.same({ "2005.09623", "2005.09544" }, lib:ids())
      assert.are.same({
        '47: no paper has the title "Multiple View Geometry in Computer Vision"',
        '57: DOI 10.1145/3503250 is not in the index; no paper has the title '
          .. '"NeRF: representing scenes as neural radiance fields for v..."',
      }, reasons(lib))
      assert.are.same({ FIX .. "zotero.bib:17: the same paper as the entry at line 1" }, lib:warnings())
      assert.are.equal(core._rfind(index(), "2005.09623"), entry_by_key(lib, "maximov_focus_2020-1").doc)
    end)

    it("JabRef (@String, # concatenation, eprint with a version, old-style ids, @Comment)", function()
      local lib = assert(ad.library(FIX .. "jabref.bib", index()))
      assert.are.same({ "2005.09623", "2005.10420", "2011.10043", "cs/9810003" }, lib:ids())
      assert.are.same({}, lib:unmatched())
      assert.are.same({}, lib:warnings())
      assert.are.equal("European Conference on Computer Vision (ECCV) 2020",
                       entry_by_key(lib, "Li2020streaming").fields.booktitle)
      assert.are.equal("inproceedings", entry_by_key(lib, "Li2020streaming").type)
    end)

    it("arXiv (eprint + archivePrefix, and the DataCite form with a 10.48550 DOI)", function()
      local lib = assert(ad.library(FIX .. "arxiv.bib", index()))
      assert.are.same({ "2011.10043", "2005.09531" }, lib:ids())
      assert.are.same({ '29: arXiv 2003.08934 is not in the index; no paper has the title '
                        .. '"NeRF: Representing Scenes as Neural Radiance Fields for V..."' }, reasons(lib))
      assert.are.equal("2005.09531", entry_by_key(lib, "https://doi.org/10.48550/arxiv.2005.09531").id)
    end)

    it("Google Scholar (arXiv ids in journal, sentence-case titles)", function()
      local lib = assert(ad.library(FIX .. "scholar.bib", index()))
      assert.are.same({ "2005.09544", "2011.10043", "2005.05460" }, lib:ids())
      assert.are.same({ '23: no paper has the title "Deep residual learning for image recognition"' },
                      reasons(lib))
      -- CIAGAN has no id: its title found it
      assert.is_nil(entry_by_key(lib, "maximov2020ciagan").id)
      assert.are.equal(core._rfind(index(), "2005.09544"), entry_by_key(lib, "maximov2020ciagan").doc)
    end)

    it("a list of ids, one a line, with comments", function()
      local lib = assert(ad.library(FIX .. "ids.txt", index()))
      assert.are.same({ "2005.09623", "2005.09544", "2005.09531", "2011.10043", "cs/9810003" }, lib:ids())
      assert.are.same({ "8: arXiv 1706.03762 is not in the index", "9: not an arXiv id" }, reasons(lib))
      assert.are.same({ FIX .. "ids.txt:9: not an arXiv id: not-an-id" }, lib:warnings())
    end)
  end)

  it("takes the text itself, and reports I/O failures and misuse", function()
    local lib = assert(ad.library("2005.09623\n2005.09544\n", index()))
    assert.are.equal(2, #lib)
    lib = assert(ad.library("@misc{k, eprint = {2005.09531}}", index()))
    assert.are.same({ "2005.09531" }, lib:ids())
    assert.are.same({ "2005.09623" }, ad.library("arXiv:2005.09623v3"):ids())
    local none, err, code = ad.library("spec/fixtures/library/no-such.bib")
    assert.is_nil(none)
    assert.are.equal("spec/fixtures/library/no-such.bib: No such file or directory", err)
    assert.are.equal(2, code)
    assert.error_matches(function() ad.library(42) end,
      "bad argument #1 to 'library' %(path or text expected, got number%)")
    assert.error_matches(function() ad.library("x\n", {}) end,
      "bad argument #2 to 'library' %(Index expected, got table%)")
    assert.error_matches(function() lib:resolve("idx") end,
      "bad argument #1 to 'resolve' %(Index expected, got string%)")
    local closed = assert(ad.index(ad.sample()))
    closed:close()
    assert.error_matches(function() ad.library("2005.09623\n", closed) end, "index is closed")
  end)

  it("reads hostile BibTeX: macros, comments, nested braces, no key, unbalanced braces, bad UTF-8", function()
    local lib = assert(ad.library(FIX .. "hostile.bib"))
    local keys = {}
    for _, e in ipairs(lib:entries()) do keys[#keys + 1] = tostring(e.key) end
    assert.are.same({ "concat", "nil", "nested", "duplicate", "duplicate2", "quoted", "otherarchive",
                      "notitle", "badutf8" }, keys)
    local e = entry_by_key(lib, "concat")
    assert.are.equal("Towards Streaming Image Understanding", e.fields.title)
    assert.are.equal("Conference on CV", e.fields.booktitle)
    assert.are.equal("2020", e.fields.year)
    e = entry_by_key(lib, "nested")
    assert.are.equal("Ultrasound Video Summarization using Deep Reinforcement Learning", e.title)
    assert.are.equal("undefined # macro", e.fields.note)
    assert.are.equal("", e.fields.other)
    assert.are.equal('A {"}quoted{"} title', entry_by_key(lib, "quoted").fields.title)
    assert.are.equal("2011.10043", entry_by_key(lib, "quoted").id)
    assert.is_nil(entry_by_key(lib, "otherarchive").id)   -- an eprint of another archive
    assert.are.equal("Caf\xe9 \xff\xfe au lait \xc3", entry_by_key(lib, "badutf8").title)
    assert.are.same({
      FIX .. "hostile.bib:14: malformed field in @article entry 'unbalanced': entry skipped",
      FIX .. "hostile.bib:22: undefined macro 'undefinedmacro'",
      FIX .. "hostile.bib:43: malformed field in @article entry 'truncated': entry skipped",
    }, lib:warnings())
    lib:resolve(index())
    assert.are.same({ "2005.10420", "2005.09544", "2005.09531", "2005.09623", "2011.10043" }, lib:ids())
    assert.are.same({ "36: no arXiv id, DOI or title", "38: no arXiv id, DOI or title",
                      '39: no paper has the title "Caf\xe9 \xff\xfe au lait \xc3"' }, reasons(lib))
    assert.are.equal(FIX .. "hostile.bib:29: the same paper as the entry at line 28", lib:warnings()[4])
  end)

  it("reads 1 MB fields and deeply nested braces, and goes on after them", function()
    local words = string.rep("gaussian splatting ", 55000)          -- about 1 MB
    local deep = string.rep("{", 100000) .. "x" .. string.rep("}", 100000)
    local text = "@misc{big, abstract = {" .. words .. "}, title = {" .. deep .. "}}\n"
              .. "@misc{open, title = " .. string.rep("{", 100000) .. "}\n"
              .. "@misc{after, eprint = {2005.09623}}\n"
    local lib = assert(ad.library(text, index()))
    assert.are.equal(2, #lib:entries())
    assert.are.equal(#words - 0, #entry_by_key(lib, "big").fields.abstract)
    assert.are.equal("x", entry_by_key(lib, "big").title)
    assert.are.same({ "2005.09623" }, lib:ids())
    assert.are.same({ "library:2: malformed field in @misc entry 'open': entry skipped" }, lib:warnings())
  end)

  it("folds LaTeX accents, case and punctuation to match titles", function()
    -- accents become combining marks (which the tokenizer folds away)
    assert.are.equal("Mu\u{308}ller E\u{301}te\u{301} C\u{327}a\u{300} ø ß Ło\u{301}dz\u{301} I\u{307}",
                     L.latex_text([[M{\"u}ller \'{E}t\'e \c{C}\`a {\o} \ss{} \L\'od\'z \.I]]))
    assert.are.equal("Attention – is all", L.latex_text([[{A}ttention -- \emph{is} all]]))
    assert.are.equal("50% & $x$", L.latex_text([[50\% \& \$x\$]]))
    local coll = assert(ad.parse(table.concat({
      "# Arxiv Papers in cs.CV on 2020-06-10",
      "### Über die Schätzung: Müller's Çedilla Networks",
      "- **Arxiv ID**: http://arxiv.org/abs/2006.00010v1",
      "- **DOI**: 10.5555/ABC.def",
      "- **Categories**: **cs.CV**",
      "- **Authors**: Jörg Müller",
      "- **Summary**: A paper with accents in its title.",
      "",
    }, "\n"), "accents.md"))
    local aidx = assert(ad.index(coll))
    local lib = assert(ad.library([[
@article{a, title = {{\"U}ber die Sch{\"a}tzung -- M{\"{u}}ller's \c{C}edilla  networks}}
@article{b, title = {UBER die Schatzung.  Muller’s CEDILLA -- networks!}}
@article{c, doi = {https://doi.org/10.5555/abc.DEF}}
@article{d, title = {Über die Schätzung}}
]], aidx))
    assert.are.same({ "2006.00010" }, lib:ids())
    assert.are.equal(0, core._rfind(aidx, "2006.00010"))
    for _, k in ipairs { "a", "b", "c" } do assert.are.equal(0, entry_by_key(lib, k).doc) end
    assert.are.same({ '4: no paper has the title "Über die Schätzung"' }, reasons(lib))
  end)

  it("matches titles with braces or $ inside a word, dropped alike on both sides (review B13)", function()
    -- two records copied from the archive: "Aspl{ü}nd's metric ..." (1803.00764)
    -- and "D$^3$ETR: ..." (2211.09768), and made-up ones where the braced
    -- word is a word of another title (so the index has it: the AND of the
    -- rarest words misses, leaving it out finds the paper)
    local coll = assert(ad.open("spec/fixtures/braces"))
    local extra = assert(ad.parse(table.concat({
      "# Arxiv Papers in cs.CV on 2020-06-11",
      "### DeepLab for the segmentation of roads",
      "- **Arxiv ID**: http://arxiv.org/abs/2006.00020v1",
      "- **Summary**: A.",
      "",
      "### {Deep}Lab revisited for the segmentation of rivers",
      "- **Arxiv ID**: http://arxiv.org/abs/2006.00021v1",
      "- **Summary**: B.",
      "",
    }, "\n"), "braces.md"))
    local bidx = assert(ad.index(coll))
    local eidx = assert(ad.index(extra))
    local asplund = " metric defined in the Logarithmic Image Processing (LIP) framework for colour and multivariate images"
    local lib = assert(ad.library(table.concat({
      [[@article{a, title = {Aspl{\"u}nd's]] .. asplund .. "}}",
      "@article{b, title = {Asplünd's" .. asplund .. "}}",
      "@article{c, title = {Aspl{ü}nd's" .. asplund .. "}}",
      "@article{d, title = {Asplund's" .. asplund .. "}}",
      "@article{e, title = {{D$^3$ETR}: Decoder Distillation for Detection Transformer}}",
      "@article{f, title = {D$^{3}$ETR: Decoder Distillation for Detection Transformer}}",
      "@article{g, title = {Asplund's metric}}",
    }, "\n") .. "\n", bidx))
    local got = {}
    for _, e in ipairs(lib:entries()) do got[e.key] = e.doc and core._rpaper(bidx, e.doc).id or false end
    assert.are.same({ a = "1803.00764", b = "1803.00764", c = "1803.00764", d = "1803.00764",
                      e = "2211.09768", f = "2211.09768", g = false }, got)
    local lib2 = assert(ad.library([[
@article{x, title = {DeepLab revisited for the segmentation of rivers}}
@article{y, title = {{DeepLab} for the segmentation of roads}}
]], eidx))
    local got2 = {}
    for _, e in ipairs(lib2:entries()) do got2[e.key] = e.doc and core._rpaper(eidx, e.doc).id or false end
    assert.are.same({ x = "2006.00021", y = "2006.00020" }, got2)
  end)

  it("never fails on mutated exports or random bytes (property test)", function()
    local texts = {}
    for _, f in ipairs { "zotero.bib", "jabref.bib", "arxiv.bib", "scholar.bib", "ids.txt", "hostile.bib" } do
      texts[#texts + 1] = H.read(FIX .. f)
    end
    local alphabet = { "{", "}", "\"", "@", "#", "=", ",", "\n", "\\", "%", "(", ")", "\0", "\255",
                       "\xc3", "@misc{", "@string{", "@comment{", "title = {", "}}}}", "{{{{" }
    math.randomseed(13)
    local rnd = math.random
    local function mutate(s)
      for _ = 1, rnd(1, 8) do
        local n, op = #s, rnd(1, 5)
        local i, j = rnd(1, n + 1), rnd(1, n + 1)
        if i > j then i, j = j, i end
        if op == 1 then s = s:sub(1, i - 1) .. s:sub(j)                             -- delete
        elseif op == 2 then s = s:sub(1, i - 1) .. alphabet[rnd(#alphabet)] .. s:sub(i) -- insert
        elseif op == 3 then s = s:sub(1, j) .. s:sub(i, j) .. s:sub(j + 1)          -- duplicate
        elseif op == 4 then s = s:sub(1, i - 1) .. string.char(rnd(0, 255)) .. s:sub(i + 1)
        else s = s:sub(j + 1) .. s:sub(i, j) .. s:sub(1, i - 1) end                 -- rotate
      end
      return s
    end
    local function check(text)
      local ok, lib = pcall(ad.library, text .. "\n")
      assert(ok, lib)
      assert.are.equal("table", type(lib))
      ok = pcall(lib.resolve, lib, index())
      assert(ok)
      assert.are.equal("table", type(lib:warnings()))
      assert.are.equal("table", type(lib:unmatched()))
      assert(#lib >= 0)
    end
    for _, t in ipairs(texts) do
      for _ = 1, 150 do check(mutate(t)) end
    end
    for _ = 1, 200 do
      local b = {}
      for k = 1, rnd(0, 400) do b[k] = string.char(rnd(0, 255)) end
      check(table.concat(b))
      check("@" .. table.concat(b))
    end
  end)
end)
