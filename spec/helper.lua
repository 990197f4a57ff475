-- Small file helpers shared by the specs: local H = dofile("spec/helper.lua")
local H = {}

--- The whole file at path (raises when it cannot be read).
function H.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

--- Write s to path, replacing it (raises on failure).
function H.write(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  assert(f:close())
end

return H
