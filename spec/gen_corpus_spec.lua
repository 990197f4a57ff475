-- bench/gen_corpus.lua: the benchmark corpus generator's id mapping.  Runs
-- the generator on small catalog files written to a temporary folder (both
-- id styles, ids at the edges of their ranges) and checks that 70 copies
-- give distinct, valid ids, read back by an independent check and by ad.open.
local ad = require "arxivdigest"
local gen = dofile("bench/gen_corpus.lua")

local function sh(cmd)
  local f = assert(io.popen(cmd))
  local s = f:read("a")
  f:close()
  return s
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function record(id, title, cats)
  return table.concat({
    "### " .. title,
    "- **Arxiv ID**: http://arxiv.org/abs/" .. id .. "v2",
    "- **DOI**: None",
    "- **Categories**: " .. (cats or "**cs.CV**"),
    "- **Links**: [PDF](http://arxiv.org/pdf/" .. id .. "v2)",
    "- **Published**: 2019-01-01 02:24:06+00:00",
    "- **Updated**: 2019-01-02 02:24:06+00:00",
    "- **Authors**: Ada Lovelace, Alan Turing",
    "- **Comment**: see also http://arxiv.org/abs/1901.00001 and arXiv:cs/0612047",
    "- **Journal**: None",
    "- **Summary**: A study of " .. title:lower() .. " with a long enough abstract.",
    "", "", "" }, "\n")
end

