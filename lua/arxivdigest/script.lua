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
-- Over paths, the report's pipelines that test text run on their index,
-- made once when the first of them runs (see M.report).
--
-- A script error names the script file and line ("daily.lua:12: ...").
--
-- With opts.sandbox = true a script runs in a sandbox (csrc/lad_sandbox.c,
-- lua/arxivdigest/sandbox.lua): a Lua state of its own, whose world has no
-- io, os (but time/date/clock/difftime), load, debug, package; require only
-- of arxivdigest and its Lua modules filter, query and format (read-only
-- views); no file access through arxivdigest either (ad.open, ad.load,
-- ad.index, ad.from(path), pipeline:write(path) raise). Its limits live in
-- that state, below anything the script can reach: an instruction budget
-- (opts.max_instructions, default 2e8 VM instructions of the script's own
-- code, not of the library's working on its behalf: sb:usage(); counted by
-- a hook the script cannot switch off: pcall, xpcall and coroutines
-- cannot outlive it) and a memory budget (opts.max_memory in bytes, default 512
-- MiB, enforced by the state's allocator on every allocation). They hold
-- for the script itself and for every later call into what it returned
-- (a filter called on each paper, a report's pipeline rendered), since
-- all of that runs in the sandbox. The host reads what a script returns
-- as copies (plain values) or as handles it can only call back. Every
-- violation raises an error starting with "sandbox: ".

local filter = require "arxivdigest.filter"
local pipeline = require "arxivdigest.pipeline"
local argsmod = require "arxivdigest.args"

local type, error, tostring, setmetatable, getmetatable, pairs, ipairs, xpcall, assert =
      type, error, tostring, setmetatable, getmetatable, pairs, ipairs, xpcall, assert
local io, load, _G, package = io, load, _G, package
local format, pack, unpack = string.format, table.pack, table.unpack

local M = {}

M.DEFAULT_INSTRUCTIONS = 2e8
M.DEFAULT_MEMORY = 512 * 1024 * 1024

-- {======================================================
-- Sandboxes
-- =======================================================

-- The options each function takes (unread_args is what filter and report
-- set in the table they are given, so the same table may come back).
local BUDGET = {"max_instructions", "max_memory"}
local KNOWN = {
  sandbox = BUDGET,
  run_sandboxed = BUDGET,
  run = {"sandbox", "max_instructions", "max_memory", "env"},
  filter = {"sandbox", "max_instructions", "max_memory", "env", "args", "watch_args", "unread_args"},
  report = {"sandbox", "max_instructions", "max_memory", "env", "args", "watch_args", "unread_args",
            "source", "indexer", "index"},
}

-- The options table of fname (argument argn): nil or a table whose keys it
-- takes, else an error naming the argument (as the core's functions do): a
-- misspelt option is said, never ignored ({sanbox = true} would have run
-- the script unsandboxed). Keys starting with '_' are not checked.
local function check_opts(opts, fname, argn)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(format("bad argument #%d to '%s' (options table expected, got %s)", argn, fname, type(opts)), 3)
  end
  local known = KNOWN[fname]
  for k in pairs(opts) do
    local ok = type(k) == "string" and k:sub(1, 1) == "_"
    for _, name in ipairs(known) do if k == name then ok = true; break end end
    if not ok then
      error(format("bad argument #%d to '%s' (%s (known: %s))", argn, fname,
        type(k) == "string" and format("unknown option '%s'", k) or "option keys are names, got a " .. type(k),
        table.concat(known, ", ")), 3)
    end
  end
  return opts
end

local function new_sandbox(opts)
  local mi = opts.max_instructions or M.DEFAULT_INSTRUCTIONS
  local mm = opts.max_memory or M.DEFAULT_MEMORY
  if type(mi) ~= "number" or mi ~= mi or mi <= 0 then
    error("bad option 'max_instructions' (positive number expected)", 3)
  end
  if type(mm) ~= "number" or mm ~= mm or mm <= 0 then
    error("bad option 'max_memory' (positive number of bytes expected)", 3)
  end
  local core = require "arxivdigest.core"
  return core.sandbox{
    max_instructions = mi, max_memory = mm,
    path = package.path,
    lpeg = package.searchpath("lpeg", package.cpath),
  }
end

--- A new sandbox (a Lua state of its own with the limits of opts:
-- max_instructions, max_memory in bytes). sb:load(path) compiles a script
-- in it, sb:call(handle, ...) calls what it holds; see csrc/lad_sandbox.c.
function M.sandbox(opts)
  return new_sandbox(check_opts(opts, "sandbox", 1))
end

-- A pipeline that lives in a sandbox: each method runs there, under the
-- sandbox's limits. Enough of Pipeline for the command and for reports:
-- steps (limit, format, where/query/sort/group_by with strings), and the
-- terminal methods; write() to a path is done by the host (atomically),
-- the sandbox only produces the text.
local Remote = {}
Remote.__index = Remote
Remote.__name = "arxivdigest.SandboxedPipeline"

local function remote(sb, handle)
  return setmetatable({sb = sb, handle = handle, P = sb:helper("pipeline")}, Remote)
end

local function rcall(self, name, ...)
  return self.sb:call(self.P, self.handle, name, ...)
end

for _, name in ipairs{"limit", "format", "where", "query", "sort", "group_by"} do
  Remote[name] = function(self, ...)
    return remote(self.sb, rcall(self, name, ...))
  end
end
for _, name in ipairs{"count", "render", "describe", "collect", "groups"} do
  Remote[name] = function(self, ...) return rcall(self, name, ...) end
end

function Remote:papers()
  local ps = rcall(self, "collect")
  local i = 0
  return function()
    i = i + 1
    return ps[i]
  end
end

--- Writes to a path (atomically, by the host), a file, or a function
--- (`hint`, a file name, chooses its format as Pipeline:write's does).
function Remote:write(target, hint)
  local t = type(target)
  if target == nil then target = io.stdout end
  if t == "string" then
    return require("arxivdigest.output").atomic(target, function(write)
      return rcall(self, "write", write, target)
    end)
  elseif io.type(target) == "file" then
    return rcall(self, "write", function(s) assert(target:write(s)) end)
  elseif t == "function" then
    return rcall(self, "write", target, hint)
  elseif t == "table" and type(target.write) == "function" then
    return rcall(self, "write", function(s) target:write(s) end)
  end
  error(format("bad argument #1 to 'write' (path, file, function or nil expected, got %s)", t), 2)
end

Remote.__tostring = function(self) return "sandboxed pipeline: " .. self:describe():gsub("\n", " | ") end
M.SandboxedPipeline = Remote

--- Is x a pipeline (a host one or a sandboxed one)?
function M.is_pipeline(x)
  return pipeline.is_pipeline(x) or getmetatable(x) == Remote
end

-- }======================================================

-- {======================================================
-- Loading scripts
-- =======================================================

-- Message handler of unsandboxed scripts: errors leave as strings.
local function to_message(e)
  if type(e) == "string" then return e end
  if type(e) == "number" then return tostring(e) end
  return format("(error object is a %s value)", type(e))
end

-- Compiles an unsandboxed script file. Returns the chunk, or nil, message
-- when the file cannot be read. A syntax error raises "path:line: message".
local function compile(path, opts)
  local fh, ferr = io.open(path, "rb")
  if not fh then return nil, ferr end
  local src = fh:read("a")
  fh:close()
  if src == nil then return nil, path .. ": cannot read" end
  src = src:gsub("^#![^\n]*", "")
  if src:sub(1, 1) == "\27" then
    error(path .. ": binary chunks are not accepted", 0)
  end
  local chunk, err = load(src, "@" .. path, "t", opts.env or setmetatable({}, {__index = _G}))
  if not chunk then error(err, 0) end
  return chunk
end

local function run(chunk, ...)
  local r = pack(xpcall(chunk, to_message, ...))
  if not r[1] then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

local function check_path(path, fname)
  if type(path) ~= "string" then
    error(format("bad argument #1 to '%s' (script path expected, got %s)", fname, type(path)), 3)
  end
end

--- Loads and runs a script file; returns what it returns (from a sandbox:
-- copies of plain values, handles for the rest). Returns nil, message when
-- the file cannot be read; raises on script errors.
function M.run(path, opts, ...)
  check_path(path, "run")
  opts = check_opts(opts, "run", 2)
  if opts.sandbox then
    local sb = new_sandbox(opts)
    local chunk, err = sb:load(path)
    if not chunk then return nil, err end
    return sb:call(chunk, ...)
  end
  local chunk, err = compile(path, opts)
  if not chunk then return nil, err end
  return run(chunk, ...)
end

--- A filter from a filter script: it returns a filter or a function(paper).
-- opts.args (a table of settings) is what the script gets as `...`.
-- opts.watch_args (a list of keys of opts.args): which of them the script
-- reads is noted, and opts.unread_args is set to a function returning
-- those not read yet (arxivdigest.args; as for M.report).
-- Returns nil, message when the file cannot be read. A sandboxed script's
-- filter runs in its sandbox on every paper; when it can be written in the
-- query language its tree is used instead (pushed down to an index, or to
-- C on a collection); when it is an AND of which some parts can, an index
-- runs those parts first (f.narrow) and the sandbox sees only their hits.
function M.filter(path, opts)
  check_path(path, "filter")
  opts = check_opts(opts, "filter", 2)
  if not opts.sandbox then
    local chunk, err = compile(path, opts)
    if not chunk then return nil, err end
    if opts.watch_args and type(opts.args) == "table" then
      opts.unread_args = argsmod.watch(opts.args, opts.watch_args)
    end
    local res = run(chunk, opts.args)
    if filter.is_filter(res) then return res end
    if type(res) == "function" then return filter.fn(res, "script(" .. path .. ")") end
    error(format("%s: a filter script must return a filter or a function (got %s)", path, type(res)), 0)
  end
  local sb = new_sandbox(opts)
  local chunk, err = sb:load(path)
  if not chunk then return nil, err end
  if opts.watch_args then opts.unread_args = function() return sb:call(sb:helper("unread_args")) end end
  local res = sb:call(sb:helper("watched"), chunk, opts.args, opts.watch_args)
  local f, kind = M.sandbox_filter(sb, res, path)
  if not f then
    error(format("%s: a filter script must return a filter or a function (got %s)", path, kind), 0)
  end
  return f
end

--- Runs a script file in a sandbox of its own (opts: max_instructions,
-- max_memory); returns the sandbox and what the script returned (copies
-- of plain values, handles for the rest, which only this sandbox can
-- call), or nil, message when the file cannot be read. Script errors
-- raise ("path:line: message").
function M.run_sandboxed(path, opts, ...)
  check_path(path, "run_sandboxed")
  local sb = new_sandbox(check_opts(opts, "run_sandboxed", 2))
  local chunk, err = sb:load(path)
  if not chunk then return nil, err end
  return sb, sb:call(chunk, ...)
end

--- A host filter from a value of sandbox sb (a filter or a function the
-- script made, as a handle): it runs in the sandbox on every paper, and
-- carries the filter's query tree when it has one (f.tree: pushed down to
-- an index, or to C on a collection), or the tree of the parts of an AND
-- that have one (f.narrow). `where` names it in descriptions. Returns the
-- filter, or nil and what the value was ("a string", ...).
function M.sandbox_filter(sb, value, where)
  local kind, fn, tree, desc, narrow, explain = sb:call(sb:helper("filter_info"), value, where)
  if kind ~= "filter" and kind ~= "function" then
    return nil, kind == "userdata" and "a value" or tostring(kind)
  end
  local f = filter.fn(function(paper) return sb:call(fn, paper) end, desc)
  f.kind = "script"
  f.tree = tree
  f.cheap = tree ~= nil and require("arxivdigest.match").cheap(tree)
  f.sandbox = sb
  -- (an AND some of whose parts have a tree: every paper it keeps matches
  -- them; a pipeline over an index runs them first, see pipeline.lua)
  f.narrow = narrow
  if explain ~= nil then
    -- f:explain as the script's filter gives it (its parts and their
    -- reasons), made in the sandbox, its lines indented to this depth
    f.explain = function(_, paper, depth, out)
      depth, out = depth or 0, out or {}
      local r, lines = sb:call(explain, paper)
      local pad = ("  "):rep(depth)
      for _, line in ipairs(type(lines) == "table" and lines or {}) do out[#out + 1] = pad .. tostring(line) end
      return r and true or false, out
    end
  end
  return f
end

-- The source of a report as the sandbox can take it: a Collection, an
-- Index, an array of papers (a pipeline is run here first).
local function sandbox_source(src)
  if pipeline.is_pipeline(src) then
    local plain = pipeline.source_of(src)
    if plain ~= nil then return plain end
    return (src:collect())
  end
  if type(src) == "string" or (type(src) == "table" and type(src[1]) == "string") then
    return sandbox_source(pipeline.from(src))
  end
  return src
end

-- The index of a report's Collection, made once (opts.indexer, default
-- ad.index) when one of its pipelines first needs text: a function(c).
local function index_maker(opts)
  local make = opts.indexer or function(c) return require("arxivdigest").index(c) end
  if type(make) ~= "function" then
    error(format("bad option 'indexer' (function expected, got %s)", type(make)), 3)
  end
  local made = setmetatable({}, {__mode = "k"})
  return function(c)
    local idx = made[c]
    if idx == nil then
      idx = make(c)
      made[c] = idx
    end
    return idx
  end
end

--- A pipeline from a report script: it returns a pipeline, or a function(ad,
-- args) returning one. opts.source (a pipeline, collection, index, path...)
-- becomes args.source (a pipeline); opts.args is merged into args.
-- Returns nil, message when the file cannot be read. A sandboxed report's
-- pipeline lives in its sandbox (a SandboxedPipeline).
-- A source over digest files (paths, a Collection) is indexed, once, when
-- one of the report's pipelines first needs text (a query or a filter
-- that tests words, a recommendation; see pipeline.indexed_by): those run
-- on the index as they would with an index as the source (-i), in C,
-- instead of a Lua pass over every paper per query. opts.indexer
-- (function(collection) -> index, default ad.index) makes it; opts.index
-- = false keeps every pipeline on the Collection.
-- opts.watch_args (a list of keys of opts.args, the command's --arg keys):
-- opts.unread_args is set to a function returning those the script has
-- not read (so far: a filter of the pipeline may read later), sorted.
function M.report(path, opts)
  check_path(path, "report")
  opts = check_opts(opts, "report", 2)
  local args = {}
  if opts.args then for k, v in pairs(opts.args) do args[k] = v end end
  args.script = path
  local index_of = opts.index ~= false and index_maker(opts) or nil
  if opts.sandbox then
    local sb = new_sandbox(opts)
    local chunk, err = sb:load(path)
    if not chunk then return nil, err end
    local host_index
    if opts.source ~= nil then
      args.source = sandbox_source(opts.source)
      local c = args.source
      if index_of and pipeline.is_collection(c) then
        -- called from the sandbox (a forwarded host function): the host
        -- indexes, in C; the sandbox gets the index as a borrowed view
        host_index = function() return index_of(c) end
      end
    end
    if opts.watch_args then opts.unread_args = function() return sb:call(sb:helper("unread_args")) end end
    local res, kind = sb:call(sb:helper("report"), chunk, args, host_index, opts.watch_args)
    if res == nil then
      error(format("%s: a report script must return a pipeline or a function returning one (got %s)",
        path, tostring(kind)), 0)
    end
    return remote(sb, res)
  end
  local chunk, err = compile(path, opts)
  if not chunk then return nil, err end
  if opts.source ~= nil then
    local src = opts.source
    args.source = pipeline.is_pipeline(src) and src or pipeline.from(src)
    if index_of then args.source = pipeline.indexed_by(args.source, index_of) end
  end
  if opts.watch_args then opts.unread_args = argsmod.watch(args, opts.watch_args) end
  local ad = require "arxivdigest"
  local res = run(chunk, ad, args)
  if type(res) == "function" then res = run(res, ad, args) end
  if not pipeline.is_pipeline(res) then
    error(format("%s: a report script must return a pipeline or a function returning one (got %s)",
      path, type(res)), 0)
  end
  return res
end

-- }======================================================

return M
