-- The wrong-type matrix of the Lua binding (issue 11), driven by
-- spec/binding_matrix_spec.lua: run in a child lua5.4 (so that a crash fails
-- one test, not the suite) from a scratch working directory:
--
--   lua5.4 spec/binding_matrix.lua ROOT GROUP
--
-- ROOT: the repository (fixtures are read from there); GROUP: core,
-- Collection, Paper, Index, MergedPaper, Hit or other. Every function of
-- the group is found at run time (the module table, the metatables in the
-- registry and the method tables they hold), so a new method is covered
-- without editing this file. Each function is called with its valid
-- arguments, then with each argument position (and one past the last)
-- replaced by every value of VALUES below. A call must return or raise a
-- string; a "bad argument #N to 'name'" must name the replaced position and
-- the function; any other message must not be one of Lua's own type errors
-- ("attempt to ...") nor name a C function ('?'). One argument past the
-- last, of any kind, is ignored: a call that works with its valid
-- arguments works with one more. The calls that return normally are not
-- checked further: the other specs check answers.
--
-- Prints one line "FAIL <function> <position> <value>: <problem>" per bad
-- call, "MSG <function>: <message>" for every distinct message that is not
-- a bad-argument error (for review), and "calls N" at the end.
local root, group = assert(arg[1], "ROOT expected"), assert(arg[2], "GROUP expected")
local core = require "arxivdigest.core"
local REG = debug.getregistry()

local FILES = {root .. "/spec/fixtures/fuzz/scan/listing_small.md",
               root .. "/spec/fixtures/fuzz/scan/catalog_small.md"}
local RAISE = "MATRIX-RAISE"

