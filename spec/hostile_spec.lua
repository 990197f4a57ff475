-- Hostile and broken input (issue 5): for each kind of bad file, no crash,
-- every good record kept with all its fields, and a warning with the file and
-- the line of the problem. Fixtures: spec/fixtures/bad/ (small, committed);
-- the 5 MB lines and the file over 2 GiB are generated here.
local ad = require "arxivdigest"

local BAD = "spec/fixtures/bad/"
local SEEDS = "spec/fixtures/fuzz/scan/"

local H = dofile("spec/helper.lua")
local slurp, spit = H.read, H.write


local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  return p
end

-- every warning is well formed: the source is one of ours, line an integer >= 0
local function check_warnings(c, sources)
  for _, w in ipairs(c:warnings()) do
    assert.is_string(w.source)
    assert.is_true(sources[w.source] ~= nil, "unexpected warning source " .. tostring(w.source))
    assert.is_true(math.type(w.line) == "integer" and w.line >= 0, "bad warning line")
    assert.is_string(w.message)
    assert.is_true(#w.message > 0 and #w.message < 300, "warning message empty or too long")
  end
end

-- the warnings as "line: message" strings, in order
local function warnings_of(c, source)
  local out = {}
  for _, w in ipairs(c:warnings()) do
    if source == nil or w.source == source then out[#out + 1] = w.line .. ": " .. w.message end
  end
  return out
end

-- a warning at exactly (source, line) whose message contains `text`
local function assert_warning(c, source, line, text)
  for _, w in ipairs(c:warnings()) do
    if w.source == source and w.line == line and w.message:find(text, 1, true) then return w end
  end
  error(("no warning %s:%d containing %q; got:\n  %s"):format(source, line, text,
    table.concat(warnings_of(c), "\n  ")), 2)
end

local function open(name)
  local path = BAD .. name
  local c, err = ad.open(path)
  assert(c, err)
  check_warnings(c, {[path] = true})
  return c, path
end

-- Every field of a synthetic catalog record (see the fixtures).
local function check_catalog(p, id, title, line, source, extra)
  extra = extra or {}
  assert.equal(id, p.id)
  assert.equal(1, p.version)
  assert.equal(title, p.title)
  assert.same({"Ada Lovelace", "Alan Turing"}, p.authors)
  assert.equal(extra.abstract or ("Abstract of " .. id .. "."), p.abstract)
  assert.same({"cs.CV", "cs.LG"}, p.categories)
  assert.equal("cs.CV", p.primary_category)
  assert.equal("http://arxiv.org/pdf/" .. id .. "v1", p.pdf_url)
  assert.equal("http://arxiv.org/abs/" .. id .. "v1", p.abs_url)
  assert.is_nil(p.doi)
  assert.equal(extra.comment, p.comment)
  assert.is_nil(p.journal)
  assert.equal("2019-10-19T00:02:48Z", p.published)
  assert.equal("2019-10-19T00:02:48Z", p.updated)
  assert.equal(extra.date or "2019-10-19", p.date)
  assert.equal(source, p.source)
  assert.equal(line, p.line)
  assert.equal("catalog", p.format)
  assert.is_nil(p.position)
  assert.is_false(p.crosslist)
end

-- Every field of a synthetic listing record.
local function check_listing(p, pos, id, title, line, source, extra)
  extra = extra or {}
  assert.equal(id, p.id)
  assert.is_nil(p.version)
  assert.equal(title, p.title)
  assert.same({}, p.authors)
  assert.equal(extra.abstract or ("Abstract of " .. id .. "."), p.abstract)
  assert.same({"cs.CV"}, p.categories)
  assert.equal("cs.CV", p.primary_category)
  assert.equal("https://arxiv.org/pdf/" .. id .. ".pdf", p.pdf_url)
  assert.is_nil(p.doi)
  assert.is_nil(p.journal)
  assert.equal(extra.date or "2020-05-20", p.date)
  assert.equal(source, p.source)
  assert.equal(line, p.line)
  assert.equal("listing", p.format)
  assert.equal(pos, p.position)
  assert.is_false(p.crosslist)
end

local function valid_utf8(s) return utf8.len(s) ~= nil end

-- compare strings without printing megabytes when they differ
local function same_text(expected, got, what)
  if expected == got then return end
  local n = 1
  while n <= #expected and expected:byte(n) == (got or ""):byte(n) do n = n + 1 end
  error(("%s differs at byte %d (lengths %d and %s): expected %q, got %q"):format(
    what, n, #expected, got and #got or "nil", expected:sub(n, n + 40), (got or ""):sub(n, n + 40)), 2)
end

describe("hostile input", function()
  it("a catalog file cut in the middle of a field keeps the complete records", function()
    local c, path = open("truncated_catalog.md")
    assert.equal(3, #c)
    check_catalog(c[1], "1910.00001", "Alpha paper", 2, path)
    check_catalog(c[2], "1910.00002", "Beta paper", 16, path)
    -- the cut record keeps what it had, and both problems are reported
    assert.equal("1910.00003", c[3].id)
    assert.equal("Gamma paper cut short", c[3].title)
    assert.equal(30, c[3].line)
    assert_warning(c, path, 30, "incomplete record: missing Authors, Summary")
    assert_warning(c, path, 33, "no line break")
  end)

  it("a listing cut in the middle of a title keeps the complete records", function()
    local c, path = open("truncated_listing.md")
    assert.equal(3, #c)
    check_listing(c[1], 1, "2005.00002", "Alpha listing", 2, path)
    check_listing(c[2], 2, "2005.00001", "Beta listing", 4, path)
    assert.equal("A title cut in the mid", c[3].title)
    assert.is_nil(c[3].id)
    assert_warning(c, path, 6, "without a PDF link")
    assert_warning(c, path, 6, "no line break")
    assert_warning(c, path, 6, "without an arXiv ID")
  end)

  it("random bytes give no record and a warning naming the file", function()
    local c, path = open("random.md")
    assert.equal(0, #c)
    assert_warning(c, path, 0, "not an arXiv digest")
    assert_warning(c, path, 1, "invalid UTF-8")
    assert_warning(c, path, 1, "NUL byte")
  end)

  it("a text file that is not a digest is reported", function()
    local c, path = open("not_a_digest.txt")
    assert_warning(c, path, 1, "no digest header")
    assert_warning(c, path, 5, "without an arXiv ID")
    for p in c:papers() do assert.is_nil(p.id) end
  end)

  it("NUL bytes inside records are reported at their lines; the records are kept", function()
    local c, path = open("nul_bytes.md")
    assert.equal(2, #c)
    -- the NUL never reaches a field value: it decodes to U+FFFD
    check_catalog(c[1], "1910.00001", "Null\u{FFFD}Title Here", 2, path,
                  {abstract = "Before\u{FFFD}after."})
    check_catalog(c[2], "1910.00002", "Beta paper", 16, path)
    assert_warning(c, path, 2, "NUL byte")
    assert_warning(c, path, 12, "NUL byte")
  end)

  it("invalid UTF-8 becomes U+FFFD, is reported per line, and the records are kept", function()
    local c, path = open("invalid_utf8.md")
    assert.equal(3, #c)
    local R = "\u{FFFD}"
    for p in c:papers() do
      assert.is_true(valid_utf8(p.title), "title not valid UTF-8")
      assert.is_true(valid_utf8(p.abstract), "abstract not valid UTF-8")
    end
    assert.equal("Caf" .. R .. " " .. R .. R .. " overlong " .. R .. R .. R .. " surrogate", c[1].title)
    assert.equal("2005.00003", c[1].id)
    check_listing(c[2], 2, "2005.00002", "Clean title", 4, path)
    assert.equal("Cut sequence " .. R .. R, c[3].title)
    assert.equal("Bad " .. R .. R .. " bytes.", c[3].abstract)
    assert.equal("2005.00001", c[3].id)
    assert_warning(c, path, 2, "invalid UTF-8")
    assert_warning(c, path, 6, "invalid UTF-8")
    assert_warning(c, path, 7, "invalid UTF-8")
  end)

  it("control characters (terminal escapes, DEL) never reach field values", function()
    local text = "# Arxiv Papers in cs.CV on 2019-10-19\n### A\1B\27[31mC\127D\t\12E\n" ..
      "- **Arxiv ID**: http://arxiv.org/abs/1910.00001v1\n- **Summary**: x\27]0;pwned\7y\n"
    local c = ad.parse(text, "ctl.md")
    assert.equal(1, #c)
    -- (DEL, invisible, is dropped: review B14, spec/del_spec.lua; it was U+FFFD)
    assert.equal("A\u{FFFD}B\u{FFFD}[31mCD E", c[1].title)
    assert.equal("x\u{FFFD}]0;pwned\u{FFFD}y", c[1].abstract)
  end)

  it("CRLF line ends give the same records as LF, with no warning", function()
    local c, path = open("crlf.md")
    local ref = ad.parse(slurp(BAD .. "lf.md.ref"), path)
    assert.equal(2, #c)
    assert.same({}, warnings_of(c))
    check_catalog(c[1], "1910.00001", "Alpha paper", 2, path)
    check_catalog(c[2], "1910.00002", "Beta paper", 16, path, {comment = "6 pages, 5 figures"})
    for i = 1, #c do
      for _, k in ipairs({"id", "title", "abstract", "comment", "published", "date", "line"}) do
        assert.equal(ref[i][k], c[i][k])
      end
      assert.is_nil(c[i].title:find("\r", 1, true))
      assert.is_nil(c[i].abstract:find("\r", 1, true))
    end
  end)

  it("a UTF-8 BOM is skipped", function()
    local c, path = open("bom.md")
    assert.equal(2, #c)
    assert.same({}, warnings_of(c))
    check_listing(c[1], 1, "2005.00002", "Alpha listing", 2, path)
    check_listing(c[2], 2, "2005.00001", "Beta listing", 4, path)
  end)

  it("a header with no records, and an empty file, are reported", function()
    local c, path = open("header_only.md")
    assert.equal(0, #c)
    assert_warning(c, path, 1, "no paper records")
    local e, epath = open("empty.md")
    assert.equal(0, #e)
    assert_warning(e, epath, 0, "not an arXiv digest")
  end)

  it("a duplicate field keeps the first value and is reported at its line", function()
    local c, path = open("duplicate_fields.md")
    assert.equal(2, #c)
    check_catalog(c[1], "1910.00001", "Alpha paper", 2, path)   -- DOI stays None
    check_catalog(c[2], "1910.00002", "Beta paper", 17, path)
    assert.same({"5: duplicate field 'DOI' (the first is kept)"}, warnings_of(c))
  end)

  it("an unknown field is ignored and reported", function()
    local c, path = open("unknown_field.md")
    assert.equal(2, #c)
    check_catalog(c[1], "1910.00001", "Alpha paper", 2, path)
    check_catalog(c[2], "1910.00002", "Beta paper", 17, path)
    assert.same({"5: unknown field 'Mood' (ignored)"}, warnings_of(c))
  end)

  it("fields before any title are reported, the records after them kept", function()
    local c, path = open("fields_before_title.md")
    assert.equal(2, #c)
    check_catalog(c[1], "1910.00001", "Alpha paper", 5, path)
    check_catalog(c[2], "1910.00002", "Beta paper", 19, path)
    assert_warning(c, path, 2, "outside of any record")
    assert_warning(c, path, 3, "outside of any record")
    local l, lpath = open("abstract_before_title.md")
    assert.equal(1, #l)
    check_listing(l[1], 1, "2005.00002", "Alpha listing", 3, lpath)
    assert_warning(l, lpath, 2, "outside of any record")
  end)

  it("titles with no fields are reported; the good record between them is kept", function()
    local c, path = open("title_no_fields.md")
    local good = {}
    for p in c:papers() do if p.id then good[#good + 1] = p end end
    assert.equal(1, #good)
    check_catalog(good[1], "1910.00001", "Alpha paper", 5, path)
    assert_warning(c, path, 2, "title with no fields")
    assert_warning(c, path, 19, "title with no fields")
  end)

  it("both formats in one file, each under its own header, all kept", function()
    local c, path = open("mixed_formats.md")
    assert.equal(4, #c)
    check_catalog(c[1], "1910.00001", "Alpha paper", 2, path)
    check_catalog(c[2], "1910.00002", "Beta paper", 16, path)
    check_listing(c[3], 1, "2005.00002", "Alpha listing", 31, path)
    check_listing(c[4], 2, "2005.00001", "Beta listing", 33, path)
  end)

  it("listing records under a catalog header are kept and reported", function()
    local c, path = open("mixed_records.md")
    assert.equal(4, #c)
    check_catalog(c[1], "1910.00001", "Alpha paper", 2, path)
    check_catalog(c[2], "1910.00002", "Beta paper", 16, path)
    -- no listing header: they take the catalog header's day
    check_listing(c[3], 1, "2005.00002", "Alpha listing", 30, path, {date = "2019-10-19"})
    check_listing(c[4], 2, "2005.00001", "Beta listing", 32, path, {date = "2019-10-19"})
    assert_warning(c, path, 30, "daily-listing record in a catalog digest")
    assert_warning(c, path, 32, "daily-listing record in a catalog digest")
  end)

  it("the whole folder of bad files opens, file by file in name order", function()
    local c = assert(ad.open(BAD))
    local total, sources = 0, {}
    local names, other = {}, {}
    for name in io.popen("ls " .. BAD):lines() do
      if name:match("%.md$") or name:match("%.txt$") then names[#names + 1] = name
      else other[#other + 1] = name end
    end
    -- a file of another name is said once, on the first of them
    table.sort(other)
    if other[1] then sources[BAD .. other[1]] = true end
    table.sort(names)
    for _, name in ipairs(names) do
      local one = assert(ad.open(BAD .. name))
      total = total + #one
      sources[BAD .. name] = true
    end
    assert.equal(total, #c)
    check_warnings(c, sources)
    local skips = 0
    for _, w in ipairs(c:warnings()) do
      if w.message:find("^skipped: only %.md and %.txt") then skips = skips + 1 end
    end
    assert.equal(#other > 0 and 1 or 0, skips)
    local last = ""
    for p in c:papers() do
      assert.is_true(p.source >= last, "records not in file-name order")
      last = p.source
    end
  end)

  describe("5 MB lines", function()
    local words = ("lorem ipsum dolor "):rep(5 * 1024 * 1024 // 18)   -- about 5 MB
    local long = words:sub(1, -2)                                      -- no trailing space

    it("a 5 MB abstract is kept whole", function()
      local cat = slurp(BAD .. "lf.md.ref")
      local text = cat:gsub("Abstract of 1910%.00001%.", function() return "  " .. long .. "   " end, 1)
      local c = ad.parse(text, "long_abstract.md")
      assert.equal(2, #c)
      same_text(long, c[1].abstract, "abstract")
      check_catalog(c[1], "1910.00001", "Alpha paper", 2, "long_abstract.md", {abstract = c[1].abstract})
      check_catalog(c[2], "1910.00002", "Beta paper", 16, "long_abstract.md", {comment = "6 pages, 5 figures"})
      assert.same({}, warnings_of(c))
    end)

    it("a 5 MB title with its link at the end is kept", function()
      local text = "# ArXiv cs.CV --Wed, 20 May 2020\n### 1." .. long ..
        "  [ :arrow_down: ](https://arxiv.org/pdf/2005.00002.pdf)\n>  Abstract of 2005.00002.\n" ..
        "### 2.Beta listing  [ :arrow_down: ](https://arxiv.org/pdf/2005.00001.pdf)\n>  Abstract of 2005.00001.\n"
      local c = ad.parse(text, "long_title.md")
      assert.equal(2, #c)
      same_text(long, c[1].title, "title")
      check_listing(c[1], 1, "2005.00002", c[1].title, 2, "long_title.md")
      check_listing(c[2], 2, "2005.00001", "Beta listing", 4, "long_title.md")
    end)

    it("a 5 MB line of junk between records is reported at its line, briefly", function()
      local text = "# ArXiv cs.CV --Wed, 20 May 2020\n" ..
        "### 1.Alpha listing  [ :arrow_down: ](https://arxiv.org/pdf/2005.00002.pdf)\n>  Abstract of 2005.00002.\n" ..
        "\n" .. ("\1x"):rep(2600000) .. "\n\n" ..
        "### 2.Beta listing  [ :arrow_down: ](https://arxiv.org/pdf/2005.00001.pdf)\n>  Abstract of 2005.00001.\n"
      local c = ad.parse(text, "junk.md")
      assert.equal(2, #c)
      same_text("Abstract of 2005.00002.", c[1].abstract, "abstract")
      check_listing(c[1], 1, "2005.00002", "Alpha listing", 2, "junk.md")
      check_listing(c[2], 2, "2005.00001", "Beta listing", 7, "junk.md")
      local w = assert_warning(c, "junk.md", 5, "unexpected text")
      assert.is_true(#w.message < 200)
      check_warnings(c, {["junk.md"] = true})
    end)
  end)

  describe("a file over 2 GiB", function()
    local dir
    before_each(function() dir = tmpdir() end)
    after_each(function() os.execute("rm -rf '" .. dir .. "'") end)

    it("is skipped with a clean warning; the other files are read", function()
      local big = dir .. "/huge.md"
      -- sparse: seek past 2 GiB and write one byte (no disk space used)
      local f = assert(io.open(big, "wb"))
      assert(f:seek("set", 2 * 1024 * 1024 * 1024))
      assert(f:write("\n"))
      f:close()
      spit(dir .. "/ok.md", slurp(BAD .. "bom.md"))
      local t0 = os.clock()
      local c = assert(ad.open(big))
      assert.equal(0, #c)
      assert.same({"0: file too large (2147483649 bytes; the limit is 2 GiB): skipped"},
                  warnings_of(c, big))
      local all = assert(ad.open(dir))
      assert.equal(2, #all)
      check_listing(all[1], 1, "2005.00002", "Alpha listing", 2, dir .. "/ok.md")
      check_listing(all[2], 2, "2005.00001", "Beta listing", 4, dir .. "/ok.md")
      assert_warning(all, big, 0, "file too large")
      assert.is_true(os.clock() - t0 < 2, "the big file was read instead of skipped")
    end)
  end)

  describe("a file over 16 MiB (the arena's limit)", function()
    it("is read whole, and a copy of it truncated afterwards changes nothing", function()
      local dir = tmpdir()
      local big = dir .. "/big.md"
      local one = slurp(BAD .. "bom.md"):gsub("^\239\187\191", "")
      local head, recs = one:match("^(.-\n)(###.*)$")
      local n = math.ceil(17 * 1024 * 1024 / #recs)
      spit(big, head .. recs:rep(n))
      local c = assert(ad.open(big))
      -- another program empties the file while the collection is open
      assert(io.open(big, "wb")):close()
      collectgarbage()
      assert.equal(2 * n, #c)
      local last = c[2 * n]
      assert.equal("2005.00001", last.id)
      assert.equal("Beta listing", last.title)
      assert.equal("Abstract of 2005.00001.", last.abstract)
      assert.equal(2, last.position)
      assert.equal(big, last.source)
      local _, lines = recs:gsub("\n", "")
      assert.equal(1 + (n - 1) * lines + 3, last.line)
      os.execute("rm -rf '" .. dir .. "'")
    end)
  end)

  describe("truncated at every byte", function()
    -- For each prefix of a good file: the records complete in the prefix are
    -- exactly those of the whole file; a record cut short is reported.
    local function every_prefix(name, stride)
      local text = slurp(SEEDS .. name)
      local full = ad.parse(text, name)
      local ends = {}   -- byte offset just after each record's last line
      do
        local pos = 1
        for i = 1, #full do
          local raw = full[i].raw
          local s, e = text:find(raw, pos, true)
          assert(s, "raw bytes not found in the text")
          ends[i] = e + 1     -- its newline
          pos = e + 1
        end
      end
      for cut = 0, #text, stride do
        local c = ad.parse(text:sub(1, cut), name)
        local complete = 0
        while complete < #full and ends[complete + 1] <= cut do complete = complete + 1 end
        assert.is_true(#c >= complete and #c <= complete + 1,
          ("cut at %d: %d records, %d complete"):format(cut, #c, complete))
        for i = 1, complete do
          local p, q = c[i], full[i]
          if p.raw ~= q.raw or p.id ~= q.id or p.title ~= q.title or p.abstract ~= q.abstract
             or p.line ~= q.line or p.crosslist ~= q.crosslist then
            error(("cut at %d: record %d differs from the whole file's"):format(cut, i))
          end
        end
        if #c > complete then   -- the cut record must be reported at or after its title
          local line, found = c[#c].line, false
          for _, w in ipairs(c:warnings()) do
            if w.line >= line then found = true break end
          end
          assert.is_true(found, ("cut at %d: the cut record (line %d) is not reported"):format(cut, line))
        end
      end
    end
    it("daily listing", function() every_prefix("listing_small.md", 1) end)
    it("catalog", function() every_prefix("catalog_small.md", 1) end)
  end)

  it("random byte flips never break the collection", function()
    local base = slurp(SEEDS .. "listing_small.md") .. slurp(SEEDS .. "catalog_small.md")
    local rnd = 12345
    local function rand(n) rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd % n + 1 end
    local fields = {"id", "version", "title", "authors", "abstract", "categories",
      "primary_category", "pdf_url", "abs_url", "doi", "comment", "journal", "published",
      "updated", "date", "source", "line", "format", "position", "crosslist", "raw"}
    for _ = 1, 300 do
      local b = {base:byte(1, -1)}
      for _ = 1, rand(20) do
        local i = rand(#b)
        b[i] = rand(256) - 1
      end
      local s = {}
      for i = 1, #b, 4096 do s[#s + 1] = string.char(table.unpack(b, i, math.min(i + 4095, #b))) end
      local c = ad.parse(table.concat(s), "flipped.md")
      for p in c:papers() do
        for _, k in ipairs(fields) do local _ = p[k] end
        local t = p:totable()
        if t.title then assert.is_true(valid_utf8(t.title)) end
        if t.abstract then assert.is_true(valid_utf8(t.abstract)) end
      end
      check_warnings(c, {["flipped.md"] = true})
    end
  end)

  describe("hostile queries", function()
    local have_index = pcall(require, "arxivdigest.index")
    if not have_index then
      pending("the index (arxivdigest.index) has not landed yet")
      return
    end
    local TOKENS = {"segmentation", "depth", "neural", "video", "zero-shot", "learn*", "de",
      "müller", "Müller", "U$^2$-Net", "\"neural network\"", "\"", "(", ")", "((", "))",
      "AND", "OR", "NOT", "-", "*", "ti:", "abs:", "au:", "co:", "cat:", "primary:",
      "id:", "date:", "year:", "has:", "v:", "cs.CV", "cs.LG", "2005.09623", "1910.11126v1",
      "cs/9810003", "2019", "2020-05", "2020-05-01..2020-05-31", "2019..2020", "doi",
      "journal", "code", "2+", "1..3", "\0", "\27[31m", "\xff\xfe", "\u{202E}", "&amp;",
      "<script>", "'", "\\", ":", "..", "  ", "\t", "\n"}

    it("random queries give hits or an error with a column, never a crash", function()
      local idx = ad.index({SEEDS, "examples/data/"})
      local rnd = 777
      local function rand(n) rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd % n + 1 end
      local errors, answered = 0, 0
      for _ = 1, 3000 do
        local parts = {}
        for i = 1, rand(6) do
          local t = TOKENS[rand(#TOKENS)]
          if rand(10) == 1 then   -- now and then, raw bytes
            local b = {}
            for j = 1, rand(6) do b[j] = string.char(rand(256) - 1) end
            t = table.concat(b)
          end
          parts[i] = t
        end
        local q = table.concat(parts, rand(3) == 1 and "" or " ")
        local ok, hits = pcall(idx.search, idx, q, {limit = 7})
        if not ok then
          errors = errors + 1
          assert.is_string(hits)
          assert.is_true(hits == "empty query" or hits:find("at column %d+$") ~= nil,
            ("query %q: unclear error %q"):format(q, hits))
        else
          answered = answered + 1
          assert.is_true(#hits <= 7)
          local all = idx:search(q, {limit = 1000})
          assert.equal(#all, idx:count(q), ("query %q: count differs from the hits"):format(q))
          for i, h in ipairs(hits) do
            assert.is_string(h.paper.id)
            assert.is_true(h.score == h.score, "NaN score")
            assert.equal(all[i].paper.id, h.paper.id, ("query %q: top 7 is not the start of top 1000"):format(q))
          end
        end
      end
      assert.is_true(errors > 100 and answered > 100)
    end)
  end)
end)
