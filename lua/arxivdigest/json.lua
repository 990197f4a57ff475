-- arxivdigest.json: a small strict JSON encoder and decoder (RFC 8259).
--
--   json.encode(value [, opts]) -> string
--     tables with n >= 1 array items (or marked with json.array) are arrays,
--     others are objects with keys in sorted order, or in the order of
--     opts.keys (an array) when given. json.null encodes as null.
--     Strings are made valid UTF-8 (bad bytes -> U+FFFD); control characters,
--     U+2028/U+2029, bidi controls and "</" are escaped.
--   json.decode(string) -> value        raises "json: <message> at byte N"
--     null decodes to json.null.

local string, table, utf8, math, require = string, table, utf8, math, require
local type, tonumber, error, pairs, ipairs, setmetatable, getmetatable =
  type, tonumber, error, pairs, ipairs, setmetatable, getmetatable
local math_type = math.type

local M = {}

M.null = setmetatable({}, { __name = "json.null", __tostring = function() return "null" end })
local array_mt = { __name = "json.array" }

-- Mark a table as a JSON array (needed for empty arrays).
function M.array(t)
  return setmetatable(t or {}, array_mt)
end

-- {======================================================================
-- Encoder
-- =======================================================================

local ESC = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t"
}
local function esc_ctl(c)
  return ESC[c] or string.format("\\u%04x", c:byte())
end

-- One owner for the UTF-8 repair: arxivdigest.format.util (which requires
-- nothing of this module, so there is no cycle). Kept here under the old name.
local valid_utf8 = require("arxivdigest.format.util").valid_utf8
M.valid_utf8 = valid_utf8

local function encode_string(s)
  -- most strings are plain: nothing to check or escape (each gsub below
  -- would copy the string even when it changes nothing)
  if not s:find('[%z\1-\31"\\\127-\255<]') then return '"' .. s .. '"' end
  s = valid_utf8(s)
  if s:find('[%z\1-\31"\\\127]') then s = s:gsub('[%z\1-\31"\\\127]', esc_ctl) end
  if s:find("</", 1, true) then s = s:gsub("</", "<\\/") end
  if not s:find("[\194\226]") then return '"' .. s .. '"' end
  -- U+2028, U+2029 (JavaScript line terminators), bidi controls
  -- U+202A..U+202E and U+2066..U+2069, C1 controls U+0080..U+009F.
  s = s:gsub("\226\128([\168-\174])", function(b)
    return string.format("\\u%04x", 0x2000 + b:byte() - 0x80)
  end)
  s = s:gsub("\226\129([\166-\169])", function(b)
    return string.format("\\u%04x", 0x2040 + b:byte() - 0x80)
  end)
  s = s:gsub("\194([\128-\159])", function(b)
    return string.format("\\u%04x", b:byte())
  end)
  return '"' .. s .. '"'
end
-- The rule is the core's (ad_json_quote, one C pass: about 10 times the
-- speed of the patterns above on an abstract); the Lua version above is
-- its fallback where the core is not loaded (spec/json_spec.lua checks
-- that both give the same bytes).
M.lua_encode_string = encode_string
do
  local ok, core = pcall(require, "arxivdigest.core")
  if ok and type(core) == "table" and type(core.json_string) == "function" then
    encode_string = core.json_string
  end
end
M.encode_string = encode_string

local encode_value

