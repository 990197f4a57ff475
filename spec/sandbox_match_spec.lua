-- The sandbox's string matcher (csrc/lad_sbmatch.c): Lua's patterns with
-- every step charged to the instruction budget. A backtracking pattern
-- used to hold the host for hours inside one string.find, past any budget
-- (docs/reliability-findings.md, R4). Here: the budget stops it, and the
-- matcher answers exactly like the host's string library (results and
-- error messages) on generated patterns, subjects and replacements.
local script = require "arxivdigest.script"

local function tmpfile(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

-- runs the chunk `code` sandboxed (with ... = the arguments) and unsandboxed
local function both(code, opts, ...)
  local path = tmpfile(code)
  opts = opts or {}
  opts.sandbox = true
  local sok, sres = pcall(script.run, path, opts, ...)
  local hres = assert(loadfile(path))(...)
  os.remove(path)
  return sok, sres, hres
end

describe("sandbox string matcher", function()
  it("stops a backtracking pattern at the instruction budget (find, match, gmatch, gsub)", function()
    local calls = {
      'string.find(("a"):rep(300), ("a*"):rep(6) .. "b")',
      '("a"):rep(300):match(("a-"):rep(6) .. "b")',
      'for _ in string.gmatch(("a"):rep(300), ("a*"):rep(6) .. "b") do end',
      'string.gsub(("a"):rep(300), ("a*"):rep(6) .. "b", "x")',
      'string.find(("(a"):rep(2000), ("%b()"):rep(3) .. "$")',
      'string.find(("a"):rep(200000), ("a"):rep(100000) .. "b", 1, true)',
    }
    -- each in a child cut at 60 s: a regression must fail, not hang the suite
    for _, call in ipairs(calls) do
      local path = tmpfile("return " .. call:gsub("^for", "(function() for"):gsub("end$", "end end)()"))
      local child = tmpfile(("package.path = %q; package.cpath = %q\n"):format(package.path, package.cpath)
        .. ("local ok, err = pcall(require('arxivdigest.script').run, %q, "):format(path)
        .. "{sandbox = true, max_instructions = 1e6})\nprint(ok, err)\n")
      local env = os.getenv("AD_ASAN_RT") and ("LD_PRELOAD='" .. os.getenv("AD_ASAN_RT")
        .. "' ASAN_OPTIONS=detect_leaks=0 ") or ""
      local f = assert(io.popen(env .. "timeout 60 lua5.4 " .. child .. " 2>&1; echo \"exit=$?\""))
      local out = f:read("a")
      f:close()
      os.remove(path); os.remove(child)
      assert.matches("exit=0", out, 1, true, call)
      assert.matches("false\tsandbox: instruction budget exceeded", out, 1, false, call)
    end
  end)

  it("a budget spent in the matcher stays spent (pcall cannot catch it)", function()
    local path = tmpfile([[
      local ok = pcall(string.find, ("a"):rep(300), ("a*"):rep(6) .. "b")
      local n = 0
      for i = 1, 1e9 do n = n + i end
      return ok, n
    ]])
    local ok, err = pcall(script.run, path, {sandbox = true, max_instructions = 1e6})
    os.remove(path)
    assert.is_false(ok)
    assert.matches("sandbox: instruction budget exceeded", err)
  end)

  it("answers like Lua's string library (results and errors, 6000 generated calls)", function()
    local TOK = {"a", "b", "c", "(", ")", "%", "[", "]", "^", "$", ".", "*", "+", "-", "?",
                 "%a", "%d", "%s", "%w", "%p", "%x", "%u", "%l", "%c", "%g", "%A", "%S", "%W",
                 "%b()", "%bab", "%b", "%f[%w]", "%f[a]", "%f", "%1", "%2", "%0", "[a-c]",
                 "[^ab]", "[%a_]", "[]]", "[^]a]", "[a-]", "[%]]", "()", "\0", "%%", "%]",
                 "%.", "a*", "b+", "c-", ".?", "(a*)", "(.-)", "%s*", "[^%s]+"}
    local SUBJ = "aabbc()  1_.\0XyZ\t-"
    local REPL = {"x", "%0", "%1", "%%", "<%2>", "%", "%x", 7, {a = "A", b = false, ["()"] = 1, c = 2.5},
                  "FN"}
    math.randomseed(4711)
    local cases = {}
    for i = 1, 1500 do
      local p = {}
      for k = 1, math.random(0, 7) do p[k] = TOK[math.random(#TOK)] end
      local s = {}
      for k = 1, math.random(0, 16) do
        local j = math.random(#SUBJ)
        s[k] = SUBJ:sub(j, j)
      end
      local inits = {false, 1, 2, -1, -3, 0, 30}
      cases[i] = {s = table.concat(s), p = table.concat(p), init = inits[math.random(#inits)],
                  plain = math.random(4) == 1, repl = REPL[math.random(#REPL)],
                  n = ({false, false, 0, 1, 2})[math.random(5)]}
    end
    local code = [[
      local cases = ...
      local function ser(ok, ...)
        local out = {tostring(ok)}
        for i = 1, select("#", ...) do
          local v = select(i, ...)
          out[#out + 1] = (math.type(v) or type(v)) .. ":" .. tostring(v)
        end
        local s = table.concat(out, "|")
        -- the function's name in "bad argument" depends on how it was reached
        return (s:gsub("to '[^']*'", "to 'F'"))
      end
      local results = {}
      for i, c in ipairs(cases) do
        local init = c.init or nil
        local r = {}
        r[1] = ser(pcall(string.find, c.s, c.p, init, c.plain))
        r[2] = ser(pcall(string.match, c.s, c.p, init))
        r[3] = ser(pcall(function()
          local all = {}
          for a, b in string.gmatch(c.s, c.p, init) do all[#all + 1] = tostring(a) .. "," .. tostring(b) end
          return table.concat(all, ";")
        end))
        local repl = c.repl
        if repl == "FN" then repl = function(a, b) if a == "a" then return nil end return b or a end end
        r[4] = ser(pcall(string.gsub, c.s, c.p, repl, c.n or nil))
        results[i] = table.concat(r, "\n")
      end
      return results
    ]]
    local sok, sres, hres = both(code, {max_instructions = 1e12, max_memory = 256 * 1024 * 1024}, cases)
    assert.is_true(sok, tostring(sres))
    assert.are.equal(#hres, #sres)
    local diffs = {}
    for i = 1, #hres do
      if hres[i] ~= sres[i] then
        diffs[#diffs + 1] = ("%q %q init=%s plain=%s\nhost:    %s\nsandbox: %s"):format(cases[i].s,
          cases[i].p, tostring(cases[i].init), tostring(cases[i].plain), hres[i], sres[i])
        if #diffs == 5 then break end
      end
    end
    assert.are.same({}, diffs)
    -- the generated calls exercise matches, captures and errors alike
    local joined = table.concat(hres, "\n")
    assert.truthy(joined:find("true|integer:", 1, true))
    assert.truthy(joined:find("malformed pattern", 1, true))
    assert.truthy(joined:find("invalid capture index", 1, true))
    assert.truthy(joined:find("invalid use of '%' in replacement string", 1, true))
  end)

  it("keeps ordinary text processing cheap: a trim and a split of a 2 kB abstract", function()
    local code = [[
      local s = "  " .. ("word, "):rep(340) .. "  "
      local t = s:match("^%s*(.-)%s*$")
      local n = 0
      for w in t:gmatch("[^,%s]+") do n = n + #w end
      local r = t:gsub("(%w+)", "<%1>")
      return {#t, n, #r}
    ]]
    local sok, sres, hres = both(code, {max_instructions = 1e6})
    assert.is_true(sok, tostring(sres))
    assert.are.same(hres, sres)
  end)
end)
