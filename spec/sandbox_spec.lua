-- Sandboxed scripts (issue 5): every escape attempt fails with a clear
-- error, and nothing leaks to the host.
local script = require "arxivdigest.script"
local ad = require "arxivdigest"

local DIR = "spec/fixtures/scripts/"
local SMALL = {sandbox = true, max_instructions = 2e6, max_memory = 64 * 1024 * 1024}

local function run(name, opts)
  return pcall(script.run, DIR .. name, opts or SMALL)
end

local function fails(name, pattern, opts)
  local ok, err = run(name, opts)
  assert.is_false(ok, name .. " should fail")
  assert.is_string(err)
  assert.matches(pattern, err)
  -- the error names the script
  return err
end

describe("sandbox escapes", function()
  it("has no io", function()
    local err = fails("esc_io.lua", "sandbox: io%.open is not available")
    assert.matches("esc_io%.lua:1:", err)
  end)

  it("has no os.execute / os.remove, keeps os.time and os.date", function()
    fails("esc_os.lua", "sandbox: os%.execute is not available")
    fails("esc_os_remove.lua", "sandbox: os%.remove is not available")
    local fh = io.open("/tmp/arxivdigest-pwned")
    assert.is_nil(fh)
  end)

  it("has no load (with an environment), loadstring, dofile", function()
    fails("esc_load_env.lua", "sandbox: load is not available")
    fails("esc_loadstring.lua", "sandbox: loadstring is not available")
    fails("esc_dofile.lua", "sandbox: dofile is not available")
  end)

  it("has no string.dump, as a function or a method", function()
    fails("esc_dump.lua", "sandbox: string%.dump is not available")
    fails("esc_dump_method.lua", "sandbox: string%.dump is not available")
  end)

  it("has no debug library", function()
    fails("esc_debug.lua", "sandbox: debug%.sethook is not available")
    fails("esc_debug_getreg.lua", "sandbox: debug%.getregistry is not available")
  end)

  it("has no package.loadlib", function()
    fails("esc_loadlib.lua", "sandbox: package%.loadlib is not available")
  end)

  it("cannot require a C module or a standard library", function()
    fails("esc_require_c.lua", "sandbox: require 'arxivdigest%.core' is not allowed")
    fails("esc_require_lpeg.lua", "sandbox: require 'lpeg' is not allowed")
    fails("esc_require_io.lua", "sandbox: require 'io' is not allowed")
  end)

  it("cannot change the shared string metatable", function()
    local before = getmetatable("").__index
    fails("esc_string_mt.lua", "sandbox: cannot modify the shared string metatable")
    fails("esc_string_mt_field.lua", "sandbox: cannot modify the string library")
    fails("esc_string_mt_rawset.lua", "sandbox: cannot modify a shared or protected table")
    fails("esc_string_mt_set.lua", "sandbox: cannot change the metatable of a protected table")
    assert.equal(before, getmetatable("").__index)
    assert.equal(string, getmetatable("").__index)
    assert.equal("ABC", ("abc"):upper())
  end)

  it("changes to its own string table do not reach the host", function()
    local ok, res = run("esc_string_lib.lua")
    assert.is_true(ok)
    assert.equal("ABC", res)            -- methods use the private copy
    assert.equal("ABC", string.upper("abc"))
    assert.equal("ABC", ("abc"):upper())
  end)

  it("cannot touch files or modules through arxivdigest", function()
    fails("esc_ad_write.lua", "sandbox: ad%.open %(file access%) is not available")
    fails("esc_ad_from_path.lua", "sandbox: ad%.from%(path%) is not allowed")
    fails("esc_ad_modify.lua", "sandbox: cannot modify the arxivdigest[%.%a]* module")
    assert.is_function(require("arxivdigest.filter").keywords)
    assert.is_true(require("arxivdigest.filter").is_filter(require("arxivdigest.filter").keywords{"x"}))
  end)

  it("cannot install a __gc finalizer or stop the collector", function()
    fails("esc_gc.lua", "sandbox: __gc metamethods are not allowed")
    fails("esc_collect.lua", "sandbox: collectgarbage%('stop'%) is not available")
  end)

  it("stops an infinite loop", function()
    fails("loop.lua", "sandbox: instruction budget exceeded")
  end)

  it("stops an infinite loop hidden behind pcall", function()
    fails("loop_pcall.lua", "sandbox: instruction budget exceeded")
  end)

  it("stops an infinite loop inside a coroutine", function()
    fails("loop_coroutine.lua", "sandbox: instruction budget exceeded")
  end)

  it("stops unbounded recursion", function()
    local ok, err = run("loop_recursion.lua")
    assert.is_false(ok)
    assert.matches("sandbox: instruction budget exceeded", err)
  end)

  it("refuses a single huge string.rep before allocating", function()
    fails("bomb_rep.lua", "sandbox: memory budget exceeded %(string%.rep of 1099511627776 bytes%)")
    fails("bomb_rep_method.lua", "sandbox: memory budget exceeded %(string%.rep")
  end)

  it("stops memory growth by concatenation and by tables", function()
    local big = {sandbox = true, max_instructions = 1e10, max_memory = 64 * 1024 * 1024}
    fails("bomb_concat.lua", "sandbox: memory budget exceeded %(64 MiB%)", big)
    fails("bomb_table.lua", "sandbox: memory budget exceeded %(64 MiB%)", big)
    collectgarbage()
    assert.is_true(collectgarbage("count") < 64 * 1024)
  end)

  it("checks table.concat and gsub sizes", function()
    fails("bomb_table_concat.lua", "sandbox: memory budget exceeded %(table%.concat")
    fails("bomb_gsub.lua", "sandbox: memory budget exceeded %(string%.gsub")
  end)

  it("leaves no hook behind", function()
    run("loop.lua")
    assert.is_nil(debug.gethook())
    -- and host code after an exhausted sandbox runs normally
    local n = 0
    for _ = 1, 1e6 do n = n + 1 end
    assert.equal(1e6, n)
  end)

  it("lets ordinary code run", function()
    local ok, res = run("sandbox_allowed.lua")
    assert.is_true(ok, res)
    assert.same({
      concat = "1,2,3,4,5,6,7,8,9,10", upper = "ABC", time = "number", date = "1970", math = 2,
      meta = "x!", pcall = "caught", filter = true, query = "and", co = 7,
    }, res)
  end)
end)

