-- What the formatters read from the command (issue 12, "Output that is
-- wrong or collides"): scores only when ranked (opts.ranked), feed and page
-- identity (opts.query, opts.command, opts.title), the total behind a limit
-- (opts.total), day headers only for date-ordered papers, chart buckets
-- and distinctive terms (opts.query, opts.df, opts.ndocs).
local format = require "arxivdigest.format"
local P = dofile("spec/fixtures/format/papers.lua")
local X = dofile("spec/fixtures/format/xmlcheck.lua")

local function count(s, needle)
  local n, i = 0, 1
  while true do
    local a, b = s:find(needle, i, true)
    if not a then return n end
    n, i = n + 1, b + 1
  end
end

describe("scores", function()
  local two = { P.catalog, P.listing }

  it("never shows score 0 on unranked results", function()
    for _, f in ipairs({ "text", "html" }) do
      local out = format.render(two, f, { color = false, scores = { 0, 0 } })
      assert.is_nil(out:find("score", 1, true), f)
      local g = format.render(nil, f, { color = false, groups = { { key = "d", papers = two, scores = { 0, 0 } } } })
      assert.is_nil(g:find("score", 1, true), f)
      -- no scores at all, or not numbers
      assert.is_nil(format.render(two, f, { color = false }):find("score", 1, true), f)
      assert.is_nil(format.render(two, f, { color = false, scores = { "x", true } }):find("score", 1, true), f)
    end
  end)

  it("shows the scores of a ranked output, a 0 among them included", function()
    local out = format.render(two, "text", { color = false, scores = { 2.5, 0 } })
    assert.truthy(out:find("| score 2.5\n", 1, true))
    assert.truthy(out:find("| score 0\n", 1, true))
    local html = format.render(two, "html", { scores = { 2.5, 0 } })
    assert.are.equal(2, count(html, '<span class="score">'))
  end)

  it("follows opts.ranked when given", function()
    assert.is_nil(format.render(two, "text", { color = false, scores = { 2.5, 1 }, ranked = false })
      :find("score", 1, true))
    assert.are.equal(2, count(format.render(two, "text", { color = false, scores = { 0, 0 }, ranked = true }),
      "score 0"))
    local nan = format.render(two, "html", { scores = { 0 / 0, 1 }, ranked = true })
    assert.is_nil(nan:find("score %-?nan"))
    assert.are.equal(1, count(nan, '<span class="score">'))
  end)
end)
