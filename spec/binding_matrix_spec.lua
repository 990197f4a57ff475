-- The wrong-type matrix of the Lua binding (issue 11, "Memory safety from
-- Lua"): every function of arxivdigest.core and every method and
-- metamethod of its types (found from the metatables in the registry, so
-- new ones are covered) called with each argument replaced by values of
-- every kind: nil, none, booleans, integers, floats (NaN, inf), strings
-- (empty, 1 MiB, binary), tables, tables whose __index/__len/__gc raise or
-- close the objects, functions, coroutines, userdata of every other type,
-- closed collections and indexes, and a storm of finalizers that close the
-- objects during the call. Each call returns or raises a string that names
-- the argument or says what is wrong; none crashes (checked for real under
-- `make test-asan`). The calls are made by spec/binding_matrix.lua in a
-- child lua5.4 run in a scratch directory, one per group.
local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local root = assert(io.popen("pwd")):read("l")

-- this process's module paths, made absolute (the child runs elsewhere)
local function absolute(paths)
  local out = {}
  for entry in paths:gmatch("[^;]+") do
    out[#out + 1] = entry:sub(1, 1) == "/" and entry or (root .. "/" .. entry)
  end
  return table.concat(out, ";")
end

local function run_group(group)
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. shell_quote(dir)))
  local env = ("LUA_PATH=%s LUA_CPATH=%s "):format(shell_quote(absolute(package.path)),
                                                  shell_quote(absolute(package.cpath)))
  local rt = os.getenv("AD_ASAN_RT")
  if rt then env = env .. "LD_PRELOAD=" .. shell_quote(rt) .. " ASAN_OPTIONS=detect_leaks=0 " end
  local cmd = ("cd %s && %s timeout 300 lua5.4 %s %s %s 2>&1; echo \"::rc=$?\""):format(
    shell_quote(dir), env, shell_quote(root .. "/spec/binding_matrix.lua"), shell_quote(root), group)
  local f = assert(io.popen(cmd))
  local out = f:read("a")
  f:close()
  os.execute("rm -rf " .. shell_quote(dir))
  local rc = tonumber(out:match("::rc=(%d+)%s*$"))
  return rc, out
end

describe("binding: every entry point with every wrong type", function()
  for _, group in ipairs{"core", "Collection", "Paper", "Index", "MergedPaper", "Hit", "other"} do
    it(group .. ": each call returns or raises a clear error, never crashes", function()
      local rc, out = run_group(group)
      assert.are.equal(0, rc, out)
      local calls, failures = out:match("calls (%d+) failures (%d+)")
      assert.is_not_nil(calls, out)
      assert.is_true(tonumber(calls) > 100, out)
      local bad = {}
      for line in out:gmatch("[^\n]+") do
        if line:find("^FAIL ") then bad[#bad + 1] = line end
      end
      assert.are.same({}, bad)
      assert.are.equal("0", failures, out)
    end)
  end
end)
