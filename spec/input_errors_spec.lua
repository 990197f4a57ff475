-- The "Smaller" findings of issue 11: what ad.open reads (a FIFO nobody
-- writes to, /dev/zero), errors that name the file or the public function,
-- and integer counts. See ad_read_file in csrc/ad_corpus.c for the rule:
-- regular files, pipes named explicitly (a named pipe with no writer is
-- waited for 3 s, then refused) and stdin are read; devices are refused.
local ad = require "arxivdigest"

local H = dofile("spec/helper.lua")
local shell_quote, run = H.shell_quote, H.sh

-- Lua source in a child lua5.4 (a hang is cut by timeout), stdin from `input`
local function run_lua(src, input) return H.run_lua(src, {timeout = 60, input = input or "/dev/null"}) end

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir -p " .. shell_quote(d)))
  return d
end

describe("reading: what ad.open reads and refuses", function()
  it("a named pipe that nobody writes to is refused after a short wait, never hangs", function()
    local dir = tmpdir()
    local fifo = dir .. "/p.md"
    assert(os.execute("mkfifo " .. shell_quote(fifo)))
    local rc, out = run_lua(([[
      local ad = require "arxivdigest"
      local t = os.time()
      local c, err, code = ad.open(%q)
      print("open", c, err, code, os.time() - t)
      local idx, ierr = ad.index(%q)
      print("index", idx, ierr)
    ]]):format(fifo, fifo))
    os.execute("rm -rf " .. shell_quote(dir))
    assert.are.equal(0, rc, out)
    local secs = tonumber(out:match("open\tnil\t[^\n]*\t6\t(%d+)"))
    assert.is_not_nil(secs, out)
    assert.is_true(secs <= 10, out)
    assert.truthy(out:find(fifo .. ": a named pipe that no process writes to (waited 3 s)", 1, true), out)
    assert.truthy(out:find("index\tnil\t" .. fifo .. ": a named pipe", 1, true), out)
  end)

  it("a named pipe whose writer comes late, and writes later still, is read to its end", function()
    local dir = tmpdir()
    local fifo = dir .. "/p.md"
    assert(os.execute("mkfifo " .. shell_quote(fifo)))
    -- the writer opens the pipe after 1 s and writes after 4 s (past the 3 s wait)
    assert(os.execute("(timeout 30 sh -c 'sleep 1; exec 3>" .. fifo .. "; sleep 3;" ..
                      " cat examples/data/003_ce175d6736be5667.txt >&3' &) >/dev/null 2>&1"))
    local c, err = ad.open(fifo)
    os.execute("rm -rf " .. shell_quote(dir))
    assert.is_not_nil(c, err)
    assert.are.equal(22, #c)
  end)

  it("/dev/zero and other devices are refused as not regular files (nothing is read)", function()
    for _, dev in ipairs{"/dev/zero", "/dev/urandom"} do  -- (/dev/null may be our stdin)
      local c, err, code = ad.open(dev)
      assert.is_nil(c)
      assert.are.equal(dev .. ": not a regular file (a character device)", err)
      assert.are.equal(19, code)   -- ENODEV
      local idx, ierr = ad.index({"examples/data/003_ce175d6736be5667.txt", dev})
      assert.is_nil(idx)
      assert.are.equal(dev .. ": not a regular file (a character device)", ierr)
    end
  end)

  it("stdin is read whatever it is: a pipe, a file, or /dev/null", function()
    local rc, out = run_lua([[
      local c = assert(require("arxivdigest").open("/dev/stdin"))
      print("papers", #c)
    ]], "examples/data/003_ce175d6736be5667.txt")
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("papers\t22", 1, true), out)
    rc, out = run_lua([[
      local c = assert(require("arxivdigest").open("/dev/stdin"))
      print("papers", #c)
    ]], "/dev/null")
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("papers\t0", 1, true), out)
  end)
end)

describe("writing: idx:save never renames over what is not a regular file", function()
  it("refuses a named pipe, a directory and a device node, and leaves them as they were", function()
    local dir = tmpdir()
    assert(os.execute("mkfifo " .. shell_quote(dir .. "/fifo") .. " && mkdir " .. shell_quote(dir .. "/sub")))
    -- a device node of our own (root only: else the FIFO and the folder are enough)
    local dev = os.execute("mknod " .. shell_quote(dir .. "/null") .. " c 1 3 2>/dev/null")
    local idx = assert(ad.index("examples/data/003_ce175d6736be5667.txt", {threads = 1}))
    local want = {fifo = "not a regular file (a named pipe)", sub = "Is a directory",
                  null = dev and "not a regular file (a character device)" or nil}
    for name, msg in pairs(want) do
      local ok, err = idx:save(dir .. "/" .. name)
      assert.is_nil(ok)
      assert.are.equal(dir .. "/" .. name .. ": " .. msg, err)
    end
    assert.is_true(idx:save(dir .. "/x.adx"))
    local rc, out = run("ls -l " .. shell_quote(dir))
    idx:close()
    os.execute("rm -rf " .. shell_quote(dir))
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("\np[^\n]* fifo\n"), out)
    if dev then assert.truthy(out:find("\nc[^\n]* null\n"), out) end
  end)
end)

