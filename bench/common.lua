-- bench/common.lua: the small helpers every bench script needs, in one place.
--   local C = dofile("bench/common.lua")   (bench scripts run from the project root)
local C = {}

--- The whole file at path (raises when it cannot be read).
function C.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

--- The size of the file at path in bytes, or nil.
function C.file_size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

--- A field of /proc/self/status in bytes (VmHWM: peak RSS, VmRSS...).
function C.status(key)
  return (tonumber(C.read_file("/proc/self/status"):match(key .. ":%s*(%d+)")) or 0) * 1024
end

--- fn() once untimed, then `runs` timed calls: the times by `clock`
function C.samples(fn, runs, clock)
  local s = {}
  fn()
  for r = 1, runs do
    local t0 = clock()
    fn()
    s[r] = clock() - t0
  end
  return s
end

--- s quoted for sh.
function C.shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

--- The standard output of a shell command.
function C.sh(cmd)
  local f = io.popen(cmd)
  local s = f:read("a")
  f:close()
  return s
end

return C