local function is_array(t)
  if getmetatable(t) == array_mt then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function encode_table(t, opts, buf, depth)
  if depth > 200 then error("json: nesting too deep", 0) end
  if is_array(t) then
    buf[#buf + 1] = "["
    for i = 1, #t do
      if i > 1 then buf[#buf + 1] = "," end
      encode_value(t[i], opts, buf, depth + 1)
    end
    buf[#buf + 1] = "]"
    return
  end
  local keys = {}
  if opts and opts.keys and depth == 0 then
    for _, k in ipairs(opts.keys) do if t[k] ~= nil then keys[#keys + 1] = k end end
  else
    for k in pairs(t) do
      if type(k) ~= "string" then error("json: object key must be a string, got " .. type(k), 0) end
      keys[#keys + 1] = k
    end
    table.sort(keys)
  end
  buf[#buf + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then buf[#buf + 1] = "," end
    buf[#buf + 1] = encode_string(k)
    buf[#buf + 1] = ":"
    encode_value(t[k], opts, buf, depth + 1)
  end
  buf[#buf + 1] = "}"
end

function encode_value(v, opts, buf, depth)
  local t = type(v)
  if v == nil or v == M.null then
    buf[#buf + 1] = "null"
  elseif t == "boolean" then
    buf[#buf + 1] = v and "true" or "false"
  elseif t == "number" then
    if math_type(v) == "integer" then
      buf[#buf + 1] = string.format("%d", v)
    elseif v ~= v or v == math.huge or v == -math.huge then
      buf[#buf + 1] = "null"
    else
      buf[#buf + 1] = string.format("%.17g", v)
    end
  elseif t == "string" then
    buf[#buf + 1] = encode_string(v)
  elseif t == "table" then
    encode_table(v, opts, buf, depth)
  else
    error("json: cannot encode a " .. t, 0)
  end
end

function M.encode(v, opts)
  local buf = {}
  encode_value(v, opts, buf, 0)
  return table.concat(buf)
end

-- {======================================================================
-- Decoder
-- =======================================================================

local function fail(msg, pos)
  error("json: " .. msg .. " at byte " .. pos, 0)
end

local UNESC = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local decode_value

local function skip(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local function decode_string(s, i)
  -- s:sub(i, i) == '"'
  local buf, j = {}, i + 1
  while true do
    local k = s:find('["\\%z\1-\31]', j)
    if not k then fail("unterminated string", i) end
    buf[#buf + 1] = s:sub(j, k - 1)
    local c = s:sub(k, k)
    if c == '"' then
      local str = table.concat(buf)
      if not utf8.len(str) then fail("invalid UTF-8 in string", i) end
      return str, k + 1
    elseif c == "\\" then
      local e = s:sub(k + 1, k + 1)
      if UNESC[e] then
        buf[#buf + 1] = UNESC[e]
        j = k + 2
      elseif e == "u" then
        local hex = s:match("^%x%x%x%x", k + 2)
        if not hex then fail("bad \\u escape", k) end
        local cp = tonumber(hex, 16)
        j = k + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          local lo = s:match("^\\u(%x%x%x%x)", j)
          lo = lo and tonumber(lo, 16)
          if not lo or lo < 0xDC00 or lo > 0xDFFF then fail("unpaired surrogate", k) end
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
          j = j + 6
        elseif cp >= 0xDC00 and cp <= 0xDFFF then
          fail("unpaired surrogate", k)
        end
        buf[#buf + 1] = utf8.char(cp)
      else
        fail("bad escape", k)
      end
    else
      fail("control character in string", k)
    end
  end
end

local function decode_array(s, i, depth)
  local arr, n = M.array({}), 0
  i = skip(s, i + 1)
  if s:sub(i, i) == "]" then return arr, i + 1 end
  while true do
    local v
    v, i = decode_value(s, i, depth + 1)
    n = n + 1
    arr[n] = v
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "]" then return arr, i + 1 end
    if c ~= "," then fail("expected ',' or ']'", i) end
    i = skip(s, i + 1)
  end
end

local function decode_object(s, i, depth)
  local obj = {}
  i = skip(s, i + 1)
  if s:sub(i, i) == "}" then return obj, i + 1 end
  while true do
    if s:sub(i, i) ~= '"' then fail("expected string key", i) end
    local k
    k, i = decode_string(s, i)
    if obj[k] ~= nil then fail("duplicate key '" .. k .. "'", i) end
    i = skip(s, i)
    if s:sub(i, i) ~= ":" then fail("expected ':'", i) end
    local v
    v, i = decode_value(s, skip(s, i + 1), depth + 1)
    obj[k] = v
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "}" then return obj, i + 1 end
    if c ~= "," then fail("expected ',' or '}'", i) end
    i = skip(s, i + 1)
  end
end

function decode_value(s, i, depth)
  if depth > 200 then fail("nesting too deep", i) end
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == '"' then return decode_string(s, i)
  elseif c == "{" then return decode_object(s, i, depth)
  elseif c == "[" then return decode_array(s, i, depth)
  elseif s:find("^true", i) then return true, i + 4
  elseif s:find("^false", i) then return false, i + 5
  elseif s:find("^null", i) then return M.null, i + 4
  else
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if num and num:match("^-?0%d") then fail("leading zero", i) end
    if num and (num:match("^-?%d+$") or num:match("^-?%d+%.%d+$")
        or num:match("^-?%d+%.?%d*[eE][-+]?%d+$")) and not num:match("%.$") and not num:match("%.[eE]") then
      return math.tointeger(tonumber(num)) or tonumber(num), i + #num
    end
    if c == "" then fail("unexpected end", i) end
    fail("unexpected character '" .. c .. "'", i)
  end
end

function M.decode(s)
  if type(s) ~= "string" then
    error("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")", 2)
  end
  local v, i = decode_value(s, 1, 0)
  i = skip(s, i)
  if i <= #s then fail("trailing characters", i) end
  return v
end


return M
