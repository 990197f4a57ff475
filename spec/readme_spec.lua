-- The README's examples run. Every ```lua block is run in a child lua5.4
-- (in a fresh folder, with this checkout's modules); blocks that start with
-- "-- name.lua" are script files used by the command lines. Every
-- `bin/arxivdigest ...` and `lua5.4 -e ...` line of the ```sh blocks is run
-- too, in order. "digests/" (the README's stand-in for your archive) and
-- "examples/" are the bundled sample of this checkout.
local ROOT = assert(io.popen("pwd")):read("l")

local H = dofile("spec/helper.lua")
local read, write = H.read, H.write


local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- the README's code blocks: { {lang=, text=, line=}, ... }
local function blocks()
  local out, cur = {}, nil
  local n = 0
  for line in (read("README.md") .. "\n"):gmatch("(.-)\n") do
    n = n + 1
    if cur then
      if line:match("^```%s*$") then
        out[#out + 1] = cur
        cur = nil
      else
        cur.text = cur.text .. line .. "\n"
      end
    else
      local lang = line:match("^```(%w+)%s*$")
      if lang then cur = {lang = lang, text = "", line = n + 1} end
    end
  end
  return out
end

local function localize(s)
  s = s:gsub("digests/", ROOT .. "/examples/data/")
  s = s:gsub("([%s\"'(])examples/", "%1" .. ROOT .. "/examples/")
  return s
end

-- run a shell command in dir with this checkout's modules first on the path
local function run(dir, cmd)
  local env = ("LUA_PATH=%s LUA_CPATH=%s "):format(
    q(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;"), q(ROOT .. "/build/?.so;;"))
  local asan = os.getenv("AD_ASAN_RT")
  if asan then env = env .. "LD_PRELOAD=" .. q(asan) .. " ASAN_OPTIONS=detect_leaks=0 " end
  local p = assert(io.popen("cd " .. q(dir) .. " && " .. env .. "sh -c " .. q(cmd) ..
                            " </dev/null 2>&1; echo \"::rc=$?\""))
  local out = p:read("a")
  p:close()
  return tonumber(out:match("::rc=(%d+)%s*$")), out
end

describe("README examples", function()
  local dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir)))
  end)
  teardown(function() os.execute("rm -rf " .. q(dir)) end)

  local all = blocks()

  it("has Lua and shell examples", function()
    local lua, sh = 0, 0
    for _, b in ipairs(all) do
      if b.lang == "lua" then lua = lua + 1 elseif b.lang == "sh" then sh = sh + 1 end
    end
    assert.is_true(lua >= 10, "Lua blocks: " .. lua)
    assert.is_true(sh >= 5, "sh blocks: " .. sh)
  end)

  it("every Lua block runs", function()
    local ran = 0
    for _, b in ipairs(all) do
      if b.lang == "lua" then
        local name = b.text:match("^%-%- ([%w%-_]+%.lua)\n")
        if name then
          write(dir .. "/" .. name, b.text)          -- a script for the command lines
        else
          write(dir .. "/block.lua", localize(b.text))
          local rc, out = run(dir, "lua5.4 block.lua >/dev/null")
          assert.are.equal(0, rc, ("README.md:%d: %s"):format(b.line, out))
          ran = ran + 1
        end
      end
    end
    assert.is_true(ran >= 8)
  end)

  it("every command line runs (exit 0, or 1 for a search that finds nothing)", function()
    local ran = 0
    for _, b in ipairs(all) do
      if b.lang == "sh" then
        -- join continued lua5.4 -e '...' commands
        local cmds, cur = {}, nil
        for line in b.text:gmatch("(.-)\n") do
          if cur then
            cur = cur .. "\n" .. line
            if select(2, cur:gsub("'", "")) % 2 == 0 then cmds[#cmds + 1] = cur; cur = nil end
          elseif line:match("^bin/arxivdigest ") then
            cmds[#cmds + 1] = line
          elseif line:match("^lua5%.4 %-e ") then
            if select(2, line:gsub("'", "")) % 2 == 0 then cmds[#cmds + 1] = line else cur = line end
          end
        end
        for _, cmd in ipairs(cmds) do
          cmd = cmd:gsub("%s+#[^'\n]*$", "")          -- a trailing comment
          cmd = localize(cmd):gsub("^bin/arxivdigest", "lua5.4 " .. ROOT .. "/bin/arxivdigest")
          local rc, out = run(dir, cmd .. " >/dev/null")
          assert.is_true(rc == 0 or (rc == 1 and cmd:find(" search ", 1, true) ~= nil),
            ("README.md:%d: %s\nexit %s: %s"):format(b.line, cmd, tostring(rc), out))
          ran = ran + 1
        end
      end
    end
    assert.is_true(ran >= 20, "command lines run: " .. ran)
  end)

  -- The block that starts with `make install`: the rock is installed into a
  -- temporary tree (not the system's), then every other line of the block
  -- runs from another directory with that tree's paths; a trailing
  -- "# NUMBER" is the output it must print.
  it("the installed rock's lines run from any directory", function()
    if os.getenv("ARXIVDIGEST_SKIP_INSTALL_TEST") then
      pending("ARXIVDIGEST_SKIP_INSTALL_TEST is set")
      return
    end
    local block
    for _, b in ipairs(all) do
      if b.lang == "sh" and b.text:match("^make install") then block = b end
    end
    assert.is_not_nil(block, "no ```sh block starting with make install")
    local tree, src = dir .. "/tree", dir .. "/src"
    -- built from a copy: luarocks' builtin backend leaves objects beside the sources
    local rc, log = run(ROOT, "mkdir -p " .. q(src) .. " && cp -r csrc lua bin examples rockspec " ..
      q(src) .. " && cd " .. q(src) .. " && luarocks --lua-version=5.4 make --deps-mode=none --tree=" ..
      q(tree) .. " rockspec/arxivdigest-scm-1.rockspec")
    assert.are.equal(0, rc, log)
    assert.is_not_nil(io.open(tree .. "/bin/arxivdigest", "rb"), "bin/arxivdigest not installed")
    local env = ("PATH=%s:\"$PATH\" LUA_PATH=%s LUA_CPATH=%s "):format(q(tree .. "/bin"),
      q(tree .. "/share/lua/5.4/?.lua;" .. tree .. "/share/lua/5.4/?/init.lua;;"),
      q(tree .. "/lib/lua/5.4/?.so;;"))
    local ran = 0
    for line in block.text:gmatch("(.-)\n") do
      if line ~= "" and not line:match("^make install") then
        local want = line:match("#%s*(%d+)[^'\n]*$")
        local cmd = line:gsub("%s+#[^'\n]*$", "")
        local p = assert(io.popen("cd / && " .. env .. "sh -c " .. q(cmd) .. " 2>&1; echo \"::rc=$?\""))
        local out = p:read("a")
        p:close()
        local code = tonumber(out:match("::rc=(%d+)%s*$"))
        assert.are.equal(0, code, ("README.md:%d: %s\n%s"):format(block.line, cmd, out))
        if want then assert.are.equal(want, out:match("^(%d+)\n"), cmd .. "\n" .. out) end
        ran = ran + 1
      end
    end
    assert.is_true(ran >= 2)
  end)
end)
