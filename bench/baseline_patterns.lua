-- bench/baseline_patterns.lua: a catalog-file parser in plain Lua string
-- patterns, the first baseline of `make bench`.  It builds one table per paper
-- with every field (id, version, title, authors, abstract, categories,
-- primary_category, pdf_url, abs_url, doi, comment, journal, published,
-- updated, date), continuation lines joined and whitespace collapsed.
--
--   local B = dofile "bench/baseline_patterns.lua"
--   local papers = B.parse(text, "copy0/01/20190102.md")   -- array of tables

local string, tonumber, type, error = string, tonumber, type, error
local find, match, gsub, gmatch, byte = string.find, string.match, string.gsub, string.gmatch, string.byte

local M = { name = "patterns" }

local function clean(s)
  if s == nil then return nil end
  -- plain searches first (memchr speed): most values need no rewriting
  if find(s, "  ", 1, true) or find(s, "\t", 1, true) or find(s, "\r", 1, true)
     or find(s, "\n", 1, true) then
    s = gsub(s, "[ \t\r\n]+", " ")   -- the whitespace of the format, as in the LPeg grammar
  end
  if byte(s, 1) == 32 or byte(s, -1) == 32 then s = match(s, "^ ?(.-) ?$") end
  return s
end

local function opt(s)
  s = clean(s)
  if s == nil or s == "" or s == "None" then return nil end
  return s
end

local function iso(s)
  s = opt(s)
  if s == nil then return nil end
  local d, t = match(s, "^(%d%d%d%d%-%d%d%-%d%d)[ T](%d%d:%d%d:%d%d)")
  if d then return d .. "T" .. t .. "Z" end
  return s
end

local function split_list(s)
  local list = {}
  if s == nil then return list end
  for item in gmatch(s, "[^,]+") do
    item = match(item, "^%s*(.-)%s*$")
    if item ~= "" then list[#list + 1] = item end
  end
  return list
end

-- Turn the raw "Name" -> value strings of one record into a paper table.
local function finish(raw, date)
  local p = { title = clean(raw.title), date = date }
  local abs_url = opt(raw["Arxiv ID"])
  p.abs_url = abs_url
  if abs_url then
    local id, v = match(abs_url, "arxiv%.org/abs/(.-)v(%d+)$")
    if not id then id = match(abs_url, "arxiv%.org/abs/(.+)$") or abs_url end
    p.id, p.version = id, v and tonumber(v)
  end
  p.doi = opt(raw.DOI)
  -- categories, by the core's rule (ad_cat_next): the words between commas,
  -- semicolons, whitespace and "**", less a name after a lone "-" up to the
  -- next comma, none over 92 bytes; the primary: the first bold one
  local craw = clean(raw.Categories)
  local cats, primary = {}, nil
  if craw then
    primary = match(craw, "%*%*([^%*]-)%*%*")
    craw = gsub(" " .. craw .. " ", "[%s,;%*]%-[%s,;%*][^,]*", ",")
    for w in gmatch(craw, "[^%s,;%*]+") do
      if #w <= 92 then cats[#cats + 1] = w end
    end
  end
  p.categories, p.primary_category = cats, primary or cats[1]
  local links = raw.Links
  p.pdf_url = links and match(links, "%[PDF%]%(([^)]*)%)") or nil
  p.published = iso(raw.Published)
  p.updated = iso(raw.Updated)
  p.authors = split_list(clean(raw.Authors))
  p.comment = opt(raw.Comment)
  p.journal = opt(raw.Journal)
  p.abstract = clean(raw.Summary)
  return p
end

-- Parse one catalog file's text; returns an array of paper tables.
-- Records start at "### " lines; each "- **Name**: value" line (with its
-- indented continuation lines) is found with string.find from the previous one.
function M.parse(text, source)
  if type(text) ~= "string" then
    error("bad argument #1 to 'parse' (string expected, got " .. type(text) .. ")", 2)
  end
  local date = match(text, "^[^\n]-(%d%d%d%d%-%d%d%-%d%d)")
  if not date and source then
    local y, m, d = match(source, "(%d%d%d%d)(%d%d)(%d%d)%.md$")
    if y then date = y .. "-" .. m .. "-" .. d end
  end
  if byte(text, 1) ~= 10 then text = "\n" .. text end   -- every line starts after a "\n"
  local out, n = {}, 0
  local s, e, title = find(text, "\n### ([^\n]*)")
  while s do
    local raw = { title = title }
    local key = "title"
    local nxt, ne, ntitle = find(text, "\n### ([^\n]*)", e + 1)
    local stop = nxt or #text + 1
    local pos = e + 1
    while pos < stop do
      local ls, le, name, value = find(text, "^\n%- %*%*([^*\n]+)%*%*:[ \t]*([^\n]*)", pos)
      if ls then
        key = name
        raw[name] = value
        pos = le + 1
      else
        local cs, ce, more = find(text, "^\n[ \t]+([^\n]*%S[^\n]*)", pos)
        if cs and key then
          raw[key] = raw[key] .. " " .. more
          pos = ce + 1
        else                                  -- any other line ends the field
          key = nil
          pos = find(text, "\n", pos + 1, true) or stop
        end
      end
    end
    n = n + 1
    out[n] = finish(raw, date)
    s, e, title = nxt, ne, ntitle
  end
  return out
end

return M
