-- ad.open on several threads (issue 2): whatever the thread count, the same
-- collection as with threads = 1 (files, every record with every span, flag,
-- line, date and file index, warnings in order) and the same error. Inputs:
-- the spec fixtures, the bundled sample, the 2019 cs.CV corpus of ../shared
-- when present, and a folder of hostile files made here (a file over 16 MiB,
-- files that cannot be read or listed, a pipe, links, empty files...).
-- `_parallel_min_bytes = 0` makes small inputs use threads too.
local ad = require "arxivdigest"

local H = dofile("spec/helper.lua")
local slurp, spit = H.read, H.write

local CORPUS = os.getenv("ARXIVDIGEST_CORPUS") or "../shared/corpus/cs.CV-2019"
local ROOT = os.execute("test \"$(id -u)\" = 0") == true

local function sh(cmd)
  assert(os.execute(cmd) == true, "failed: " .. cmd)
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- Everything a collection holds, as Lua values (for readable differences).
local function snapshot(c)
  local recs = {}
  for i = 1, #c do recs[i] = c[i]:totable() end
  return { n = #c, files = c:files(), warnings = c:warnings(), records = recs, memory = c:memory() }
end

local FORCE = 0  -- _parallel_min_bytes: threads even for small inputs

-- ad.open(paths) with threads = 1, 2 and 4 gives one collection (threads
-- are really used for the last two unless `serial`); returns it.
local function check_same(paths, serial)
  local one = assert(ad.open(paths, { threads = 1 }))
  assert.are.equal(1, one:_threads())
  local want, dump = snapshot(one), one:_dump()
  for _, n in ipairs({ 2, 4 }) do
    local c = assert(ad.open(paths, { threads = n, _parallel_min_bytes = FORCE }))
    if not serial then
      assert.is_true(c:_threads() > 1, "no thread was started for " .. n)
    end
    assert.are.same(want, snapshot(c))
    assert.is_true(dump == c:_dump(), "threads = " .. n .. ": the records differ in their raw spans")
  end
  -- the default thread count, with its size threshold
  local d = assert(ad.open(paths))
  assert.are.same(want, snapshot(d))
  assert.is_true(dump == d:_dump(), "default threads: the records differ in their raw spans")
  return one
end

-- The same failure (nil, "path: reason", errno) for every thread count.
local function check_same_error(paths)
  local a, b, e = ad.open(paths, { threads = 1 })
  assert.is_nil(a)
  for _, n in ipairs({ 2, 4 }) do
    local x, y, z = ad.open(paths, { threads = n, _parallel_min_bytes = FORCE })
    assert.are.same({ a, b, e }, { x, y, z })
  end
  local x, y, z = ad.open(paths)
  assert.are.same({ a, b, e }, { x, y, z })
  return b, e
end

describe("ad.open on several threads", function()
  it("validates the threads option", function()
    for _, bad in ipairs({ 0, -1, 1.5, "2", true, {} }) do
      local ok, err = pcall(ad.open, "examples/data", { threads = bad })
      assert.is_false(ok)
      assert.matches("bad argument #2 .*threads must be an integer >= 1", err)
    end
    local ok, err = pcall(ad.open, "examples/data", 4)
    assert.is_false(ok)
    assert.matches("bad argument #2 .*table expected", err)
    assert.is_truthy(ad.open("examples/data", { threads = 2.0 }))
    assert.is_truthy(ad.open("examples/data", { threads = 1000 }))
    assert.is_truthy(ad.open("examples/data", {}))
    assert.is_truthy(ad.open("examples/data", nil))
  end)

  it("starts no thread for small inputs or a single file", function()
    assert.are.equal(1, assert(ad.open("examples/data")):_threads())
    assert.are.equal(1, assert(ad.open("examples/data", { threads = 4 })):_threads())
    local one = "examples/data/000_21fb7b7deb0de965.txt"
    assert.are.equal(1, assert(ad.open(one, { threads = 4, _parallel_min_bytes = FORCE })):_threads())
    -- at most one thread per file
    local two = { one, "examples/data/001_906e1fea553eeaa8.txt" }
    assert.are.equal(2, assert(ad.open(two, { threads = 8, _parallel_min_bytes = FORCE })):_threads())
  end)

  it("gives the serial result on the spec fixtures and the bundled sample", function()
    check_same("spec/fixtures")
    check_same("spec/fixtures/bad")
    check_same("examples/data")
    check_same({ "examples/data", "spec/fixtures/catalog/20190114.md", "spec/fixtures/bad",
      "examples/data/003_ce175d6736be5667.txt" })
    check_same({ "spec/fixtures/bad/empty.md", "spec/fixtures/bad/not_a_digest.txt",
      "spec/fixtures/bad/truncated_catalog.md", "spec/fixtures/bad/crlf.md", "spec/fixtures/bad/bom.md" })
  end)

  it("gives the serial result on the 2019 cs.CV corpus", function()
    if not exists(CORPUS .. "/01/20190101.md") then
      pending("corpus not found at " .. CORPUS .. " (set ARXIVDIGEST_CORPUS): skipped")
      return
    end
    local c = check_same(CORPUS)
    assert.is_true(#c >= 11000)
    local d = assert(ad.open(CORPUS))  -- 20 MB: the default uses threads
    local cpus = tonumber(io.popen("nproc"):read("l")) or 1
    assert.are.equal(math.min(cpus, 8), d:_threads())
  end)

  describe("on hostile folders", function()
    local dir
    setup(function()
      local p = os.tmpname()
      os.remove(p)
      dir = p .. "/h"
      sh("mkdir -p '" .. dir .. "/sub/dir.md' '" .. dir .. "/deep'")
      local bom = slurp("spec/fixtures/bad/bom.md")
      for name in io.popen("ls spec/fixtures/bad"):lines() do
        spit(dir .. "/" .. name, slurp("spec/fixtures/bad/" .. name))
      end
      for i = 1, 30 do  -- many small files: the threads take turns
        spit(("%s/sub/%02d.md"):format(dir, i), i % 3 == 0 and bom or
          slurp("spec/fixtures/catalog/20190223.md"):sub(1, 400 * i))
      end
      spit(dir .. "/sub/dir.md/inside.md", bom)
      spit(dir .. "/sub/zero.txt", "")
      spit(dir .. "/sub/crlf.md", (slurp("spec/fixtures/catalog/20190518.md"):gsub("\n", "\r\n")))
      -- over 16 MiB: a buffer (serial) or a mapping (threads) of its own
      local cat = slurp("spec/fixtures/catalog/20190114.md")
      local head, recs = cat:match("^(.-\n)(###.*)$")
      spit(dir .. "/sub/big.md", head .. recs:rep(math.ceil(17 * 1024 * 1024 / #recs)))
      -- not followed: links to folders; followed: links to files
      sh("ln -s ../sub '" .. dir .. "/sub/loop.md'")
      sh("ln -s 01.md '" .. dir .. "/sub/link.md'")
      sh("ln -s nowhere.md '" .. dir .. "/sub/dangling.md'")
      sh("mkfifo '" .. dir .. "/sub/fifo.md'")  -- not a regular file: skipped
      -- a file that cannot be read (unless we are root)
      spit(dir .. "/sub/locked.md", bom)
      sh("chmod 000 '" .. dir .. "/sub/locked.md'")
      -- paths over PATH_MAX (4096): in the last folder, a file that cannot
      -- be opened and a folder that cannot be listed, whoever we are
      local seg, name = ("d"):rep(200), ("f"):rep(230) .. ".md"
      local src = dir .. "/sub/03.md"
      local cmd, depth = { "cd '" .. dir .. "/deep'" }, #dir + 5
      while depth + 201 <= 4095 do
        cmd[#cmd + 1] = "cp '" .. src .. "' " .. name
        cmd[#cmd + 1] = "mkdir " .. seg .. " && cd " .. seg
        depth = depth + 201
      end
      cmd[#cmd + 1] = "cp '" .. src .. "' " .. name .. " && mkdir " .. seg
      local f = assert(io.open(dir .. "/deep.sh", "wb"))
      f:write(table.concat(cmd, " &&\n"), "\n")
      f:close()
      sh("sh '" .. dir .. "/deep.sh'")
      os.remove(dir .. "/deep.sh")
    end)
    teardown(function()
      if dir then os.execute("rm -rf '" .. dir:gsub("/h$", "") .. "'") end
    end)

    it("gives the serial result, warnings included", function()
      local c = check_same(dir)
      local msgs = {}
      for _, w in ipairs(c:warnings()) do msgs[#msgs + 1] = w.message end
      msgs = table.concat(msgs, "\n")
      assert.matches("cannot read file: File name too long", msgs)
      assert.matches("cannot read directory: File name too long", msgs)
      if not ROOT then assert.matches("cannot read file: Permission denied", msgs) end
      check_same({ dir .. "/sub", "examples/data", dir .. "/sub/big.md", dir .. "/truncated_listing.md" })
    end)

    it("reads a pipe given as a path", function()
      local fifo = dir .. "/pipe.md"
      sh("mkfifo '" .. fifo .. "'")
      local function writer()  -- one writer per open
        sh("(timeout 20 sh -c 'cat spec/fixtures/catalog/20190114.md > \"" .. fifo .. "\"' &)")
      end
      local paths = { "examples/data", fifo, dir .. "/sub" }
      writer()
      local one = assert(ad.open(paths, { threads = 1 }))
      for _, n in ipairs({ 2, 4 }) do
        writer()
        local c = assert(ad.open(paths, { threads = n, _parallel_min_bytes = FORCE }))
        assert.is_true(c:_threads() > 1)
        assert.are.same(snapshot(one), snapshot(c))
        assert.is_true(one:_dump() == c:_dump())
      end
      os.remove(fifo)
    end)

    it("fails on the first path that fails, as the serial path does", function()
      local msg, code = check_same_error({ "examples/data", dir .. "/missing", dir .. "/sub" })
      assert.are.equal(dir .. "/missing: No such file or directory", msg)
      assert.are.equal(2, code)
      msg = check_same_error({ dir .. "/nope1", "examples/data", dir .. "/nope2" })
      assert.are.equal(dir .. "/nope1: No such file or directory", msg)
      msg = check_same_error({ dir .. "/sub", "examples/data/000_21fb7b7deb0de965.txt/" })
      assert.matches("Not a directory", msg)
      -- a path that is listed but cannot be read comes before a later one
      -- that cannot be listed
      local sock = dir .. "/sock.md"
      if os.execute("python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' '"
                    .. sock .. "' 2>/dev/null") == true then
        msg = check_same_error({ dir .. "/sub", sock, dir .. "/missing" })
        assert.are.equal(sock .. ": No such device or address", msg)
      end
      if not ROOT then
        msg = check_same_error({ dir .. "/sub", dir .. "/sub/locked.md", dir .. "/missing" })
        assert.matches("Permission denied", msg)
      end
    end)
  end)
end)

-- idx:search on several threads: a ranked search that is not done after
-- `_parallel_min_blocks` decoded blocks shares the docs left with more
-- threads (chunks taken in turn, one heap each, a shared floor); the hits
-- must be those of one thread. Also run under ThreadSanitizer (make
-- test-tsan), on a built and on a loaded (lazily checksummed) index.
describe("idx:search on several threads", function()
  local built = assert(ad.index(assert(ad.parse(H.gen_catalog(777, 3000), "gen.md"))))
  local path = H.tmpname()
  assert(built:save(path))
  local loaded = assert(ad.load(path))
  os.remove(path)
  local queries = { "image", "image network", "ti:image abs:network", "segmentation AND (medical OR mri)",
    '"neural network"', 'ti:"neural network"', 'abs:"image segmentation"', "image -network",
    "image OR network OR model", "seg* image", "learning year:2019" }

  it("gives the hits of one thread, and runs on several", function()
    local shared = 0
    for _, idx in ipairs({ built, loaded }) do
      for _, q in ipairs(queries) do
        for _, k in ipairs({ 1, 10, 100 }) do
          local one = idx:search(q, { limit = k, threads = 1 })
          for _, t in ipairs({ 2, 4 }) do
            local par = idx:search(q, { limit = k, threads = t, _parallel_min_blocks = 0 })
            assert.are.same(H.ranked(one), H.ranked(par), q .. " threads = " .. t)
            if par._threads > 1 then shared = shared + 1 end
          end
        end
      end
    end
    assert.is_true(shared >= 30, shared .. " searches were shared")
  end)

  it("checks the threads option", function()
    assert.has_error(function() built:search("image", { threads = 0 }) end)
    assert.has_error(function() built:search("image", { threads = "2" }) end)
    assert.are.same(H.ranked(built:search("image", { threads = 1 })), H.ranked(built:search("image")))
  end)
end)

-- idx:search on several threads with every option and more query shapes
-- (review rev39): offset and limit, a limit past the matches, sort = "date"
-- (never shared), a NOT alone, date filters, prefixes of many expansions
-- (a bitmap and lazy lists), phrases with fields, id lookups; the pool's
-- threads asleep (after their 0.5 ms awake) or awake; an index closed and
-- collected between shared searches. Twelve days of papers, repeated texts
-- (tied scores across chunks).
describe("idx:search on several threads, every option", function()
  local rnd = H.lcg(4242)
  local CATS = { "**cs.CV**", "**cs.LG**, cs.CV", "**eess.IV**, cs.CV", "**cs.CV**, cs.RO", "**stat.ML**" }
  local function word() return H.zipf(rnd, H.VOCAB) end
  local days, texts, n = {}, {}, 0
  for day = 1, 12 do
    local out = { ("# Arxiv Papers in cs.CV on 2019-03-%02d\n"):format(day) }
    for _ = 1, 400 do
      n = n + 1
      local text
      if n > 40 and rnd(4) == 1 then text = texts[rnd(#texts)]
      else
        text = { title = H.words(word, rnd(6) + 2) .. (" tok%03d"):format(rnd(300)),
                 abstract = H.words(word, rnd(40) + 10) .. (" tok%03d tok%03d"):format(rnd(300), rnd(40)) }
        texts[#texts + 1] = text
      end
      out[#out + 1] = ("### %s\n- **Arxiv ID**: http://arxiv.org/abs/1903.%05dv1\n"
        .. "- **Categories**: %s\n- **Published**: 2019-03-%02d 01:00:00+00:00\n"
        .. "- **Authors**: A B\n- **Comment**: None\n- **Summary**: %s\n\n"):format(
        text.title, n, CATS[n % #CATS + 1], day, text.abstract)
    end
    days[#days + 1] = table.concat(out)
  end
  local built = assert(ad.index(assert(ad.parse(table.concat(days), "gen.md"))))
  local path = H.tmpname()
  assert(built:save(path))
  local queries = { "image", "-image", "-image -network", "image date:2019-03-03..2019-03-08",
    "(image OR network) date:2019-03-05", "date:2019-03-02..2019-03-10 -model", "tok*", "tok1*",
    "tok* image", "ti:tok* network", 'abs:"image segmentation"',
    'ti:"neural network" OR abs:"deep learning"', "image segmentation -tok2*",
    "id:1903.00042 OR image", "image OR tok250", "ti:image abs:network -year:2018",
    '"image segmentation" date:2019-03-04..', "seg* OR net* OR im*",
    -- prefixes made into bitmaps that the caller changes in place (a NOT,
    -- an AND's or OR's own bitmap) beside ones its threads read
    "image -cat:cs.*", "cat:cs.* image tok*", "(cat:cs.* OR cat:eess.*) network -tok1*",
    "tok* -cat:stat.*", "(tok0* OR tok1*) (tok2* OR tok*) -cat:stat.*" }

  local function slice(all, offset, limit)
    local out = {}
    for i = offset + 1, math.min(#all, offset + limit) do out[#out + 1] = all[i] end
    return out
  end

  it("gives the hits of one thread for every offset and limit", function()
    local shared, runs = 0, 0
    for _, q in ipairs(queries) do
      local all = H.ranked(built:search(q, { limit = 1000000, threads = 1 }))
      assert.is_true(#all > 0, q)
      for _, k in ipairs({ 1, 10, 50 }) do
        for _, o in ipairs({ 0, 7, 45 }) do
          local one = H.ranked(built:search(q, { limit = k, offset = o, threads = 1 }))
          assert.are.same(slice(all, o, k), one, q)
          for _, t in ipairs({ { 2, 0 }, { 4, 1 }, { 3, 2 } }) do
            local par = built:search(q, { limit = k, offset = o, threads = t[1], _parallel_min_blocks = t[2] })
            assert.are.same(one, H.ranked(par), ("%s k = %d offset = %d threads = %d"):format(q, k, o, t[1]))
            runs = runs + 1
            if par._threads > 1 then shared = shared + 1 end
          end
        end
      end
      -- a limit past the matches: every match, in order
      local par = built:search(q, { limit = 1000000, threads = 3, _parallel_min_blocks = 0 })
      assert.are.same(all, H.ranked(par), q .. " (every match)")
    end
    assert.is_true(shared > runs / 3, shared .. " of " .. runs .. " shared")
  end)

  it("never shares a search by date", function()
    for _, q in ipairs(queries) do
      for _, o in ipairs({ 0, 13 }) do
        local one = built:search(q, { sort = "date", limit = 30, offset = o, threads = 1 })
        local par = built:search(q, { sort = "date", limit = 30, offset = o, threads = 4, _parallel_min_blocks = 0 })
        assert.are.same(H.ranked(one), H.ranked(par), q)
        assert.are.equal(1, par._threads, q)
      end
    end
  end)

  it("gives the hits of one thread whether the pool's threads sleep or not", function()
    local q = "image OR network OR model"
    local one = H.ranked(built:search(q, { limit = 20, threads = 1 }))
    for i = 1, 12 do
      if i % 3 == 0 then os.execute("sleep 0.01") end  -- past the 0.5 ms awake: asleep
      local par = built:search(q, { limit = 20, threads = 2 + i % 3, _parallel_min_blocks = i % 2 })
      assert.are.same(one, H.ranked(par), q .. " round " .. i)
    end
  end)

  it("leaves nothing reading an index that is closed and collected after a shared search", function()
    local want = {}
    for i, q in ipairs(queries) do want[i] = H.ranked(built:search(q, { limit = 25, threads = 1 })) end
    for round = 1, 6 do
      local idx = assert(ad.load(path))
      for i, q in ipairs(queries) do
        local par = idx:search(q, { limit = 25, threads = 2 + round % 3, _parallel_min_blocks = round % 2 })
        assert.are.same(want[i], H.ranked(par), q)
      end
      idx:close()
      idx = nil  -- luacheck: ignore
      collectgarbage()
      collectgarbage()
    end
    os.remove(path)
  end)
end)

-- The same from a C host (csrc/test/par_search.c, built here with the
-- flavour of the module under test: plain, ASan or TSan): two OS threads
-- with their own Lua states searching at once beside the main one (one
-- pool for all), a fork once the pool is made and searches in the child, every
-- state closed and the module loaded again.
describe("idx:search on several threads, from a C host", function()
  it("shares one pool between OS threads, and works in a forked child and after a reload", function()
    local dir
    for p in package.cpath:gmatch("[^;]+") do
      local d = p:match("^(.-)/%?%.so$")
      if d and H.have(d .. "/arxivdigest/core.so") then dir = d break end
    end
    assert.is_truthy(dir, "no module in " .. package.cpath)
    local lua = io.popen("pkg-config --cflags --libs lua5.4 2>/dev/null"):read("a"):gsub("%s+$", "")
    if lua == "" then lua = "-I/usr/include/lua5.4 -llua5.4" end
    local cc, env = "cc -O1 -g", ""
    if dir:find("tsan", 1, true) then
      cc = "clang -O1 -g -fsanitize=thread"
      env = "TSAN_OPTIONS=halt_on_error=1:exitcode=66 PAR_SEARCH_NOFORK=1 "
    elseif os.getenv("AD_ASAN_RT") then
      local rt = os.getenv("AD_ASAN_RT")
      cc = "clang -O1 -g -fsanitize=address,undefined -shared-libasan -Wl,-rpath," .. rt:match("^(.*)/")
      env = "ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=66 "
    end
    local exe = H.tmpname()
    local rc, out = H.sh(cc .. " -Wall -Wextra -Werror -pthread -o " .. exe
      .. " csrc/test/par_search.c " .. lua .. " -ldl -lm")
    if rc ~= 0 and out:match("not found") then
      os.remove(exe)
      return pending("no C compiler: " .. out)
    end
    assert.are.equal(0, rc, out)
    rc, out = H.sh(env .. "timeout 120 " .. exe .. " " .. H.shell_quote(dir))
    os.remove(exe)
    assert.are.equal(0, rc, out)
    assert.matches("par_search: ok", out)
  end)
end)
