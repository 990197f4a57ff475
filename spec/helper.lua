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

--- An output stream that keeps what is written: sink.text() gives it.
function H.sink()
  local buf = {}
  return {write = function(self, ...)
    for i = 1, select("#", ...) do buf[#buf + 1] = tostring((select(i, ...))) end
    return self
  end, text = function() return table.concat(buf) end}
end

--- Runs the command in-process: returns exit status, stdout, stderr.
function H.run_cli(argv)
  local out, err = H.sink(), H.sink()
  local status = require("arxivdigest.cli").main(argv, {stdout = out, stderr = err})
  return status, out.text(), err.text()
end

return H
