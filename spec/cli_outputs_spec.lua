-- What the commands' outputs say: similar's scores, feed ids and titles,
-- the order of export, and the example scripts' arguments.
local json = require "arxivdigest.json"

-- runs the command in-process: status, stdout, stderr (spec/helper.lua)
local H_ = dofile("spec/helper.lua")
local function run(...) return H_.run_cli({...}) end

local function jsonl(s)
  local out = {}
  for line in s:gmatch("[^\n]+") do out[#out + 1] = json.decode(line) end
  return out
end

describe("cli outputs", function()
  describe("similar", function()
    it("gives each hit's cosine in every format, as search gives its scores", function()
      local st, out = run("similar", "1910.11126", "-n", "3", "-f", "{score} {id}")
      assert.equal(0, st)
      local n, prev = 0, math.huge
      for score, id in out:gmatch("(%S+) (%S+)\n") do
        n = n + 1
        local v = tonumber(score)
        assert.truthy(v and v > 0 and v <= 1, score)
        assert.truthy(v <= prev, "best first")
        assert.are_not.equal("1910.11126", id)
        prev = v
      end
      assert.equal(3, n)
      st, out = run("similar", "1910.11126", "-n", "2", "-f", "jsonl")
      assert.equal(0, st)
      local rows = jsonl(out)
      assert.equal(2, #rows)
      for _, r in ipairs(rows) do assert.equal("number", type(r.score)) end
      st, out = run("similar", "1910.11126", "-n", "1")
      assert.equal(0, st)
      assert.truthy(out:find("| score %d"), out)
      st, out = run("similar", "1910.11126", "-n", "1", "-f", "csv")
      assert.equal(0, st)
      assert.truthy(out:match("^[^\n]*,score\r?\n"), out)
      assert.truthy(out:match("\n[^\n]*,0%.%d+\r?\n$"), out)
      -- the cosine of idx:similar
      local ad = require "arxivdigest"
      local idx = ad.index(require("arxivdigest").sample())
      local h = idx:similar("1910.11126", 1)[1]
      assert.equal(h.paper.id, rows[1].id)
      assert.near(h.score, rows[1].score, 1e-9)
    end)
  end)
end)

describe("cli feeds", function()
  local function feed(...)
    local st, out, err = run(...)
    assert.equal(0, st, err)
    local id = out:match("<feed.-<id>([^<]*)</id>")
    local title = out:match("<feed.-<title[^>]*>([^<]*)</title>")
    assert.truthy(id, out:sub(1, 400))
    return id, title
  end

  it("filter: one feed id per script and --arg values", function()
    local a, ta = feed("filter", "examples/filters/segmentation.lua", "-f", "atom")
    local b, tb = feed("filter", "examples/filters/code-release.lua", "-f", "atom")
    assert.are_not.equal(a, b)
    assert.equal("arXiv filter: examples/filters/segmentation.lua", ta)
    assert.equal("arXiv filter: examples/filters/code-release.lua", tb)
    assert.equal(a, (feed("filter", "examples/filters/segmentation.lua", "-f", "atom")))
    local c = feed("filter", "examples/filters/segmentation.lua", "-f", "atom", "--arg", "x=1")
    local d = feed("filter", "examples/filters/segmentation.lua", "-f", "atom", "--arg", "x=2")
    assert.are_not.equal(a, c)
    assert.are_not.equal(c, d)
    assert.equal(c, (feed("filter", "examples/filters/segmentation.lua", "-f", "atom", "--arg", "x=1")))
  end)

  it("report -f atom: one feed id per script and --settings", function()
    local S = {"--settings", "examples/reports/interests.lua"}
    local a, ta = feed("report", "examples/reports/weekly.lua", "-f", "atom")
    local b = feed("report", "examples/reports/daily.lua", "-f", "atom", table.unpack(S))
    local c = feed("report", "examples/reports/weekly.lua", "-f", "atom", table.unpack(S))
    assert.are_not.equal(a, b)
    assert.are_not.equal(a, c)
    assert.equal("arXiv report: examples/reports/weekly.lua", ta)
    assert.equal(a, (feed("report", "examples/reports/weekly.lua", "-f", "atom")))
  end)

  it("similar: one feed id per seed, titled as README says", function()
    local a, ta = feed("similar", "1910.11126", "-f", "atom")
    local b, tb = feed("similar", "2005.05839", "-f", "atom")
    local c, tc = feed("similar", "--text", "image fusion", "-f", "atom")
    assert.equal("arXiv similar: 1910.11126", ta)
    assert.equal("arXiv similar: 2005.05839", tb)
    assert.equal("arXiv similar: image fusion", tc)
    assert.are_not.equal(a, b)
    assert.are_not.equal(a, c)
    assert.equal(a, (feed("similar", "1910.11126", "-f", "atom", "-n", "3")))
    assert.equal(c, (feed("similar", "--text", "image fusion", "-f", "atom")))
  end)

  it("recommend: one feed id per library and --like/--dislike ids", function()
    local a, ta = feed("recommend", "--like", "1910.11126", "-f", "atom")
    local b = feed("recommend", "--like", "2005.05839", "-f", "atom")
    local c = feed("recommend", "--like", "1910.11126", "--dislike", "2005.05839", "-f", "atom")
    local lib = os.tmpname()
    H_.write(lib, "1910.11126\n")
    local d, td = feed("recommend", "--library", lib, "-f", "atom")
    os.remove(lib)
    assert.equal("Recommended: like 1910.11126", ta)
    assert.equal("Recommended: " .. lib, td)
    assert.are_not.equal(a, b)
    assert.are_not.equal(a, c)
    assert.are_not.equal(a, d)
    assert.equal(a, (feed("recommend", "--like", "1910.11126", "-f", "atom", "-n", "2")))
  end)

  it("util.output_id: opts.about gives the id, whatever the query or title", function()
    local util = require "arxivdigest.format.util"
    local x = util.output_id({command = "filter", about = "a.lua"})
    assert.truthy(x:match("^urn:arxivdigest:about:%x+$"))
    assert.equal(x, util.output_id({command = "filter", about = " a.lua ", title = "T", query = "q"}))
    assert.are_not.equal(x, util.output_id({command = "filter", about = "b.lua"}))
    assert.are_not.equal(x, util.output_id({command = "report", about = "a.lua"}))
    assert.equal("arXiv filter: a.lua", util.output_title({command = "filter", about = "a.lua"}))
    assert.equal("T", util.output_title({command = "filter", about = "a.lua", title = "T"}))
  end)
end)

describe("cli similar --text", function()
  it("is the seed instead of ids: ids and --text together are a usage error", function()
    local st, out, err = run("similar", "1910.11126", "--text", "foo")
    assert.equal(2, st)
    assert.equal("", out)
    assert.truthy(err:find("'similar' takes ids or --text, not both", 1, true), err)
    st, out = run("similar", "--text", "image fusion", "-n", "2", "-f", "{id}")
    assert.equal(0, st)
    assert.equal(2, select(2, out:gsub("\n", "")))
  end)
end)

describe("cli export order", function()
  it("is filter's (newest first: digest day, then arXiv id) from a folder and an index alike", function()
    local adx = H_.tmpname() .. ".adx"
    assert.equal(0, (run("index", "build", "examples/data", "-o", adx)))
    local s1, a = run("export", "--to", "jsonl", "examples/data", "-n", "3")
    local s2, b = run("export", "--to", "jsonl", "-i", adx, "-n", "3")
    assert.equal(0, s1)
    assert.equal(0, s2)
    local ra, rb = jsonl(a), jsonl(b)
    assert.equal(3, #ra)
    for i = 1, 3 do assert.equal(ra[i].id, rb[i].id) end
    -- every record, in one order
    local _, all_f = run("export", "--to", "jsonl", "examples/data")
    local _, all_i = run("export", "--to", "jsonl", "-i", adx)
    local f, x = jsonl(all_f), jsonl(all_i)
    assert.equal(210, #f)
    assert.equal(#f, #x)
    for i = 1, #f do
      assert.equal(f[i].id, x[i].id)
      if i > 1 then
        local p, q = f[i - 1], f[i]
        assert.truthy(p.date > q.date or (p.date == q.date and p.id >= q.id), p.id .. " before " .. q.id)
      end
    end
    -- the newest digest day of the sample comes first
    assert.equal("2020-11-20", f[1].date)
    -- and filter keeps the same order
    local _, kept = run("filter", "examples/filters/segmentation.lua", "-f", "{id}")
    local order = {}
    for i, r in ipairs(f) do order[r.id] = order[r.id] or i end
    local last = 0
    for id in kept:gmatch("%S+") do
      assert.truthy(order[id] > last, id)
      last = order[id]
    end
    os.remove(adx)
  end)
end)

describe("examples/reports/revised.lua", function()
  it("lists tied papers in one order (version, then id) from a folder and an index", function()
    local adx = H_.tmpname() .. ".adx"
    assert.equal(0, (run("index", "build", "examples/data", "-o", adx)))
    local ids = "ids=1910.08728,1910.08737,1910.08790,1910.08845,1910.08854,1910.08787"
    local s1, a, e1 = run("report", "examples/reports/revised.lua", "--arg", ids)
    local s2, b, e2 = run("report", "examples/reports/revised.lua", "--arg", ids, "-i", adx)
    os.remove(adx)
    assert.equal(0, s1, e1)
    assert.equal(0, s2, e2)
    assert.equal(a, b)
    local got = {}
    for id, v in a:gmatch("\n%- (%S+) v(%d+)") do got[#got + 1] = id .. "v" .. v end
    assert.same({"1910.08787v3", "1910.08728v2", "1910.08737v2", "1910.08790v2", "1910.08845v2",
      "1910.08854v2"}, got)
  end)
end)

describe("examples/filters/followed-authors.lua", function()
  local F = "examples/filters/followed-authors.lua"
  it("takes --arg authors as a string split on ';', as the reports do", function()
    local s1, one, e1 = run("filter", F, "--arg", "authors=Xiaofei Xie", "-f", "{id}")
    assert.equal(0, s1, e1)
    local s2, two, e2 = run("filter", F, "--arg", "authors=Xiaofei Xie; Enea Ceolini", "-f", "{id}")
    assert.equal(0, s2, e2)
    local s3, sb = run("filter", F, "--arg", "authors=Xiaofei Xie; Enea Ceolini", "-f", "{id}", "--sandbox")
    assert.equal(0, s3)
    assert.equal(two, sb)
    -- the same papers as the list given from Lua
    local ad = require "arxivdigest"
    local flt = assert(require("arxivdigest.script").run(F, {}, {authors = {"Xiaofei Xie", "Enea Ceolini"}}))
    local want = {}
    for p in ad.from(ad.open(require("arxivdigest").sample())):where(flt):papers() do want[p.id] = true end
    local n = 0
    for id in two:gmatch("%S+") do assert.truthy(want[id], id); n = n + 1 end
    local nwant = 0
    for _ in pairs(want) do nwant = nwant + 1 end
    assert.equal(nwant, n)
    assert.truthy(select(2, one:gsub("\n", "")) >= 1)
    assert.truthy(select(2, one:gsub("\n", "")) < n)
    -- an empty list is a clear error, not an internal one
    local s4, _, e4 = run("filter", F, "--arg", "authors= ; ")
    assert.equal(1, s4)
    assert.truthy(e4:find("no author to follow", 1, true), e4)
  end)
end)

describe("examples/reports/weekly.lua", function()
  it("labels its category counts as what they count: primary categories", function()
    local st, out, err = run("report", "examples/reports/weekly.lua")
    assert.equal(0, st, err)
    assert.truthy(out:find("\n## Top primary categories\n", 1, true), out)
    assert.is_nil(out:find("\n## Top categories\n", 1, true))
    -- each paper once: the counts add up to at most the week's papers
    local sum = 0
    for n in out:match("## Top primary categories\n\n(.-)\n\n"):gmatch("%((%d+)%)") do sum = sum + tonumber(n) end
    local days = 0
    for n in out:match("## Papers per day\n\n(.-)\n\n"):gmatch(": (%d+)") do days = days + tonumber(n) end
    assert.truthy(sum > 0 and sum <= days, sum .. " of " .. days)
  end)
end)
