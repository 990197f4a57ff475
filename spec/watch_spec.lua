-- Standing watches (arxivdigest.watch, `arxivdigest watch`): delivery
-- exactly once over simulated days (new files, a late old file, a v2, a
-- removed file), kill -9 at every named point of a run and after varying
-- delays (state and outputs old or new, nothing lost), two runs at once,
-- every malformed watch file, the accumulated Atom feed (parsed, ids stable
-- across runs), the e-mail (parsed by Python's email package, its HTML part
-- rendered by headless Chromium), hostile paper text in every output.
local H = dofile("spec/helper.lua")
local X = dofile("spec/fixtures/format/xmlcheck.lua")
local read, write = H.read, H.write

local ROOT = assert(io.popen("pwd")):read("l")
local has_core, ad = pcall(require, "arxivdigest")
local json = require "arxivdigest.json"

local DATA = ROOT .. "/examples/data/"
local F = {
  d0513 = "001_906e1fea553eeaa8.txt",   -- 2020-05-13
  d0520 = "000_21fb7b7deb0de965.txt",   -- 2020-05-20
  d0522 = "002_3ae2b7cffb64a415.txt",   -- 2020-05-22
  d1120 = "004_6bca22daa1a0db69.txt",   -- 2020-11-20
  d1019 = "003_ce175d6736be5667.txt",   -- 2019-10-19 (catalog, with authors)
}

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function which(cmd)
  local p = io.popen("command -v " .. cmd .. " 2>/dev/null")
  local out = p:read("a"):gsub("%s+$", "")
  p:close()
  return out ~= "" and out or nil
end
local PYTHON = which("python3")
local CHROMIUM = which("chromium") or which("chromium-browser")
local FLOCK = which("flock")

