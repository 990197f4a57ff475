-- Standing watches of the `library` kind (issue 14 over issue 13): a watch
-- whose new papers are ranked by idx:recommend against a BibTeX library or
-- a list of ids, with the recommendation's evidence as its why.
local ad = require "arxivdigest"
local json = require "arxivdigest.json"

local ROOT = assert(io.popen("pwd")):read("l")
local DATA = ROOT .. "/examples/data/"
local D0513, D0520, D0522 = "001_906e1fea553eeaa8.txt", "000_21fb7b7deb0de965.txt", "002_3ae2b7cffb64a415.txt"
local D1120, D1019 = "004_6bca22daa1a0db69.txt", "003_ce175d6736be5667.txt"

local function sh(cmd) return os.execute(cmd) end

-- runs the command in-process: status, stdout, stderr (spec/helper.lua)
local H_ = dofile("spec/helper.lua")
local function run(...) return H_.run_cli({...}) end
local q, read, write = H_.shell_quote, H_.read, H_.write

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
    -- the saved index's recommendation model is kept beside it
    assert.matches("recommendation model: .*: built, saved as ", err)
    assert.is_true(io.open(dir .. "/i.adx.model", "rb") ~= nil)
    local saved = read(dir .. "/i.adx")
    -- a new digest file: only its papers are new, ranked with the saved
    -- index's model as candidates from the pending file, which stays
    -- pending: the saved index is not updated, the model not built again
    assert(sh("cp " .. q(DATA .. D0522) .. " " .. q(dir .. "/archive/")))
    local st2, _, err2 = run("watch", "run", dir .. "/w.lua")
    assert.are.equal(0, st2, err2)
    assert.matches("(135 papers, 1 pending file)", err2, 1, true)
    assert.is_nil(err2:find("index: ", 1, true), err2)
    assert.is_nil(err2:find("recommendation model", 1, true), err2)
    assert.are.equal(saved, read(dir .. "/i.adx"))
    local got2 = items(dir .. "/o.jsonl", "for me")
    assert.are.equal(10, #got2)
    local base = assert(ad.load(dir .. "/i.adx"))
    local pending = assert(ad.index(dir .. "/archive/" .. D0522))
    local want2 = base:recommend({"2005.09623", "2005.05501"}, {candidates = pending, limit = 10})
    for i, it in ipairs(got2) do
      assert.are.equal("2020-05-22", it.date)
      assert.are.equal(want2[i].paper.id, it.id)
      assert.are.equal(want2[i].score, it.score)
      assert.matches("^like ", it.why[1])
    end
    -- nothing new: nothing delivered
    local st3, _, err3 = run("watch", "run", dir .. "/w.lua")
    assert.are.equal(0, st3, err3)
    assert.are.equal(0, #items(dir .. "/o.jsonl", "for me"))
  end)

  it("with pending = 0 the new file goes into the saved index first: the merged index's ranking", function()
    write(dir .. "/w.lua", (read(dir .. "/w.lua"):gsub('state = "s.lua",', 'state = "s.lua", pending = 0,')))
    local st, _, err = run("watch", "run", dir .. "/w.lua")
    assert.are.equal(0, st, err)
    assert(sh("cp " .. q(DATA .. D0522) .. " " .. q(dir .. "/archive/")))
    local st2, _, err2 = run("watch", "run", dir .. "/w.lua")
    assert.are.equal(0, st2, err2)
    assert.matches("index: 1 new files (more than pending = 0)", err2, 1, true)
    -- the saved index changed: its model is built again
    assert.matches("recommendation model: .*made from an index with other contents: built, saved as ", err2)
    local got2 = items(dir .. "/o.jsonl", "for me")
    assert.are.equal(10, #got2)
    local idx2 = assert(ad.index(dir .. "/archive"))
    local want2 = idx2:recommend({"2005.09623", "2005.05501"}, {query = "date:2020-05-22", limit = 10})
    for i, it in ipairs(got2) do
      assert.are.equal("2020-05-22", it.date)
      assert.are.equal(want2[i].paper.id, it.id)
      assert.are.equal(want2[i].score, it.score)
    end
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
    -- a malformed entry is skipped and said, with its file and line
    write(dir .. "/lib.bib", "@misc{a, url = {http://arxiv.org/abs/2005.09623}, title = {Focus on defocus}}\n"
      .. "@article{broken,\n  title = {Unterminated {brace,\n  year = 2020\n}\n")
    local st2, _, err2 = run("watch", "run", dir .. "/w.lua")
    assert.are.equal(0, st2, err2)
    assert.truthy(err2:find("for me: " .. dir .. "/lib.bib:", 1, true), err2)
    assert.truthy(err2:find("entry 'broken': entry skipped", 1, true), err2)
  end)
end)

-- {======================================================
-- Over simulated days: the pending files ranked beside the saved index
-- =======================================================

-- a v2 of a library paper (2005.09623) and a new paper, in a catalog digest
local V2 = [[
# Arxiv Papers in cs.CV on 2020-11-21
### Focus on defocus: bridging the synthetic to real domain gap for depth estimation
- **Arxiv ID**: http://arxiv.org/abs/2005.09623v2
- **DOI**: None
- **Categories**: **cs.CV**
- **Links**: [PDF](http://arxiv.org/pdf/2005.09623v2)
- **Published**: 2020-05-20 00:00:00+00:00
- **Updated**: 2020-11-21 09:00:00+00:00
- **Authors**: Maxim Maximov, Kevin Galim, Laura Leal-Taixe
- **Comment**: None
- **Journal**: None
- **Summary**: Data-driven depth estimation methods struggle with the generalization outside their training scenes due to the immense variability of the real-world scenes.



### Depth from defocus in the wild, again
- **Arxiv ID**: http://arxiv.org/abs/2011.99901v1
- **DOI**: None
- **Categories**: **cs.CV**
- **Links**: [PDF](http://arxiv.org/pdf/2011.99901v1)
- **Published**: 2020-11-21 08:00:00+00:00
- **Updated**: 2020-11-21 08:00:00+00:00
- **Authors**: Ada Lovelace
- **Comment**: None
- **Journal**: None
- **Summary**: We estimate depth from defocus blur with a synthetic to real domain gap bridged.
]]

local LIBRARY = "2005.09623\n2005.05501\n2011.10043   # in the digest of 2020-11-20\n"

describe("a library watch over simulated days", function()
  local dirs = {}
  after_each(function()
    for _, d in ipairs(dirs) do sh("rm -rf " .. q(d)) end
    dirs = {}
  end)

  local function scenario(pending)
    local d = assert(io.popen("mktemp -d /tmp/arxivdigest-recwatch.XXXXXX")):read("l")
    dirs[#dirs + 1] = d
    assert(sh("mkdir -p " .. q(d .. "/archive")))
    write(d .. "/lib.txt", LIBRARY)
    write(d .. "/w.lua", ([[return { archive = "archive", index = "i.adx", state = "s.lua", pending = %d,
      watches = { { name = "for me", library = "lib.txt", limit = 100000 } },
      outputs = { { format = "jsonl", path = "o.jsonl" } } }]]):format(pending))
    return d
  end

  local function ids_of(path)
    local set = {}
    for p in assert(ad.index(path)):papers() do set[p.id] = true end
    return set
  end

  -- runs the days; returns per day the set of ids delivered and the
  -- command's stderr
  local function days(d, old)
    local out = {}
    local function add(name, text)
      local dst = d .. "/archive/" .. name
      if text then write(dst, text) else assert(sh("cp " .. q(DATA .. name) .. " " .. q(dst))) end
      if old then assert(sh("touch -d '2 days ago' " .. q(dst))) end
    end
    local function day(label)
      local st, _, err = run("watch", "run", d .. "/w.lua")
      assert.are.equal(0, st, label .. ": " .. err)
      local got = {}
      for _, it in ipairs(items(d .. "/o.jsonl", "for me")) do
        assert.is_nil(got[it.id], label .. ": twice " .. it.id)
        assert.are.equal("new", it.kind, label)
        got[it.id] = true
      end
      out[#out + 1] = {label = label, got = got, err = err}
    end
    add(D0513); day("first")
    add(D0520); day("0520")
    add(D0522); day("0522")
    add(D1120); day("1120")
    add(D1019); day("late 1019")
    add("20201121.md", V2); day("v2 of a library paper")
    assert(os.remove(d .. "/archive/" .. D0520)); day("removed")
    day("idle")
    return out
  end

  -- each day delivers the papers of its file not seen before, library
  -- papers never; every paper once over all days
  local function check(seq)
    local lib = {["2005.09623"] = true, ["2005.05501"] = true, ["2011.10043"] = true}
    local seen = ids_of(DATA .. D0513)
    local files = {D0520, D0522, D1120, D1019}
    for k, name in ipairs(files) do
      local want = {}
      for id in pairs(ids_of(DATA .. name)) do
        if not seen[id] and not lib[id] then want[id] = true end
        seen[id] = true
      end
      assert.are.same(want, seq[k + 1].got, seq[k + 1].label)
    end
    assert.is_true(seq[4].got["2011.10043"] == nil)
    assert.are.same({["2011.99901"] = true}, seq[6].got)   -- not the library's v2
    assert.are.same({}, seq[7].got)
    assert.are.same({}, seq[8].got)
  end

  it("files waiting beside the saved index or taken into it: the same papers, each once", function()
    local waiting = scenario(3)
    local a = days(waiting, true)
    check(a)
    -- the files waited (the saved index was updated when more than 3 did,
    -- and when one was removed), and the library paper of 2020-11-20 was
    -- found among the pending files
    assert.matches("1 pending file)", a[2].err, 1, true)
    assert.matches("3 pending files)", a[4].err, 1, true)
    assert.matches("index: 4 new files (more than pending = 3)", a[5].err, 1, true)
    assert.is_nil(a[2].err:find("recommendation model", 1, true), a[2].err)
    local merged = scenario(0)
    local b = days(merged, false)
    check(b)
    for k = 1, #a do assert.are.same(b[k].got, a[k].got, a[k].label) end
  end)

  it("a library paper found only in the pending files counts in the profile, and is never delivered", function()
    local d = scenario(7)
    local pre = {D0513, D0520, D0522}
    for _, name in ipairs(pre) do assert(sh("cp " .. q(DATA .. name) .. " " .. q(d .. "/archive/"))) end
    assert(sh("touch -d '2 days ago' " .. q(d .. "/archive") .. "/*"))
    assert.are.equal(0, (run("watch", "run", d .. "/w.lua")))
    assert(sh("cp " .. q(DATA .. D1120) .. " " .. q(d .. "/archive/")))
    assert(sh("touch -d '2 days ago' " .. q(d .. "/archive/" .. D1120)))
    local st, _, err = run("watch", "run", d .. "/w.lua")
    assert.are.equal(0, st, err)
    assert.matches("1 pending file)", err, 1, true)
    local got = items(d .. "/o.jsonl", "for me")
    local base = assert(ad.load(d .. "/i.adx"))
    assert.is_nil(base:get("2011.10043"))
    local pending = assert(ad.index(d .. "/archive/" .. D1120))
    local lib = assert(ad.library(d .. "/lib.txt"))
    local want, info = base:recommend(lib, {candidates = pending, limit = 100000})
    assert.are.equal(3, info.library)              -- 2011.10043 among them
    assert.are.equal(#want, #got)
    assert.are.equal(#pending - 1, #got)
    for i, it in ipairs(got) do
      assert.are.equal(want[i].paper.id, it.id)
      assert.are_not.equal("2011.10043", it.id)
    end
    -- and its why can name it
    local named = false
    for _, h in ipairs(want) do
      for _, x in ipairs(h:why().papers) do if x.paper.id == "2011.10043" then named = true end end
    end
    assert.is_true(named)
  end)
end)

describe("a library watch's model file", function()
  local d
  local ENV = ("LUA_PATH=%s LUA_CPATH=%s "):format(q(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;"),
    q(ROOT .. "/" .. (os.getenv("AD_BUILD") or "build") .. "/?.so;;"))
  local asan = os.getenv("AD_ASAN_RT")
  if asan then ENV = ENV .. "LD_PRELOAD=" .. q(asan) .. " ASAN_OPTIONS=detect_leaks=0 " end
  -- `arxivdigest watch run` in a child process: exit status, output
  local function child(env)
    local p = assert(io.popen("exec 2>&1; (cd /tmp && " .. ENV .. (env or "") .. "lua5.4 " .. q(ROOT .. "/bin/arxivdigest")
      .. " watch run " .. q(d .. "/w.lua") .. "); echo \"::rc=$?\""))
    local out = p:read("a")
    p:close()
    return tonumber(out:match("::rc=(%d+)%s*$")), out
  end
  before_each(function()
    d = assert(io.popen("mktemp -d /tmp/arxivdigest-recwatch.XXXXXX")):read("l")
    assert(sh("mkdir -p " .. q(d .. "/archive")))
    assert(sh("cp " .. q(DATA .. D0513) .. " " .. q(DATA .. D0520) .. " " .. q(d .. "/archive/")))
    assert(sh("touch -d '2 days ago' " .. q(d .. "/archive/") .. "*"))
    write(d .. "/lib.txt", "2005.09623\n2005.05501\n")
    write(d .. "/w.lua", [[return { archive = "archive", index = "i.adx", state = "s.lua",
      watches = { { name = "for me", library = "lib.txt", limit = 20 } },
      outputs = { { format = "jsonl", path = "o.jsonl" } } }]])
  end)
  after_each(function() if d then sh("rm -rf " .. q(d)) end end)

  local function ids(path)
    local out = {}
    for _, it in ipairs(items(path, "for me")) do out[#out + 1] = it.id end
    return out
  end

  it("a run killed once the model is written: the next run delivers, with that model", function()
    local rc, out = child("ARXIVDIGEST_TEST_CRASH=model ")
    assert.are.equal(137, rc, "the point was not reached: " .. out)
    assert.is_nil(io.open(d .. "/s.lua", "rb"))              -- the state: none yet
    assert.is_true(assert(ad.load(d .. "/i.adx")):load_model(d .. "/i.adx.model"))
    local rc2, out2 = child()
    assert.are.equal(0, rc2, out2)
    assert.is_nil(out2:find("recommendation model", 1, true), out2)
    local got = ids(d .. "/o.jsonl")
    assert.are.equal(20, #got)
    -- as a run that was never interrupted
    sh("rm -f " .. q(d .. "/s.lua") .. " " .. q(d .. "/i.adx.model"))
    local rc3, out3 = child()
    assert.are.equal(0, rc3, out3)
    assert.are.same(ids(d .. "/o.jsonl"), got)
    -- no temporary file left beside the index
    local p = io.popen("ls -a " .. q(d))
    local ls = p:read("a")
    p:close()
    assert.is_nil(ls:find("%.tmp"), ls)
  end)

  it("a damaged or foreign model file is built again, and the papers are the same", function()
    local rc, out = child()
    assert.are.equal(0, rc, out)
    local want = ids(d .. "/o.jsonl")
    local good = read(d .. "/i.adx.model")
    local bad = {
      good:sub(1, 200),                                           -- truncated
      good:sub(1, 5000) .. "x" .. good:sub(5002),                 -- one byte changed
      ("\0"):rep(#good),                                          -- zeros
      "not a model\n",
    }
    for i, bytes in ipairs(bad) do
      write(d .. "/i.adx.model", bytes)
      sh("rm -f " .. q(d .. "/s.lua"))
      local rc2, out2 = child()
      assert.are.equal(0, rc2, i .. ": " .. out2)
      assert.matches("recommendation model: .*: built, saved as ", out2)
      assert.are.same(want, ids(d .. "/o.jsonl"), "case " .. i)
      assert.are.equal(good, read(d .. "/i.adx.model"), "case " .. i)
    end
  end)
end)
