--- arxivdigest.index: the index functions under their module name (for
-- code written against it). The index and its whole API are C
-- (csrc/lad_index.c); require "arxivdigest" gives the same functions.
local core = require "arxivdigest.core"

return {
  index = core.index,
  load = core.load,
  tokens = core.tokens,
}
