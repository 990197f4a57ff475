-- arxivdigest.stats: the summary's counts (here: authors per person).
local ad = require "arxivdigest"
local stats = require "arxivdigest.stats"
local H = dofile("spec/helper.lua")

local function record(n, authors)
  return ([[
### Paper number %d
- **Arxiv ID**: http://arxiv.org/abs/1901.0%04dv1
- **DOI**: None
- **Categories**: **cs.CV**
- **Links**: [PDF](http://arxiv.org/pdf/1901.0%04dv1)
- **Published**: 2019-01-14 03:27:05+00:00
- **Updated**: 2019-01-14 03:27:05+00:00
- **Authors**: %s
- **Comment**: None
- **Journal**: None
- **Summary**: Words about paper %d.



]]):format(n, 1000 + n, 1000 + n, authors, n)
end

describe("stats", function()
  describe("top authors", function()
    local dir
    setup(function()
      local recs = {"# Arxiv Papers in cs.CV on 2019-01-14\n"}
      recs[#recs + 1] = record(1, "Luc Van Gool, Ann Lee")
      recs[#recs + 1] = record(2, "Luc Van Gool, Bo Li")
      recs[#recs + 1] = record(3, "Luc van Gool, Bo Li")
      recs[#recs + 1] = record(4, "LUC VAN GOOL")
      recs[#recs + 1] = record(5, "Müller Jan, Bo Li")
      recs[#recs + 1] = record(6, "Muller Jan")
      dir = H.tmpdir({["20190114.md"] = table.concat(recs)})
    end)
    teardown(function() os.execute("rm -rf " .. H.shell_quote(dir)) end)

    local function top(src)
      local out = {}
      for _, e in ipairs(stats.summary(src, {top = 10}).authors) do out[#out + 1] = {e.key, e.count} end
      return out
    end

    it("counts one person under one key, case and diacritics aside, shown as the most frequent spelling",
      function()
        local want = {{"Luc Van Gool", 4}, {"Bo Li", 3}, {"Muller Jan", 2}, {"Ann Lee", 1}}
        local c = assert(ad.open(dir))
        assert.same(want, top(c))
        assert.same(want, top(ad.index(c)))
        local text = stats.render(stats.summary(c, {top = 1}), "text")
        assert.truthy(text:find("Luc Van Gool%s+4"), text)
        assert.is_nil(text:find("Luc van Gool", 1, true))
      end)

    it("keys names by the index's words", function()
      assert.equal(stats._name_key("Luc Van Gool"), stats._name_key("luc  van GOOL"))
      assert.equal(stats._name_key("Li-Heng Chen"), stats._name_key("Li Heng Chen"))
      assert.are_not.equal(stats._name_key("Li Chen"), stats._name_key("Li-Heng Chen"))
    end)
  end)
end)