describe("writing: reports never rename over what is not a regular file", function()
  -- arxivdigest.output is the one writer of pipelines, scripts, watches and
  -- the command's -o; as root, renaming over /dev/full replaced the device
  -- node with the report (found while testing full-disk errors)
  it("pipeline:write and output.atomic refuse a named pipe, a directory and a device node; -o a directory", function()
    local dir = tmpdir()
    assert(os.execute("mkfifo " .. shell_quote(dir .. "/fifo") .. " && mkdir " .. shell_quote(dir .. "/sub")))
    local dev = os.execute("mknod " .. shell_quote(dir .. "/full") .. " c 1 7 2>/dev/null")
    local want = {fifo = "not a regular file (a named pipe)", sub = "Is a directory",
                  full = dev and "not a regular file (a character device)" or nil}
    local output = require "arxivdigest.output"
    for name, msg in pairs(want) do
      local path = dir .. "/" .. name
      local ok, err = ad.from("examples/data/003_ce175d6736be5667.txt"):format("jsonl"):write(path)
      assert.is_nil(ok)
      assert.are.equal(path .. ": " .. msg, err)
      local called = false
      ok, err = output.atomic(path, function(write) called = true; write("x") end)
      assert.is_nil(ok)
      assert.are.equal(path .. ": " .. msg, err)
      assert.is_false(called)
      -- the command's -o writes a named pipe or a device in place (never
      -- renamed over: spec/cli_spec.lua "-o writes to /dev/null, ..."), and
      -- refuses a directory
      if name == "sub" then
        local rc, out = run("bin/arxivdigest export --to csv examples/data/003_ce175d6736be5667.txt -o "
                            .. shell_quote(path))
        assert.are.equal(1, rc, out)
        assert.are.equal("arxivdigest: " .. path .. ": " .. msg .. "\n", out)
      end
    end
    -- a regular file, and a link to one, are replaced as before
    assert.is_true(output.atomic(dir .. "/x.txt", function(write) write("x") end))
    local rc, out = run("ls -la " .. shell_quote(dir))
    os.execute("rm -rf " .. shell_quote(dir))
    assert.are.equal(0, rc, out)
    assert.truthy(out:find("\np[^\n]* fifo\n"), out)
    assert.truthy(out:find("\nd[^\n]* sub\n"), out)
    if dev then assert.truthy(out:find("\nc[^\n]* full\n"), out) end
    assert.is_nil(out:find("%.tmp"), out)        -- no temporary file left behind
  end)

  it("a symbolic link is written through: the file it points at is replaced, the link kept", function()
    -- (a rename over a link replaces the link: as root, -o /dev/stdout with
    -- stdout redirected to a file would have replaced /dev/stdout itself)
    local dir = tmpdir()
    local q = function(p) return shell_quote(dir .. "/" .. p) end
    assert(os.execute("mkdir " .. q("real") .. " && echo old > " .. q("real/a.txt")
      .. " && ln -s real/a.txt " .. q("l1") .. " && ln -s l1 " .. q("l2")            -- a chain, relative
      .. " && ln -s " .. q("real/new.txt") .. " " .. q("dangling")                    -- absolute, no file yet
      .. " && ln -s real/i.adx " .. q("idx")))
    local output = require "arxivdigest.output"
    assert.is_true(output.atomic(dir .. "/l2", function(write) write("via l2\n") end))
    assert.is_true(output.atomic(dir .. "/dangling", function(write) write("new\n") end))
    local rc, out = run("bin/arxivdigest export --to csv examples/data/003_ce175d6736be5667.txt -o " .. q("l1"))
    assert.are.equal(0, rc, out)
    local idx = assert(ad.index("examples/data/003_ce175d6736be5667.txt", {threads = 1}))
    assert.is_true(idx:save(dir .. "/idx"))
    idx:close()
    local ls
    rc, ls = run("ls -l " .. q("") .. " " .. q("real"))
    local a = H.read(dir .. "/real/a.txt")
    local new = H.read(dir .. "/real/new.txt")
    local loaded = ad.load(dir .. "/idx")
    os.execute("rm -rf " .. shell_quote(dir))
    assert.are.equal(0, rc, ls)
    for _, link in ipairs{"l1 %-> real/a%.txt", "l2 %-> l1", "dangling %-> .*/real/new%.txt", "idx %-> real/i%.adx"} do
      assert.truthy(ls:find("\nl[^\n]* " .. link .. "\n"), ls)
    end
    assert.truthy(a:find("^id,version,title"), a)          -- the export, through l1
    assert.are.equal("new\n", new)
    assert.truthy(loaded and #loaded > 0)
    assert.is_nil(ls:find("%.tmp"), ls)
  end)

  it("a full disk on stdout is 'stdout: reason', exit 1, for every command", function()
    local f = io.open("/dev/full", "wb")
    if not f then return pending("no /dev/full") end
    f:close()
    for _, cmd in ipairs{"search depth", "stats", "show 2005.09623", "export --to csv",
                         "export --to jsonl", "similar 2005.09623", "--version"} do
      local rc, out = run("{ bin/arxivdigest " .. cmd .. " examples/data > /dev/full; }")
      assert.are.equal(1, rc, cmd .. ": " .. out)
      assert.are.equal("arxivdigest: stdout: No space left on device\n", out, cmd)
    end
    -- from Lua: a pipeline written to a file handle that fails names it
    f = assert(io.open("/dev/full", "wb"))
    local ok, e = pcall(function() return ad.from("examples/data"):format("jsonl"):write(f) end)
    f:close()
    assert.is_false(ok)
    assert.are.equal("output file: No space left on device", e)
  end)
end)

