-- date: and year: queries against a brute-force answer: papers that appear
-- on several days (an earlier listing, a later one), so that a paper's
-- appearances fall inside and outside the stretch of papers whose shown
-- date is in range (ad_it_date reads that stretch a word at a time and the
-- other appearances one by one).
local ad = require "arxivdigest"
local H = dofile("spec/helper.lua")

local function day(n)      -- day n (0-based) from 2019-12-20 on, as YYYY-MM-DD
  return os.date("!%Y-%m-%d", os.time { year = 2019, month = 12, day = 20, hour = 12 } + n * 86400)
end

local function catalog(date, ids)
  local t = { "# Arxiv Papers in cs.CV on " .. date, "" }
  for _, id in ipairs(ids) do
    t[#t + 1] = "### Paper " .. id .. " on shapes"
    t[#t + 1] = "- **Arxiv ID**: http://arxiv.org/abs/" .. id .. "v1"
    t[#t + 1] = "- **Categories**: **cs.CV**"
    t[#t + 1] = "- **Authors**: A. Author"
    t[#t + 1] = "- **Summary**: About shapes " .. id .. "."
    t[#t + 1] = ""
  end
  return table.concat(t, "\n") .. "\n"
end

describe("date queries", function()
  local dir, idx, seen
  setup(function()
    math.randomseed(20261207)
    local files = {}
    seen = {}                       -- id -> {day number = true}
    for d = 0, 39 do
      if d % 7 ~= 3 then            -- some days have no file
        local ids, used = {}, {}
        for _ = 1, math.random(3, 12) do
          local id = string.format("2001.%05d", math.random(1, 150))
          if not used[id] then
            used[id] = true
            ids[#ids + 1] = id
            seen[id] = seen[id] or {}
            seen[id][d] = true
          end
        end
        files[day(d):gsub("-", "") .. ".md"] = catalog(day(d), ids)
      end
    end
    dir = H.tmpdir(files)
    idx = assert(ad.index(dir))
  end)
  teardown(function() os.execute("rm -rf " .. H.shell_quote(dir)) end)

  local function expected(a, b)   -- papers with an appearance on days a..b
    local n = 0
    for _, days in pairs(seen) do
      for d in pairs(days) do
        if d >= a and d <= b then n = n + 1; break end
      end
    end
    return n
  end

  it("counts the papers with an appearance in range, for every range", function()
    local checked, several = 0, 0
    for _, days in pairs(seen) do
      local k = 0
      for _ in pairs(days) do k = k + 1 end
      if k > 1 then several = several + 1 end
    end
    assert.is_true(several > 20)    -- the case the spec is about
    for a = -1, 40 do
      for b = a, 41 do
        local q = "date:" .. day(a) .. ".." .. day(b)
        assert.are.equal(expected(a, b), idx:count(q), q)
        checked = checked + 1
      end
      assert.are.equal(expected(a, a), idx:count("date:" .. day(a)))
    end
    assert.is_true(checked > 800)
  end)

  it("agrees for open ranges and years, and in search", function()
    for a = 0, 40, 5 do
      assert.are.equal(expected(a, 1000), idx:count("date:" .. day(a) .. ".."))
      assert.are.equal(expected(-1000, a), idx:count("date:.." .. day(a)))
    end
    assert.are.equal(expected(0, 11), idx:count("year:2019"))
    assert.are.equal(expected(12, 40), idx:count("year:2020"))
    local hits = idx:search("shapes date:" .. day(10) .. ".." .. day(20), { limit = 1000 })
    assert.are.equal(expected(10, 20), #hits)
    for _, h in ipairs(hits) do
      local ok = false
      for d in pairs(seen[h.paper.id]) do if d >= 10 and d <= 20 then ok = true end end
      assert.is_true(ok, h.paper.id)
    end
  end)
end)
