--- arxivdigest: parse, index, search, filter and format archives of arXiv
-- digests. The core is C (arxivdigest.core): collections, the index and
-- its whole API (docs/ARCHITECTURE.md); the Lua modules (query language,
-- filters, pipelines, formats, scripts, the command) are loaded on first
-- use so that `require "arxivdigest"` stays cheap.
local core = require "arxivdigest.core"

local debug, io, ipairs, require, rawset, setmetatable = debug, io, ipairs, require, rawset, setmetatable

local M = {
  _VERSION = "arxivdigest 0.9.0",
  --- Open a file, a folder (recursive *.md / *.txt) or a list of them.
  -- Returns a Collection, or nil, "path: reason", errno on I/O failure.
  -- opts.threads: how many threads may read and scan the files (an
  -- integer >= 1; default: the online CPUs; inputs under 1 MiB use one).
  open = core.open,
  --- Parse digest text held in a string; `name` is used in warnings.
  parse = core.parse,
  --- The names of the paper fields, in their canonical order
  -- (fields("merged") adds the fields of an index's papers).
  fields = core.fields,
  --- Build an index from a Collection, a path or a list of paths. opts:
  -- weights = {ti=, abs=, au=, co=}, k1, b, threads (as for open; the build
  -- tokenizes and encodes on up to eight). Returns the Index, or nil,
  -- "path: reason", errno.
  index = core.index,
  --- Load a saved index (idx:save(path)), memory-mapped. opts.verify =
  -- true checks every checksum now. Returns the Index or nil, "path: reason".
  load = core.load,
  --- The tokens of a text as the index makes them.
  tokens = core.tokens,
}

--- The folder of the bundled sample digests: installed next to this module
-- by the rock (arxivdigest/sample/), or examples/data/ in a source tree.
-- The environment variable ARXIVDIGEST_SAMPLE overrides it.
function M.sample()
  local env = os.getenv("ARXIVDIGEST_SAMPLE")
  if env and env ~= "" then return env end
  local here = debug.getinfo(1, "S").source:match("^@(.*)[/\\]init%.lua$") or "."
  for _, dir in ipairs{here .. "/sample", here .. "/../../examples/data"} do
    local f = io.open(dir .. "/003_ce175d6736be5667.txt", "rb")
    if f then
      f:close()
      local tidy = dir:gsub("[^/]+/[^/]+/%.%./%.%./", "")
      return tidy
    end
  end
  return nil, "the bundled sample was not found next to " .. here
end

--- Start a pipeline: paths, a Collection, an index or a saved index path.
function M.from(src) return require("arxivdigest.pipeline").from(src) end
--- Read a library (BibTeX export or list of arXiv ids): a path or the text.
function M.library(src, idx) return require("arxivdigest.library").library(src, idx) end

-- submodules exposed as fields, loaded on first access
local lazy = {
  filter = "arxivdigest.filter",
  format = "arxivdigest.format",
  query = "arxivdigest.query",
  script = "arxivdigest.script",
  core = "arxivdigest.core",
}

return setmetatable(M, {
  __index = function(t, k)
    local name = lazy[k]
    if name == nil then return nil end
    local mod = require(name)
    rawset(t, k, mod)
    return mod
  end,
})
