-- Review of the query compiler's folding (ad_search.c: word-free children
-- as one bitmap, a NOT of a bitmap as its complement, one-child AND/OR as
-- the child, stable merge sort of the children, AD_QMAXPARTS).
--
-- 1. Random query trees (words, prefixes, phrases, cat/primary, id, date,
--    v:, has:, *, NOT, nested and wide AND/OR, shared subtrees): the index
--    counts what the Lua evaluator counts, and top-k ranks as the
--    exhaustive ranking (ids and scores).
-- 2. Scores must not depend on what a NOT excludes: an AND sums its
--    children's scores in the order of their estimates (ad_kids_sort
--    AD_BYEST), and a NOT estimates every paper whatever it excludes. A
--    NOT of a bitmap (a date, an id, cat:x.*, v:N+) is folded into a
--    complement bitmap that keeps that estimate; in 952dfdc it was
--    estimated by its popcount (or dropped when empty), which moved an
--    `(d OR -date:...)` before its siblings and changed float sums in the
--    last bit, and so the order of ties.
-- 3. The limit counts what the README says: a category or a prefix is one
--    word, and the AND wrapped around a top-level NOT is not the user's.
local ad = require "arxivdigest"

local H = dofile("spec/helper.lua")
local rnd = H.lcg(30303, 12)
local WORDS = H.VOCAB
local ZQ = {}                         -- > 64 words of one prefix (a bitmap + lazy lists)
local LET = "abcdefghijklmnop"
for i = 1, 16 do for j = 1, 10 do ZQ[#ZQ + 1] = "zq" .. LET:sub(i, i) .. LET:sub(j, j) end end
local function word()
  if rnd(6) == 1 then return H.zipf(rnd, ZQ) end
  return H.zipf(rnd, WORDS)
end
local function words(n) return H.words(word, n) end
local CATS = { "cs.CV", "cs.LG", "eess.IV", "cs.RO", "stat.ML", "cs.AI" }
local NDAYS, PER = 20, 120

-- Papers of day >= 10 also carry the category q-bio.NC: `-cat:q-bio.NC`
-- excludes exactly what `-date:2019-03-10..2019-03-20` excludes.
local function corpus()
  local out, texts, n = {}, {}, 0
  for day = 1, NDAYS do
    out[#out + 1] = ("# Arxiv Papers in cs.CV on 2019-03-%02d\n"):format(day)
    for _ = 1, PER do
      n = n + 1
      local text
      if n > 40 and rnd(5) == 1 then text = texts[rnd(#texts)]   -- tied scores
      else
        text = { title = words(rnd(8) + 2), abstract = words(rnd(50) + 10),
                 authors = "A " .. WORDS[rnd(#WORDS)] .. ", B " .. WORDS[rnd(#WORDS)],
                 comment = rnd(3) == 1 and words(3) .. (rnd(3) == 1 and " https://github.com/x/y" or "")
                   or "None" }
        texts[#texts + 1] = text
      end
      out[#out + 1] = ("### %s\n- **Arxiv ID**: http://arxiv.org/abs/1903.%05dv%d\n- **DOI**: %s\n"
        .. "- **Categories**: **%s**, %s%s\n- **Published**: 2019-03-%02d 01:00:00+00:00\n"
        .. "- **Authors**: %s\n- **Comment**: %s\n- **Journal**: %s\n- **Summary**: %s\n\n"):format(
        text.title, n, rnd(4), rnd(4) == 1 and "10.1000/x" .. rnd(100) or "None",
        CATS[rnd(#CATS)], CATS[rnd(#CATS)], day >= 10 and ", q-bio.NC" or "", day,
        text.authors, text.comment, rnd(5) == 1 and "J. Foo" or "None", text.abstract)
    end
  end
  return table.concat(out), n
end

local function date(d) return ("2019-03-%02d"):format(d) end

describe("query folding (review)", function()
  local text, NP = corpus()
  local c = assert(ad.parse(text, "gen.md"))
  local idx = assert(ad.index(c))
  local FIELDS = { "ti", "abs", "au", "co" }

  local function leaf()
    local r = rnd(100)
    if r <= 30 then
      local t = { type = "term", text = word() }
      if rnd(4) == 1 then t.field = FIELDS[rnd(4)] end
      return t
    elseif r <= 36 then
      local w = rnd(3) == 1 and "zq" or word():sub(1, rnd(3) + 1)
      local t = { type = "term", text = w, prefix = true }
      if rnd(4) == 1 then t.field = FIELDS[rnd(4)] end
      return t
    elseif r <= 42 then
      local t = { type = "phrase", text = word() .. " " .. word() }
      if rnd(4) == 1 then t.field = FIELDS[rnd(4)] end
      return t
    elseif r <= 50 then
      local t = { type = "cat", value = CATS[rnd(#CATS)] }
      if rnd(3) == 1 then t.value = ({ "cs.", "eess.", "stat.", "c", "" })[rnd(5)]; t.prefix = true end
      return t
    elseif r <= 53 then return { type = "primary", value = CATS[rnd(#CATS)] }
    elseif r <= 66 then return { type = "id", value = ("1903.%05d"):format(rnd(NP + 20)) }
    elseif r <= 78 then
      local a = rnd(NDAYS + 2) - 1
      local b = math.min(a + rnd(6) - 1, 28)
      if a < 1 then a = 1 end
      if rnd(10) == 1 then return { type = "date", from = date(a) } end
      return { type = "date", from = date(a), to = date(b) }
    elseif r <= 84 then
      local t = { type = "version", min = rnd(3) }
      if rnd(2) == 1 then t.max = t.min + rnd(2) - 1 end
      return t
    elseif r <= 90 then return { type = "has", value = ({ "doi", "journal", "code" })[rnd(3)] }
    elseif r <= 93 then return { type = "all" }
    else return { type = "term", text = "nosuchwordxyz" }
    end
  end
  local shared
  local function tree(depth)
    if #shared > 0 and rnd(12) == 1 then return shared[rnd(#shared)] end
    local r = rnd(100)
    local t
    if depth <= 0 or r <= 35 then t = leaf()
    elseif r <= 50 then t = { type = "not", tree(depth - 1) }
    else
      t = { type = rnd(2) == 1 and "and" or "or" }
      local n, w = rnd(4), rnd(30)
      if w == 1 then n = 17 + rnd(5) elseif w == 2 then n = 60 + rnd(10) elseif w <= 5 then n = 1 end
      for k = 1, n do t[k] = tree(depth - 1 - (n > 8 and 1 or 0)) end
    end
    if rnd(5) == 1 then shared[#shared + 1] = t end
    return t
  end

  it("counts as the Lua evaluator and ranks top-k as the exhaustive ranking, random trees", function()
    local nonempty = 0
    for i = 1, 400 do
      shared = {}
      local q = tree(rnd(5))
      local label = "tree " .. i
      local all = idx:search(q, { limit = 1000000 })
      assert.equal(ad.from(c):query(q):count(), idx:count(q), label)
      assert.equal(idx:count(q), #all, label)
      if #all > 0 then nonempty = nonempty + 1 end
      for _, k in ipairs({ 1, 3, 10, 37 }) do
        local top = idx:search(q, { limit = k })
        assert.equal(math.min(k, #all), #top, label)
        for r = 1, #top do
          assert.equal(all[r].paper.id, top[r].paper.id, label .. " k=" .. k .. " rank " .. r)
          assert.equal(all[r].score, top[r].score, label)
        end
      end
    end
    assert.is_true(nonempty > 200)
  end)

  -- the scores of every hit of q, by id
  local function scores(q)
    local t = {}
    for _, h in ipairs(idx:search(q, { limit = 1000000 })) do t[h.paper.id] = h.score end
    return t
  end

  it("scores do not depend on what a NOT excludes (a word or a bitmap)", function()
    assert.equal(idx:count("cat:q-bio.NC"), idx:count("date:2019-03-10..2019-03-20"))
    local differ, tried = {}, 0
    for _, w in ipairs({ { "network", "neural", "model", "domain" },
                         { "image", "segmentation", "medical", "training" },
                         { "learning", "attention", "segmentation", "large" },
                         { "deep", "convolutional", "learning", "loss" },
                         { "image", "learning", "mri", "instance" } }) do
      local base = ("%s %s %s (%s OR "):format(w[1], w[2], w[3], w[4])
      -- a NOT of words (estimated N, as every NOT was) against a NOT of
      -- bitmaps excluding the same papers: one, two, one that excludes all
      for _, pair in ipairs({
        { "-cat:q-bio.NC)", "-date:2019-03-10..2019-03-20)" },
        { "-cat:q-bio.NC OR -cat:q-bio.NC)", "-date:2019-03-10..2019-03-20 OR -date:2019-03-10..2019-03-20)" },
        { "-(" .. table.concat(CATS, " OR cat:"):gsub("^", "cat:") .. "))", "-date:2019-03-01..2019-03-20)" },
      }) do
        local ref, got = scores(base .. pair[1]), scores(base .. pair[2])
        for id, s in pairs(ref) do
          tried = tried + 1
          if got[id] ~= s then differ[#differ + 1] = ("%s: %s %a vs %a"):format(base .. pair[2], id, s, got[id] or 0) end
        end
        for id in pairs(got) do assert.is_not_nil(ref[id], id) end
      end
    end
    assert.is_true(tried > 100)
    assert.equal(0, #differ, #differ .. " of " .. tried .. " scores differ, e.g. "
      .. table.concat(differ, "; ", 1, math.min(3, #differ)))
  end)

  it("counts a category prefix as one word and not the AND around a top-level NOT", function()
    local a = { type = "and" }
    for i = 1, 4094 do a[i] = { type = "term", text = "image" } end
    -- NOT + AND + 4094 words = 4096
    local ok, err = pcall(idx.count, idx, { type = "not", a })
    assert.is_true(ok, "NOT of an AND of 4094 words: " .. tostring(err))
    local o = { type = "or" }                  -- 2048 categories + OR = 2049
    for i = 1, 2048 do o[i] = { type = "cat", value = "cs.", prefix = true } end
    ok, err = pcall(idx.count, idx, o)
    assert.is_true(ok, "OR of 2048 cat:cs.*: " .. tostring(err))
  end)
end)
