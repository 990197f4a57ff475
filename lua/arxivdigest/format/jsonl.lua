-- arxivdigest.format.jsonl: one JSON object per paper and line.
--
-- Keys are the paper field names in a fixed order (absent values are null,
-- authors and categories are arrays); merged index papers add first_seen,
-- last_seen, appearances and history. opts.fields (a list, or one name)
-- picks other fields, opts.raw = true adds the record's original bytes as "raw"; a
-- ranked output (opts.scores with a non-zero score) adds "score".
-- Strings are valid UTF-8 (bad bytes become U+FFFD) and control characters,
-- U+2028/U+2029 and bidi controls are \u-escaped, so each object is exactly
-- one line that any JSON reader (and a JavaScript eval) takes as data.

local util = require "arxivdigest.format.util"
local json = require "arxivdigest.json"

local type, ipairs, pairs, tostring, error, table = type, ipairs, pairs, tostring, error, table


local M = { name = "jsonl", extension = "jsonl", mime = "application/x-ndjson" }

local function plain(v, depth)
  local t = type(v)
  if t == "table" or t == "userdata" then
    if depth > 8 then return tostring(v) end
    local n = #v
    if n > 0 or t == "userdata" then
      local arr = json.array({})
      for i = 1, n do arr[i] = plain(v[i], depth + 1) end
      return arr
    end
    -- an object such as an appearance {source=, line=, date=, format=}
    local obj, any = {}, false
    for k, x in pairs(v) do
      if type(k) == "string" then obj[k] = plain(x, depth + 1); any = true end
    end
    return any and obj or json.array({})
  end
  if t == "function" or t == "thread" then return tostring(v) end
  return v
end

-- opts.fields: a list of field names, or one name; nil: every field. The
-- check of jsonl's and csv's options (a message, or nil).
local function check_fields(fl)
  if fl == nil then return nil end
  if type(fl) == "string" then fl = { fl } end
  if type(fl) ~= "table" then
    return "opts.fields: a list of field names (or one name) expected, got " .. type(fl)
  end
  if #fl == 0 then return "opts.fields: at least one field name expected" end
  for i = 1, #fl do
    local f = fl[i]
    if not util.KNOWN[f] then
      return "opts.fields: unknown field " .. (type(f) == "string" and ("'" .. f .. "'") or type(f))
        .. " at index " .. i .. " (known: " .. table.concat(util.FIELDS, ", ") .. ", "
        .. table.concat(util.EXTRA_FIELDS, ", ") .. ", raw)"
    end
  end
  return nil
end

function M.check_opts(opts)
  return check_fields(opts.fields)
end

-- The fields to write: opts.fields (checked), else every field (and raw
-- with opts.raw); the second value says whether the merged-index extras
-- follow.
function M.fields(opts)
  if opts.fields ~= nil then
    local bad = check_fields(opts.fields)
    if bad then error(bad, 0) end
    local fl = opts.fields
    if type(fl) == "string" then fl = { fl } end
    return fl, false
  end
  local fields = {}
  for _, f in ipairs(util.FIELDS) do fields[#fields + 1] = f end
  if opts.raw then fields[#fields + 1] = "raw" end
  return fields, true
end

function M.render(papers, opts, write)
  local fields, with_extras = M.fields(opts)
  local keys = {}
  for _, f in ipairs(fields) do keys[#keys + 1] = f end
  for _, f in ipairs(util.EXTRA_FIELDS) do keys[#keys + 1] = f end
  -- a ranked output (search, recommend, :rank) adds each paper's score
  local ranked = util.ranked(opts) and type(opts.scores) == "table"
  if ranked then keys[#keys + 1] = "score" end
  local eopts = { keys = keys }
  for i = 1, #papers do
    local p = papers[i]
    local obj = {}
    for _, f in ipairs(fields) do
      local v = util.get(p, f)
      if v == nil then
        obj[f] = util.ARRAY_FIELDS[f] and json.array({}) or json.null
      elseif util.ARRAY_FIELDS[f] then
        obj[f] = plain(util.array(v), 0)
        obj[f] = json.array(obj[f])
      else
        obj[f] = plain(v, 0)
      end
    end
    if with_extras then
      for _, f in ipairs(util.EXTRA_FIELDS) do
        local v = util.get(p, f)
        if v ~= nil then obj[f] = plain(v, 0) end
      end
    end
    if ranked then
      local sc = util.score(true, opts.scores[i])
      obj.score = sc or json.null
    end
    write(json.encode(obj, eopts) .. "\n")
  end
end


return M
