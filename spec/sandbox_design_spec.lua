-- The sandbox's design (issue 11): a Lua state of its own whose limits a
-- script cannot switch off, and a world from which no file can be written.
-- F1..F4 are the adversarial pass's reproducers; the property test runs
-- generated scripts that mix coroutines, pcall/xpcall, metamethods and the
-- pipeline API.
local script = require "arxivdigest.script"
local ad = require "arxivdigest"

local DIR = "spec/fixtures/scripts/"
local PWNED = "/tmp/arxivdigest-f1-pwned"

local function lua_child(code, limit)
  local path = os.tmpname()
  local fh = assert(io.open(path, "w"))
  fh:write('package.path = "lua/?.lua;lua/?/init.lua;" .. package.path\n',
           'package.cpath = "build/?.so;" .. package.cpath\n', code)
  fh:close()
  local p = io.popen(("timeout %d lua5.4 %s 2>&1; echo \"exit=$?\""):format(limit or 60, path))
  local out = p:read("a")
  p:close()
  os.remove(path)
  return out, tonumber(out:match("exit=(%d+)%s*$"))
end

describe("the sandbox's limits and world", function()
  local sample
  setup(function() sample = assert(ad.open("examples/data")) end)
  before_each(function() os.remove(PWNED) end)

  it("F1: no write from a coroutine of the script's own, in a report or a filter", function()
    local ok, err = pcall(script.report, DIR .. "f1_coroutine_write.lua", {sandbox = true, source = sample})
    assert.is_false(ok)
    assert.matches("sandbox: file access is not allowed", err)
    assert.is_nil(io.open(PWNED))
    ok, err = pcall(script.filter, DIR .. "f1_filter_from.lua", {sandbox = true})
    assert.is_false(ok)
    assert.matches("sandbox: file access is not allowed", err)
    assert.is_nil(io.open(PWNED))
  end)

  it("F2: an xpcall handler cannot outlive the instruction budget", function()
    local out, code = lua_child([[
      local script = require "arxivdigest.script"
      local ok, err = pcall(script.run, "spec/fixtures/scripts/f2_xpcall_loop.lua",
        {sandbox = true, max_instructions = 1e6})
      print(ok, err)
    ]])
    assert.equal(0, code, out)
    assert.matches("false\tsandbox: instruction budget exceeded", out)
  end)

  it("F2: an allocating handler stays within the memory budget", function()
    local out, code = lua_child([[
      local script = require "arxivdigest.script"
      local ok, err = pcall(script.run, "spec/fixtures/scripts/f2_xpcall_alloc.lua",
        {sandbox = true, max_instructions = 1e9, max_memory = 16 * 1024 * 1024})
      print(ok, err)
      local f = io.open("/proc/self/status")
      local hwm = f and tonumber(f:read("a"):match("VmHWM:%s*(%d+)")) or 0
      print("hwm_kb", hwm)
    ]])
    assert.equal(0, code, out)
    assert.matches("false\tsandbox: %a+ budget exceeded", out)
    local hwm = tonumber(out:match("hwm_kb\t(%d+)"))
    assert.is_true(hwm < 200 * 1024, "peak RSS " .. tostring(hwm) .. " KiB")
  end)

  it("F3: a filter's methods run under the budget too", function()
    local out, code = lua_child([[
      local script = require "arxivdigest.script"
      local ok, err = pcall(script.filter, "spec/fixtures/scripts/f3_to_tree_loop.lua",
        {sandbox = true, max_instructions = 1e6})
      print(ok, err)
    ]])
    assert.equal(0, code, out)
    -- the tree is read in the sandbox, under its budget: the loop is stopped
    assert.matches("false\tsandbox: instruction budget exceeded", out)
  end)

  it("F4: gsub with a table replacement is bounded by the memory budget", function()
    local ok, err = pcall(script.run, DIR .. "f4_gsub_table.lua",
      {sandbox = true, max_memory = 16 * 1024 * 1024})
    assert.is_false(ok)
    assert.matches("sandbox: memory budget exceeded", err)
  end)

  it("keeps the borrowed source alive and correct after the host lets it go", function()
    local f = assert(script.filter(DIR .. "sandbox_filter_mixed.lua", {sandbox = true, max_instructions = 1e12}))
    local c = assert(ad.open("examples/data"))
    local papers = {}
    for i = 1, 5 do papers[i] = c[i] end
    c:close()          -- the sandbox holds what it borrowed; the host's papers now raise
    assert.has_error(function() return papers[1].id end)
    collectgarbage()
    assert.is_true(f.sandbox ~= nil)
  end)
end)

