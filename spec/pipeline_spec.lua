local ad = require "arxivdigest"
local pipeline = require "arxivdigest.pipeline"
local f = require "arxivdigest.filter"

local function papers(n)
  local out = {}
  for i = 1, n do
    out[i] = {id = ("2001.%05d"):format(i), title = "Paper " .. i .. (i % 2 == 0 and " segmentation" or ""),
              date = ("2020-01-%02d"):format(1 + i % 5), categories = {i % 3 == 0 and "cs.LG" or "cs.CV"},
              primary_category = i % 3 == 0 and "cs.LG" or "cs.CV", abstract = "text", authors = {}}
  end
  return out
end

local function ids(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = p.id:sub(-2) end
  return table.concat(out, " ")
end

local tmpname = dofile("spec/helper.lua").tmpname

describe("pipeline", function()
  local function run_in(dir, code)
    local here = assert(io.popen("pwd")):read("l")
    local prog = dir .. "/prog.lua"
    local fh = assert(io.open(prog, "wb"))
    fh:write(("package.path = %q\npackage.cpath = %q\nlocal ad = require 'arxivdigest'\nlocal f = ad.filter\n%s\n")
      :format(here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;" .. package.path,
              here .. "/build/?.so;" .. package.cpath, code))
    fh:close()
    return os.execute("cd " .. dir .. " && lua5.4 prog.lua")
  end

  local function slurp(path)
    local fh = io.open(path, "rb")
    if not fh then return nil end
    local s = fh:read("a")
    fh:close()
    return s
  end

  it("runs the example of the issue verbatim", function()
    -- in a fresh folder holding digests/ (a copy of the sample), as a user would
    local dir = tmpname()
    assert(os.execute("mkdir -p " .. dir .. " && cp -r examples/data " .. dir .. "/digests"))
    -- luacheck: push no max line length
    local ok1 = run_in(dir, [[ad.from("digests/"):where(f.category("cs.CV") * f.keywords{"diffusion", "nerf"} * -f.keywords{"survey"}):sort("date", "desc"):group_by("primary_category"):format("html", {title = "This week"}):write("week.html")]])
    local html = slurp(dir .. "/week.html")
    -- the sample has no diffusion/NeRF paper: the same chain with words it has
    local ok2 = run_in(dir, [[ad.from("digests/"):where(f.category("cs.CV") * f.keywords{"depth", "stereo"} * -f.keywords{"survey"}):sort("date", "desc"):group_by("primary_category"):format("html", {title = "This week"}):write("depth.html")]])
    -- luacheck: pop
    local depth = slurp(dir .. "/depth.html")
    os.execute("rm -rf " .. dir)
    assert.is_true(ok1)
    assert.is_string(html)
    assert.matches("This week", html, 1, true)
    assert.equal(0, ad.from("examples/data"):where(f.keywords{"diffusion", "nerf"}):count())
    assert.is_true(ok2)
    local want = ad.from("examples/data"):where(f.category("cs.CV") * f.keywords{"depth", "stereo"}
      * -f.keywords{"survey"}):collect()
    assert.is_true(#want > 5)
    for _, p in ipairs(want) do assert.matches(p.id, depth, 1, true) end
  end)

  it("filters, sorts, groups and limits", function()
    local src = papers(12)
    local p = ad.from(src):where(f.keywords{"segmentation"}):sort("date", "desc")
    local got = p:collect()
    -- stable: equal dates keep source order
    assert.equal("04 08 02 12 06 10", ids(got))
    assert.equal("04 08", ids(p:limit(2):collect()))
    assert.equal("02 12", ids(p:limit(2, 2):collect()))
    local _, groups = p:group_by("primary_category"):collect()
    assert.equal(2, #groups)
    assert.equal("cs.CV", groups[1].key)
    assert.equal("04 08 02 10", ids(groups[1].papers))
    assert.equal("cs.LG", groups[2].key)
    assert.equal("12 06", ids(groups[2].papers))
    local _, by_count = p:group_by("primary_category", {order = "key desc"}):collect()
    assert.equal("cs.LG", by_count[1].key)
  end)

  it("sorts ascending by default, nil last, or by a comparator", function()
    local src = papers(5)
    src[3].date = nil
    assert.equal("05 01 02 04 03", ids(ad.from(src):sort("date"):collect()))
    assert.equal("04 02 01 05 03", ids(ad.from(src):sort("date", "desc"):collect()))
    assert.equal("05 04 03 02 01", ids(ad.from(src):sort(function(a, b) return a.id > b.id end):collect()))
    assert.error_matches(function() ad.from(src):sort("date", "up") end, "bad argument #2 to 'sort'")
  end)

  it("groups by a function returning several keys", function()
    local _, groups = ad.from(papers(6))
      :group_by(function(p) return {p.primary_category, p.date} end, {order = "key"}):collect()
    local keys = {}
    for i, g in ipairs(groups) do keys[i] = g.key .. "=" .. #g.papers end
    assert.equal("2020-01-01=1 2020-01-02=2 2020-01-03=1 2020-01-04=1 2020-01-05=1 cs.CV=4 cs.LG=2",
      table.concat(keys, " "))
  end)

  -- review B4: group_by on a list field put a paper in every flat output once per group
  it("lists each paper once in flat outputs when a list-valued key puts it in several groups", function()
    local src = papers(6)
    src[2].categories = {"cs.CV", "cs.LG", "eess.IV"}
    src[5].categories = {"cs.LG", "cs.CV"}
    local p = ad.from(src):group_by("categories")
    local list, groups = p:collect()
    assert.equal("01 02 04 05 03 06", ids(list))     -- group order, each paper at its first group
    assert.equal(6, p:count())
    assert.equal(#list, p:count())
    local keys = {}
    for i, g in ipairs(groups) do keys[i] = g.key .. "=" .. ids(g.papers) end
    assert.equal("cs.CV=01 02 04 05|cs.LG=02 03 05 06|eess.IV=02", table.concat(keys, "|"))
    local n = 0
    for _ in p:papers() do n = n + 1 end
    assert.equal(6, n)
    local function count(s, pat)
      local k = 0
      for _ in s:gmatch(pat) do k = k + 1 end
      return k
    end
    -- flat formats: one record per paper
    assert.equal(6, count(p:format("jsonl"):render(), "\n"))
    assert.equal(7, count(p:format("csv"):render(), "\r\n"))
    assert.equal(6, count(p:format("{id}"):render(), "\n"))
    local bib = p:format("bibtex"):render()
    assert.equal(6, count(bib, "@misc{"))
    assert.equal(1, count(bib, "eprint +=%s+{2001%.00002}"))
    local atom = p:format("atom"):render()
    assert.equal(1, count(atom, "<id>http://arxiv.org/abs/2001.00002</id>"))
    assert.equal(6, count(atom, "<entry>"))
    assert.equal(6, count(p:format("markdown"):render(), "### Paper %d"))
    -- sections: a paper under each of its groups, counted once
    local text = p:format("text", {color = false, abstract = false}):render()
    assert.equal(3, count(text, "Paper 2 segmentation"))
    assert.matches("\n6 papers\n$", text)
    local html = p:format("html"):render()
    assert.equal(3, #groups)
    assert.matches('<span id="paper-count">6</span>', html, 1, true)
    -- the same rule for an index source (the 15 papers of the sample in 2 categories or more)
    local idx = assert(ad.index("examples/data"))
    local q = ad.from(idx):where(function(x) return #x.categories >= 2 end):group_by("categories")
    local ql, qg = q:collect()
    local seen, in_groups = {}, 0
    for _, x in ipairs(ql) do assert.is_nil(seen[x.id]); seen[x.id] = true end
    for _, g in ipairs(qg) do in_groups = in_groups + #g.papers end
    assert.equal(15, #ql)
    assert.equal(15, q:count())
    assert.is_true(in_groups >= 30)
    assert.equal(15, count(q:format("bibtex"):render(), "@misc{"))
    assert.equal(15, count(q:format("jsonl"):render(), "\n"))
  end)

  it("iterates sorted and ranked papers with their scores", function()
    local got = {}
    for p, score in ad.from(papers(4)):rank(function(p) return tonumber(p.id:sub(-1)) * 10 end):papers() do
      got[#got + 1] = p.id:sub(-1) .. "=" .. score
    end
    assert.equal("4=40 3=30 2=20 1=10", table.concat(got, " "))
    got = {}
    for p in ad.from(papers(4)):sort("id", "desc"):papers() do got[#got + 1] = p.id:sub(-1) end
    assert.equal("4 3 2 1", table.concat(got, " "))
  end)

  it("ranks by a score function and drops nil scores", function()
    local got = ad.from(papers(6)):rank(function(p)
      local n = tonumber(p.id:sub(-1))
      if n == 3 then return nil end
      return n % 4
    end):collect()
    assert.equal("02 06 01 05 04", ids(got))
  end)

  it("streams: stops reading the source at the limit", function()
    local src = papers(1000)
    local reads = 0
    local proxy = setmetatable({}, {
      __index = function(_, k) reads = reads + 1; return src[k] end,
      __len = function() return #src end,
    })
    local p = ad.from(proxy):where(f.keywords{"segmentation"}):limit(3)
    reads = 0
    assert.equal("02 04 06", ids(p:collect()))
    assert.equal(6, reads)
    local all = ad.from(proxy)
    reads = 0
    local n = 0
    for _ in all:papers() do n = n + 1; if n == 5 then break end end
    assert.equal(5, reads)
  end)

  it("returns a new pipeline at each step", function()
    local base = ad.from(papers(10))
    local cv = base:where(f.category("cs.CV"))
    assert.equal(10, base:count())
    assert.equal(7, cv:count())
    assert.equal(3, base:where(f.category("cs.LG")):count())
    assert.equal(2, cv:limit(2):count())
  end)

  it("runs cheap filters in C on a collection with the same result as in Lua", function()
    local c = assert(ad.open("examples/data"))
    local all = ad.from(c):collect()
    for _, flt in ipairs{
      f.category("cs.CV") * f.date("2020-05"),
      f.date("2020-05-20", nil) * -f.id("2011.10033", "2005.09623"),
      f.primary("cs.CV") + f.version(2),
      f.has_code() * f.keywords{"network"},
      f.query("cat:cs.CV AND NOT date:2020-05 AND has:code"),
    } do
      local in_c = ad.from(c):where(flt)
      assert.matches("%[in C%]", in_c:describe())
      assert.equal(ids(ad.from(all):where(flt):collect()), ids(in_c:collect()), tostring(flt))
    end
  end)

  it("uses the index for queries and pushable filters", function()
    local idx = ad.index("examples/data")
    local p = ad.from(idx):query("segmentation"):where(f.category("cs.CV") * f.keywords{"medical"})
    assert.matches("index query segmentation cat:cs.CV\n", p:describe(), 1, true)
    local hits = p:collect()
    assert.is_true(#hits > 0)
    local c = assert(ad.open("examples/data"))
    local lua = ad.from(c):query("segmentation"):where(f.category("cs.CV") * f.keywords{"medical"}):collect()
    local a, b = {}, {}
    for i, x in ipairs(hits) do a[i] = x.id end
    for i, x in ipairs(lua) do b[i] = x.id end
    table.sort(a); table.sort(b)
    assert.same(b, a)
    assert.equal(idx:count("segmentation"), ad.from(idx):query("segmentation"):count())
    -- ranked by the index: scores come along
    local top = {}
    for paper, score in ad.from(idx):query("segmentation"):limit(3):papers() do top[#top + 1] = {paper, score} end
    assert.equal(3, #top)
    assert.is_true(top[1][2] >= top[2][2] and top[2][2] >= top[3][2])
  end)

  it("reads a saved index by path", function()
    local path = tmpname() .. ".adx"
    assert(ad.index("examples/data"):save(path))
    assert.equal(ad.index("examples/data"):count("nerf OR diffusion"),
      ad.from(path):query("nerf OR diffusion"):count())
    os.remove(path)
  end)

  it("a malformed query fails at :query with its column", function()
    assert.error_matches(function() ad.from(papers(2)):query("a AND (b") end, "column")
  end)

  it("names the filter and the paper when a filter function fails", function()
    local p = ad.from(papers(3)):where(function(paper)
      if paper.id == "2001.00002" then error("boom") end
      return true
    end)
    local ok, err = pcall(p.collect, p)
    assert.is_false(ok)
    assert.matches("^filter function%(spec/pipeline_spec.lua:%d+%) failed on paper 2001.00002: "
      .. "spec/pipeline_spec.lua:%d+: boom$", err)
  end)

  it("writes atomically, infers the format from the extension, returns the count", function()
    local path = tmpname() .. ".jsonl"
    local n = ad.from("examples/data"):where(f.keywords{"segmentation"}):write(path)
    assert.equal(41, n)
    local lines = 0
    for _ in io.lines(path) do lines = lines + 1 end
    assert.equal(41, lines)
    -- a failing render leaves the previous file and no temporary file
    local ok = pcall(function()
      ad.from("examples/data"):format(function(_, _, write) write("partial"); error("render failed") end):write(path)
    end)
    assert.is_false(ok)
    lines = 0
    for _ in io.lines(path) do lines = lines + 1 end
    assert.equal(41, lines)
    local dir = path:match("^(.*)/")
    local leftovers = io.popen("ls -a " .. dir .. " | grep -c '" .. path:match("[^/]*$") .. ".*tmp' || true"):read("a")
    assert.equal("0", leftovers:match("%d+"))
    os.remove(path)
    local n2, err = ad.from(papers(1)):format("{id}"):write("/nonexistent-dir/x.txt")
    assert.is_nil(n2)
    assert.matches("/nonexistent%-dir", err)
  end)

  it("renders to a string, a function or a file handle", function()
    local p = ad.from(papers(3)):format("{id} {date}")
    assert.equal("2001.00001 2020-01-02\n2001.00002 2020-01-03\n2001.00003 2020-01-04\n", p:render())
    local chunks = {}
    assert.equal(3, p:write(function(s) chunks[#chunks + 1] = s end))
    assert.equal(p:render(), table.concat(chunks))
  end)

  -- review B16: typos in sort and group keys and in option tables were ignored
  it("names an unknown sort or group field, an unknown option and a file name that tells no format", function()
    local function bad(fn, msg) assert.error_matches(fn, msg, 1, true) end
    bad(function() ad.from({}):sort("data") end,
      "bad argument #1 to 'sort' (unknown field 'data'; known: id, version, title, authors,")
    bad(function() ad.from({}):sort("data") end, "history, score; or a comparator function(a, b))")
    bad(function() ad.from({}):group_by("nosuch") end,
      "bad argument #1 to 'group_by' (unknown field 'nosuch'; known: id, version, title,")
    bad(function() ad.from({}):group_by("date", {ordre = "key"}) end,
      "bad argument #2 to 'group_by' (unknown option 'ordre'; known: order)")
    bad(function() ad.from({}):group_by("date", "key") end,
      "bad argument #2 to 'group_by' (options table expected, got string)")
    local idx = assert(ad.index("examples/data"))
    bad(function() ad.from(idx):recommend({"2005.09623"}, {lim = 3}) end,
      "bad argument #2 to 'recommend' (unknown option 'lim'; known: query, negative, weights, explain)")
    bad(function() ad.from(idx):recommend({"2005.09623"}, {limit = 3}) end,
      "bad argument #2 to 'recommend' (unknown option 'limit': use :limit(n); known:")
    bad(function() ad.from(idx):recommend({"2005.09623"}, 5) end,
      "bad argument #2 to 'recommend' (options table expected, got number)")
    -- the valid ones still work
    assert.equal("04 03 02 01", ids(ad.from(papers(4)):sort("id", "desc"):collect()))
    assert.equal("03 01 02 04", ids(ad.from(papers(4)):sort("primary_category", "desc"):collect()))
    assert.equal(2, #ad.from(papers(4)):group_by("primary_category", {order = "key"}):groups())
    assert.equal(3, #ad.from(idx):recommend({"2005.09623"}, {query = "cat:cs.CV", explain = true,
      weights = {au = 0}, negative = {"2005.05896"}}):limit(3):collect())
    -- a path: the format comes from :format() or the name, as the command's -o
    local path = tmpname() .. ".unknown"
    bad(function() ad.from(papers(2)):write(path) end,
      "bad argument #1 to 'write' (cannot tell the format of '" .. path .. "' from its name: give one with :format()")
    assert.is_nil(io.open(path))
    assert.equal(2, ad.from(papers(2)):format("{id}"):write(path))
    assert.equal("2001.00001\n2001.00002\n", slurp(path))
    os.remove(path)
    local chunks = {}       -- a function: the hint's format when it tells one, else text
    assert.equal(1, ad.from(papers(1)):write(function(c) chunks[#chunks + 1] = c end, "x.jsonl"))
    assert.matches('^{"id":"2001.00001"', table.concat(chunks))
  end)

  -- review C20, C21: a closed source, and :where(42), gave misleading or doubled messages
  it("says that the source is closed, and names a bad :where argument once, at the caller's line", function()
    local c = assert(ad.open("examples/data"))
    c:close()
    assert.matches("^spec/pipeline_spec.lua:%d+: bad argument #1 to 'from' %(the collection is closed%)$",
      select(2, pcall(function() ad.from(c) end)))
    local idx = assert(ad.index("examples/data"))
    local p = ad.from(idx):where(f.category("cs.CV")):limit(3)
    assert.equal(3, p:count())
    idx:close()
    for _, m in ipairs({"count", "collect", "groups", "render", "papers"}) do
      assert.matches("^spec/pipeline_spec.lua:%d+: bad argument #1 to '" .. m .. "' %(the pipeline's index is closed%)$",
        select(2, pcall(function() p[m](p) end)))
    end
    assert.error_matches(function() p:write(function() end) end, "bad argument #1 to 'write' (the pipeline's index is closed)",
      1, true)
    assert.error_matches(function() ad.from(idx) end, "bad argument #1 to 'from' (the index is closed)", 1, true)
    local c2 = assert(ad.open("examples/data"))
    local p2 = ad.from(c2):limit(2)
    c2:close()
    assert.error_matches(function() p2:collect() end, "bad argument #1 to 'collect' (the pipeline's collection is closed)",
      1, true)
    assert.matches("^spec/pipeline_spec.lua:%d+: bad argument #1 to 'where' %(filter, function or query string expected, got number%)$",
      select(2, pcall(function() ad.from({}):where(42) end)))
    assert.matches("^spec/pipeline_spec.lua:%d+: bad argument #1 to 'where' %(unbalanced parenthesis at column 5%)$",
      select(2, pcall(function() ad.from({}):where("cat:(") end)))
    assert.matches("^spec/pipeline_spec.lua:%d+: bad argument #1 to 'count' %(pipeline expected, got table%)$",
      select(2, pcall(function() pipeline.Pipeline.count({}) end)))
  end)

  it("rejects bad arguments clearly", function()
    assert.error_matches(function() ad.from(42) end, "bad argument #1 to 'from'")
    assert.error_matches(function() ad.from("/nonexistent/dir") end, "from: /nonexistent/dir")
    assert.error_matches(function() ad.from({}):where(42) end, "bad argument #1 to 'where'")
    assert.error_matches(function() ad.from({}):limit(-1) end, "bad argument #1 to 'limit'")
    assert.error_matches(function() ad.from({}):format("nope") end, "unknown format 'nope'")
    assert.error_matches(function() ad.from({}):group_by(1) end, "bad argument #1 to 'group_by'")
    assert.is_true(pipeline.is_pipeline(ad.from({})))
  end)
end)
