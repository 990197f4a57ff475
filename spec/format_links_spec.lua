-- The one link extractor of the formats (format/util.lua: links, urls,
-- code_urls) on sentences from real abstracts (issue 12: braced URLs kept
-- the brace), and the HTML format using it.
local format = require "arxivdigest.format"
local util = require "arxivdigest.format.util"
local X = dofile("spec/fixtures/format/xmlcheck.lua")
local CASES = dofile("spec/fixtures/format/links.lua")

describe("util.links", function()
  it("finds the URL a reader means in each real sentence", function()
    for _, c in ipairs(CASES) do
      assert.are.same(c[2], util.urls(c[1]), c[1])
    end
  end)

  it("keeps every character of the text and labels links as written", function()
    for _, c in ipairs(CASES) do
      local segs = util.links(c[1])
      local plain, n = {}, 0
      for _, seg in ipairs(segs) do
        assert.is_string(seg.text)
        if seg.url then
          n = n + 1
          if n == 1 and c[3] then assert.are.equal(c[3], seg.text, c[1]) end
        end
        plain[#plain + 1] = seg.text
      end
      -- outside \url{} and \href{}{}, the text is unchanged
      if not c[1]:find("\\url{", 1, true) and not c[1]:find("\\href{", 1, true) then
        assert.are.equal(c[1], table.concat(plain), c[1])
      end
    end
  end)

  it("picks code hosts", function()
    assert.are.same({ "https://github.com/a/b", "https://huggingface.co/x", "https://www.github.com/c/d" },
      util.code_urls("see https://github.com/a/b and https://example.org/x, https://huggingface.co/x "
        .. "or www.github.com/c/d; not https://github.company.com/x"))
  end)
end)

describe("html links", function()
  it("links each URL once, without braces or sentence punctuation", function()
    local papers = {}
    for i, c in ipairs(CASES) do
      papers[i] = { id = string.format("2101.%05d", i), title = "T" .. i, abstract = c[1], date = "2021-01-04" }
    end
    local doc = assert(X.check(format.render(papers, "html", { charts = false })))
    local arts = X.find_all(doc, "article")
    for i, c in ipairs(CASES) do
      local hrefs = {}
      for _, a in ipairs(X.find_all(X.find_all(arts[i], "p")[2], "a")) do hrefs[#hrefs + 1] = a.attrs.href end
      assert.are.same(c[2], hrefs, c[1])
    end
    local html = format.render({ { id = "2101.00001", title = "T",
      abstract = "Demo at \\url{https://github.com/gaomingqi/Track-Anything}." } }, "html", { charts = false })
    assert.truthy(html:find('href="https://github.com/gaomingqi/Track-Anything"', 1, true))
    assert.is_nil(html:find("Track-Anything}", 1, true))
    assert.is_nil(html:find("\\url", 1, true))
  end)
end)

describe("util.links on many links", function()
  it("finds each of 20,000 URLs in one text", function()
    local urls = util.urls(("see http://x.org/a} and (https://y.org/b_(c)), "):rep(10000))
    assert.are.equal(20000, #urls)
    assert.are.equal("http://x.org/a", urls[1])
    assert.are.equal("https://y.org/b_(c)", urls[2])
    assert.are.equal("https://y.org/b_(c)", urls[20000])
  end)
end)
