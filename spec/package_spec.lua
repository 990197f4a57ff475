-- Packaging: the rockspec's explicit module map covers the whole tree.

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
  -- installing the rock and running it from another directory: spec/readme_spec.lua
  -- (the README's installation block)

end)
