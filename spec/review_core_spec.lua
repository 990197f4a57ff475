-- Independent review of the C core (issue 2): one test per confirmed finding
-- of docs/review-core.md, named "F<n>". Each one fails on the reviewed code
-- and passes once the finding is fixed. Findings that crash the process run
-- in a child lua5.4, so a crash fails one test instead of the whole suite.
local ad = require "arxivdigest"

local H = dofile("spec/helper.lua")
local run_lua = H.run_lua


local function listing(header, body)
  return ad.parse(header .. "\n" .. body, "review.md")
end

describe("review of the core (docs/review-core.md)", function()
  it("F1: c:select on an AST whose fields change between reads raises, never corrupts memory", function()
    local rc, out = run_lua([[
      local ad = require "arxivdigest"
      local c = assert(ad.open("examples/data/003_ce175d6736be5667.txt"))
      -- "type" reads "all" in the counting pass and "and" (64 kids) when filling
      local n = 0
      local node = setmetatable({}, {
        __index = function(_, k)
          if k == "type" then n = n + 1; return n == 1 and "all" or "and" end
          return {type = "all"}
        end,
        __len = function() return 64 end,
      })
      local ok1 = pcall(c.select, c, node)
      -- "type" reads "all" once, then nil
      local m = 0
      local node2 = setmetatable({}, {__index = function(_, k)
        if k == "type" then m = m + 1; if m == 1 then return "all" end end
      end})
      local ok2 = pcall(c.select, c, node2)
      collectgarbage()
      print("survived", ok1, ok2)
    ]])
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("survived", 1, true), out)
  end)

  it("F2: c:select on a deeply nested AST works or raises, never overflows the Lua stack", function()
    local rc, out = run_lua([[
      local ad = require "arxivdigest"
      local c = assert(ad.open("examples/data/003_ce175d6736be5667.txt"))
      for _, d in ipairs{34, 40, 60, 150} do
        local q = {type = "all"}
        for _ = 1, d do q = {type = "not", q} end
        local ok, r = pcall(c.select, c, q)
        assert(not ok or #r == (d % 2 == 0 and #c or 0), "wrong result at depth " .. d)
        assert(ok or tostring(r):find("nested too deeply", 1, true), tostring(r))
      end
      collectgarbage()
      print("survived")
    ]])
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("survived", 1, true), out)
  end)

  it("F3: a listing header's hyphenated category is the primary category", function()
    local link = "### 1.T  [ :arrow_down: ](https://arxiv.org/pdf/2005.09623.pdf)\n>  A.\n"
    local c = listing("# ArXiv quant-ph --Wed, 20 May 2020", link)
    assert.are.equal("quant-ph", c[1].primary_category)
    assert.are.same({"quant-ph"}, c[1].categories)
    c = listing("# ArXiv astro-ph.GA --Wed, 20 May 2020", link)
    assert.are.equal("astro-ph.GA", c[1].primary_category)
    c = listing("# ArXiv cs.CV --Wed, 20 May 2020", link)  -- still right
    assert.are.equal("cs.CV", c[1].primary_category)
  end)

  it("F4: digest headers with odd spacing (runs of spaces, a tab) are recognised", function()
    local cat = ad.parse(table.concat({
      "#  Arxiv  Papers  in  cs.CV  on  2019-10-19",
      "### T",
      "- **Arxiv ID**: http://arxiv.org/abs/1910.00001v1",
      "- **Authors**: A",
      "- **Categories**: **cs.CV**",
      "- **Summary**: S",
      ""}, "\n"), "review.md")
    assert.are.equal("2019-10-19", cat[1].date)
    assert.are.equal("catalog", cat:files()[1].format)
    assert.are.same({}, cat:warnings())
    local lst = listing("# ArXiv\tcs.CV --Mon,  2 Mar 1998",
      "### 1.T  [ :arrow_down: ](https://arxiv.org/pdf/cs/9803002.pdf)\n>  A.\n")
    assert.are.equal("1998-03-02", lst[1].date)
    assert.are.equal("cs.CV", lst[1].primary_category)
    assert.are.same({}, lst:warnings())
  end)

  it("F5: a listing title that wraps keeps its id, link and whole title", function()
    local c = listing("# ArXiv cs.CV --Wed, 20 May 2020",
      "### 1.A long title that\n wraps onto a second line  [ :arrow_down: ](https://arxiv.org/pdf/2005.09623v2.pdf)\n>  A.\n")
    assert.are.equal(1, #c)
    assert.are.equal("2005.09623", c[1].id)
    assert.are.equal(2, c[1].version)
    assert.are.equal("A long title that wraps onto a second line", c[1].title)
    assert.are.equal("https://arxiv.org/pdf/2005.09623v2.pdf", c[1].pdf_url)
    assert.are.equal(2, c[1].line)
    assert.are.equal("A.", c[1].abstract)
  end)

  it("F6: a listing abstract's continuation line without '>' joins the abstract", function()
    local c = listing("# ArXiv cs.CV --Wed, 20 May 2020",
      "### 1.T  [ :arrow_down: ](https://arxiv.org/pdf/2005.09623.pdf)\n>  First line\n   second line\n")
    assert.are.equal("First line second line", c[1].abstract)
    assert.are.same({}, c:warnings())
  end)

  it("F7: a title line with a tab after ### is a title (the record is not lost)", function()
    local c = ad.parse(table.concat({
      "# Arxiv Papers in cs.CV on 2019-10-19",
      "###\tTab title",
      "- **Arxiv ID**: http://arxiv.org/abs/1910.00001v1",
      "- **Authors**: A",
      "- **Categories**: **cs.CV**",
      "- **Summary**: S",
      ""}, "\n"), "review.md")
    assert.are.equal(1, #c)
    assert.are.equal("Tab title", c[1].title)
    assert.are.equal("1910.00001", c[1].id)
  end)

  it("F8: ad.open reads a named pipe to its end (not as an empty file)", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p '" .. dir .. "' && mkfifo '" .. dir .. "/p.md'"))
    -- a writer in the background; it ends when the reader has read everything
    assert(os.execute("(timeout 20 cat examples/data/003_ce175d6736be5667.txt > '" .. dir ..
                      "/p.md' &) >/dev/null 2>&1"))
    local c, err = ad.open(dir .. "/p.md")
    os.execute("rm -rf '" .. dir .. "'")
    assert.is_not_nil(c, err)
    assert.are.equal(22, #c)
    assert.are.same({}, c:warnings())
  end)

  local LINK = "  [ :arrow_down: ](https://arxiv.org/pdf/2005.09623.pdf)\n"
  local HEAD = "# ArXiv cs.CV --Wed, 20 May 2020"

  it("F9: numeric entities never put control characters in values", function()
    local c = listing(HEAD, "### 1.Esc &#27;[31mred&#x1b;[0m &#127;x&#x85;" .. LINK .. ">  A &#7; bell\n")
    assert.are.equal("Esc \u{FFFD}[31mred\u{FFFD}[0m \u{FFFD}x\u{FFFD}", c[1].title)
    assert.are.equal("A \u{FFFD} bell", c[1].abstract)
  end)

  it("F10: comparing a paper with something else is false, not an error", function()
    local c = listing(HEAD, "### 1.T" .. LINK .. ">  A\n")
    assert.is_false(c[1] == io.stdout)
    assert.is_false(c[1] == c)
    assert.is_true(c[1] == c[1])
    local d = listing(HEAD, "### 1.T" .. LINK .. ">  A\n")
    assert.is_false(c[1] == d[1])  -- same record number, another collection
  end)

  it("F11: c[2.0] is c[2]; c[1.5] is nil", function()
    local c = listing(HEAD, "### 1.T" .. LINK .. ">  A\n### 2.U" .. LINK .. ">  B\n")
    assert.are.equal("U", c[2.0].title)
    assert.are.equal("U", c[4 / 2].title)
    assert.is_nil(c[1.5])
  end)

  it("F12/F14: malformed select nodes raise errors that say what is wrong", function()
    local c = listing(HEAD, "### 1.T" .. LINK .. ">  A\n")
    local function err(ast)
      local ok, e = pcall(c.select, c, ast)
      assert.is_false(ok)
      return tostring(e)
    end
    assert.truthy(err{type = "version", min = 1.5}:find("'min' must be an integer", 1, true))
    assert.truthy(err{type = "has", value = true}:find("value must be a string", 1, true))
    assert.truthy(err{type = "id", value = 5}:find("value must be a string", 1, true))
    assert.truthy(err{type = "date", from = 20200101}:find("'from' must be a string", 1, true))
    local ok, e = pcall(function() for _ in c:papers() do c:close() end end)
    assert.is_false(ok)
    assert.truthy(tostring(e):find("collection was closed during the loop", 1, true))
  end)

  it("F13: the HTML 4 named entities are decoded (Latin-1, Greek, symbols)", function()
    local c = listing(HEAD, "### 1.&oslash; &Aring; &theta; &Delta; &euml; &sum; &notanentity;" .. LINK .. ">  A\n")
    assert.are.equal("\u{F8} \u{C5} \u{3B8} \u{394} \u{EB} \u{2211} &notanentity;", c[1].title)
  end)

  it("F15: '#ArXiv' without a space after '#' is still a header", function()
    local c = ad.parse("#ArXiv cs.CV --Wed, 20 May 2020\n### 1.T" .. LINK .. ">  A\n", "h.md")
    assert.are.equal("2020-05-20", c[1].date)
    assert.are.same({}, c:warnings())
  end)

  it("F16: an impossible calendar date is no timestamp", function()
    local c = ad.parse(table.concat({
      "# Arxiv Papers in cs.CV on 2019-10-19", "### T",
      "- **Arxiv ID**: http://arxiv.org/abs/1910.00001v1",
      "- **Published**: 2019-02-30 00:00:00+00:00",
      "- **Updated**: 2020-02-29 23:30:00-05:00",
      "- **Authors**: A", "- **Categories**: **cs.CV**", "- **Summary**: S", ""}, "\n"), "t.md")
    assert.is_nil(c[1].published)
    assert.are.equal("2020-03-01T04:30:00Z", c[1].updated)
  end)

  it("a finalizer that closes the collection during a C call never makes it read freed memory", function()
    -- Any Lua allocation may run a finalizer, and a finalizer may close the
    -- collection while totable, tostring, a field read, warnings, files or
    -- select is still reading it. 2000 pending finalizers and a GC step at
    -- every allocation make the close land inside the call; the call then
    -- completes or raises a clean error (checked for real under make test-asan).
    local rc, out = run_lua([[
      local ad = require "arxivdigest"
      local calls = {
        totable = function(c, p) return p:totable() end,
        tostring = function(c, p) return tostring(p) end,
        authors = function(c, p) return p.authors end,
        warnings = function(c, p) return c:warnings() end,
        files = function(c, p) return c:files() end,
        select = function(c, p) return c:select{type = "or", {type = "cat", value = "cs.CV"}, {type = "all"}} end,
      }
      for _, name in ipairs{"totable", "tostring", "authors", "warnings", "files", "select"} do
        local during, okn = 0, 0
        for round = 1, 8 do
          local c = assert(ad.open({"examples/data", "spec/fixtures/bad"}))  -- 22 files, 49 warnings
          local p = c[round]
          local f = calls[name]
          collectgarbage("collect")
          collectgarbage("incremental", 100, 100, 0)   -- a GC step at every allocation
          local armed, fired, closed = false, 0, false
          local mt = {__gc = function()
            fired = fired + 1
            if armed and not closed then c:close(); closed = true end
          end}
          for _ = 1, 2000 do setmetatable({}, mt) end
          while fired == 0 do local _ = {} end          -- the finalizers have begun to run
          armed = true
          local ok, e = pcall(f, c, p)
          armed = false
          assert(ok or tostring(e):find("closed", 1, true), name .. ": " .. tostring(e))
          if closed then during = during + 1 end
          if ok then okn = okn + 1 end
          collectgarbage("incremental", 200, 100, 13)
          collectgarbage("collect")
        end
        print(name, during, okn)
      end
    ]])
    assert.are.equal(0, rc, out)
    -- the calls that allocate inside C were interrupted by the close, and
    -- still completed
    for _, name in ipairs{"totable", "warnings", "files"} do
      local during, okn = out:match(name .. "\t(%d+)\t(%d+)")
      assert.are.equal("8", during, name .. " was not interrupted:\n" .. out)
      assert.are.equal("8", okn, out)
    end
  end)
end)
