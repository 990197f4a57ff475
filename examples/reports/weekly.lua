-- Weekly summary: papers per day (with an SVG bar chart), top authors, top
-- primary categories (each paper counted once, under its primary one), and
-- the terms rising this week against the previous weeks.
--
--   arxivdigest report examples/reports/weekly.lua -i archive.adx [--arg week=YYYY-MM-DD]
--       [--arg weeks=8] [--arg query='cat:cs.CV'] [--arg top=10]
--
-- The week is the 7 days ending on `week` (default: the latest day of the
-- input). "Previous weeks" are the `weeks` (default 8) weeks before it, not
-- the whole past: a term rises when this week's papers use it more often
-- than those of the last two months did. `query` (the query language)
-- restricts the whole summary, e.g. to a category or a topic.
--
-- Rising terms (words and two-word phrases of titles and abstracts):
--   * candidates: used by at least 1% of this week's papers (and by 4);
--   * counted by the input (an index counts without reading papers): a of
--     A papers this week, b of B papers in the previous weeks;
--   * kept when the rise is likely real: with approximate 95% bounds of a
--     count k seen as a Poisson rate, low(k) = (sqrt k - 0.98)^2 and
--     high(k) = (sqrt(k + 1) + 0.98)^2, the lowest likely share this week,
--     low(a) / A, is above the highest likely share before, high(b) / B;
--   * ordered by the log of the ratio of those two shares (how surely and
--     how much it rose) times the term's distinctiveness
--     (idf: log of the number of papers of the input over the number that
--     use the term), so that rare, specific terms come before common words
--     that are up by chance;
--   * one entry per topic: a term inside a better one ("adversarial" after
--     "generative adversarial") or containing one is left out, and so is a
--     term sharing a word with a better one counted in as many papers
--     ("real-time gaussian" after "gaussian splatting").
-- Works in the sandbox (--sandbox): it only uses args.source and ad.filter.

local STOP = {}
for w in ([[a about above across after again against all almost along also although among an
  and another any are around as at available based be because been before being below between
  both but by can could did do does done due during each either enough especially even every
  first for from further given has have having here how however if in into is it its itself just
  last less like made make makes many may more most much must new next no nor not now of off
  often on once one only or other others our out over own paper per propose proposed provide
  provides rather recent recently respectively same several should show shows shown significant
  significantly since so some still such than that the their them then there therefore these
  they this those though three through thus to too two under until up upon us use used uses
  using various very via was we well were what when where whether which while who whose why
  will with within without would yet
  approach approaches method methods model models result results task tasks data based learning
  network networks deep performance state-of-the-art state art experiments experimental
  demonstrate demonstrates existing different extensive achieve achieves outperforms
  framework novel effective effectively work works https http url www com github org code
  available textbf emph mathbf mathcal]]):gmatch("%S+") do
  STOP[w] = true
end

local function day_time(d)
  local y, m, dd = d:match("^(%d+)-(%d+)-(%d+)")
  if not y then error("weekly.lua: a day is YYYY-MM-DD, got '" .. tostring(d) .. "'", 0) end
  return os.time{year = tonumber(y), month = tonumber(m), day = tonumber(dd), hour = 12}
end

local function minus_days(d, n)
  return os.date("%Y-%m-%d", day_time(d) - n * 86400)
end

-- The words and two-word phrases of a text, each once per paper (into `seen`).
local function terms(text, fold, seen, add)
  local prev
  for w in fold(text):gmatch("%w[%w%-]*%w") do
    if #w > 2 and not STOP[w] and w:find("%a") then
      if not seen[w] then seen[w] = true; add(w) end
      if prev then
        local two = prev .. " " .. w
        if not seen[two] then seen[two] = true; add(two) end
      end
      prev = w
    else
      prev = nil
    end
  end
end

-- Does term `big` hold term `small` as whole words ("generative adversarial", "adversarial")?
local function contains(big, small)
  return (" " .. big .. " "):find(" " .. small .. " ", 1, true) ~= nil
end

-- Do two terms share a word ("real-time gaussian", "gaussian splatting")?
local function shares_word(x, y)
  for w in x:gmatch("%S+") do
    if contains(y, w) then return true end
  end
  return false
end

-- The query tree of a term in titles and abstracts.
local function term_tree(t)
  local kind = t:find(" ", 1, true) and "phrase" or "term"
  return {type = "or", {type = kind, field = "ti", text = t}, {type = kind, field = "abs", text = t}}
end

