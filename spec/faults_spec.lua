-- Faults (issue 5): out of memory inside the C core, saved indexes that are
-- truncated, bit-flipped, foreign or empty, a process killed in the middle of
-- a save, and readers loading while a writer saves.
local ad = require "arxivdigest"

local SCAN = "spec/fixtures/fuzz/scan/"

local H = dofile("spec/helper.lua")
local slurp, spit = H.read, H.write


local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  return p
end

local run = H.sh   -- a shell command: exit status, output

-- A shell command line that runs a Lua script file with this process's module
-- paths (and, under `make test-asan`, the ASan runtime the C module needs).
local function lua_cmd(script)
  local env = ""
  local rt = os.getenv("AD_ASAN_RT")
  if rt then   -- under `make test-asan`: the module needs the ASan runtime
    env = "LD_PRELOAD='" .. rt .. "' ASAN_OPTIONS=detect_leaks=0 "
  end
  local pre = ("package.path=%q package.cpath=%q"):format(package.path, package.cpath)
  return env .. "lua5.4 -e '" .. pre:gsub("'", "'\\''") .. "' '" .. script .. "'"
end

describe("out of memory", function()
  it("every allocation failure inside the core raises a Lua error and leaks nothing", function()
    -- csrc/test/oom_test.c: every failure point of require/open/parse/field
    -- reads/totable, in three modes (one failure, exhaustion, byte cap)
    if os.getenv("AD_ASAN_RT") then
      -- the harness is a program of its own on the plain build: under the ASan
      -- suite it would run again, identically (make test runs it; its ASan
      -- variant is make oom-test-asan)
      pending("the out-of-memory harness runs in make test (and make oom-test-asan)")
      return
    end
    local rc, out = run("env -u LD_PRELOAD make -s --no-print-directory oom-test")
    assert.is_true(rc == 0 and out:find("oom_test: ok", 1, true) ~= nil, out)
    for _, s in ipairs({"require", "open", "open_slash", "open_list", "parse_messy", "totable",
                          "index", "save_load", "index_extra"}) do
      assert.truthy(out:find("oom " .. s .. " +%d+ allocation points"), "scenario " .. s .. " did not run")
    end
  end)
end)

