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
-- output.atomic refuses them. "-" and a path that names the process's own
-- stdout or stderr (M.std_stream: /dev/stdout, or the very file the shell
-- redirected stdout to) are written through that stream.

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
  local std = M.std_stream(path)
  if std then return M.write_stream(std == "stdout" and io.stdout or io.stderr, path, fn) end
  local kind = require("arxivdigest.core").filetype(path)
  if not IN_PLACE[kind] then return M.atomic(path, fn) end
  -- (a FIFO: the open waits for a reader, as a shell's `> fifo` does)
  local fh, oerr = io.open(path, "wb")
  if not fh then return nil, tostring(oerr) end
  local ok, res, err = pcall(M.write_stream, fh, path, fn)
  local cok, cerr = fh:close()
  if not ok then error(res, 0) end
  if res == nil then return nil, err end
  if not cok then return nil, path .. ": " .. tostring(cerr) end
  return res
end

-- names of the process's own standard streams (when the core cannot tell
-- by device and inode)
local STD_NAMES = {
  ["/dev/stdout"] = "stdout", ["/dev/fd/1"] = "stdout", ["/proc/self/fd/1"] = "stdout",
  ["/dev/stderr"] = "stderr", ["/dev/fd/2"] = "stderr", ["/proc/self/fd/2"] = "stderr",
}

--- "stdout" or "stderr" when path names the process's own standard output
-- or error: "-" (stdout), /dev/stdout, /dev/fd/1, /proc/self/fd/1 (and the
-- same for 2), or any regular file that is the one open on descriptor 1 or
-- 2 (same device and inode: the file the shell redirected it to). Such a
-- path is written through the stream, never opened, truncated or renamed
-- over: `{ echo A; arxivdigest ... -o /dev/stdout; echo B; } > log` keeps
-- A and B, and `>> log` keeps what log held. nil for any other path.
function M.std_stream(path)
  if path == "-" then return "stdout" end
  if STD_NAMES[path] then return STD_NAMES[path] end
  -- by device and inode, for a regular file only (what open, truncate or
  -- rename would damage; a device or a pipe behind stdout is written in
  -- place by opening it anyway)
  local ok, core = pcall(require, "arxivdigest.core")
  if ok and type(core) == "table" and core.samefile and core.filetype(path) == "file" then
    if core.samefile(path, 1) then return "stdout" end
    if core.samefile(path, 2) then return "stderr" end
  end
  return nil
end

--- Runs fn(write) writing to stream (io.stdout, or any object with a write
-- method) in place, then flushes it: what output.write does for
-- M.std_stream's paths. Returns what fn returns (nil becomes true), or
-- nil, "path: reason".
function M.write_stream(stream, path, fn)
  local function write(s)
    local ok, werr = stream:write(s)
    if not ok then error(setmetatable({msg = path .. ": " .. tostring(werr)}, IOError), 0) end
  end
  local ok, res = pcall(fn, write)
  if not ok then
    if getmetatable(res) == IOError then return nil, res.msg end
    error(res, 0)
  end
  if stream.flush then
    local fok, ferr = stream:flush()
    if not fok then return nil, path .. ": " .. tostring(ferr) end
  end
  if res == nil then return true end
  return res
end

--- Whether output.write writes path in place (an existing named pipe or
-- character device): no name to tell a format by, no rename.
function M.in_place(path)
  if M.std_stream(path) then return true end
  return IN_PLACE[require("arxivdigest.core").filetype(path)] == true
end

return M
