-- Files a directory walk passes over for their name (not .md or .txt) are
-- said once per folder given, with how many, by ad.open on one thread or
-- several, by ad.index and by idx:update; never silently.
local ad = require "arxivdigest"

local function sh(cmd) assert(os.execute(cmd), cmd) end

describe("files skipped for their name", function()
  local dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    sh("mkdir -p '" .. dir .. "/a/b'")
    sh("cp spec/fixtures/update/20090125.md '" .. dir .. "/a/20090125.md'")
    sh("cp spec/fixtures/update/20090130.md '" .. dir .. "/a/b/20090130.markdown'")
    sh("gzip -c spec/fixtures/update/20090130.md > '" .. dir .. "/a/20090130.md.gz'")
    sh("cp spec/fixtures/update/20090130.md '" .. dir .. "/a/b/notes.json'")
  end)
  teardown(function() sh("rm -rf '" .. dir .. "'") end)

  local function skipped(ws)
    local out = {}
    for _, w in ipairs(ws) do
      if w.message:find("^skipped: only %.md and %.txt") then out[#out + 1] = w end
    end
    return out
  end

  it("are one warning per folder given, the same on one thread and on several", function()
    for _, threads in ipairs {1, 2} do
      local c = assert(ad.open(dir .. "/a", {threads = threads}))
      assert.equal(1, #c:files())
      local s = skipped(c:warnings())
      assert.equal(1, #s)
      -- the first in name order, and how many more
      assert.equal(dir .. "/a/20090130.md.gz", s[1].source)
      assert.matches("decompress it first", s[1].message)
      assert.matches("and 2 more files under the same folder", s[1].message)
      assert.equal(0, s[1].line)
    end
    local c1 = assert(ad.open(dir .. "/a", {threads = 1}))
    local c2 = assert(ad.core.open({dir .. "/a"}, {threads = 2, _parallel_min_bytes = 0}))
    assert.equal(c1:_dump(), c2:_dump())
  end)

  it("are not files of the collection or of an index; a saved index is passed over in silence", function()
    local idx = assert(ad.index(dir .. "/a"))
    assert(idx:save(dir .. "/a/archive.adx"))
    for _, f in ipairs(idx:files()) do assert.matches("%.md$", f.path) end
    local sum = assert(idx:update(dir .. "/a"))
    assert.equal(0, sum.added + sum.removed + sum.changed)
    assert.equal(1, #sum.warnings)
    assert.equal(1, #skipped(sum.warnings))
    assert.matches("and 2 more files", sum.warnings[1].message)
    assert.equal(dir .. "/a/20090130.md.gz", skipped(sum.warnings)[1].source)
  end)

  it("reach the user of the command, and update reports the files it read", function()
    local H = dofile("spec/helper.lua")
    local s, _, err = H.run_cli({"search", "galaxy", dir .. "/a"})
    assert.matches("20090130%.md%.gz: skipped: only %.md and %.txt files are read", err)
    local path = os.tmpname() .. ".adx"
    assert.equal(0, (H.run_cli({"index", "build", dir .. "/a", "-o", path})))
    sh("printf 'not a digest\\n' > '" .. dir .. "/a/junk.md'")
    local s2, _, err2 = H.run_cli({"index", "update", "-i", path, dir .. "/a"})
    assert.equal(0, s2)
    assert.matches("skipped: only %.md and %.txt", err2)
    assert.matches("could not be read as digests %(first: [^\n]*junk%.md", err2)
    os.remove(path)
    assert(s == 0 or s == 1)
  end)
end)
