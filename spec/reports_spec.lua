-- Each shipped report and filter, run on the bundled sample (examples/data/)
-- with the interests each test states, with assertions on what it says;
-- then on a saved index, sandboxed or not; then, when ../shared/corpus is
-- there, on the 2019 corpus against answers computed another way.
local script = require "arxivdigest.script"
local ad = require "arxivdigest"
local f = require "arxivdigest.filter"
local cli = require "arxivdigest.cli"

local R = "examples/reports/"
local CORPUS = os.getenv("ARXIVDIGEST_CORPUS") or "../shared/corpus/cs.CV-2019"

-- the interests the sample tests use (examples/reports/interests.lua is the
-- shipped settings example; its own test runs it through the command)
local DAILY = {
  categories = {"cs.CV", "eess.IV"},
  keywords = {"segmentation", "depth", "diffusion", "nerf", "3d", "video"},
  authors = {"Li-Heng Chen", "A. Vedaldi", "Gagne, Christian"},
}
local AUTHORS = {authors = {"Li-Heng Chen", "A. Vedaldi", "Gagne, Christian", "Xiaofei Xie", "Kaiming He"}}
local IDS = {ids = {"1910.08681", "1910.08695", "1910.08728", "1910.08787", "1910.11126", "2005.09623"}}
local ARGS = {["daily.lua"] = DAILY, ["weekly.lua"] = {}, ["authors.lua"] = AUTHORS, ["revised.lua"] = IDS}

local function copy(t, more)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  for k, v in pairs(more or {}) do c[k] = v end
  return c
end

local sample
local function source()
  sample = sample or assert(ad.open("examples/data"))
  return sample
end

local function report(name, args, sandbox, src)
  local p = assert(script.report(R .. name, {source = src or source(), args = args, sandbox = sandbox}))
  return p:render()
end

local function count(s, pat)
  return select(2, s:gsub(pat, ""))
end