-- Building blocks of generated scripts: statements that try every way out
-- we know of, and every way to spend the budget.
local BLOCKS = {
  'local p = src and src:format("{id}") if p then p:write(OUT) end',
  'local p = src and src:limit(1) if p then coroutine.wrap(p.write)(p, OUT) end',
  'pcall(function() local p = src:format("{id}") p:write(OUT) end)',
  'xpcall(function() io.open(OUT, "w") end, function(e) return e end)',
  'pcall(os.remove, OUT)',
  'pcall(require, "io")',
  'local ok = pcall(load, "return 1")',
  'local t = setmetatable({}, {__index = function(t, k) return k .. "!" end}) local _ = t.x',
  'local co = coroutine.create(function() for i = 1, 1e9 do coroutine.yield(i) end end)\n' ..
    'for _ = 1, 200 do coroutine.resume(co) end',
  'local s = "" for i = 1, 2000 do s = s .. tostring(i) end',
  'local t = {} for i = 1, 1e5 do t[i] = {i} end',
  'pcall(function() while true do end end)',
  'xpcall(function() error({}) end, function() local n = 0 for i = 1, 1e5 do n = n + i end return n end)',
  'local e = setmetatable({}, {__tostring = function() while true do end end}) pcall(error, e)',
  'pcall(setmetatable, {}, {__gc = function() while true do end end})',
  'local f = require("arxivdigest.filter").keywords{"depth"} local _ = f({title = "depth"})',
  'local q = require("arxivdigest.query").parse("depth OR nerf") local _ = q.type',
  'local x = ("ab"):rep(1000):gsub("a", {a = "xyz"})',
  'local ok = pcall(string.rep, "x", 1e12)',
  'local t = {} for i = 1, 300 do t[i] = ("y"):rep(1000) end local _ = table.concat(t)',
  'coroutine.wrap(function() pcall(function() while true do end end) end)()',
}

describe("generated scripts in the sandbox (property)", function()
  it("write no file and hold the budget, whatever they mix", function()
    local out, code = lua_child([[
      local script = require "arxivdigest.script"
      local ad = require "arxivdigest"
      local BLOCKS = ]] .. "{" .. (function()
        local parts = {}
        for i, b in ipairs(BLOCKS) do parts[i] = ("%q"):format(b) end
        return table.concat(parts, ",\n")
      end)() .. [[}
      local OUT = os.tmpname()
      os.remove(OUT)
      local dir = os.tmpname() os.remove(dir) os.execute("mkdir -p " .. dir)
      local sample = assert(ad.open("examples/data"))
      math.randomseed(11)
      local runs, stopped = 0, 0
      for n = 1, 60 do
        local body = {"local _, args = ...", "local src = args and args.source",
                      "local OUT = " .. ("%q"):format(OUT)}
        for _ = 1, math.random(2, 6) do
          local b = BLOCKS[math.random(#BLOCKS)]
          local wrap = math.random(4)
          if wrap == 1 then b = "pcall(function() " .. b .. " end)"
          elseif wrap == 2 then b = "coroutine.wrap(function() " .. b .. " end)()" end
          body[#body + 1] = b
        end
        body[#body + 1] = "return function(ad, args) return args.source end"
        local path = dir .. "/gen" .. n .. ".lua"
        local fh = assert(io.open(path, "w")) fh:write(table.concat(body, "\n")) fh:close()
        local ok, err = pcall(script.report, path, {sandbox = true, source = sample,
          max_instructions = 2e6, max_memory = 32 * 1024 * 1024})
        runs = runs + 1
        if not ok then
          assert(type(err) == "string", "error is a " .. type(err))
          if err:find("sandbox: ", 1, true) then stopped = stopped + 1 end
        end
        assert(io.open(OUT) == nil, "a file was written by " .. path .. "\n" .. table.concat(body, "\n"))
      end
      os.execute("rm -rf " .. dir)
      print("runs", runs, "stopped", stopped)
    ]], 300)
    assert.equal(0, code, out)
    assert.matches("runs\t60\tstopped\t%d+", out)
  end)
end)
