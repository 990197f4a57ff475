-- Each shipped report, run on the bundled sample (examples/data/), with
-- assertions on what it says.
local script = require "arxivdigest.script"
local ad = require "arxivdigest"
local f = require "arxivdigest.filter"

local R = "examples/reports/"

local function report(name, args, sandbox)
  local sample = assert(ad.open("examples/data"))
  local p = assert(script.report(R .. name, {source = sample, args = args, sandbox = sandbox}))
  return p:render()
end

local function count(s, pat)
  return select(2, s:gsub(pat, ""))
end

describe("example reports", function()
  for _, name in ipairs{"daily.lua", "weekly.lua", "authors.lua", "revised.lua"} do
    it(name .. " gives the same output in the sandbox", function()
      local plain = report(name)
      assert.is_true(#plain > 100)
      assert.equal(plain, report(name, nil, true))
    end)
  end

  describe("daily digest", function()
    local KW = {"segmentation", "depth", "diffusion", "nerf", "3d", "video"}
    local AU = {"Li-Heng Chen", "A. Vedaldi", "Gagne, Christian"}

    it("covers the latest day, the papers matching my interests, ranked", function()
      local out = report("daily.lua")
      assert.matches("^# Daily digest 2020%-11%-20\n", out)
      local want = ad.from("examples/data")
        :where(f.date("2020-11-20") * f.category("cs.CV", "eess.IV") * (f.keywords(KW) + f.authors(AU)))
        :collect()
      assert.matches(("\n%d papers match my interests"):format(#want), out)
      assert.equal(#want, count(out, "\n%d+%. %*%*"))
      for _, p in ipairs(want) do assert.matches("[" .. p.id .. "]", out, 1, true) end
      -- ranked: scores never increase
      local last = math.huge
      for score in out:gmatch(" score (%d+):") do
        score = tonumber(score)
        assert.is_true(score <= last)
        last = score
      end
      -- title matches first: the two papers with two title keywords
      local first = out:match("\n1%. %*%*(.-)%*%*")
      assert.matches("Segmentation", first)
      assert.matches("3D", first)
      assert.matches("\n1%. .- score 7: segmentation %(title%), 3d %(title%)", out)
    end)

    it("ranks followed authors first on a catalog day", function()
      local out = report("daily.lua", {day = "2019-10-19"})
      assert.matches("^# Daily digest 2019%-10%-19\n", out)
      local top = out:match("\n1%. ([^\n]*)")
      assert.matches("author ", top)
      assert.matches("ProxIQA", out, 1, true)               -- Li-Heng Chen
      assert.matches("author Gagne, Christian", out, 1, true)
    end)
  end)

  describe("weekly summary", function()
    it("counts the latest week against the previous ones, with a chart", function()
      local out = report("weekly.lua")
      assert.matches("^# Weekly summary 2020%-11%-14 %.%. 2020%-11%-20\n", out)
      assert.matches("53 papers this week, 157 in the previous weeks.", out, 1, true)
      assert.matches("- 2020-11-20: 53", out, 1, true)
      assert.equal(1, count(out, '<rect class="bar"'))
      assert.matches("<svg", out, 1, true)
      assert.matches("(no author data: daily listings carry no authors)", out, 1, true)
      -- rising terms: used by at least 3 papers this week, more often than before
      local rows = 0
      for term, now, before, ratio in out:gmatch("\n| ([%w%-]+) | (%d+) | (%d+) | ([%d%.]+) |") do
        rows = rows + 1
        assert.is_true(tonumber(now) >= 3, term)
        assert.is_true(tonumber(ratio) > 1, term)
        local _ = before
      end
      assert.is_true(rows >= 5)
    end)

    it("summarises a chosen week with several days and top authors", function()
      local out = report("weekly.lua", {week = "2020-05-22"})
      assert.matches("89 papers this week, 68 in the previous weeks.", out, 1, true)
      assert.equal(2, count(out, '<rect class="bar"'))
      local cat = report("weekly.lua", {week = "2019-10-19"})
      assert.matches("22 papers this week, 0 in the previous weeks.", cat, 1, true)
      assert.matches("## Top authors\n\n%- Li%-Heng Chen %(2%)\n", cat)
    end)
  end)

  describe("author watch list", function()
    it("has one section per followed author who published", function()
      local out = report("authors.lua")
      assert.matches("## A. Vedaldi (1)", out, 1, true)
      assert.matches("## Gagne, Christian (1)", out, 1, true)
      assert.matches("## Li-Heng Chen (2)", out, 1, true)
      assert.matches("## Xiaofei Xie (1)", out, 1, true)
      assert.matches("No paper from: Kaiming He", out, 1, true)
      assert.matches("\n5 papers.\n", out, 1, true)
      assert.matches("Christian Gagné", out, 1, true)     -- the name as printed in the paper
    end)

    it("takes the list from --arg authors", function()
      local out = report("authors.lua", {authors = "Vedaldi, Andrea; Marc-Andre Gardner; Nobody Here"})
      assert.matches("## Vedaldi, Andrea (1)", out, 1, true)
      assert.matches("## Marc-Andre Gardner (1)", out, 1, true)
      assert.matches("No paper from: Nobody Here", out, 1, true)
      assert.matches("\n2 papers.\n", out, 1, true)
    end)
  end)

  describe("revised papers", function()
    it("lists new versions of followed papers, highest version first", function()
      local out = report("revised.lua")
      local got = {}
      for id, v in out:gmatch("\n%- (%S+) v(%d+)") do got[#got + 1] = id .. "v" .. v end
      assert.same({"1910.08681v4", "1910.08695v4", "1910.08787v3", "1910.08728v2"}, got)
      assert.not_matches("1910.11126", out, 1, true)      -- followed, but still v1
      assert.matches("1910.08681 v4 (updated 2020-07-22, first version 2019-10-19): SPARK", out, 1, true)
    end)

    it("takes the ids from --arg ids", function()
      local out = report("revised.lua", {ids = "1910.08845, 1910.11126"})
      assert.matches("\n%- 1910%.08845 v2", out)
      assert.equal(1, count(out, "\n%- "))
      local none = report("revised.lua", {ids = "1910.11126"})
      assert.matches("No new version of the 1 papers followed.", none, 1, true)
    end)
  end)
end)

describe("example filters", function()
  local sample
  setup(function() sample = assert(ad.open("examples/data")) end)

  local function kept(name, sandbox)
    local flt = assert(script.filter("examples/filters/" .. name, {sandbox = sandbox}))
    return ad.from(sample):where(flt):collect()
  end

  it("code-release keeps papers linking to code hosting", function()
    local got = kept("code-release.lua", true)
    assert.is_true(#got >= 15)
    for _, p in ipairs(got) do
      local text = ((p.abstract or "") .. " " .. (p.comment or "")):lower()
      assert.is_truthy(text:find("github.com", 1, true) or text:find("gitlab.com", 1, true)
        or text:find("huggingface.co", 1, true) or text:find("bitbucket.org", 1, true)
        or text:find("sourceforge.net", 1, true) or text:find("codeberg.org", 1, true)
        or text:find("gitee.com", 1, true) or text:find("paperswithcode.com", 1, true), p.id)
    end
  end)

  it("segmentation keeps title and abstract matches", function()
    local got = kept("segmentation.lua", true)
    assert.is_true(#got > 25)
    for _, p in ipairs(got) do
      local t = (p.title .. " " .. p.abstract):lower()
      assert.is_truthy(t:find("segmentation", 1, true), p.id)
    end
  end)

  it("followed-authors and recent-3d", function()
    assert.equal(4, #kept("followed-authors.lua", true))
    local got = kept("recent-3d.lua")
    assert.is_true(#got > 3)
    for _, p in ipairs(got) do
      assert.is_true(p.date >= "2020-05-20")
      assert.matches("3[dD]", p.title)
    end
    assert.equal(#got, #kept("recent-3d.lua", true))
  end)
end)
