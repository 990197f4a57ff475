-- The formatters (issue 4 "Formatters", issue 5 "Output and script safety"):
-- every format on plain-table papers, hostile ones included, checked for
-- safety and readability; markdown round trips through the parser.
local format = require "arxivdigest.format"
local json = require "arxivdigest.json"
local util = require "arxivdigest.format.util"
local P = dofile("spec/fixtures/format/papers.lua")
local X = dofile("spec/fixtures/format/xmlcheck.lua")

local has_core, ad = pcall(require, "arxivdigest")
local core_error = not has_core and tostring(ad) or nil
if has_core and not (type(ad) == "table" and ad.parse) then has_core = false; core_error = "no ad.parse" end

local function concat(...)
  local out = {}
  for _, t in ipairs({ ... }) do
    for _, p in ipairs(t) do out[#out + 1] = p end
  end
  return out
end

local ALL = concat(P.all, P.hostile)

local function lines(s, sep)
  local out = {}
  sep = sep or "\n"
  local i = 1
  while true do
    local j = s:find(sep, i, true)
    if not j then out[#out + 1] = s:sub(i); break end
    out[#out + 1] = s:sub(i, j - 1)
    i = j + #sep
  end
  return out -- "a\nb\n" -> { "a", "b", "" }
end

local H = dofile("spec/helper.lua")
local read = H.read

-- What the display formats make of a paper string: valid UTF-8, no control
-- or bidi characters, whitespace collapsed (the expected "readable" text).
local function shown(s)
  return util.line(s)
end

local function count(s, pat)
  local n = 0
  for _ in s:gmatch(pat) do n = n + 1 end
  return n
end

-- {======================================================================
describe("format.render", function()
  it("returns a string without a writer and streams chunks to one", function()
    local s = format.render(P.all, "jsonl")
    assert.are.equal(#P.all, count(s, "\n"))
    local chunks = {}
    assert.is_nil(format.render(P.all, "jsonl", nil, function(c) chunks[#chunks + 1] = c end))
    assert.are.equal(s, table.concat(chunks))
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    format.render(P.all, "jsonl", {}, f)
    f:close()
    assert.are.equal(s, read(path))
    os.remove(path)
  end)

  it("names the argument on misuse", function()
    assert.error_matches(function() format.render(P.all, "nope") end,
      "bad argument #2 to 'render' %(unknown format 'nope'; known: atom, bibtex, csv, html, jsonl, markdown, text")
    assert.error_matches(function() format.render(P.all, 42) end, "bad argument #2 to 'render'")
    assert.error_matches(function() format.render(P.all, "text", "x") end,
      "bad argument #3 to 'render' %(table or nil expected, got string%)")
    assert.error_matches(function() format.render(P.all, "text", {}, 5) end, "bad argument #4 to 'render'")
    assert.error_matches(function() format.render(P.all, {}) end, "needs a render function")
    assert.error_matches(function() format.register("bad name", "{id}") end, "bad argument #1 to 'register'")
    assert.error_matches(function() format.register("x", "no fields") end, "bad argument #2 to 'register'")
  end)

  it("flattens opts.groups for formats without sections", function()
    local groups = { { key = "a", papers = { P.catalog } }, { key = "b", papers = { P.listing, P.revised } } }
    local s = format.render(nil, "jsonl", { groups = groups })
    local ids = {}
    for _, l in ipairs(lines(s)) do if l ~= "" then ids[#ids + 1] = json.decode(l).id end end
    assert.are.same({ "1910.11126", "2005.09496", "1910.08681" }, ids)
  end)

  -- review A2, B7, B8, C23: what render takes as papers, and opts.fields
  it("renders an index, a pipeline and search hits; refuses anything else, naming the argument", function()
    if not has_core then pending("C core not built: " .. tostring(core_error)); return end
    local idx = assert(ad.index("examples/data"))
    -- an index: its papers, as ad.from(idx) renders them (it crashed in the formatter)
    local s = format.render(idx, "jsonl")
    assert.are.equal(ad.from(idx):format("jsonl"):render(), s)
    local n = 0
    for l in s:gmatch("[^\n]+") do n = n + 1; assert.is_string(json.decode(l).id) end
    assert.are.equal(#idx, n)
    for _, name in ipairs({ "markdown", "csv", "bibtex", "html", "atom", "text" }) do
      assert.is_true(#format.render(idx, name, { color = false }) > 1000, name)
    end
    local chunks = {}
    assert.is_nil(format.render(idx, "{id}", nil, function(c) chunks[#chunks + 1] = c end))
    assert.are.equal(ad.from(idx):format("{id}"):render(), table.concat(chunks))
    -- a pipeline: its result
    local pipe = ad.from(idx):query("segmentation"):limit(3)
    assert.are.equal(pipe:format("csv"):render(), format.render(pipe, "csv"))
    -- hits: their papers and their scores (they gave records of nulls)
    local hits = idx:search("segmentation", { limit = 3 })
    assert.are.equal(3, #hits)
    local got = {}
    for l in format.render(hits, "jsonl"):gmatch("[^\n]+") do got[#got + 1] = json.decode(l) end
    assert.are.equal(3, #got)
    for i, h in ipairs(hits) do
      assert.are.equal(h.paper.id, got[i].id)
      assert.are.equal(h.paper.title, got[i].title)
      assert.is_true(math.abs(h.score - got[i].score) < 1e-9)
    end
    assert.truthy(format.render(hits, "text", { color = false }):find(hits[1].paper.title, 1, true))
    local function bad(pattern, papers, opts)
      assert.error_matches(function() format.render(papers, "jsonl", opts) end, pattern, 1, true)
    end
    bad("bad argument #1 to 'render' (array of hits expected, item 2 is not a hit", { hits[1], hits[2].paper })
    bad("bad argument #1 to 'render' (array of papers expected, item 2 is a hit", { hits[1].paper, hits[2] })
    bad("bad argument #1 to 'render' (array of papers expected, item 2 is nil", { P.catalog, nil, P.listing })
    bad("bad argument #1 to 'render' (array of papers expected, item 1 is a number", { 42 })
    bad("bad argument #1 to 'render' (array of papers expected, got number", 42)
    bad("bad argument #1 to 'render' (array of papers expected, got arxivdigest.MergedPaper (one paper: pass {p})",
      hits[1].paper)
    bad("bad argument #1 to 'render' (array of papers expected, got a table without array items", P.catalog)
    bad("bad argument #1 to 'render' (array of papers expected, got nil (or give opts.groups))", nil)
    local closed = assert(ad.index("examples/data"))
    closed:close()
    bad("bad argument #1 to 'render' (the index is closed)", closed)
    local c = assert(ad.open("examples/data"))
    c:close()
    bad("bad argument #1 to 'render' (the collection is closed)", c)
  end)

  it("takes opts.fields as a list or one name, and names a wrong one", function()
    local one = format.render({ P.catalog, P.listing }, "csv", { fields = "id" })
    assert.are.equal("id\r\n1910.11126\r\n2005.09496\r\n", one)
    assert.are.equal(format.render({ P.catalog }, "jsonl", { fields = { "id" } }),
      format.render({ P.catalog }, "jsonl", { fields = "id" }))
    for _, fmt in ipairs({ "csv", "jsonl" }) do
      assert.error_matches(function() format.render({ P.catalog }, fmt, { fields = 5 }) end,
        "bad argument #3 to 'render' (opts.fields: a list of field names (or one name) expected, got number)",
        1, true)
      assert.error_matches(function() format.render({ P.catalog }, fmt, { fields = "titel" }) end,
        "bad argument #3 to 'render' (opts.fields: unknown field 'titel' at index 1 (known: id, version, title,",
        1, true)
      assert.error_matches(function() format.render({ P.catalog }, fmt, { fields = {} }) end,
        "opts.fields: at least one field name expected", 1, true)
    end
    if has_core then    -- a pipeline says so at :format(), before any work
      assert.error_matches(function() ad.from({ P.catalog }):format("csv", { fields = 5 }) end,
        "bad argument #2 to 'format' (opts.fields: a list of field names (or one name) expected", 1, true)
    end
  end)

  it("knows formats by name, alias and file extension", function()
    assert.are.equal("markdown", format.get("md").name)
    assert.are.equal("bibtex", format.get("bib").name)
    assert.are.equal("html", format.for_path("week.html"))
    assert.are.equal("jsonl", format.for_path("a/b.jsonl"))
    assert.are.equal("atom", format.for_path("feed.atom"))
    assert.is_nil(format.for_path("x.unknown"))
    for _, name in ipairs({ "markdown", "jsonl", "csv", "bibtex", "html", "atom", "text" }) do
      local f = format.get(name)
      assert.are.equal(name, f.name)
      assert.is_string(f.extension)
      assert.is_string(f.mime)
      assert.is_function(f.render)
    end
  end)
end)

-- {======================================================================
describe("user formats", function()
  it("renders a template string, one line per paper", function()
    local s = format.render({ P.catalog, P.listing }, "{id}  {title} ({date})")
    assert.are.equal("1910.11126  Sensor fusion using EMG and vision for hand gesture classification in mobile "
      .. "applications (2019-10-19)\n2005.09496  RoadText-1K: Text Detection & Recognition Dataset for Driving "
      .. "Videos (2020-05-20)\n", s)
  end)

  it("joins arrays, leaves absent fields empty and keeps {{ }} literal", function()
    local s = format.render({ P.catalog, P.listing }, "{{{id}}} [{authors}] doi={doi}")
    assert.are.equal("{1910.11126} [Enea Ceolini, Gemma Taverni, Lyes Khacef, Melika Payvand, Elisa Donati] doi=\n"
      .. "{2005.09496} [] doi=\n", s)
  end)

  it("rejects unknown fields, naming them", function()
    assert.error_matches(function() format.render(P.all, "{id} {nope} {title} {zap}") end,
      "template: unknown fields nope, zap")
    assert.error_matches(function() format.render(P.all, "{id") end, "unclosed '{' at column 1")
    assert.error_matches(function() format.render(P.all, "{id} }") end, "unmatched '}' at column 6")
  end)

  it("strips control and bidi characters from template output", function()
    local s = format.render({ P.control }, "{title}|{abstract}")
    assert.is_nil(s:find("[%z\1-\9\11-\31\127]"))
    assert.is_nil(s:find("\226\128[\170-\174]"))
    assert.truthy(s:find("gnp.exe", 1, true))
    assert.truthy(utf8.len(s))
  end)

  it("registers functions, tables and templates", function()
    format.register("ids", function(papers, opts, write)
      for i = 1, #papers do write((opts.prefix or "") .. papers[i].id .. "\n") end
    end)
    assert.are.equal("> 1910.11126\n> 2005.09496\n", format.render({ P.catalog, P.listing }, "ids", { prefix = "> " }))
    format.register("short", "{id}")
    assert.are.equal("1910.11126\n", format.render({ P.catalog }, "short"))
    format.register("count", { name = "count", render = function(papers, _, write) write(#papers .. "\n") end })
    assert.are.equal("4\n", format.render(P.all, "count"))
    assert.truthy(table.concat(format.names(), ","):find("ids", 1, true))
    -- a plain function works without registering
    assert.are.equal("n=1", format.render({ P.catalog }, function(ps, _, w) w("n=" .. #ps) end))
  end)
end)

-- {======================================================================
describe("jsonl", function()
  local out = format.render(ALL, "jsonl")
  local ls = lines(out)

  it("writes one valid JSON object per line with exactly the field names", function()
    assert.are.equal("", ls[#ls]) -- ends with a newline
    assert.are.equal(#ALL + 1, #ls)
    for i, p in ipairs(ALL) do
      local obj = json.decode(ls[i])
      local keys = {}
      for k in pairs(obj) do keys[#keys + 1] = k end
      table.sort(keys)
      local want = {}
      for _, f in ipairs(util.FIELDS) do want[#want + 1] = f end
      table.sort(want)
      assert.are.same(want, keys)
      -- the order of the keys is the documented one
      assert.truthy(ls[i]:find('^{"id":'))
      for _, f in ipairs(util.FIELDS) do
        local v = p[f]
        if v == nil then
          if util.ARRAY_FIELDS[f] then assert.are.same({}, obj[f]) else assert.are.equal(json.null, obj[f], f) end
        elseif type(v) == "table" then
          local want_arr = {}
          for k, x in ipairs(v) do want_arr[k] = util.valid_utf8(x) end
          assert.are.same(want_arr, obj[f], f)
        elseif type(v) == "string" then
          assert.are.equal(util.valid_utf8(v), obj[f], f)
        else
          assert.are.equal(v, obj[f], f)
        end
      end
    end
  end)

  it("escapes control characters, U+2028/U+2029 and bidi controls, and is valid UTF-8", function()
    assert.truthy(utf8.len(out))
    assert.is_nil(out:find("[%z\1-\9\11-\31\127]"))
    assert.is_nil(out:find("\226\128[\168\169\170-\174]"))
    assert.is_nil(out:find("\226\129[\166-\169]"))
    assert.is_nil(out:find("</", 1, true))
    local ctl = json.decode(ls[8])
    assert.are.equal(P.control.title, ctl.title) -- lossless: \0 \1 \27 U+2028 come back
    assert.truthy(ls[8]:find("Nul\\u0000one\\u0001esc\\u001b[31mred", 1, true))
    assert.truthy(ls[8]:find("line\\u2028sep para\\u2029sep", 1, true))
    assert.truthy(ls[8]:find("Bidi \\u202egnp.exe\\u202c", 1, true))
    -- invalid bytes become U+FFFD
    assert.truthy(ctl.abstract:find("invalid \239\191\189\239\191\189 bytes", 1, true))
  end)

  it("keeps the hostile text as data", function()
    local x = json.decode(ls[5])
    assert.are.equal(P.xss.title, x.title)
    assert.are.same(P.xss.authors, x.authors)
    assert.are.equal("javascript:alert(1)", x.abs_url)
  end)

  it("adds merged-index fields when a paper has them, and opts.fields selects", function()
    local merged = setmetatable({ first_seen = "2019-10-19", last_seen = "2019-10-21",
      appearances = { { source = "a.md", line = 2, date = "2019-10-19", format = "catalog" } } },
      { __index = P.catalog })
    local obj = json.decode((format.render({ merged }, "jsonl"):gsub("\n$", "")))
    assert.are.equal("2019-10-21", obj.last_seen)
    assert.are.same({ { source = "a.md", line = 2, date = "2019-10-19", format = "catalog" } }, obj.appearances)
    local s = format.render({ P.catalog }, "jsonl", { fields = { "id", "title" } })
    assert.are.equal('{"id":"1910.11126","title":"Sensor fusion using EMG and vision for hand gesture '
      .. 'classification in mobile applications"}\n', s)
    assert.error_matches(function() format.render({ P.catalog }, "jsonl", { fields = { "nope" } }) end,
      "unknown field 'nope'")
  end)

  it("a template writes a list of records ({appearances}) as JSON objects, not table addresses", function()
    local merged = setmetatable({ first_seen = "2019-10-19",
      appearances = { { source = "a.md", line = 2, date = "2019-10-19", format = "catalog" },
                      { source = "b.md", line = 7, date = "2019-10-21", format = "listing" } },
      history = {} },
      { __index = P.catalog })
    local s = format.render({ merged }, "{id} {appearances}|{history}|{authors}")
    assert.is_nil(s:find("table: ", 1, true), s)
    assert.are.equal('1910.11126 {"date":"2019-10-19","format":"catalog","line":2,"source":"a.md"}, '
      .. '{"date":"2019-10-21","format":"listing","line":7,"source":"b.md"}||'
      .. table.concat(P.catalog.authors, ", ") .. "\n", s)
  end)
end)

describe("json codec", function()
  it("round-trips values and rejects malformed input with a position", function()
    local v = { a = { 1, 2.5, "x\0y" }, b = true, c = json.null, d = "é😀" }
    assert.are.same(v, json.decode(json.encode(v)))
    assert.are.equal("é😀", json.decode('"\\u00e9\\ud83d\\ude00"'))
    for _, bad in ipairs({ "[1,]", '{"a":1,"a":2}', "01", '"\\ud800"', "[1] x", '"a\tb"', "", "nul" }) do
      assert.error_matches(function() json.decode(bad) end, "^json: .* at byte %d+$")
    end
  end)
end)

-- {======================================================================
-- A small RFC 4180 reader for the checks below.
local function parse_csv(s)
  local rows, row, i, n = {}, {}, 1, #s
  while i <= n do
    local cell
    if s:sub(i, i) == '"' then
      local buf = {}
      i = i + 1
      while true do
        local q = assert(s:find('"', i, true), "unterminated quoted cell")
        buf[#buf + 1] = s:sub(i, q - 1)
        if s:sub(q + 1, q + 1) == '"' then buf[#buf + 1] = '"'; i = q + 2 else i = q + 1; break end
      end
      cell = table.concat(buf)
    else
      local j = s:find("[,\r\n]", i) or n + 1
      cell = s:sub(i, j - 1)
      assert(not cell:find('"'), "quote inside an unquoted cell: " .. cell)
      i = j
    end
    row[#row + 1] = cell
    local c = s:sub(i, i)
    if c == "," then i = i + 1
    elseif c == "\r" then
      assert(s:sub(i + 1, i + 1) == "\n", "CR without LF")
      rows[#rows + 1] = row; row = {}; i = i + 2
    elseif c == "" then rows[#rows + 1] = row
    else error("bare LF or junk after a cell at byte " .. i) end
  end
  return rows
end

describe("csv", function()
  local out = format.render(ALL, "csv")
  local rows = parse_csv(out)

  it("has a header row of field names, CRLF line ends and one row per paper", function()
    assert.are.same(util.FIELDS, rows[1])
    assert.are.equal(#ALL + 1, #rows)
    assert.are.equal(#ALL + 1, count(out, "\r\n"))
    assert.is_nil(out:gsub("\r\n", ""):find("[\r\n]"))
    for _, r in ipairs(rows) do assert.are.equal(#util.FIELDS, #r) end
  end)

  it("quotes per RFC 4180 and joins arrays with '; '", function()
    assert.are.equal("Enea Ceolini; Gemma Taverni; Lyes Khacef; Melika Payvand; Elisa Donati", rows[2][4])
    assert.are.equal("cs.CV; cs.LG; eess.IV; eess.SP", rows[2][6])
    assert.are.equal(shown(P.listing.abstract), rows[4][5]) -- it holds quotes
    assert.truthy(out:find('a new ""RoadText-1K"" dataset', 1, true))
    assert.are.equal("1", rows[2][2])
    assert.are.equal("false", rows[2][20])
    assert.are.equal("", rows[2][10]) -- absent doi
  end)

  it("neutralises formula cells and keeps their text readable", function()
    local r = rows[7] -- P.csv
    assert.are.equal("'" .. P.csv.title, r[3])
    assert.are.equal("'+1 Plus; -2 Minus; @SUM(A1:A9)", r[4])
    assert.are.equal("'" .. P.csv.abstract, r[5])
    assert.are.equal("'" .. P.csv.comment, r[11])
    assert.are.equal("'+1", r[12])
    for i = 2, #rows do
      for _, cell in ipairs(rows[i]) do
        assert.is_nil(cell:match("^[=+%-@\t\r]"), cell)
      end
    end
    assert.are.equal("2001.00002", r[1]) -- ordinary cells untouched
  end)

  it("writes valid UTF-8 without control or bidi characters", function()
    assert.truthy(utf8.len(out))
    assert.is_nil(out:gsub("\r\n", ""):find("[%z\1-\31\127]"))
    assert.is_nil(out:find("\226\128[\170-\174]"))
    assert.are.equal(shown(P.control.abstract), rows[9][5])
    assert.truthy(rows[9][5]:find("Bidi gnp.exe and isolate x", 1, true))
    assert.are.equal(P.xss.title, rows[6][3]) -- html is just text in a spreadsheet
  end)

  it("can start with a byte order mark", function()
    assert.are.equal("\239\187\191id,", format.render({}, "csv", { bom = true }):sub(1, 6))
  end)
end)

-- {======================================================================
-- A tiny BibTeX reader: entries, keys and brace-delimited fields.
local function parse_bib(s)
  local entries, i = {}, 1
  while true do
    local a, b, kind, key = s:find("@(%a+){([^,%s]+),\n", i)
    if not a then break end
    assert(s:sub(i, a - 1):match("^%s*$"), "junk between entries: " .. s:sub(i, a - 1))
    local e = { kind = kind, key = key, fields = {}, order = {} }
    i = b + 1
    while true do
      if s:sub(i, i + 1) == "}\n" then i = i + 2; break end
      local name, vstart = s:match("^  ([%a]+)%s*= {()", i)
      assert(name, "bad field line at byte " .. i .. ": " .. s:sub(i, i + 40))
      local depth, j = 1, vstart
      while depth > 0 do
        local c = s:sub(j, j)
        assert(c ~= "", "unbalanced braces in field " .. name)
        if c == "{" then depth = depth + 1 elseif c == "}" then depth = depth - 1 end
        j = j + 1
      end
      assert(s:sub(j, j + 1) == ",\n", "field " .. name .. " not followed by ,\\n")
      assert(not e.fields[name], "duplicate field " .. name)
      e.fields[name] = s:sub(vstart, j - 2)
      e.order[#e.order + 1] = name
      i = j + 2
    end
    entries[#entries + 1] = e
  end
  assert(s:sub(i):match("^%s*$"), "trailing junk: " .. s:sub(i, i + 40))
  return entries
end

describe("bibtex", function()
  local out = format.render(ALL, "bibtex")
  local entries = parse_bib(out)

  it("writes one @misc entry per paper with the arXiv fields", function()
    assert.are.equal(#ALL, #entries)
    local e = entries[1]
    assert.are.equal("misc", e.kind)
    assert.are.equal("ceolini2019sensor", e.key)
    assert.are.same({ "title", "author", "year", "eprint", "archivePrefix", "primaryClass", "doi", "url" }, e.order)
    assert.are.equal("Sensor fusion using {EMG} and vision for hand gesture classification in mobile applications",
      e.fields.title)
    assert.are.equal("Enea Ceolini and Gemma Taverni and Lyes Khacef and Melika Payvand and Elisa Donati",
      e.fields.author)
    assert.are.equal("2019", e.fields.year)
    assert.are.equal("1910.11126", e.fields.eprint)
    assert.are.equal("arXiv", e.fields.archivePrefix)
    assert.are.equal("cs.CV", e.fields.primaryClass)
    assert.are.equal("10.48550/arXiv.1910.11126", e.fields.doi)
    assert.are.equal("https://arxiv.org/abs/1910.11126", e.fields.url)
    -- a real DOI wins; the eprint never carries the version
    assert.are.equal("10.1007/978-3-030-58595-2_13", entries[2].fields.doi)
    assert.are.equal("1910.08681", entries[2].fields.eprint)
    -- a journal DOI and journal-ref make an @article (issue 12), the
    -- e-print fields kept
    assert.are.equal("article", entries[2].kind)
    assert.are.equal("ECCV 2020", entries[2].fields.journal)
    assert.is_nil(entries[2].fields.note)
    assert.are.same({ "title", "author", "journal", "year", "eprint", "archivePrefix", "primaryClass", "doi", "url" },
      entries[2].order)
    assert.are.equal("cs/9810003", entries[4].fields.eprint)
    assert.are.equal("muller1998old", entries[4].key) -- diacritics folded
    assert.are.equal("anon2020roadtext", entries[3].key) -- a listing has no authors
  end)

  it("makes stable, unique keys with a/b suffixes for clashes", function()
    local a = { id = "2001.00010", title = "Deep nets", authors = { "Ann Smith" }, date = "2020-01-01" }
    local b = { id = "2001.00009", title = "Deep nets again", authors = { "Bo Smith" }, date = "2020-01-02" }
    local c = { id = "2001.00011", title = "Deep", authors = { "Cy Smith" }, date = "2020-01-03" }
    local k1 = parse_bib(format.render({ a, b, c }, "bibtex"))
    local k2 = parse_bib(format.render({ c, a, b }, "bibtex"))
    assert.are.same({ "smith2020deepb", "smith2020deepa", "smith2020deepc" }, { k1[1].key, k1[2].key, k1[3].key })
    assert.are.same({ "smith2020deepc", "smith2020deepb", "smith2020deepa" }, { k2[1].key, k2[2].key, k2[3].key })
    local seen = {}
    for _, e in ipairs(entries) do
      assert.is_nil(seen[e.key], e.key)
      seen[e.key] = true
      assert.truthy(e.key:match("^[a-z0-9]+$"), e.key)
    end
  end)

  it("escapes special characters and unbalanced braces but keeps $math$", function()
    local e = entries[7] -- P.bibtex
    assert.are.equal("Unbalanced \\{braces\\} and \\textbraceright{} or \\textbraceleft{} with 100\\% of \\#tags "
      .. "\\& under\\_scores \\textasciitilde{} \\textasciicircum{} \\textbackslash{} and $x^{2}_{i}$ math",
      e.fields.title)
    assert.are.equal("Ann \\textbraceleft{}Unbalanced and Bob {and} Carol and {Smith, Jr., John}", e.fields.author)
    assert.are.equal("unbalanced2020unbalanced", e.key)
    local abs = parse_bib(format.render({ P.bibtex }, "bibtex", { abstract = true }))[1].fields.abstract
    -- balanced math kept, unbalanced math escaped as text
    assert.are.equal("Math $\\frac{a}{b}$ and broken \\$\\textbackslash{}\\textbraceleft{}x\\$ end "
      .. "\\textbraceright{} here", abs)
    assert.are.equal("achieve $3.6\\% \\pm 1.5\\%$ with $\\ell_1$ loss.",
      parse_bib(format.render({ P.revised }, "bibtex", { abstract = true }))[1].fields.abstract:match("achieve.*"))
  end)

  it("never emits unbalanced braces, whatever the input", function()
    local nasty = { "{", "}", "}{", "a}b{c", "$}$", "${$", "$a$}$b{$", "\\", "\\{", "{{{", "}}}", "$$", "$", "{$}$" }
    for _, t in ipairs(nasty) do
      local s = format.render({ { id = "2001.00001", title = t, authors = { t }, abstract = t, comment = t,
        journal = t, primary_category = t } }, "bibtex", { abstract = true, comment = true })
      local e = parse_bib(s)[1] -- raises on unbalanced braces
      assert.are.equal("2001.00001", e.fields.eprint, t)
      local depth = 0
      for c in s:gmatch("[{}]") do
        depth = depth + (c == "{" and 1 or -1)
        assert.is_true(depth >= 0, t)
      end
      assert.are.equal(0, depth, t)
    end
  end)

  it("keeps hostile text readable and cannot inject fields or entries", function()
    local e = entries[5] -- P.xss
    assert.are.same({ "title", "author", "year", "eprint", "archivePrefix", "primaryClass", "doi", "url", "note" },
      e.order)
    assert.truthy(e.fields.title:find("<script>document.title='pwned';alert(1)</script>", 1, true))
    assert.are.equal("]]></summary><injected/>", e.fields.note)
    local inj = parse_bib(format.render({ { id = "2001.00001", title = "x},\n  note = {evil},\n}\n@misc{k,",
      authors = { "A B" } } }, "bibtex"))
    assert.are.equal(1, #inj)
    assert.is_nil(inj[1].fields.note)
    assert.truthy(utf8.len(out))
    assert.is_nil(out:find("[%z\1-\9\11-\31\127]"))
  end)
end)

-- {======================================================================
describe("html", function()
  local out = format.render(ALL, "html", { title = "Report <b>&</b>", now = "2024-01-02T03:04:05Z" })
  local doc, err = X.check(out)

  it("is one well-formed page with every paper and a count", function()
    assert.is_nil(err)
    assert.are.equal("html", doc.name)
    assert.are.equal(#ALL, #X.find_all(doc, "article"))
    assert.truthy(out:find('<span id="paper-count">8</span> papers', 1, true))
    assert.are.equal("Report <b>&</b>", X.text(X.find_all(doc, "title")[1]))
    assert.truthy(out:find("2024-01-02T03:04:05Z", 1, true))
  end)

  it("references nothing outside the page", function()
    for _, bad in ipairs({ "<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(",
        "<base", "<form", "<meta http-equiv=\"refresh" }) do
      assert.is_nil(out:lower():find(bad, 1, true), bad)
    end
    -- no element has an attribute that loads or runs something
    local function walk(el)
      for name in pairs(el.attrs) do
        assert.is_nil(name:lower():match("^on"), name)
        assert.is_true(name ~= "src" and name ~= "srcset" and name ~= "action" and name ~= "formaction", name)
        if name == "href" then assert.truthy(el.attrs.href:match("^https?://"), el.attrs.href) end
      end
      for _, c in ipairs(el.children) do if type(c) == "table" then walk(c) end end
    end
    walk(doc)
    assert.truthy(out:find("default-src 'none'", 1, true))
  end)

  it("escapes every piece of paper text and keeps it readable", function()
    local art = X.find_all(doc, "article")[5] -- P.xss
    local text = X.text(art)
    assert.truthy(text:find("<script>document.title='pwned';alert(1)</script> Robust <b>segmentation</b>", 1, true))
    assert.truthy(text:find("<img src=x onerror=alert(1)>, Eve \"Mallory\" O'Hara", 1, true))
    assert.truthy(text:find("We study <img src=x onerror=\"document.title='pwned'\"> attacks & defences", 1, true))
    assert.truthy(text:find("</textarea><svg onload=alert(1)>", 1, true))
    -- no element or attribute came from paper text
    for _, name in ipairs({ "script", "img", "svg", "textarea", "injected" }) do
      assert.are.equal(0, #X.find_all(art, name), name)
    end
    assert.is_nil(out:find("onerror=\"", 1, true))
    assert.is_nil(out:find("<b>segmentation", 1, true))
  end)

  it("links only http(s) URLs", function()
    local hrefs = 0
    for _, a in ipairs(X.find_all(doc, "a")) do
      hrefs = hrefs + 1
      assert.truthy(a.attrs.href:match("^https?://[^%s\"'<>]+$"), a.attrs.href)
    end
    assert.is_true(hrefs > 10)
    local art = X.find_all(doc, "article")[5]
    assert.truthy(X.text(art):find("javascript:alert(1)", 1, true)) -- shown as text
    for _, a in ipairs(X.find_all(art, "a")) do assert.is_nil(a.attrs.href:find("javascript", 1, true)) end
    -- a URL inside an abstract becomes a link, the rest of the sentence stays text
    local road = X.find_all(doc, "article")[3]
    local links = {}
    for _, a in ipairs(X.find_all(road, "a")) do links[a.attrs.href] = true end
    assert.is_true(links["http://cvit.iiit.ac.in/research/projects/cvit-projects/roadtext-1k"])
  end)

  it("removes control and bidi characters", function()
    assert.truthy(utf8.len(out))
    assert.is_nil(out:find("[%z\1-\9\11-\31\127]"))
    assert.is_nil(out:find("\226\128[\170-\174]"))
    assert.is_nil(out:find("\226\129[\166-\169]"))
    local art = X.find_all(doc, "article")[8]
    assert.truthy(X.text(art):find("Bidi gnp.exe and isolate x, invalid \239\191\189\239\191\189 bytes", 1, true))
  end)

  it("draws inline SVG charts of papers per day and top terms", function()
    local svgs = X.find_all(doc, "svg")
    assert.are.equal(2, #svgs)
    assert.are.equal("http://www.w3.org/2000/svg", svgs[1].attrs.xmlns)
    -- 4 distinct days among the papers, 1998-10-02 to 2020-05-20: a span of
    -- 22 years is drawn per year (issue 12), not one bar per day
    assert.are.equal(3, #X.find_all(svgs[1], "rect"))
    local tips = {}
    for _, r in ipairs(X.find_all(svgs[1], "rect")) do tips[#tips + 1] = X.text(r) end
    assert.are.same({ "1998: 1", "2019: 2", "2020: 5" }, tips)
    assert.is_true(#X.find_all(svgs[2], "rect") >= 5)
    local terms = format.get("html").top_terms({ P.catalog, P.revised, P.listing }, 3)
    assert.are.equal(3, #terms)
    assert.is_nil(out:find("<svg", 1, true) and nil)
    local none = format.render(ALL, "html", { charts = false })
    assert.is_nil(none:find("<svg", 1, true))
    local given = format.render(ALL, "html", { charts = { days = false }, terms = { { term = "nerf", count = 7 } } })
    assert.are.equal(1, count(given, "<svg"))
    assert.truthy(given:find("nerf: 7", 1, true))
  end)

  it("renders groups as sections", function()
    local s = format.render(nil, "html", { groups = { { key = "cs.CV", papers = { P.catalog, P.revised } },
      { key = "<cs.CR>", papers = { P.xss } } } })
    local d = assert(X.check(s))
    local secs = {}
    for _, sec in ipairs(X.find_all(d, "section")) do
      if sec.attrs.class == "group" then secs[#secs + 1] = sec end
    end
    assert.are.equal(2, #secs)
    assert.are.equal("cs.CV (2)", X.text(X.find_all(secs[1], "h2")[1]))
    assert.are.equal("<cs.CR> (1)", X.text(X.find_all(secs[2], "h2")[1]))
    assert.are.equal(2, #X.find_all(secs[1], "article"))
    assert.truthy(s:find('<span id="paper-count">3</span>', 1, true))
  end)

  it("passes xmllint when it is installed", function()
    if os.execute("command -v xmllint >/dev/null 2>&1") ~= true then
      pending("xmllint not installed (Debian libxml2-utils)")
      return
    end
    local path = os.tmpname()
    local f = assert(io.open(path, "wb")); f:write(out); f:close()
    assert.is_true(os.execute("xmllint --noout --nonet " .. path .. " 2>/dev/null") == true)
    os.remove(path)
  end)
end)

-- {======================================================================
describe("atom", function()
  local out = format.render(ALL, "atom", { query = 'diffusion cat:cs.CV "neural fields"', now = 86400 })
  local feed, err = X.check(out)

  it("is a well-formed Atom 1.0 feed", function()
    assert.is_nil(err)
    assert.are.equal("feed", feed.name)
    assert.are.equal("http://www.w3.org/2005/Atom", feed.attrs.xmlns)
    assert.truthy(out:find('^<%?xml version="1.0" encoding="utf%-8"%?>\n'))
    assert.are.equal("1970-01-02T00:00:00Z", X.text(X.child(feed, "updated")))
    assert.are.equal('arXiv: diffusion cat:cs.CV "neural fields"', X.text(X.child(feed, "title")))
    assert.truthy(X.child(feed, "author"))
    local entries = X.find_all(feed, "entry")
    assert.are.equal(#ALL, #entries)
    for i, e in ipairs(entries) do
      for _, req in ipairs({ "id", "title", "updated" }) do assert.truthy(X.child(e, req), req) end
      assert.truthy(X.text(X.child(e, "updated")):match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"))
      assert.are.equal("http://arxiv.org/abs/" .. ALL[i].id, X.text(X.child(e, "id")))
    end
  end)

  it("carries authors, categories, dates and links", function()
    local e = X.find_all(feed, "entry")[2] -- P.revised
    assert.are.equal(5, #X.find_all(e, "author"))
    assert.are.equal("Qing Guo", X.text(X.find_all(e, "author")[1]))
    assert.are.equal("cs.CV", X.find_all(e, "category")[1].attrs.term)
    assert.are.equal("2019-10-19T02:35:38Z", X.text(X.child(e, "published")))
    assert.are.equal("2020-07-22T05:25:14Z", X.text(X.child(e, "updated")))
    assert.truthy(X.text(X.child(e, "summary")):find("C&W", 1, true))
    local hrefs = {}
    for _, l in ipairs(X.find_all(e, "link")) do hrefs[#hrefs + 1] = l.attrs.href end
    assert.are.same({ "http://arxiv.org/abs/1910.08681v4", "http://arxiv.org/pdf/1910.08681v4",
      "https://doi.org/10.1007/978-3-030-58595-2_13" }, hrefs)
    -- a listing paper: no published, updated from its digest day
    local l = X.find_all(feed, "entry")[3]
    assert.are.equal("2020-05-20T00:00:00Z", X.text(X.child(l, "updated")))
  end)

  it("derives a stable feed id from the query", function()
    local id1 = X.text(X.child(feed, "id"))
    local again = X.check(format.render({ P.catalog }, "atom", { query = 'diffusion cat:cs.CV "neural fields"' }))
    local other = X.check(format.render({ P.catalog }, "atom", { query = "nerf" }))
    assert.are.equal(id1, X.text(X.child(again, "id")))
    assert.are_not.equal(id1, X.text(X.child(other, "id")))
    assert.truthy(id1:match("^urn:arxivdigest:query:[%w%%%-%._~]+$"))
  end)

  it("escapes hostile text, strips characters XML forbids and links only http(s)", function()
    local e = X.find_all(feed, "entry")[5]
    assert.are.equal(P.xss.title, X.text(X.child(e, "title")))
    assert.are.equal("<img src=x onerror=alert(1)>", X.text(X.find_all(e, "author")[1]))
    assert.truthy(X.text(X.child(e, "summary")):find("Journal: ]]></summary><injected/>", 1, true))
    assert.are.equal(0, #X.find_all(feed, "injected"))
    for _, l in ipairs(X.find_all(feed, "link")) do
      assert.truthy(l.attrs.href:match("^https?://"), l.attrs.href)
    end
    local c = X.find_all(feed, "entry")[8]
    assert.are.equal("Nuloneesc[31mred[0m line sep para sep", X.text(X.child(c, "title")))
    assert.is_nil(out:find("[%z\1-\9\11-\31\127]"))
  end)

  it("passes xmllint when it is installed", function()
    if os.execute("command -v xmllint >/dev/null 2>&1") ~= true then
      pending("xmllint not installed (Debian libxml2-utils)")
      return
    end
    local path = os.tmpname()
    local f = assert(io.open(path, "wb")); f:write(out); f:close()
    assert.is_true(os.execute("xmllint --noout --nonet " .. path .. " 2>/dev/null") == true)
    os.remove(path)
  end)
end)

-- {======================================================================
describe("text", function()
  local function width_of(line) return util.width(line) end

  it("wraps to the width on UTF-8 character boundaries", function()
    for _, w in ipairs({ 20, 40, 80, 100 }) do
      local out = format.render(ALL, "text", { width = w, color = false })
      assert.truthy(utf8.len(out))
      for _, l in ipairs(lines(out)) do
        assert.is_true(width_of(l) <= w, ("%d > %d: %s"):format(width_of(l), w, l))
      end
    end
    local long = { id = "2001.00009", title = string.rep("日本語", 20) .. " " .. string.rep("é", 50) }
    local out = format.render({ long }, "text", { width = 30, color = false, abstract = false })
    for _, l in ipairs(lines(out)) do
      assert.truthy(utf8.len(l))
      assert.is_true(width_of(l) <= 30, l)
    end
    -- nothing of the title is lost
    local joined = out:gsub("%[1%] ", ""):gsub("\n%s+", "")
    assert.truthy(joined:find(string.rep("日本語", 20), 1, true))
  end)

  it("shows the paper's fields", function()
    local out = format.render({ P.revised }, "text", { color = false })
    assert.are.equal(table.concat({
      "[1] SPARK: Spatial-aware Online Incremental Attack Against Visual Tracking",
      "    1910.08681v4 | 2019-10-19 | cs.CV",
      "    Qing Guo, Xiaofei Xie, Felix Juefei-Xu, Lei Ma, Zhongguo Li",
      "",
      "    We first propose a \\textit{spatial-aware} basic attack by adapting existing",
      "    attack methods, i.e., FGSM, BIM, and C&W, and achieve $3.6\\% \\pm 1.5\\%$ with",
      "    $\\ell_1$ loss.",
      "    Comment: 18 pages, 5 figures. This paper has been accepted to ECCV2020",
      "    Journal: ECCV 2020",
      "    DOI: 10.1007/978-3-030-58595-2_13",
      "    http://arxiv.org/abs/1910.08681v4",
      "",
      "1 paper",
      "" }, "\n"), out)
  end)

  it("removes what could drive the terminal and keeps the text readable", function()
    local out = format.render({ P.control, P.xss }, "text", { color = false })
    assert.is_nil(out:find("\27", 1, true))
    assert.is_nil(out:find("[%z\1-\9\11-\31\127]"))
    assert.is_nil(out:find("\226\128[\168-\174]"))
    assert.is_nil(out:find("\226\129[\166-\169]"))
    assert.is_nil(out:find("\194[\128-\159]"))
    -- control characters are shown as control pictures: NUL, SOH, ESC
    assert.truthy(out:find("Nul\226\144\128one\226\144\129esc\226\144\155[31mred", 1, true))
    assert.truthy(out:find("Bidi gnp.exe and isolate x", 1, true))
    assert.truthy(out:find("<script>document.title='pwned';alert(1)</script>", 1, true))
  end)

  it("colours only when allowed", function()
    local function render(o) return format.render({ P.catalog }, "text", o) end
    assert.is_nil(render({ color = false }):find("\27", 1, true))
    assert.truthy(render({ color = true }):find("\27[1m", 1, true))
    local env = function(vars) return function(k) return vars[k] end end
    local yes = function() return true end
    local no = function() return false end
    -- auto: stdout that is a terminal
    assert.truthy(render({ stdout = true, isatty = yes, getenv = env({}) }):find("\27", 1, true))
    assert.is_nil(render({ stdout = true, isatty = no, getenv = env({}) }):find("\27", 1, true))
    -- never when NO_COLOR is set (non-empty), nor for TERM=dumb
    assert.is_nil(render({ stdout = true, isatty = yes, getenv = env({ NO_COLOR = "1" }) }):find("\27", 1, true))
    assert.truthy(render({ stdout = true, isatty = yes, getenv = env({ NO_COLOR = "" }) }):find("\27", 1, true))
    assert.is_nil(render({ stdout = true, isatty = yes, getenv = env({ TERM = "dumb" }) }):find("\27", 1, true))
    -- not stdout: no colour, and the TTY test is not even run
    local asked = false
    assert.is_nil(render({ isatty = function() asked = true; return true end, getenv = env({}) }):find("\27", 1, true))
    assert.is_false(asked)
    -- the default TTY test is replaceable on the module
    local text = format.get("text")
    local saved = text.isatty
    text.isatty = yes
    local chunks = {}
    local ok = pcall(function()
      format.render({ P.catalog }, "text", { getenv = env({}), stdout = true }, function(c) chunks[#chunks + 1] = c end)
    end)
    text.isatty = saved
    assert.is_true(ok)
    assert.truthy(table.concat(chunks):find("\27", 1, true))
    -- the detection itself answers a boolean
    assert.is_boolean(saved())
  end)

  it("shows the scores of a ranked pipeline", function()
    local out = format.render({ P.catalog, P.listing }, "text", { color = false, scores = { 2.5, 0.125 } })
    assert.truthy(out:find("1910.11126v1 | 2019-10-19 | cs.CV cs.LG eess.IV eess.SP | score 2.5\n", 1, true))
    assert.truthy(out:find("2005.09496 | 2020-05-20 | cs.CV | score 0.125\n", 1, true))
    local html = format.render(nil, "html", { groups = { { key = "g", papers = { P.catalog }, scores = { 1.5 } } } })
    assert.truthy(html:find('<span class="score">score 1.5</span>', 1, true))
  end)

  it("renders groups as sections and a title", function()
    local out = format.render(nil, "text", { color = false, title = "Week", abstract = false,
      groups = { { key = "cs.CV", papers = { P.catalog, P.revised } }, { key = "cs.CR", papers = { P.xss } } } })
    assert.truthy(out:find("^Week\n====\n\ncs.CV %(2%)\n%-%-%-%-%-%-%-%-%-\n\n%[1%] Sensor"))
    assert.truthy(out:find("\ncs.CR %(1%)\n%-%-%-%-%-%-%-%-%-\n\n%[1%] <script>", 1))
    assert.truthy(out:find("\n3 papers\n$"))
  end)
end)

-- {======================================================================
describe("markdown", function()
  it("writes the catalog format, None for absent values, primary category first", function()
    local out = format.render({ P.catalog, P.listing }, "markdown")
    assert.are.equal(table.concat({
      "# Arxiv Papers in cs.CV on 2019-10-19",
      "### Sensor fusion using EMG and vision for hand gesture classification in mobile applications",
      "- **Arxiv ID**: http://arxiv.org/abs/1910.11126v1",
      "- **DOI**: None",
      "- **Categories**: **cs.CV**, cs.LG, eess.IV, eess.SP",
      "- **Links**: [PDF](http://arxiv.org/pdf/1910.11126v1)",
      "- **Published**: 2019-10-19 00:02:48+00:00",
      "- **Updated**: 2019-10-19 00:02:48+00:00",
      "- **Authors**: Enea Ceolini, Gemma Taverni, Lyes Khacef, Melika Payvand, Elisa Donati",
      "- **Comment**: None",
      "- **Journal**: None",
      "- **Summary**: " .. P.catalog.abstract,
      "", "", "",
      "# Arxiv Papers in cs.CV on 2020-05-20",
      "### RoadText-1K: Text Detection & Recognition Dataset for Driving Videos",
      "- **Arxiv ID**: https://arxiv.org/abs/2005.09496",
      "- **DOI**: None",
      "- **Categories**: **cs.CV**",
      "- **Links**: [PDF](https://arxiv.org/pdf/2005.09496.pdf)",
      "- **Published**: None",
      "- **Updated**: None",
      "- **Authors**: None",
      "- **Comment**: None",
      "- **Journal**: None",
      "- **Summary**: " .. P.listing.abstract,
      "", "", "", "" }, "\n"), out)
    local cr = format.render({ { id = "2001.00001", primary_category = "cs.LG", categories = { "cs.CV", "cs.LG" },
      date = "2020-01-01" } }, "markdown", { category = "cs.CV" })
    assert.truthy(cr:find("# Arxiv Papers in cs.CV on 2020-01-01\n", 1, true))
    assert.truthy(cr:find("- **Categories**: **cs.LG**, cs.CV\n", 1, true))
  end)

  it("writes the listing format, one header per day and category, HTML-escaped", function()
    local a = { id = "2005.09623", title = "First", abstract = "A < B & C", primary_category = "cs.CV",
      date = "2020-05-20", pdf_url = "https://arxiv.org/pdf/2005.09623.pdf" }
    local x = { id = "2005.09619", title = "Crossed", abstract = "x", primary_category = "cs.CV",
      date = "2020-05-20", crosslist = true }
    local b = { id = "2005.09544", title = "Second <i>", abstract = "y", primary_category = "cs.CV",
      date = "2020-05-20" }
    local c = { id = "2005.05896", title = "Other day", abstract = "z", primary_category = "cs.CV",
      date = "2020-05-13", version = 2 }
    local out = format.render({ a, x, b, c }, "markdown", { style = "listing" })
    assert.are.equal(table.concat({
      "# ArXiv cs.CV --Wed, 20 May 2020",
      "### 1.First  [ :arrow_down: ](https://arxiv.org/pdf/2005.09623.pdf)",
      ">  A &lt; B &amp; C      ",
      "### 2.Second &lt;i&gt;  [ :arrow_down: ](https://arxiv.org/pdf/2005.09544.pdf)",
      ">  y      ",
      "### 3.Crossed  [ :arrow_down: ](https://arxiv.org/pdf/2005.09619.pdf)",
      ">  x      ",
      "# ArXiv cs.CV --Wed, 13 May 2020",
      "### 1.Other day  [ :arrow_down: ](https://arxiv.org/pdf/2005.05896v2.pdf)",
      ">  z      ",
      "" }, "\n"), out)
  end)

  it("keeps every value on its line: text cannot start a field or a record", function()
    local evil = { id = "2001.00001", version = 1, date = "2020-01-01", primary_category = "cs.CV",
      title = "Title\n- **DOI**: 10.666/evil\n### 2.Injected  [ :arrow_down: ](https://arxiv.org/pdf/6666.66666.pdf)",
      authors = { "A\n- **Journal**: Evil" }, abstract = "line\r\n# ArXiv cs.CV --Wed, 20 May 2020\n>  x" }
    for _, style in ipairs({ "catalog", "listing" }) do
      local out = format.render({ evil }, "markdown", { style = style })
      local heads, fields = 0, {}
      for _, l in ipairs(lines(out)) do
        if l:match("^#") then heads = heads + 1 end
        local f = l:match("^%- %*%*(.-)%*%*:")
        if f then fields[f] = (fields[f] or 0) + 1 end
      end
      assert.are.equal(2, heads, style) -- the day header and the one title
      for f, n in pairs(fields) do assert.are.equal(1, n, f) end
      assert.is_nil(out:find("\r", 1, true))
    end
  end)

  it("escapes HTML in listings, which are read back as HTML", function()
    local out = format.render({ P.xss }, "markdown", { style = "listing" })
    assert.is_nil(out:find("<", 1, true))
    assert.truthy(out:find("### 1.&lt;script&gt;document.title='pwned';alert(1)&lt;/script&gt; Robust "
      .. "&lt;b&gt;segmentation&lt;/b&gt;  [ :arrow_down: ](https://arxiv.org/pdf/2001.00001v1.pdf)\n", 1, true))
    assert.truthy(out:find(">  We study &lt;img src=x onerror=\"document.title='pwned'\"&gt; attacks &amp; defences", 1,
      true))
  end)

  it("removes control and bidi characters, keeps valid UTF-8", function()
    for _, style in ipairs({ "catalog", "listing" }) do
      local out = format.render(P.hostile, "markdown", { style = style })
      assert.truthy(utf8.len(out))
      assert.is_nil(out:find("[%z\1-\9\11-\31\127]"))
      assert.is_nil(out:find("\226\128[\168-\174]"))
    end
  end)

  it("rejects an unknown style", function()
    assert.error_matches(function() format.render(P.all, "markdown", { style = "x" }) end,
      "markdown: unknown style 'x'")
  end)
end)

-- {======================================================================
-- Round trips through the parser (needs the C core).
local SKIP_FIELDS = { source = true, line = true, raw = true, position = true }

local function same(a, b)
  if type(a) == "table" or type(a) == "userdata" then
    if type(b) ~= "table" and type(b) ~= "userdata" then return false end
    if #a ~= #b then return false end
    for i = 1, #a do if a[i] ~= b[i] then return false end end
    return true
  end
  return a == b
end

-- The markdown writer removes control characters (documented): expected
-- values of a record are its fields with those removed.
local function expect(v)
  if type(v) == "string" then return util.line(v) end
  if type(v) == "table" or type(v) == "userdata" then
    local out = {}
    for i = 1, #v do out[i] = util.line(v[i]) end
    return out
  end
  return v
end

local function roundtrip(c, style, name)
  local ps = {}
  for i = 1, #c do ps[i] = c[i] end
  local out = format.render(ps, "markdown", { style = style })
  local c2 = ad.parse(out, name .. ".out.md")
  assert.are.equal(#c, #c2, name .. ": record count")
  for i = 1, #c do
    for _, f in ipairs(util.FIELDS) do
      if not SKIP_FIELDS[f] then
        local want, got = expect(c[i][f]), c2[i][f]
        if not same(want, got) then
          error(("%s: record %d field %s: %s ~= %s"):format(name, i, f, tostring(want), tostring(got)))
        end
      end
    end
  end
  return out, c2
end

local function files_in(dir)
  local out = {}
  local p = io.popen('find "' .. dir .. '" -type f \\( -name "*.md" -o -name "*.txt" \\) 2>/dev/null | sort')
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  return out
end

describe("markdown round trip through the parser", function()
  local function need_core()
    if not has_core then
      pending("the C core cannot be loaded (run make): round trips skipped: " .. core_error)
      return false
    end
    return true
  end

  it("gives the same records back for every seed and fixture file", function()
    if not need_core() then return end
    local files = files_in("examples/data")
    for _, dir in ipairs({ "spec/fixtures/catalog", "spec/fixtures/listing", "spec/fixtures/bad" }) do
      for _, f in ipairs(files_in(dir)) do files[#files + 1] = f end
    end
    assert.is_true(#files >= 10)
    local records = 0
    for _, path in ipairs(files) do
      local c = ad.parse(read(path), path)
      local formats = {}
      for i = 1, #c do formats[c[i].format] = true end
      if formats.catalog and not formats.listing then roundtrip(c, "catalog", path) end
      if formats.listing and not formats.catalog then roundtrip(c, "listing", path) end
      roundtrip(c, "auto", path)
      records = records + #c
    end
    assert.is_true(records >= 210)
  end)

  it("by default writes papers all read from listings as a listing, others as a catalog", function()
    if not need_core() then return end
    local files = files_in("examples/data")
    for _, dir in ipairs({ "spec/fixtures/catalog", "spec/fixtures/listing" }) do
      for _, f in ipairs(files_in(dir)) do files[#files + 1] = f end
    end
    local styles = {}
    for _, path in ipairs(files) do
      local c = ad.parse(read(path), path)
      local formats = {}
      for i = 1, #c do formats[c[i].format] = true end
      if #c > 0 and not (formats.listing and formats.catalog) then
        local kind = formats.listing and "listing" or "catalog"
        -- no style given: format, crosslist (and every other field) come back
        local out, c2 = roundtrip(c, nil, path)
        local head = kind == "listing" and "^# ArXiv " or "^# Arxiv Papers in "
        assert.truthy(out:find(head), path)
        for i = 1, #c do
          assert.are.equal(kind, c2[i].format, path)
          -- a whole listing written back keeps its numbers too
          if kind == "listing" then assert.are.equal(c[i].position, c2[i].position, path .. " " .. i) end
        end
        styles[kind] = (styles[kind] or 0) + 1
      end
    end
    assert.is_true((styles.listing or 0) >= 4 and (styles.catalog or 0) >= 3)
    -- a mix of listing and catalog papers: catalog (it holds every field)
    local lst = ad.parse(read("examples/data/000_21fb7b7deb0de965.txt"), "000")
    local cat = ad.parse(read("examples/data/003_ce175d6736be5667.txt"), "003")
    local mixed = { lst[1], lst[2], cat[1] }
    local out = format.render(mixed, "markdown")
    assert.truthy(out:find("^# Arxiv Papers in "))
    assert.is_nil(out:find("\n# ArXiv ", 1, true))
    local c3 = ad.parse(out, "mixed.md")
    assert.are.equal(3, #c3)
    for i = 1, 3 do assert.are.equal("catalog", c3[i].format) end
    -- a ranked list (search by score, recommendations) is for reading: catalog
    local ranked = format.render({ lst[3], lst[1] }, "markdown", { ranked = true })
    assert.truthy(ranked:find("\n%- %*%*Arxiv ID%*%*: "))
    assert.is_nil(ranked:find("[ :arrow_down: ]", 1, true))
    -- the style asked for wins
    assert.truthy(format.render({ lst[1] }, "markdown", { style = "catalog" }):find("^# Arxiv Papers in "))
  end)

  it("re-creates the crosslist blocks of the seed listings", function()
    if not need_core() then return end
    local c = ad.parse(read("examples/data/000_21fb7b7deb0de965.txt"), "000")
    local _, c2 = roundtrip(c, "listing", "000")
    local cross = 0
    for i = 1, #c2 do if c2[i].crosslist then cross = cross + 1 end end
    assert.are.equal(17, cross)
    assert.are.equal(47, #c2)
  end)

  it("gives the same records back for a sample of the 2019 corpus", function()
    if not need_core() then return end
    local files = files_in("../shared/corpus/cs.CV-2019")
    if #files == 0 then
      pending("../shared/corpus/cs.CV-2019 is absent: corpus round trip skipped")
      return
    end
    local n = 0
    for i = 1, #files, 25 do
      local c = ad.parse(read(files[i]), files[i])
      assert.are.same({}, c:warnings())
      roundtrip(c, "catalog", files[i])
      n = n + #c
    end
    assert.is_true(n > 300)
  end)

  it("round-trips the fixture papers, hostile ones included, through both styles", function()
    if not need_core() then return end
    for _, style in ipairs({ "catalog", "listing" }) do
      local out = format.render(ALL, "markdown", { style = style })
      local c = ad.parse(out, style .. ".md")
      assert.are.equal(#ALL, #c)
      local byid = {}
      for i = 1, #c do byid[c[i].id] = c[i] end
      for _, p in ipairs(ALL) do
        local q = assert(byid[p.id], p.id)
        assert.are.equal(shown(p.title), q.title)
        assert.are.equal(shown(p.abstract), q.abstract)
        assert.are.equal(p.primary_category, q.primary_category)
        assert.are.equal(p.date, q.date)
        if style == "catalog" then
          assert.are.equal(p.version, q.version)
          -- ", " separates authors in catalog files: a name holding one
          -- (P.bibtex's "Smith, Jr., John") comes back as several names
          assert.are.equal(table.concat(expect(p.authors), ", "), table.concat(q.authors, ", "))
          assert.are.equal(p.doi and shown(p.doi), q.doi)
          assert.are.equal(p.comment and shown(p.comment), q.comment)
          assert.are.equal(p.journal and shown(p.journal), q.journal)
          assert.are.equal(p.published, q.published)
          assert.are.equal(p.updated, q.updated)
        end
      end
    end
  end)

  it("renders Paper userdata from the parser in every format", function()
    if not need_core() then return end
    local c = ad.parse(read("examples/data/003_ce175d6736be5667.txt"), "003")
    local ps = {}
    for i = 1, #c do ps[i] = c[i] end
    local ls = lines(format.render(ps, "jsonl"))
    for i = 1, #c do
      local obj = json.decode(ls[i])
      for _, f in ipairs(util.FIELDS) do
        local v = c[i][f]
        if v == nil then
          assert.truthy(obj[f] == json.null or (util.ARRAY_FIELDS[f] and #obj[f] == 0), f)
        elseif type(v) == "userdata" or type(v) == "table" then
          assert.are.same(expect(v), obj[f], f)
        else
          assert.are.equal(v, obj[f], f)
        end
      end
    end
    for _, name in ipairs({ "csv", "bibtex", "html", "atom", "text" }) do
      local s = format.render(ps, name, { color = false })
      assert.truthy(#s > 1000, name)
    end
    assert.are.equal(#c, #X.find_all(assert(X.check(format.render(ps, "html"))), "article"))
    assert.are.equal(#c, #X.find_all(assert(X.check(format.render(ps, "atom"))), "entry"))
    assert.are.equal(#c, #parse_bib(format.render(ps, "bibtex")))
    assert.are.equal(#c + 1, #parse_csv(format.render(ps, "csv")))
  end)
end)

describe("text wrapping", function()
  local text = require "arxivdigest.format.text"
  it("the fast path for single-spaced ASCII gives exactly what the general path gives", function()
    math.randomseed(20261206)
    for _ = 1, 20000 do
      local words = {}
      for k = 1, math.random(0, 30) do
        words[k] = ("x"):rep(math.random(1, math.random() < 0.1 and 60 or 9))
      end
      local s = table.concat(words, " ")
      if math.random() < 0.2 then s = " " .. s end
      if math.random() < 0.2 then s = s .. " " end
      local w, ind = math.random(5, 40), (" "):rep(math.random(0, 6))
      assert.are.equal(text._wrap_general(s, w, ind), text.wrap(s, w, ind), ("%q %d %d"):format(s, w, #ind))
    end
  end)
end)

-- The C core's one-pass path (core.plain_text, core.wrap_plain: csrc/ad_text.c)
-- against the text format's Lua paths, on generated text with every kind
-- of byte the cleaning cares about.
describe("text wrapping in the C core", function()
  local text = require "arxivdigest.format.text"
  local okc, core = pcall(require, "arxivdigest.core")
  local PIECES = { " ", " ", " ", "  ", "\t", "\n", "\r", "\0", "\1", "\27", "\127", "é", "漢字", "\255", "\194\133",
    "\226\128\174", "~", "!", "-" }
  local function gen()
    local t = {}
    for k = 1, math.random(0, 25) do
      local r = math.random()
      if r < 0.55 then t[k] = ("x"):rep(math.random(1, math.random() < 0.1 and 40 or 8))
      elseif r < 0.9 then t[k] = " "
      else t[k] = PIECES[math.random(#PIECES)] end
    end
    return table.concat(t)
  end
  local function lua_plain(s)
    return not s:find("[^ -~]") and not s:find("  ", 1, true) and s:byte(1) ~= 32 and s:byte(-1) ~= 32
  end

  it("is there (the build has the core)", function()
    assert.is_true(okc, tostring(core))
    assert.is_function(core.plain_text)
    assert.is_function(core.wrap_plain)
  end)

  it("plain_text and wrap_plain agree with the Lua rules; wrapping clean text gives what M.wrap(M.sanitize(s)) gives", function()
    math.randomseed(20261207)
    local n_plain = 0
    for _ = 1, 20000 do
      local s = gen()
      local w = math.random() < 0.05 and math.random(-5, 200) or math.random(5, 60)
      local ind = (" "):rep(math.random(0, 6))
      local what = ("%q %d %d"):format(s, w, #ind)
      local plain = lua_plain(s)
      assert.are.equal(plain, core.plain_text(s), what)
      local c = core.wrap_plain(s, w, ind)
      if plain then
        n_plain = n_plain + 1
        assert.are.equal(text._wrap_ascii(s, math.max(w - #ind, 10), ind), c, what)
        assert.are.equal(text._wrap_general(s, w, ind), c, what)
      else
        assert.is_nil(c, what)
      end
      assert.are.equal(text._wrap_general(text.sanitize(s), w, ind), text._wrap_clean(s, w, ind), what)
      assert.are.equal(text._wrap_general(text.sanitize(s), w, ind), text.wrap(text.sanitize(s), w, ind), what)
    end
    assert.truthy(n_plain > 2000 and n_plain < 18000, n_plain)
  end)

  it("plain_text agrees with its definition on every byte kind at every position (it reads 8 bytes at a time)", function()
    math.randomseed(20261209)
    local ALPHA = { "x", "x", "x", " ", " ", " ", "~", "!", "\31", "\127", "\128", "\255", "\0", "\32" }
    for _ = 1, 100000 do
      local t = {}
      for k = 1, math.random(0, 40) do t[k] = ALPHA[math.random(#ALPHA)] end
      -- mostly single-spaced printable text, with one odd byte somewhere
      if math.random() < 0.7 then
        for k = 1, #t do if t[k] ~= " " then t[k] = "x" end end
        for k = 2, #t do if t[k] == " " and t[k - 1] == " " then t[k] = "y" end end
        if #t > 0 and math.random() < 0.5 then t[math.random(#t)] = ALPHA[math.random(#ALPHA)] end
      end
      local s = table.concat(t)
      assert.are.equal(lua_plain(s), core.plain_text(s), ("%q"):format(s))
    end
  end)

  it("wrap_plain: the width as Lua computes it (a narrow line is 10 wide, integer wrap-around), no indent", function()
    local s = "aaaa bbbb cccc dddd eeee ffff gggg"
    for _, w in ipairs({ math.mininteger, math.mininteger + 3, -1, 0, 9, 10, 14, 15, 16, 33, 34, 35, math.maxinteger }) do
      for _, ind in ipairs({ "", "   " }) do
        assert.are.equal(text._wrap_ascii(s, math.max(w - #ind, 10), ind), core.wrap_plain(s, w, ind), w .. " " .. #ind)
      end
    end
    assert.are.equal(text._wrap_ascii(s, 10, ""), core.wrap_plain(s, 12))
    assert.are.equal("", core.wrap_plain("", 30))
    assert.are.equal("  ", core.wrap_plain("", 30, "  "))
    assert.are.equal("xxxxxxxxxx\nxxxxxxxxxx\nxxx", core.wrap_plain(("x"):rep(23), 10))
  end)

  it("the text format without the core prints exactly what it prints with it", function()
    -- the module loaded again in an environment whose require has no core
    local env = setmetatable({ require = function(name)
      if name == "arxivdigest.core" then error("module 'arxivdigest.core' not found") end
      return require(name)
    end }, { __index = _G })
    local nocore = assert(loadfile("lua/arxivdigest/format/text.lua", "t", env))()
    math.randomseed(20261208)
    local papers = {}
    for _, p in ipairs(ALL) do papers[#papers + 1] = p end
    for k = 1, 300 do
      local authors = {}
      for j = 1, math.random(0, 4) do authors[j] = gen() end
      papers[#papers + 1] = { id = "2401." .. (10000 + k), version = math.random(1, 3), title = gen(),
        authors = authors, abstract = gen() .. gen() .. gen(), comment = math.random() < 0.5 and gen() or nil,
        journal = math.random() < 0.2 and gen() or nil, categories = { "cs.CV", math.random() < 0.1 and gen() or "cs.LG" },
        date = "2024-01-" .. (10 + k % 20), abs_url = math.random() < 0.1 and gen() or nil }
    end
    for _, opts in ipairs({ { color = false }, { color = true }, { color = false, width = 33 },
                            { color = true, width = 20.0 }, { color = false, abstract = false, title = "T  i\tt" } }) do
      local a, b = {}, {}
      text.render(papers, opts, function(s) a[#a + 1] = s end)
      nocore.render(papers, opts, function(s) b[#b + 1] = s end)
      assert.are.equal(table.concat(b), table.concat(a))
    end
  end)
end)
