-- Packaging: the rockspec's explicit module map covers the whole tree, and
-- `luarocks make` installs a module that loads from another directory.
local function lines(cmd)
  local t = {}
  local p = assert(io.popen(cmd))
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  return t
end

local function rockspec()
  local env = {}
  local chunk = assert(loadfile("rockspec/arxivdigest-scm-1.rockspec", "t", env))
  chunk()
  return env
end

describe("the rockspec", function()
  local spec = rockspec()

  it("lists every C source of the core", function()
    local listed = {}
    for _, s in ipairs(spec.build.modules["arxivdigest.core"].sources) do listed[s] = true end
    for _, f in ipairs(lines("ls csrc/*.c")) do
      assert.is_true(listed[f] == true, f .. " is missing from the rockspec")
    end
  end)

  it("maps every Lua module", function()
    local mapped = {}
    for _, file in pairs(spec.build.modules) do
      if type(file) == "string" then mapped[file] = true end
    end
    for _, f in ipairs(lines("find lua -name '*.lua' | sort")) do
      assert.is_true(mapped[f] == true, f .. " is missing from the rockspec")
    end
    for name, file in pairs(spec.build.modules) do
      if type(file) == "string" then
        local want = "lua/" .. name:gsub("%.", "/")
        assert.is_true(file == want .. ".lua" or file == want .. "/init.lua", name .. " -> " .. file)
      end
    end
  end)

  it("installs with luarocks make and loads from any directory", function()
    if os.getenv("ARXIVDIGEST_SKIP_INSTALL_TEST") then
      pending("ARXIVDIGEST_SKIP_INSTALL_TEST is set")
      return
    end
    local tree = os.tmpname()
    os.remove(tree)
    local ok = os.execute("luarocks --lua-version=5.4 make --deps-mode=none --tree=" .. tree ..
      " rockspec/arxivdigest-scm-1.rockspec > " .. tree .. ".log 2>&1")
    assert.is_true(ok == true, "luarocks make failed: see " .. tree .. ".log")
    local cmd = ("cd / && LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua;;' " ..
      "LUA_CPATH='%s/lib/lua/5.4/?.so;;' lua5.4 -e '" ..
      "local ad = require \"arxivdigest\"; local c = assert(ad.open(assert(ad.sample()))); print(#c)'")
      :format(tree, tree, tree)
    local out = lines(cmd)
    assert.are.same({"210"}, out)
    assert.is_true(io.open(tree .. "/bin/arxivdigest", "rb") ~= nil, "bin/arxivdigest not installed")
    os.execute("rm -rf " .. tree .. " " .. tree .. ".log")
  end)
end)
