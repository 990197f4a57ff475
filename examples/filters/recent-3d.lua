-- A plain Lua function works too. Here it refines what the index finds:
-- 3D papers of a date range, no survey, "3D" written in capitals in the
-- title (the index folds case; the function sees the title as written).
--   arxivdigest filter examples/filters/recent-3d.lua -i archive.adx
-- The date and the query run in the index (or in C and Lua on digest
-- files); the function is called only on the papers they keep.
local f = require "arxivdigest.filter"
local recent = f.date("2020-05-20", nil)
local titled = f.query("ti:3d* -ti:survey")
return recent * titled * function(paper)
  return paper.title:find("3D", 1, true) ~= nil
end