-- {====================================================== the objects
-- Fresh objects for a call: a collection, an index over it, a loaded
-- index, a paper, a merged paper, a hit; closed ones too. Made again after
-- any call that may have closed or changed them.
local SAVED = "matrix.adx"
do
  local c = assert(core.open(FILES))
  local idx = assert(core.index(c, {threads = 1}))
  assert(idx:save(SAVED))
  idx:close(); c:close()
end

local E
local function fresh()
  local e = {}
  e.c = assert(core.open(FILES, {threads = 1}))
  e.idx = assert(core.index(e.c, {threads = 1}))
  e.loaded = assert(core.load(SAVED))
  e.paper = e.c[1]
  e.paper2 = e.c[2]
  e.word = assert(e.paper.title:match("%a%a%a+"), "a word of the first title")
  e.hits = e.idx:search(e.word, {limit = 3})
  e.hit = assert(e.hits[1], "a hit")
  e.mp = e.hit.paper
  e.mp2 = e.loaded:get(e.mp.id)
  e.gen = debug.getuservalue(e.idx, 1)
  local cc = assert(core.parse("", "closed.md")); cc:close()
  e.cclosed = cc
  local ic = assert(core.index(core.parse("", "empty.md"), {threads = 1})); ic:close()
  e.iclosed = ic
  e.pclosed = core.open(FILES[1])[1]
  return e
end
-- (a closed index's paper: taken, then its index closed)
local function closed_mpaper()
  local ix = assert(core.index(core.open(FILES[1]), {threads = 1}))
  local p = ix:papers()()
  ix:close()
  return p
end
-- }======================================================

-- {====================================================== the values
-- name -> maker(e): a value of that kind (made per call: some mutate)
local function closer(e)   -- closes everything it can reach
  return function()
    for _, o in ipairs{e.c, e.idx, e.loaded} do getmetatable(o).__close(o) end
  end
end

local VALUES = {
  {"nil", function() return nil end},
  {"none", false},                       -- the argument list ends here
  {"true", function() return true end},
  {"false", function() return false end},
  {"0", function() return 0 end},
  {"-1", function() return -1 end},
  {"maxinteger", function() return math.maxinteger end},
  {"mininteger", function() return math.mininteger end},
  {"1.5", function() return 1.5 end},
  {"-0.0", function() return -0.0 end},
  {"NaN", function() return 0 / 0 end},
  {"inf", function() return math.huge end},
  {"-inf", function() return -math.huge end},
  {"1e300", function() return 1e300 end},
  {"''", function() return "" end},
  {"huge string", function() return ("x"):rep(1 << 20) end},
  {"binary string", function() return "\0\255\1abc\0" end},
  {"'all'", function() return "all" end},
  {"{}", function() return {} end},
  {"{1,2,3}", function() return {1, 2, 3} end},
  {"{'x'}", function() return {"x"} end},
  {"__index raises", function()
    return setmetatable({}, {__index = function() error(RAISE) end})
  end},
  {"__index closes", function(e)
    local close = closer(e)
    return setmetatable({}, {__index = function(t, k)
      close(); rawset(t, #t + 1, {type = "all"}); rawset(t, "type", "or")
      return k == "type" and "and" or nil
    end})
  end},
  {"__len raises", function()
    return setmetatable({}, {__len = function() error(RAISE) end})
  end},
  {"__len huge", function()
    return setmetatable({}, {__len = function() return math.maxinteger end})
  end},
  {"__len not a number", function()
    return setmetatable({}, {__len = function() return "x" end})
  end},
  {"__gc raises", function()
    return setmetatable({}, {__gc = function() error(RAISE) end})
  end},
  {"query proxy", function()      -- a query whose reads disagree
    local n = 0
    return setmetatable({}, {__index = function(t, k)
      n = n + 1
      if k == "type" then
        for i = 1, 300 do rawset(t, i, {type = "all"}) end
        return n % 2 == 0 and "or" or "and"
      end
    end, __len = function() return n end})
  end},
  {"query tree", function(e) return {type = "or", {type = "term", text = e.word}, {type = "all"}} end},
  {"function", function() return function() error(RAISE) end end},
  {"coroutine", function() return coroutine.create(function() end) end},
  {"file handle", function() return io.tmpfile() end},
  {"Collection", function(e) return e.c end},
  {"closed Collection", function(e) return e.cclosed end},
  {"Paper", function(e) return e.paper2 end},
  {"Paper of a closed collection", function(e) return e.pclosed end},
  {"Index", function(e) return e.idx end},
  {"loaded Index", function(e) return e.loaded end},
  {"closed Index", function(e) return e.iclosed end},
  {"MergedPaper", function(e) return e.mp end},
  {"MergedPaper of a loaded index", function(e) return e.mp2 end},
  {"MergedPaper of a closed index", function() return closed_mpaper() end},
  {"Hit", function(e) return e.hit end},
  {"Hit copy (plain table)", function(e) return {score = 1, paper = e.mp} end},
  {"IndexData", function(e) return e.gen end},
  {"finalizers close all", "gc"},        -- see call(): a plain value, GC storm
}
-- }======================================================

-- {====================================================== the functions
-- Valid arguments of each function, by "Type.name" (unknown: the object
-- alone). Functions that change or close their objects make them anew.
local BASE = {
  ["core.open"] = function() return {FILES[1], {threads = 1}} end,
  ["core.parse"] = function() return {"### 1.T\n", "p.md"} end,
  ["core.tokens"] = function() return {"Zero-shot NeRF"} end,
  ["core.fold"] = function() return {"Müller"} end,
  ["core.isatty"] = function() return {2} end,
  ["core.samefile"] = function() return {"/dev/null", 1} end,
  ["core.words"] = function() return {"Zero-Shot, NeRF!"} end,
  ["core.has_code"] = function() return {"https://github.com/x/y"} end,
  ["core.category_has"] = function() return {"**cs.CV**, eess.IV", "cs.", true, false} end,
  ["core.snippet"] = function(e) return {"some text " .. e.word, e.word, "<", ">", 5} end,
  ["core.fields"] = function() return {"merged"} end,
  ["core.plain_text"] = function() return {"Zero-shot NeRF"} end,
  ["core.wrap_plain"] = function() return {"a few words to wrap on two lines or more", 20, "  "} end,
  ["core.dois"] = function() return {"10.1145/3243394.3243689 doi:10.1109/TCYB.2016.2572306."} end,
  ["core.index"] = function(e) return {e.c, {threads = 1}} end,
  ["core.load"] = function() return {SAVED, {verify = true}} end,
  ["Collection.select"] = function(e) return {e.c, {type = "cat", value = "cs.CV"}} end,
  ["Collection.__index"] = function(e) return {e.c, 1} end,
  ["Paper.__index"] = function(e) return {e.paper, "title"} end,
  ["Paper.__eq"] = function(e) return {e.paper, e.paper2} end,
  ["Index.search"] = function(e) return {e.idx, e.word, {limit = 2, offset = 1, sort = "date"}} end,
  ["Index.count"] = function(e) return {e.idx, e.word} end,
  ["Index.df"] = function(e) return {e.idx, e.word} end,
  ["Index.trend"] = function(e) return {e.idx, e.word, "year"} end,
  ["Index.get"] = function(e) return {e.idx, e.mp.id} end,
  ["Index._preload"] = function(e) return {e.idx, {e.mp, e.mp2, e.mp}} end,
  ["Index.similar"] = function(e) return {e.idx, e.mp, 3} end,
  ["Index.update"] = function(e) return {e.idx, FILES, {threads = 1}} end,
  ["Index.save"] = function(e) return {e.idx, "out.adx"} end,
  ["Index.recommend"] = function(e) return {e.idx, {e.mp.id}, {query = e.word, limit = 2}} end,
  ["core.recommend"] = function(e) return {e.idx, {0}, nil, {0, 1}, {limit = 2, with = e.loaded}} end,
  ["core.index_lookup"] = function(e) return {e.idx, "title", e.mp.title} end,
  ["core._rfind"] = function(e) return {e.idx, e.mp.id} end,
  ["core._rpaper"] = function(e) return {e.idx, 0} end,
  ["core._rdoc"] = function(e) return {e.idx, e.mp} end,
  ["core._rcands"] = function(e) return {e.idx, nil, 1} end,
  ["core._rindexof"] = function(e) return {e.mp} end,
  ["core._rgen"] = function(e) return {e.idx} end,
  ["core._rmodel_dump"] = function(e) return {e.idx, {weights = {au = 0}}} end,
  ["core._rmodel_load"] = function(e) return {e.idx, "m.model", {weights = {au = 0}}} end,
  ["core._rmodel_sandboxed"] = function(e)
    return {core.sandbox{max_instructions = 1e6, max_memory = 1e8, path = package.path,
                         lpeg = package.searchpath("lpeg", package.cpath)}, e.loaded}
  end,
  ["Index.save_model"] = function(e) return {e.idx, "m.model", {weights = {au = 0}}} end,
  ["Index.load_model"] = function(e) return {e.idx, "m.model", {weights = {au = 0}}} end,
  ["MergedPaper.__index"] = function(e) return {e.mp, "title"} end,
  ["MergedPaper.__eq"] = function(e) return {e.mp, e.mp} end,
  ["MergedPaper.record"] = function(e) return {e.mp, 1} end,
  ["Hit.snippet"] = function() return {nil, {open = "[", close = "]", width = 4}} end,
}
-- Functions whose valid call raises by design, with the message it gives:
-- the core's objects are read-only (review C19: `c[1].title = 1` said
-- "attempt to index a arxivdigest.Paper value")
local READ_ONLY = {}
for _, ty in ipairs{"Collection", "Paper", "Index", "MergedPaper"} do
  READ_ONLY[ty .. ".__newindex"] = "arxivdigest." .. ty .. " is read-only (cannot set field 'title'"
end
-- objects of each type for the base calls
local SELF = {
  Collection = function(e) return e.c end, Paper = function(e) return e.paper end,
  Index = function(e) return e.idx end, MergedPaper = function(e) return e.mp end,
  Hit = function(e) return e.hit end, IndexData = function(e) return e.gen end,
}
-- calls after which the objects are made anew
local CHANGES = {close = true, __close = true, __gc = true, update = true}

-- the functions of the group: {name, type, function}
local function functions()
  local out = {}
  local function add(ty, name, f)
    if type(f) == "function" then out[#out + 1] = {name = name, ty = ty, f = f} end
  end
  local function methods_of(ty, mt, tbl)
    for k, v in pairs(mt) do if k ~= "__index" or type(v) == "function" then add(ty, k, v) end end
    if type(tbl) == "table" then for k, v in pairs(tbl) do add(ty, k, v) end end
  end
  local function upvalue_table(f)
    if type(f) ~= "function" then return nil end
    for i = 1, 4 do
      local _, v = debug.getupvalue(f, i)
      if type(v) == "table" and v.__name == nil then return v end
    end
  end
  if group == "core" then
    for k, v in pairs(core) do add("core", k, v) end
  elseif group == "Paper" then
    -- a Paper's methods are answered by name by __index (no table): every
    -- name of a field list or a method that gives a function is one
    local mt = REG["arxivdigest.Paper"]
    methods_of("Paper", mt)
    local p = core.open(FILES[1])[1]
    local seen = {}
    for _, list in ipairs{core.fields("merged"), {"totable", "to_table", "record", "close"}} do
      for _, k in ipairs(list) do
        if not seen[k] then seen[k] = true; add("Paper", k, p[k]) end
      end
    end
  elseif group == "other" then
    -- every other metatable of the module in the registry
    local known = {Collection = 1, Paper = 1, Index = 1, MergedPaper = 1, Hit = 1}
    for name, mt in pairs(REG) do
      local ty = type(name) == "string" and name:match("^arxivdigest%.(.+)$")
      if ty and not known[ty] and type(mt) == "table" then methods_of(ty, mt, upvalue_table(mt.__index)) end
    end
  else
    local mt = assert(REG["arxivdigest." .. group], "no metatable for " .. group)
    methods_of(group, mt, type(mt.__index) == "table" and mt.__index or upvalue_table(mt.__index))
  end
  table.sort(out, function(a, b) return a.ty .. a.name < b.ty .. b.name end)
  return out
end

-- a caller of f under its own name, so that errors read "to 'name'" with
-- positions counted from 1 (self included)
local function caller(name, f)
  local ident = name:match("^[%a_][%w_]*$") and name or "f"
  local chunk = ("local %s = ... return function(a) return %s(table.unpack(a, 1, a.n)) end")
    :format(ident, ident)
  return assert(load(chunk, "=matrix"))(f), ident
end
-- }======================================================

-- {====================================================== the matrix
local ncalls, nfail, msgs = 0, 0, {}

local function fail(fn, pos, vname, problem)
  nfail = nfail + 1
  print(("FAIL %s.%s #%d %s: %s"):format(fn.ty, fn.name, pos, vname, problem))
end

local function check(fn, ident, pos, vname, ok, err)
  if ok then return end
  if type(err) ~= "string" then return fail(fn, pos, vname, "error is a " .. type(err)) end
  if err:find(RAISE, 1, true) then return end                  -- the value's own error
  -- a value that closes the objects may make the call fail on its object
  if (vname:find("close", 1, true) or vname:find("finalizer", 1, true)) and err:find("closed", 1, true) then
    return
  end
  local n, who = err:match("bad argument #(%d+) to '([^']*)'")
  if n then
    if who ~= ident then return fail(fn, pos, vname, "names '" .. who .. "': " .. err) end
    if tonumber(n) ~= pos then
      return fail(fn, pos, vname, "names argument #" .. n .. ": " .. err)
    end
    return
  end
  if err:find("attempt to ", 1, true) or err:find("'?'", 1, true) or err == "" then
    return fail(fn, pos, vname, "unclear message: " .. err)
  end
  local key = fn.ty .. "." .. fn.name .. ": " .. err:gsub("%d+", "N"):sub(1, 160)
  if not msgs[key] then msgs[key] = true; print("MSG " .. key) end
end

local function storm(e)
  -- 2000 pending finalizers that close every object, and a GC step at
  -- every allocation: the closes land inside the call
  collectgarbage("collect")
  collectgarbage("incremental", 100, 100, 0)
  local close, fired = closer(e), 0
  local mt = {__gc = function() fired = fired + 1; close() end}
  for _ = 1, 2000 do setmetatable({}, mt) end
  while fired == 0 do local _ = {} end
end

local function call(fn, base, pos, v)
  local f, ident = caller(fn.name, fn.f)
  local e = E
  local a = base(e)
  a.n = math.max(#a, pos, a.n or 0)
  local vname, gc = v[1], v[2] == "gc"
  if v[2] == false then a.n = pos - 1
  elseif gc then storm(e)
  else a[pos] = v[2](e) end
  ncalls = ncalls + 1
  local ok, err = pcall(f, a)
  if gc then collectgarbage("incremental", 200, 100, 13) end
  check(fn, ident, pos, vname, ok, err)
  return ok, err
end

local started = os.clock()
E = fresh()
for _, fn in ipairs(functions()) do
  local key = fn.ty .. "." .. fn.name
  local self = SELF[fn.ty]
  local base = BASE[key] or (self and function(e) return {self(e)} end) or function() return {} end
  if fn.ty == "Hit" and key == "Hit.snippet" then
    base = function(e) local b = BASE[key](e); b[1] = e.hit; return b end
  end
  if READ_ONLY[key] then base = function(e) return {SELF[fn.ty](e), "title", "x"} end end
  -- the valid call first: it must work (or raise as designed)
  local ok, err = pcall(caller(fn.name, fn.f), (function() local a = base(E); a.n = #a; return a end)())
  if READ_ONLY[key] then
    if ok or not tostring(err):find(READ_ONLY[key], 1, true) then
      fail(fn, 0, "valid arguments", "expected '" .. READ_ONLY[key] .. "', got " .. tostring(err))
    end
  elseif not ok and (self or BASE[key]) then fail(fn, 0, "valid arguments", tostring(err)) end
  local valid = ok and (self or BASE[key])
  E = fresh()
  local npos = #base(E) + 1
  for pos = 1, npos do
    for _, v in ipairs(VALUES) do
      local cok, cerr = call(fn, base, pos, v)
      local vn = v[1]
      -- one argument past the last is ignored, whatever it is (a
      -- function that took its stack slots for granted answered wrong:
      -- idx:stats(1) raised "paper of a closed index")
      if pos == npos and valid and not cok and type(cerr) == "string" and not cerr:find(RAISE, 1, true)
         and not (vn:find("close", 1, true) or vn:find("finalizer", 1, true)) then
        fail(fn, pos, vn, "an extra argument changes the call: " .. cerr)
      end
      if CHANGES[fn.name] or vn:find("close", 1, true) or vn:find("finalizer", 1, true) then E = fresh() end
    end
    collectgarbage("collect")
  end
  E = fresh()
end
os.remove(SAVED)
collectgarbage("collect")
print(("calls %d failures %d seconds %.1f"):format(ncalls, nfail, os.clock() - started))
-- }======================================================
