-- The children of a query that need no posting list (ids, dates, and what
-- compiles to an unscored bitmap: a NOT of them, `cat:cs.*`, `v:2+`) are
-- one bitmap per AND/OR node in the index's search (ad_search.c, "word-free
-- children"). The answers must be the Lua evaluator's (ad.from(c):query),
-- and the scores those of the words alone: an unscored child adds 0. An OR
-- of 39,286 ids took 12 s before (every child visited at every paper).
local ad = require "arxivdigest"
local H = dofile("spec/helper.lua")

local rnd = H.lcg(4242)
local WORDS = { "image", "segmentation", "network", "medical", "depth", "pose", "video", "graph" }
local CATS = { "cs.CV", "cs.LG", "eess.IV", "cs.RO", "stat.ML" }

local function corpus(n)
  local days = {}
  for day = 1, 20 do
    local t = { ("# Arxiv Papers in cs.CV on 2019-03-%02d\n"):format(day) }
    for j = 1, n // 20 do
      local id = (day - 1) * (n // 20) + j
      local w = {}
      for k = 1, 6 do w[k] = WORDS[rnd(#WORDS)] end
      t[#t + 1] = ("### %s %s\n- **Arxiv ID**: http://arxiv.org/abs/1903.%05dv%d\n"
        .. "- **Categories**: **%s**, **%s**\n- **Published**: 2019-03-%02d 01:00:00+00:00\n"
        .. "- **Authors**: A Author\n- **Summary**: %s\n\n"):format(w[1], w[2], id, rnd(3),
        CATS[rnd(#CATS)], CATS[rnd(#CATS)], day, table.concat(w, " ", 3))
    end
    days[#days + 1] = table.concat(t)
  end
  return table.concat(days)
end

describe("word-free children of a query", function()
  local c = assert(ad.parse(corpus(1000), "gen.md"))
  local idx = assert(ad.index(c))
  local function id(k) return ("1903.%05d"):format(k) end

  local function same(q)
    local label = type(q) == "string" and q or "tree"
    assert.are.equal(ad.from(c):query(q):count(), idx:count(q), label)
    return idx:count(q)
  end

  it("count as the Lua evaluator, for every shape", function()
    local n = 0
    for _ = 1, 40 do
      local a, b, d1, d2 = WORDS[rnd(#WORDS)], WORDS[rnd(#WORDS)], rnd(20), rnd(20)
      local ids = {}
      for k = 1, 8 do ids[k] = "id:" .. id(rnd(1000)) end
      local ors = table.concat(ids, " OR ")
      local date = ("date:2019-03-%02d"):format(d1)
      for _, q in ipairs({
        ors,                                              -- an OR of ids
        "(" .. ors .. " OR " .. date .. ")",              -- ids and a date
        a .. " (" .. ors .. ")",                          -- a word and them
        a .. " OR " .. ors,                               -- beside a word
        "-(" .. ors .. ")",                               -- a NOT of them
        a .. " -(" .. ors .. ") -" .. date,
        "(" .. date .. " OR date:2019-03-" .. ("%02d"):format(d2) .. ") cat:cs.*",
        "(" .. a .. " OR cat:eess.IV) (" .. ors .. " OR v:2+)",
        "((" .. ors .. ") OR (" .. date .. " " .. b .. ")) -cat:cs.LG",
        "(" .. ids[1] .. ") (" .. ids[1] .. " OR " .. ids[2] .. ")",
      }) do
        same(q)
        n = n + 1
      end
    end
    assert.are.equal(400, n)
  end)

  it("score the words alone: an unscored child adds 0", function()
    for _, a in ipairs(WORDS) do
      local base = {}
      for _, h in ipairs(idx:search(a, { limit = 10000 })) do base[h.paper.id] = h.score end
      local ids = {}
      for k = 1, 200 do ids[k] = "id:" .. id(rnd(1000)) end
      local ors = table.concat(ids, " OR ")
      for _, q in ipairs({ a .. " (" .. ors .. ")", a .. " OR " .. ors,
                           a .. " -(" .. ors .. ") date:2019-03-01..2019-03-10" }) do
        local hits = idx:search(q, { limit = 10000 })
        assert.are.equal(idx:count(q), #hits, q)
        for _, h in ipairs(hits) do
          assert.are.equal(base[h.paper.id] or 0, h.score, q .. ": " .. h.paper.id)
        end
      end
    end
  end)

  it("take an OR of thousands of ids or dates as one bitmap", function()
    local t = { type = "or" }
    for k = 1, 30000 do t[k] = { type = "id", value = id(k) } end   -- most absent
    assert.are.equal(1000, same(t))
    local days = { type = "or" }
    for k = 1, 5000 do
      days[k] = { type = "date", from = ("2019-03-%02d"):format(k % 28 + 1),
                  to = ("2019-03-%02d"):format(k % 28 + 1) }
    end
    assert.are.equal(1000, same(days))
    -- shared subtrees, nested ORs of ids, a NOT of them under an AND
    local inner = { type = "or" }
    for k = 1, 50 do inner[k] = { type = "id", value = id(k * 7) } end
    local outer = { type = "or" }
    for k = 1, 40 do outer[k] = inner end
    assert.are.equal(50, same(outer))
    assert.are.equal(idx:count("segmentation") - idx:count({ type = "and",
      { type = "term", text = "segmentation" }, inner }),
      same({ type = "and", { type = "term", text = "segmentation" }, { type = "not", outer } }))
  end)
end)
