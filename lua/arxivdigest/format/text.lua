-- arxivdigest.format.text: papers for a terminal.
--
--   opts.width     wrap width in columns: an integer >= 20 (default 80)
--   opts.color     true / false / nil (auto: colour only when writing to
--                  stdout that is a terminal, never when NO_COLOR is set to
--                  a non-empty value or TERM=dumb; an explicit true wins)
--   opts.abstract  false to leave abstracts out
--   opts.title     a heading; opts.groups renders one section per group
--   opts.scores    scores parallel to the papers (a ranked pipeline passes
--                  them; groups may carry their own .scores): shown per paper
--                  when the output is ranked
--   opts.total     the number of matches before a limit: the footer says
--                  "2 of 75 papers" when it is more than those shown
--   opts.first     the number of the first paper shown (default 1; a
--                  pipeline's :limit(n, offset) passes offset + 1), so the
--                  papers after an offset keep their ranks
--   opts.ranked    true / false: show scores or not; nil: ranked when some
--                  score is a non-zero number (an unranked index query
--                  gives every paper score 0: never shown)
--   opts.stdout    the output goes to stdout (set by render when write is
--                  io.stdout); opts.isatty / opts.getenv replace the TTY test
--                  and os.getenv (for tests)
--
-- Lines are wrapped on UTF-8 character boundaries (wide characters count
-- two columns). Paper text cannot drive the terminal: invalid UTF-8 becomes
-- U+FFFD, C0 controls and DEL are shown as control pictures (ESC as U+241B),
-- C1 controls become U+FFFD and bidi embedding/override/isolate characters
-- (U+202A-U+202E, U+2066-U+2069) are removed.

local util = require "arxivdigest.format.util"

local type, tostring, tonumber, ipairs, os, utf8, math = type, tostring, tonumber, ipairs, os, utf8, math
local table, string = table, string

local M = { name = "text", extension = "txt", mime = "text/plain; charset=utf-8" }

-- Is stdout a terminal? Replace for tests (or set opts.isatty).
function M.isatty()
  local ok, core = pcall(require, "arxivdigest.core")
  if ok then return core.isatty(1) end
  return os.execute("test -t 1") == true
end

function M.use_color(opts)
  if opts.color ~= nil then return opts.color and true or false end
  local getenv = opts.getenv or os.getenv
  local nc = getenv("NO_COLOR")
  if nc ~= nil and nc ~= "" then return false end
  if getenv("TERM") == "dumb" then return false end
  if not opts.stdout then return false end
  local isatty = opts.isatty or M.isatty
  return isatty() and true or false
end

-- Visible stand-ins for control characters (U+2400.., U+2421 for DEL).
local PICTURE = { ["\127"] = "\226\144\161" }
for b = 0, 31 do PICTURE[string.char(b)] = utf8.char(0x2400 + b) end

local find, byte, math_type = string.find, string.byte, math.type

-- The core's one-pass helpers for printable-ASCII text (csrc/ad_text.c),
-- when the C core is there (it is in a sandbox too): plain_text(s) says
-- whether s is printable ASCII with single spaces and none at either end
-- (what sanitize gives back unchanged); wrap_plain(s, width, indent) is
-- M.wrap of such text, nil for any other. Without the core, the same
-- answers come from Lua (spec/format_spec.lua compares the two).
local okcore, core = pcall(require, "arxivdigest.core")
local plain_text = okcore and type(core) == "table" and core.plain_text or nil
local wrap_plain = okcore and type(core) == "table" and core.wrap_plain or nil

local function is_plain(s)
  if plain_text then return plain_text(s) end
  return not find(s, "[^ -~]") and not find(s, "  ", 1, true) and byte(s, 1) ~= 32 and byte(s, -1) ~= 32
end

function M.sanitize(s)
  if s == nil then return "" end
  if type(s) ~= "string" then s = tostring(s) end
  -- printable ASCII, single spaces, no space at either end: util.line would
  -- give s itself (the common case: a field of a real archive)
  if is_plain(s) then return s end
  return util.line(s, PICTURE)
end

-- Cut a word wider than avail columns into lines (appended to lines with
-- indent) on character boundaries; returns the rest (at most avail columns)
-- and its width. Linear: whole lines of avail characters are found with
-- utf8.offset and measured once; characters are walked one by one only in
-- a line holding wide characters.
local function cut(word, avail, indent, lines)
  local start, n = 1, #word
  while true do
    local e = utf8.offset(word, avail + 1, start)
    if not e or e > n then break end
    local piece = word:sub(start, e - 1)
    if util.width(piece) > avail then
      local pw = 0
      for pos, c in utf8.codes(piece) do
        local w = util.cpwidth(c)
        if pw + w > avail and pw > 0 then e = start + pos - 1; break end
        pw = pw + w
      end
      piece = word:sub(start, e - 1)
    end
    lines[#lines + 1] = indent .. piece
    start = e
  end
  word = word:sub(start)
  local ww = util.width(word)
  while ww > avail do
    -- at most avail characters left, wider than the line
    local pw, e = 0, nil
    for pos, c in utf8.codes(word) do
      local w = util.cpwidth(c)
      if pw + w > avail and pw > 0 then e = pos; break end
      pw = pw + w
    end
    lines[#lines + 1] = indent .. word:sub(1, e - 1)
    word = word:sub(e)
    ww = util.width(word)
  end
  return word, ww
end

-- M.wrap for ASCII text whose words are separated by single spaces (what
-- sanitized text usually is): a line is a substring of s, found from the
-- last space of a window of avail + 1 characters, so no word list is
-- built. Gives exactly what the general path gives (spec/format_spec.lua
-- compares the two on generated text).
local function wrap_ascii(s, avail, indent)
  if s:byte(1) == 32 or s:byte(-1) == 32 then s = s:match("^ *(.-) *$") end
  local len = #s
  if len <= avail then return indent .. s end
  local sub = string.sub
  local lines, n = {}, 0
  local pos = 1
  while len - pos + 1 > avail do
    local k = pos + avail                  -- the last space at or before k
    while k > pos and byte(s, k) ~= 32 do k = k - 1 end
    n = n + 1
    if k > pos then                        -- the words before that space
      lines[n] = indent .. sub(s, pos, k - 1)
      pos = k + 1
    else                                   -- one word longer than the line: cut
      lines[n] = indent .. sub(s, pos, pos + avail - 1)
      pos = pos + avail
    end
  end
  n = n + 1
  lines[n] = indent .. sub(s, pos)
  return table.concat(lines, "\n")
end

-- Wrap one paragraph to width columns with indent (a string of spaces).
-- Linear in #s: each word is measured once, a long one cut in one pass.
local function wrap_general(s, width, indent)
  indent = indent or ""
  local iw = #indent
  local avail = math.max(width - iw, 10)
  local lines, cur, curw = {}, {}, 0
  local function flush()
    lines[#lines + 1] = indent .. table.concat(cur, " ")
    cur, curw = {}, 0
  end
  for word in s:gmatch("%S+") do
    local ww = util.width(word)
    if ww > avail then
      -- a word longer than the line is cut on character boundaries
      if curw > 0 then flush() end
      word, ww = cut(word, avail, indent, lines)
    end
    if curw > 0 and curw + 1 + ww > avail then flush() end
    if ww > 0 then
      cur[#cur + 1] = word
      curw = curw + (curw > 0 and 1 or 0) + ww
    end
  end
  if curw > 0 or #lines == 0 then flush() end
  return table.concat(lines, "\n")
end

function M.wrap(s, width, indent)
  if wrap_plain and type(s) == "string" and math_type(width) == "integer"
    and (indent == nil or type(indent) == "string") then
    -- printable ASCII, single spaces: the C core's one pass (what
    -- wrap_ascii gives)
    local r = wrap_plain(s, width, indent)
    if r then return r end
  end
  if not s:find("[\128-\255]") and not s:find("[\t-\r]") and not s:find("  ", 1, true) then
    indent = indent or ""
    return wrap_ascii(s, math.max(width - #indent, 10), indent)
  end
  return wrap_general(s, width, indent)
end
M._wrap_general = wrap_general     -- for the spec that compares the paths
M._wrap_ascii = wrap_ascii

-- M.wrap(M.sanitize(s), width, indent): text that sanitize gives back
-- unchanged (printable ASCII, single spaces) is wrapped by the core in the
-- same pass that checks it.
local function wrap_clean(s, width, indent)
  if wrap_plain and type(s) == "string" and math_type(width) == "integer"
    and (indent == nil or type(indent) == "string") then
    local r = wrap_plain(s, width, indent)
    if r then return r end
  end
  return M.wrap(M.sanitize(s), width, indent)
end
M._wrap_clean = wrap_clean

local SGR = {
  title = "\27[1m", id = "\27[36m", meta = "\27[2m", group = "\27[1;33m",
  authors = "\27[32m", heading = "\27[1;4m", reset = "\27[0m",
}

local function paint(color, kind, s)
  if color then return SGR[kind] .. s .. SGR.reset end
  return s
end

local PADS = {}   -- PADS[k]: k spaces (the indent under "[n] ")

local function render_paper(p, n, opts, color, write, score)
  local width = opts.width
  local num = "[" .. n .. "] "
  local pad = PADS[#num]
  if not pad then pad = string.rep(" ", #num); PADS[#num] = pad end
  local title = wrap_clean(p.title, width, pad)
  title = num .. title:sub(#pad + 1)
  local out
  if color then
    -- paint each line of the title separately so a pager keeps the colour
    local tl = {}
    for line in (title .. "\n"):gmatch("(.-)\n") do
      local lead, rest = line:match("^(%[?%d*%]? *)(.*)$")
      tl[#tl + 1] = lead .. paint(color, "title", rest)
    end
    out = { table.concat(tl, "\n") }
  else
    out = { title }
  end
  local id = M.sanitize(p.id)
  local v = p.version
  if v ~= nil then id = id .. "v" .. M.sanitize(v) end
  local meta = { id }
  if p.date then meta[#meta + 1] = M.sanitize(p.date) end
  local cats = util.array(p.categories)
  if #cats == 0 and p.primary_category then cats = { p.primary_category } end
  for i, c in ipairs(cats) do cats[i] = M.sanitize(c) end
  if #cats > 0 then meta[#meta + 1] = table.concat(cats, " ") end
  if p.crosslist then meta[#meta + 1] = "cross-list" end
  if score then meta[#meta + 1] = string.format("score %.3g", score) end
  local ml = M.wrap(table.concat(meta, " | "), width, pad)
  if color and id ~= "" then
    ml = pad .. paint(color, "id", id) .. ml:sub(#pad + #id + 1)
  end
  out[#out + 1] = ml
  local authors = util.array(p.authors)
  if #authors > 0 then
    for i, a in ipairs(authors) do authors[i] = M.sanitize(a) end
    local w = M.wrap(table.concat(authors, ", "), width, pad)
    out[#out + 1] = color and w:gsub("(%S[^\n]*)", function(l) return paint(color, "authors", l) end) or w
  end
  if opts.abstract ~= false and p.abstract then
    out[#out + 1] = ""
    out[#out + 1] = wrap_clean(p.abstract, width, pad)
  end
  local c = p.comment
  if c then out[#out + 1] = M.wrap("Comment: " .. M.sanitize(c), width, pad) end
  c = p.journal
  if c then out[#out + 1] = M.wrap("Journal: " .. M.sanitize(c), width, pad) end
  c = p.doi
  if c then out[#out + 1] = M.wrap("DOI: " .. M.sanitize(c), width, pad) end
  local note = type(opts.notes) == "table" and opts.notes[p]
  if type(note) == "string" and note ~= "" then out[#out + 1] = M.wrap("Why: " .. M.sanitize(note), width, pad) end
  local url = p.abs_url
  if not util.is_http_url(url) then
    url = p.id and ("https://arxiv.org/abs/" .. util.id_path(M.sanitize(p.id))) or nil
  end
  if url then out[#out + 1] = paint(color, "meta", wrap_clean(url, width, pad)) end
  -- the blank line after the paper: two empty strings joined by "\n"
  out[#out + 1] = ""
  out[#out + 1] = ""
  write(table.concat(out, "\n"))
end

-- The check of the options (render and :format() run it): a message or nil.
function M.check_opts(opts)
  local w = opts.width
  if w ~= nil then
    local wi = type(w) == "number" and math.tointeger(w)
    if not wi or wi < 20 then
      return "opts.width: an integer >= 20 expected (columns), got "
        .. (type(w) == "string" and ("'" .. w .. "'") or tostring(w))
    end
  end
  return nil
end

function M.render(papers, opts, write)
  local o = {}
  for _, k in ipairs({ "width", "color", "abstract", "title", "groups", "stdout", "isatty", "getenv", "notes" }) do
    o[k] = opts[k]
  end
  o.width = math.max(tonumber(o.width) or 80, 20) // 1
  o.width = math.tointeger(o.width) or o.width   -- 60.0 wraps as 60 does
  local color = M.use_color(o)
  if o.title then
    local t = M.sanitize(o.title)
    write(paint(color, "heading", t) .. "\n" .. string.rep("=", math.min(util.width(t), o.width)) .. "\n\n")
  end
  local ranked = util.ranked(opts)
  local total
  if o.groups then
    for _, g in ipairs(o.groups) do
      local ps = g.papers or {}
      local head = M.sanitize(g.key) .. " (" .. #ps .. ")"
      write(paint(color, "group", head) .. "\n" .. string.rep("-", math.min(util.width(head), o.width)) .. "\n\n")
      local sc = type(g.scores) == "table" and g.scores or {}
      for i = 1, #ps do render_paper(ps[i], i, o, color, write, util.score(ranked, sc[i])) end
    end
    total = util.distinct(o.groups)     -- a paper under two groups is one paper
  else
    local sc = type(opts.scores) == "table" and opts.scores or {}
    local first = math.tointeger(opts.first) or 1
    for i = 1, #papers do render_paper(papers[i], first + i - 1, o, color, write, util.score(ranked, sc[i])) end
    total = #papers
  end
  write(paint(color, "meta", util.count_line(total, opts.total)) .. "\n")
end


return M