describe("errors name the file and the public function", function()
  it("a corrupted saved index names its file in every error", function()
    local dir = tmpdir()
    local path = dir .. "/x.adx"
    local idx = assert(ad.index("examples/data", {threads = 1}))
    assert(idx:save(path))
    idx:close()
    local f = assert(io.open(path, "rb"))
    local good = f:read("a")
    f:close()
    local unnamed, failures = {}, 0
    local function try(fn)
      local ok, e = pcall(fn)
      if not ok then
        failures = failures + 1
        if not tostring(e):find(path, 1, true) then unnamed[#unnamed + 1] = tostring(e) end
      end
    end
    for k = 1, 60 do
      local off = k * #good // 61
      f = assert(io.open(path, "wb"))
      f:write(good:sub(1, off), string.char((good:byte(off + 1) + k) % 256), good:sub(off + 2))
      f:close()
      local lx, err = ad.load(path)
      if not lx then
        failures = failures + 1
        if not tostring(err):find(path, 1, true) then unnamed[#unnamed + 1] = tostring(err) end
      else
        try(function() for _, h in ipairs(lx:search("depth estimation", {limit = 50})) do h:snippet() end end)
        try(function() return lx:count("cat:cs.CV"), lx:trend("depth") end)
        try(function() for p in lx:papers() do local _, _, _ = p.title, p.categories, p.history end end)
        try(function() return lx:stats(), lx:files() end)
        try(function() return lx:similar("depth estimation from video") end)
        lx:close()
      end
    end
    os.execute("rm -rf " .. shell_quote(dir))
    assert.are.same({}, unnamed)
    assert.is_true(failures > 30)
  end)

  it("index misuse names the public method, never an internal one", function()
    local idx = assert(ad.index("examples/data/003_ce175d6736be5667.txt", {threads = 1}))
    local cases = {
      search = function() return idx:search(5) end,
      count = function() return idx:count(true) end,
      trend = function() return idx:trend("x", "week") end,
      similar = function() return idx:similar(5) end,
      get = function() return idx:get({}) end,
    }
    for name, f in pairs(cases) do
      local ok, e = pcall(f)
      assert.is_false(ok)
      assert.truthy(e:find("bad argument #1 to '" .. name .. "'", 1, true) or
                    e:find("bad argument #2 to '" .. name .. "'", 1, true), e)
      assert.is_nil(e:find("'_", 1, true), e)
    end
    idx:close()
  end)
end)

describe("counts are integers", function()
  it("from(x):limit(5, 1.0):count() is the integer 5 for a collection, an index and paths", function()
    local c = assert(ad.open("examples/data", {threads = 1}))
    local idx = assert(ad.index(c, {threads = 1}))
    for _, src in ipairs{c, idx, "examples/data"} do
      local n = ad.from(src):limit(5, 1.0):count()
      assert.are.equal("integer", math.type(n))
      assert.are.equal(5, n)
      local ok, e = pcall(function() return ad.from(src):limit(5, 1.5):count() end)
      assert.is_false(ok)
      assert.truthy(e:find("bad argument #2 to 'limit'", 1, true), e)
    end
    idx:close(); c:close()
  end)
end)
