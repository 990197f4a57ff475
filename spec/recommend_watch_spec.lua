-- Standing watches of the `library` kind (issue 14 over issue 13): a watch
-- whose new papers are ranked by idx:recommend against a BibTeX library or
-- a list of ids, with the recommendation's evidence as its why.
local ad = require "arxivdigest"
local json = require "arxivdigest.json"

local ROOT = assert(io.popen("pwd")):read("l")
local DATA = ROOT .. "/examples/data/"
local D0513, D0520, D0522 = "001_906e1fea553eeaa8.txt", "000_21fb7b7deb0de965.txt", "002_3ae2b7cffb64a415.txt"

local function sh(cmd) return os.execute(cmd) end
local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- runs the command in-process: status, stdout, stderr (spec/helper.lua)
local H_ = dofile("spec/helper.lua")
local function run(...) return H_.run_cli({...}) end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local function items(path, name)
  local out = {}
  local f = io.open(path, "rb")
  if not f then return out end
  for l in f:read("a"):gmatch("[^\n]+") do
    local o = json.decode(l)
    if o.watch == name and o.kind then out[#out + 1] = o end
  end
  f:close()
  return out
end

describe("a library watch", function()
  local dir
  before_each(function()
    dir = assert(io.popen("mktemp -d /tmp/arxivdigest-recwatch.XXXXXX")):read("l")
    assert(sh("mkdir -p " .. q(dir .. "/archive")))
    assert(sh("cp " .. q(DATA .. D0513) .. " " .. q(DATA .. D0520) .. " " .. q(dir .. "/archive/")))
    assert(sh("touch -d '2 days ago' " .. q(dir .. "/archive/") .. "*"))
    write(dir .. "/lib.txt", "2005.09623\n2005.05501   # 3DV, depth video\n")
    write(dir .. "/w.lua", [[return { archive = "archive", index = "i.adx", state = "s.lua",
      watches = { { name = "for me", library = "lib.txt", limit = 10 },
                  { name = "q", query = "depth" } },
      outputs = { { format = "jsonl", path = "o.jsonl" }, { format = "markdown", path = "o.md" } } }]])
  end)
  after_each(function() if dir then sh("rm -rf " .. q(dir)) end end)

  it("delivers the new papers ranked against the library, with the evidence, never the library's own", function()
    local st, _, err = run("watch", "run", dir .. "/w.lua")
    assert.are.equal(0, st, err)
    local got = items(dir .. "/o.jsonl", "for me")
    assert.are.equal(10, #got)
    -- the ranking is idx:recommend's over the first run's day
    local idx = assert(ad.index(dir .. "/archive"))
    local want = idx:recommend({"2005.09623", "2005.05501"}, {query = "date:2020-05-20", limit = 10})
    for i = 1, 10 do
      assert.are.equal(want[i].paper.id, got[i].id)
      assert.is_true(math.abs(want[i].score - got[i].score) < 1e-9)
      assert.are_not.equal("2005.09623", got[i].id)
      assert.matches("^like ", got[i].why[1])
      assert.matches("^terms: ", got[i].why[#got[i].why])
      assert.are.equal("2020-05-20", got[i].date)
    end
    assert.matches("library: ", io.open(dir .. "/o.md"):read("a"), 1, true)
    -- a new digest file: only its papers are new, ranked in the updated index
    assert(sh("cp " .. q(DATA .. D0522) .. " " .. q(dir .. "/archive/")))
    local st2, _, err2 = run("watch", "run", dir .. "/w.lua")
    assert.are.equal(0, st2, err2)
    assert.matches("a library watch ranks the new papers in the saved index", err2, 1, true)
    local got2 = items(dir .. "/o.jsonl", "for me")
    assert.is_true(#got2 > 0)
    local idx2 = assert(ad.index(dir .. "/archive"))
    local want2 = idx2:recommend({"2005.09623", "2005.05501"}, {query = "date:2020-05-22", limit = 10})
    for i, it in ipairs(got2) do
      assert.are.equal("2020-05-22", it.date)
      assert.are.equal(want2[i].paper.id, it.id)
    end
    -- nothing new: nothing delivered
    local st3, _, err3 = run("watch", "run", dir .. "/w.lua")
    assert.are.equal(0, st3, err3)
    assert.are.equal(0, #items(dir .. "/o.jsonl", "for me"))
  end)

  it("fails alone when its library is unreadable or matches nothing in the archive", function()
    write(dir .. "/lib.txt", "1706.03762\n")
    local st, _, err = run("watch", "run", dir .. "/w.lua")
    assert.are.equal(1, st)
    assert.matches("for me: FAILED: the library has no paper in this index", err, 1, true)
    assert.matches("q: %d+ new", err)
    os.remove(dir .. "/lib.txt")
    local st2, _, err2 = run("watch", "test", dir .. "/w.lua")
    assert.are.equal(1, st2)
    assert.matches("for me: FAILED: cannot read the library: ", err2, 1, true)
  end)

  it("reads a BibTeX library", function()
    write(dir .. "/lib.bib", "@misc{a, url = {http://arxiv.org/abs/2005.09623}, title = {Focus on defocus}}\n")
    write(dir .. "/w.lua", [[return { archive = "archive", index = "i.adx", state = "s.lua",
      watches = { { name = "for me", library = "lib.bib", limit = 3 } },
      outputs = { { format = "jsonl", path = "o.jsonl" } } }]])
    local st, out = run("watch", "test", dir .. "/w.lua", "-f", "jsonl")
    assert.are.equal(0, st)
    local n = 0
    for l in out:gmatch("[^\n]+") do
      local o = json.decode(l)
      if o.kind == "new" then n = n + 1; assert.matches("Focus on defocus", o.why[1], 1, true) end
    end
    assert.are.equal(3, n)
  end)
end)
