--- Filter and report scripts, optionally sandboxed.
--
--   local script = require "arxivdigest.script"
--   local f = script.filter("my-filter.lua")                     -- a filter
--   local p = script.report("daily.lua", {source = ad.from("digests/"), args = {...}})
--   p:write("daily.md")
--
-- A filter script returns a filter (arxivdigest.filter) or a function
-- `function(paper) return bool end`. A report script returns a pipeline or a
-- function `function(ad, args) return pipeline end`; args.source is the
-- pipeline over the input the user chose (the command's paths or index).
--
-- A script error names the script file and line ("daily.lua:12: ...").
--
-- With opts.sandbox = true a script runs with:
--   * no io, os (except os.time, os.date, os.clock, os.difftime), load,
--     loadstring, loadfile, dofile, debug, package, string.dump,
--     collectgarbage; require only of "arxivdigest" and its Lua submodules
--     filter, query and format (read-only views);
--   * no file access through arxivdigest either (ad.open, ad.load, ad.index,
--     ad.from(path), pipeline:write(path) raise);
--   * getmetatable("") returning a read-only view; shared metatables cannot
--     be changed (setmetatable / rawset on them raise); no __gc metamethods;
--   * an instruction budget (opts.max_instructions, default 2e8: VM
--     instructions of script code, plus one per line run under the budget) and a memory budget (opts.max_memory in
--     bytes, default 512 MiB of Lua heap growth), enforced by a debug hook
--     the host installs (invisible to the script), for the script itself and
--     for every later call into its functions (filters, comparators,
--     formatters). string.rep, table.concat and string.gsub check the size
--     of their result before building it.
-- Every violation raises an error starting with "sandbox: ".

local filter = require "arxivdigest.filter"
local pipeline = require "arxivdigest.pipeline"

local type, error, pcall, xpcall, tostring, select, setmetatable, getmetatable, rawget, rawset, rawlen, next,
      pairs, ipairs = type, error, pcall, xpcall, tostring, select, setmetatable, getmetatable, rawget, rawset,
      rawlen, next, pairs, ipairs
local debug, coroutine, string, table, collectgarbage, io, load, _G = debug, coroutine, string, table,
      collectgarbage, io, load, _G
local format, pack, unpack = string.format, table.pack, table.unpack

local M = {}

M.DEFAULT_INSTRUCTIONS = 2e8
M.DEFAULT_MEMORY = 512 * 1024 * 1024

local STEP = 100           -- instructions between count-hook calls

-- {======================================================
-- Read-only views
-- =======================================================

local function deny(what)
  return function()
    error(format("sandbox: %s is not available in a sandboxed script", what), 2)
  end
end

-- A table whose every field access raises (io, debug, package...).
local function denied_table(name, allowed)
  return setmetatable({}, {
    __index = function(_, k)
      if allowed and allowed[k] ~= nil then return allowed[k] end
      error(format("sandbox: %s.%s is not available in a sandboxed script", name, tostring(k)), 2)
    end,
    __newindex = function(_, k)
      error(format("sandbox: cannot modify %s.%s", name, tostring(k)), 2)
    end,
    __metatable = false,
  })
end

-- }======================================================

-- {======================================================
-- Sandbox
-- =======================================================

-- sandbox currently running (innermost guard), if any
local current

local Sandbox = {}
Sandbox.__index = Sandbox

local function fail(sb, msg)
  sb.exhausted = msg
  error(msg, 0)
end

local function memory_check(sb)
  local kb = collectgarbage("count")
  if kb > sb.mem_limit_kb then
    collectgarbage("collect")
    kb = collectgarbage("count")
    if kb > sb.mem_limit_kb then
      fail(sb, format("sandbox: memory budget exceeded (%d MiB)", sb.max_memory // (1024 * 1024)))
    end
  end
end

-- bytes the script may still allocate
local function remaining(sb)
  return (sb.mem_limit_kb - collectgarbage("count")) * 1024
end

-- The budget hook. Count events (every STEP instructions) charge STEP when
-- the running function belongs to the script. Line events (each new line and
-- each backward jump, in any code running under the guard) charge 1 and check
-- the heap, so that a loop growing memory without calling a library function
-- (s = s .. s) is stopped within one iteration. (A Lua hook's own
-- instructions use up the count, so with frequent line events count events
-- are rare: the line charge is what bounds tight loops.)
local function make_hook(sb)
  local sources = sb.sources
  local getinfo, gccount = debug.getinfo, collectgarbage
  return function(event)
    if event == "line" then
      local used = sb.used + 1
      sb.used = used
      if used > sb.max_instructions or sb.exhausted or gccount("count") > sb.mem_limit_kb then
        if sb.exhausted then error(sb.exhausted, 0) end
        if used > sb.max_instructions then
          fail(sb, format("sandbox: instruction budget exceeded (%.0f instructions)", sb.max_instructions))
        end
        memory_check(sb)
      end
      return
    end
    if sb.exhausted then error(sb.exhausted, 0) end
    local info = getinfo(2, "S")
    if info and sources[info.source] then
      sb.used = sb.used + STEP
      if sb.used > sb.max_instructions then
        fail(sb, format("sandbox: instruction budget exceeded (%.0f instructions)", sb.max_instructions))
      end
    end
    if gccount("count") > sb.mem_limit_kb then memory_check(sb) end
  end
end

-- Message handler: errors leave the sandbox as strings (a table error with a
-- __tostring metamethod from the script must not run outside the budget).
local function to_message(e)
  if type(e) == "string" then return e end
  if type(e) == "number" then return tostring(e) end
  return format("(error object is a %s value)", type(e))
end

--- Runs fn(...) under the sandbox's budget; nested calls are cheap.
function Sandbox:guard(fn, ...)
  if self.exhausted then error(self.exhausted, 0) end
  if self.depth > 0 then
    self.depth = self.depth + 1
    local r = pack(pcall(fn, ...))
    self.depth = self.depth - 1
    if not r[1] then error(to_message(r[2]), 0) end
    return unpack(r, 2, r.n)
  end
  local co = coroutine.running()
  local oh, om, oc = debug.gethook(co)
  local smt = getmetatable("")
  local old_index = smt.__index
  local prev = current
  local base_kb = collectgarbage("count")
  if not self.mem_limit_kb then
    self.mem_limit_kb = base_kb + self.max_memory / 1024
  end
  self.depth = 1
  current = self
  smt.__index = self.string_methods
  -- the hook must be removed on the line that returns from the script:
  -- a line event on a later line would find the budget exhausted and raise
  -- in the host (returning to the same line raises no line event)
  debug.sethook(co, self.hook, "l", STEP)
  -- (no message handler: a Lua handler would run under the exhausted budget)
  local r = pack(pcall(fn, ...)) debug.sethook(co, oh, om, oc)
  smt.__index = old_index
  current = prev
  self.depth = 0
  if not r[1] then error(to_message(r[2]), 0) end
  return unpack(r, 2, r.n)
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- The string library as the sandbox sees it, with size-checked rep, gsub
-- and no dump/pack.
local function safe_string(sb)
  local s = copy(string)
  local rep, gsub = string.rep, string.gsub
  s.dump = deny("string.dump")
  s.pack, s.unpack, s.packsize = deny("string.pack"), deny("string.unpack"), deny("string.packsize")
  s.rep = function(str, n, sep)
    if type(n) == "number" and n > 0 then
      local len = (#tostring(str) + (sep and #tostring(sep) or 0)) * n
      if len > remaining(sb) then
        fail(sb, format("sandbox: memory budget exceeded (string.rep of %.0f bytes)", len))
      end
    end
    return rep(str, n, sep)
  end
  s.gsub = function(str, pat, repl, n)
    if type(repl) == "string" or type(repl) == "number" then
      local len = (#tostring(str) + 1) * (#tostring(repl) + 1)
      if len > 65536 and len > remaining(sb) then
        fail(sb, format("sandbox: memory budget exceeded (string.gsub of up to %.0f bytes)", len))
      end
    end
    return gsub(str, pat, repl, n)
  end
  return s
end

local function safe_table(sb)
  local t = copy(table)
  local concat, move = table.concat, table.move
  t.concat = function(list, sep, i, j)
    if type(list) == "table" then
      i = i or 1
      j = j or #list
      local total, seplen = 0, sep and #tostring(sep) or 0
      for k = i, j do
        local v = list[k]
        if type(v) == "string" then total = total + #v + seplen end
      end
      if total > remaining(sb) then
        fail(sb, format("sandbox: memory budget exceeded (table.concat of %.0f bytes)", total))
      end
    end
    return concat(list, sep, i, j)
  end
  t.move = function(a1, f, e, tpos, a2)
    if type(f) == "number" and type(e) == "number" and e - f > 1e7 then
      fail(sb, "sandbox: table.move of more than 10^7 elements is not allowed")
    end
    return move(a1, f, e, tpos, a2)
  end
  return t
end

local function new_sandbox(opts)
  opts = opts or {}
  local sb = setmetatable({
    sources = {},
    used = 0,
    depth = 0,
    max_instructions = opts.max_instructions or M.DEFAULT_INSTRUCTIONS,
    max_memory = opts.max_memory or M.DEFAULT_MEMORY,
  }, Sandbox)
  if type(sb.max_instructions) ~= "number" or sb.max_instructions <= 0 then
    error("bad option 'max_instructions' (positive number expected)", 3)
  end
  if type(sb.max_memory) ~= "number" or sb.max_memory <= 0 then
    error("bad option 'max_memory' (positive number of bytes expected)", 3)
  end
  sb.hook = make_hook(sb)

  local owned = setmetatable({}, {__mode = "k"})     -- metatables set by the script
  local views = setmetatable({}, {__mode = "k"})     -- read-only views (protected)
  local view_of = setmetatable({}, {__mode = "k"})   -- real table -> its view

  local function readonly(t, name)
    if view_of[t] then return view_of[t] end
    local v = setmetatable({}, {
      __index = function(_, k)
        local x = t[k]
        if type(x) == "table" then return readonly(x, name) end
        return x
      end,
      __newindex = function(_, k)
        error(format("sandbox: cannot modify %s (field '%s')", name, tostring(k)), 2)
      end,
      __pairs = function()
        return function(_, k)
          local nk, nv = next(t, k)
          if type(nv) == "table" then nv = readonly(nv, name) end
          return nk, nv
        end, nil, nil
      end,
      __len = function() return #t end,
      __metatable = false,
    })
    views[v] = true
    view_of[t] = v
    return v
  end
  sb.readonly = readonly

  local sstring = safe_string(sb)
  -- what string methods ("x"):rep() resolve to while the sandbox runs: a
  -- private copy the script cannot reach
  sb.string_methods = copy(sstring)
  local string_view = readonly(sstring, "the string library")
  local string_mt_view = setmetatable({}, {
    __index = function(_, k)
      if k == "__index" then return string_view end
      return nil
    end,
    __newindex = function()
      error("sandbox: cannot modify the shared string metatable", 2)
    end,
    __metatable = false,
  })
  views[string_mt_view] = true

  local env = {}
  -- base library
  for _, name in ipairs{"assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
                        "tostring", "type", "xpcall", "rawequal", "rawlen", "rawget", "_VERSION"} do
    env[name] = _G[name]
  end
  env.print = function(...)
    local n = select("#", ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    io.stderr:write(table.concat(parts, "\t"), "\n")
  end
  -- pcall and xpcall must not swallow a budget error
  env.pcall = function(f, ...)
    local r = pack(pcall(f, ...))
    if sb.exhausted then error(sb.exhausted, 0) end
    return unpack(r, 1, r.n)
  end
  env.xpcall = function(f, h, ...)
    local r = pack(xpcall(f, h, ...))
    if sb.exhausted then error(sb.exhausted, 0) end
    return unpack(r, 1, r.n)
  end
  env.getmetatable = function(v)
    if type(v) == "string" then return string_mt_view end
    local mt = getmetatable(v)
    if type(mt) ~= "table" then return mt end
    if owned[mt] then return mt end
    return readonly(mt, "a shared metatable")
  end
  env.setmetatable = function(t, mt)
    if type(t) ~= "table" then
      error(format("bad argument #1 to 'setmetatable' (table expected, got %s)", type(t)), 2)
    end
    if views[t] then error("sandbox: cannot change the metatable of a protected table", 2) end
    local cur = getmetatable(t)
    if cur ~= nil and not owned[cur] then
      error("sandbox: cannot change a metatable the script does not own", 2)
    end
    if mt ~= nil then
      if type(mt) ~= "table" then
        error(format("bad argument #2 to 'setmetatable' (nil or table expected, got %s)", type(mt)), 2)
      end
      if views[mt] then error("sandbox: cannot use a protected table as a metatable", 2) end
      if rawget(mt, "__gc") ~= nil then
        error("sandbox: __gc metamethods are not allowed", 2)
      end
      owned[mt] = true
    end
    return setmetatable(t, mt)
  end
  env.rawset = function(t, k, v)
    if views[t] then error("sandbox: cannot modify a shared or protected table", 2) end
    if owned[t] and k == "__gc" then error("sandbox: __gc metamethods are not allowed", 2) end
    return rawset(t, k, v)
  end
  env.collectgarbage = function(opt)
    if opt == nil or opt == "count" then return collectgarbage("count") end
    error("sandbox: collectgarbage('" .. tostring(opt) .. "') is not available in a sandboxed script", 2)
  end
  for _, name in ipairs{"load", "loadstring", "loadfile", "dofile"} do env[name] = deny(name) end
  env.string = sstring
  env.table = safe_table(sb)
  env.math = copy(math)
  env.utf8 = copy(utf8)
  env.os = denied_table("os", {time = os.time, date = os.date, clock = os.clock, difftime = os.difftime})
  env.io = denied_table("io")
  env.debug = denied_table("debug")
  env.package = denied_table("package")
  -- coroutines: each new coroutine gets the budget hook
  local co = copy(coroutine)
  co.create = function(f)
    local c = coroutine.create(f)
    debug.sethook(c, sb.hook, "l", STEP)
    return c
  end
  co.wrap = function(f)
    local c = co.create(f)
    return function(...)
      local r = pack(coroutine.resume(c, ...))
      if sb.exhausted then error(sb.exhausted, 0) end
      if not r[1] then error(r[2], 0) end
      return unpack(r, 2, r.n)
    end
  end
  co.resume = function(c, ...)
    local r = pack(coroutine.resume(c, ...))
    if sb.exhausted then error(sb.exhausted, 0) end
    return unpack(r, 1, r.n)
  end
  env.coroutine = co

  -- arxivdigest, as the sandbox sees it
  local ad = require "arxivdigest"
  local function safe_from(src)
    local t = type(src)
    if t == "string" or (t == "table" and type(src[1]) == "string") then
      error("sandbox: ad.from(path) is not allowed in a sandboxed script (file access); "
        .. "build on args.source", 2)
    end
    local p = pipeline.without_io(pipeline.from(src))
    pipeline._set_guard(p, function(fn, ...) return sb:guard(fn, ...) end)
    return p
  end
  local fmt = require "arxivdigest.format"
  local sad = {
    _VERSION = ad._VERSION,
    from = safe_from,
    parse = ad.parse,
    fields = ad.fields,
    filter = filter,
    format = {render = fmt.render, names = fmt.names, template = fmt.template, for_path = fmt.for_path},
    open = deny("ad.open (file access)"),
    load = deny("ad.load (file access)"),
    index = deny("ad.index"),
    script = deny("ad.script"),
    core = deny("ad.core"),
  }
  local modules = {
    arxivdigest = readonly(sad, "the arxivdigest module"),
    ["arxivdigest.filter"] = readonly(filter, "the arxivdigest.filter module"),
    ["arxivdigest.format"] = readonly(sad.format, "the arxivdigest.format module"),
  }
  env.require = function(name)
    if type(name) ~= "string" then
      error(format("bad argument #1 to 'require' (string expected, got %s)", type(name)), 2)
    end
    local m = modules[name]
    if m == nil and name == "arxivdigest.query" then
      m = readonly(require("arxivdigest.query"), "the arxivdigest.query module")
      modules[name] = m
    end
    if m == nil then
      error(format("sandbox: require '%s' is not allowed in a sandboxed script "
        .. "(only arxivdigest, arxivdigest.filter, arxivdigest.query, arxivdigest.format)", name), 2)
    end
    return m
  end
  env.ad = modules.arxivdigest
  env._G = env
  sb.env = env
  sb.ad = modules.arxivdigest
  sb.safe_from = safe_from
  return sb
end

--- A new sandbox: { env = the script environment, guard = sb:guard(fn, ...) }.
-- opts.max_instructions, opts.max_memory (bytes).
function M.sandbox(opts)
  return new_sandbox(opts)
end

-- }======================================================

-- {======================================================
-- Loading scripts
-- =======================================================

-- Compiles a script file. Returns chunk, sandbox-or-nil; or nil, message when
-- the file cannot be read. A syntax error raises "path:line: message".
local function compile(path, opts)
  if type(path) ~= "string" then
    error(format("bad argument #1 (script path expected, got %s)", type(path)), 3)
  end
  opts = opts or {}
  local fh, ferr = io.open(path, "rb")
  if not fh then return nil, ferr end
  local src = fh:read("a")
  fh:close()
  if src == nil then return nil, path .. ": cannot read" end
  src = src:gsub("^#![^\n]*", "")
  local sb, env
  if opts.sandbox then
    sb = new_sandbox(opts)
    sb.sources["@" .. path] = true
    env = sb.env
  else
    env = opts.env or setmetatable({}, {__index = _G})
  end
  if src:sub(1, 1) == "\27" then
    error(path .. ": binary chunks are not accepted", 0)
  end
  local chunk, err = load(src, "@" .. path, "t", env)
  if not chunk then error(err, 0) end
  return chunk, sb
end

-- Runs a compiled chunk (under the sandbox when there is one).
local function run(chunk, sb, ...)
  if sb then return sb:guard(chunk, ...) end
  local r = pack(xpcall(chunk, to_message, ...))
  if not r[1] then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

--- Loads and runs a script file; returns what it returns. Returns nil,
-- message when the file cannot be read; raises on script errors.
function M.run(path, opts, ...)
  local chunk, sb = compile(path, opts)
  if not chunk then return nil, sb end
  return run(chunk, sb, ...)
end

-- A copy of a query tree made of plain tables, strings, numbers and
-- booleans read raw (nil when t is not such a tree).
local function plain_tree(t, depth)
  depth = depth or 0
  if type(t) ~= "table" or depth > 200 then return nil end
  local out = {}
  for _, k in ipairs{"type", "text", "field", "value", "from", "to", "min", "max", "prefix"} do
    local v = rawget(t, k)
    local tv = type(v)
    if tv == "string" or tv == "number" or tv == "boolean" then out[k] = v end
  end
  if type(out.type) ~= "string" then return nil end
  local n = rawlen(t)
  if n > 100000 then return nil end
  for i = 1, n do
    local c = plain_tree(rawget(t, i), depth + 1)
    if c == nil then return nil end
    out[i] = c
  end
  return out
end

--- A filter from a filter script: it returns a filter or a function(paper).
-- Returns nil, message when the file cannot be read.
function M.filter(path, opts)
  local chunk, sb = compile(path, opts)
  if not chunk then return nil, sb end
  local res = run(chunk, sb)
  local f
  if filter.is_filter(res) then
    f = res
  elseif type(res) == "function" then
    f = filter.fn(res, "script(" .. path .. ")")
  else
    error(format("%s: a filter script must return a filter or a function (got %s)", path, type(res)), 0)
  end
  if not sb then return f end
  -- every evaluation runs under the sandbox budget
  -- The parts of a composite filter are not exposed: a pipeline would run
  -- them one by one, outside the guard. Only a filter that is wholly
  -- expressible as a query (no Lua function in it) keeps its pushdown.
  local inner, desc = rawget(f, "fn"), rawget(f, "desc")
  if type(inner) ~= "function" then
    error(format("%s: a filter script must return a filter or a function", path), 0)
  end
  -- the tree, read under the guard and copied raw: no script code runs
  -- when the host later reads it
  local tree = sb:guard(function() return plain_tree(f:to_tree()) end)
  local guarded = filter.fn(function(paper) return sb:guard(inner, paper) end, tostring(desc))
  guarded.kind = "script"
  guarded.tree = tree
  guarded.cheap = tree ~= nil and require("arxivdigest.match").cheap(tree)
  guarded.sandbox = sb
  return guarded
end

--- A pipeline from a report script: it returns a pipeline, or a function(ad,
-- args) returning one. opts.source (a pipeline, collection, index, path...)
-- becomes args.source (a pipeline); opts.args is merged into args.
-- Returns nil, message when the file cannot be read.
function M.report(path, opts)
  opts = opts or {}
  local chunk, sb = compile(path, opts)
  if not chunk then return nil, sb end
  local args = {}
  if opts.args then for k, v in pairs(opts.args) do args[k] = v end end
  args.script = path
  if opts.source ~= nil then
    local src = opts.source
    if sb then
      -- the script gets a pipeline it can chain, running under its budget,
      -- that cannot write files
      args.source = sb.safe_from(pipeline.is_pipeline(src) and src or pipeline.from(src))
    else
      args.source = pipeline.is_pipeline(src) and src or pipeline.from(src)
    end
  end
  local ad = sb and sb.ad or require "arxivdigest"
  local res = run(chunk, sb, ad, args)
  if type(res) == "function" then
    res = run(res, sb, ad, args)
  end
  if not pipeline.is_pipeline(res) then
    error(format("%s: a report script must return a pipeline or a function returning one (got %s)",
      path, type(res)), 0)
  end
  if sb then pipeline._set_guard(res, function(fn, ...) return sb:guard(fn, ...) end) end
  return res
end

M.Sandbox = Sandbox
return M
