-- The core parser: both formats, every field, checked against values
-- written by hand from the seed files and the 2019 fixtures.
local ad = require "arxivdigest"

local DATA = "examples/data/"
local FIX = "spec/fixtures/"

local H = dofile("spec/helper.lua")
local read = H.read

local function find(c, id)
  for p in c:papers() do
    if p.id == id then return p end
  end
end

describe("ad.open on the seeds", function()
  it("finds every record of the five seed files", function()
    local counts = {
      ["000_21fb7b7deb0de965.txt"] = {47, 17},
      ["001_906e1fea553eeaa8.txt"] = {46, 14},
      ["002_3ae2b7cffb64a415.txt"] = {42, 10},
      ["003_ce175d6736be5667.txt"] = {22, 0},
      ["004_6bca22daa1a0db69.txt"] = {53, 14},
    }
    local total = 0
    for name, want in pairs(counts) do
      local c = assert(ad.open(DATA .. name))
      local cross = 0
      for p in c:papers() do if p.crosslist then cross = cross + 1 end end
      assert.are.equal(want[1], #c, name)
      assert.are.equal(want[2], cross, name)
      assert.are.same({}, c:warnings(), name)
      total = total + want[1]
    end
    local all = assert(ad.open(DATA))
    assert.are.equal(total, #all)
    assert.are.equal(210, #all)
  end)

  it("reads every field of a daily-listing paper", function()
    local c = assert(ad.open(DATA .. "000_21fb7b7deb0de965.txt"))
    local p = c[1]
    assert.are.equal("2005.09623", p.id)
    assert.is_nil(p.version)
    assert.are.equal("Focus on defocus: bridging the synthetic to real domain gap for depth estimation", p.title)
    assert.are.same({}, p.authors)
    local first = "Data-driven depth estimation methods struggle with the generalization outside their training scenes due to the immense variability of the real-world scenes."
    assert.are.equal(first, p.abstract:sub(1, #first))
    assert.are.equal("state-of-the-art depth prediction.", p.abstract:sub(-34))
    assert.are.same({"cs.CV"}, p.categories)
    assert.are.equal("cs.CV", p.primary_category)
    assert.are.equal("https://arxiv.org/pdf/2005.09623.pdf", p.pdf_url)
    assert.are.equal("https://arxiv.org/abs/2005.09623", p.abs_url)
    assert.is_nil(p.doi)
    assert.is_nil(p.comment)
    assert.is_nil(p.journal)
    assert.is_nil(p.published)
    assert.is_nil(p.updated)
    assert.are.equal("2020-05-20", p.date)
    assert.are.equal(DATA .. "000_21fb7b7deb0de965.txt", p.source)
    assert.are.equal(2, p.line)
    assert.are.equal("listing", p.format)
    assert.are.equal(1, p.position)
    assert.is_false(p.crosslist)
    assert.are.equal("### 1.Focus on defocus", p.raw:sub(1, 22))
    assert.are.equal("state-of-the-art depth prediction.", p.raw:sub(-34))
  end)

  it("decodes HTML in listings: entities, links, <br>", function()
    local c = assert(ad.open(DATA .. "000_21fb7b7deb0de965.txt"))
    local p = c[6]
    assert.are.equal("RoadText-1K: Text Detection & Recognition Dataset for Driving Videos", p.title)
    assert.are.equal("2005.09496", p.id)
    assert.are.equal(12, p.line)
    assert.are.equal(6, p.position)
    local q = c[35]
    assert.are.equal("2005.09372", q.id)
    assert.is_true(q.crosslist)
    assert.truthy(q.abstract:find("to segment individual cells. The proposed methodology", 1, true))
    assert.falsy(q.abstract:find("<br>", 1, true))
    assert.truthy(q.abstract:find("by at least $5.8\\%$ on average.", 1, true))  -- LaTeX kept
    local d = assert(ad.open(DATA .. "004_6bca22daa1a0db69.txt"))[2]
    assert.are.equal("Creative Sketch Generation", d.title)
    assert.are.equal("2011.10039", d.id)
    assert.are.equal("2020-11-20", d.date)
    local tail = "Our code can be found at https://github.com/facebookresearch/DoodlerGAN and a demo can be found at http://doodlergan.cloudcv.org."
    assert.are.equal(tail, d.abstract:sub(-#tail))
    assert.truthy(d.raw:find('<a class="link-external link-https" href="https://github.com/facebookresearch/DoodlerGAN"', 1, true))
  end)

  it("marks the cross-list block where the descending id order restarts", function()
    local c = assert(ad.open(DATA .. "000_21fb7b7deb0de965.txt"))
    assert.are.equal("2005.09007", c[30].id)
    assert.is_false(c[30].crosslist)
    assert.are.equal("2005.09619", c[31].id)
    assert.is_true(c[31].crosslist)
    assert.are.equal(31, c[31].position)
    assert.is_true(c[47].crosslist)
  end)

  it("reads every field of a catalog paper", function()
    local c = assert(ad.open(DATA .. "003_ce175d6736be5667.txt"))
    local p = c[1]
    assert.are.equal("1910.11126", p.id)
    assert.are.equal(1, p.version)
    assert.are.equal("Sensor fusion using EMG and vision for hand gesture classification in mobile applications", p.title)
    assert.are.same({"Enea Ceolini", "Gemma Taverni", "Lyes Khacef", "Melika Payvand", "Elisa Donati"}, p.authors)
    assert.are.equal("The discrimination of human gestures", p.abstract:sub(1, 36))
    assert.are.equal("for EMG and vision respectively, reaching 85%.", p.abstract:sub(-46))
    assert.are.same({"cs.CV", "cs.LG", "eess.IV", "eess.SP"}, p.categories)
    assert.are.equal("cs.CV", p.primary_category)
    assert.are.equal("http://arxiv.org/pdf/1910.11126v1", p.pdf_url)
    assert.are.equal("http://arxiv.org/abs/1910.11126v1", p.abs_url)
    assert.is_nil(p.doi)
    assert.is_nil(p.comment)
    assert.is_nil(p.journal)
    assert.are.equal("2019-10-19T00:02:48Z", p.published)
    assert.are.equal("2019-10-19T00:02:48Z", p.updated)
    assert.are.equal("2019-10-19", p.date)
    assert.are.equal(2, p.line)
    assert.are.equal("catalog", p.format)
    assert.is_nil(p.position)
    assert.is_false(p.crosslist)
    assert.are.equal("### Sensor fusion", p.raw:sub(1, 17))
    assert.are.equal("reaching 85%.", p.raw:sub(-13))
    local q = c[2]
    assert.are.equal("1910.08665", q.id)
    assert.are.equal("NASIB: Neural Architecture Search withIn Budget", q.title)
    assert.are.same({"cs.LG", "cs.CV", "stat.ML"}, q.categories)
    assert.are.equal("cs.LG", q.primary_category)
    assert.are.equal(16, q.line)
  end)
end)

describe("2019 catalog fixtures", function()
  it("joins continuation lines and reads journal, versions and None", function()
    local c = assert(ad.open(FIX .. "catalog/20190223.md"))
    assert.are.equal(7, #c)
    assert.are.same({}, c:warnings())
    local p = c[2]
    assert.are.equal("1902.08716", p.id)
    assert.are.equal(2, p.version)
    assert.are.equal("Spatio-Temporal Convolutional LSTMs for Tumor Growth Prediction by Learning 4D Longitudinal Patient Data", p.title)
    assert.are.same({"Ling Zhang", "Le Lu", "Xiaosong Wang", "Robert M. Zhu", "Mohammadhadi Bagheri", "Ronald M. Summers", "Jianhua Yao"}, p.authors)
    assert.are.equal("IEEE Transactions on Medical Imaging, 2019", p.journal)
    assert.is_nil(p.comment)
    assert.is_nil(p.doi)
    assert.are.equal("2019-02-23T02:05:50Z", p.published)
    assert.are.equal("2019-09-23T18:59:14Z", p.updated)
    assert.are.equal("2019-02-23", p.date)
    assert.are.equal(17, p.line)

    local w = assert(ad.open(FIX .. "catalog/20190518.md"))
    local t = find(w, "1905.07553")
    assert.are.equal(4, t.version)
    assert.are.equal("Presented to ICML 2020 See project website at http://taskgrouping.stanford.edu/", t.comment)
  end)

  it("reads wrapped categories with a non-CS primary", function()
    local c = assert(ad.open(FIX .. "catalog/20190114.md"))
    assert.are.equal(20, #c)
    local p = find(c, "1901.04405")
    assert.are.equal("quant-ph", p.primary_category)
    -- the wrapped field's classes, the ACM ones ("B.2.4; B.8.2; ...") each
    -- its own: the categories cat: finds (ad_cat_next)
    assert.are.equal(40, #p.categories)
    assert.are.same({"quant-ph", "cs.CV", "cs.DM", "math.OC", "physics.chem-ph"},
      {table.unpack(p.categories, 1, 5)})
    assert.are.equal("81-08", p.categories[20])
    assert.are.same({"B.2.4", "B.8.2"}, {p.categories[21], p.categories[22]})
    assert.are.equal("K.2", p.categories[40])
    local idx = assert(ad.index(c))
    for _, cat in ipairs(p.categories) do
      assert.are.equal(1, idx:count("id:1901.04405 cat:" .. cat), cat)
    end
    assert.are.equal("Contributors (in order of lines contributed on GitHub): Nike Dattani, Richard Tanburn, Andreas Soteriou, Nicholas Chancellor, Szilard Szalay, Elisabeth Rodriguez-Heck, Hou Tin Chau, Ka Wa Yip, Yudong Cao",
      p.comment)
    assert.are.same({"Nike Dattani"}, p.authors)
  end)

  it("reads old-style ids, DOIs and wrapped summaries", function()
    local c = assert(ad.open(FIX .. "catalog/old-style.md"))
    assert.are.equal(2, #c)
    assert.are.same({}, c:warnings())
    local p = c[1]
    assert.are.equal("hep-th/9711200", p.id)
    assert.are.equal(3, p.version)
    assert.are.equal("10.1023/A:1026654312961", p.doi)
    assert.are.equal("Adv.Theor.Math.Phys.2:231-252,1998", p.journal)
    assert.are.equal("20 pages, harvmac, v2: section on AdS_2 corrected, references added, v3: more references and a sign in eqn. 2.8 corrected", p.comment)
    assert.are.equal("We show that the large $N$ limit of certain conformal field theories in various dimensions include in their Hilbert space a sector describing supergravity on the product of Anti-deSitter spacetimes, spheres and other compact manifolds.", p.abstract)
    assert.are.equal("1997-11-27", p.date)
    assert.are.equal("http://arxiv.org/pdf/hep-th/9711200v3", p.pdf_url)
    local q = c[2]
    assert.are.equal("math/0211159", q.id)
    assert.are.same({"math.DG", "math.MG"}, q.categories)
    assert.are.same({"Grisha Perelman"}, q.authors)
  end)

  it("reads old-style ids and HTML details in listings", function()
    local c = assert(ad.open(FIX .. "listing/html-and-old-ids.md"))
    assert.are.equal(3, #c)
    assert.are.same({}, c:warnings())
    local p = c[1]
    assert.are.equal("cs/9803002", p.id)
    assert.are.equal(2, p.version)
    assert.are.equal('Learning <b>bold</b> café & naïve "models"', p.title)
    assert.are.equal("First line with italic and a https://example.org/a?x=1&y=2. Second part third <SEG> part &unknown; 5 < 6 and p < 0.05.", p.abstract)
    assert.are.equal("1998-03-02", p.date)
    assert.are.equal("math.GT/9802136", c[2].id)
    assert.are.equal("Abstract of the second paper, $x^2$ and \\alpha kept.", c[2].abstract)
    assert.is_false(c[2].crosslist)
    assert.are.equal("cs/9803010", c[3].id)
    assert.is_true(c[3].crosslist)
  end)

  it("keeps <, > and & of catalog text exactly as written", function()
    local c = ad.parse(table.concat({
      "# Arxiv Papers in cs.CV on 2019-10-19",
      "### A <SEG> & <subject, predicate, object> title",
      "- **Arxiv ID**: http://arxiv.org/abs/1910.00001v1",
      "- **Authors**: A. Author",
      "- **Categories**: **cs.CV**",
      "- **Summary**: Uses <SEG> tokens &amp; p < 0.05, <br> stays.",
      ""}, "\n"), "inline.md")
    assert.are.same({}, c:warnings())
    assert.are.equal("A <SEG> & <subject, predicate, object> title", c[1].title)
    assert.are.equal("Uses <SEG> tokens &amp; p < 0.05, <br> stays.", c[1].abstract)
    assert.are.equal("inline.md", c[1].source)
  end)
end)

describe("the Lua side", function()
  it("gives plain tables with totable()", function()
    local c = assert(ad.open(DATA .. "003_ce175d6736be5667.txt"))
    local t = c[1]:totable()
    assert.are.equal("table", type(t))
    for _, k in ipairs(ad.fields()) do
      assert.are.same(c[1][k], t[k], k)
    end
    assert.are.equal(21, #ad.fields())
  end)

  -- review C19: c[1].title = 1 said "attempt to index a arxivdigest.Paper value (field 'integer index')"
  it("says that papers, collections and indexes are read-only when a field is set", function()
    local c = assert(ad.open(DATA))
    local idx = assert(ad.index(c))
    local title = c[1].title
    local function ro(fn, what, hint)
      local ok, err = pcall(fn)
      assert.is_false(ok)
      assert.matches("^spec/core_spec.lua:%d+: " .. what:gsub("%.", "%%.") .. " is read%-only %(cannot set field '"
        .. "[%w_]+'" .. (hint and "; p:totable%(%) gives a plain table to change%)$" or "%)$"), err)
    end
    ro(function() c[1].title = 1 end, "arxivdigest.Paper", true)
    ro(function() idx:get(c[1].id).title = "x" end, "arxivdigest.MergedPaper", true)
    ro(function() c.papers = nil end, "arxivdigest.Collection")
    ro(function() idx.search = nil end, "arxivdigest.Index")
    assert.equal(title, c[1].title)
    local t = c[1]:totable()
    t.title = "changed"
    assert.equal("changed", t.title)
  end)

  it("iterates with c[i], #c and c:papers() and rejects out-of-range indexes", function()
    local c = assert(ad.open(DATA .. "003_ce175d6736be5667.txt"))
    local n = 0
    for p in c:papers() do
      n = n + 1
      assert.are.equal(c[n], p)
    end
    assert.are.equal(#c, n)
    assert.is_nil(c[0])
    assert.is_nil(c[#c + 1])
    assert.is_nil(c[1.5])
  end)

  it("keeps an opened collection alive while a paper is referenced", function()
    local c = assert(ad.open(DATA .. "003_ce175d6736be5667.txt"))
    local p, title = c[2], c[2].title
    c = nil  -- luacheck: ignore 311
    for _ = 1, 3 do collectgarbage() end
    local junk = {}
    for i = 1, 1000 do junk[i] = ("y"):rep(i) end
    assert.are.equal(1000, #junk)
    assert.are.equal(title, p.title)
    assert.are.equal(DATA .. "003_ce175d6736be5667.txt", p.source)
    assert.truthy(#p.abstract > 0)
  end)

  it("keeps the collection alive while a paper is referenced", function()
    local p = ad.parse(read(DATA .. "003_ce175d6736be5667.txt"), "x.md")[3]
    collectgarbage()
    collectgarbage()
    local junk = {}
    for i = 1, 1000 do junk[i] = ("x"):rep(i) end
    collectgarbage()
    assert.are.equal(1000, #junk)
    assert.are.equal("x.md", p.source)
    assert.is_true(#p.authors > 0)
    assert.truthy(p.title and #p.title > 0)
  end)

  it("opens a list of paths and folders recursively, in name order", function()
    local c = assert(ad.open({DATA .. "003_ce175d6736be5667.txt", FIX .. "catalog"}))
    assert.are.equal(22 + 20 + 7 + 8 + 2, #c)
    local files = c:files()
    assert.are.equal(FIX .. "catalog/20190114.md", files[2].path)
    assert.are.equal(FIX .. "catalog/old-style.md", files[5].path)
    assert.are.equal("catalog", files[1].format)
  end)

  it("walks a folder: digest files and links to them, not linked folders, hidden entries or pipes; other files said once", function()
    local dir = os.tmpname()
    os.remove(dir)
    local src = assert(io.popen("pwd")):read("l") .. "/" .. DATA .. "003_ce175d6736be5667.txt"
    assert(os.execute(table.concat({
      "mkdir -p '" .. dir .. "/sub/deeper' '" .. dir .. "/.hidden' '" .. dir .. "/real'",
      "cp '" .. src .. "' '" .. dir .. "/b.md'",
      "cp '" .. src .. "' '" .. dir .. "/sub/deeper/a.txt'",
      "cp '" .. src .. "' '" .. dir .. "/.hidden/h.md'",
      "cp '" .. src .. "' '" .. dir .. "/.dot.md'",
      "cp '" .. src .. "' '" .. dir .. "/real/r.md'",
      "cp '" .. src .. "' '" .. dir .. "/notes.json'",
      "ln -s '" .. src .. "' '" .. dir .. "/link.md'",          -- a link to a file: read
      "ln -s '" .. dir .. "/real' '" .. dir .. "/linkdir'",     -- a link to a folder: not followed
      "ln -s '" .. dir .. "/nowhere.md' '" .. dir .. "/dangling.md'",
      "mkfifo '" .. dir .. "/pipe.md'"}, " && ")))
    local c = assert(ad.open(dir))
    local got = {}
    for _, f in ipairs(c:files()) do got[#got + 1] = f.path:sub(#dir + 2) end
    os.execute("rm -rf '" .. dir .. "'")
    assert.are.same({"b.md", "link.md", "real/r.md", "sub/deeper/a.txt"}, got)
    assert.are.equal(4 * 22, #c)
    -- the file passed over for its name is said (issue 12), nothing else
    assert.are.same({{source = dir .. "/notes.json", line = 0,
      message = "skipped: only .md and .txt files are read"}}, c:warnings())
  end)

  it("returns nil and 'path: reason' on I/O failure", function()
    local c, err, code = ad.open("spec/no/such/file.md")
    assert.is_nil(c)
    assert.are.equal("spec/no/such/file.md: No such file or directory", err)
    assert.are.equal("number", type(code))
    c, err = ad.open({DATA .. "003_ce175d6736be5667.txt", "spec/missing.md"})
    assert.is_nil(c)
    assert.are.equal("spec/missing.md: No such file or directory", err)
  end)

  it("raises a clear error naming the argument on misuse", function()
    assert.has_error(function() ad.open() end,
      "bad argument #1 to 'open' (string or table expected, got no value)")
    assert.has_error(function() ad.open(42) end,
      "bad argument #1 to 'open' (string or table expected, got number)")
    assert.has_error(function() ad.open({}) end,
      "bad argument #1 to 'open' (empty list of paths)")
    assert.has_error(function() ad.open({"a", false}) end,
      "bad argument #1 to 'open' (item 2 is a boolean, a path (string) was expected)")
    assert.has_error(function() ad.parse() end,
      "bad argument #1 to 'parse' (string expected, got no value)")
    assert.has_error(function() ad.parse("x", {}) end,
      "bad argument #2 to 'parse' (string expected, got table)")
  end)

  it("fails cleanly on a closed collection", function()
    local c = assert(ad.open(DATA .. "003_ce175d6736be5667.txt"))
    local p = c[1]
    c:close()
    assert.has_error(function() return #c end)
    assert.has_error(function() return p.title end, "paper of a closed collection")
    -- a method names itself (it was "bad argument #1 to 'index'", the look-up); a second close is none
    for _, m in ipairs{"select", "papers", "warnings", "files", "memory"} do
      assert.error_matches(function() return c[m](c, "cat:cs.CV") end,
        "calling '" .. m .. "' on bad self (collection is closed)", 1, true)
    end
    assert.error_matches(function() return c[1] end, "collection is closed", 1, true)
    assert.has_no_error(function() c:close() end)
  end)

  it("reports its memory: records cost far less than the text", function()
    local c = assert(ad.open(FIX .. "catalog"))
    local m = c:memory()
    assert.is_true(m.text > 0)
    assert.is_true(m.overhead < 0.3 * m.text)
  end)
end)

describe("the decoder", function()
  it("collapses whitespace exactly like a reference, at every alignment", function()
    local alphabet = {"a", "b", " ", " ", "  ", "\t", ".", "&", "<", "x", "é"}
    math.randomseed(42)
    for round = 1, 400 do
      local parts = {}
      for i = 1, math.random(1, 80) do parts[i] = alphabet[math.random(#alphabet)] end
      local text = table.concat(parts)
      local c = ad.parse(table.concat({
        "# Arxiv Papers in cs.CV on 2019-10-19",
        "### T",
        "- **Arxiv ID**: http://arxiv.org/abs/1910.00001v1",
        "- **Authors**: A",
        "- **Categories**: **cs.CV**",
        "- **Summary**: " .. text,
        ""}, "\n"), "r.md")
      local want = text:gsub("[ \t]+", " "):gsub("^ ", ""):gsub(" $", "")
      if want == "" then want = nil end
      assert.are.equal(want, c[1].abstract, ("round %d: %q"):format(round, text))
    end
  end)
end)

describe("messy but harmless layout", function()
  local clean = read(DATA .. "003_ce175d6736be5667.txt")
  local want = ad.parse(clean, "clean.md")

  local function same_records(c)
    assert.are.equal(#want, #c)
    for i = 1, #want do
      for _, k in ipairs(ad.fields()) do
        if k ~= "raw" and k ~= "line" and k ~= "source" then
          assert.are.same(want[i][k], c[i][k], ("record %d field %s"):format(i, k))
        end
      end
    end
  end

  it("ignores trailing spaces and tabs on every line", function()
    local c = ad.parse((clean:gsub("\n", " \t  \n")), "trailing.md")
    assert.are.same({}, c:warnings())
    same_records(c)
  end)

  it("ignores extra blank lines between records and before the first", function()
    local c = ad.parse("\n\n" .. clean:gsub("\n\n\n\n", "\n\n\n\n\n\n\n\n"), "blank.md")
    assert.are.same({}, c:warnings())
    same_records(c)
  end)

  it("accepts CRLF, a BOM and trailing spaces together", function()
    local c = ad.parse("\239\187\191" .. clean:gsub("\n", "  \r\n"), "crlf.md")
    assert.are.same({}, c:warnings())
    same_records(c)
  end)

  it("keeps a record whose optional fields are missing, and names what is missing", function()
    local c = ad.parse(table.concat({
      "# Arxiv Papers in cs.CV on 2019-10-19",
      "### Only the essentials",
      "- **Arxiv ID**: http://arxiv.org/abs/1910.00002v1",
      "- **Categories**: **cs.CV**",
      "- **Authors**: A. Author, B. Author",
      "- **Summary**: Short.",
      "",
      "### Missing authors and summary",
      "- **Arxiv ID**: http://arxiv.org/abs/1910.00003v2",
      "- **Categories**: **cs.CV**",
      ""}, "\n"), "missing.md")
    assert.are.equal(2, #c)
    assert.is_nil(c[1].doi)
    assert.is_nil(c[1].published)
    assert.are.same({"A. Author", "B. Author"}, c[1].authors)
    assert.are.same({{source = "missing.md", line = 8,
      message = "incomplete record: missing Authors, Summary"}}, c:warnings())
    assert.are.equal("1910.00003", c[2].id)
    assert.are.equal(2, c[2].version)
  end)

  -- one catalog record with these Published (and Updated) values
  local function dated(source, published, updated)
    local lines = { "# Arxiv Papers in cs.CV on 2019-10-19", "### Odd dates",
      "- **Arxiv ID**: http://arxiv.org/abs/1910.00004v1", "- **Categories**: **cs.CV**",
      "- **Published**: " .. published }
    if updated then lines[#lines + 1] = "- **Updated**: " .. updated end
    for _, l in ipairs({ "- **Authors**: A. Author", "- **Summary**: Short.", "" }) do lines[#lines + 1] = l end
    return ad.parse(table.concat(lines, "\n"), source)
  end

  it("keeps a record whose Published or Updated is not a date, and says so", function()
    local c = dated("dates.md", "not-a-date", "2024-13-45 99:99:99")
    assert.are.equal(1, #c)
    assert.is_nil(c[1].published)
    assert.is_nil(c[1].updated)
    assert.are.same({
      {source = "dates.md", line = 5, message = "unrecognised Published date 'not-a-date' (read as absent)"},
      {source = "dates.md", line = 6,
       message = "unrecognised Updated date '2024-13-45 99:99:99' (read as absent)"}}, c:warnings())
  end)

  it("names the line of the bad field, not the record's title line (a copy of a real catalog file)", function()
    local lines = {}
    for l in (read(FIX .. "catalog/20190114.md") .. ""):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
    assert.are.equal("### Image Based Review Text Generation with Emotional Guidance", lines[16])
    assert.matches("^%- %*%*Arxiv ID%*%*: ", lines[17])
    assert.matches("^%- %*%*Published%*%*: ", lines[21])
    local good = assert(ad.open(FIX .. "catalog/20190114.md"))
    lines[17] = "- **Arxiv ID**: http://arxiv.org/abs/garbage"
    lines[21] = "- **Published**: yesterday"
    local dir = H.tmpdir({["mal.md"] = table.concat(lines, "\n") .. "\n"})
    local path = dir .. "/mal.md"
    local warned = {
      {source = path, line = 17, message = "unrecognised arXiv ID 'http://arxiv.org/abs/garbage'"},
      {source = path, line = 21, message = "unrecognised Published date 'yesterday' (read as absent)"}}
    -- ad.open (one thread and several), ad.parse
    for _, threads in ipairs({1, 3}) do
      local c = assert(ad.open(dir, {threads = threads}))
      assert.are.same(warned, c:warnings())
      -- every record is kept and read as before, the bad one with its title line
      assert.are.equal(#good, #c)
      for i = 1, #c do
        assert.are.equal(good[i].title, c[i].title)
        assert.are.equal(good[i].line, c[i].line)
        if i ~= 2 then assert.are.equal(good[i].id, c[i].id) end
      end
      assert.are.equal(16, c[2].line)
      assert.is_nil(c[2].id)
      assert.is_nil(c[2].published)
      assert.are.equal(good[2].updated, c[2].updated)
    end
    local c = ad.parse(table.concat(lines, "\n") .. "\n", "mal.md")
    assert.are.same({{source = "mal.md", line = 17, message = warned[1].message},
                     {source = "mal.md", line = 21, message = warned[2].message}}, c:warnings())
    -- the command's --warnings
    local status, _, err = H.run_cli({"search", "image", path, "--warnings", "-f", "{id}"})
    assert.are.equal(0, status)
    assert.matches(path:gsub("%p", "%%%0") .. ":17: unrecognised arXiv ID", err)
    assert.matches(path:gsub("%p", "%%%0") .. ":21: unrecognised Published date 'yesterday'", err)
    assert.is_nil(err:find(":16:", 1, true))
    os.execute("rm -rf " .. H.shell_quote(dir))
  end)

  it("warns about a date exactly when it cannot be read (the scan's quick check agrees)", function()
    local stamps = { "2019-10-19 00:02:48+00:00", "2020-02-29 23:59:60+00:00", "2019-02-29 00:00:00+00:00",
      "2019-04-31 00:00:00+00:00", "2019-13-01 00:00:00+00:00", "2019-00-10 00:00:00+00:00",
      "2019-10-00 00:00:00+00:00", "2019-10-19 24:00:00+00:00", "2019-10-19 00:60:00+00:00",
      "2019-10-19 00:00:61+00:00", "2019-10-19 00:02:48-05:30", "2019-10-19T00:02:48Z",
      "2019-10-19 00:02:48", "2019/10/19 00:02:48+00:00", "2019-10-19 00:02:48+0000",
      "2019-10-19 00:02:48+00:0x", "2019-10-19\2400:02:48+00:00", "1900-02-29 00:00:00+00:00",
      "2000-02-29 00:00:00+00:00", "2019-1a-19 00:02:48+00:00", "2019-10-19 00:02:48+00:00 " }
    for _, st in ipairs(stamps) do
      local c = dated("d.md", st)
      local warned = #c:warnings() > 0
      assert.are.equal(c[1].published == nil, warned, st)
    end
  end)
end)

describe("core.isatty", function()
  local core = require "arxivdigest.core"
  it("tells a terminal from a file or a pipe, without a shell", function()
    local p = assert(io.popen("lua5.4 -e 'package.cpath = \"build/?.so;\" .. package.cpath; " ..
      "local c = require \"arxivdigest.core\"; print(c.isatty(0), c.isatty(1))' </dev/null"))
    assert.are.equal("false\tfalse", p:read("l"))
    p:close()
    assert.is_false(core.isatty(1000))
    assert.has_error(function() core.isatty(-1) end)
    assert.has_error(function() core.isatty("x") end)
  end)
end)