local function digest(day, ids)
  local t = { "# Arxiv Papers in cs.CV on " .. day }
  for i, id in ipairs(ids) do t[#t + 1] = record(id, "Paper " .. id:gsub("[/.]", "-") .. " number " .. i) end
  return table.concat(t, "\n")
end

-- Independent validity check of an id as written: new-style YYMM.NNNN (0704..1412)
-- or YYMM.NNNNN (1501..), old-style archive(.XX)/YYMMNNN (9108..0703, 001..999).
local function valid(id)
  local yy, mm, num = id:match("^(%d%d)(%d%d)%.(%d+)$")
  if yy then
    local ym, m, n = tonumber(yy .. mm), tonumber(mm), tonumber(num)
    if m < 1 or m > 12 or n < 1 then return false end
    if #num == 4 then return ym >= 704 and ym <= 1412 end
    return #num == 5 and ym >= 1501
  end
  local arch, d = id:match("^([a-z][a-z%-]*)%.?[A-Za-z%-]*/(%d%d%d%d%d%d%d)$")
  if not arch then return false end
  local y, m, n = tonumber(d:sub(1, 2)), tonumber(d:sub(3, 4)), tonumber(d:sub(5, 7))
  if m < 1 or m > 12 or n < 1 then return false end
  local ym = (y >= 91 and 1900 + y or 2000 + y) * 100 + m
  return ym >= 199108 and ym <= 200703
end

-- canonical form: an old-style id without its subject class
local function canon(id)
  return (id:gsub("^([a-z][a-z%-]*)%.[A-Za-z%-]*/", "%1/"))
end

describe("bench/gen_corpus.lua", function()
  local tmp
  local SRC_A = {
    ["20190101.md"] = { "1901.05894", "1901.00097", "1412.9999", "0704.0001", "cs/0612047" },
    ["20190102.md"] = { "1501.00001", "2212.17490", "math.GT/0309136", "hep-th/9711200", "1301.8405" },
  }
  local SRC_B = {  -- a second source folder, laid out YYYY/MM/
    ["2009/03/20090302.md"] = { "0903.1234", "9912.99999", "math/0309136", "cs.CV/9108001", "0812.9999" },
  }

  setup(function()
    tmp = sh("mktemp -d"):gsub("%s+$", "")
    assert(os.execute("mkdir -p " .. tmp .. "/a/01 " .. tmp .. "/b/2009/03"))
    for name, ids in pairs(SRC_A) do write(tmp .. "/a/01/" .. name, digest(name:sub(1, 4) .. "-01-0" .. name:sub(8, 8), ids)) end
    for name, ids in pairs(SRC_B) do write(tmp .. "/b/" .. name, digest("2009-03-02", ids)) end
  end)

  teardown(function()
    if tmp and tmp:match("^/tmp/") then os.execute("rm -rf " .. tmp) end
  end)

  it("parses both id styles and rejects ids outside their style's range", function()
    assert.is_truthy(gen.parse_id("1901.05894"))
    assert.is_truthy(gen.parse_id("0704.0001"))
    assert.is_truthy(gen.parse_id("cs/0612047"))
    assert.are.equal("math/0309136", gen.parse_id("math.GT/0309136").key)
    assert.is_nil(gen.parse_id("0612.1234"))     -- 4 digits before April 2007
    assert.is_nil(gen.parse_id("1501.1234"))     -- 4 digits after 2014
    assert.is_nil(gen.parse_id("1413.00001"))    -- month 13
    assert.is_nil(gen.parse_id("1901.00000"))    -- number 0
    assert.is_nil(gen.parse_id("cs/0704001"))    -- old style after March 2007
    assert.is_nil(gen.parse_id("cs/9107001"))    -- old style before August 1991
    assert.is_nil(gen.parse_id("cs/0612000"))
  end)

  it("finds the n-th free slot past the used ones", function()
    local used = { 0, 1, 5, 6, 9 }
    local free = {}
    for s = 0, 20 do
      local u = false
      for _, x in ipairs(used) do if x == s then u = true end end
      if not u then free[#free + 1] = s end
    end
    for j = 0, #free - 1 do assert.are.equal(free[j + 1], gen._free_slot({ used = used }, j)) end
  end)

  it("writes 70 copies with distinct, valid ids of both styles, copy 0 the source", function()
    local out = tmp .. "/out"
    local dir, bytes, nfiles, nrec = gen.generate({ tmp .. "/a", tmp .. "/b" }, out, 70, function() end)
    assert.are.equal(out, dir)
    assert.are.equal(3 * 70, nfiles)
    assert.are.equal(15 * 70, nrec)
    assert.are.equal(bytes, gen.tree_size(out))
    -- copy 0 is the source itself, the day files laid out YYYY/MM/
    assert.are.equal(read(tmp .. "/a/01/20190101.md"), read(out .. "/copy0/2019/01/20190101.md"))
    assert.are.equal(read(tmp .. "/b/2009/03/20090302.md"), read(out .. "/copy0/2009/03/20090302.md"))
    local seen, n, styles = {}, 0, { new4 = 0, new5 = 0, old = 0 }
    for k = 0, 69 do
      for _, rel in ipairs { "2019/01/20190101.md", "2019/01/20190102.md", "2009/03/20090302.md" } do
        local text = read(out .. "/copy" .. k .. "/" .. rel)
        local abs, links = {}, {}
        for id in text:gmatch("\n%- %*%*Arxiv ID%*%*: http://arxiv%.org/abs/(%S-)v2\n") do abs[#abs + 1] = id end
        for id in text:gmatch("\n%- %*%*Links%*%*: %[PDF%]%(http://arxiv%.org/pdf/(%S-)v2%)") do links[#links + 1] = id end
        assert.are.same(abs, links)
        assert.are.equal(5, #abs)
        for _, id in ipairs(abs) do
          assert.is_true(valid(id), "invalid id " .. id .. " in copy " .. k)
          local c = canon(id)
          if c:find("/") then styles.old = styles.old + 1
          elseif #c == 9 then styles.new4 = styles.new4 + 1 else styles.new5 = styles.new5 + 1 end
          if not seen[c] then n = n + 1 end
          seen[c] = (seen[c] or 0) + 1
        end
        -- ids quoted in the text are other papers: left as they are
        assert.is_truthy(text:find("see also http://arxiv.org/abs/1901.00001 and arXiv:cs/0612047", 1, true))
      end
    end
    -- math.GT/0309136 and math/0309136 are one paper: 14 papers a copy
    assert.are.equal(14 * 70, n)
    for c, times in pairs(seen) do
      assert.are.equal(c:match("^math/") and 2 or 1, times, c)
    end
    -- each style stays in its style (no overflow with 70 copies)
    assert.are.equal(70 * 5, styles.old)
    assert.are.equal(70 * 5, styles.new4)
    assert.are.equal(70 * 5, styles.new5)
    -- the core reads the same: 1050 records, 980 distinct papers, no warning
    local c = assert(ad.open(out))
    assert.are.equal(15 * 70, #c)
    local ids = {}
    for p in c:papers() do ids[canon(p.id)] = true end
    local m = 0
    for _ in pairs(ids) do m = m + 1 end
    assert.are.equal(14 * 70, m)
    assert.are.same({}, c:warnings())
  end)

  it("keeps ids distinct and valid past a namespace's end (overflow to new style)", function()
    local mp = gen.mapper({ tmp .. "/a", tmp .. "/b" })
    local toks = { "1901.05894", "1412.9999", "0704.0001", "cs/0612047", "math.GT/0309136", "math/0309136",
      "hep-th/9711200", "cs.CV/9108001", "9912.99999", "0903.1234", "2212.17490", "1501.00001", "1301.8405",
      "1901.00097", "0812.9999" }
    -- 2 old-style cs ids in 188 months x 999 numbers: cs is full after copy 93905;
    -- 5 ids YYMM.NNNN in 93 months x 9999 numbers: full after copy 185980 (2 of them 185981)
    local ks = {}
    for k = 1, 70 do ks[#ks + 1] = k end
    for k = 93903, 93908 do ks[#ks + 1] = k end
    for k = 185979, 185984 do ks[#ks + 1] = k end
    local seen, over = {}, 0
    for _, t in ipairs(toks) do seen[canon(t)] = "source" end
    for _, k in ipairs(ks) do
      local this = {}
      for _, t in ipairs(toks) do
        local id = mp:map(k, t)
        assert.is_true(valid(id), id)
        local c = canon(id)
        if this[canon(t)] then
          assert.are.equal(this[canon(t)], c)  -- one paper, one id
        else
          assert.is_nil(seen[c], c .. " taken twice")
          seen[c] = k
          this[canon(t)] = c
        end
        if (t:find("/") and not id:find("/")) or (#t == 9 and #id == 10) then over = over + 1 end
      end
    end
    assert.is_true(over > 0, "no overflow reached")
  end)

  it("is idempotent, grows by the missing copies and shrinks", function()
    local out = tmp .. "/grow"
    local _, b3 = gen.generate({ tmp .. "/a", tmp .. "/b" }, out, 3, function() end)
    local logged = {}
    local function log(m) logged[#logged + 1] = m end
    local _, again = gen.generate({ tmp .. "/a", tmp .. "/b" }, out, 3, log)
    assert.are.equal(b3, again)
    assert.matches("up to date", logged[1])
    logged = {}
    local _, b5 = gen.generate({ tmp .. "/a", tmp .. "/b" }, out, 5, log)
    assert.matches("generating copies 3%.%.4", logged[1])
    local fresh = tmp .. "/fresh"
    local _, f5 = gen.generate({ tmp .. "/a", tmp .. "/b" }, fresh, 5, function() end)
    assert.are.equal(f5, b5)
    assert.are.equal("", sh("diff -r " .. out .. "/copy4 " .. fresh .. "/copy4"))
    local _, b2, n2 = gen.generate({ tmp .. "/a", tmp .. "/b" }, out, 2, function() end)
    assert.are.equal(6, n2)
    assert.are.equal(b2, gen.tree_size(out))
  end)
end)
