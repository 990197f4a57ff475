-- Weekly summary: papers per day (with an SVG bar chart), top authors, top
-- categories and the terms rising this week against the previous weeks.
--
--   arxivdigest report examples/reports/weekly.lua [--arg week=YYYY-MM-DD] [PATH...]
--
-- The week is the 7 days ending on --arg week (default: the latest day of the
-- input); "previous weeks" are all the earlier papers of the input.

local STOP = {}
for w in ([[a an the of and or in on for to with by from at as is are was were be been this that
  these those we our us it its their which can using based via into than then also such not
  no more most over under between both each other new show shows propose proposed method
  methods approach results paper model models data task tasks learning network networks
  deep performance state art use used two one while has have however different]]):gmatch("%S+") do
  STOP[w] = true
end

local function day_time(d)
  local y, m, dd = d:match("^(%d+)-(%d+)-(%d+)")
  return os.time{year = tonumber(y), month = tonumber(m), day = tonumber(dd), hour = 12}
end

local function minus_days(d, n)
  return os.date("%Y-%m-%d", day_time(d) - n * 86400)
end

local function words(p, into)
  local seen = {}
  local text = ((p.title or "") .. " " .. (p.abstract or "")):lower()
  for w in text:gmatch("[%a][%w%-]*[%w]") do
    if #w > 2 and not STOP[w] and not seen[w] then
      seen[w] = true
      into[w] = (into[w] or 0) + 1
    end
  end
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

return function(ad, args)
  local last = args.week
  if not last then
    for p in args.source:papers() do
      if p.date and (last == nil or p.date > last) then last = p.date end
    end
  end
  if not last then error("weekly.lua: the input holds no dated paper") end
  local first = minus_days(last, 6)

  local function render(papers, _, write)
    local this, before = {}, {}
    for _, p in ipairs(papers) do
      if p.date and p.date >= first and p.date <= last then this[#this + 1] = p
      elseif p.date and p.date < first then before[#before + 1] = p end
    end
    write(("# Weekly summary %s .. %s\n\n"):format(first, last))
    write(("%d papers this week, %d in the previous weeks.\n\n"):format(#this, #before))

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
    local ta = top(authors, 10)
    if #ta == 0 then write("(no author data: daily listings carry no authors)\n") end
    for _, r in ipairs(ta) do write(("- %s (%d)\n"):format(r.key, r.n)) end

    write("\n## Top categories\n\n")
    for _, r in ipairs(top(cats, 5)) do write(("- %s (%d)\n"):format(r.key, r.n)) end

    -- rising terms: share of this week's papers using the term against the
    -- share of the previous weeks' papers (add-one smoothed)
    local now, prev = {}, {}
    for _, p in ipairs(this) do words(p, now) end
    for _, p in ipairs(before) do words(p, prev) end
    local rising = {}
    for w, n in pairs(now) do
      if n >= 3 then
        local ratio = (n / math.max(#this, 1)) / (((prev[w] or 0) + 1) / (#before + 1))
        if ratio > 1 then rising[#rising + 1] = {key = w, n = n, p = prev[w] or 0, ratio = ratio} end
      end
    end
    table.sort(rising, function(a, b)
      if a.ratio ~= b.ratio then return a.ratio > b.ratio end
      return a.key < b.key
    end)
    write("\n## Rising terms\n\n")
    write("| term | this week | previous weeks | ratio |\n|---|---|---|---|\n")
    for i = 1, math.min(10, #rising) do
      local r = rising[i]
      write(("| %s | %d | %d | %.1f |\n"):format(r.key, r.n, r.p, r.ratio))
    end
  end

  return args.source:where(ad.filter.date(nil, last)):format(render)
end
