-- Top-k with early termination must rank exactly as the exhaustive ranking
-- does (ids and scores, ties to the newer paper), for every query shape the
-- skipping code handles: conjunctions led by a term (with field masks, with
-- a nested OR, with negations), phrases, ORs, prefixes. The corpus is made
-- here (no ../shared): a small Zipf vocabulary, so that posting lists span
-- many blocks of 128 docs, and repeated texts, so that scores tie as they do
-- in copies of a real archive.
local ad = require "arxivdigest"

local H = dofile("spec/helper.lua")
local WORDS = H.VOCAB
local rnd = H.lcg(12345)
local function word() return H.zipf(rnd, WORDS) end
local function words(n) return H.words(word, n) end

-- copies: each text also comes that many times in a row (a run of tied
-- docs that block boundaries cut, as copies of an archive are)
local function corpus(npapers, copies)
  local days, texts, n, run, left = {}, {}, 0, nil, 0
  for day = 1, 20 do
    local out = { ("# Arxiv Papers in cs.CV on 2019-03-%02d\n"):format(day) }
    for _ = 1, npapers // 20 do
      n = n + 1
      local text
      if left > 0 then text, left = run, left - 1
      elseif n > 40 and rnd(5) == 1 then text = texts[rnd(#texts)]  -- a repeated paper: tied scores
      else
        text = { title = words(rnd(8) + 2), abstract = words(rnd(60) + 10),
                 authors = "A " .. WORDS[rnd(#WORDS)] .. ", B " .. WORDS[rnd(#WORDS)],
                 comment = rnd(3) == 1 and words(3) or "None" }
        texts[#texts + 1] = text
        if copies then run, left = text, copies - 1 end
      end
      out[#out + 1] = ("### %s\n- **Arxiv ID**: http://arxiv.org/abs/1903.%05dv1\n"
        .. "- **Categories**: **cs.CV**\n- **Published**: 2019-03-%02d 01:00:00+00:00\n"
        .. "- **Authors**: %s\n- **Comment**: %s\n- **Summary**: %s\n\n"):format(
        text.title, n, day, text.authors, text.comment, text.abstract)
    end
    days[#days + 1] = table.concat(out)
  end
  return days
end

-- searches that ran on more than one thread (check's parallel runs)
local PAR = { runs = 0, shared = 0 }

local function check(idx, q, label)
  label = label or q
  local all = idx:search(q, { limit = 1000000, threads = 1 })
  assert.equal(idx:count(q), #all, label)
  for ki, k in ipairs({ 1, 3, 10, 37 }) do
    local top = H.top_of(idx, q, all, k, label)
    -- shared by threads from the first block on (or the second, every
    -- other k): the same hits, in the same order
    local threads, after = 2, 0
    if ki % 2 == 0 then threads, after = 3, 1 end
    local par = idx:search(q, { limit = k, threads = threads, _parallel_min_blocks = after })
    assert.are.same(H.ranked(top), H.ranked(par), ("%s (k = %d, threads = %d)"):format(label, k, threads))
    PAR.runs = PAR.runs + 1
    if par._threads > 1 then PAR.shared = PAR.shared + 1 end
  end
  return #all
end

describe("top-k search", function()
  local days = corpus(6000)
  local c = assert(ad.parse(table.concat(days), "gen.md"))
  local idx = assert(ad.index(c))

  it("ranks as the exhaustive ranking, for every query shape", function()
    assert.is_true(#idx >= 6000)
    assert.is_true(idx:df("image") > 128 * 8)       -- lists span many blocks
    local fields = { "", "", "ti:", "abs:" }
    local n = 0
    for _ = 1, 60 do
      local a, b, c3, d = word(), word(), word(), word()
      local fa, fb = fields[rnd(4)], fields[rnd(4)]
      for _, q in ipairs({
        a .. " " .. b,                                   -- AND led by the rarer term
        fa .. a .. " " .. fb .. b,                       -- with field masks
        a .. " " .. b .. " " .. c3,
        a .. " AND (" .. b .. " OR " .. c3 .. ")",       -- a term and an OR
        "(" .. a .. " OR " .. b .. ") " .. c3,
        a .. " " .. b .. " -" .. c3,                     -- a negation
        '"' .. a .. " " .. b .. '"',                     -- phrases
        '"' .. a .. " " .. b .. " " .. c3 .. '"',
        'ti:"' .. a .. " " .. b .. '"',
        a .. " OR " .. b,
        a:sub(1, 3) .. "* " .. b,                        -- a prefix beside a term
        -- ORs whose children become required as the threshold rises
        -- (aligned like an AND, led by the rarest required term)
        a .. " AND (" .. b .. " OR " .. c3 .. " OR " .. d .. ")",
        "(" .. fa .. a .. " OR " .. fb .. b .. ") " .. c3,
        a .. " OR " .. b .. " OR " .. c3,
        "(" .. a .. ' OR "' .. b .. " " .. c3 .. '") ' .. d,
        "(" .. a .. " OR " .. b:sub(1, 3) .. "*) " .. c3,
      }) do
        check(idx, q)
        n = n + 1
      end
    end
    assert.equal(960, n)
    -- most of them were shared (the others: nothing left after the first block)
    assert.is_true(PAR.shared > PAR.runs / 2, PAR.shared .. " of " .. PAR.runs .. " shared")
  end)

  it("ranks as the exhaustive ranking, for queries of many children", function()
    -- past 16 children only an AND's first child (an OR's last) skips by
    -- its own impacts, past 64 an OR does not look for required children:
    -- the work per doc stays linear in the children, the ranking exact
    local matched = 0
    for _ = 1, 10 do
      local a, b = word(), word()
      local t, o = {}, {}
      for i = 1, 20 do t[i] = i % 2 == 0 and a or b end
      for i = 1, 70 do o[i] = word() end
      matched = matched + check(idx, table.concat(t, " "))                 -- an AND of 20
      check(idx, a .. " AND (" .. table.concat(o, " OR ") .. ")")          -- an OR of 70
      check(idx, a .. " AND (" .. table.concat(o, " OR ", 1, 20) .. ")")   -- of 20
      check(idx, table.concat(o, " OR ", 1, 30))
    end
    assert.is_true(matched > 0)
    -- 2,000 copies of a word (once 11 s under the fuzzer: each child
    -- summed the bounds of all the others at every doc)
    local q = { type = "and" }
    for i = 1, 2000 do q[i] = { type = "term", text = "segmentation" } end
    assert.is_true(check(idx, q, "an AND of 2000 copies") > 0)
  end)

  it("refuses a query of more than 4096 words and operators, with a clear error", function()
    local t = { type = "and" }
    for i = 1, 4095 do t[i] = { type = "term", text = "segmentation" } end
    assert.is_true(idx:count(t) > 0)                                  -- 4095 words, 1 AND
    t[4096] = { type = "term", text = "image" }
    for _, f in ipairs({ "search", "count", "trend" }) do
      local ok, err = pcall(idx[f], idx, t)
      assert.is_false(ok, f)
      assert.matches("query too large %(more than 4096 words and operators%)", err)
    end
    local ok, err = pcall(idx.search, idx, ("image "):rep(4096))     -- as text
    assert.is_false(ok)
    assert.matches("query too large", err)
    -- a phrase counts its words, a shared subtree each time it occurs
    local o = { type = "or" }
    for i = 1, 1366 do o[i] = { type = "phrase", text = "image segmentation network" } end
    assert.is_false(pcall(idx.search, idx, o))                        -- 4098 words
    o[1366] = nil
    assert.is_true(pcall(idx.search, idx, o))                         -- 4095 and the OR
    local p = { type = "phrase", text = "image segmentation network" }
    local shared = { type = "or" }
    for i = 1, 1366 do shared[i] = p end
    assert.is_false(pcall(idx.count, idx, shared))
  end)

  it("ranks phrases of real neighbours as the exhaustive ranking", function()
    -- adjacent pairs and triples taken from the texts, so the phrases match
    local n = 0
    for p in idx:papers() do
      local t = {}
      for w in p.abstract:gmatch("%a+") do t[#t + 1] = w end
      if #t >= 3 then
        local i = rnd(#t - 2)
        check(idx, '"' .. t[i] .. " " .. t[i + 1] .. '"')
        check(idx, '"' .. t[i] .. " " .. t[i + 1] .. " " .. t[i + 2] .. '"')
        n = n + 1
      end
      if n == 40 then break end
    end
    assert.equal(40, n)
  end)
end)

describe("top-k search of phrases of common words (primed)", function()
  -- a phrase whose rarest word spans 64 blocks or more is primed: the docs
  -- its rarest word weighs most are checked first and fill the top k
  -- (ad_prime in csrc/ad_search.c); the pass must then neither offer them
  -- again nor lose a tie to them
  -- runs of 12 copies: the primed docs (a few per block) are not always the
  -- newest of their ties, which the pass must then still prefer
  local days = corpus(24000, 12)
  local c = assert(ad.parse(table.concat(days), "gen.md"))
  local idx = assert(ad.index(c))

  it("ranks as the exhaustive ranking", function()
    local n = 0
    for i = 1, 6 do
      for j = 1, 6 do
        local a, b = WORDS[i], WORDS[j]
        if math.min(idx:df(a), idx:df(b)) >= 64 * 128 then
          check(idx, '"' .. a .. " " .. b .. '"')
          check(idx, '"' .. a .. " " .. b .. " " .. WORDS[(i + j) % 6 + 1] .. '"')
          check(idx, 'abs:"' .. a .. " " .. b .. '"')
          n = n + 1
        end
      end
    end
    assert.is_true(n >= 9, "phrases of words in 64 blocks or more: " .. n)
  end)
end)

describe("top-k search of prefixes of many expansions", function()
  -- a prefix of more than 64 words is a bitmap of them (the 16 longest
  -- lists stay lists) with each paper's best score and the best score of
  -- every 128 papers: a top-k search skips the stretches that cannot win,
  -- and a bound below the threshold reaches over the stretches after it
  -- that cannot either (ad_it_expand, ad_it_bound in csrc/ad_search.c).
  -- 400 words "zqNNN", the smaller N the more common, beside the Zipf
  -- vocabulary; each paper holds a few, in its title or abstract
  local zr = H.lcg(777)
  local function zq() return ("zq%03d"):format(math.min(399, math.floor(400 * (zr(1000) / 1000) ^ 3))) end
  local out = { "# Arxiv Papers in cs.CV on 2019-03-01\n" }
  for n = 1, 8000 do
    local title = words(rnd(6) + 2) .. (zr(3) == 1 and " " .. zq() or "")
    local abstract = words(rnd(40) + 10) .. " " .. zq() .. (zr(2) == 1 and " " .. zq() or "")
    out[#out + 1] = ("### %s\n- **Arxiv ID**: http://arxiv.org/abs/1903.%05dv1\n"
      .. "- **Categories**: %s\n- **Published**: 2019-03-01 01:00:00+00:00\n"
      .. "- **Authors**: A B\n- **Comment**: None\n- **Summary**: %s\n\n"):format(
      title, n, n % 3 == 0 and "**cs.LG**, cs.CV" or "**cs.CV**", abstract)
  end
  local idx = assert(ad.index(assert(ad.parse(table.concat(out), "zq.md"))))

  it("ranks as the exhaustive ranking", function()
    local n = 0
    for _ = 1, 200 do
      if #idx:search("zq" .. ("%03d"):format(_ - 1), { limit = 1 }) > 0 then n = n + 1 end
    end
    assert.is_true(n > 150, "zq words indexed: " .. n)     -- far more than 64 expansions
    for _, q in ipairs({ "zq*", "zq1*", "zq0*", "ti:zq*", "abs:zq*", "zq* image", "zq* OR network",
        "zq1* OR zq2* OR zq3*", "(zq* OR image) model", "image -zq2*", "abs:zq* ti:zq1*",
        "zq* -cat:cs.LG", "cat:cs.* zq*", "zq* (learning OR deep)", '"image segmentation" OR zq3*' }) do
      assert.is_true(check(idx, q) > 0, q)
    end
  end)
end)
