-- arxivdigest.format: render papers as markdown, jsonl, csv, bibtex, html,
-- atom, text, or a user format (a function, a format table or a template
-- string such as "{id}  {title} ({date})").
--
--   format.render(papers, fmt, opts, write) -> string (when write is nil)
--   format.register(name, fmt)
--   format.get(name) -> format table
--   format.names() -> sorted array of registered names
--   format.template(str) -> format table (a compiled template)

local util = require "arxivdigest.format.util"

local type, error, pcall, require, tostring, ipairs, pairs = type, error, pcall, require, tostring, ipairs, pairs
local table, io, setmetatable = table, io, setmetatable

local M = {}

local BUILTIN = { "markdown", "jsonl", "csv", "bibtex", "html", "atom", "text" }
local registry = {}

-- Aliases users are likely to type.
local ALIASES = { md = "markdown", json = "jsonl", bib = "bibtex", txt = "text", xml = "atom", htm = "html" }

-- {======================================================================
-- Templates
-- =======================================================================

-- Compile "{id}  {title} ({date})" into a format table. "{{" and "}}" are
-- literal braces. Unknown fields raise an error naming them. Values are
-- cleaned like the text format does (valid UTF-8, no control or bidi
-- characters, whitespace collapsed); array fields are joined with ", ".
function M.template(str)
  if type(str) ~= "string" then
    error("bad argument #1 to 'template' (string expected, got " .. type(str) .. ")", 2)
  end
  local parts, unknown, seen = {}, {}, {}
  local i, n = 1, #str
  local lit = {}
  while i <= n do
    local c = str:sub(i, i)
    if c == "{" and str:sub(i + 1, i + 1) == "{" then
      lit[#lit + 1] = "{"; i = i + 2
    elseif c == "}" and str:sub(i + 1, i + 1) == "}" then
      lit[#lit + 1] = "}"; i = i + 2
    elseif c == "{" then
      local close = str:find("}", i + 1, true)
      if not close then
        error("template: unclosed '{' at column " .. i, 2)
      end
      local name = str:sub(i + 1, close - 1)
      local field = name:match("^%s*([%w_]+)%s*$")
      if not field then
        error("template: bad field name '{" .. name .. "}' at column " .. i, 2)
      end
      if not util.KNOWN[field] and field ~= "score" then
        if not seen[field] then unknown[#unknown + 1] = field; seen[field] = true end
      end
      if #lit > 0 then parts[#parts + 1] = table.concat(lit); lit = {} end
      parts[#parts + 1] = { field = field }
      i = close + 1
    elseif c == "}" then
      error("template: unmatched '}' at column " .. i .. " (write '}}' for a literal brace)", 2)
    else
      local j = str:find("[{}]", i) or n + 1
      lit[#lit + 1] = str:sub(i, j - 1)
      i = j
    end
  end
  if #lit > 0 then parts[#parts + 1] = table.concat(lit) end
  if #unknown > 0 then
    error("template: unknown field" .. (#unknown > 1 and "s" or "") .. " " .. table.concat(unknown, ", ")
      .. " (known: " .. table.concat(util.FIELDS, ", ") .. ", " .. table.concat(util.EXTRA_FIELDS, ", ")
      .. ", raw, score)", 2)
  end
  local function render(papers, opts, write)
    -- {score}: the paper's score in a ranked output (search, recommend),
    -- empty otherwise
    local ranked = util.ranked(opts or {}) and type(opts.scores) == "table"
    for k = 1, #papers do
      local p = papers[k]
      local out = {}
      for _, part in ipairs(parts) do
        if type(part) == "string" then
          out[#out + 1] = part
        elseif part.field == "score" then
          local sc = ranked and util.score(true, opts.scores[k])
          out[#out + 1] = sc and string.format("%.4g", sc) or ""
        else
          local v = util.get(p, part.field)
          if type(v) == "table" or type(v) == "userdata" then
            -- a list of records ({appearances}, {history}): each as its
            -- JSON object, as jsonl writes it (not "table: 0x...")
            local items = {}
            for j = 1, #v do
              local e = v[j]
              items[j] = type(e) == "table" and require("arxivdigest.json").encode(e) or tostring(e)
            end
            v = table.concat(items, ", ")
          end
          out[#out + 1] = v == nil and "" or util.line(tostring(v))
        end
      end
      write(table.concat(out) .. "\n")
    end
  end
  return { name = "template", extension = "txt", mime = "text/plain; charset=utf-8", render = render, template = str }
end

-- {======================================================================
-- Registry
-- =======================================================================

local function as_format(fmt, argn, fname)
  local t = type(fmt)
  if t == "function" then
    return { name = "function", extension = "txt", mime = "text/plain", render = fmt }
  elseif t == "string" then
    if fmt:find("[{}]") then return M.template(fmt) end
    return nil
  elseif t == "table" then
    if type(fmt.render) ~= "function" then
      error("bad argument #" .. argn .. " to '" .. fname .. "' (format table needs a render function)", 3)
    end
    return fmt
  end
  error("bad argument #" .. argn .. " to '" .. fname
    .. "' (format name, function, table or template string expected, got " .. t .. ")", 3)
end

-- Add a format under name; fmt is a function(papers, opts, write), a table
-- with a render function, or a template string.
function M.register(name, fmt)
  if type(name) ~= "string" or not name:match("^[%w_%-]+$") then
    error("bad argument #1 to 'register' (format name of letters, digits, '_' or '-' expected, got "
      .. (type(name) == "string" and ("'" .. name .. "'") or type(name)) .. ")", 2)
  end
  if type(fmt) == "string" and not fmt:find("[{}]") then
    error("bad argument #2 to 'register' (template string with {fields} expected)", 2)
  end
  local f = as_format(fmt, 2, "register")
  registry[name] = f
  return f
end

-- The format table registered (or built in) under name, or nil.
function M.get(name)
  name = ALIASES[name] or name
  local f = registry[name]
  if f then return f end
  for _, b in ipairs(BUILTIN) do
    if b == name then
      f = require("arxivdigest.format." .. name)
      registry[name] = f
      return f
    end
  end
  return nil
end

function M.names()
  local seen, out = {}, {}
  for _, b in ipairs(BUILTIN) do seen[b] = true; out[#out + 1] = b end
  for k in pairs(registry) do if not seen[k] then out[#out + 1] = k end end
  table.sort(out)
  return out
end

-- Which format fits a file name ("week.html" -> "html"), or nil.
function M.for_path(path)
  local ext = type(path) == "string" and path:match("%.([%w]+)$")
  if not ext then return nil end
  ext = ext:lower()
  if ext == "md" or ext == "markdown" then return "markdown" end
  if ext == "jsonl" or ext == "ndjson" or ext == "json" then return "jsonl" end
  if ext == "bib" then return "bibtex" end
  if ext == "htm" or ext == "html" then return "html" end
  if ext == "atom" or ext == "xml" then return "atom" end
  if ext == "csv" then return "csv" end
  if ext == "txt" then return "text" end
  return nil
end

-- {======================================================================
-- Render
-- =======================================================================

-- Each format's own check of its options (f.check_opts(opts) -> nil or a
-- message), run by render and by a pipeline's :format() before any work.
function M.check_opts(f, opts)
  if type(f) == "table" and type(f.check_opts) == "function" and type(opts) == "table" then
    return f.check_opts(opts)
  end
  return nil
end

--- render(papers, fmt [, opts [, write]]): papers is an array of papers
-- (Paper userdata, merged papers, plain tables), a Collection, an array
-- of hits (idx:search, idx:recommend: their papers, their scores as
-- opts.scores), an Index (its papers, as ad.from(idx) gives them) or a
-- pipeline (its result, as pipe:format(fmt, opts) renders it); nil with
-- opts.groups. Anything else is an error naming the argument.
function M.render(papers, fmt, opts, write)
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #3 to 'render' (table or nil expected, got " .. type(opts) .. ")", 2)
  end
  opts = opts or {}
  if opts.groups ~= nil and type(opts.groups) ~= "table" then
    error("bad argument #3 to 'render' (opts.groups must be an array of {key=, papers=})", 2)
  end
  if write ~= nil and type(write) ~= "function" and not (io and io.type(write) == "file") then
    error("bad argument #4 to 'render' (function, file or nil expected, got " .. type(write) .. ")", 2)
  end
  local f
  if type(fmt) == "string" and not fmt:find("[{}]") then
    f = M.get(fmt)
    if not f then
      error("bad argument #2 to 'render' (unknown format '" .. fmt .. "'; known: "
        .. table.concat(M.names(), ", ") .. ")", 2)
    end
  elseif type(fmt) == "string" then
    local ok, res = pcall(M.template, fmt)
    if not ok then error(res, 2) end
    f = res
  else
    f = as_format(fmt, 2, "render")
  end
  local bad = M.check_opts(f, opts)
  if bad then error("bad argument #3 to 'render' (" .. bad .. ")", 2) end
  if papers == nil then
    if opts.groups == nil then
      error("bad argument #1 to 'render' (array of papers expected, got nil (or give opts.groups))", 2)
    end
    papers = {}
  end
  local pipeline = require "arxivdigest.pipeline"
  local kind, closed = pipeline.kind(papers)
  if closed then error("bad argument #1 to 'render' (the " .. kind .. " is closed)", 2) end
  if kind == "index" or kind == "pipeline" then
    -- what ad.from(x):format(fmt, opts) renders (an index: its papers
    -- read in file order, its scores and counts)
    local p = pipeline.from(papers):format(fmt, opts)
    if write == nil then return p:render() end
    p:write(write)
    return nil
  end
  if opts.groups ~= nil and type(papers) == "table" and #papers == 0 then
    papers = util.flatten(opts.groups)        -- (each paper once)
  end
  local scores
  papers, scores = util.list(papers)
  if scores and opts.scores == nil then
    -- hits: their scores, as a search or a recommendation pipeline passes them
    opts = setmetatable({ scores = scores }, { __index = opts })
  end
  if opts.progress ~= nil then
    if type(opts.progress) ~= "function" then
      error("bad argument #3 to 'render' (opts.progress must be a function(i, n))", 2)
    end
    -- report each paper as the formatter reads it: function(i, n)
    local list, n, cb = papers, #papers, opts.progress
    papers = setmetatable({}, {
      __index = function(_, k)
        if math.type(k) == "integer" and k >= 1 and k <= n then cb(k, n) end
        return list[k]
      end,
      __len = function() return n end,
    })
  end
  if io and write == io.stdout and opts.stdout == nil then
    -- let the text format know it may test stdout for a terminal
    opts = setmetatable({ stdout = true }, { __index = opts })
  end
  local w, finish = util.sink(write)
  f.render(papers, opts, w)
  return finish()
end

M.util = util
return M