-- a shell command; returns exit status, stdout+stderr
local function sh(cmd)
  -- (the shell's own "Killed" notices go to the output too, not to the terminal)
  local p = assert(io.popen("exec 2>&1; (" .. cmd .. "); echo \"::rc=$?\""))
  local out = p:read("a")
  p:close()
  local rc = tonumber(out:match("::rc=(%d+)%s*$"))
  return rc, (out:gsub("::rc=%d+%s*$", ""))
end

-- children use the core of this run (build/, or build-asan/ under make test-asan)
local ENV = ("LUA_PATH=%s LUA_CPATH=%s "):format(q(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;"),
  q(ROOT .. "/" .. (os.getenv("AD_BUILD") or "build") .. "/?.so;;"))
-- a state folder of the specs' own (a watch file without `state` writes there)
local XDG = assert(io.popen("mktemp -d /tmp/arxivdigest-watch-xdg.XXXXXX")):read("l")
ENV = ENV .. "XDG_STATE_HOME=" .. q(XDG) .. " "
-- the command, with the modules and core of LUA_PATH/LUA_CPATH (bin/arxivdigest
-- would prefer the checkout's build/ over the ASan build)
local CLI = XDG .. "/arxivdigest.lua"
H.write(CLI, 'os.exit(require("arxivdigest.cli").main(arg), true)\n')
local asan = os.getenv("AD_ASAN_RT")
if asan then ENV = ENV .. "LD_PRELOAD=" .. q(asan) .. " ASAN_OPTIONS=detect_leaks=0 " end

-- `arxivdigest watch ARGS` in a child process; returns status, output
local function watch(args, env)
  return sh("cd /tmp && " .. ENV .. (env or "") .. "lua5.4 " .. q(CLI) .. " watch " .. args)
end

local tmpdirs = {}
local function tmpdir()
  local p = io.popen("mktemp -d /tmp/arxivdigest-watch.XXXXXX")
  local d = p:read("l")
  p:close()
  assert(d and d:match("^/tmp/arxivdigest%-watch%.%w+$"))
  tmpdirs[#tmpdirs + 1] = d
  return d
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- copies a sample file into the archive; old = true gives it an mtime two
-- days back (a file downloaded earlier: the saved index trusts its mtime)
local function add(dir, name, old, as)
  local dst = dir .. "/archive/" .. (as or name)
  assert(sh("cp " .. q(DATA .. name) .. " " .. q(dst)) == 0)
  if old then assert(sh("touch -d '2 days ago' " .. q(dst)) == 0) end
end

-- the ids (unversioned) of digest files
local function ids_of(paths)
  local set, n = {}, 0
  for _, p in ipairs(paths) do
    local c = assert(ad.open(p))
    for r in c:papers() do
      if r.id and not set[r.id] then set[r.id] = true; n = n + 1 end
    end
  end
  return set, n
end

local function count(set) local n = 0 for _ in pairs(set) do n = n + 1 end return n end

local WATCHES = [[
local f = require "arxivdigest.filter"
return {
  archive = "archive", index = "index/archive.adx", state = "state/watches.state.lua",
  pending = %s,
  watches = {
    { name = "all", filter = f.all(), limit = 100000 },
    { name = "depth", query = "depth OR stereo" },
    { name = "people", authors = { "Enea Ceolini", "Christian Gagné" } },
    { name = "fn", filter = function(p) return (p.title or ""):lower():find("network", 1, true) ~= nil end },
  },
  outputs = {
    { format = "atom", path = "out/feed.atom", keep = 1000 },
    { format = "html", path = "out/today.html" },
    { format = "markdown", path = "out/today.md" },
    { format = "jsonl", path = "out/today.jsonl" },
    { format = "email", path = "out/today.eml", to = "me@example.org" %s},
  },
}
]]

-- a fresh scenario folder with an empty archive and a watch file
local function scenario(pending, extra_email)
  local dir = tmpdir()
  assert(sh("mkdir -p " .. q(dir .. "/archive")) == 0)
  write(dir .. "/watches.lua", WATCHES:format(tostring(pending or 7), extra_email or ""))
  return dir
end

-- the deliveries of the last run (its jsonl): { {watch=, kind=, id=, version=} ... }
local function delivered_now(dir, file)
  local out = {}
  for l in read(dir .. "/" .. (file or "out/today.jsonl")):gmatch("[^\n]+") do out[#out + 1] = json.decode(l) end
  return out
end

local function by_watch(list, name, kind)
  local set = {}
  for _, d in ipairs(list) do
    if d.watch == name and (not kind or d.kind == kind) then set[d.id] = d end
  end
  return set
end

local function state_of(dir, file)
  local W = require "arxivdigest.watch"
  local cfg = W.load(dir .. "/" .. (file or "watches.lua"))
  return (W.read_state(cfg)), cfg
end

-- a catalog digest re-listing 1910.11126 as v2 with a DOI, and a new paper
local V2 = [[
# Arxiv Papers in cs.CV on 2020-11-21
### Sensor fusion using EMG and vision for hand gesture classification in mobile applications
- **Arxiv ID**: http://arxiv.org/abs/1910.11126v2
- **DOI**: 10.1234/emg.2020.42
- **Categories**: **cs.CV**, cs.LG, eess.IV, eess.SP
- **Links**: [PDF](http://arxiv.org/pdf/1910.11126v2)
- **Published**: 2019-10-19 00:02:48+00:00
- **Updated**: 2020-11-21 09:00:00+00:00
- **Authors**: Enea Ceolini, Gemma Taverni, Lyes Khacef, Melika Payvand, Elisa Donati
- **Comment**: None
- **Journal**: None
- **Summary**: The discrimination of human gestures using wearable solutions is extremely important as a supporting technique for assisted living, healthcare of the elderly and neurorehabilitation.



### Stereo depth from a brand new network
- **Arxiv ID**: http://arxiv.org/abs/2011.99901v1
- **DOI**: None
- **Categories**: **cs.CV**
- **Links**: [PDF](http://arxiv.org/pdf/2011.99901v1)
- **Published**: 2020-11-21 08:00:00+00:00
- **Updated**: 2020-11-21 08:00:00+00:00
- **Authors**: Ada Lovelace, Christian Gagné
- **Comment**: None
- **Journal**: None
- **Summary**: We estimate depth from stereo pairs with a network nobody has seen before.
]]

describe("watch", function()
  teardown(function()
    for _, d in ipairs(tmpdirs) do os.execute("rm -rf " .. q(d)) end
    os.execute("rm -rf " .. q(XDG))
  end)

  local function need_core()
    if not has_core then pending("the C core cannot be loaded (run make)") return false end
    return true
  end

  -- {======================================================
  describe("the pieces", function()
    it("core.list lists the files the index reads, in its order, with sizes and times", function()
      if not need_core() then return end
      local core = require "arxivdigest.core"
      local list = assert(core.list({DATA}))
      local idx = assert(ad.index(DATA))
      local files = idx:files()
      assert.are.equal(#files, #list)
      for i, f in ipairs(files) do
        assert.are.equal(f.path, list[i].path)
        assert.are.equal(f.size, list[i].size)
        assert.is_true(list[i].mtime > 0)
      end
      local ok, err = core.list({"/nonexistent-folder"})
      assert.is_nil(ok)
      assert.are.equal("/nonexistent-folder: No such file or directory", err)
      assert.has_error(function() core.list({42}) end)
    end)

    it("core.lock: exclusive (another open file of this process too), released by unlock", function()
      if not need_core() then return end
      local core = require "arxivdigest.core"
      local path = tmpdir() .. "/x.lock"
      local a = assert(core.lock(path, false))
      local b, holder = core.lock(path, false)
      assert.is_false(b)
      assert.truthy(holder:match("^pid %d+ since %d+$"), holder)
      assert.is_true(a:unlock())
      local c = assert(core.lock(path, false))
      c:unlock()
      local d, err = core.lock("/nonexistent-folder/x.lock")
      assert.is_nil(d)
      assert.truthy(err:find("^/nonexistent%-folder/x%.lock: "))
      -- a sandboxed script cannot reach them
      local script = require "arxivdigest.script"
      local dir = tmpdir()
      write(dir .. "/s.lua", "local c = require 'arxivdigest.core'\nreturn {lock = c.lock == nil, list = c.list == nil}\n")
      local okr, res = pcall(script.run, dir .. "/s.lua", {sandbox = true})
      if okr then assert.are.same({lock = true, list = true}, res)
      else assert.truthy(tostring(res):find("sandbox: require 'arxivdigest.core' is not allowed", 1, true), res) end
    end)

    it("files indexed right after they were copied are read again, not said to have changed (review 18)", function()
      if not need_core() then return end
      local W = require "arxivdigest.watch"
      local dir = tmpdir()
      assert(os.execute("mkdir -p " .. q(dir .. "/a") .. " && cp " .. q(DATA) .. "*.txt " .. q(dir .. "/a/")))
      local cfg = {archive = {dir .. "/a"}, index = dir .. "/i.adx", pending = 7}
      local A = W.open_archive(cfg, {save = true})
      assert.is_true(A.info.built)
      local function racy(idx)
        local n = 0
        for _, x in ipairs(idx:files()) do if x.mtime == 0 then n = n + 1 end end
        return n
      end
      -- (the copy and the build took less than the 3 s of the rule: else there is nothing to see)
      if racy(A.base) < 5 then pending("the build came more than 3 s after the copy") return end
      -- at once: the index has no mtime for files changed seconds before it
      -- was built, so they are read again; they are the same
      local B = W.open_archive(cfg, {save = true})
      assert.are.equal("5 files indexed within seconds of a change read again: none changed", B.info.reason)
      assert.are.equal(0, B.info.updated.changed)
      assert.are.equal(5, B.info.updated.rechecked)
      -- one file really changed among them: counted as changed
      local A2 = W.open_archive({archive = {dir .. "/a"}, index = dir .. "/j.adx", pending = 7}, {save = true})
      assert.is_true(A2.info.built)
      if racy(A2.base) < 5 then pending("the build came more than 3 s after the copy") return end
      local f = dir .. "/a/" .. F.d0513
      write(f, read(f) .. "\n")
      local C = W.open_archive({archive = {dir .. "/a"}, index = dir .. "/j.adx", pending = 7}, {save = true})
      assert.are.equal("1 file changed, 0 removed (4 more read again: the same)", C.info.reason)
    end)

    it("quoted-printable, encoded words and dates of the e-mail", function()
      local mail = require "arxivdigest.mail"
      local qp = mail.qp(".leading dot\nFrom the start\nx = y \n" .. ("\u{e9}"):rep(60) .. "\n")
      assert.truthy(qp:find("^=2Eleading dot\r\n=46rom the start\r\nx =3D y=20\r\n"))
      for l in qp:gmatch("([^\r\n]*)\r\n") do assert.is_true(#l <= 76, l) end
      assert.is_nil(qp:gsub("\r\n", ""):find("[\128-\255]"))
      local w = mail.encode_words("Schätzung \u{1F50D} " .. ("ü"):rep(40))
      for word in w:gmatch("%S+") do
        assert.truthy(word:match("^=%?UTF%-8%?B%?[%w%+/=]+%?=$"), word)
        assert.is_true(#word <= 75)
      end
      assert.are.equal("plain ascii", (mail.encode_words("plain ascii")))
      assert.are.equal("Thu, 01 Jan 1970 00:00:00 +0000", mail.date(0))
      assert.are.equal("Sat, 29 Feb 2020 12:34:56 +0000", mail.date(1582979696))
      assert.has_error(function() mail.address("no address") end)
      assert.are.equal('"Doe, Jane" <jane@example.org>', mail.address("Doe, Jane <jane@example.org>"))
    end)
  end)

  -- }======================================================

  -- {======================================================
  describe("delivery over simulated days", function()
    -- the days: each adds, removes or rewrites digest files, then runs
    local function days(dir, old)
      local seq = {}
      local function run_day(label)
        local rc, out = watch("run " .. q(dir .. "/watches.lua"))
        assert.are.equal(0, rc, label .. ": " .. out)
        local d = delivered_now(dir)
        seq[#seq + 1] = {label = label, out = out, delivered = d}
        -- the summary's papers: the archive's papers, each once (a paper
        -- of a pending file that the saved index holds too counted twice)
        local _, narchive = ids_of({dir .. "/archive"})
        assert.are.equal(narchive, tonumber(out:match("%((%d+) papers, %d+ pending files?%)")), label .. ": " .. out)
        return d, out
      end
      -- day 1: the first run delivers the newest digest day (the only one)
      add(dir, F.d0513, old)
      local d1 = run_day("day 1")
      local want1 = ids_of({DATA .. F.d0513})
      assert.are.same(want1, (function() local s = {} for id in pairs(by_watch(d1, "all")) do s[id] = true end
        return s end)())
      -- day 2, 3, 4: new files; each delivers the papers not seen before
      local seen = ids_of({DATA .. F.d0513})
      for _, name in ipairs{F.d0520, F.d0522, F.d1120} do
        add(dir, name, old)
        local d = run_day("file " .. name)
        local want = {}
        for id in pairs(ids_of({DATA .. name})) do if not seen[id] then want[id] = true end end
        local got = {}
        for id, x in pairs(by_watch(d, "all")) do got[id] = true; assert.are.equal("new", x.kind) end
        assert.are.same(want, got, "file " .. name)
        for id in pairs(want) do seen[id] = true end
      end
      -- day 5: a late old digest (2019-10-19) counts once, when it arrives
      add(dir, F.d1019, old)
      local d5 = run_day("late old file")
      local want5 = {}
      for id in pairs(ids_of({DATA .. F.d1019})) do if not seen[id] then want5[id] = true end end
      assert.is_true(count(want5) > 10)
      local got5 = {}
      for id in pairs(by_watch(d5, "all")) do got5[id] = true end
      assert.are.same(want5, got5)
      assert.truthy(by_watch(d5, "people")["1910.11126"], "Enea Ceolini's paper")
      assert.truthy(by_watch(d5, "people")["1910.08812"], "Christian Gagné's paper")
      for id in pairs(want5) do seen[id] = true end
      -- day 6: a v2 of a delivered paper, with a DOI, and a new paper
      write(dir .. "/archive/20201121.md", V2)
      if old then assert(sh("touch -d '2 days ago' " .. q(dir .. "/archive/20201121.md")) == 0) end
      local d6 = run_day("v2")
      local all6 = by_watch(d6, "all")
      assert.are.equal(2, count(all6))
      assert.are.equal("new", all6["2011.99901"].kind)
      local rev = all6["1910.11126"]
      assert.are.equal("revised", rev.kind)
      assert.are.equal(2, rev.version)
      local ch = table.concat(rev.changes, " | ")
      assert.truthy(ch:find("new version v2 (was v1)", 1, true), ch)
      -- the day it was listed, as the README shows it (review E31)
      assert.truthy(ch:find("new version v2 (was v1), listed 2020-11-21", 1, true), ch)
      assert.truthy(ch:find("DOI: 10.1234/emg.2020.42", 1, true), ch)
      assert.are.equal("revised", by_watch(d6, "people")["1910.11126"].kind)
      assert.are.equal("new", by_watch(d6, "people")["2011.99901"].kind)
      assert.are.equal("new", by_watch(d6, "depth")["2011.99901"].kind)
      assert.is_nil(by_watch(d6, "depth")["1910.11126"])  -- depth never delivered it
      -- the feed says it too
      local atom = read(dir .. "/out/feed.atom")
      assert.truthy(atom:find("<id>urn:arxivdigest:paper:1910.11126v2</id>", 1, true))
      assert.truthy(atom:find("<id>urn:arxivdigest:paper:1910.11126v1</id>", 1, true))
      -- day 7: a digest file removed: nothing new
      assert(os.remove(dir .. "/archive/" .. F.d0520))
      local d7 = run_day("removed")
      assert.are.same({}, d7)
      -- day 8: it comes back: everything in it was delivered already
      add(dir, F.d0520, old)
      local d8 = run_day("restored")
      assert.are.same({}, d8)
      -- day 9: nothing changed
      local d9 = run_day("idle")
      assert.are.same({}, d9)
      return seq
    end

    -- over all days, each watch delivered each paper version exactly
    -- once, and every matching paper of the final archive was delivered
    local function check_once(dir)
      local st = state_of(dir)
      local idx = assert(ad.index(dir .. "/archive"))
      for _, w in ipairs(st.watches) do
        local seen = {}
        for _, d in ipairs(w.delivered) do
          local key = d.id .. "v" .. tostring(d.v)
          assert.is_nil(seen[key], w.name .. " delivered " .. key .. " twice")
          seen[key] = true
        end
      end
      local function ids(w)
        local s = {}
        for _, d in ipairs(st.watches[w].delivered) do if not d.revised then s[d.id] = true end end
        return s
      end
      local all = {}
      for p in idx:papers() do all[p.id] = true end
      assert.are.same(all, ids("all"))
      local depth = {}
      for _, h in ipairs(idx:search("depth OR stereo", {limit = 10000})) do depth[h.paper.id] = true end
      assert.is_true(count(depth) > 5)
      assert.are.same(depth, ids("depth"))
      local fn = {}
      for p in idx:papers() do
        if (p.title or ""):lower():find("network", 1, true) then fn[p.id] = true end
      end
      assert.is_true(count(fn) > 5)
      assert.are.same(fn, ids("fn"))
      local people = {}
      for p in idx:papers() do
        for _, a in ipairs(p.authors or {}) do
          if a == "Enea Ceolini" or a == "Christian Gagné" then people[p.id] = true end
        end
      end
      assert.are.same(people, ids("people"))
      -- the revision, once
      local revised = 0
      for _, w in ipairs(st.watches) do
        for _, d in ipairs(w.delivered) do if d.revised then revised = revised + 1 end end
      end
      assert.are.equal(2, revised)     -- "all" and "people"
    end

    it("files downloaded earlier: new files wait beside the saved index (pending)", function()
      if not need_core() then return end
      local dir = scenario(3)
      local seq = days(dir, true)
      check_once(dir)
      -- the new files wait beside the saved index, which is updated when
      -- more than 3 wait, and when a file it holds is removed
      assert.truthy(seq[2].out:find("(93 papers, 1 pending file)", 1, true), seq[2].out)
      assert.truthy(seq[4].out:find("3 pending files)", 1, true), seq[4].out)
      assert.truthy(seq[5].out:find("index: 4 new files (more than pending = 3)", 1, true), seq[5].out)
      assert.truthy(seq[5].out:find("0 pending files)", 1, true), seq[5].out)
      assert.truthy(seq[6].out:find("1 pending file)", 1, true), seq[6].out)
      -- day 6's file lists 1910.11126 (v2), which the saved index holds: one paper, not two
      local _, n5 = ids_of({dir .. "/archive"})
      assert.truthy(seq[6].out:find("(" .. n5 .. " papers, 1 pending file)", 1, true), seq[6].out)
      assert.truthy(seq[7].out:find("index: 0 files changed, 1 removed", 1, true), seq[7].out)
      assert.truthy(seq[8].out:find("1 pending file)", 1, true), seq[8].out)
    end)

    it("files just written, the saved index updated at every run (pending = 0)", function()
      if not need_core() then return end
      local dir = scenario(0)
      days(dir, false)
      check_once(dir)
    end)

    it("a first run delivers the newest digest day, or every paper since `since`", function()
      if not need_core() then return end
      local dir = tmpdir()
      assert(sh("mkdir -p " .. q(dir .. "/archive")) == 0)
      for _, n in ipairs{F.d0513, F.d0520, F.d1019} do add(dir, n, true) end
      write(dir .. "/w.lua", [[return { archive = "archive", state = "s.lua", index = "i.adx",
        watches = { { name = "newest", query = "cat:cs.CV OR cat:cs.LG" },
                    { name = "since", query = "cat:cs.CV OR cat:cs.LG", since = "2020-05-13" } },
        outputs = { { format = "jsonl", path = "o.jsonl" } } }]])
      assert.are.equal(0, (watch("run " .. q(dir .. "/w.lua"))))
      local d = {}
      for l in read(dir .. "/o.jsonl"):gmatch("[^\n]+") do d[#d + 1] = json.decode(l) end
      local newest, since = by_watch(d, "newest"), by_watch(d, "since")
      local idx = assert(ad.index(dir .. "/archive"))
      local want_newest, want_since = {}, {}
      for p in idx:papers() do
        if p.first_seen == "2020-05-20" then want_newest[p.id] = true end
        if p.first_seen >= "2020-05-13" then want_since[p.id] = true end
      end
      local function keys(t) local s = {} for k in pairs(t) do s[k] = true end return s end
      assert.are.same(want_newest, keys(newest))
      assert.are.same(want_since, keys(since))
      assert.is_true(count(want_since) > count(want_newest))
    end)

    it("watch reset forgets a watch; --since starts it over from a day", function()
      if not need_core() then return end
      local dir = scenario(7)
      add(dir, F.d1019, true)
      add(dir, F.d0513, true)
      local w = q(dir .. "/watches.lua")
      assert.are.equal(0, (watch("run " .. w)))
      assert.are.equal(0, (watch("run " .. w)))
      assert.are.same({}, delivered_now(dir))
      local rc, out = watch("reset " .. w .. " --watch people --since 2019-01-01")
      assert.are.equal(0, rc, out)
      assert.truthy(out:find("reset 'people'", 1, true))
      rc, out = watch("run " .. w .. " --watch people")
      assert.are.equal(0, rc, out)
      assert.truthy(out:find("people: 2 new, 0 revised (first run: since 2019-01-01)", 1, true), out)
      assert.is_nil(out:find("all:", 1, true), out)
      local d = delivered_now(dir)
      assert.truthy(by_watch(d, "people")["1910.11126"])
      assert.are.same({}, by_watch(d, "all"))
      assert.are.equal(0, (watch("run " .. w)))
      assert.are.same({}, delivered_now(dir))
      -- an unknown watch is a usage error
      rc, out = watch("reset " .. w .. " --watch nobody")
      assert.are.equal(2, rc, out)
      assert.truthy(out:find("no watch named 'nobody'", 1, true), out)
    end)

    it("watch test changes nothing; watch status tells the next candidates", function()
      if not need_core() then return end
      local dir = scenario(7)
      add(dir, F.d0513, true)
      local w = q(dir .. "/watches.lua")
      local rc, out = watch("test " .. w)
      assert.are.equal(0, rc, out)
      assert.truthy(out:find("== all:", 1, true), out)
      assert.is_false(exists(dir .. "/state/watches.state.lua"))
      assert.is_false(exists(dir .. "/out/today.html"))
      assert.is_false(exists(dir .. "/index/archive.adx"))
      rc, out = watch("test " .. w .. " -f jsonl --watch depth")
      assert.are.equal(0, rc, out)
      local n = 0
      for l in out:gmatch("[^\n]+") do
        if l:sub(1, 1) == "{" then n = n + 1; assert.are.equal("depth", json.decode(l).watch) end
      end
      assert.is_true(n > 0)
      rc, out = watch("status " .. w)
      assert.are.equal(0, rc, out)
      assert.truthy(out:find("last run    never", 1, true), out)
      assert.truthy(out:find("next        46 new", 1, true), out)
      assert.are.equal(0, (watch("run " .. w)))
      out = select(2, watch("status " .. w))
      assert.truthy(out:find("delivered   46 new, 0 revised", 1, true), out)
      assert.truthy(out:find("next        0 new, 0 revised", 1, true), out)
      -- nothing left to deliver: an empty jsonl
      rc, out = watch("test " .. w .. " -f jsonl")
      assert.are.equal(0, rc, out)
      assert.is_nil(out:find("{", 1, true), out)
      rc, out = watch("bogus " .. w)
      assert.are.equal(2, rc)
      assert.truthy(out:find("needs an action: run, test, status or reset", 1, true), out)
    end)
  end)

  -- }======================================================

  -- {======================================================
  describe("a run killed with SIGKILL", function()
    local POINTS = {"locked", "archive", "computed", "output:1:half", "output:1", "output:2:half", "output:2",
      "output:3", "output:4:half", "output:4", "output:5:half", "output:5", "output:6:sent",
      "state:half", "state"}
    local SENDMAIL = [[, sendmail = "sh %s/fake-sendmail.sh"]]

    -- a scenario after its first day, with a second file waiting (pending
    -- = 0: the run updates and saves the index before it delivers)
    local function prepared(pending)
      local dir = tmpdir()
      assert(sh("mkdir -p " .. q(dir .. "/archive")) == 0)
      local src = WATCHES:format(tostring(pending or 7), "")
      -- a sixth output: the same e-mail piped to a fake sendmail (a mailbox)
      src = src:gsub('(to = "me@example.org" },)', '%1\n    { format = "email", to = "me@example.org"'
        .. SENDMAIL:format(dir) .. " },")
      write(dir .. "/watches.lua", src)
      write(dir .. "/fake-sendmail.sh", "cat >> " .. q(dir .. "/mailbox") .. "\necho '=== END ===' >> "
        .. q(dir .. "/mailbox") .. "\n")
      add(dir, F.d0513, true)
      local rc, out = watch("run " .. q(dir .. "/watches.lua"))
      assert.are.equal(0, rc, out)
      add(dir, F.d0520, true)
      return dir
    end

    local OUTS = {"out/feed.atom", "out/today.html", "out/today.md", "out/today.jsonl", "out/today.eml",
      "state/watches.state.lua"}

    local function snapshot(dir)
      local s = {}
      for _, f in ipairs(OUTS) do s[f] = read(dir .. "/" .. f) end
      return s
    end

    -- day 2's papers for the "all" watch
    local day2 = {}
    local function day2_ids()
      if next(day2) then return day2 end
      local d1 = ids_of({DATA .. F.d0513})
      for id in pairs(ids_of({DATA .. F.d0520})) do if not d1[id] then day2[id] = true end end
      return day2
    end

    local function python_email_ok(path)
      if not PYTHON then return true end
      local rc, out = sh("python3 -c " .. q("import email,sys\nfrom email import policy\n"
        .. "m=email.message_from_bytes(open(sys.argv[1],'rb').read(),policy=policy.default)\n"
        .. "assert m.get_content_type()=='multipart/alternative'\n"
        .. "assert [p.get_content_type() for p in m.iter_parts()]==['text/plain','text/html']\n"
        .. "assert not m.defects\nprint('ok')") .. " " .. q(path))
      return rc == 0 and out:find("ok") ~= nil
    end

    -- every output and the state: the old bytes, or a complete new version
    local function old_or_new(dir, before)
      local fresh = next(day2_ids())
      for _, f in ipairs(OUTS) do
        local path = dir .. "/" .. f
        local now = read(path)
        if now ~= before[f] then
          -- a complete new version
          if f:match("%.atom$") or f:match("%.html$") then
            local root, err = X.check(now)
            assert.truthy(root, f .. ": " .. tostring(err))
          elseif f:match("%.jsonl$") then
            for l in now:gmatch("[^\n]+") do json.decode(l) end
          elseif f:match("%.eml$") then
            assert.is_true(python_email_ok(path), f)
          elseif f:match("state") then
            local st = state_of(dir)
            assert.are.equal(2, st.run)
          end
          assert.truthy(now:find(fresh, 1, true), f .. " is new but lacks the day's papers")
        end
      end
      -- no temporary file is left once the next run has passed
    end

    -- after a crash, the next run delivers: the state then holds every
    -- paper of day 2, each once, and the feed every entry
    local function recovered(dir)
      local rc, out = watch("run " .. q(dir .. "/watches.lua"))
      assert.are.equal(0, rc, out)
      local st = state_of(dir)
      local got = {}
      for _, d in ipairs(st.watches.all.delivered) do
        assert.is_nil(got[d.id], "delivered twice: " .. d.id)
        got[d.id] = true
      end
      for id in pairs(day2_ids()) do assert.truthy(got[id], "lost: " .. id) end
      local atom = read(dir .. "/out/feed.atom")
      assert.truthy(X.check(atom))
      for id in pairs(got) do
        assert.truthy(atom:find("<id>urn:arxivdigest:paper:" .. id .. "</id>", 1, true), id)
      end
      -- the mailbox got day 2's message at least once, at most twice
      local box = read(dir .. "/mailbox")
      local n = select(2, box:gsub("=== END ===", ""))
      assert.is_true(n >= 2 and n <= 3, "messages: " .. n)
      -- no temporary file left beside the outputs and the state
      local _, ls = sh("ls -a " .. q(dir .. "/out") .. " " .. q(dir .. "/state"))
      assert.is_nil(ls:find("%.tmp"), ls)
    end

    it("at every named point of a run: state and outputs old or new, nothing lost", function()
      if not need_core() then return end
      for _, point in ipairs(POINTS) do
        local dir = prepared()
        local before = snapshot(dir)
        local rc, out = watch("run " .. q(dir .. "/watches.lua"), "ARXIVDIGEST_TEST_CRASH=" .. q(point) .. " ")
        assert.are.equal(137, rc, point .. " was not reached: " .. out)
        old_or_new(dir, before)
        recovered(dir)
      end
    end)

    it("when the run updates the saved index first (pending = 0)", function()
      if not need_core() then return end
      for _, point in ipairs{"archive", "computed", "output:1:half", "state:half"} do
        local dir = prepared(0)
        local before = snapshot(dir)
        local rc, out = watch("run " .. q(dir .. "/watches.lua"), "ARXIVDIGEST_TEST_CRASH=" .. q(point) .. " ")
        assert.are.equal(137, rc, point .. " was not reached: " .. out)
        -- the saved index holds the second file already
        assert.are.equal(2, #assert(ad.load(dir .. "/index/archive.adx")):files())
        old_or_new(dir, before)
        recovered(dir)
      end
    end)

    it("after varying delays (kill -9 from outside)", function()
      if not need_core() then return end
      for _, delay in ipairs{0.01, 0.03, 0.06, 0.1, 0.15, 0.25} do
        local dir = prepared()
        local before = snapshot(dir)
        sh("cd /tmp && " .. ENV .. "lua5.4 " .. q(CLI) .. " watch run "
          .. q(dir .. "/watches.lua") .. " >/dev/null 2>&1 & pid=$!; sleep " .. delay
          .. "; kill -9 $pid 2>/dev/null; wait $pid")
        old_or_new(dir, before)
        recovered(dir)
      end
    end)
  end)

  -- }======================================================

  -- {======================================================
  describe("two runs at once", function()
    it("are serialised by the lock: each paper delivered once", function()
      if not need_core() then return end
      local dir = scenario(7)
      add(dir, F.d0513, true)
      local w = q(dir .. "/watches.lua")
      local cmd = "cd /tmp && " .. ENV .. "lua5.4 " .. q(CLI) .. " watch run " .. w
      local rc, out = sh(cmd .. " > " .. q(dir .. "/a.log") .. " 2>&1 & a=$!; " .. cmd .. " > " .. q(dir .. "/b.log")
        .. " 2>&1 & b=$!; wait $a; ra=$?; wait $b; rb=$?; echo \"$ra $rb\"")
      assert.are.equal(0, rc, out)
      assert.truthy(out:find("0 0"), out)
      local logs = read(dir .. "/a.log") .. read(dir .. "/b.log")
      assert.truthy(logs:find("all: 46 new", 1, true), logs)
      assert.truthy(logs:find("all: 0 new", 1, true), logs)
      local st = state_of(dir)
      assert.are.equal(2, st.run)
      assert.are.equal(46, #st.watches.all.delivered)
    end)

    it("--no-wait exits at once with a clear message; without it, a run waits", function()
      if not need_core() then return end
      if not FLOCK then pending("util-linux flock is not installed") return end
      local dir = scenario(7)
      add(dir, F.d0513, true)
      local w = q(dir .. "/watches.lua")
      assert(sh("mkdir -p " .. q(dir .. "/state")) == 0)
      local lockf = q(dir .. "/state/watches.state.lua.lock")
      local core = require "arxivdigest.core"
      -- another process holds the lock for 2 s
      local _, out = sh("flock " .. lockf .. " sleep 2 & sleep 0.3; cd /tmp && " .. ENV .. "lua5.4 "
        .. q(CLI) .. " watch run " .. w .. " --no-wait; echo \"rc=$?\"; wait")
      assert.truthy(out:find("rc=1"), out)
      assert.truthy(out:find("another run holds the lock", 1, true), out)
      assert.truthy(out:find("not waiting (--no-wait)", 1, true), out)
      assert.is_false(exists(dir .. "/state/watches.state.lua"))
      local t0 = core.now()
      _, out = sh("flock " .. lockf .. " sleep 1.5 & sleep 0.3; cd /tmp && " .. ENV .. "lua5.4 "
        .. q(CLI) .. " watch run " .. w .. "; echo \"rc=$?\"; wait")
      assert.truthy(out:find("rc=0"), out)
      assert.is_true(core.now() - t0 >= 1.4, "did not wait")
      assert.truthy(exists(dir .. "/state/watches.state.lua"))
    end)
  end)

  -- }======================================================

  -- {======================================================
  describe("a malformed watch file", function()
    local function file(src)
      local dir = tmpdir()
      assert(sh("mkdir -p " .. q(dir .. "/archive")) == 0)
      add(dir, F.d0513, true)
      write(dir .. "/w.lua", src)
      return dir, q(dir .. "/w.lua")
    end
    local CASES = {
      {"a syntax error, with its line", "return {\n  archive = 'archive',\n  watches = { { name = 'x' query = 'y' } },\n}\n",
       "w.lua:3:"},
      {"a runtime error, with its line", "local x = nil\nreturn { archive = x.y }\n", "w.lua:2:"},
      {"an unknown top-level key", "return {\n  archive = 'archive',\n  watches = { { name = 'x', query = 'y' } },\n"
        .. "  outptus = {},\n}\n", "w.lua:4: unknown key 'outptus' (known: archive, index, state, pending, title, "
        .. "watches, outputs)"},
      {"an unknown key in a watch", "return {\n  archive = 'archive',\n  watches = {\n    { name = 'a', query = 'y' },\n"
        .. "    { name = 'b',\n      qeury = 'y' },\n  },\n}\n", "w.lua:6: unknown key 'qeury' in watch 'b'"},
      {"an unknown key in an output", "return { archive = 'archive', watches = { { name = 'a', query = 'y' } },\n"
        .. "  outputs = {\n    { format = 'atom', path = 'f.xml', kepe = 3 },\n  } }\n",
       "w.lua:3: unknown key 'kepe' in output 1 (atom)"},
      {"a watch with two kinds", "return { archive = 'archive', watches = {\n  { name = 'a', query = 'y', "
        .. "authors = {'A B'} } } }\n", "w.lua:2: watch 'a' needs exactly one of query, authors, filter, library "
        .. "(got query and authors)"},
      {"a watch without a name", "return { archive = 'archive', watches = {\n  { query = 'y' } } }\n",
       "watch 1 needs a name"},
      {"two watches of one name", "return { archive = 'archive', watches = {\n  { name = 'a', query = 'y' },\n"
        .. "  { name = 'a', query = 'z' } } }\n", "w.lua:3: two watches are named 'a'"},
      {"no archive", "return { watches = { { name = 'a', query = 'y' } } }\n", "'archive' is missing"},
      {"a bad since", "return { archive = 'archive', watches = {\n  { name = 'a', query = 'y',\n    "
        .. "since = '2024-13-01' } } }\n", "w.lua:3: watch 'a': 'since' must be a day"},
      {"an unknown output format", "return { archive = 'archive', watches = { { name = 'a', query = 'y' } },\n"
        .. "  outputs = { { format = 'pdf', path = 'x' } } }\n", "output 1: 'format' must be one of"},
      {"sendmail without to", "return { archive = 'archive', watches = { { name = 'a', query = 'y' } },\n"
        .. "  outputs = { { format = 'email', sendmail = 'sendmail -t' } } }\n", "'sendmail' needs 'to'"},
      {"not a table", "return 42\n", "a watch file must return a table (got number)"},
      {"a file without the file functions of a sandbox", "io.open('/etc/passwd')\nreturn {}\n",
       "w.lua:1: sandbox: io.open is not available"},
    }
    for _, c in ipairs(CASES) do
      it(c[1], function()
        if not need_core() then return end
        local dir, w = file(c[2])
        local rc, out = watch("run " .. w)
        assert.are.equal(1, rc, out)
        assert.truthy(out:find(c[3], 1, true), "expected: " .. c[3] .. "\ngot: " .. out)
        assert.is_false(exists(dir .. "/s.lua"))
      end)
    end

    it("a bad query or a missing library fails that watch; the others deliver (exit 1)", function()
      if not need_core() then return end
      local dir, w = file([[return { archive = "archive", state = "s.lua", index = "i.adx",
        watches = { { name = "bad", query = "depth AND (" },
                    { name = "lib", library = "no-such-library.bib" },
                    { name = "good", query = "network" } },
        outputs = { { format = "jsonl", path = "o.jsonl" }, { format = "html", path = "o.html" } } }]])
      local rc, out = watch("run " .. w)
      assert.are.equal(1, rc, out)
      assert.truthy(out:find("bad: FAILED: bad query 'depth AND (':", 1, true), out)
      assert.truthy(out:find("lib: FAILED: ", 1, true), out)
      assert.truthy(out:find("good: %d+ new"), out)
      local lines = {}
      for l in read(dir .. "/o.jsonl"):gmatch("[^\n]+") do lines[#lines + 1] = json.decode(l) end
      assert.are.equal("bad", lines[1].watch)
      assert.truthy(lines[1].error)
      local good = by_watch(lines, "good")
      assert.truthy(next(good))
      assert.truthy(read(dir .. "/o.html"):find("Error: bad query", 1, true))
      -- the failing watches are not advanced: fixed, they start over
      local st = state_of(dir, "w.lua")
      assert.is_nil(st.watches.bad)
      assert.truthy(st.watches.good.run)
    end)
  end)

  -- }======================================================

  -- {======================================================
  describe("an output that fails", function()
    it("is reported (exit 1) and the state is left as it was: the next run delivers again", function()
      if not need_core() then return end
      local dir = tmpdir()
      assert(sh("mkdir -p " .. q(dir .. "/archive")) == 0)
      add(dir, F.d0513, true)
      write(dir .. "/w.lua", ([[return { archive = "archive", state = "s.lua", index = "i.adx",
        watches = { { name = "nets", query = "network" } },
        outputs = { { format = "jsonl", path = "o.jsonl" },
                    { format = "email", to = "me@example.org", sendmail = "sh %s/sendmail.sh" } } }]]):format(dir))
      write(dir .. "/sendmail.sh", "cat > /dev/null; exit 75\n")
      local w = q(dir .. "/w.lua")
      local rc, out = watch("run " .. w)
      assert.are.equal(1, rc, out)
      assert.truthy(out:find("(email): FAILED: sh " .. dir .. "/sendmail.sh: exit status 75", 1, true), out)
      assert.truthy(out:find("the state was not changed", 1, true), out)
      assert.is_false(exists(dir .. "/s.lua"))
      local first = delivered_now(dir, "o.jsonl")
      assert.is_true(#first > 0)
      -- mended, the next run delivers the same papers, then nothing
      write(dir .. "/sendmail.sh", "cat > " .. q(dir .. "/sent.eml") .. "\n")
      rc, out = watch("run " .. w)
      assert.are.equal(0, rc, out)
      assert.truthy(out:find("sent with sh", 1, true), out)
      assert.are.same(first, delivered_now(dir, "o.jsonl"))
      assert.truthy(read(dir .. "/sent.eml"):find("Content-Type: multipart/alternative;", 1, true))
      rc, out = watch("run " .. w)
      assert.are.equal(0, rc, out)
      assert.are.same({}, delivered_now(dir, "o.jsonl"))
    end)
  end)

  -- }======================================================

  -- {======================================================
  describe("outputs", function()
    it("the Atom feed accumulates: well-formed, entry ids and updated stable across runs, newest `keep`", function()
      if not need_core() then return end
      local dir = tmpdir()
      assert(sh("mkdir -p " .. q(dir .. "/archive")) == 0)
      add(dir, F.d0513, true)
      -- keep: the first day's papers and half of the second's
      local n1 = assert(ad.index(DATA .. F.d0513)):count("network OR networks")
      local n2 = assert(ad.index({DATA .. F.d0513, DATA .. F.d0520})):count("network OR networks") - n1
      assert.is_true(n1 > 3 and n2 > 3)
      local keep = n1 + n2 // 2
      write(dir .. "/w.lua", ([[return { archive = "archive", state = "s.lua", index = "i.adx",
        watches = { { name = "nets", query = "network OR networks" } },
        outputs = { { format = "atom", path = "f.atom", keep = %d, title = "My feed",
                      link = "https://example.org/f.atom" } } }]]):format(keep))
      local w = q(dir .. "/w.lua")
      assert.are.equal(0, (watch("run " .. w)))
      local function entries()
        local root = assert(X.check(read(dir .. "/f.atom")))
        assert.are.equal("feed", root.name)
        local out = {}
        for _, e in ipairs(X.find_all(root, "entry")) do
          out[#out + 1] = {id = X.text(X.child(e, "id")), updated = X.text(X.child(e, "updated")),
            title = X.text(X.child(e, "title"))}
        end
        return out, root
      end
      local e1, root = entries()
      assert.are.equal("My feed", X.text(X.child(root, "title")))
      assert.are.equal(n1, #e1)
      for _, e in ipairs(e1) do
        assert.truthy(e.id:match("^urn:arxivdigest:paper:%d%d%d%d%.%d+$"), e.id)
        assert.truthy(e.updated:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"))
      end
      local feed1 = read(dir .. "/f.atom")
      -- a run with nothing new writes the same feed, byte for byte
      assert(sh("sleep 1.1") == 0)
      assert.are.equal(0, (watch("run " .. w)))
      assert.are.equal(feed1, read(dir .. "/f.atom"))
      -- new papers come first; the old entries keep their ids and updated
      add(dir, F.d0520, true)
      assert.are.equal(0, (watch("run " .. w)))
      local e2 = entries()
      assert.are.equal(keep, #e2)
      local old = {}
      for _, e in ipairs(e1) do old[e.id] = e.updated end
      local fresh, kept = 0, 0
      for i, e in ipairs(e2) do
        if old[e.id] then
          kept = kept + 1
          assert.are.equal(old[e.id], e.updated, e.id)
        else
          fresh = fresh + 1
          assert.is_true(i == fresh, "new entries first")
          assert.is_true(e.updated > e1[1].updated, e.updated .. " after " .. e1[1].updated)
        end
      end
      assert.are.equal(n2, fresh)
      assert.are.equal(keep - n2, kept)
    end)

    local HOSTILE = "# Arxiv Papers in cs.CV on 2020-11-22\n"
      .. "### <script>document.title='pwned'</script> Depth ]]> \27[31m \226\128\174evil\255 & <b>bold</b>\n"
      .. "- **Arxiv ID**: http://arxiv.org/abs/2011.99999v1\n"
      .. "- **DOI**: None\n"
      .. "- **Categories**: **cs.CV**\n"
      .. "- **Links**: [PDF](javascript:alert(1))\n"
      .. "- **Published**: 2020-11-22 08:00:00+00:00\n"
      .. "- **Updated**: 2020-11-22 08:00:00+00:00\n"
      .. "- **Authors**: <img src=x onerror=alert(1)>, Mallory Depth\n"
      .. "- **Comment**: </summary></entry><entry><id>x</id> Bcc: evil@example.com\n"
      .. "- **Journal**: None\n"
      .. "- **Summary**: Depth payload <iframe src=\"javascript:alert(1)\"></iframe> --=_arxivdigest_ "
      .. "\r\n.\r\nFrom evil\n"
    local function hostile_run(extra)
      local dir = tmpdir()
      assert(sh("mkdir -p " .. q(dir .. "/archive")) == 0)
      add(dir, F.d0513, true)
      write(dir .. "/w.lua", [[return { archive = "archive", state = "s.lua", index = "i.adx",
        watches = { { name = "tiefe Schätzung \u{1F50D} – ünïcödé", query = "depth" } },
        outputs = { { format = "atom", path = "f.atom" }, { format = "html", path = "p.html" },
                    { format = "markdown", path = "p.md" }, { format = "jsonl", path = "p.jsonl" },
                    { format = "email", path = "m.eml", to = { "me@example.org", "Zoë <zoe@example.org>" },
                      from = "Wätch Bot <bot@example.org>" } } }]] .. (extra or ""))
      local w = q(dir .. "/w.lua")
      assert.are.equal(0, (watch("run " .. w)))
      write(dir .. "/archive/20201122.md", HOSTILE)
      local rc, out = watch("run " .. w)
      assert.are.equal(0, rc, out)
      return dir
    end

    it("hostile paper text is inert in the feed, the page, the markdown, the jsonl and the e-mail", function()
      if not need_core() then return end
      local dir = hostile_run()
      local atom = read(dir .. "/f.atom")
      assert.truthy(X.check(atom))
      assert.truthy(atom:find("&lt;script&gt;", 1, true))
      assert.is_nil(atom:find("<script", 1, true))
      assert.is_nil(atom:find("<entry><id>x</id>", 1, true))
      assert.is_nil(atom:find("\27", 1, true))
      assert.is_nil(atom:find("\226\128\174", 1, true))
      local html = read(dir .. "/p.html")
      assert.truthy(X.check(html))
      assert.is_nil(html:find("<script", 1, true))
      assert.is_nil(html:find("<img", 1, true))
      assert.is_nil(html:find("<iframe", 1, true))
      assert.is_nil(html:lower():find('href="javascript', 1, true))
      -- markdown: every "<" of paper text is backslashed (the only bare ones
      -- open our own link destinations)
      local md = read(dir .. "/p.md")
      assert.truthy(md:find("\\<script\\>", 1, true))
      for at in md:gmatch("()<") do
        assert.is_true(md:sub(at - 1, at - 1) == "\\" or md:sub(at, at + 8) == "<https://"
          or md:sub(at, at + 7) == "<http://", md:sub(at - 20, at + 20))
      end
      for l in read(dir .. "/p.jsonl"):gmatch("[^\n]+") do
        local o = json.decode(l)
        if o.id == "2011.99999" then assert.truthy(o.title:find("<script>", 1, true)) end
      end
      local eml = read(dir .. "/m.eml")
      -- the headers hold no paper text; no line is bare LF; lines <= 78
      local head = eml:match("^(.-)\r\n\r\n")
      assert.is_nil(head:find("Bcc", 1, true))
      assert.is_nil(head:find("evil", 1, true))
      assert.is_nil(eml:gsub("\r\n", ""):find("\n", 1, true))
      for l in (eml .. "\r\n"):gmatch("(.-)\r\n") do assert.is_true(#l <= 78, l) end
      -- the boundary occurs only as one: in the header and the three delimiters
      -- (the paper's "--=_arxivdigest_" is quoted-printable: "--=3D_arxivdigest_")
      local b = head:match('boundary="([^"]+)"')
      assert.are.equal(4, select(2, eml:gsub(b:gsub("%p", "%%%0"), "")))
      assert.truthy(eml:find("--=3D_arxivdigest_", 1, true))
    end)

    it("the e-mail parses with Python's email package: multipart/alternative, both parts, headers", function()
      if not need_core() then return end
      if not PYTHON then pending("python3 is not installed") return end
      local dir = hostile_run()
      local script = dir .. "/check.py"
      write(script, [[
import email, sys, json
from email import policy
from email.utils import parsedate_to_datetime, getaddresses
raw = open(sys.argv[1], 'rb').read()
m = email.message_from_bytes(raw, policy=policy.default)
out = {'type': m.get_content_type(), 'defects': [str(d) for d in m.defects], 'headers': list(m.keys())}
for h in ['Date', 'From', 'To', 'Subject', 'Message-ID', 'MIME-Version']:
    out[h] = str(m[h]) if m[h] is not None else None
out['date_year'] = parsedate_to_datetime(m['Date']).year
out['to'] = [a for _, a in getaddresses([str(m['To'])])]
out['from_name'] = m['From'].addresses[0].display_name
out['parts'] = [{'type': p.get_content_type(), 'charset': p.get_content_charset(),
                 'cte': p['Content-Transfer-Encoding'], 'body': p.get_content(),
                 'defects': [str(d) for d in p.defects]} for p in m.iter_parts()]
open(sys.argv[2], 'w').write(m.get_body(('html',)).get_content())
print(json.dumps(out))
]])
      local rc, out = sh("python3 " .. q(script) .. " " .. q(dir .. "/m.eml") .. " " .. q(dir .. "/part.html"))
      assert.are.equal(0, rc, out)
      local r = json.decode(out)
      assert.are.equal("multipart/alternative", r.type)
      assert.are.same({}, r.defects)
      for _, h in ipairs{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version"} do
        assert.truthy(r[h], h)
      end
      assert.is_true(r.date_year >= 2020)
      assert.truthy(r["Message-ID"]:match("^<[^<>@]+@example%.org>$"), r["Message-ID"])
      assert.are.equal("1.0", r["MIME-Version"])
      assert.are.same({"me@example.org", "zoe@example.org"}, r.to)
      assert.are.equal("Wätch Bot", r.from_name)
      assert.are.equal("arXiv: 1 new paper (tiefe Schätzung \u{1F50D} – ünïcödé 1)", r.Subject)
      assert.are.equal(2, #r.parts)
      assert.are.equal("text/plain", r.parts[1].type)
      assert.are.equal("text/html", r.parts[2].type)
      for _, p in ipairs(r.parts) do
        assert.are.equal("utf-8", p.charset)
        assert.are.equal("quoted-printable", p.cte)
        assert.are.same({}, p.defects)
      end
      assert.truthy(r.parts[1].body:find("<script>document.title='pwned'</script> Depth", 1, true))
      assert.truthy(r.parts[1].body:find("\r\n.\r\n", 1, true) == nil)
      assert.truthy(r.parts[2].body:find("&lt;script&gt;", 1, true))
      assert.is_nil(r.parts[2].body:find("<script", 1, true))
      -- no header came from paper text
      for _, h in ipairs(r.headers) do assert.is_nil(h:lower():find("bcc")) end

      -- the HTML part in headless Chromium: nothing runs, the page renders
      if not CHROMIUM then pending("chromium is not installed") return end
      local page = dir .. "/part.html"
      local flags = "--headless --no-sandbox --disable-gpu --disable-background-networking "
        .. "--disable-component-update --disable-sync --no-first-run --disable-extensions "
        .. "--user-data-dir=" .. q(dir .. "/profile") .. " "
      rc, out = sh("timeout 60 " .. q(CHROMIUM) .. " " .. flags .. "--dump-dom " .. q("file://" .. page)
        .. " 2>/dev/null")
      assert.are.equal(0, rc, out)
      assert.truthy(out:find("<title>arXiv watches", 1, true))
      assert.is_nil(out:find("<title>pwned", 1, true))
      assert.is_nil(out:find("<script", 1, true))
      assert.truthy(out:find('<article class="paper new"', 1, true))
      assert.truthy(out:find('<table class="chart"', 1, true))
      local png = dir .. "/shot.png"
      rc, out = sh("timeout 60 " .. q(CHROMIUM) .. " " .. flags .. "--hide-scrollbars --window-size=640,800 "
        .. "--screenshot=" .. q(png) .. " " .. q("file://" .. page) .. " 2>/dev/null")
      assert.are.equal(0, rc, out)
      assert.truthy(exists(png), "no screenshot")
      -- not blank: decode the PNG (zlib + unfiltering, Python's standard
      -- library) and count the pixels unlike the background
      write(dir .. "/png.py", [[
import sys, zlib, struct
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat = 8, b''
while pos < len(d):
    n, = struct.unpack('>I', d[pos:pos+4]); t = d[pos+4:pos+8]; body = d[pos+8:pos+8+n]; pos += 12 + n
    if t == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    if t == b'IDAT': idat += body
assert depth == 8
bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
raw, stride, prev, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), 0
colors = {}
for y in range(h):
    f = raw[i]; i += 1
    cur = bytearray(raw[i:i+stride]); i += stride
    for x in range(stride):
        a = cur[x-bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
        if f == 1: cur[x] = (cur[x] + a) & 255
        elif f == 2: cur[x] = (cur[x] + b) & 255
        elif f == 3: cur[x] = (cur[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            cur[x] = (cur[x] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
    for x in range(0, stride, bpp):
        k = bytes(cur[x:x+3])
        colors[k] = colors.get(k, 0) + 1
    prev = cur
bg = max(colors.values())
print(w, h, len(colors), w * h - bg)
]])
      rc, out = sh("python3 " .. q(dir .. "/png.py") .. " " .. q(png))
      assert.are.equal(0, rc, out)
      local w, h, ncolors, ink = out:match("(%d+) (%d+) (%d+) (%d+)")
      w, h, ncolors, ink = tonumber(w), tonumber(h), tonumber(ncolors), tonumber(ink)
      assert.are.equal(640, w)
      assert.is_true(ncolors > 20, "colors: " .. tostring(ncolors))
      assert.is_true(ink > w * h / 100, "pixels unlike the background: " .. tostring(ink))
    end)

    it("HTML: grouped by watch, why each paper matched, a chart of the last weeks", function()
      if not need_core() then return end
      local dir = scenario(7)
      add(dir, F.d0513, true)
      assert.are.equal(0, (watch("run " .. q(dir .. "/watches.lua"))))
      add(dir, F.d1019, true)
      assert.are.equal(0, (watch("run " .. q(dir .. "/watches.lua"))))
      local html = read(dir .. "/out/today.html")
      local root = assert(X.check(html))
      local sections = 0
      for _, s in ipairs(X.find_all(root, "section")) do
        if s.attrs.class == "watch" then sections = sections + 1 end
      end
      assert.are.equal(4, sections)
      -- why: the followed author, the query's terms (and the passage), the filter
      assert.truthy(html:find("followed &#39;Enea Ceolini&#39; matched author &#39;Enea Ceolini&#39;", 1, true))
      assert.truthy(html:find("depth in the ", 1, true) or html:find("stereo in the ", 1, true))
      assert.truthy(html:find("<mark>depth</mark>", 1, true) or html:find("<mark>stereo</mark>", 1, true))
      assert.truthy(html:find("<li>filter all</li>", 1, true), "the filter watch says its filter")
      -- the chart: 8 weeks, the delivered weeks counted
      local chart = html:match('<table class="chart".-</table>')
      assert.truthy(chart)
      assert.are.equal(8, select(2, chart:gsub("<tr>", "")))
      local md = read(dir .. "/out/today.md")
      assert.truthy(md:find("## people (", 1, true))
    end)
  end)
  -- }======================================================
end)
