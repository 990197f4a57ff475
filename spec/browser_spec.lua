-- The HTML report checked in a real browser (issue 4 "Checked in a real
-- browser"): headless Chromium loads the page, --dump-dom gives the DOM after
-- load, and we check the papers, the chart, and that the hostile paper's
-- <script> / onerror= payloads are on the page as text and ran nothing.
local format = require "arxivdigest.format"
local P = dofile("spec/fixtures/format/papers.lua")

local has_core, ad = pcall(require, "arxivdigest")
local core_error = not has_core and tostring(ad) or nil

local function which(cmd)
  local p = io.popen("command -v " .. cmd .. " 2>/dev/null")
  local out = p:read("a")
  p:close()
  out = out:gsub("%s+$", "")
  return out ~= "" and out or nil
end

local CHROMIUM = which("chromium") or which("chromium-browser")

-- The payloads would leave marks if they ran: the page title changes and
-- the body gets a data-pwned attribute and a #pwned element.
local RUN = "document.title='pwned';document.body.setAttribute('data-pwned','1');"
  .. "var e=document.createElement('div');e.id='pwned';document.body.appendChild(e)"
local HOSTILE = {
  id = "2005.99999", version = 1,
  title = "<script>" .. RUN .. "</script>Hostile <b>title</b>",
  authors = { "<img src=x onerror=\"" .. RUN .. "\">", "Eve" },
  abstract = "Payload <img src=x onerror=\"" .. RUN .. "\"> and <svg onload=\"" .. RUN .. "\"></svg> and "
    .. "<a href=\"javascript:" .. RUN .. "\">click</a> javascript:alert(1) end.",
  categories = { "cs.CV" }, primary_category = "cs.CV",
  abs_url = "javascript:alert(1)", pdf_url = "javascript:alert(1)",
  comment = "<iframe src=\"javascript:alert(1)\"></iframe>",
  date = "2020-05-20", format = "listing", crosslist = false,
}

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local tmpdirs = {}
local function mktempdir()
  local p = io.popen("mktemp -d /tmp/arxivdigest-browser.XXXXXX")
  local d = p:read("l")
  p:close()
  assert(d and d:match("^/tmp/arxivdigest%-browser%.%w+$"), "mktemp -d failed")
  tmpdirs[#tmpdirs + 1] = d
  return d
end

-- Load html in headless Chromium; returns the DOM after load.
local function dump_dom(html)
  local dir = mktempdir()
  local page = dir .. "/report.html"
  local f = assert(io.open(page, "wb"))
  f:write(html)
  f:close()
  local cmd = table.concat({
    shell_quote(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    "--user-data-dir=" .. shell_quote(dir .. "/profile"), "--dump-dom", shell_quote("file://" .. page),
    "2>" .. shell_quote(dir .. "/stderr"),
  }, " ")
  local p = assert(io.popen("timeout 60 " .. cmd))
  local dom = p:read("a")
  local ok, how, code = p:close()
  if not ok or #dom == 0 then
    local e = io.open(dir .. "/stderr")
    local msg = e and e:read("a") or ""
    if e then e:close() end
    error(("chromium failed (%s %s): %s"):format(tostring(how), tostring(code), msg:sub(1, 2000)))
  end
  return dom
end

local function count(s, plain)
  local n, i = 0, 1
  while true do
    local a, b = s:find(plain, i, true)
    if not a then return n end
    n = n + 1
    i = b + 1
  end
end

-- Bars of the papers-over-time chart: one per day, week, month or year
-- that holds a paper, the unit chosen from the span (issue 12).
local function buckets(papers)
  local html = format.get("html")
  local zs, first, last = {}, nil, nil
  for _, p in ipairs(papers) do
    local y, m, d = tostring(p.date):match("^(%d+)%-(%d+)%-(%d+)")
    if y then
      local z = html.days_from_civil(tonumber(y), tonumber(m), tonumber(d))
      zs[#zs + 1] = z
      first, last = math.min(first or z, z), math.max(last or z, z)
    end
  end
  local unit, seen, n = html.bucket_unit(first, last), {}, 0
  for _, z in ipairs(zs) do
    local y, m = html.civil_from_days(z)
    local key = ({ day = z, week = (z + 3) // 7, month = y * 12 + m, year = y })[unit]
    if not seen[key] then seen[key] = true; n = n + 1 end
  end
  return n
end

local function check_page(dom, n, days)
  -- every paper, and the count shown
  assert.are.equal(n, count(dom, '<article class="paper"'))
  assert.truthy(dom:find('<span id="paper-count">' .. n .. "</span>", 1, true))
  -- the chart
  assert.truthy(dom:find('<svg class="chart-days"', 1, true))
  assert.are.equal(days, count(dom:match('<svg class="chart%-days".-</svg>'), "<rect"))
  assert.truthy(dom:find('<svg class="chart-terms"', 1, true))
  -- nothing ran: the title is ours, no marks in the DOM
  assert.truthy(dom:find("<title>Browser check</title>", 1, true))
  assert.is_nil(dom:find("data-pwned=", 1, true))
  assert.is_nil(dom:find('id="pwned"', 1, true))
  -- no element came from paper text
  assert.are.equal(0, count(dom, "<script"))
  assert.are.equal(0, count(dom, "<img"))
  assert.are.equal(0, count(dom, "<iframe"))
  -- no tag carries an event handler or a javascript: URL (text nodes are
  -- serialised with < escaped, so every "<" here starts a real tag)
  local tags = 0
  for tag in dom:gmatch("<[^>]*>") do
    tags = tags + 1
    assert.is_nil(tag:lower():match("%son%a+%s*="), tag)
    assert.is_nil(tag:lower():find("javascript:", 1, true), tag)
  end
  assert.is_true(tags > n * 5)
  -- the payloads are on the page as text
  assert.truthy(dom:find("&lt;script&gt;document.title='pwned';", 1, true))
  assert.truthy(dom:find("&lt;img src=x onerror=\"document.title='pwned';", 1, true))
  assert.truthy(dom:find("&lt;/script&gt;Hostile &lt;b&gt;title&lt;/b&gt;", 1, true))
  assert.truthy(dom:find("javascript:alert(1)", 1, true))
end

describe("the HTML report in headless Chromium", function()
  teardown(function()
    for _, d in ipairs(tmpdirs) do os.execute("rm -rf " .. shell_quote(d)) end
  end)

  local function need_chromium()
    if not CHROMIUM then
      pending("chromium is not installed (Debian package chromium; the test set-up installs it)")
      return false
    end
    return true
  end

  it("runs scripts in this set-up (control page), so the checks below mean something", function()
    if not need_chromium() then return end
    local dom = dump_dom("<!DOCTYPE html><html><head><title>Browser check</title></head><body><p>x</p>"
      .. "<script>" .. RUN .. "</script></body></html>")
    assert.truthy(dom:find("<title>pwned</title>", 1, true))
    assert.truthy(dom:find('id="pwned"', 1, true))
  end)

  it("shows the fixture papers and a hostile one, and runs nothing", function()
    if not need_chromium() then return end
    local papers = {}
    for _, p in ipairs(P.all) do papers[#papers + 1] = p end
    for _, p in ipairs(P.hostile) do papers[#papers + 1] = p end
    papers[#papers + 1] = HOSTILE
    local html = format.render(papers, "html", { title = "Browser check", now = "2024-01-01T00:00:00Z" })
    -- 2019-10-19, 2020-05-20, 1998-10-02, 2020-01-01: 22 years, 3 year bars
    assert.are.equal(3, buckets(papers))
    check_page(dump_dom(html), #papers, 3)
    -- and nothing runs even without the page's Content-Security-Policy:
    -- the escaping alone keeps the payloads inert
    local no_csp, n = html:gsub('<meta http%-equiv="Content%-Security%-Policy"[^>]*>\n', "")
    assert.are.equal(1, n)
    check_page(dump_dom(no_csp), #papers, 3)
  end)

  it("would catch a payload that was not escaped (negative control)", function()
    if not need_chromium() then return end
    local html = format.render({ P.catalog, HOSTILE }, "html", { title = "Browser check" })
    html = html:gsub('<meta http%-equiv="Content%-Security%-Policy"[^>]*>\n', "")
    local escaped = "&lt;script&gt;" .. RUN:gsub("'", "&#39;") .. "&lt;/script&gt;"
    local a, b = html:find(escaped, 1, true)
    assert.truthy(a)
    html = html:sub(1, a - 1) .. "<script>" .. RUN .. "</script>" .. html:sub(b + 1)
    local dom = dump_dom(html)
    assert.truthy(dom:find('id="pwned"', 1, true))
    assert.is_false(pcall(check_page, dom, 2, 2))
  end)

  it("shows the bundled sample with a hostile paper, grouped, and runs nothing", function()
    if not need_chromium() then return end
    if not has_core then
      pending("the C core cannot be loaded (run make): " .. tostring(core_error))
      return
    end
    local c = assert(ad.open("examples/data"))
    local papers, groups, byday = {}, {}, {}
    for p in c:papers() do
      papers[#papers + 1] = p
      local g = byday[p.date]
      if not g then
        g = { key = p.date, papers = {} }
        byday[p.date] = g
        groups[#groups + 1] = g
      end
      g.papers[#g.papers + 1] = p
    end
    papers[#papers + 1] = HOSTILE
    table.insert(byday[HOSTILE.date].papers, HOSTILE)
    local days = #groups
    local html = format.render(papers, "html", { title = "Browser check", groups = groups })
    local dom = dump_dom(html)
    -- five days over 13 months: week bars, 2020-05-20 and -22 in one
    check_page(dom, #papers, buckets(papers))
    assert.are.equal(days, count(dom, '<section class="group"'))
    assert.are.equal(211, #papers)
  end)
end)
