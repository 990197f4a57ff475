--- arxivdigest.mail: an RFC 5322 / MIME message, built here and written to
-- a file or piped to a sendmail-compatible command (no SMTP client).
--
--   local mail = require "arxivdigest.mail"
--   local msg = mail.message{
--     from = "arxivdigest <me@example.org>", to = {"me@example.org"},
--     subject = "arXiv: 3 new papers", date = os.time(),
--     text = "plain text body", html = "<!DOCTYPE html>...",
--   }                                   -- CRLF line ends (a .eml file)
--   mail.send(msg, "/usr/sbin/sendmail -t")   -- true | nil, "reason"
--
-- The message is multipart/alternative (text/plain, then text/html, both
-- UTF-8 and quoted-printable; a text-only message is a single part). The
-- headers: Date (RFC 5322 form, English names whatever the locale),
-- From, To, Subject (RFC 2047 encoded-words when not plain ASCII, folded),
-- Message-ID, MIME-Version, Content-Type with a boundary that cannot occur
-- in a quoted-printable body ("=_" is never produced by the encoding).
-- Header values never hold a line break; only the caller's own values (the
-- addresses and subject) reach the headers, never paper text. Bodies are
-- made valid UTF-8; quoted-printable keeps every line under 77 characters,
-- and encodes a leading "." and "From " so that no transport alters them.

local string, table, os, io, math = string, table, os, io, math
local type, error, tostring, ipairs, pcall = type, error, tostring, ipairs, pcall
local format, concat = string.format, table.concat

local M = {}

local DAYS = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
local MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

--- RFC 5322 date of epoch seconds t, in UTC ("Tue, 05 Mar 2024 07:00:01 +0000").
function M.date(t)
  local d = os.date("!*t", t or os.time())
  return format("%s, %02d %s %04d %02d:%02d:%02d +0000", DAYS[d.wday], d.day, MONTHS[d.month], d.year,
    d.hour, d.min, d.sec)
end

-- valid UTF-8 (bad bytes -> U+FFFD)
local function valid(s)
  return require("arxivdigest.format.util").valid_utf8(tostring(s))
end

