-- A plain Lua function works too: 3D papers of a date range, no survey.
local f = require "arxivdigest.filter"
local recent = f.date("2020-05-20", nil)
return function(paper)
  return recent(paper)
     and paper.title:lower():find("3d", 1, true) ~= nil
     and not paper.title:lower():find("survey", 1, true)
end
