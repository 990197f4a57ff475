-- DOIs of real listings (review B9): a DOI field may list several DOIs
-- separated by spaces ("10.1145/3243394.3243689 10.1145/3243394.3243689",
-- 1901.09287) or end with a "." (1411.4419). One rule (core.dois:
-- ad_doi_next in csrc/ad_text.c, format/util.lua's dois) serves every
-- output (BibTeX's doi: the first; html and atom: a link for each) and the
-- library matcher's DOI table (csrc/ad_recommend.c); the raw field stays.
-- Fixtures: spec/fixtures/doi/, three papers copied from the archive.
local ad = require "arxivdigest"
local core = require "arxivdigest.core"
local util = require "arxivdigest.format.util"
local format = require "arxivdigest.format"

local FIX = "spec/fixtures/doi"
local CORPUS = "../shared/corpus"

local by_id = dofile("spec/helper.lua").by_id

local function all(s, pat)
  local out = {}
  for m in s:gmatch(pat) do out[#out + 1] = m end
  return out
end

describe("DOIs (core.dois, util.dois)", function()
  local CASES = {
    { "10.1145/3243394.3243689 10.1145/3243394.3243689", { "10.1145/3243394.3243689" } },
    { "10.1109/TCYB.2016.2572306.", { "10.1109/TCYB.2016.2572306" } },
    { "10.1007/978-1-4020-8741-7_84 10.1007/978-3-540-68825-9_21\n  10.1145/1370256.1370262",
      { "10.1007/978-1-4020-8741-7_84", "10.1007/978-3-540-68825-9_21", "10.1145/1370256.1370262" } },
    { " https://doi.org/10.1/X. doi:10.1/x\t10.2/y;", { "10.1/X", "10.2/y" } },
    { "HTTP://DX.DOI.ORG/10.5/Z,", { "10.5/Z" } },
    { "doi: 10.5/z", { "10.5/z" } },
    { "10.1002/(SICI)1097-4636(199812)43:4<424::AID-JBM9>3.0.CO;2-K",
      { "10.1002/(SICI)1097-4636(199812)43:4<424::AID-JBM9>3.0.CO;2-K" } },
    { "", {} }, { "  . ", {} }, { "doi:", {} },
  }

  it("splits at white space, drops resolver prefixes and a final punctuation, keeps case", function()
    for _, c in ipairs(CASES) do
      assert.are.same(c[2], core.dois(c[1]), c[1])
      assert.are.same(c[2], util.lua_dois(c[1]), c[1])
      assert.are.same(c[2], util.dois(c[1]), c[1])
    end
    assert.are.same({}, util.dois(nil))
    assert.is_nil(util.doi(nil))
    assert.are.equal("10.1109/TCYB.2016.2572306", util.doi("10.1109/TCYB.2016.2572306."))
  end)

  it("the C rule and its Lua copy agree on random fields", function()
    math.randomseed(9)
    local alphabet = { "10.", "1145", "/", ".", ",", ";", ":", " ", "\t", "\n", "doi:", "DOI:",
                       "https://doi.org/", "x", "X", "(", ")", "_", "-", "\255" }
    for _ = 1, 2000 do
      local t = {}
      for k = 1, math.random(0, 12) do t[k] = alphabet[math.random(#alphabet)] end
      local s = table.concat(t)
      assert.are.same(util.lua_dois(s), core.dois(s), ("%q"):format(s))
    end
  end)

  it("the C rule and its Lua copy agree on every DOI of the archive", function()
    if not dofile("spec/helper.lua").have(CORPUS .. "/cs.CV-2019") then return pending("no " .. CORPUS) end
    local c = assert(ad.open(CORPUS))
    local n, several, dotted = 0, 0, 0
    for i = 1, #c do
      local d = c[i].doi
      if d then
        n = n + 1
        local t = core.dois(d)
        assert.are.same(util.lua_dois(d), t, d)
        assert.is_true(#t >= 1, d)
        for _, x in ipairs(t) do
          assert.is_nil(x:find("%s"), d)
          assert.is_nil(x:find("[%.,;:]$"), d)
        end
        if d:find("%s") then several = several + 1 end
        if d:find("%.$") then dotted = dotted + 1 end
      end
    end
    assert.is_true(n > 7000)
    assert.is_true(several >= 4 and dotted >= 15, several .. " " .. dotted)
  end)
end)

describe("DOIs in the outputs", function()
  local c = assert(ad.open(FIX))
  local P = by_id(c)

  it("keeps the raw field as it is", function()
    assert.are.equal("10.1145/3243394.3243689 10.1145/3243394.3243689", P["1901.09287"].doi)
    assert.are.equal("10.1109/TCYB.2016.2572306.", P["1411.4419"].doi)
    local j = format.render({ P["1411.4419"] }, "jsonl")
    assert.truthy(j:find('"doi":"10.1109/TCYB.2016.2572306."', 1, true))
  end)

  it("writes BibTeX's doi as the first DOI, without the final '.'", function()
    local b = format.render(c, "bibtex")
    assert.are.same({ "10.1007/978-1-4020-8741-7_84", "10.1109/TCYB.2016.2572306", "10.1145/3243394.3243689" },
                    all(b, "\n  doi%s+= {([^}]*)}"))
    -- 1411.4419 has a journal-ref and a journal DOI: an @article
    assert.are.same({ "misc{mokhov2009modular", "article{peng2014automatic", "misc{taylor2019real" },
                    all(b, "@([%a]+{[%w]+),"))
  end)

  it("links each DOI once in html and atom (no %20, no final '.')", function()
    local want = { "https://doi.org/10.1007/978-1-4020-8741-7_84", "https://doi.org/10.1007/978-3-540-68825-9_21",
                   "https://doi.org/10.1145/1370256.1370262", "https://doi.org/10.1109/TCYB.2016.2572306",
                   "https://doi.org/10.1145/3243394.3243689" }
    assert.are.same(want, all(format.render(c, "html"), 'href="(https://doi%.org/[^"]*)"'))
    assert.are.same(want, all(format.render(c, "atom"), 'href="(https://doi%.org/[^"]*)"'))
  end)
end)

describe("DOIs in the library matcher", function()
  it("finds a paper by any of its DOIs, written with or without the final '.'", function()
    local idx = assert(ad.index(FIX))
    local lib = assert(ad.library([[
@article{a, doi = {10.1109/TCYB.2016.2572306}}
@article{b, doi = {https://doi.org/10.1109/tcyb.2016.2572306.}}
@article{c, doi = {10.1145/3243394.3243689}}
@inbook{d, doi = {10.1145/1370256.1370262}}
@inbook{e, doi = {10.1007/978-3-540-68825-9_21}}
@article{f, doi = {10.9999/nothere 10.1145/3243394.3243689}}
@article{g, doi = {10.9999/nothere.}}
]], idx))
    local ids = {}
    for _, e in ipairs(lib:entries()) do
      ids[e.key] = e.doc and core._rpaper(idx, e.doc).id or false
    end
    assert.are.same({ a = "1411.4419", b = "1411.4419", c = "1901.09287", d = "0905.1235",
                      e = "0905.1235", f = "1901.09287", g = false }, ids)
    local u = lib:unmatched()
    assert.are.equal(1, #u)
    assert.are.equal("DOI 10.9999/nothere is not in the index", u[1].reason)
  end)
end)