-- {====================================================== saved index
local have_index = pcall(require, "arxivdigest.index")

local QUERIES = {
  "segmentation", "depth estimation", '"neural network"', "cat:cs.CV", "detect*",
  "video OR image", "-survey learning", "au:Ceolini", "year:2019", "has:doi",
}

-- what a saved index answers, as one comparable string
local function answers(idx)
  local out = {}
  for _, q in ipairs(QUERIES) do
    local hits = idx:search(q, {limit = 20})
    local ids = {}
    for i, h in ipairs(hits) do ids[i] = h.paper.id .. "@" .. ("%.4f"):format(h.score) end
    out[#out + 1] = q .. " => " .. idx:count(q) .. " " .. table.concat(ids, ",")
  end
  local p = idx:get("1910.11126")
  out[#out + 1] = p and (p.id .. " " .. p.title) or "no 1910.11126"
  return table.concat(out, "\n")
end

-- Load a damaged file: either a clear error (at load or at the first query)
-- or exactly the reference answers. Returns "error" or "same".
local function load_damaged(path, ref)
  local ok, idx, err = pcall(ad.load, path)
  if not ok then           -- raised: must be a clear message, not a crash
    assert.is_string(idx)
    return "error", idx
  end
  if idx == nil then
    assert.is_string(err)
    assert.is_true(#err > 0)
    return "error", err
  end
  local ok2, got = pcall(answers, idx)
  if not ok2 then
    assert.is_string(got)
    return "error", got
  end
  if got ~= ref then error("a damaged index gave different results without an error: " .. path, 2) end
  return "same"
end

describe("saved index faults", function()
  local dir, path, data, ref
  if not have_index then
    pending("the index (arxivdigest.index) has not landed yet")
    return
  end

  setup(function()
    dir = tmpdir()
    path = dir .. "/good.adx"
    local idx = ad.index({SCAN, "examples/data/"})
    assert(idx:save(path))
    data = slurp(path)
    ref = answers(idx)
    assert.equal(ref, answers(assert(ad.load(path))))
  end)
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("an empty file is a clear error", function()
    spit(dir .. "/empty.adx", "")
    local idx, err = ad.load(dir .. "/empty.adx")
    assert.is_nil(idx)
    assert.truthy(err:find(dir .. "/empty.adx", 1, true))
  end)

  it("a missing file is an I/O error naming it", function()
    local idx, err = ad.load(dir .. "/nope.adx")
    assert.is_nil(idx)
    assert.truthy(err:find(dir .. "/nope.adx", 1, true))
  end)

  it("a foreign file (wrong magic) is a clear error", function()
    for _, bytes in ipairs({"XXXX" .. data:sub(5), ("\0"):rep(#data), slurp(SCAN .. "catalog_small.md")}) do
      spit(dir .. "/foreign.adx", bytes)
      local idx, err = ad.load(dir .. "/foreign.adx")
      assert.is_nil(idx)
      assert.truthy(err:find(dir .. "/foreign.adx", 1, true))
    end
  end)

  it("a truncated file is a clear error, at every length tried", function()
    local n = #data
    local lengths = {0, 1, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 4095, 4096, n - 1, n // 2}
    for k = 1, 60 do lengths[#lengths + 1] = n * k // 61 end
    for _, len in ipairs(lengths) do
      if len < n then
        spit(dir .. "/cut.adx", data:sub(1, len))
        local idx, err = ad.load(dir .. "/cut.adx")
        assert.is_nil(idx, "a file cut to " .. len .. " of " .. n .. " bytes loaded")
        assert.is_string(err)
      end
    end
  end)

  it("bit flips anywhere give a clear error or the very same answers", function()
    local n, seen = #data, {error = 0, same = 0}
    local rnd = 4242
    for k = 0, 299 do
      rnd = (rnd * 1103515245 + 12345) % 2147483648
      local pos = (k < 100) and (k * n // 100 + 1) or (rnd % n + 1)   -- spread, then random
      local bit = 1 << (rnd % 8)
      local b = data:byte(pos) ~ bit
      spit(dir .. "/flip.adx", data:sub(1, pos - 1) .. string.char(b) .. data:sub(pos + 1))
      local what = load_damaged(dir .. "/flip.adx", ref)
      seen[what] = seen[what] + 1
    end
    assert.is_true(seen.error > 0)
  end)

  it("appended garbage is an error", function()
    spit(dir .. "/long.adx", data .. "garbage")
    local what = load_damaged(dir .. "/long.adx", ref)
    assert.equal("error", what)
  end)
end)

describe("saving under stress", function()
  if not have_index then
    pending("the index (arxivdigest.index) has not landed yet")
    return
  end
  local dir, refA, refB
  local SRC_A = {"examples/data/"}
  local SRC_B = {SCAN}
  local BIG = "../shared/corpus/cs.CV-2019"

  setup(function()
    dir = tmpdir()
    refA = answers(ad.index(SRC_A))
    refB = answers(ad.index(SRC_B))
    assert.is_true(refA ~= refB, "the two test indexes answer alike")
  end)
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("SIGKILL in the middle of save leaves the previous file loadable and correct", function()
    local target = dir .. "/kill.adx"
    assert(ad.index(SRC_A):save(target))
    -- the child builds two indexes (the whole 2019 corpus, and the scanner
    -- seeds), says so in a file, then saves them in turn forever
    local big = io.open(BIG) and BIG or "examples/data/"
    local child, ready = dir .. "/saver.lua", dir .. "/ready"
    spit(child, ([[
      local ad = require "arxivdigest"
      local a = ad.index(%q)
      local big = ad.index(%q)
      io.open(%q, "w"):close()
      while true do
        assert(big:save(%q))
        assert(a:save(%q))
      end
    ]]):format(SCAN, big, ready, target, target))
    local refBig = answers(ad.index(big))
    local refScan = refB
    local kinds = {A = 0, big = 0, scan = 0}
    for round = 1, 8 do
      -- kill it 0 to 140 ms after it starts saving
      local delay = (round - 1) * 0.02
      assert(os.execute(([[
        %s >/dev/null 2>&1 & pid=$!
        i=0; while [ ! -f '%s' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
        sleep %.2f; kill -9 $pid; wait $pid 2>/dev/null; rm -f '%s'; true]])
        :format(lua_cmd(child), ready, delay, ready)))
      local idx, err = ad.load(target)
      assert(idx, "after SIGKILL: " .. tostring(err))
      local got = answers(idx)
      local kind = got == refA and "A" or got == refBig and "big" or got == refScan and "scan" or nil
      assert(kind, "after SIGKILL the index answers like none of the indexes saved")
      kinds[kind] = kinds[kind] + 1
    end
    -- the child did run and save (the kills were not all before its first save)
    assert.is_true(kinds.big + kinds.scan > 0, "the saving child never saved")
    -- the next save removes the temporary files the killed savers left, and
    -- never a file of a live process (a fake one named with this process's
    -- parent's pid, which is alive) or another target's
    local function leftovers()
      local n = 0
      for name in io.popen("ls -a '" .. dir .. "'"):lines() do
        if name:match("^kill%.adx%.tmp") then n = n + 1 end
      end
      return n
    end
    local ppid = io.popen("echo $PPID"):read("l")
    local live = ("%s/kill.adx.tmp.%s.abcdef"):format(dir, ppid)
    local other = dir .. "/other.adx.tmp.999999999.abcdef"
    spit(live, "x")
    spit(other, "x")
    spit(dir .. "/kill.adx.tmp.999999999.abcdef", "x")  -- no such process
    assert(ad.index(SRC_A):save(target))
    assert.are.equal(1, leftovers(), "only the live process's temporary file stays")
    assert.truthy(io.open(live), "a live process's temporary file was removed")
    assert.truthy(io.open(other), "another target's temporary file was removed")
    os.remove(live)
    os.remove(other)
    if os.getenv("AD_FAULTS_VERBOSE") then
      io.stderr:write("files after the kills: ", io.popen("ls -la " .. dir):read("a"))
    end
  end)

  it("readers loading while a writer saves see the old or the new index, never a mix", function()
    local target = dir .. "/rw.adx"
    assert(ad.index(SRC_A):save(target))
    local writer, reader = dir .. "/writer.lua", dir .. "/reader.lua"
    spit(writer, ([[
      local ad = require "arxivdigest"
      local a, b = ad.index(%q), ad.index(%q)
      for _ = 1, 40 do assert(b:save(%q)); assert(a:save(%q)) end
      io.open(%q, "w"):close()
    ]]):format("examples/data/", SCAN, target, target, dir .. "/writer.done"))
    -- the reader prints one line per load: A, B, or X (neither)
    spit(reader, ([[
      local ad = require "arxivdigest"
      local QUERIES = %s
      local refA, refB = %q, %q
      %s
      local deadline = os.time() + 60
      local done = %q
      for n = 1, 100000 do
        local idx, err = ad.load(%q)
        if not idx then print("E " .. tostring(err))
        else
          local got = answers(idx)
          print(got == refA and "A" or got == refB and "B" or "X")
        end
        if (n >= 20 and io.open(done)) or os.time() > deadline then break end
      end
    ]]):format("{" .. ("%q,"):rep(#QUERIES):format(table.unpack(QUERIES)) .. "}", refA, refB,
      [[local function answers(idx)
        local out = {}
        for _, q in ipairs(QUERIES) do
          local hits = idx:search(q, {limit = 20})
          local ids = {}
          for i, h in ipairs(hits) do ids[i] = h.paper.id .. "@" .. ("%.4f"):format(h.score) end
          out[#out + 1] = q .. " => " .. idx:count(q) .. " " .. table.concat(ids, ",")
        end
        local p = idx:get("1910.11126")
        out[#out + 1] = p and (p.id .. " " .. p.title) or "no 1910.11126"
        return table.concat(out, "\n")
      end]], dir .. "/writer.done", target))
    local rc, out = run(("(%s || echo WRITER-FAILED) & (%s > %s/r1.out || echo READER-FAILED) & " ..
      "(%s > %s/r2.out || echo READER-FAILED) & wait"):format(
      lua_cmd(writer), lua_cmd(reader), dir, lua_cmd(reader), dir))
    assert.equal(0, rc, out)
    assert.is_nil(out:find("FAILED", 1, true), out)
    local counts = {A = 0, B = 0}
    for _, r in ipairs({"r1", "r2"}) do
      for line in io.lines(dir .. "/" .. r .. ".out") do
        assert.is_true(line == "A" or line == "B", "a reader saw: " .. line)
        counts[line] = counts[line] + 1
      end
    end
    assert.is_true(counts.A > 0 and counts.B > 0, ("the readers saw A %d times, B %d times")
      :format(counts.A, counts.B))
  end)
end)
-- }======================================================
