-- Every format renders a paper whose fields are one unbroken 1 MB word
-- correctly (issue 11, F11). Speed is measured in bench/format_scale.lua,
-- not here: this spec checks only the output.
local format = require "arxivdigest.format"
local json = require "arxivdigest.json"
local util = require "arxivdigest.format.util"
local X = dofile("spec/fixtures/format/xmlcheck.lua")

local MB = 1000000
local LETTERS = ("a"):rep(MB)
local CAPS = ("Ab"):rep(MB // 2)
-- one and two column characters, and a combining mark
local WIDE = ("\195\169\230\188\162e\204\129"):rep(MB // 8)
local URL = "https://github.com/" .. ("x"):rep(MB) .. "/repo"

-- the word in every text field, or (all = false) in the title only
local function paper(w, all)
  local o = all == false and "other" or w
  return { id = "2101.00001", version = 1, title = w, authors = { o, "Bo Writer" }, abstract = o,
    categories = { "cs.CV" }, primary_category = "cs.CV", comment = o, journal = o,
    doi = "10.1234/" .. o, date = "2021-01-04", published = "2021-01-04T00:00:00Z" }
end

-- a == b without printing megabytes when they differ
local function same(a, b, what)
  if a == b then return end
  if type(a) ~= "string" then error((what or "value") .. ": a string expected, got " .. type(a), 2) end
  local i = 1
  while i <= #a and a:byte(i) == b:byte(i) do i = i + 1 end
  error(("%s: differ at byte %d (lengths %d, %d): %q vs %q"):format(what or "strings", i, #a, #b,
    a:sub(i, i + 40), b:sub(i, i + 40)), 2)
end

local function count(s, needle)
  local n, i = 0, 1
  while true do
    local a, b = s:find(needle, i, true)
    if not a then return n end
    n, i = n + 1, b + 1
  end
end

describe("a 1 MB word in every field", function()
  it("text: wrapped to the width on character boundaries, nothing lost", function()
    for _, w in ipairs({ LETTERS, WIDE }) do
      local out = format.render({ { id = "2101.00001", title = w } }, "text", { color = false, width = 60 })
      local pieces = {}
      for line in out:gmatch("[^\n]+") do
        assert.is_truthy(utf8.len(line))
        assert.is_true(util.width(line) <= 60, "line wider than 60 columns")
        local body = line:match("^%[1%] (.*)$") or line:match("^    (.*)$")
        if body and not body:find("2101.00001", 1, true) and not body:find("papers?$") then
          pieces[#pieces + 1] = body
        end
      end
      same(table.concat(pieces), w)
      -- lines are full: only the last piece is shorter than the line allows
      for i = 1, #pieces - 1 do assert.is_true(util.width(pieces[i]) >= 55) end
    end
  end)

  it("markdown, csv, jsonl, atom, html and templates keep the word whole", function()
    for _, w in ipairs({ LETTERS, WIDE }) do
      local p = paper(w, w == LETTERS)
      local o = w == LETTERS and w or "other"
      local md = format.render({ p }, "markdown")
      assert.truthy(md:find("\n### " .. w .. "\n", 1, true))
      assert.truthy(md:find("\n- **Summary**: " .. o .. "\n", 1, true))
      local csv = format.render({ p }, "csv")
      local head = csv:match("^(.-)\r\n")
      local row = csv:sub(#head + 3, -3)
      local cells, names = {}, {}
      for c in (head .. ","):gmatch("([^,]*),") do names[#names + 1] = c end
      local k = 0
      for c in (row .. ","):gmatch("([^,]*),") do k = k + 1; cells[names[k]] = c end
      same(cells.title, w)
      same(cells.authors, o .. "; Bo Writer")
      same(cells.abstract, o)
      same(cells.comment, o)
      same(cells.journal, o)
      same(cells.doi, "10.1234/" .. o)
      local obj = json.decode(format.render({ p }, "jsonl"))
      same(obj.title, w)
      same(obj.abstract, o)
      same(obj.authors[1], o)
      local atom = assert(X.check(format.render({ p }, "atom", { now = "2024-01-01T00:00:00Z" })))
      same(X.text(X.child(X.child(atom, "entry"), "title")), w)
      local html = format.render({ p }, "html", { now = "2024-01-01T00:00:00Z" })
      assert.truthy(html:find(">" .. w .. "</a></h3>", 1, true))
      assert.truthy(html:find('<p class="abstract">' .. o .. "</p>", 1, true))
      local t = format.render({ p }, "{title}|{abstract}")
      same(t, w .. "|" .. o .. "\n")
    end
  end)

  it("html links a 1 MB URL once, whole", function()
    local html = format.render({ { id = "2101.00001", title = "T", abstract = "Code: " .. URL .. "." } }, "html",
      { charts = false })
    assert.are.equal(1, count(html, 'href="' .. URL .. '"'))
  end)

  it("bibtex: escaped and case-protected whole", function()
    local out = format.render({ paper(LETTERS) }, "bibtex", { abstract = true, comment = true })
    assert.truthy(out:find("\n  title         = {" .. LETTERS .. "},\n", 1, true))
    assert.truthy(out:find("\n  abstract      = {" .. LETTERS .. "},\n", 1, true))
    local caps = format.render({ paper(CAPS, false) }, "bibtex")
    assert.truthy(caps:find("\n  title         = {{" .. CAPS .. "}},\n", 1, true))
    local tex = ("\\'e{"):rep(MB // 4)
    local e = format.render({ paper(tex, false) }, "bibtex")
    assert.truthy(e:find("\n  title         = {" .. ("{\\'e}\\textbraceleft{}"):rep(MB // 4) .. "},\n", 1, true))
  end)
end)

describe("util.valid_utf8 (linear)", function()
  -- the byte-by-byte repair it replaced: each bad byte and the
  -- continuation bytes after it become one U+FFFD
  local function reference(s)
    if utf8.len(s) then return s end
    local out, i, n = {}, 1, #s
    while i <= n do
      local len, bad = utf8.len(s, i)
      if len then out[#out + 1] = s:sub(i); break end
      out[#out + 1] = s:sub(i, bad - 1)
      out[#out + 1] = "\239\191\189"
      local j = bad + 1
      while j <= n do
        local b = s:byte(j)
        if b < 0x80 or b >= 0xC0 then break end
        j = j + 1
      end
      i = j
    end
    return table.concat(out)
  end

  it("repairs exactly as the byte-by-byte loop did", function()
    local parts = { "a", "\128", "\191", "\192", "\193", "\194", "\195\169", "\224", "\237\160\128", "\240",
      "\244\144", "\245", "\255", "\226\130\172", "\240\159\152\128", "\239\191\189", "\128\128\128" }
    math.randomseed(7)
    for _ = 1, 20000 do
      local t = {}
      for k = 1, math.random(0, 8) do t[k] = parts[math.random(#parts)] end
      local s = table.concat(t)
      same(util.valid_utf8(s), reference(s))
    end
    local w = ("\255a"):rep(MB // 2)
    same(util.valid_utf8(w), reference(w))
    assert.are.equal(require("arxivdigest.json").valid_utf8, util.valid_utf8)
  end)
end)
