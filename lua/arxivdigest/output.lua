--- arxivdigest.output: writing a file atomically, the one way every
-- command, pipeline and watch writes its outputs.
--
--   local output = require "arxivdigest.output"
--   local n, err = output.atomic("week.html", function(write) write("...") return 42 end)
--
-- fn(write) writes through write(chunk) into a temporary file in the same
-- folder; when fn returns, the file is flushed, closed and renamed over
-- path. On any failure the temporary file is removed and path is left as
-- it was. A path that is not a regular file (a directory, a device, a
-- named pipe) is refused before anything is written. Errors name path (never the temporary file): an I/O failure
-- returns nil, "path: reason"; an error raised by fn is raised again.
--
--   local n, err = output.write("/dev/null", fn)
--
-- is what the command's -o does: a regular file (or a new one) is written
-- as output.atomic writes it; a named pipe or a character device that is
-- there (/dev/null, a FIFO made with mkfifo, a terminal) is opened and
-- written in place: never renamed over, never removed, nothing made beside
-- it. A directory, a block device (a disk) and a socket are refused as
-- output.atomic refuses them.

local io, os, string, math = io, os, string, math
local type, error, pcall, tostring, setmetatable, getmetatable =
      type, error, pcall, tostring, setmetatable, getmetatable

local M = {}

-- an I/O failure inside fn's write(): caught by atomic, returned as nil, msg
local IOError = {}
IOError.__tostring = function(e) return e.msg end

local seeded = false

-- "dir/.name.<random>.tmp" beside path
local function tmpname(path)
  if not seeded then
    math.randomseed(os.time(), math.floor(os.clock() * 1e6))
    seeded = true
  end
  local dir, name = path:match("^(.*/)([^/]*)$")
  if not dir then dir, name = "", path end
  return string.format("%s.%s.%d%06d.tmp", dir, name, os.time() % 100000, math.random(0, 999999))
end

-- "tmp: reason" -> "path: reason"
local function reason(msg, tmp)
  msg = tostring(msg)
  if msg:sub(1, #tmp + 2) == tmp .. ": " then return msg:sub(#tmp + 3) end
  return msg
end

--- Runs fn(write) into a temporary file renamed over path at the end.
-- Returns what fn returns (nil results become true), or nil, "path: reason".
function M.atomic(path, fn)
  if type(path) ~= "string" or path == "" then
    error("bad argument #1 to 'atomic' (path expected, got " .. type(path) .. ")", 2)
  end
  -- never rename over what is not a file (a device node, a named pipe:
  -- run as root, the rename would replace /dev/full itself)
  local kind = require("arxivdigest.core").filetype(path)
  if kind == "directory" then return nil, path .. ": Is a directory" end
  if kind and kind ~= "file" then return nil, path .. ": not a regular file (a " .. kind .. ")" end
  -- through a symbolic link: what it points at is replaced, not the link
  local target = require("arxivdigest.core").linktarget(path)
  local tmp = tmpname(target)
  -- (made before the file exists: between its creation and the pcall
  -- nothing allocates, so a memory error cannot leave it behind)
  local fh
  local function write(s)
    local ok, werr = fh:write(s)
    if not ok then error(setmetatable({msg = path .. ": " .. reason(werr, tmp)}, IOError), 0) end
  end
  local oerr
  fh, oerr = io.open(tmp, "wb")
  if not fh then return nil, path .. ": " .. reason(oerr, tmp) end
  local ok, res = pcall(fn, write)
  if not ok then
    fh:close()
    os.remove(tmp)
    if getmetatable(res) == IOError then return nil, res.msg end
    error(res, 0)
  end
  local cok, cerr = fh:close()
  if not cok then
    os.remove(tmp)
    return nil, path .. ": " .. reason(cerr, tmp)
  end
  local rok, rerr = os.rename(tmp, target)
  if not rok then
    os.remove(tmp)
    return nil, path .. ": " .. reason(rerr, tmp)
  end
  if res == nil then return true end
  return res
end

-- what output.write writes in place (the others are written atomically
-- or refused)
local IN_PLACE = {["named pipe"] = true, ["character device"] = true}

--- Like atomic, but a named pipe or a character device is written in place.
function M.write(path, fn)
  if type(path) ~= "string" or path == "" then
    error("bad argument #1 to 'write' (path expected, got " .. type(path) .. ")", 2)
  end
  local kind = require("arxivdigest.core").filetype(path)
  if not IN_PLACE[kind] then return M.atomic(path, fn) end
  -- (a FIFO: the open waits for a reader, as a shell's `> fifo` does)
  local fh, oerr = io.open(path, "wb")
  if not fh then return nil, tostring(oerr) end
  local function write(s)
    local ok, werr = fh:write(s)
    if not ok then error(setmetatable({msg = path .. ": " .. tostring(werr)}, IOError), 0) end
  end
  local ok, res = pcall(fn, write)
  if not ok then
    fh:close()
    if getmetatable(res) == IOError then return nil, res.msg end
    error(res, 0)
  end
  local cok, cerr = fh:close()
  if not cok then return nil, path .. ": " .. tostring(cerr) end
  if res == nil then return true end
  return res
end

--- Whether output.write writes path in place (an existing named pipe or
-- character device): no name to tell a format by, no rename.
function M.in_place(path)
  return IN_PLACE[require("arxivdigest.core").filetype(path)] == true
end

return M