-- {======================================================
-- Encodings
-- =======================================================

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

--- Base64 of s (no line breaks).
function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local k = #out
    out[k + 1] = B64:sub((n >> 18) + 1, (n >> 18) + 1)
    out[k + 2] = B64:sub(((n >> 12) & 63) + 1, ((n >> 12) & 63) + 1)
    out[k + 3] = b and B64:sub(((n >> 6) & 63) + 1, ((n >> 6) & 63) + 1) or "="
    out[k + 4] = c and B64:sub((n & 63) + 1, (n & 63) + 1) or "="
  end
  return concat(out)
end

--- Quoted-printable (RFC 2045) of a text: its lines (LF or CRLF) end in
-- `eol` (default CRLF); soft line breaks keep every line at most 76
-- characters; =, non-ASCII, controls, trailing blanks, a leading "." and a
-- leading "From " are encoded.
function M.qp(s, eol)
  eol = eol or "\r\n"
  s = valid(s):gsub("\r\n", "\n"):gsub("\r", "\n")
  local out = {}
  for line in (s .. "\n"):gmatch("([^\n]*)\n") do
    local enc = {}
    local n = #line
    for i = 1, n do
      local c = line:sub(i, i)
      local b = c:byte()
      local keep = (b >= 33 and b <= 126 and b ~= 61) or ((b == 32 or b == 9) and i < n)
      if i == 1 and (c == "." or (c == "F" and line:sub(1, 5) == "From ")) then keep = false end
      enc[#enc + 1] = keep and c or format("=%02X", b)
    end
    -- soft breaks: at most 75 characters before "=", never inside "=XX"
    local cur, len = {}, 0
    for _, tok in ipairs(enc) do
      if len + #tok > 75 then
        out[#out + 1] = concat(cur) .. "="
        cur, len = {}, 0
      end
      cur[#cur + 1] = tok
      len = len + #tok
    end
    out[#out + 1] = concat(cur)
  end
  -- the last (empty) line of a text ending in a newline
  if out[#out] == "" then out[#out] = nil end
  return concat(out, eol) .. eol
end

local function ascii_printable(s)
  return not s:find("[^\32-\126]")
end

-- the UTF-8 characters of s in chunks of at most n bytes
local function utf8_chunks(s, n)
  local out, cur = {}, {}
  local len = 0
  for _, c in utf8.codes(s) do
    local ch = utf8.char(c)
    if len + #ch > n and len > 0 then
      out[#out + 1] = concat(cur)
      cur, len = {}, 0
    end
    cur[#cur + 1] = ch
    len = len + #ch
  end
  if len > 0 then out[#out + 1] = concat(cur) end
  return out
end

--- A header value as RFC 2047 encoded-words when it is not plain
-- printable ASCII (each word at most 75 characters, split between UTF-8
-- characters), else as given. Line breaks and controls become spaces.
function M.encode_words(s)
  s = valid(s):gsub("[%z\1-\31\127]", " ")
  if ascii_printable(s) then return s, false end
  local words = {}
  for _, chunk in ipairs(utf8_chunks(s, 39)) do
    words[#words + 1] = "=?UTF-8?B?" .. M.base64(chunk) .. "?="
  end
  return concat(words, " "), true
end

-- "Name <addr>" -> display name encoded when needed; a bare address as is
local function address(a)
  a = valid(a):gsub("[%z\1-\31\127]", " ")
  local name, addr = a:match("^%s*(.-)%s*<([^<>%s]+@[^<>%s]+)>%s*$")
  if not name then
    local bare = a:match("^%s*([^<>%s]+@[^<>%s]+)%s*$")
    if not bare then error("bad e-mail address '" .. a .. "'", 0) end
    return bare
  end
  if not ascii_printable(addr) then error("bad e-mail address '" .. a .. "'", 0) end
  if name == "" then return "<" .. addr .. ">" end
  if ascii_printable(name) then
    if name:find('[()<>%[%]:;@\\,%."]') and not name:match('^".*"$') then
      name = '"' .. name:gsub('[\\"]', "\\%0") .. '"'
    end
    return name .. " <" .. addr .. ">"
  end
  return (M.encode_words(name)) .. " <" .. addr .. ">"
end
M.address = address

-- Folds a header line "Name: value" at spaces so that lines stay under 78
-- characters where it can (RFC 5322 2.2.3).
local function fold(name, value, eol)
  local line = name .. ": "
  local out = {}
  for word in value:gmatch("%S+") do
    if #line + #word + 1 > 76 and line:find("%S%s*$") and #line > #name + 2 then
      out[#out + 1] = line:gsub("%s+$", "")
      line = " " .. word .. " "
    else
      line = line .. word .. " "
    end
  end
  out[#out + 1] = line:gsub("%s+$", "")
  return concat(out, eol)
end

-- }======================================================

-- {======================================================
-- Messages
-- =======================================================

local seeded = false
local function token(n)
  if not seeded then
    math.randomseed(os.time(), math.floor(os.clock() * 1e6))
    seeded = true
  end
  local t = {}
  for i = 1, n do t[i] = format("%x", math.random(0, 15)) end
  return concat(t)
end

--- The message text. m: from, to (an address or a list), subject, date
-- (epoch seconds), text, html (optional), eol (default CRLF), id (a
-- Message-ID without brackets; default a fresh one).
function M.message(m)
  if type(m) ~= "table" then error("bad argument #1 to 'message' (table expected)", 2) end
  local eol = m.eol or "\r\n"
  local from = address(m.from or "arxivdigest <arxivdigest@localhost>")
  local to = {}
  local list = type(m.to) == "table" and m.to or (m.to and {m.to} or {})
  for i, a in ipairs(list) do to[i] = address(a) end
  local domain = from:match("@([%w%.%-]+)>?$") or "localhost"
  local t = m.date or os.time()
  local id = m.id or format("%s.%s@%s", os.date("!%Y%m%d%H%M%S", t), token(16), domain)
  local h = {
    "Date: " .. M.date(t),
    fold("From", from, eol),
  }
  if #to > 0 then h[#h + 1] = fold("To", concat(to, ", "), eol) end
  h[#h + 1] = fold("Subject", (M.encode_words(m.subject or "")), eol)
  h[#h + 1] = "Message-ID: <" .. id .. ">"
  h[#h + 1] = "MIME-Version: 1.0"
  h[#h + 1] = "X-Mailer: arxivdigest"
  local body
  local text_part = M.qp(m.text or "", eol)
  if m.html then
    local boundary = "=_arxivdigest_" .. token(24)
    h[#h + 1] = "Content-Type: multipart/alternative;" .. eol .. ' boundary="' .. boundary .. '"'
    body = concat({
      "This is a message in MIME format: a plain text part and an HTML part.",
      "",
      "--" .. boundary,
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      text_part .. "--" .. boundary,
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      M.qp(m.html, eol) .. "--" .. boundary .. "--",
      "",
    }, eol)
  else
    h[#h + 1] = "Content-Type: text/plain; charset=utf-8"
    h[#h + 1] = "Content-Transfer-Encoding: quoted-printable"
    body = text_part
  end
  return concat(h, eol) .. eol .. eol .. body
end

--- Pipes a message to a sendmail-compatible command (e.g. "/usr/sbin/sendmail
-- -t", which reads the recipients from To:). Returns true, or nil and a
-- reason naming the command.
function M.send(msg, command)
  if type(command) ~= "string" or command == "" then
    error("bad argument #2 to 'send' (command expected)", 2)
  end
  local p, err = io.popen(command, "w")
  if not p then return nil, command .. ": " .. tostring(err) end
  local ok, werr = pcall(function() assert(p:write((msg:gsub("\r\n", "\n")))) end)
  local cok, how, code = p:close()
  if not ok then return nil, command .. ": " .. tostring(werr) end
  if not cok then
    return nil, format("%s: %s %s", command, tostring(how == "signal" and "killed by signal" or "exit status"),
      tostring(code))
  end
  return true
end

-- }======================================================

return M