-- runs the command in-process: status, stdout, stderr
local function run(...)
  local function sink()
    local buf = {}
    return {write = function(self, ...)
      for i = 1, select("#", ...) do buf[#buf + 1] = tostring((select(i, ...))) end
      return self
    end, text = function() return table.concat(buf) end}
  end
  local out, err = sink(), sink()
  local status = cli.main({...}, {stdout = out, stderr = err})
  return status, out.text(), err.text()
end

describe("example reports", function()
  for _, name in ipairs{"daily.lua", "weekly.lua", "authors.lua", "revised.lua"} do
    it(name .. " gives the same output in the sandbox", function()
      local plain = report(name, ARGS[name])
      assert.is_true(#plain > 100)
      assert.equal(plain, report(name, ARGS[name], true))
    end)
  end

  describe("on a saved index", function()
    local idx
    setup(function() idx = assert(ad.index("examples/data")) end)

    for _, name in ipairs{"daily.lua", "weekly.lua", "authors.lua", "revised.lua"} do
      it(name .. " says the same, sandboxed or not", function()
        local plain = report(name, ARGS[name], false, idx)
        assert.is_true(#plain > 100)
        assert.equal(plain, report(name, ARGS[name], true, idx))
      end)
    end

    it("a sandboxed report reads the text of the index's papers", function()
      local path = os.tmpname()
      local fh = assert(io.open(path, "w"))
      fh:write([[return function(ad, args)
        return args.source:query("id:2005.09623"):format(function(papers, _, write)
          for _, p in ipairs(papers) do write(p.title .. "|" .. p.abstract:sub(1, 20)) end
        end)
      end]])
      fh:close()
      local out = assert(script.report(path, {source = idx, sandbox = true})):render()
      os.remove(path)
      assert.equal("Focus on defocus: bridging the synthetic to real domain gap for depth estimation|"
        .. "Data-driven depth es", out)
    end)

    it("every report says the same on the digest files as on their index, sandboxed or not", function()
      -- (their pipelines that test text run on the files' index, made once;
      -- the others on the files, in file order: revised.lua's papers of the
      -- same version come in another order)
      local args = copy(ARGS, {["for-me.lua"] = {ids = "2005.09623,2011.10043"}})
      local function sorted_lines(s)
        local t = {}
        for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
        table.sort(t)
        return t
      end
      for _, name in ipairs{"daily.lua", "weekly.lua", "authors.lua", "for-me.lua", "revised.lua"} do
        local on_index = report(name, args[name], false, idx)
        assert.is_true(#on_index > 100, name)
        for _, sandbox in ipairs{false, true} do
          local on_files = report(name, args[name], sandbox)
          if name == "revised.lua" then assert.same(sorted_lines(on_index), sorted_lines(on_files))
          else assert.equal(on_index, on_files, name) end
        end
      end
    end)

    it("daily.lua and authors.lua give the same papers as on the digest files", function()
      for _, name in ipairs{"daily.lua", "authors.lua"} do
        local on_files = report(name, ARGS[name])
        local on_index = report(name, ARGS[name], false, idx)
        local a, b = {}, {}
        for id in on_files:gmatch("%[(%d+%.%d+)%]") do a[#a + 1] = id end
        for id in on_index:gmatch("%[(%d+%.%d+)%]") do b[#b + 1] = id end
        table.sort(a)
        table.sort(b)
        assert.is_true(#a > 3, name)
        assert.same(a, b, name)
      end
    end)
  end)

  it("run through the command with examples/reports/interests.lua", function()
    for _, name in ipairs{"daily.lua", "weekly.lua", "authors.lua", "revised.lua"} do
      local status, out, err = run("report", R .. name, "--settings", R .. "interests.lua")
      assert.equal(0, status, name .. ": " .. err)
      assert.is_true(#out > 100, name)
    end
    -- --arg wins over the settings file
    local _, out = run("report", R .. "authors.lua", "--settings", R .. "interests.lua",
      "--arg", "authors=Vedaldi, Andrea")
    assert.matches("## Vedaldi, Andrea (1)", out, 1, true)
    assert.not_matches("Kaiming He", out, 1, true)
  end)

  it("say what is missing when given no interests", function()
    for name, what in pairs{["daily.lua"] = "no interests", ["authors.lua"] = "no authors to follow",
                            ["revised.lua"] = "no papers to follow"} do
      local status, _, err = run("report", R .. name)
      assert.equal(1, status, name)
      assert.matches(name .. ": " .. what, err, 1, true)
      assert.matches("--settings examples/reports/interests.lua", err, 1, true)
    end
  end)

  describe("daily digest", function()
    it("covers the latest day, the papers matching my interests, ranked", function()
      local out = report("daily.lua", DAILY)
      assert.matches("^# Daily digest 2020%-11%-20\n", out)
      local want = ad.from("examples/data")
        :where(f.date("2020-11-20") * f.category("cs.CV", "eess.IV")
               * (f.keywords(DAILY.keywords) + f.authors(DAILY.authors)))
        :collect()
      assert.matches(("\n%d papers match my interests"):format(#want), out)
      assert.equal(#want, count(out, "\n%d+%. %*%*"))
      for _, p in ipairs(want) do assert.matches("[" .. p.id .. "]", out, 1, true) end
      -- ranked: scores never increase
      local last = math.huge
      for score in out:gmatch(" score (%d+):") do
        score = tonumber(score)
        assert.is_true(score <= last)
        last = score
      end
      -- title matches first: the two papers with two title keywords
      local first = out:match("\n1%. %*%*(.-)%*%*")
      assert.matches("Segmentation", first)
      assert.matches("3D", first)
      assert.matches("\n1%. .- score 7: segmentation %(title%), 3d %(title%)", out)
    end)

    it("ranks followed authors first on a catalog day", function()
      local out = report("daily.lua", copy(DAILY, {day = "2019-10-19"}))
      assert.matches("^# Daily digest 2019%-10%-19\n", out)
      local top = out:match("\n1%. ([^\n]*)")
      assert.matches("author ", top)
      assert.matches("ProxIQA", out, 1, true)               -- Li-Heng Chen
      assert.matches("author Gagne, Christian", out, 1, true)
    end)

    it("takes its interests from --arg strings too", function()
      local out = report("daily.lua", {day = "2019-10-19", keywords = "segmentation; depth",
                                       authors = "Gagne, Christian; A. Vedaldi", categories = "cs.CV"})
      assert.matches("(cs.CV; segmentation, depth; Gagne, Christian, A. Vedaldi)", out, 1, true)
      assert.matches("author Gagne, Christian", out, 1, true)
      assert.matches("author A. Vedaldi", out, 1, true)
      assert.not_matches("Li-Heng Chen", out, 1, true)
    end)
  end)

  describe("weekly summary", function()
    it("counts the latest week against the 8 weeks before it, with a chart", function()
      -- (the previous weeks were all earlier papers of the input: 157 here,
      -- the May days; they are the 8 weeks before the week, which are empty)
      local out = report("weekly.lua")
      assert.matches("^# Weekly summary 2020%-11%-14 %.%. 2020%-11%-20\n", out)
      assert.matches("53 papers this week, 0 in the previous 8 weeks (2020-09-19 .. 2020-11-13).", out, 1, true)
      assert.matches("- 2020-11-20: 53", out, 1, true)
      assert.equal(1, count(out, '<rect class="bar"'))
      assert.matches("<svg", out, 1, true)
      assert.matches("(no author data: daily listings carry no authors)", out, 1, true)
      assert.matches("(no papers in the previous 8 weeks to compare with)", out, 1, true)
    end)

    it("daily: a day without a digest says so, not '0 papers match'", function()
      local args = {day = "2016-06-01"}
      for k, v in pairs(DAILY) do args[k] = args[k] or v end
      local out = report("daily.lua", args)
      assert.matches("No digest of that day in the archive.", out, 1, true)
      assert.not_matches("papers match", out, 1, true)
    end)

    it("says a week without a digest has no paper, not that authors are missing", function()
      local out = report("weekly.lua", {week = "2016-06-01"})
      assert.matches("0 papers this week", out, 1, true)
      assert.matches("(no paper this week: the archive has no digest of these days)", out, 1, true)
      assert.not_matches("no author data", out, 1, true)
    end)

    it("finds no clearly rising term in the sample's May week (too few papers)", function()
      local out = report("weekly.lua", {week = "2020-05-22"})
      assert.matches("89 papers this week, 46 in the previous 8 weeks (2020-03-21 .. 2020-05-15).", out, 1, true)
      assert.equal(2, count(out, '<rect class="bar"'))
      assert.matches("(no term rose clearly)", out, 1, true)
    end)

    it("finds the terms rising against the previous weeks, with their true counts", function()
      -- 40 papers a week for 9 weeks on the same topics; in the last week
      -- 12 papers are on gaussian splatting, never named before
      local papers, n = {}, 0
      local topics = {"object detection with transformers", "depth estimation from video",
                      "semantic segmentation of street scenes", "image generation with diffusion"}
      for week = 0, 8 do
        for k = 1, 40 do
          n = n + 1
          local day = os.date("!%Y-%m-%d", os.time{year = 2024, month = 1, day = 1 + 7 * week + k % 7, hour = 12})
          local topic = topics[k % 4 + 1]
          local title = "A study of " .. topic
          if week == 8 and k <= 12 then title = "Real-time gaussian splatting for " .. topic end
          papers[n] = {id = ("2401.%05d"):format(n), date = day, title = title,
                       abstract = "We revisit " .. topic .. " and report experiments number " .. k .. ".",
                       authors = {"Author " .. k}, primary_category = "cs.CV", categories = {"cs.CV"}}
        end
      end
      local out = report("weekly.lua", {}, false, papers)
      assert.matches("# Weekly summary 2024%-02%-26 %.%. 2024%-03%-03\n", out)
      assert.matches("40 papers this week, 320 in the previous 8 weeks", out, 1, true)
      local rows = {}
      local src = ad.from(papers)
      local week = src:where(f.date("2024-02-26", "2024-03-03"))
      local before = src:where(f.date("2024-01-01", "2024-02-25"))
      for term, now, prev in out:gmatch("\n| ([%w%- ]+) | (%d+) | (%d+) | [%d%.]+ |") do
        rows[#rows + 1] = term
        local q = ('ti:"%s" OR abs:"%s"'):format(term, term)
        assert.equal(week:query(q):count(), tonumber(now), term)
        assert.equal(before:query(q):count(), tonumber(prev), term)
      end
      -- one entry for the topic (not "gaussian", "splatting" and "real-time gaussian" too);
      -- the four usual topics did not rise
      assert.same({"gaussian splatting", "real-time"}, rows)
      assert.matches("| gaussian splatting | 12 | 0 |", out, 1, true)
      assert.equal(report("weekly.lua", {}, false, papers), report("weekly.lua", {}, true, papers))
    end)

    it("summarises a catalog week with top authors; weeks and query narrow it", function()
      local cat = report("weekly.lua", {week = "2019-10-19"})
      assert.matches("22 papers this week, 0 in the previous 8 weeks", cat, 1, true)
      assert.matches("## Top authors\n\n%- Li%-Heng Chen %(2%)\n", cat)
      local long = report("weekly.lua", {week = "2020-11-20", weeks = "30"})
      assert.matches("53 papers this week, 135 in the previous 30 weeks (2020-04-18 .. 2020-11-13).", long, 1, true)
      local seg = report("weekly.lua", {week = "2020-05-22", query = "segmentation"})
      assert.matches("Papers matching `segmentation`.", seg, 1, true)
      local n = ad.from(source()):query("segmentation"):where(f.date("2020-05-16", "2020-05-22")):count()
      assert.matches(("\n%d papers this week"):format(n), seg)
    end)
  end)

  describe("author watch list", function()
    it("has one section per followed author who published", function()
      local out = report("authors.lua", AUTHORS)
      assert.matches("## A. Vedaldi (1)", out, 1, true)
      assert.matches("## Gagne, Christian (1)", out, 1, true)
      assert.matches("## Li-Heng Chen (2)", out, 1, true)
      assert.matches("## Xiaofei Xie (1)", out, 1, true)
      assert.matches("No paper from: Kaiming He", out, 1, true)
      assert.matches("\n5 papers.\n", out, 1, true)
      assert.matches("Christian Gagné", out, 1, true)     -- the name as printed in the paper
      -- in the order of the list
      assert.is_true(out:find("## Li-Heng Chen", 1, true) < out:find("## A. Vedaldi", 1, true))
    end)

    it("takes the list from --arg authors, lists the latest papers and those since a day", function()
      local out = report("authors.lua", {authors = "Vedaldi, Andrea; Marc-Andre Gardner; Nobody Here"})
      assert.matches("## Vedaldi, Andrea (1)", out, 1, true)
      assert.matches("## Marc-Andre Gardner (1)", out, 1, true)
      assert.matches("No paper from: Nobody Here", out, 1, true)
      assert.matches("\n2 papers.\n", out, 1, true)
      local one = report("authors.lua", copy(AUTHORS, {latest = "1"}))
      assert.matches("## Li%-Heng Chen %(2%)\n\n%- [^\n]*\n  [^\n]*\n%- %.%.%. and 1 older\n", one)
      local since = report("authors.lua", copy(AUTHORS, {since = "2020"}))
      assert.matches("Papers since 2020.", since, 1, true)
      assert.matches("\n0 papers.\n", since, 1, true)
    end)
  end)

  describe("revised papers", function()
    it("lists new versions of followed papers, highest version first", function()
      local out = report("revised.lua", IDS)
      local got = {}
      for id, v in out:gmatch("\n%- (%S+) v(%d+)") do got[#got + 1] = id .. "v" .. v end
      assert.same({"1910.08681v4", "1910.08695v4", "1910.08787v3", "1910.08728v2"}, got)
      assert.not_matches("1910.11126", out, 1, true)      -- followed, but still v1
      assert.matches("1910.08681 v4 (updated 2020-07-22, first version 2019-10-19): SPARK", out, 1, true)
    end)

    it("takes the ids from --arg ids", function()
      local out = report("revised.lua", {ids = "1910.08845, 1910.11126"})
      assert.matches("\n%- 1910%.08845 v2", out)
      assert.equal(1, count(out, "\n%- "))
      local none = report("revised.lua", {ids = "1910.11126"})
      assert.matches("No new version of the paper followed.", none, 1, true)
      local none2 = report("revised.lua", {ids = "1910.11126, 1512.03385"})
      assert.matches("No new version of the 2 papers followed.", none2, 1, true)
    end)
  end)
end)

describe("example filters", function()
  local function kept(name, sandbox, src)
    local flt = assert(script.filter("examples/filters/" .. name, {sandbox = sandbox}))
    return ad.from(src or source()):where(flt):collect()
  end

  it("code-release keeps papers linking to code hosting, no survey", function()
    local got = kept("code-release.lua", true)
    assert.is_true(#got >= 15)
    for _, p in ipairs(got) do
      local text = ((p.abstract or "") .. " " .. (p.comment or "")):lower()
      assert.is_truthy(text:find("github.com", 1, true) or text:find("gitlab.com", 1, true)
        or text:find("huggingface.co", 1, true) or text:find("bitbucket.org", 1, true)
        or text:find("sourceforge.net", 1, true) or text:find("codeberg.org", 1, true)
        or text:find("gitee.com", 1, true) or text:find("paperswithcode.com", 1, true), p.id)
      assert.is_falsy(p.title:lower():find("survey", 1, true), p.id)
    end
  end)

  it("segmentation keeps title and abstract matches", function()
    local got = kept("segmentation.lua", true)
    assert.is_true(#got > 25)
    for _, p in ipairs(got) do
      local t = (p.title .. " " .. p.abstract):lower()
      assert.is_truthy(t:find("segmentation", 1, true), p.id)
    end
  end)

  it("followed-authors and recent-3d", function()
    assert.equal(4, #kept("followed-authors.lua", true))
    local got = kept("recent-3d.lua")
    assert.is_true(#got > 3)
    for _, p in ipairs(got) do
      assert.is_true(p.date >= "2020-05-20")
      assert.matches("3D", p.title, 1, true)
    end
    assert.equal(#got, #kept("recent-3d.lua", true))
  end)

  it("followed-authors takes the names it is called with", function()
    local flt = assert(script.run("examples/filters/followed-authors.lua", {}, {authors = {"Kaiming He", "Xiaofei Xie"}}))
    local got = ad.from(source()):where(flt):collect()
    assert.equal(1, #got)
    assert.equal("1910.08681", got[1].id)
  end)

  it("on a saved index, sandboxed or not, the index runs what the query language can say", function()
    local idx = assert(ad.index("examples/data"))
    for _, name in ipairs{"code-release.lua", "segmentation.lua", "followed-authors.lua", "recent-3d.lua"} do
      local ids = {}
      for _, p in ipairs(kept(name, false)) do ids[#ids + 1] = p.id end
      table.sort(ids)
      for _, sandbox in ipairs{false, true} do
        local flt = assert(script.filter("examples/filters/" .. name, {sandbox = sandbox}))
        local pipe = ad.from(idx):where(flt)
        assert.matches("\nindex query ", pipe:describe(), 1, true)
        local got = {}
        for _, p in ipairs(pipe:collect()) do got[#got + 1] = p.id end
        table.sort(got)
        assert.same(ids, got, name .. (sandbox and " sandboxed" or ""))
      end
    end
    -- under a ranked query, the same ranking sandboxed or not
    local ranked = ad.from(idx):query("estimation OR learning")
      :where(assert(script.filter("examples/filters/followed-authors.lua", {sandbox = true})))
    local want = ad.from(idx):query("estimation OR learning")
      :where(assert(script.filter("examples/filters/followed-authors.lua")))
    local a, b = {}, {}
    for p, sc in ranked:papers() do a[#a + 1] = p.id .. " " .. sc end
    for p, sc in want:papers() do b[#b + 1] = p.id .. " " .. sc end
    assert.is_true(#a > 0)
    assert.same(b, a)
  end)
end)

describe("example reports on the 2019 corpus", function()
  local have = io.open(CORPUS .. "/10/20191019.md") ~= nil
  if not have then
    it("needs the corpus", function() pending("corpus not found at " .. CORPUS .. ": skipped") end)
    return
  end
  local coll, idx
  setup(function()
    coll = assert(ad.open(CORPUS))
    idx = assert(ad.index(coll))
  end)

  it("authors.lua finds through the index the papers the name rule finds in every paper", function()
    local names = {"Kaiming He", "A. Vedaldi", "Gagne, Christian", "Li-Heng Chen", "Xiaofei Xie"}
    local out = report("authors.lua", {authors = names, latest = "0"}, false, idx)
    for _, name in ipairs(names) do
      -- (but for paper authors written as a bare surname, "Po-Hsuan; Chen" split
      -- in two, which the index query leaves out for a followed full name)
      local want = ad.from(coll):where(f.authors{name} * function(p)
        for _, a in ipairs(p.authors) do
          if f.same_author(name, a) and #f.parse_name(a).given > 0 then return true end
        end
        return false
      end):count()
      assert.is_true(want > 0, name)
      assert.matches(("## %s (%d)"):format(name, want), out, 1, true)
    end
  end)

  it("weekly.lua compares a week with the 8 weeks before it, counted by the index", function()
    local out = report("weekly.lua", {week = "2019-11-22"}, true, idx)
    local A = idx:count("date:2019-11-16..2019-11-22")
    local B = idx:count("date:2019-09-21..2019-11-15")
    assert.matches(("%d papers this week, %d in the previous 8 weeks"):format(A, B), out, 1, true)
    local rows = 0
    for term, now, prev in out:gmatch("\n| ([%w%- ]+) | (%d+) | (%d+) | [%d%.]+ |") do
      rows = rows + 1
      local q = ('(ti:"%s" OR abs:"%s")'):format(term, term)
      assert.equal(idx:count(q .. " date:2019-11-16..2019-11-22"), tonumber(now), term)
      assert.equal(idx:count(q .. " date:2019-09-21..2019-11-15"), tonumber(prev), term)
      assert.is_true(tonumber(now) >= math.max(4, math.ceil(A / 100)), term)
    end
    assert.is_true(rows >= 3)
  end)

  -- A1/D24: over a digest folder, a report's text queries run on the
  -- folder's index (made once), not in Lua over every paper per query: in
  -- the sandbox that Lua work spent the instruction budget ("instruction
  -- budget exceeded (200000000 instructions)", no output)
  it("weekly.lua runs sandboxed on the digest folder and says what it says on its index", function()
    local status, out, err = run("report", R .. "weekly.lua", CORPUS, "--sandbox", "--no-progress")
    assert.equal(0, status, err)
    assert.equal(report("weekly.lua", {}, true, idx), out)
    assert.matches("## Rising terms", out, 1, true)
  end)

  it("authors.lua runs sandboxed on the whole archive folder, as on its index", function()
    local all = CORPUS:match("^(.*)/[^/]+$")
    if not io.open(all .. "/cs.CV-years/2009/01/20090125.md") then
      pending("needs the whole archive at " .. all)
      return
    end
    local S = R .. "interests.lua"
    local status, out, err = run("report", R .. "authors.lua", all, "--sandbox", "--settings", S, "--no-progress")
    assert.equal(0, status, err)
    local args = dofile(S)
    local on_index = report("authors.lua", args, true, assert(ad.index(all)))
    assert.equal(on_index, out)
    assert.matches("## Kaiming He %(%d+%)", out)
  end)

  it("daily.lua on the index picks the papers the filters pick on every paper", function()
    local args = copy(DAILY, {day = "2019-11-20"})
    local out = report("daily.lua", args, true, idx)
    local want = ad.from(coll)
      :where(f.date("2019-11-20") * f.category(DAILY.categories)
             * (f.keywords(DAILY.keywords) + f.authors(DAILY.authors)))
      :count()
    assert.is_true(want > 10)
    assert.matches(("\n%d papers match my interests"):format(want), out)
  end)
end)
