-- What the formatters read from the command (issue 12, "Output that is
-- wrong or collides"): scores only when ranked (opts.ranked), feed and page
-- identity (opts.query, opts.command, opts.title), the total behind a limit
-- (opts.total), day headers only for date-ordered papers, chart buckets
-- and distinctive terms (opts.query, opts.df, opts.ndocs).
local format = require "arxivdigest.format"
local P = dofile("spec/fixtures/format/papers.lua")
local X = dofile("spec/fixtures/format/xmlcheck.lua")

local function count(s, needle)
  local n, i = 0, 1
  while true do
    local a, b = s:find(needle, i, true)
    if not a then return n end
    n, i = n + 1, b + 1
  end
end

describe("scores", function()
  local two = { P.catalog, P.listing }

  it("never shows score 0 on unranked results", function()
    for _, f in ipairs({ "text", "html" }) do
      local out = format.render(two, f, { color = false, scores = { 0, 0 } })
      assert.is_nil(out:find("score", 1, true), f)
      local g = format.render(nil, f, { color = false, groups = { { key = "d", papers = two, scores = { 0, 0 } } } })
      assert.is_nil(g:find("score", 1, true), f)
      -- no scores at all, or not numbers
      assert.is_nil(format.render(two, f, { color = false }):find("score", 1, true), f)
      assert.is_nil(format.render(two, f, { color = false, scores = { "x", true } }):find("score", 1, true), f)
    end
  end)

  it("shows the scores of a ranked output, a 0 among them included", function()
    local out = format.render(two, "text", { color = false, scores = { 2.5, 0 } })
    assert.truthy(out:find("| score 2.5\n", 1, true))
    assert.truthy(out:find("| score 0\n", 1, true))
    local html = format.render(two, "html", { scores = { 2.5, 0 } })
    assert.are.equal(2, count(html, '<span class="score">'))
  end)

  it("follows opts.ranked when given", function()
    assert.is_nil(format.render(two, "text", { color = false, scores = { 2.5, 1 }, ranked = false })
      :find("score", 1, true))
    assert.are.equal(2, count(format.render(two, "text", { color = false, scores = { 0, 0 }, ranked = true }),
      "score 0"))
    local nan = format.render(two, "html", { scores = { 0 / 0, 1 }, ranked = true })
    assert.is_nil(nan:find("score %-?nan"))
    assert.are.equal(1, count(nan, '<span class="score">'))
  end)
end)

describe("feed and page identity", function()
  local function feed(opts)
    local doc = assert(X.check(format.render({ P.catalog, P.revised }, "atom", opts)))
    return X.text(X.child(doc, "id")), X.text(X.child(doc, "title")), doc
  end

  it("gives each query's feed its own stable id and a title naming it", function()
    local id1, t1 = feed({ query = "diffusion", command = "search", now = 0 })
    local id2, t2 = feed({ query = "nerf", command = "search", now = 0 })
    assert.are_not.equal(id1, id2)
    assert.are.equal("arXiv: diffusion", t1)
    assert.are.equal("arXiv: nerf", t2)
    -- stable: same query, other spacing or case, another day, other papers
    assert.are.equal(id1, (feed({ query = "  Diffusion ", command = "search", now = 86400 * 400 })))
    assert.are.equal(id1, X.text(X.child(assert(X.check(format.render({ P.listing }, "atom",
      { query = "diffusion", command = "search" }))), "id")))
    assert.truthy(id1:match("^urn:arxivdigest:query:%x+$"))
    -- the command is part of it
    local id3, t3 = feed({ query = "1512.03385", command = "similar" })
    assert.are_not.equal(id3, (feed({ query = "1512.03385", command = "search" })))
    assert.are.equal("arXiv similar: 1512.03385", t3)
    -- an explicit title wins; without a query it names the feed
    local id4, t4 = feed({ title = "My week" })
    assert.are.equal("My week", t4)
    assert.are_not.equal("urn:arxivdigest:feed", id4)
    assert.are.equal(id4, (feed({ title = "My week" })))
    assert.are_not.equal(id4, (feed({ title = "Other week" })))
  end)

  it("keeps entry ids stable per paper", function()
    local _, _, d1 = feed({ query = "diffusion" })
    local _, _, d2 = feed({ query = "nerf" })
    local e1, e2 = X.find_all(d1, "entry"), X.find_all(d2, "entry")
    for i = 1, 2 do
      assert.are.equal(X.text(X.child(e1[i], "id")), X.text(X.child(e2[i], "id")))
    end
    assert.are.equal("http://arxiv.org/abs/1910.11126", X.text(X.child(e1[1], "id")))
  end)

  it("names the query in the HTML title and heading", function()
    local doc = assert(X.check(format.render({ P.catalog }, "html", { query = "diffusion", command = "search" })))
    assert.are.equal("arXiv: diffusion", X.text(X.find_all(doc, "title")[1]))
    assert.are.equal("arXiv: diffusion", X.text(X.find_all(doc, "h1")[1]))
    local t = assert(X.check(format.render({ P.catalog }, "html", { query = "diffusion", title = "Weekly" })))
    assert.are.equal("Weekly", X.text(X.find_all(t, "h1")[1]))
    assert.truthy(X.text(t):find("Query: diffusion", 1, true))
  end)
end)

describe("counts", function()
  it("says how many of how many matches are shown (opts.total)", function()
    local two = { P.catalog, P.listing }
    assert.truthy(format.render(two, "text", { color = false, total = 75 }):find("\n2 of 75 papers\n$"))
    assert.truthy(format.render(two, "text", { color = false, total = 2 }):find("\n2 papers\n$"))
    assert.truthy(format.render(two, "text", { color = false }):find("\n2 papers\n$"))
    assert.truthy(format.render({ P.catalog }, "text", { color = false }):find("\n1 paper\n$"))
    assert.truthy(format.render({ P.catalog }, "text", { color = false, total = 9 }):find("\n1 of 9 papers\n$"))
    local html = format.render(two, "html", { total = 75 })
    assert.truthy(html:find('<span id="paper-count">2</span> of 75 papers', 1, true))
  end)
end)

describe("day headers", function()
  local function p(id, date) return { id = id, title = "Paper " .. id, abstract = "A.", primary_category = "cs.CV",
    date = date, published = date .. "T00:00:00Z" } end
  -- ranked by score over three days: the days interleave
  local ranked = { p("2101.00001", "2021-01-04"), p("2101.00002", "2021-01-06"), p("2101.00003", "2021-01-04"),
    p("2101.00004", "2021-01-05"), p("2101.00005", "2021-01-06") }

  it("markdown: no day headers for papers ranked across days, the order and each date kept", function()
    for _, style in ipairs({ "catalog", "listing", "auto" }) do
      local out = format.render(ranked, "markdown", { style = style })
      assert.is_nil(out:find("\n?# Arxiv Papers in") or out:find("\n?# ArXiv "), style)
      local ids = {}
      for id in out:gmatch("2101%.0000(%d)") do if ids[#ids] ~= id then ids[#ids + 1] = id end end
      assert.are.same({ "1", "2", "3", "4", "5" }, ids, style)
      -- the date on each paper (catalogs also carry it in Published)
      assert.are.equal(style == "listing" and 2 or 4, count(out, "2021-01-04"), style)
    end
    assert.truthy(format.render(ranked, "markdown"):find("### Paper 2101.00002\n- **Date**: 2021-01-06\n", 1, true))
    -- all on different days, in no date order: no headers either
    local distinct = { ranked[1], ranked[4], ranked[2] }
    assert.is_nil(format.render({ distinct[2], distinct[1], distinct[3] }, "markdown"):find("# Arxiv Papers", 1, true))
  end)

  it("markdown: one header per day for date-ordered papers", function()
    local sorted = { ranked[1], ranked[3], ranked[4], ranked[2], ranked[5] }
    local out = format.render(sorted, "markdown")
    assert.are.equal(3, count(out, "# Arxiv Papers in cs.CV on "))
    assert.is_nil(out:find("**Date**", 1, true))
    -- newest first too, and one paper a day in date order
    assert.are.equal(3, count(format.render({ ranked[2], ranked[4], ranked[1] }, "markdown"), "# Arxiv Papers in"))
    local listing = format.render(sorted, "markdown", { style = "listing" })
    assert.are.equal(3, count(listing, "# ArXiv cs.CV --"))
  end)

  it("html: dates on each paper, no day headers", function()
    local doc = assert(X.check(format.render(ranked, "html", { charts = false })))
    assert.are.equal(0, #X.find_all(doc, "h2"))
    assert.are.equal(5, #X.find_all(doc, "time"))
  end)
end)

describe("html charts", function()
  local html = format.get("html")

  local function dated(from, days, step)
    local out = {}
    local z0 = html.days_from_civil(tonumber(from:sub(1, 4)), tonumber(from:sub(6, 7)), tonumber(from:sub(9, 10)))
    for k = 0, days - 1, step or 1 do
      local y, m, d = html.civil_from_days(z0 + k)
      out[#out + 1] = { id = "x" .. k, title = "T", date = string.format("%04d-%02d-%02d", y, m, d) }
    end
    return out
  end

  local function bars(papers)
    local doc = assert(X.check(format.render(papers, "html", { charts = { terms = false } })))
    local svg = X.find_all(doc, "svg")[1]
    local tips = {}
    for _, r in ipairs(X.find_all(svg, "rect")) do tips[#tips + 1] = X.text(r) end
    return tips, X.text(X.find_all(doc, "h2")[1])
  end

  it("picks day, week, month or year buckets from the span", function()
    local tips, head = bars(dated("2021-03-01", 30))
    assert.are.equal(30, #tips)
    assert.are.equal("Papers per day", head)
    assert.are.equal("2021-03-01: 1", tips[1])
    tips, head = bars(dated("2021-01-04", 300))
    assert.are.equal("Papers per week", head)
    assert.are.equal(43, #tips) -- 300 days from a Monday
    assert.are.equal("week of 2021-01-04: 7", tips[1])
    -- three years: one bar per month, not per day
    tips, head = bars(dated("2020-01-01", 3 * 365 + 1, 3))
    assert.are.equal("Papers per month", head)
    assert.are.equal(36, #tips)
    assert.are.equal("2020-01: 11", tips[1])
    tips, head = bars(dated("1995-06-01", 30 * 365, 30))
    assert.are.equal("Papers per year", head)
    assert.is_true(#tips >= 10 and #tips <= 60)
    for _, n in ipairs({ 1, 2, 61, 62, 420, 421, 1850, 1900, 5000 }) do
      local z = html.days_from_civil(2020, 1, 1)
      local unit = html.bucket_unit(z, z + n - 1)
      local nbars = ({ day = n, week = (n - 1) // 7 + 1 })[unit]
      if nbars then assert.is_true(nbars <= 60, unit .. " " .. n) end
    end
  end)

  it("draws empty buckets as gaps", function()
    local tips = bars({ { id = "a", date = "2021-01-01" }, { id = "b", date = "2021-01-01" },
      { id = "c", date = "2021-01-20" } })
    assert.are.same({ "2021-01-01: 2", "2021-01-20: 1" }, tips)
  end)

  local papers = {
    { title = "Radiance fields for dynamic scenes", abstract = "NeRF across views is available; we propose "
      .. "radiance fields with deformation. Code: https://github.com/a/b" },
    { title = "Deformable radiance fields", abstract = "Across scenes, NeRFs and nerf-based models are available "
      .. "for deformation and relighting." },
    { title = "Relighting radiance fields", abstract = "Available across datasets: NeRF relighting with learning." },
  }

  it("a template's {score} is the score of a ranked output, empty otherwise; {first_seen} is known", function()
    local fmt = require "arxivdigest.format"
    local ps = { { id = "2001.00001" }, { id = "2001.00002" } }
    local function render(t, opts)
      local out = {}
      fmt.render(ps, t, opts, function(s) out[#out + 1] = s end)
      return table.concat(out)
    end
    assert.equal("2.5 2001.00001\n1.25 2001.00002\n", render("{score} {id}", { scores = { 2.5, 1.25 } }))
    assert.equal("[] 2001.00001\n[] 2001.00002\n", render("[{score}] {id}", {}))
    local ok, err = pcall(fmt.template, "{nope}")
    assert.is_false(ok)
    assert.matches("first_seen", err, 1, true)
    assert.matches("score", err, 1, true)
  end)

  it("jsonl and csv of a ranked output carry each paper's score (not of an unranked one)", function()
    local fmt = require "arxivdigest.format"
    local ps = { { id = "2001.00001", title = "A" }, { id = "2001.00002", title = "B" } }
    local function render(name, opts)
      local out = {}
      fmt.render(ps, name, opts, function(s) out[#out + 1] = s end)
      return table.concat(out)
    end
    local js = render("jsonl", { scores = { 2.5, 1.25 } })
    assert.matches('"score":2.5}\n', js, 1, true)
    assert.matches('"score":1.25}\n', js, 1, true)
    assert.not_matches('"score"', render("jsonl", { scores = { 0, 0 } }), 1, true)   -- unranked
    assert.not_matches('"score"', render("jsonl", {}), 1, true)
    local csv = render("csv", { scores = { 2.5, 1.25 } })
    local header = csv:match("^[^\r]*")
    assert.matches(",score$", header)
    assert.matches(",2.5\r\n", csv, 1, true)
    assert.not_matches("score", render("csv", {}), 1, true)
  end)

  it("leaves out the query's terms and generic words", function()
    local terms = {}
    for _, t in ipairs(html.top_terms(papers, 20, { query = "nerf" })) do terms[t.term] = t end
    for _, w in ipairs({ "nerf", "nerfs", "nerf-based", "across", "available", "propose", "github", "https" }) do
      assert.is_nil(terms[w], w)
    end
    assert.truthy(terms.radiance)
    assert.truthy(terms.relighting)
    -- phrases and fielded terms count; negated ones do not
    local t2 = {}
    for _, t in ipairs(html.top_terms(papers, 20, { query = '"radiance fields" -relighting' })) do t2[t.term] = t end
    assert.is_nil(t2.radiance)
    assert.is_nil(t2.fields)
    assert.truthy(t2.relighting)
    -- a prefix leaves out every word it expands to; a negated one does not
    local t3 = {}
    for _, t in ipairs(html.top_terms(papers, 20, { query = "deform* -relight*" })) do t3[t.term] = t end
    assert.is_nil(t3.deformation)
    assert.is_nil(t3.deformable)
    assert.truthy(t3.relighting)
    assert.truthy(t3.radiance)
  end)

  it("weighs terms by tf-idf against the archive (opts.df, opts.ndocs)", function()
    -- "fields" and "deformation" both in 2 of 3 papers... in the archive,
    -- "fields" is common and "deformation" rare
    local df = { fields = 5000, deformation = 20, radiance = 300, relighting = 40, scenes = 6000, dynamic = 4000 }
    local terms = html.top_terms(papers, 4, { query = "nerf", ndocs = 100000, df = function(t) return df[t] or 0 end })
    local rank = {}
    for i, t in ipairs(terms) do rank[t.term] = i end
    assert.truthy(rank.deformation)
    assert.is_true(rank.deformation < (rank.fields or 99))
    assert.are.equal("radiance", terms[1].term) -- in 3 papers, rare enough
    -- the chart shows the count of papers, bars by weight
    local out = format.render(papers, "html", { query = "nerf", ndocs = 100000, df = function(t) return df[t] or 0 end })
    assert.truthy(out:find("<title>radiance: 3</title>", 1, true))
  end)
end)