describe("sandboxed filters and reports", function()
  local sample

  setup(function() sample = assert(ad.open("examples/data")) end)

  it("budgets every call of a filter returned by a script", function()
    local f = script.filter(DIR .. "sandbox_filter_loop.lua", SMALL)
    assert.is_true(require("arxivdigest.filter").is_filter(f))
    local ok, err = pcall(function() return ad.from(sample):where(f):count() end)
    assert.is_false(ok)
    assert.matches("sandbox: instruction budget exceeded", err)
    assert.is_nil(debug.gethook())
  end)

  it("keeps the budget on a function ANDed with cheap filters", function()
    local f = script.filter(DIR .. "sandbox_filter_mixed.lua", SMALL)
    assert.is_nil(f.parts)
    local ok, err = pcall(function() return ad.from(sample):where(f):count() end)
    assert.is_false(ok)
    assert.matches("sandbox: instruction budget exceeded", err)
  end)

  it("runs a sandboxed report over the host's source", function()
    local p = script.report(DIR .. "sandbox_report_ok.lua", {sandbox = true, source = sample})
    local out = p:render()
    local plain = script.report(DIR .. "report_ok.lua", {source = sample})
    assert.equal(plain:render(), out)
    assert.is_true(select(2, out:gsub("\n", "")) > 10)
  end)

  it("does not let a report write files itself", function()
    os.remove("/tmp/arxivdigest-sandbox-write.txt")
    local ok, err = pcall(script.report, DIR .. "sandbox_report_write.lua", {sandbox = true, source = sample})
    assert.is_false(ok)
    assert.matches("sandbox: file access is not allowed %(write /tmp/arxivdigest%-sandbox%-write%.txt%)", err)
    assert.is_nil(io.open("/tmp/arxivdigest-sandbox-write.txt"))
  end)
end)

-- The instruction budget counts the script's own instructions (and its
-- string matcher steps): not the work the library does on its behalf, in C
-- or in the project's Lua modules running in the sandbox (A1: a report
-- whose pipelines the library evaluated in Lua over every paper spent the
-- budget of a script that ran a few thousand instructions itself).
describe("the instruction budget", function()
  local sample
  setup(function() sample = assert(ad.open("examples/data")) end)

  local function sandboxed(name, max)
    return script.report(DIR .. name, {sandbox = true, source = sample, max_instructions = max})
  end

  it("does not charge the script for the library's work on its behalf", function()
    local p = assert(sandboxed("budget_library.lua", 2e5))
    local n = 0
    for _ = 1, 30 do n = n + ad.from(sample):query("depth OR segmentation OR abs:video"):count() end
    assert.is_true(n > 300)
    assert.equal(tostring(n), p:render())
    local u = p.sb:usage()
    assert.is_true(u.instructions < 2e5, u.instructions)
    assert.is_true(u.library > 1e6, u.library)     -- the library's, counted apart
  end)

  it("bounds the library's work for the script too, at 50 times the script's budget", function()
    -- a few script steps each making the library evaluate a query over
    -- every paper would otherwise run unbounded
    local ok, err = pcall(sandboxed, "budget_library.lua", 2e4)
    assert.is_false(ok)
    assert.matches("sandbox: library budget exceeded %(1000000 instructions run on the script's behalf%)", err)
    local p = assert(sandboxed("budget_library.lua", 2e5))
    local u = p.sb:usage()
    assert.equal(1e7, u.max_library)
    assert.is_true(u.library <= u.max_library, u.library)
    assert.is_true(u.instructions < 2e4, u.instructions)      -- the script's own: within 2e4
  end)

  it("charges the script's own functions that the library calls", function()
    local ok, err = pcall(sandboxed, "budget_callback.lua", 2e5)
    assert.is_false(ok)
    assert.matches("sandbox: instruction budget exceeded %(200000 instructions%)", err)
    local p = assert(sandboxed("budget_callback.lua", 1e12))
    assert.equal("210", p:render())
    assert.is_true(p.sb:usage().instructions > 210 * 2000, p.sb:usage().instructions)
  end)

  it("charges the script its own steps when each is followed by a library call", function()
    -- the hook's period is drawn at random: no loop keeps in step with it
    -- and has its own instructions counted as the library's
    local function own(library)
      local sb, res = script.run_sandboxed(DIR .. "budget_mixed.lua", {max_instructions = 1e12}, 50000, library)
      assert.equal(50000 * 50001 / 2 * 28, res)
      return sb:usage()
    end
    local alone, mixed = own(false), own(true)
    assert.equal(0, alone.library)
    assert.is_true(mixed.library > 1e6, mixed.library)
    local ratio = mixed.instructions / alone.instructions
    assert.is_true(ratio > 0.85 and ratio < 1.4, ratio)
    local ok, err = pcall(script.run, DIR .. "budget_mixed.lua", {sandbox = true, max_instructions = 1e6}, 50000, true)
    assert.is_false(ok)
    assert.matches("sandbox: instruction budget exceeded", err)
  end)
end)
