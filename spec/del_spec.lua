-- DEL bytes (0x7F) in real author names (review B14): five files of the
-- archive have "Jan T<DEL>ünnermann", "H. Rolf J<DEL>ager" (TeX's OT1 slot
-- of the umlaut accent, leaked). DEL is invisible: the parser drops it from
-- values (csrc/ad_text.c) and the tokenizer ignores it inside a word
-- (csrc/ad_token.c), so the name reads whole, the index finds it, and the
-- Lua path (f.authors, queries over a collection) agrees with the index.
-- Fixtures: spec/fixtures/del/, the three records copied from the archive.
local ad = require "arxivdigest"
local core = require "arxivdigest.core"
local f = require "arxivdigest.filter"

local FIX = "spec/fixtures/del"
local CORPUS = "../shared/corpus"

local by_id = dofile("spec/helper.lua").by_id

describe("DEL in real author names", function()
  local c = assert(ad.open(FIX))
  local P = by_id(c)

  it("is dropped from the values: the names read whole", function()
    assert.are.same({ "Jan Tünnermann", "Dieter Enns", "Bärbel Mertsching" }, P["1307.5710"].authors)
    assert.are.equal("H. Rolf Jager", P["1809.05499"].authors[3])
    assert.are.equal("Jozsef Kovecses", P["1508.02405"].authors[3])
    for i = 1, #c do
      for _, a in ipairs(c[i].authors) do
        assert.is_nil(a:find("\127", 1, true), a)
        assert.is_nil(a:find("\u{FFFD}", 1, true), a)
      end
    end
    -- other control characters still become U+FFFD
    local x = assert(ad.parse("# Arxiv Papers in cs.CV on 2019-10-19\n### A\127B C\27D\n"
      .. "- **Arxiv ID**: http://arxiv.org/abs/1910.00001v1\n", "x.md"))
    assert.are.equal("AB C\u{FFFD}D", x[1].title)
  end)

  it("is ignored inside a word by the tokenizer and the fold", function()
    assert.are.same({ "jan", "tunnermann" }, core.tokens("Jan T\127ünnermann"))
    assert.are.same({ "jager" }, core.tokens("J\127ager"))
    assert.are.same({ "a-b", "a", "b" }, core.tokens("a\127-b"))
    assert.are.same({ "abc", "def" }, core.tokens("\127abc\127 def\127"))
    assert.are.equal("jan tunnermann", core.fold("Jan T\127ünnermann"))
    assert.are.equal("jan tunnermann", core.words("Jan T\127ünnermann"))
    -- the raw text (what the index reads) and the value give the same tokens
    for i = 1, #c do
      local raw = c[i].raw
      local line = raw:match("%*%*Authors%*%*: ([^\n]*)")
      assert.are.same(core.tokens(table.concat(c[i].authors, ", ")), core.tokens(line))
    end
  end)

  it("lets the index and the Lua path find the names, and agree", function()
    local idx = assert(ad.index(c))
    for q, n in pairs { ["au:tünnermann"] = 1, ["au:tunnermann"] = 1, ['au:"Bärbel Mertsching"'] = 1,
                        ["au:jager"] = 1, ["au:kovecses"] = 1, ["au:t"] = 0, ["au:unnermann"] = 0 } do
      assert.are.equal(n, idx:count(q), q)
      assert.are.equal(n, ad.from(c):query(q):count(), q)
    end
    -- every author as listed is found by an author phrase (the splitter and
    -- the tokenizer agree on each name)
    for i = 1, #c do
      for _, a in ipairs(c[i].authors) do
        assert.is_true(idx:count('au:"' .. a .. '"') >= 1, a)
      end
    end
    for _, who in ipairs { "Jan Tünnermann", "J. Tunnermann", "Bärbel Mertsching", "H. R. Jäger", "Jozsef Kövecses" } do
      assert.are.equal(1, ad.from(c):where(f.authors { who }):count(), who)
      assert.are.equal(1, ad.from(idx):where(f.authors { who }):count(), who)
    end
  end)

  it("leaves no DEL and no U+FFFD in any author name of the archive", function()
    local fh = io.open(CORPUS .. "/cs.CV-years/2013/07/20130722.md", "rb")
    if not fh then pending("no " .. CORPUS) return end
    fh:close()
    local all = assert(ad.open(CORPUS))
    local n = 0
    for i = 1, #all do
      for _, a in ipairs(all[i].authors) do
        n = n + 1
        assert.is_nil(a:find("[\127]"), all[i].id)
        assert.is_nil(a:find("\u{FFFD}", 1, true), all[i].id)
      end
    end
    assert.is_true(n > 100000)
    local idx = assert(ad.index(all))
    assert.are.equal(2, idx:count("au:tünnermann"))
  end)
end)
