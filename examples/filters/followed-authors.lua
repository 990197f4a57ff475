-- The people I follow (initials, "Surname, Given" and diacritics are fine;
-- a hyphenated given name is one name: "Li-Heng Chen" is not "Li Chen").
--
--   arxivdigest filter examples/filters/followed-authors.lua -i archive.adx --explain
--
-- The names are the list below, or the `authors` of the table the script
-- is called with (ad.script.run(path, opts, {authors = {...}})). The index
-- runs a query every paper by these people matches (their surnames and,
-- for a full given name, that name or its initial); the exact name rule
-- (f.authors) then runs on its hits only, not on every paper.
local f = require "arxivdigest.filter"

local settings = ... or {}
local FOLLOW = settings.authors or {"A. Vedaldi", "Gagne, Christian", "Li-Heng Chen"}

local any = {type = "or"}
for i, name in ipairs(FOLLOW) do
  local n = f.parse_name(name)
  local tree = {type = "phrase", field = "au", text = n.last}
  local g = n.given[1]
  if g and #g[1] > 1 then                -- "Li-Heng Chen": au:"chen" (au:"li-heng" OR au:l)
    tree = {type = "and", tree, {type = "or",
      {type = "phrase", field = "au", text = table.concat(g, "-")},
      {type = "term", field = "au", text = g[1]:sub(1, 1)}}}
  end
  any[i] = tree
end

return f.query(any) * f.authors(FOLLOW)