local function top(t, n)
  local list = {}
  for k, v in pairs(t) do list[#list + 1] = {key = k, n = v} end
  table.sort(list, function(a, b)
    if a.n ~= b.n then return a.n > b.n end
    return a.key < b.key
  end)
  local out = {}
  for i = 1, math.min(n, #list) do out[i] = list[i] end
  return out
end

local function svg_chart(rows)
  local w, h, bar = 40, 120, 30
  local max = 1
  for _, r in ipairs(rows) do if r.n > max then max = r.n end end
  local out = {('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" '
    .. 'aria-label="papers per day">')
    :format(#rows * w + 10, h + 30)}
  for i, r in ipairs(rows) do
    local bh = math.floor(r.n / max * h + 0.5)
    local x = (i - 1) * w + 10
    out[#out + 1] = ('<rect class="bar" x="%d" y="%d" width="%d" height="%d" fill="#4a7"><title>%s: %d</title></rect>')
      :format(x, h - bh, bar, bh, r.key, r.n)
    out[#out + 1] = ('<text x="%d" y="%d" font-size="9">%s</text>'):format(x, h + 14, r.key:sub(6))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

-- The rising terms of `this` (the week's papers) against the pipeline
-- `before` (the previous weeks), best first.
local function rising_terms(this, before, all, fold, n)
  local A, B = #this, before:count()
  if A == 0 or B == 0 then return {}, B end
  local df = {}
  for _, p in ipairs(this) do
    local seen = {}
    local function add(t) df[t] = (df[t] or 0) + 1 end
    terms(p.title or "", fold, seen, add)
    terms(p.abstract or "", fold, seen, add)
  end
  local min = math.max(4, math.ceil(A / 100))
  local week = all   -- counts this week through the same query as the previous weeks
  local found = {}
  for t, k in pairs(df) do
    if k >= min then
      local tree = term_tree(t)
      local a = week:query(tree):count()
      if math.sqrt(a) > 0.98 then
        local lo = (math.sqrt(a) - 0.98) ^ 2 / A
        local b = before:query(tree):count()
        local hi = (math.sqrt(b + 1) + 0.98) ^ 2 / B
        if lo > hi then
          found[#found + 1] = {key = t, two = t:find(" ", 1, true) ~= nil, tree = tree, a = a, b = b,
                               lcb = math.log(lo / hi),
                               ratio = (a / A) / ((b + 0.5) / B)}
        end
      end
    end
  end
  -- distinctiveness of the likeliest rises
  table.sort(found, function(x, y)
    if x.lcb ~= y.lcb then return x.lcb > y.lcb end
    return x.key < y.key
  end)
  local shortlist = {}
  for i = 1, math.min(#found, 3 * n) do shortlist[i] = found[i] end
  return shortlist, B
end

return function(ad, args)
  local f = ad.filter
  local src = args.source
  if args.query and args.query ~= "" then src = src:query(args.query) end
  local weeks = math.tointeger(tonumber(args.weeks or 8))
  if not weeks or weeks < 1 then error("weekly.lua: weeks must be a positive integer", 0) end
  local ntop = math.tointeger(tonumber(args.top or 10)) or 10
  local last = args.week
  if not last then
    local newest = src:sort("date", "desc"):limit(1):collect()[1]
    last = newest and newest.date
  end
  if not last then error("weekly.lua: the input holds no dated paper", 0) end
  local first = minus_days(last, 6)
  local bfirst, blast = minus_days(first, 7 * weeks), minus_days(first, 1)
  local week = src:where(f.date(first, last))
  local before = src:where(f.date(bfirst, blast))

  local function render(this, _, write)
    local rising, B = rising_terms(this, before, week, f.fold, ntop)
    if #rising > 0 then
      local N = src:count()
      for _, r in ipairs(rising) do
        local df = src:query(r.tree):count()
        r.idf = math.log((N + 1) / (df + 1))
        r.score = r.lcb * r.idf
      end
      table.sort(rising, function(x, y)
        if x.score ~= y.score then return x.score > y.score end
        if x.two ~= y.two then return x.two end    -- a phrase before its words
        return x.key < y.key
      end)
      local kept = {}
      for _, r in ipairs(rising) do
        local dup = false
        for _, k in ipairs(kept) do
          if contains(k.key, r.key) or contains(r.key, k.key)
             or (k.a == r.a and k.b == r.b and shares_word(k.key, r.key)) then
            dup = true
            break
          end
        end
        if not dup and #kept < ntop then kept[#kept + 1] = r end
      end
      rising = kept
    end

    write(("# Weekly summary %s .. %s\n\n"):format(first, last))
    if args.query and args.query ~= "" then write(("Papers matching `%s`.\n\n"):format(args.query)) end
    write(("%d paper%s this week, %d in the previous %d weeks (%s .. %s).\n\n")
      :format(#this, #this == 1 and "" or "s", B, weeks, bfirst, blast))

    local per_day, authors, cats = {}, {}, {}
    for _, p in ipairs(this) do
      per_day[p.date] = (per_day[p.date] or 0) + 1
      for _, a in ipairs(p.authors or {}) do authors[a] = (authors[a] or 0) + 1 end
      if p.primary_category then cats[p.primary_category] = (cats[p.primary_category] or 0) + 1 end
    end
    local days = {}
    for d, n in pairs(per_day) do days[#days + 1] = {key = d, n = n} end
    table.sort(days, function(a, b) return a.key < b.key end)
    write("## Papers per day\n\n")
    for _, r in ipairs(days) do write(("- %s: %d\n"):format(r.key, r.n)) end
    write("\n" .. svg_chart(days) .. "\n\n")

    write("## Top authors\n\n")
    local ta = top(authors, ntop)
    if #ta == 0 then
      write(#this == 0 and "(no paper this week: the archive has no digest of these days)\n"
        or "(no author data: daily listings carry no authors)\n")
    end
    for _, r in ipairs(ta) do write(("- %s (%d)\n"):format(r.key, r.n)) end

    write("\n## Top primary categories\n\n")
    for _, r in ipairs(top(cats, 5)) do write(("- %s (%d)\n"):format(r.key, r.n)) end

    write(("\n## Rising terms\n\nAgainst the previous %d weeks; ratio: this week's share of papers "
      .. "over the previous weeks' share.\n\n"):format(weeks))
    if B == 0 then
      write(("(no papers in the previous %d weeks to compare with)\n"):format(weeks))
    elseif #rising == 0 then
      write("(no term rose clearly)\n")
    else
      write(("| term | this week | previous %d weeks | ratio |\n|---|---|---|---|\n"):format(weeks))
      for _, r in ipairs(rising) do
        write(("| %s | %d | %d | %.1f |\n"):format(r.key, r.a, r.b, r.ratio))
      end
    end
  end

  return week:format(render)
end
