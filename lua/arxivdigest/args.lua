--- arxivdigest.args: which of a script's `--arg` keys it read.
--
-- A report or filter script reads its settings from a table (`args`, or
-- `...` for a filter). A key given on the command line that the script
-- never reads is most likely misspelt (`--arg topc=x` for `topic`): the
-- command warns about it once the script has run. Used by the host
-- (arxivdigest.script) and inside a sandbox (arxivdigest.sandbox's
-- prelude), so that both count a read the same way.
--
-- watch(t, keys) moves the keys of `keys` out of t behind an __index that
-- notes each read; t stays a plain table for every other key, and pairs(t)
-- still lists every key (__pairs; a loop over the table reads them all).
-- It returns a function giving the keys not read yet, sorted.

local M = {}

local ipairs, next, rawget, rawset, setmetatable, sort = ipairs, next, rawget, rawset,
  setmetatable, table.sort

function M.watch(t, keys)
  local held, read = {}, {}
  for _, k in ipairs(keys) do
    if rawget(t, k) ~= nil then held[k] = rawget(t, k); rawset(t, k, nil) end
  end
  local function all()                 -- the table's keys and the held ones
    local seen = {}
    for k, v in next, t do seen[k] = v end
    for k, v in next, held do
      read[k] = true
      if seen[k] == nil then seen[k] = v end
    end
    return seen
  end
  setmetatable(t, {
    __index = function(_, k)
      local v = held[k]
      if v ~= nil then read[k] = true end
      return v
    end,
    __newindex = function(_, k, v)
      if held[k] ~= nil then read[k] = true; held[k] = nil end  -- (replaced: it was looked at)
      rawset(t, k, v)
    end,
    __pairs = function() return next, all(), nil end,
  })
  return function()
    local left = {}
    for k in next, held do if not read[k] then left[#left + 1] = k end end
    sort(left)
    return left
  end
end

return M
