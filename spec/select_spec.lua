-- c:select(ast): cheap predicates evaluated in C over the records' spans.
local ad = require "arxivdigest"

local function ids(c, sel)
  local t = {}
  for _, i in ipairs(sel) do t[#t + 1] = c[i].id end
  return t
end

describe("c:select", function()
  local c = assert(ad.open({"examples/data", "spec/fixtures/catalog"}))

  local function brute(pred)
    local t = {}
    for i = 1, #c do if pred(c[i]) then t[#t + 1] = i end end
    return t
  end

  local function has(list, v)
    for _, x in ipairs(list) do if x:lower() == v:lower() then return true end end
    return false
  end

  it("selects by category, primary, id, date, version and has:", function()
    assert.are.same(brute(function(p) return has(p.categories, "cs.LG") end),
      c:select{type = "cat", value = "cs.LG"})
    assert.are.same(brute(function(p) return p.primary_category == "quant-ph" end),
      c:select{type = "primary", value = "quant-ph"})
    assert.are.same({"1901.04405"}, ids(c, c:select{type = "primary", value = "QUANT-PH"}))
    assert.are.same({"hep-th/9711200"}, ids(c, c:select{type = "id", value = "hep-th/9711200"}))
    assert.are.same(brute(function(p) return p.date >= "2020-05-13" and p.date <= "2020-05-20" end),
      c:select{type = "date", from = "2020-05-13", to = "2020-05-20"})
    assert.are.equal(47 + 46, #c:select{type = "date", from = "2020-05-13", to = "2020-05-20"})
    assert.are.same(brute(function(p) return (p.version or 0) >= 2 end),
      c:select{type = "version", min = 2})
    assert.are.same(brute(function(p) return p.doi ~= nil end), c:select{type = "has", value = "doi"})
    assert.are.same(brute(function(p) return p.journal ~= nil end), c:select{type = "has", value = "journal"})
    local code = brute(function(p)
      local s = ((p.abstract or "") .. " " .. (p.comment or "")):lower()
      return s:find("github.com", 1, true) or s:find("gitlab.com", 1, true) or
             s:find("bitbucket.org", 1, true) or s:find("huggingface.co", 1, true) or
             s:find("codeberg.org", 1, true) or s:find("sourceforge.net", 1, true) or
             s:find("gitee.com", 1, true) or s:find("paperswithcode.com", 1, true)
    end)
    assert.is_true(#code > 5)
    assert.are.same(code, c:select{type = "has", value = "code"})
  end)

  it("combines with and, or, not", function()
    local q = {type = "and",
      {type = "cat", value = "cs.CV"},
      {type = "not", {type = "has", value = "journal"}},
      {type = "or", {type = "date", from = "2019-01-01", to = "2019-12-31"},
                    {type = "primary", value = "hep-th"}}}
    assert.are.same(brute(function(p)
      return has(p.categories, "cs.CV") and p.journal == nil and
        ((p.date >= "2019-01-01" and p.date <= "2019-12-31") or p.primary_category == "hep-th")
    end), c:select(q))
  end)

  it("refuses what is not cheap, and malformed nodes, with clear errors", function()
    assert.has_error(function() c:select{type = "term", text = "x"} end,
      "select: 'term' is not a cheap filter (it needs the index or the decoded text)")
    assert.has_error(function() c:select{type = "and"} end, "select: 'and' node without operands")
    assert.has_error(function() c:select{type = "date", from = "2020-5-1"} end,
      "select: bad date '2020-5-1' (YYYY-MM-DD expected)")
    assert.has_error(function() c:select{type = "has", value = "pdf"} end, "select: unknown has:pdf")
    assert.has_error(function() c:select() end,
      "bad argument #1 to 'select' (query string or tree expected, got no value)")
  end)
end)
