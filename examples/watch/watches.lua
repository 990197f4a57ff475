-- Standing watches on the bundled sample (examples/data). Run:
--   arxivdigest watch run examples/watch/watches.lua
-- Relative paths are relative to this file; everything this example
-- writes goes to examples/watch/out/.
local f = require "arxivdigest.filter"
return {
  archive = "../data",                       -- the digest folder; its index is kept up to date
  index   = "out/archive.adx",
  state   = "out/watches.state.lua",         -- default: $XDG_STATE_HOME/arxivdigest/
  watches = {
    { name = "depth",        query = 'depth OR "monocular depth" -survey', since = "2020-05-01" },
    { name = "people",       authors = { "Vedaldi, Andrea", "Christian Gagné", "L. Van Gool" } },
    { name = "code release", filter = f.has_code() * f.keywords{ "segmentation", "detection" }, limit = 10 },
  },
  outputs = {
    { format = "atom",     path = "out/feed.atom", keep = 300 },   -- a feed that accumulates
    { format = "html",     path = "out/today.html" },
    { format = "markdown", path = "out/today.md" },
    { format = "jsonl",    path = "out/today.jsonl" },
    { format = "email",    path = "out/today.eml", to = "me@example.org" },  -- or sendmail = "/usr/sbin/sendmail -t"
  },
}
