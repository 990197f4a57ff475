--- arxivdigest.sandbox: the prelude of a sandbox. It runs INSIDE the
-- sandbox's own lua_State (csrc/lad_sandbox.c creates it, with the limits:
-- a memory budget enforced by the state's allocator and an instruction
-- budget enforced by a count hook), never in the host. It builds the world
-- a sandboxed script sees (`env`) and the helpers the host calls to read
-- what a script returned (arxivdigest.script uses them through handles).
--
-- The script's world: no io, os (but time, date, clock, difftime), load,
-- loadstring, loadfile, dofile, debug, package, string.dump,
-- collectgarbage (but "count"); require only of arxivdigest and its Lua
-- modules filter, query and format (read-only views); getmetatable("")
-- returns a read-only view; metatables the script did not make cannot be
-- changed; no __gc metamethods (they would run with the hook off). pcall,
-- xpcall and coroutine.resume re-raise a spent budget, and xpcall calls its
-- handler after unwinding. Every violation raises an error starting with
-- "sandbox: ". Files: none can be written (pipelines here have no writer).
--
-- Its module environment gives it require (the sandbox's own, for the
-- project's modules), __check, __remaining and __print (C functions).

local check, remaining, print_ = __check, __remaining, __print  -- luacheck: ignore 113
local filter = require "arxivdigest.filter"
local pipeline = require "arxivdigest.pipeline"
local query = require "arxivdigest.query"
local ad = require "arxivdigest"
local fmtmod = require "arxivdigest.format"
local match = require "arxivdigest.match"
local argsmod = require "arxivdigest.args"

local type, error, pcall, tostring, setmetatable, getmetatable, rawget, rawset,
      rawlen, next, pairs, ipairs = type, error, pcall, tostring, setmetatable,
      getmetatable, rawget, rawset, rawlen, next, pairs, ipairs
local string, table, coroutine, collectgarbage, os, math, utf8 =
      string, table, coroutine, collectgarbage, os, math, utf8
local format, pack, unpack = string.format, table.pack, table.unpack
local G = _G

-- {======================================================
-- Read-only views and denials
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

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function fail(msg)
  error(msg, 0)
end

-- }======================================================

-- {======================================================
-- The libraries the script sees
-- =======================================================

-- The string library with size-checked rep and gsub, no dump/pack. Also
-- what string methods ("x"):rep() resolve to in the sandbox.
local sstring = copy(string)
do
  local rep = string.rep
  sstring.dump = deny("string.dump")
  sstring.pack, sstring.unpack, sstring.packsize = deny("string.pack"), deny("string.unpack"),
    deny("string.packsize")
  sstring.rep = function(str, n, sep)
    if type(n) == "number" and n > 0 then
      local len = (#tostring(str) + (sep and #tostring(sep) or 0)) * n
      if len > remaining() then
        fail(format("sandbox: memory budget exceeded (string.rep of %.0f bytes)", len))
      end
    end
    return rep(str, n, sep)
  end
  -- find, match, gmatch and gsub are the state's own (csrc/lad_sbmatch.c):
  -- every step of the matcher is charged to the instruction budget, and
  -- gsub refuses a string replacement whose result could exceed what is
  -- left; called directly, so that their errors name the script's line
end
-- string methods ("x"):rep() resolve to a private copy the script cannot
-- reach (changes to its own string table do not change them)
getmetatable("").__index = copy(sstring)

local stable = copy(table)
do
  local concat, move = table.concat, table.move
  stable.concat = function(list, sep, i, j)
    if type(list) == "table" then
      i = i or 1
      j = j or #list
      local total, seplen = 0, sep and #tostring(sep) or 0
      for k = i, j do
        local v = list[k]
        if type(v) == "string" then total = total + #v + seplen end
      end
      if total > remaining() then
        fail(format("sandbox: memory budget exceeded (table.concat of %.0f bytes)", total))
      end
    end
    return concat(list, sep, i, j)
  end
  stable.move = function(a1, f, e, tpos, a2)
    if type(f) == "number" and type(e) == "number" and e - f > 1e7 then
      fail("sandbox: table.move of more than 10^7 elements is not allowed")
    end
    return move(a1, f, e, tpos, a2)
  end
end

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
for _, name in ipairs{"assert", "error", "ipairs", "next", "pairs", "select", "tonumber",
                      "tostring", "type", "rawequal", "rawlen", "rawget", "_VERSION"} do
  env[name] = G[name]
end
env.print = print_
-- pcall and xpcall must not swallow a spent budget; xpcall's handler runs
-- after the error has unwound (never as a message handler, which Lua runs
-- with the hook off)
env.pcall = function(f, ...)
  local r = pack(pcall(f, ...))
  check()
  return unpack(r, 1, r.n)
end
env.xpcall = function(f, h, ...)
  local r = pack(pcall(f, ...))
  check()
  if r[1] then return unpack(r, 1, r.n) end
  return false, h(r[2])
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
env.table = stable
env.math = copy(math)
env.utf8 = copy(utf8)
env.os = denied_table("os", {time = os.time, date = os.date, clock = os.clock, difftime = os.difftime})
env.io = denied_table("io")
env.debug = denied_table("debug")
env.package = denied_table("package")
do  -- coroutines inherit the hook; resume and wrap re-raise a spent budget
  local co = copy(coroutine)
  local resume, create = coroutine.resume, coroutine.create
  co.resume = function(c, ...)
    local r = pack(resume(c, ...))
    check()
    return unpack(r, 1, r.n)
  end
  co.wrap = function(f)
    local c = create(f)
    return function(...)
      local r = pack(resume(c, ...))
      check()
      if not r[1] then error(r[2], 0) end
      return unpack(r, 2, r.n)
    end
  end
  env.coroutine = co
end

-- arxivdigest, as the script sees it: pipelines over what the host gave
-- (ad.from of a path, ad.open, ad.load, ad.index: refused)
local function safe_from(src)
  local t = type(src)
  if t == "string" or (t == "table" and type(src[1]) == "string") then
    error("sandbox: ad.from(path) is not allowed in a sandboxed script (file access); "
      .. "build on args.source", 2)
  end
  return pipeline.from(src)
end
local sformat = {render = fmtmod.render, names = fmtmod.names, template = fmtmod.template,
                 for_path = fmtmod.for_path}
local sad = {
  _VERSION = ad._VERSION,
  from = safe_from,
  parse = ad.parse,
  fields = ad.fields,
  filter = filter,
  format = sformat,
  open = deny("ad.open (file access)"),
  load = deny("ad.load (file access)"),
  index = deny("ad.index"),
  script = deny("ad.script"),
  core = deny("ad.core"),
}
local modules = {
  arxivdigest = readonly(sad, "the arxivdigest module"),
  ["arxivdigest.filter"] = readonly(filter, "the arxivdigest.filter module"),
  ["arxivdigest.format"] = readonly(sformat, "the arxivdigest.format module"),
  ["arxivdigest.query"] = readonly(query, "the arxivdigest.query module"),
}
env.require = function(name)
  if type(name) ~= "string" then
    error(format("bad argument #1 to 'require' (string expected, got %s)", type(name)), 2)
  end
  local m = modules[name]
  if m == nil then
    error(format("sandbox: require '%s' is not allowed in a sandboxed script "
      .. "(only arxivdigest, arxivdigest.filter, arxivdigest.query, arxivdigest.format)", name), 2)
  end
  return m
end
env.ad = modules.arxivdigest
env._G = env

-- }======================================================

-- {======================================================
-- Helpers the host calls (through handles)
-- =======================================================

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

local H = {env = env}

--- What a filter script returned: kind ("filter", "function", or the type
-- name), the function to call per paper, its query tree (plain, or nil),
-- its description, and, when it has no tree but is an AND of which some
-- parts have one, the AND of those parts' trees (every paper it keeps
-- matches that tree: an index can run it first), and for a filter a
-- function(paper) -> result, lines: its explanation (f:explain).
function H.filter_info(res, path)
  if filter.is_filter(res) then
    local fn = rawget(res, "fn")
    if type(fn) ~= "function" then return "broken filter" end
    local ok, tree = pcall(function() return plain_tree(res:to_tree()) end)
    check()
    local narrow
    if not (ok and tree) and rawget(res, "kind") == "and" and type(rawget(res, "parts")) == "table" then
      narrow = {type = "and"}
      for _, part in ipairs(rawget(res, "parts")) do
        local pok, t = pcall(function() return filter.is_filter(part) and plain_tree(part:to_tree()) end)
        check()
        if pok and t then narrow[#narrow + 1] = t end
      end
      narrow = narrow[2] and narrow or narrow[1]
    end
    -- (its explanation, made here: the parts and their reasons, as a host
    -- filter's; the host indents the lines)
    local function explain(paper) return res:explain(paper) end
    return "filter", fn, ok and tree or nil, tostring(rawget(res, "desc")), narrow, explain
  elseif type(res) == "function" then
    return "function", res, nil, "script(" .. tostring(path) .. ")"
  end
  return type(res)
end

--- The pipeline of a report script: runs its chunk with (ad, args); what
-- it returns is a pipeline, or a function(ad, args) returning one.
-- args.source, when given, is the host's source (a borrowed Collection or
-- Index, or an array of papers) and becomes a pipeline. index_of, when
-- given (a host function: the source is a Collection), returns the
-- source's index, made by the host: the pipelines that need text run on it
-- (pipeline.indexed_by), as they would with an index as the source.
-- The keys of args (the command's --arg keys, `watch`) the script has not
-- read yet: H.unread_args() (arxivdigest.args).
local unread = function() return {} end

--- Runs a script's chunk with args (a filter script's `...`), watching
-- which of the keys `watch` it reads (H.unread_args).
function H.watched(chunk, args, watch)
  if type(args) == "table" and watch then unread = argsmod.watch(args, watch) end
  return chunk(args)
end

function H.unread_args() return unread() end

function H.report(chunk, args, index_of, watch)
  if watch then unread = argsmod.watch(args, watch) end
  if args.source ~= nil then args.source = safe_from(args.source) end
  if index_of ~= nil and args.source ~= nil then
    local idx
    args.source = pipeline.indexed_by(args.source, function()
      if idx == nil then idx = index_of() end
      return idx
    end)
  end
  local res = chunk(env.ad, args)
  if type(res) == "function" then res = res(env.ad, args) end
  if not pipeline.is_pipeline(res) then return nil, type(res) end
  return res
end

local ALLOWED = {limit = true, format = true, where = true, query = true, sort = true,
                 group_by = true, count = true, render = true, describe = true,
                 collect = true, groups = true, write = true}

--- Calls pipeline method name on p (a pipeline of the sandbox) with the
-- arguments; write() takes the host's writer function only.
function H.pipeline(p, name, ...)
  if not pipeline.is_pipeline(p) then error("sandbox: not a pipeline", 0) end
  if not ALLOWED[name] then error("sandbox: pipeline method '" .. tostring(name) .. "' is not available", 0) end
  if name == "write" and type((...)) ~= "function" then
    error("sandbox: a sandboxed pipeline writes only through the host", 0)
  end
  return p[name](p, ...)
end

--- Is the tree cheap (no text)?
H.cheap = match.cheap

return H
